package tasks

import (
	"context"
	"fmt"
	"hash/maphash"
	"io/fs"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/tessera-gis/tessera/mosaic"
	"github.com/tessera-gis/tessera/raster"
)

// The sources of an ingest: the rasters named by inputs (files, folders,
// globs, URLs) or by the rows of Table manifests. Listing streams: a
// sourceSet counts its sources and yields them one at a time, so an
// ingest never holds every name or row in memory, whatever the size of
// the folder or manifest. Folders are walked in the background: their
// first rasters are read while the walk goes on.

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
	Path   string          // as GDAL opens it
	Row    *tableRow       // the manifest row, for the Table raster type
	err    error           // set when the row itself is bad
	listed *raster.Listing // its folder as the listing saw it, for a file found in a folder
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

// sourceSet is what an ingest reads: how many sources there are (count),
// and a scan that yields them in order, one at a time. A scan may run
// more than once, and may start before the count is known; it stops early
// when yield returns false, and returns why it could not go on (a manifest
// that changed, a cancelled context).
type sourceSet struct {
	total     int                                    // the count, unless counted says it
	counted   func(ctx context.Context) (int, error) // nil, or waits for the count
	stop      func()                                 // nil, or ends a walk still going
	newFields []mosaic.Field                         // fields a manifest adds to the collection
	notes     []mosaic.JobMessage                    // what a manifest mapped, added or ignored
	scan      func(ctx context.Context, yield func(source) bool) error
}

// count returns how many sources the set has, once it is known.
func (s *sourceSet) count(ctx context.Context) (int, error) {
	if s.counted == nil {
		return s.total, nil
	}
	return s.counted(ctx)
}

// listSources lists o's rasters: the rows of its manifests for the Table
// raster type, else the files, folders, globs and URLs it names.
func listSources(ctx context.Context, o *addOptions, c *mosaic.Collection) (*sourceSet, error) {
	if o.Table != nil {
		return readManifests(ctx, o, c)
	}
	return expandSources(ctx, o.Sources, o)
}

// sourceSlice is a sourceSet of sources already in memory.
func sourceSlice(srcs []source) *sourceSet {
	return &sourceSet{total: len(srcs), scan: func(ctx context.Context, yield func(source) bool) error {
		for _, s := range srcs {
			if !yield(s) {
				break
			}
		}
		return ctx.Err()
	}}
}

// collect runs a set's scan and returns every source, for tests and small
// sets.
func (s *sourceSet) collect(ctx context.Context) ([]source, error) {
	var out []source
	err := s.scan(ctx, func(src source) bool {
		out = append(out, src)
		return true
	})
	return out, err
}

// expandSources turns inputs into raster names: directories are walked
// (recursively unless subFolders is false), globs expanded, URLs mapped to
// GDAL's virtual file systems. Only the data stores of ctx are listed: a
// folder or glob outside them lists nothing, and each entry found is
// checked again when it is read. An input that is not inside a store
// (or does not exist) is kept, to fail as one item with the same message
// either way. A bad pattern is an error here, before anything is walked.
//
// The walk runs in the background (see walking): it counts the names and
// keeps them while there are at most keptNames, and a scan yields them as
// they come. Past keptNames the listing streams: the scan yields the kept
// names, then walks again for the rest, and neither walk keeps them.
// Several inputs that overlap list each file once: their names are
// remembered by a 128-bit hash.
func expandSources(ctx context.Context, inputs []string, o *addOptions) (*sourceSet, error) {
	for _, in := range inputs {
		if err := checkPattern(in); err != nil {
			return nil, err
		}
	}
	ctx, cancel := context.WithCancel(ctx)
	l := &lister{ctx: ctx, inputs: inputs, o: o, seed1: maphash.MakeSeed(), seed2: maphash.MakeSeed()}
	w := &walking{ready: make(chan struct{}, 1), done: make(chan struct{}), keep: int(keptNames.Load())}
	go w.walk(l)
	return &sourceSet{total: -1, counted: w.count, stop: cancel, scan: func(ctx context.Context, yield func(source) bool) error {
		return w.scan(ctx, l, yield)
	}}, nil
}

