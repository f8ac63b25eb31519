package raster_test

import (
	"errors"
	"math"
	"os"
	"path/filepath"
	"testing"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/planar"
	"github.com/tessera-gis/tessera/raster"
	"github.com/tessera-gis/tessera/raster/rastertest"
)

// inspect runs Inspect and asserts the source is unchanged afterwards.
func inspect(tb testing.TB, path string, opts ...raster.InspectOption) *raster.Info {
	tb.Helper()
	before := rastertest.Checksums(tb, path)
	info, err := raster.Inspect(storeCtx, path, opts...)
	if err != nil {
		tb.Fatal(err)
	}
	before.AssertUnchanged(tb)
	return info
}

func TestInspectPixelTypes(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	cases := []struct {
		name string
		opts []rastertest.Option
		want string
	}{
		{"byte", nil, "U8"},
		{"signed byte", []rastertest.Option{rastertest.PixelType("S8")}, "S8"},
		{"1 bit", []rastertest.Option{rastertest.NBits(1), rastertest.Fill(func(_, x, y int) float64 { return float64((x + y) % 2) })}, "U1"},
		{"2 bit", []rastertest.Option{rastertest.NBits(2), rastertest.Fill(func(_, x, _ int) float64 { return float64(x % 4) })}, "U2"},
		{"4 bit", []rastertest.Option{rastertest.NBits(4), rastertest.Fill(func(_, x, _ int) float64 { return float64(x % 16) })}, "U4"},
		{"uint16", []rastertest.Option{rastertest.PixelType("U16")}, "U16"},
		{"int16", []rastertest.Option{rastertest.PixelType("S16")}, "S16"},
		{"uint32", []rastertest.Option{rastertest.PixelType("U32")}, "U32"},
		{"int32", []rastertest.Option{rastertest.PixelType("S32")}, "S32"},
		{"float32", []rastertest.Option{rastertest.PixelType("F32")}, "F32"},
		{"float64", []rastertest.Option{rastertest.PixelType("F64")}, "F64"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			p := rastertest.GeoTIFF(t, filepath.Join(dir, tc.name+".tif"), tc.opts...)
			if got := inspect(t, p).PixelType; got != tc.want {
				t.Fatalf("PixelType=%s, want %s", got, tc.want)
			}
		})
	}
}

func TestInspectHeader(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	p := rastertest.GeoTIFF(t, filepath.Join(dir, "a.tif"), rastertest.Size(120, 80), rastertest.Bands(4),
		rastertest.PixelType("S16"), rastertest.NoData(-9999), rastertest.EPSG(32633),
		rastertest.GeoTransform([6]float64{500000, 30, 0, 5000000, 0, -30}), rastertest.Overviews(2, 4),
		rastertest.Metadata("SENSORNAME", "Sentinel-2A"), rastertest.Metadata("CLOUDCOVER", "12.5"))
	info := inspect(t, p)
	if info.Path != p || info.Driver != "GTiff" || info.Width != 120 || info.Height != 80 || info.Bands != 4 {
		t.Fatalf("header %+v", info)
	}
	if info.NoData == nil || *info.NoData != -9999 {
		t.Fatalf("NoData=%v, want -9999", info.NoData)
	}
	if info.SRS.EPSG != 32633 || info.SRS.WKT == "" {
		t.Fatalf("SRS=%+v", info.SRS)
	}
	if info.CellSizeX != 30 || info.CellSizeY != 30 {
		t.Fatalf("cell size %v %v", info.CellSizeX, info.CellSizeY)
	}
	if info.Overviews != 2 || info.CoarsestCellSize != 120 {
		t.Fatalf("Overviews=%d CoarsestCellSize=%v, want 2, 120", info.Overviews, info.CoarsestCellSize)
	}
	if want := (orb.Bound{Min: orb.Point{500000, 4997600}, Max: orb.Point{503600, 5000000}}); !info.Bounds.Equal(want) {
		t.Fatalf("Bounds=%v, want %v", info.Bounds, want)
	}
	if info.Metadata["SENSORNAME"] != "Sentinel-2A" || info.Metadata["CLOUDCOVER"] != "12.5" {
		t.Fatalf("Metadata=%v", info.Metadata)
	}
	if info.Stats != nil {
		t.Fatal("Stats without Statistics()")
	}
	if len(info.Footprint) != 1 || len(info.Footprint[0]) != 5 || info.Footprint[0].Orientation() != orb.CCW {
		t.Fatalf("Footprint=%v, want a closed counter-clockwise ring of 4 corners", info.Footprint)
	}

	plain := inspect(t, rastertest.GeoTIFF(t, filepath.Join(dir, "b.tif")))
	if plain.NoData != nil || plain.Overviews != 0 || plain.CoarsestCellSize != plain.CellSizeX {
		t.Fatalf("plain raster %+v", plain)
	}
	if got := inspect(t, plain.Path, raster.NoData(3)).NoData; got == nil || *got != 3 {
		t.Fatalf("NoData override: %v", got)
	}
}

