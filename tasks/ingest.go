package tasks

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"math"
	"net/url"
	"os"
	"path"
	"path/filepath"
	"runtime"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/paulmach/orb"

	"github.com/tessera-gis/tessera/mosaic"
	"github.com/tessera-gis/tessera/raster"
)

// The ingest pipeline shared by AddImage and CreateImageCollection:
//
//	expand inputs → inspect + build items (one worker per core, bounded
//	read-ahead, results in input order) → batches of items staged in a
//	temporary file (see stage) → every item commits in one transaction
//	with the job's success.
//
// A failed, cancelled or crashed job therefore adds nothing: no item, no
// field, no spatial reference.

// maxWarnings caps the per-raster warnings in a job's messages; the counts
// stay exact.
const maxWarnings = 1000

// maxRangeFactor multiplies an item's coarsest cell size (HighPS) to give
// its MaxPS, as ArcGIS's Calculate Cell Size Ranges does by default.
const maxRangeFactor = 10

// rasterExts are the file extensions a directory walk picks up.
var rasterExts = map[string]bool{".tif": true, ".tiff": true, ".gtif": true, ".img": true, ".jp2": true,
	".vrt": true, ".nc": true, ".hdf": true, ".h5": true, ".dem": true, ".asc": true, ".png": true,
	".jpg": true, ".jpeg": true, ".ntf": true, ".nitf": true, ".sid": true, ".ecw": true, ".dt0": true,
	".dt1": true, ".dt2": true, ".kea": true, ".bil": true, ".grd": true, ".mrf": true, ".crf": true}

// gdalName maps a URL to GDAL's virtual file systems and a local path to a
// clean absolute path. A plain http(s) URL is read through /vsicurl/.
func gdalName(s string) string {
	s = strings.TrimSpace(s)
	lower := strings.ToLower(s)
	switch {
	case strings.HasPrefix(lower, "/vsi"):
		return s
	case strings.HasPrefix(lower, "http://"), strings.HasPrefix(lower, "https://"):
		return "/vsicurl/" + s
	case strings.HasPrefix(lower, "s3://"):
		return "/vsis3/" + s[len("s3://"):]
	case strings.HasPrefix(lower, "gs://"), strings.HasPrefix(lower, "gcs://"):
		return "/vsigs/" + s[strings.Index(s, "://")+3:]
	case strings.HasPrefix(lower, "az://"), strings.HasPrefix(lower, "azure://"):
		return "/vsiaz/" + s[strings.Index(s, "://")+3:]
	case strings.HasPrefix(lower, "file://"):
		if u, err := url.Parse(s); err == nil && u.Path != "" {
			s = u.Path
		} else {
			s = s[len("file://"):]
		}
	}
	if abs, err := filepath.Abs(s); err == nil {
		return abs
	}
	return filepath.Clean(s)
}

// isRemote reports whether a GDAL name is a virtual (remote) path.
func isRemote(name string) bool { return strings.HasPrefix(name, "/vsi") }

// matchGlob matches a wildcard pattern case-insensitively against the file
// name of p, or against the whole path when the pattern has a slash.
func matchGlob(pattern, p string) (bool, error) {
	if !strings.Contains(pattern, "/") {
		p = filepath.Base(p)
	}
	return filepath.Match(strings.ToLower(pattern), strings.ToLower(p))
}

// source is one raster to add.
type source struct {
	Path string    // as GDAL opens it
	Row  *tableRow // the manifest row, for the Table raster type
	err  error     // set when the row itself is bad
}

// label names a source in messages: a path the user gave (or found in a
// folder or glob the user gave), or a manifest's row, whose path is not
// shown since a manifest may be any text.
func (s source) label() string {
	if s.Row != nil {
		return fmt.Sprintf("row %d of %s", s.Row.Line, filepath.Base(s.Row.Manifest))
	}
	return s.Path
}

