package raster

import (
	"container/list"
	"context"
	"errors"
	"fmt"
	"os"
	"sync"

	"github.com/airbusgeo/godal"
)

// DefaultDatasetCacheSize is how many idle source datasets Render keeps open.
const DefaultDatasetCacheSize = 64

// datasetCache keeps source datasets open between renders. GDAL 3.6
// datasets are not thread-safe, so each handle is checked out by one
// goroutine at a time; a path used by several renders at once gets several
// handles. Only idle handles are cached and counted against the bound; the
// least recently used idle handle is closed first.
type datasetCache struct {
	mu    sync.Mutex
	max   int
	idle  map[string][]*source // idle handles by path, most recent last
	lru   list.List            // of *source, most recent first
	nIdle int
}

// source is an open source dataset.
type source struct {
	path string
	ds   *godal.Dataset
	fi   os.FileInfo // local files: to notice replaced or changed files
	elem *list.Element
}

var datasets = &datasetCache{max: DefaultDatasetCacheSize, idle: map[string][]*source{}}

// SetDatasetCacheSize sets how many idle source datasets Render keeps open
// (DefaultDatasetCacheSize initially) and closes the excess. Zero disables
// caching and closes every idle dataset.
func SetDatasetCacheSize(n int) {
	datasets.mu.Lock()
	datasets.max = max(n, 0)
	evicted := datasets.evictLocked()
	datasets.mu.Unlock()
	closeAll(evicted)
}

// checkout returns an open dataset for path, for the caller's exclusive
// use until checkin or discard. The path is checked against the data
// stores of ctx every time, and handles are cached by the resolved name: a
// cached handle is reused unless the local file changed since it was
// opened.
func (c *datasetCache) checkout(ctx context.Context, name string) (*source, error) {
	stores := StoresFrom(ctx)
	path, err := stores.check(name)
	if err != nil {
		if errors.Is(err, ErrNoStores) {
			return nil, err
		}
		return nil, fmt.Errorf("open %q: %w", name, ErrNotInStore)
	}
	var fi os.FileInfo
	if !isVSI(path) {
		if fi, err = os.Stat(path); err != nil {
			return nil, fmt.Errorf("open %q: %w", name, ErrNotInStore)
		}
	}
	var stale []*source
	var found *source
	c.mu.Lock()
	for l := c.idle[path]; len(l) > 0 && found == nil; l = c.idle[path] {
		s := l[len(l)-1]
		c.removeLocked(s)
		if fi != nil && changed(s.fi, fi) {
			stale = append(stale, s)
			continue
		}
		found = s
	}
	c.mu.Unlock()
	closeAll(stale)
	if found != nil {
		return found, nil
	}

	ds, err := openSource(stores, path, nil)
	if err != nil {
		return nil, err
	}
	if _, err := ds.GeoTransform(quiet); err != nil || ds.Projection() == "" {
		ds.Close()
		return nil, fmt.Errorf("open %q: %w", name, ErrNoSRS)
	}
	return &source{path: path, ds: ds, fi: fi}, nil
}

// changed reports whether a local file was replaced or modified.
func changed(old, cur os.FileInfo) bool {
	return !os.SameFile(old, cur) || !old.ModTime().Equal(cur.ModTime()) || old.Size() != cur.Size()
}

// checkin returns a dataset to the cache.
func (c *datasetCache) checkin(s *source) {
	c.mu.Lock()
	c.idle[s.path] = append(c.idle[s.path], s)
	s.elem = c.lru.PushFront(s)
	c.nIdle++
	evicted := c.evictLocked()
	c.mu.Unlock()
	closeAll(evicted)
}

// discard closes a checked-out dataset instead of caching it (after a
// failure left it in an unknown state).
func (c *datasetCache) discard(s *source) {
	s.ds.Close()
}

func (c *datasetCache) evictLocked() []*source {
	var out []*source
	for c.nIdle > c.max {
		s := c.lru.Back().Value.(*source)
		c.removeLocked(s)
		out = append(out, s)
	}
	return out
}

func (c *datasetCache) removeLocked(s *source) {
	l := c.idle[s.path]
	for i := range l {
		if l[i] == s {
			l = append(l[:i], l[i+1:]...)
			break
		}
	}
	if len(l) == 0 {
		delete(c.idle, s.path)
	} else {
		c.idle[s.path] = l
	}
	c.lru.Remove(s.elem)
	s.elem = nil
	c.nIdle--
}

func closeAll(l []*source) {
	for _, s := range l {
		s.ds.Close()
	}
}