// TestInspectCorners compares footprints with gdalinfo's corner coordinates,
// rotated geotransforms included.
func TestInspectCorners(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	cases := []struct {
		name string
		gt   [6]float64
	}{
		{"north up", [6]float64{500000, 10, 0, 5000000, 0, -10}},
		{"rotated", [6]float64{500000, 8.66, 5, 5000000, 5, -8.66}},
		{"sheared", [6]float64{500000, 10, 2, 5000000, -3, -10}},
		{"south up", [6]float64{500000, 10, 0, 4999000, 0, 10}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			p := rastertest.GeoTIFF(t, filepath.Join(dir, tc.name+".tif"), rastertest.Size(70, 40), rastertest.GeoTransform(tc.gt))
			info := inspect(t, p)
			ring := info.Footprint[0]
			if len(ring) != 5 || ring[0] != ring[4] || ring.Orientation() != orb.CCW {
				t.Fatalf("ring %v", ring)
			}
			ref := gdalinfo(t, p).CornerCoordinates
			for _, name := range []string{"upperLeft", "lowerLeft", "lowerRight", "upperRight"} {
				c := ref[name]
				if !containsPoint(ring, orb.Point{c[0], c[1]}, 1e-6) {
					t.Errorf("gdalinfo %s %v not in footprint %v", name, c, ring)
				}
			}
			if !info.Bounds.Equal(ring.Bound()) {
				t.Errorf("Bounds %v, footprint bound %v", info.Bounds, ring.Bound())
			}
		})
	}
}

func containsPoint(ring orb.Ring, p orb.Point, tol float64) bool {
	for _, q := range ring {
		if math.Abs(q[0]-p[0]) <= tol && math.Abs(q[1]-p[1]) <= tol {
			return true
		}
	}
	return false
}

func TestInspectErrors(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	nosrs := rastertest.GeoTIFF(t, filepath.Join(dir, "nosrs.tif"), rastertest.NoSRS())
	nogt := rastertest.GeoTIFF(t, filepath.Join(dir, "nogt.tif"), rastertest.NoGeoTransform())
	corrupt := filepath.Join(dir, "corrupt.tif")
	good, err := os.ReadFile(rastertest.GeoTIFF(t, filepath.Join(dir, "good.tif")))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(corrupt, good[:40], 0o644); err != nil { // truncated
		t.Fatal(err)
	}
	text := writeTemp(t, "notes.tif", []byte("not a raster\n"))
	empty := writeTemp(t, "empty.tif", nil)
	before := rastertest.Checksums(t, nosrs, nogt, corrupt, text, empty)

	cases := []struct {
		name string
		path string
		is   error
	}{
		{"no SRS", nosrs, raster.ErrNoSRS},
		{"no geotransform", nogt, raster.ErrNoSRS},
		{"truncated", corrupt, raster.ErrNotRaster},
		{"text", text, raster.ErrNotRaster},
		{"empty", empty, raster.ErrNotRaster},
		{"missing", filepath.Join(dir, "missing.tif"), raster.ErrNotInStore},
		{"missing vsimem", "/vsimem/raster-test/missing.tif", raster.ErrNotInStore},
		{"directory", dir, raster.ErrNotInStore},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			info, err := raster.Inspect(storeCtx, tc.path)
			if !errors.Is(err, tc.is) || info != nil {
				t.Fatalf("Inspect = %v, %v; want error %v", info, err, tc.is)
			}
		})
	}
	info, err := raster.Inspect(storeCtx, nosrs, raster.AllowNoSRS())
	if err != nil || !info.SRS.IsZero() || info.Width != 64 {
		t.Fatalf("AllowNoSRS: %+v, %v", info, err)
	}
	before.AssertUnchanged(t)
}

// TestInspectVSIMem: GDAL virtual paths are no data store, even /vsimem/.
func TestInspectVSIMem(t *testing.T) {
	t.Parallel()
	p := rastertest.GeoTIFF(t, "/vsimem/raster-test/inspect.tif", rastertest.Size(30, 20), rastertest.EPSG(3857))
	if info, err := raster.Inspect(storeCtx, p); !errors.Is(err, raster.ErrNotInStore) {
		t.Fatalf("Inspect(%s) = %+v, %v; want ErrNotInStore", p, info, err)
	}
}