// checkPattern returns the error a listing of in gives for a bad
// wildcard pattern, if any.
func checkPattern(in string) error {
	name := gdalName(in)
	if isRemote(name) || !strings.ContainsAny(filepath.Base(name), "*?[") {
		return nil
	}
	if _, err := filepath.Match(filepath.Base(name), ""); err != nil {
		return invalidParam("inputRasters", fmt.Sprintf("bad pattern %q", in))
	}
	if _, err := filepath.Match(name, ""); err != nil && strings.ContainsAny(filepath.Dir(name), "*?[") {
		return invalidParam("inputRasters", fmt.Sprintf("bad pattern %q", in))
	}
	return nil
}

// walking is a listing that runs in a goroutine of its own, so that the
// rasters it finds first can be read while it goes on. It keeps the
// sources it finds, up to keep of them.
type walking struct {
	keep  int
	ready chan struct{} // a token when sources were added
	done  chan struct{} // closed when the walk has ended

	mu   sync.Mutex
	srcs []source // the first keep sources found
	n    int      // sources found
	err  error    // why the walk stopped early; set before done closes
}

// walkSignal is how many sources the walk finds between two signals to a
// waiting scan.
const walkSignal = 64

func (w *walking) walk(l *lister) {
	defer close(w.done)
	err := l.each(func(src source) bool {
		w.mu.Lock()
		w.n++
		if w.n <= w.keep {
			w.srcs = append(w.srcs, src)
		}
		n := w.n
		w.mu.Unlock()
		if n%walkSignal == 0 {
			w.signal()
		}
		return true
	})
	w.mu.Lock()
	w.err = err
	w.mu.Unlock()
	w.signal()
}

func (w *walking) signal() {
	select {
	case w.ready <- struct{}{}:
	default:
	}
}