// expandSources turns inputs into raster names: directories are walked
// (recursively unless subFolders is false), globs expanded, URLs mapped to
// GDAL's virtual file systems. Only the data stores of ctx are listed: a
// folder or glob outside them lists nothing, and each entry found is
// checked again when it is read. An input that is not inside a store
// (or does not exist) is kept, to fail as one item with the same message
// either way.
func expandSources(ctx context.Context, inputs []string, o *addOptions) ([]string, error) {
	var out []string
	seen := map[string]bool{}
	add := func(s string) {
		if !seen[s] {
			seen[s] = true
			out = append(out, s)
		}
	}
	// walk lists root (a checked, resolved folder) and reports entries
	// under the name the caller gave (given), so paths stay as typed.
	walk := func(root, given string, match func(p string, d fs.DirEntry) bool) error {
		return filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
			if err != nil {
				return nil // unreadable subdirectories are skipped
			}
			if err := ctx.Err(); err != nil {
				return err
			}
			if d.IsDir() {
				if p != root && !o.SubFolders {
					return filepath.SkipDir
				}
				return nil
			}
			name := filepath.Join(given, strings.TrimPrefix(p, root))
			if _, err := raster.Check(ctx, name); err != nil {
				return nil // a link out of the stores, or the server's own files
			}
			if match(name, d) && o.Filter.Match(name) {
				add(name)
			}
			return nil
		})
	}
	// dirOf returns the resolved folder name stands for, if it is one
	// inside a store.
	dirOf := func(name string) (string, bool) {
		resolved, err := raster.Check(ctx, name)
		if err != nil || isRemote(resolved) {
			return "", false
		}
		st, err := os.Stat(resolved)
		return resolved, err == nil && st.IsDir()
	}
	for _, in := range inputs {
		name := gdalName(in)
		if isRemote(name) {
			add(name)
			continue
		}
		if base := filepath.Base(name); strings.ContainsAny(base, "*?[") {
			dir := filepath.Dir(name)
			if _, err := filepath.Match(base, ""); err != nil {
				return nil, invalidParam("inputRasters", fmt.Sprintf("bad pattern %q", in))
			}
			if !strings.ContainsAny(dir, "*?[") {
				// A filter such as /data/*.tif matches in subfolders too,
				// as ArcGIS's filter does with sub_folder on.
				resolved, ok := dirOf(dir)
				if !ok {
					continue // nothing matches outside the stores
				}
				err := walk(resolved, dir, func(p string, d fs.DirEntry) bool {
					ok, _ := matchGlob(base, p)
					return ok
				})
				if err != nil {
					return nil, err
				}
				continue
			}
			matches, err := filepath.Glob(name)
			if err != nil {
				return nil, invalidParam("inputRasters", fmt.Sprintf("bad pattern %q", in))
			}
			for _, m := range matches {
				if _, err := raster.Check(ctx, m); err != nil {
					continue // outside the stores: not listed
				}
				if o.Filter.Match(m) {
					add(m)
				}
			}
			continue
		}
		resolved, ok := dirOf(name)
		if !ok {
			add(name)
			continue
		}
		if err := walk(resolved, name, func(p string, d fs.DirEntry) bool {
			return rasterExts[strings.ToLower(filepath.Ext(p))]
		}); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// ingestStats counts an ingest.
type ingestStats struct {
	Total, Failed int
	Staged        int // items read and set aside for the final transaction
	Batches       int
	done          int // sources read so far
	doneBatch     int // sources read when the last batch was staged
}

// prepareFunc returns, inside a transaction, the collection to add to; it
// may create it (CreateImageCollection).
type prepareFunc func(tx mosaic.Tx) (*mosaic.Collection, error)

// resultFunc adds task-specific keys to the job's result value.
type resultFunc func(c *mosaic.Collection, v map[string]any)

// ingest adds o's rasters to c. Rasters are inspected by a worker pool
// sized to the cores; items are staged in batches, each reported in a
// message, and all commit in the transaction that records the job's
// success, with one audit entry. A job in which every raster fails fails;
// with o.Strict the first failure fails it. prepare returns the
// collection inside the final transaction (and may create it).
func ingest(ctx context.Context, r *Run, c *mosaic.Collection, o *addOptions, prepare prepareFunc, extra resultFunc) error {
	if len(o.Ignored) > 0 {
		if err := r.Log(ctx, mosaic.Info("Ignored unknown options: "+strings.Join(o.Ignored, ", ")+".")); err != nil {
			return err
		}
	}
	r.Progress(0, "Listing rasters")
	var (
		sources []source
		tbl     *manifest
		err     error
	)
	if o.Table != nil {
		if tbl, err = readManifests(ctx, o, c); err != nil {
			return err
		}
		sources = tbl.sources()
		if len(tbl.Notes) > 0 {
			if err := r.Log(ctx, tbl.Notes...); err != nil {
				return err
			}
		}
	} else {
		names, err := expandSources(ctx, o.Sources, o)
		if err != nil {
			return err
		}
		sources = make([]source, len(names))
		for i, n := range names {
			sources[i] = source{Path: n}
		}
	}
	st := ingestStats{Total: len(sources)}
	if err := r.Log(ctx, mosaic.Info(fmt.Sprintf("Adding %d rasters to %s.", len(sources), c.Name))); err != nil {
		return err
	}

	target, err := targetSRS(c, o)
	if err != nil {
		return err
	}
	if !c.SRS.IsZero() && o.OutSR != "" {
		if err := r.Log(ctx, mosaic.Info(fmt.Sprintf("outSR is ignored: %s already has a spatial reference.", c.Name))); err != nil {
			return err
		}
	}
	fields := append([]mosaic.Field(nil), c.Fields...)
	if tbl != nil {
		fields = append(fields, tbl.NewFields...)
	}
	b := &builder{ctx: ctx, fields: fields, opts: o, target: target}
	b.inspect = b.options()

	pctx, stop := context.WithCancel(ctx)
	defer stop()
	var first []outcome
	if target.IsZero() {
		// The collection takes the first readable raster's spatial
		// reference: read in order until one is found.
		for len(sources) > 0 {
			out := b.run(sources[0])
			sources = sources[1:]
			first = append(first, out)
			if out.err == nil {
				b.target = out.srs
				break
			}
		}
		target = b.target
	}
	results := newPipeline(pctx, sources, b, 2*o.BatchSize)

	var (
		batch    []*mosaic.Item
		pending  []mosaic.JobMessage
		warned   int
		failures []string // in strict mode, why the job fails
		staged   = &stage{jobID: r.ID()}
	)
	defer staged.remove()
	// stageBatch sets a full batch aside until the final transaction, and
	// reports it.
	stageBatch := func() error {
		if err := staged.write(batch); err != nil {
			return err
		}
		st.Batches++
		st.Staged += len(batch)
		msgs := append(pending, mosaic.Info(fmt.Sprintf("Batch %d read: %d items staged (rasters %d–%d of %d); they are added when the job succeeds.",
			st.Batches, len(batch), st.doneBatch+1, st.done, st.Total)))
		st.doneBatch = st.done
		pending, batch = nil, batch[:0]
		return r.Log(ctx, msgs...)
	}
	fail := func(out outcome) {
		st.Failed++
		why := fmt.Sprintf("Failed to add %s: %s.", out.src.label(), reason(out.err))
		if o.Strict {
			failures = append(failures, why)
			return
		}
		if warned < maxWarnings {
			pending = append(pending, mosaic.Warning(why))
			warned++
		}
	}

	next := func() (outcome, bool) {
		if len(first) > 0 {
			out := first[0]
			first = first[1:]
			return out, true
		}
		return results.Next()
	}
	for {
		out, ok := next()
		if !ok {
			break
		}
		st.done++
		r.Progress(st.done*100/max(1, st.Total), "Read %d of %d rasters; %d readable, %d failed", st.done, st.Total,
			st.Staged+len(batch), st.Failed)
		if out.err != nil {
			fail(out)
			if o.Strict {
				break // strict: the first failure fails the job
			}
			continue
		}
		batch = append(batch, out.item)
		if len(batch) >= o.BatchSize {
			if err := stageBatch(); err != nil {
				return stopped(ctx, r, err)
			}
		}
	}
	if err := ctx.Err(); err != nil {
		return stopped(ctx, r, err)
	}
	if warned < st.Failed && !o.Strict {
		pending = append(pending, mosaic.Warning(fmt.Sprintf("%d more rasters failed; they are not listed.", st.Failed-warned)))
	}
	lctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
	defer cancel()
	if o.Strict && len(failures) > 0 {
		_ = r.Log(lctx, mosaic.Info(fmt.Sprintf("Stopped at the first failure (strict) after reading %d of %d rasters: %d readable, 1 failed; nothing was added.",
			st.done, st.Total, st.Staged+len(batch))))
		return mosaic.Errorf(mosaic.EINVALID, "%s Nothing was added (strict).", failures[0])
	}
	if st.Total > 0 && st.Failed == st.Total {
		// Nothing could be read: a failed job, with every reason listed.
		_ = r.Log(lctx, pending...)
		return mosaic.Errorf(mosaic.EINVALID, "None of the %d rasters could be added; nothing was changed.", st.Total).
			WithDetails("The warnings above say why each one failed.")
	}
	if len(batch) > 0 {
		st.Batches++
		st.Staged += len(batch)
	}

	// commit adds every staged item, in the job's final transaction. The
	// collection's spatial reference and any new fields of a manifest are
	// set in it too, and only when an item is added: an ingest that adds
	// nothing changes nothing (withItems false).
	commit := func(tx mosaic.Tx, withItems bool) (*mosaic.Collection, mosaic.AddResult, error) {
		var total mosaic.AddResult
		cur, err := prepare(tx)
		if err != nil || !withItems || st.Staged == 0 {
			return cur, total, err
		}
		if cur.SRS.IsZero() && !target.IsZero() {
			cur.SRS = mosaic.SpatialRef{WKID: target.EPSG, WKT: target.WKT}
			if err := tx.SetCollectionSRS(cur); err != nil {
				return nil, total, err
			}
		}
		if tbl != nil && len(tbl.NewFields) > 0 {
			if err := tx.AddFields(cur, tbl.NewFields); err != nil {
				return nil, total, err
			}
		}
		add := func(items []*mosaic.Item) error {
			if err := ctx.Err(); err != nil {
				return err
			}
			res, err := tx.AddItems(cur, items, mosaic.AddOptions{Duplicates: o.Duplicates})
			total.Added += res.Added
			total.Skipped += res.Skipped
			total.Overwritten += res.Overwritten
			return err
		}
		if err := staged.each(add); err != nil {
			return nil, total, err
		}
		if len(batch) > 0 {
			if err := add(batch); err != nil {
				return nil, total, err
			}
		}
		if total.Added+total.Overwritten == 0 {
			return nil, total, errNothingAdded
		}
		if err := tx.Audit(mosaic.AuditEntry{User: r.Job().Owner, Action: "add", Collection: cur.Name,
			JobID: r.ID(), Count: int64(total.Added), Detail: fmt.Sprintf("%d batches", st.Batches)}); err != nil {
			return nil, total, err
		}
		return cur, total, nil
	}
	finish := func(withItems bool, skipped int) (mosaic.AddResult, error) {
		var res mosaic.AddResult
		err := r.Finish(ctx, func(tx mosaic.Tx) (map[string]mosaic.JobResult, []mosaic.JobMessage, error) {
			cur, got, err := commit(tx, withItems)
			res = got
			if err != nil {
				return nil, nil, err
			}
			if !withItems {
				res.Skipped = skipped
			}
			*c = *cur
			msgs := pending
			if res.Added+res.Overwritten > 0 {
				m := fmt.Sprintf("Committed %d items in one transaction", res.Added)
				if res.Skipped > 0 {
					m += fmt.Sprintf(", %d duplicates skipped", res.Skipped)
				}
				if res.Overwritten > 0 {
					m += fmt.Sprintf(", %d duplicates replaced", res.Overwritten)
				}
				msgs = append(msgs, mosaic.Info(m+"."))
			}
			msgs = append(msgs, mosaic.Info(fmt.Sprintf("Total %d rasters: %d added, %d skipped as duplicates, %d failed. %s now has %d items.",
				st.Total, res.Added, res.Skipped, st.Failed, c.Name, c.Summary.Count)))
			v := map[string]any{"total": st.Total, "added": res.Added, "skipped": res.Skipped, "failed": st.Failed,
				"overwritten": res.Overwritten, "batches": st.Batches}
			if extra != nil {
				extra(c, v)
			}
			return urlResult(r.ServiceURL(c.Name), v), msgs, nil
		})
		return res, err
	}
	res, err := finish(true, 0)
	if errors.Is(err, errNothingAdded) {
		// Every item was a duplicate left out: commit the job's end alone,
		// without the fields or spatial reference the items would have set.
		res, err = finish(false, res.Skipped)
	}
	if err != nil {
		return stopped(ctx, r, err)
	}
	if o.UpdateBoundary && res.Added+res.Overwritten > 0 {
		r.AfterCommit(refreshBoundary(c.Name))
	}
	return nil
}

// errNothingAdded rolls back a final transaction in which every item was
// a duplicate left out, so that it is made again without schema changes.
var errNothingAdded = errors.New("tasks: no item added")

// stopped records, in a transaction of its own, that a job that stops
// early added nothing, and returns err.
func stopped(ctx context.Context, r *Run, err error) error {
	lctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
	defer cancel()
	_ = r.Log(lctx, mosaic.Info("Stopped. Items are added only when the job succeeds, so nothing was added.")) // the job may be gone; the error below matters
	return err
}

// targetSRS is the spatial reference items are stored in: the
// collection's, else outSR, else zero (the first raster's).
func targetSRS(c *mosaic.Collection, o *addOptions) (raster.SRS, error) {
	if !c.SRS.IsZero() {
		t, err := raster.LookupSRS(c.SRS.WKID, c.SRS.WKT)
		if err != nil {
			return t, fmt.Errorf("collection spatial reference: %w", err)
		}
		return t, nil
	}
	if o.OutSR != "" {
		t, err := raster.ParseSRS(o.OutSR)
		if err != nil {
			return t, invalidParam("context", fmt.Sprintf("outSR %q is not a known spatial reference", o.OutSR))
		}
		return t, nil
	}
	return raster.SRS{}, nil
}

// outcome is one source, inspected and built into an item, or why not.
type outcome struct {
	src  source
	item *mosaic.Item
	srs  raster.SRS // the raster's own
	err  error
}

// builder turns sources into items. It is safe for concurrent use.
type builder struct {
	ctx     context.Context // carries the data stores (raster.WithStores)
	fields  []mosaic.Field
	opts    *addOptions
	target  raster.SRS // zero until known
	inspect []raster.InspectOption
}

func (b *builder) options() []raster.InspectOption {
	var opts []raster.InspectOption
	if b.opts.BuildFootprints {
		opts = append(opts, raster.ValidDataFootprint())
	}
	if b.opts.ComputeStats {
		opts = append(opts, raster.Statistics())
	}
	if b.opts.NoData != nil {
		opts = append(opts, raster.NoData(*b.opts.NoData))
	}
	return opts
}

func (b *builder) run(src source) outcome {
	out := outcome{src: src}
	if src.err != nil {
		out.err = src.err
		return out
	}
	info, err := raster.Inspect(b.ctx, src.Path, b.inspect...)
	if err != nil {
		out.err = err
		return out
	}
	out.srs = info.SRS
	target := b.target
	if target.IsZero() {
		target = info.SRS
	}
	out.item, out.err = buildItem(b.fields, src, info, target, b.opts)
	return out
}

// pipeline inspects sources with one worker per core and yields outcomes
// in input order. At most window sources are read ahead of the consumer,
// so memory stays bounded whatever the input size.
type pipeline struct {
	ctx  context.Context
	n    int
	next int
	ring []chan outcome
	sem  chan struct{}
}

func newPipeline(ctx context.Context, sources []source, b *builder, window int) *pipeline {
	window = max(window, 1)
	p := &pipeline{ctx: ctx, n: len(sources), ring: make([]chan outcome, window), sem: make(chan struct{}, window)}
	for i := range p.ring {
		p.ring[i] = make(chan outcome, 1)
	}
	jobs := make(chan int)
	go func() {
		defer close(jobs)
		for i := range sources {
			select {
			case p.sem <- struct{}{}:
			case <-ctx.Done():
				return
			}
			select {
			case jobs <- i:
			case <-ctx.Done():
				return
			}
		}
	}()
	for range runtime.GOMAXPROCS(0) {
		go func() {
			for i := range jobs {
				// The slot is free: the consumer took result i-window
				// before the semaphore let i in.
				p.ring[i%window] <- b.run(sources[i])
			}
		}()
	}
	return p
}

// Next returns the next outcome in input order; false when all are
// returned or the context ended.
func (p *pipeline) Next() (outcome, bool) {
	if p.next >= p.n {
		return outcome{}, false
	}
	select {
	case out := <-p.ring[p.next%len(p.ring)]:
		p.next++
		<-p.sem
		return out, true
	case <-p.ctx.Done():
		return outcome{}, false
	}
}

// reprojectError reports a footprint that cannot be reprojected.
type reprojectError struct {
	to  raster.SRS
	err error
}

// Error says why without PROJ's text, which may quote the raster's own
// coordinate system.
func (e *reprojectError) Error() string {
	why := "no transformation applies"
	switch {
	case e.err == nil:
	case strings.Contains(e.err.Error(), "outside of projection domain"), strings.Contains(e.err.Error(), "Reprojection failed"):
		why = "it lies outside the projection's domain"
	case strings.Contains(e.err.Error(), "not a polygon"):
		why = "the reprojected footprint is not a polygon"
	}
	return fmt.Sprintf("it cannot be reprojected to the collection's spatial reference (%s): %s", srsName(e.to), why)
}

func (e *reprojectError) Unwrap() error { return e.err }

func srsName(s raster.SRS) string {
	if s.EPSG != 0 {
		return "EPSG:" + strconv.Itoa(s.EPSG)
	}
	if len(s.WKT) > 40 {
		return s.WKT[:40] + "…"
	}
	return s.WKT
}

// reason says in a few words why a raster failed. GDAL's own texts are
// not passed on, since they may quote the file (an XML element's name, a
// header line) and a path from a manifest may be any text: the phrases
// of gdalPhrases stand for them, and a generic one for the rest.
func reason(err error) string {
	var re *reprojectError
	var me *mosaic.Error
	switch {
	case errors.As(err, &re):
		return re.Error()
	case errors.As(err, &me):
		return strings.TrimSuffix(me.Message, ".")
	case errors.Is(err, raster.ErrNoStores):
		return "no data store is registered (tessera serve --data-store)"
	case errors.Is(err, raster.ErrNotInStore):
		return "it is " + raster.ErrNotInStore.Error()
	case errors.Is(err, raster.ErrForbiddenSource):
		return raster.ErrForbiddenSource.Error()
	case errors.Is(err, context.Canceled), errors.Is(err, context.DeadlineExceeded):
		return "reading it was stopped"
	case errors.Is(err, fs.ErrNotExist):
		return "the file does not exist"
	case errors.Is(err, fs.ErrPermission):
		return "permission denied"
	case errors.Is(err, raster.ErrNoSRS):
		return "it has no spatial reference (no geotransform or no coordinate system)"
	case errors.Is(err, raster.ErrNotRaster):
		return "GDAL cannot read it as a raster" + gdalPhrase(err.Error())
	}
	return "GDAL cannot read it" + gdalPhrase(err.Error())
}

// gdalPhrases map GDAL error texts onto words of tessera's own that say
// nothing of the file's contents. Every failure to reach a remote file
// reads the same, so that messages cannot tell a closed port from an open
// one, or a missing file from a forbidden one.
var gdalPhrases = []struct{ text, say string }{
	{"does not exist in the file system", unreachable},
	{"HTTP response code", unreachable},
	{"CURL error", unreachable},
	{"not recognized as a supported file format", "its format is not supported"},
	{"no raster bands", "it has no raster bands"},
	{"Parse error", "it is malformed"},
	{"IReadBlock failed", "a block of pixels cannot be read"},
	{"TIFFRead", "a block of pixels cannot be read"},
	{"Permission denied", "permission denied"},
}

const unreachable = "it does not exist or cannot be reached"

// gdalPhrase is ": " and the phrase for GDAL's text msg, or "".
func gdalPhrase(msg string) string {
	for _, p := range gdalPhrases {
		if strings.Contains(msg, p.text) {
			return ": " + p.say
		}
	}
	return ""
}

// buildItem turns a raster's description into a catalog item in target.
func buildItem(fields []mosaic.Field, src source, info *raster.Info, target raster.SRS, o *addOptions) (*mosaic.Item, error) {
	if info.SRS.IsZero() {
		return nil, raster.ErrNoSRS
	}
	if len(info.Footprint) == 0 || len(info.Footprint[0]) < 4 {
		return nil, mosaic.Errorf(mosaic.EINVALID, "It has no valid pixels, so no footprint.")
	}
	fp := info.Footprint
	cellX, cellY, coarse := info.CellSizeX, info.CellSizeY, info.CoarsestCellSize
	if !spatialRef(info.SRS).Equal(spatialRef(target)) {
		g, err := raster.Transform(info.Footprint, info.SRS, target)
		if err != nil {
			return nil, &reprojectError{to: target, err: errors.Unwrap(err)}
		}
		p, ok := g.(orb.Polygon)
		if !ok || len(p) == 0 {
			return nil, &reprojectError{to: target, err: errors.New("the footprint is not a polygon")}
		}
		// Scale cell sizes by the ratio of the reprojected to native extent.
		nb, tb := info.Footprint.Bound(), p.Bound()
		if w := nb.Max[0] - nb.Min[0]; w > 0 {
			s := (tb.Max[0] - tb.Min[0]) / w
			cellX, coarse = cellX*s, coarse*s
		}
		if h := nb.Max[1] - nb.Min[1]; h > 0 {
			cellY *= (tb.Max[1] - tb.Min[1]) / h
		}
		fp = p
	}
	if coarse <= 0 {
		coarse = cellX
	}
	bound := fp.Bound()
	center := bound.Center()
	attrs := make(map[string]any, 12)
	attrs[mosaic.FieldNameName] = itemName(src.Path)
	attrs[mosaic.FieldNameLowPS] = math.Min(cellX, cellY)
	attrs[mosaic.FieldNameHighPS] = coarse
	attrs[mosaic.FieldNameCategory] = int64(mosaic.CategoryPrimary)
	attrs[mosaic.FieldNameTag] = "Dataset"
	attrs[mosaic.FieldNameCenterX] = center[0]
	attrs[mosaic.FieldNameCenterY] = center[1]
	if o.UpdateCellSizes {
		attrs[mosaic.FieldNameMinPS] = 0.0
		attrs[mosaic.FieldNameMaxPS] = coarse * maxRangeFactor
	}
	mapMetadata(fields, info.Metadata, attrs)
	if src.Row != nil {
		for k, v := range src.Row.Values { // the manifest wins
			attrs[k] = v
		}
	}
	ri := mosaic.RasterInfo{
		Driver: info.Driver, Width: info.Width, Height: info.Height, Bands: info.Bands,
		PixelType: info.PixelType, NoData: info.NoData, GeoTransform: info.GeoTransform,
		CellSizeX: info.CellSizeX, CellSizeY: info.CellSizeY, Overviews: info.Overviews,
		SRS: mosaic.SpatialRef{WKID: info.SRS.EPSG},
	}
	if info.SRS.EPSG == 0 {
		ri.SRS.WKT = info.SRS.WKT // the EPSG code, when known, says it all
	}
	for _, s := range info.Stats {
		ri.Stats = append(ri.Stats, mosaic.BandStats(s))
	}
	return &mosaic.Item{Path: src.Path, Footprint: fp, Attributes: attrs, Raster: ri}, nil
}

// itemName is the file name without its extension; for URLs, without the
// query string.
func itemName(p string) string {
	if i := strings.IndexAny(p, "?#"); i >= 0 && isRemote(p) {
		p = p[:i]
	}
	base := path.Base(filepath.ToSlash(p))
	return strings.TrimSuffix(base, path.Ext(base))
}

// footprintFields are computed from the footprint or by the catalog; no
// metadata or manifest value overrides them.
var footprintFields = map[string]bool{"objectid": true, "shape": true, "shape_area": true, "shape_length": true,
	"centerx": true, "centery": true, "path": true}

// rasterFields are computed from the raster; GDAL metadata never overrides
// them, a manifest may.
var rasterFields = map[string]bool{"lowps": true, "highps": true, "minps": true, "maxps": true}

// mapMetadata copies GDAL metadata items onto catalog fields with the same
// name (case-insensitively), converting values to the field's type.
func mapMetadata(fields []mosaic.Field, md map[string]string, attrs map[string]any) {
	if len(md) == 0 {
		return
	}
	keys := make([]string, 0, len(md))
	for k := range md {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		f, ok := fieldNamed(fields, k)
		if !ok || footprintFields[strings.ToLower(f.Name)] || rasterFields[strings.ToLower(f.Name)] {
			continue
		}
		if v, ok := convertText(f.Type, md[k]); ok {
			attrs[f.Name] = v
		}
	}
}

func fieldNamed(fields []mosaic.Field, name string) (mosaic.Field, bool) {
	for _, f := range fields {
		if strings.EqualFold(f.Name, name) {
			return f, true
		}
	}
	return mosaic.Field{}, false
}

// convertText parses text as a field type.
func convertText(t mosaic.FieldType, s string) (any, bool) {
	s = strings.TrimSpace(s)
	if s == "" {
		return nil, false
	}
	switch t {
	case mosaic.FieldString:
		return s, true
	case mosaic.FieldInteger:
		if n, err := strconv.ParseInt(s, 10, 64); err == nil {
			return n, true
		}
		if f, err := strconv.ParseFloat(s, 64); err == nil && f == math.Trunc(f) && math.Abs(f) < 1<<53 {
			return int64(f), true
		}
	case mosaic.FieldDouble:
		if f, err := strconv.ParseFloat(s, 64); err == nil && !math.IsNaN(f) && !math.IsInf(f, 0) {
			return f, true
		}
	case mosaic.FieldDate:
		if t, ok := mosaic.ParseDate(s); ok {
			return t, true
		}
	}
	return nil, false
}

// spatialRef is s as the catalog stores spatial references.
func spatialRef(s raster.SRS) mosaic.SpatialRef { return mosaic.SpatialRef{WKID: s.EPSG, WKT: s.WKT} }
