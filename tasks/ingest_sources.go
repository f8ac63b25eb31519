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
	"sync/atomic"

	"github.com/tessera-gis/tessera/mosaic"
	"github.com/tessera-gis/tessera/raster"
)

// The sources of an ingest: the rasters named by inputs (files, folders,
// globs, URLs) or by the rows of Table manifests. Listing streams: a
// sourceSet counts its sources first and then yields them one at a time,
// so an ingest never holds every name or row in memory, whatever the size
// of the folder or manifest.

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

// sourceSet is what an ingest reads: how many sources there are, known
// before any is read, and a scan that yields them in order, one at a
// time. A scan may run more than once; it stops early when yield returns
// false, and returns why it could not go on (a manifest that changed, a
// cancelled context).
type sourceSet struct {
	total     int
	newFields []mosaic.Field      // fields a manifest adds to the collection
	notes     []mosaic.JobMessage // what a manifest mapped, added or ignored
	scan      func(ctx context.Context, yield func(source) bool) error
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
// either way.
//
// A first walk counts the names and keeps them while there are at most
// keptNames; past that, the listing streams: a second walk yields them,
// and neither keeps them. Several inputs that overlap list each file once:
// their names are remembered by a 128-bit hash.
func expandSources(ctx context.Context, inputs []string, o *addOptions) (*sourceSet, error) {
	l := &lister{ctx: ctx, inputs: inputs, o: o, seed1: maphash.MakeSeed(), seed2: maphash.MakeSeed()}
	n := 0
	var kept []source
	if err := l.each(func(src source) bool {
		n++
		if n <= int(keptNames.Load()) {
			kept = append(kept, src)
		} else {
			kept = nil
		}
		return true
	}); err != nil {
		return nil, err
	}
	if kept != nil || n == 0 {
		return sourceSlice(kept), nil
	}
	return &sourceSet{total: n, scan: func(ctx context.Context, yield func(source) bool) error {
		l := *l
		l.ctx = ctx
		return l.each(yield)
	}}, nil
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