func TestInspectStatistics(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	p := rastertest.GeoTIFF(t, filepath.Join(dir, "s.tif"), rastertest.Size(100, 80), rastertest.Bands(2),
		rastertest.PixelType("F32"), rastertest.NoData(-1), rastertest.NoDataBorder(5),
		rastertest.Fill(func(b, x, y int) float64 { return float64(b*1000+x*y%97) + 0.25 }))
	info := inspect(t, p, raster.Statistics())
	var ref struct {
		Bands []struct {
			Minimum, Maximum, Mean, StdDev float64
		} `json:"bands"`
	}
	decodeJSON(t, run(t, "gdalinfo", "-json", "-stats", p), &ref)
	rastertest.Checksums(t, p) // gdalinfo ran with PAM disabled: still no sidecar
	if len(info.Stats) != 2 || len(ref.Bands) != 2 {
		t.Fatalf("stats %v, gdalinfo %v", info.Stats, ref.Bands)
	}
	for b, s := range info.Stats {
		r := ref.Bands[b]
		if !near(s.Min, r.Minimum, 1e-9) || !near(s.Max, r.Maximum, 1e-9) || math.Abs(s.Mean-r.Mean) > 5e-4 || math.Abs(s.Std-r.StdDev) > 5e-4 {
			t.Errorf("band %d: %+v, gdalinfo %+v", b, s, r)
		}
	}
}

func near(a, b, tol float64) bool { return math.Abs(a-b) <= tol*max(1, math.Abs(b)) }

func TestValidDataFootprint(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	gt := [6]float64{500000, 10, 0, 5000000, 0, -10}
	diamond := func(w, h int) func(b, x, y int) float64 {
		return func(_, x, y int) float64 {
			dx := math.Abs(float64(x)+0.5-float64(w)/2) / (float64(w) / 2)
			dy := math.Abs(float64(y)+0.5-float64(h)/2) / (float64(h) / 2)
			if dx+dy > 0.9 {
				return 0
			}
			return 100
		}
	}
	twoBlobs := func(_, x, y int) float64 {
		switch {
		case x >= 10 && x < 110 && y >= 10 && y < 90: // big
			return 5
		case x >= 150 && x < 170 && y >= 20 && y < 40: // small
			return 5
		}
		return 0
	}
	withHoles := func(_, x, y int) float64 {
		switch {
		case x >= 60 && x < 140 && y >= 40 && y < 120: // big hole, 20% of the area
			return 0
		case x >= 20 && x < 23 && y >= 20 && y < 23: // speck
			return 0
		}
		return 9
	}
	cases := []struct {
		name     string
		opts     []rastertest.Option
		inspect  []raster.InspectOption
		area     float64 // expected area in m²
		areaTol  float64 // relative
		maxVerts int     // exterior ring, closing vertex included
		holes    int
	}{
		{"all valid", []rastertest.Option{rastertest.Size(200, 100)}, nil, 200 * 100 * 100, 1e-12, 5, 0},
		{"nodata border", []rastertest.Option{rastertest.Size(200, 100), rastertest.NoData(0), rastertest.NoDataBorder(10)}, nil, 180 * 80 * 100, 1e-12, 5, 0},
		{"defined nodata", []rastertest.Option{rastertest.Size(200, 100), rastertest.Fill(func(_, x, y int) float64 {
			if x < 10 || y < 10 || x >= 190 || y >= 90 {
				return 0
			}
			return 50
		})}, []raster.InspectOption{raster.NoData(0)}, 180 * 80 * 100, 1e-12, 5, 0},
		{"alpha", []rastertest.Option{rastertest.Size(200, 100), rastertest.Bands(3), rastertest.Alpha(), rastertest.NoDataBorder(7)}, nil, 186 * 86 * 100, 1e-12, 5, 0},
		{"reduced resolution", []rastertest.Option{rastertest.Size(2000, 1200), rastertest.NoData(0), rastertest.NoDataBorder(40)}, nil, 1920 * 1120 * 100, 0.01, 5, 0},
		{"from overviews", []rastertest.Option{rastertest.Size(2000, 1200), rastertest.NoData(0), rastertest.NoDataBorder(40), rastertest.Overviews(2, 4, 8)}, nil, 1920 * 1120 * 100, 0.01, 5, 0},
		{"diamond", []rastertest.Option{rastertest.Size(1200, 900), rastertest.NoData(0), rastertest.Fill(diamond(1200, 900))}, nil, 0.81 * 1200 * 900 / 2 * 100, 0.02, 12, 0},
		{"largest part", []rastertest.Option{rastertest.Size(200, 100), rastertest.NoData(0), rastertest.Fill(twoBlobs)}, nil, 100 * 80 * 100, 1e-12, 5, 0},
		{"holes", []rastertest.Option{rastertest.Size(200, 160), rastertest.NoData(0), rastertest.Fill(withHoles)}, nil, (200*160 - 80*80) * 100, 1e-12, 5, 1},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			p := rastertest.GeoTIFF(t, filepath.Join(dir, tc.name+".tif"), append(tc.opts, rastertest.GeoTransform(gt))...)
			info := inspect(t, p, append(tc.inspect, raster.ValidDataFootprint())...)
			fp := info.Footprint
			if len(fp) == 0 {
				t.Fatal("empty footprint")
			}
			if got := planar.Area(fp); math.Abs(got-tc.area) > tc.areaTol*tc.area {
				t.Errorf("area %.0f, want %.0f (±%.1f%%)", got, tc.area, 100*tc.areaTol)
			}
			if n := len(fp[0]); n > tc.maxVerts {
				t.Errorf("exterior has %d vertices, want ≤ %d: %v", n, tc.maxVerts, fp[0])
			}
			if len(fp)-1 != tc.holes {
				t.Errorf("%d holes, want %d", len(fp)-1, tc.holes)
			}
			if fp[0].Orientation() != orb.CCW {
				t.Error("exterior ring not counter-clockwise")
			}
			for _, h := range fp[1:] {
				if h.Orientation() != orb.CW {
					t.Error("hole not clockwise")
				}
			}
			if !info.Bounds.Equal(fp.Bound()) {
				t.Errorf("Bounds %v, footprint bound %v", info.Bounds, fp.Bound())
			}
		})
	}

	empty := rastertest.GeoTIFF(t, filepath.Join(dir, "nothing.tif"), rastertest.NoData(0),
		rastertest.Fill(func(_, _, _ int) float64 { return 0 }))
	if fp := inspect(t, empty, raster.ValidDataFootprint()).Footprint; len(fp) != 0 {
		t.Fatalf("all-nodata footprint %v, want empty", fp)
	}
}