// count waits for the walk to end and returns how many sources it found.
func (w *walking) count(ctx context.Context) (int, error) {
	select {
	case <-w.done:
	case <-ctx.Done():
		return 0, ctx.Err()
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.n, w.err
}

// scan yields the walk's sources as they are found. Past keep, it walks
// again (with l, in ctx) and yields what the first keep did not hold.
func (w *walking) scan(ctx context.Context, l *lister, yield func(source) bool) error {
	i := 0
	for {
		w.mu.Lock()
		srcs, n, err := w.srcs[i:], w.n, w.err
		w.mu.Unlock()
		select {
		case <-w.done:
			// Everything found is counted: nothing is added after done.
			w.mu.Lock()
			srcs, n, err = w.srcs[i:], w.n, w.err
			w.mu.Unlock()
			for _, s := range srcs {
				if !yield(s) {
					return ctx.Err()
				}
			}
			i += len(srcs)
			if err != nil {
				return err
			}
			if n > w.keep {
				return w.rest(ctx, l, i, yield)
			}
			return ctx.Err()
		default:
		}
		for _, s := range srcs {
			if !yield(s) {
				return ctx.Err()
			}
		}
		i += len(srcs)
		if len(srcs) == 0 {
			if i >= w.keep && n > w.keep {
				return w.rest(ctx, l, i, yield)
			}
			select {
			case <-w.ready:
			case <-w.done:
			case <-ctx.Done():
				return ctx.Err()
			}
		}
	}
}

// rest walks again and yields the sources the first kept ones (the first
// kept of w.srcs) do not hold.
func (w *walking) rest(ctx context.Context, l *lister, kept int, yield func(source) bool) error {
	w.mu.Lock()
	srcs := w.srcs[:kept]
	w.mu.Unlock()
	seen := make(map[[2]uint64]struct{}, kept)
	for _, s := range srcs {
		seen[[2]uint64{maphash.String(l.seed1, s.Path), maphash.String(l.seed2, s.Path)}] = struct{}{}
	}
	again := *l
	again.ctx = ctx
	return again.each(func(s source) bool {
		if _, ok := seen[[2]uint64{maphash.String(l.seed1, s.Path), maphash.String(l.seed2, s.Path)}]; ok {
			return true
		}
		return yield(s)
	})
}

// keptNames is how many names a listing keeps from its first walk (a few
// MiB), so that an ingest of that many files walks its folders once.
// Tests lower it.
var keptNames atomic.Int64

func init() { keptNames.Store(100000) }

// lister walks the inputs of an ingest.
type lister struct {
	ctx          context.Context
	inputs       []string
	o            *addOptions
	seed1, seed2 maphash.Seed
}

// errStopList ends a walk when the consumer wants no more.
var errStopList = fmt.Errorf("tasks: listing stopped")

// each calls add with every source, once, in order, until add returns
// false.
func (l *lister) each(add func(source) bool) error {
	ctx, o := l.ctx, l.o
	stores := raster.StoresFrom(ctx)
	var seen map[[2]uint64]struct{}
	if len(l.inputs) > 1 {
		seen = map[[2]uint64]struct{}{}
	}
	emit := func(src source) error {
		if seen != nil {
			s := src.Path
			k := [2]uint64{maphash.String(l.seed1, s), maphash.String(l.seed2, s)}
			if _, dup := seen[k]; dup {
				return nil
			}
			seen[k] = struct{}{}
		}
		if !add(src) {
			return errStopList
		}
		return nil
	}
	// walk lists root (a checked, resolved folder) and reports entries
	// under the name the caller gave (given), so paths stay as typed. It
	// visits entries in lexical order, as filepath.WalkDir does, but reads
	// each folder in full before its first entry is reported, so that the
	// source carries what the folder held (raster.Listing): reading it
	// then finds its sidecars without a system call per candidate name.
	var walk func(dir, root, given string, match func(p string) bool) error
	walk = func(dir, root, given string, match func(p string) bool) error {
		entries, _ := os.ReadDir(dir) // unreadable folders are skipped; a partial read lists what it read
		listing := raster.NewListing(dir)
		for _, d := range entries {
			listing.Add(d.Name())
		}
		for _, d := range entries {
			if err := ctx.Err(); err != nil {
				return err
			}
			p := dir + "/" + d.Name() // dir is clean, the name one element
			if strings.HasSuffix(dir, "/") {
				p = dir + d.Name()
			}
			if d.IsDir() {
				if o.SubFolders {
					if err := walk(p, root, given, match); err != nil {
						return err
					}
				}
				continue
			}
			name := p
			if given != root {
				name = filepath.Join(given, strings.TrimPrefix(p, root))
			}
			if !match(name) || !o.Filter.Match(name) {
				continue
			}
			// The walk does not follow links: an entry that is not one
			// lies where it was found, so only the server's own files
			// need excluding; a link is resolved and checked in full.
			src := source{Path: name}
			if d.Type()&fs.ModeSymlink != 0 {
				if _, err := raster.Check(ctx, name); err != nil {
					continue // a link out of the stores
				}
			} else if !stores.ContainsResolved(p) {
				continue // the server's own files
			} else {
				src.listed = listing
			}
			if err := emit(src); err != nil {
				return err
			}
		}
		return nil
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
	list := func(in string) error {
		name := gdalName(in)
		if isRemote(name) {
			return emit(source{Path: name})
		}
		if base := filepath.Base(name); strings.ContainsAny(base, "*?[") {
			dir := filepath.Dir(name)
			if _, err := filepath.Match(base, ""); err != nil {
				return invalidParam("inputRasters", fmt.Sprintf("bad pattern %q", in))
			}
			if !strings.ContainsAny(dir, "*?[") {
				// A filter such as /data/*.tif matches in subfolders too,
				// as ArcGIS's filter does with sub_folder on.
				resolved, ok := dirOf(dir)
				if !ok {
					return nil // nothing matches outside the stores
				}
				return walk(resolved, resolved, dir, func(p string) bool {
					ok, _ := matchGlob(base, p)
					return ok
				})
			}
			matches, err := filepath.Glob(name)
			if err != nil {
				return invalidParam("inputRasters", fmt.Sprintf("bad pattern %q", in))
			}
			for _, m := range matches {
				if _, err := raster.Check(ctx, m); err != nil {
					continue // outside the stores: not listed
				}
				if o.Filter.Match(m) {
					if err := emit(source{Path: m}); err != nil {
						return err
					}
				}
			}
			return nil
		}
		resolved, ok := dirOf(name)
		if !ok {
			return emit(source{Path: name})
		}
		return walk(resolved, resolved, name, func(p string) bool {
			return rasterExts[strings.ToLower(filepath.Ext(p))]
		})
	}
	for _, in := range l.inputs {
		if err := list(in); err != nil {
			if err == errStopList {
				return nil
			}
			return err
		}
	}
	return nil
}
