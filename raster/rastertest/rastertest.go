/*
Package rastertest helps tests in other packages: it writes small GeoTIFFs
with known properties and proves that source files were left untouched.

	src := rastertest.GeoTIFF(t, filepath.Join(t.TempDir(), "a.tif"),
		rastertest.Size(64, 32), rastertest.NoData(0), rastertest.NoDataBorder(4))
	before := rastertest.Checksums(t, src)
	// … exercise code that reads src …
	before.AssertUnchanged(t)
*/
package rastertest

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/airbusgeo/godal"
)

type spec struct {
	w, h      int
	bands     int
	pixelType string
	epsg      int
	gt        [6]float64
	noGT      bool
	nodata    *float64
	border    int
	alpha     bool
	nbits     int
	metadata  [][2]string
	overviews []int
	fill      func(band, x, y int) float64
	cog       bool
}

// Option sets a property of the raster GeoTIFF writes.
type Option func(*spec)

// Size sets the raster size in pixels (default 64×64).
func Size(w, h int) Option { return func(s *spec) { s.w, s.h = w, h } }

// Bands sets the band count (default 1).
func Bands(n int) Option { return func(s *spec) { s.bands = n } }

// PixelType sets the Esri pixel type of every band: U8 (default), S8 (as
// GDAL's signed byte), U16, S16, U32, S32, F32 or F64.
func PixelType(t string) Option { return func(s *spec) { s.pixelType = t } }

// NBits stores U8 bands with n bits per pixel (1, 2 or 4: Esri's U1, U2,
// U4). Pixel values must fit.
func NBits(n int) Option { return func(s *spec) { s.nbits = n } }

// EPSG sets the spatial reference (default EPSG:32633).
func EPSG(code int) Option { return func(s *spec) { s.epsg = code } }

// NoSRS writes no spatial reference.
func NoSRS() Option { return func(s *spec) { s.epsg = 0 } }

// GeoTransform sets the geotransform (default: origin 500000, 5000000 with
// 10 m square pixels, north up).
func GeoTransform(gt [6]float64) Option { return func(s *spec) { s.gt = gt } }

// NoGeoTransform writes no geotransform (combine with NoSRS for a raster
// without any georeferencing).
func NoGeoTransform() Option { return func(s *spec) { s.noGT = true } }

// NoData sets every band's nodata value.
func NoData(v float64) Option { return func(s *spec) { s.nodata = &v } }

// NoDataBorder fills a frame px pixels wide with the nodata value (set
// NoData too), so the valid-data footprint is smaller than the bounds.
func NoDataBorder(px int) Option { return func(s *spec) { s.border = px } }

// Alpha adds a last band marked as alpha: 255 inside, 0 in the
// NoDataBorder frame.
func Alpha() Option { return func(s *spec) { s.alpha = true } }

// Metadata adds a default-domain metadata item.
func Metadata(key, value string) Option {
	return func(s *spec) { s.metadata = append(s.metadata, [2]string{key, value}) }
}

// Overviews builds internal overviews with these factors (e.g. 2, 4).
func Overviews(factors ...int) Option { return func(s *spec) { s.overviews = factors } }

// Fill sets pixel values (band is zero-based). The default is a
// deterministic pattern between 1 and 200, so no pixel equals 0 or 255.
func Fill(fn func(band, x, y int) float64) Option { return func(s *spec) { s.fill = fn } }

// COG writes a Cloud Optimized GeoTIFF (GDAL's COG driver: 256-pixel
// tiles, DEFLATE, internal overviews down to one tile) instead of a plain
// striped GeoTIFF. Overviews is ignored.
func COG() Option { return func(s *spec) { s.cog = true } }

// setup registers GDAL's drivers. It leaves GDAL's configuration alone, so
// tests see the configuration package raster sets, not one of ours.
var setup = sync.OnceFunc(godal.RegisterAll)

var dataTypes = map[string]godal.DataType{
	"U8": godal.Byte, "S8": godal.Byte, "U16": godal.UInt16, "S16": godal.Int16,
	"U32": godal.UInt32, "S32": godal.Int32, "F32": godal.Float32, "F64": godal.Float64,
}

// GeoTIFF writes a small GeoTIFF at path (a file or a /vsimem/ name) and
// returns path. It fails the test on error.
func GeoTIFF(tb testing.TB, path string, opts ...Option) string {
	tb.Helper()
	if err := Write(path, opts...); err != nil {
		tb.Fatal(err)
	}
	return path
}