// TestInspectListed checks that a listing of the raster's folder stands
// for the file system when sidecars are looked for: what it saw is found,
// what it did not see is not (a sidecar made after the listing), and a
// listing of another folder is ignored.
func TestInspectListed(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	p := rastertest.GeoTIFF(t, filepath.Join(dir, "ext.tif"), rastertest.Size(256, 128))
	run(t, "gdaladdo", "-q", "-ro", p, "2", "4", "8")
	w := rastertest.GeoTIFF(t, filepath.Join(dir, "world.tif"), rastertest.Size(20, 10), rastertest.NoSRS(),
		rastertest.NoGeoTransform())
	if err := os.WriteFile(filepath.Join(dir, "world.tfw"), []byte("2\n0\n0\n-2\n1001\n2999\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	listing := func(dir string, names ...string) *raster.Listing {
		l := raster.NewListing(dir)
		for _, n := range names {
			l.Add(n)
		}
		return l
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var all []string
	for _, e := range entries {
		all = append(all, e.Name())
	}
	cases := []struct {
		name      string
		listing   *raster.Listing
		overviews int
	}{
		{"the folder's entries", listing(dir, all...), 3},
		{"a listing from before the overviews were made", listing(dir, "ext.tif", "world.tif", "world.tfw"), 0},
		{"another folder's listing", listing(t.TempDir()), 3},
	}
	for _, c := range cases {
		info := inspect(t, p, raster.Listed(c.listing))
		if info.Overviews != c.overviews {
			t.Errorf("%s: %d overviews, want %d", c.name, info.Overviews, c.overviews)
		}
	}
	info := inspect(t, w, raster.AllowNoSRS(), raster.Listed(listing(dir, all...)))
	if want := [6]float64{1000, 2, 0, 3000, 0, -2}; info.GeoTransform != want {
		t.Fatalf("world file geotransform %v, want %v", info.GeoTransform, want)
	}
}

// TestInspectSidecars checks that external overviews and world files next
// to local sources are found without GDAL listing the directory.
func TestInspectSidecars(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	p := rastertest.GeoTIFF(t, filepath.Join(dir, "ext.tif"), rastertest.Size(256, 128))
	run(t, "gdaladdo", "-q", "-ro", p, "2", "4", "8")
	info := inspect(t, p)
	if info.Overviews != 3 || info.CoarsestCellSize != 80 {
		t.Fatalf("external overviews: %d, coarsest %v; want 3, 80", info.Overviews, info.CoarsestCellSize)
	}

	w := rastertest.GeoTIFF(t, filepath.Join(dir, "world.tif"), rastertest.Size(20, 10), rastertest.NoSRS(),
		rastertest.NoGeoTransform())
	if err := os.WriteFile(filepath.Join(dir, "world.tfw"), []byte("2\n0\n0\n-2\n1001\n2999\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	info = inspect(t, w, raster.AllowNoSRS())
	if want := [6]float64{1000, 2, 0, 3000, 0, -2}; info.GeoTransform != want {
		t.Fatalf("world file geotransform %v, want %v", info.GeoTransform, want)
	}
}
