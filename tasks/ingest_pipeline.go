package tasks

import (
	"context"
	"runtime"
	"sync"

	"github.com/tessera-gis/tessera/mosaic"
	"github.com/tessera-gis/tessera/raster"
)

// The read pipeline of an ingest: sources are inspected and built into
// items by one worker per core, with a bounded read-ahead, and come out in
// input order.

// outcome is one source, inspected and built into an item, or why not.
type outcome struct {
	src  source
	item *mosaic.Item
	srs  raster.SRS // the raster's own
	err  error
}

// builder turns sources into items. It is safe for concurrent use once
// target is set.
type builder struct {
	ctx     context.Context // carries the data stores (raster.WithStores)
	meta    *metadataFields
	opts    *addOptions
	target  raster.SRS // zero until known
	inspect []raster.InspectOption
	recent  infoCache // for manifests, whose rows may name a raster many times
}

func newBuilder(ctx context.Context, fields []mosaic.Field, o *addOptions, target raster.SRS) *builder {
	b := &builder{ctx: ctx, meta: newMetadataFields(fields), opts: o, target: target}
	if o.BuildFootprints {
		b.inspect = append(b.inspect, raster.ValidDataFootprint())
	}
	if o.ComputeStats {
		b.inspect = append(b.inspect, raster.Statistics())
	}
	if o.NoData != nil {
		b.inspect = append(b.inspect, raster.NoData(*o.NoData))
	}
	return b
}

func (b *builder) run(src source) outcome {
	out := outcome{src: src}
	if src.err != nil {
		out.err = src.err
		return out
	}
	var info *raster.Info
	var err error
	if src.Row != nil {
		info, err = b.recent.get(src.Path, func() (*raster.Info, error) { return raster.Inspect(b.ctx, src.Path, b.inspect...) })
	} else if src.listed != nil {
		info, err = raster.Inspect(b.ctx, src.Path, append(b.inspect[:len(b.inspect):len(b.inspect)], raster.Listed(src.listed))...)
	} else {
		info, err = raster.Inspect(b.ctx, src.Path, b.inspect...)
	}
	if err != nil {
		out.err = err
		return out
	}
	out.srs = info.SRS
	target := b.target
	if target.IsZero() {
		target = info.SRS
	}
	out.item, out.err = buildItem(b.meta, src, info, target, b.opts)
	return out
}

// pipeline inspects a sourceSet with one worker per core and yields
// outcomes in input order. At most window sources are read ahead of the
// consumer, so memory stays bounded whatever the input size.
//
// While the builder's target is unknown (a collection without a spatial
// reference), sources are read one at a time, in order, until one is
// readable: the collection takes its spatial reference, and the workers
// start.
type pipeline struct {
	ctx  context.Context
	next int
	ring []chan outcome
	sem  chan struct{}
	fed  chan struct{} // closed when the scan has ended
	n    int           // sources handed out; set before fed closes
	err  error         // why the scan stopped early; set before fed closes
}

// job is one source and its place in the input.
type job struct {
	i   int
	src source
}

func newPipeline(ctx context.Context, set *sourceSet, b *builder, window int) *pipeline {
	window = max(window, 1)
	p := &pipeline{ctx: ctx, ring: make([]chan outcome, window), sem: make(chan struct{}, window),
		fed: make(chan struct{})}
	for i := range p.ring {
		p.ring[i] = make(chan outcome, 1)
	}
	jobs := make(chan job)
	go func() {
		defer close(p.fed)
		defer close(jobs)
		i := 0
		sequential := b.target.IsZero()
		err := set.scan(ctx, func(src source) bool {
			select {
			case p.sem <- struct{}{}:
			case <-ctx.Done():
				return false
			}
			if sequential {
				out := b.run(src)
				if out.err == nil {
					// Set before any job is sent: the workers see it.
					b.target, sequential = out.srs, false
				}
				p.ring[i%window] <- out
				i++
				return true
			}
			select {
			case jobs <- job{i, src}:
				i++
				return true
			case <-ctx.Done():
				return false
			}
		})
		p.n, p.err = i, err
	}()
	for range runtime.GOMAXPROCS(0) {
		go func() {
			for j := range jobs {
				// The slot is free: the consumer took result i-window
				// before the semaphore let i in.
				p.ring[j.i%window] <- b.run(j.src)
			}
		}()
	}
	return p
}

// Next returns the next outcome in input order; false when all are
// returned, the scan failed (see Err) or the context ended.
func (p *pipeline) Next() (outcome, bool) {
	fed := p.fed
	for {
		select {
		case out := <-p.ring[p.next%len(p.ring)]:
			p.next++
			<-p.sem
			return out, true
		case <-fed:
			if p.next >= p.n || p.err != nil {
				return outcome{}, false
			}
			fed = nil // every outcome left is on its way
		case <-p.ctx.Done():
			return outcome{}, false
		}
	}
}

// Err is why the scan stopped before its end, once Next returned false.
func (p *pipeline) Err() error {
	select {
	case <-p.fed:
		return p.err
	default:
		return p.ctx.Err()
	}
}

// infoCacheSize is how many rasters an infoCache remembers.
const infoCacheSize = 256

// infoCache remembers what the last rasters read were, so that the rows of
// a manifest that name one raster many times (bands, dates, tiles of one
// file) read it once. It is safe for concurrent use: rows that need a
// raster being read wait for it. Items never share what they are built
// from: buildItem copies.
type infoCache struct {
	mu    sync.Mutex
	m     map[string]*infoEntry
	ring  [infoCacheSize]string // paths, oldest at next
	next  int
	count int
}

type infoEntry struct {
	done chan struct{}
	info *raster.Info
	err  error
}

// get returns path's description, read with read unless it is known.
func (c *infoCache) get(path string, read func() (*raster.Info, error)) (*raster.Info, error) {
	c.mu.Lock()
	if e, ok := c.m[path]; ok {
		c.mu.Unlock()
		<-e.done
		return e.info, e.err
	}
	if c.m == nil {
		c.m = make(map[string]*infoEntry, infoCacheSize)
	}
	if c.count == infoCacheSize {
		delete(c.m, c.ring[c.next])
	} else {
		c.count++
	}
	c.ring[c.next] = path
	c.next = (c.next + 1) % infoCacheSize
	e := &infoEntry{done: make(chan struct{})}
	c.m[path] = e
	c.mu.Unlock()
	e.info, e.err = read()
	close(e.done)
	return e.info, e.err
}