// Write is GeoTIFF for programs without a testing.TB, such as benchmarks
// that generate data: it writes the raster at path or returns an error.
func Write(path string, opts ...Option) (err error) {
	setup()
	s := spec{w: 64, h: 64, bands: 1, pixelType: "U8", epsg: 32633,
		gt: [6]float64{500000, 10, 0, 5000000, 0, -10}}
	for _, o := range opts {
		o(&s)
	}
	if s.fill == nil {
		s.fill = func(b, x, y int) float64 { return float64((x*7+y*13+b*50)%200 + 1) }
	}
	dt, ok := dataTypes[s.pixelType]
	if !ok {
		return fmt.Errorf("rastertest: unknown pixel type %q", s.pixelType)
	}
	var co []string
	if s.pixelType == "S8" {
		co = append(co, "PIXELTYPE=SIGNEDBYTE")
	}
	if s.nbits != 0 {
		co = append(co, fmt.Sprintf("NBITS=%d", s.nbits))
	}
	n := s.bands
	if s.alpha {
		n++
		co = append(co, "ALPHA=YES")
	}
	target := path
	if s.cog {
		target = fmt.Sprintf("/vsimem/rastertest-cog-%p.tif", &s)
	}
	ds, err := godal.Create(godal.GTiff, target, n, dt, s.w, s.h, godal.CreationOption(co...))
	if err != nil {
		return fmt.Errorf("rastertest: create %s: %w", path, err)
	}
	var failed error
	check := func(what string, err error) {
		if err != nil && failed == nil {
			failed = fmt.Errorf("rastertest: %s %s: %w", what, path, err)
		}
	}
	if !s.noGT {
		check("set geotransform", ds.SetGeoTransform(s.gt))
	}
	if s.epsg != 0 {
		sr, err := godal.NewSpatialRefFromEPSG(s.epsg)
		check("EPSG", err)
		check("set SRS", ds.SetSpatialRef(sr))
		sr.Close()
	}
	for _, kv := range s.metadata {
		check("set metadata", ds.SetMetadata(kv[0], kv[1]))
	}
	inBorder := func(x, y int) bool {
		return x < s.border || y < s.border || x >= s.w-s.border || y >= s.h-s.border
	}
	buf := make([]float64, s.w*s.h)
	for b, band := range ds.Bands() {
		alpha := s.alpha && b == n-1
		if s.nodata != nil && !alpha {
			check("set nodata", band.SetNoData(*s.nodata))
		}
		if failed != nil {
			break
		}
		for y := range s.h {
			for x := range s.w {
				v := s.fill(b, x, y)
				switch {
				case alpha && inBorder(x, y):
					v = 0
				case alpha:
					v = 255
				case s.nodata != nil && inBorder(x, y):
					v = *s.nodata
				}
				buf[y*s.w+x] = v
			}
		}
		check("write", band.Write(0, 0, buf, s.w, s.h))
	}
	if len(s.overviews) > 0 && !s.cog {
		check("build overviews", ds.BuildOverviews(godal.Levels(s.overviews...)))
	}
	if failed == nil && s.cog {
		defer godal.VSIUnlink(target) //nolint:errcheck // best effort cleanup
		out, err := ds.Translate(path, []string{"-of", "COG", "-co", "COMPRESS=DEFLATE", "-co", "OVERVIEWS=IGNORE_EXISTING"})
		check("write COG", err)
		if err == nil {
			check("close", out.Close())
		}
	}
	if err := ds.Close(); err != nil {
		check("close", err)
	}
	return failed
}

// FileState is what Checksums records of one file.
type FileState struct {
	SHA256  string
	Size    int64
	ModTime time.Time
}

// Snapshot records files and the listings of their directories.
type Snapshot struct {
	Files map[string]FileState
	Dirs  map[string][]string // sorted names
}

// Checksums records the SHA-256, size and modification time of each path
// and the listing of each path's directory. It fails the test on error.
func Checksums(tb testing.TB, paths ...string) *Snapshot {
	tb.Helper()
	s := &Snapshot{Files: map[string]FileState{}, Dirs: map[string][]string{}}
	for _, p := range paths {
		st, err := state(p)
		if err != nil {
			tb.Fatalf("rastertest: checksum: %v", err)
		}
		s.Files[p] = st
		dir := filepath.Dir(p)
		if _, ok := s.Dirs[dir]; !ok {
			names, err := listing(dir)
			if err != nil {
				tb.Fatalf("rastertest: list: %v", err)
			}
			s.Dirs[dir] = names
		}
	}
	return s
}

// AssertUnchanged fails the test if a recorded file changed in content,
// size or modification time, or if a file appeared in or vanished from one
// of their directories (such as an .aux.xml or .ovr sidecar).
func (s *Snapshot) AssertUnchanged(tb testing.TB) {
	tb.Helper()
	for p, want := range s.Files {
		got, err := state(p)
		if err != nil {
			tb.Errorf("rastertest: source changed: %v", err)
			continue
		}
		if got.SHA256 != want.SHA256 || got.Size != want.Size || !got.ModTime.Equal(want.ModTime) {
			tb.Errorf("rastertest: source %s changed: %+v, want %+v", p, got, want)
		}
	}
	for dir, want := range s.Dirs {
		got, err := listing(dir)
		if err != nil {
			tb.Errorf("rastertest: list: %v", err)
			continue
		}
		if !slices.Equal(got, want) {
			tb.Errorf("rastertest: directory %s changed: %q, want %q", dir, got, want)
		}
	}
}

func state(path string) (FileState, error) {
	f, err := os.Open(path)
	if err != nil {
		return FileState{}, err
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return FileState{}, err
	}
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return FileState{}, fmt.Errorf("read %s: %w", path, err)
	}
	return FileState{SHA256: hex.EncodeToString(h.Sum(nil)), Size: fi.Size(), ModTime: fi.ModTime()}, nil
}

func listing(dir string) ([]string, error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, err
	}
	names := make([]string, len(entries))
	for i, e := range entries {
		names[i] = e.Name()
	}
	return names, nil
}
