package raster_test

import (
	"context"
	"errors"
	"fmt"
	"math"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/paulmach/orb"
	"github.com/tessera-gis/tessera/raster"
	"github.com/tessera-gis/tessera/raster/rastertest"
)

// gdallocation runs the real gdallocationinfo on src at (x, y) given in
// srs and returns the band values, or nil when the location is off the
// file or every band holds nodata.
func gdallocation(tb testing.TB, src string, srs raster.SRS, nodata *float64, x, y float64) []float64 {
	tb.Helper()
	out := strings.TrimSpace(string(run(tb, "gdallocationinfo", "-valonly", "-l_srs", srs.String(), src, ftoa(x), ftoa(y))))
	if out == "" {
		return nil
	}
	var vals []float64
	all := true
	for _, l := range strings.Split(out, "\n") {
		v, err := strconv.ParseFloat(strings.TrimSpace(l), 64)
		if err != nil {
			tb.Fatalf("gdallocationinfo printed %q", out)
		}
		vals = append(vals, v)
		if nodata == nil || v != *nodata {
			all = false
		}
	}
	if all {
		return nil
	}
	return vals
}

// pixelSources writes three overlapping single-band U16 sources with
// nodata frames: two in EPSG:32633 (10 m pixels) and one in EPSG:4326.
type pixelSource struct {
	path   string
	nodata *float64
}

func pixelSources(tb testing.TB) []pixelSource {
	tb.Helper()
	dir := tb.TempDir()
	nd := 0.0
	a := rastertest.GeoTIFF(tb, filepath.Join(dir, "a.tif"), rastertest.Size(60, 50), rastertest.PixelType("U16"),
		rastertest.NoData(0), rastertest.NoDataBorder(3),
		rastertest.Fill(func(_, x, y int) float64 { return float64(1000 + x*7 + y*3) }))
	b := rastertest.GeoTIFF(tb, filepath.Join(dir, "b.tif"), rastertest.Size(40, 40), rastertest.PixelType("U16"),
		rastertest.GeoTransform([6]float64{500300, 10, 0, 4999800, 0, -10}), rastertest.NoData(0), rastertest.NoDataBorder(2),
		rastertest.Fill(func(_, x, y int) float64 { return float64(3000 + x*11 + y) }))
	// about 500100..500600 E, 4999550..4999950 N in EPSG:32633 (15°E, 45.1°N)
	c := rastertest.GeoTIFF(tb, filepath.Join(dir, "c.tif"), rastertest.Size(50, 40), rastertest.PixelType("U16"),
		rastertest.EPSG(4326), rastertest.GeoTransform([6]float64{15.0013, 0.0001, 0, 45.1432, 0, -0.0001}),
		rastertest.NoData(0), rastertest.NoDataBorder(1),
		rastertest.Fill(func(_, x, y int) float64 { return float64(5000 + x + 100*y) }))
	return []pixelSource{{a, &nd}, {b, &nd}, {c, &nd}}
}

func paths(srcs []pixelSource) []string {
	out := make([]string, len(srcs))
	for i, s := range srcs {
		out[i] = s.path
	}
	return out
}

func TestIdentifyMatchesGdallocationinfo(t *testing.T) {
	t.Parallel()
	srcs := pixelSources(t)
	utm := mustSRS(t, 32633)
	merc := mustSRS(t, 3857)
	pts := []orb.Point{
		{500105, 4999805}, // a only
		{500355, 4999755}, // a and b
		{500455, 4999605}, // a, b, maybe c
		{500205, 4999905}, // a, maybe c
		{500015, 4999995}, // a's nodata frame
		{499000, 4999000}, // nothing
		{500595, 4999405}, // b only
	}
	for _, sr := range []raster.SRS{utm, merc} {
		for _, p := range pts {
			q := p
			if sr != utm {
				g, err := raster.Transform(p, utm, sr)
				if err != nil {
					t.Fatal(err)
				}
				q = g.(orb.Point)
			}
			t.Run(fmt.Sprintf("%s/%v", sr, p), func(t *testing.T) {
				res, err := raster.Identify(storeCtx, raster.IdentifyRequest{
					Sources: paths(srcs), Geometry: q, SRS: sr})
				if err != nil {
					t.Fatal(err)
				}
				if res.Location != q {
					t.Errorf("Location = %v, want %v", res.Location, q)
				}
				wantSource := -1
				var want []float64
				for i, s := range srcs {
					ref := gdallocation(t, s.path, sr, s.nodata, q[0], q[1])
					if got := res.Items[i].Values; !equalValues(got, ref) {
						t.Errorf("source %d: values %v, gdallocationinfo %v", i, got, ref)
					}
					if ref != nil {
						wantSource, want = i, ref
					}
				}
				if res.Source != wantSource || !equalValues(res.Values, want) {
					t.Errorf("mosaic value %v from %d, want %v from %d", res.Values, res.Source, want, wantSource)
				}
				for i, it := range res.Items {
					wantVis := 0.0
					if i == wantSource {
						wantVis = 1
					}
					if it.Visibility != wantVis {
						t.Errorf("source %d: visibility %g, want %g", i, it.Visibility, wantVis)
					}
				}
			})
		}
	}
}

func equalValues(a, b []float64) bool {
	if (a == nil) != (b == nil) || len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func TestIdentifyAreaVisibilities(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	// a covers x 500000..500400, b covers x 500200..500600; both y 4999600..5000000.
	a := rastertest.GeoTIFF(t, filepath.Join(dir, "a.tif"), rastertest.Size(40, 40),
		rastertest.Fill(func(_, _, _ int) float64 { return 10 }))
	b := rastertest.GeoTIFF(t, filepath.Join(dir, "b.tif"), rastertest.Size(40, 40),
		rastertest.GeoTransform([6]float64{500200, 10, 0, 5000000, 0, -10}),
		rastertest.Fill(func(_, _, _ int) float64 { return 20 }))
	utm := mustSRS(t, 32633)
	// The area spans x 500100..500500: a alone on 100 m, b on 300 m.
	area := orb.Bound{Min: orb.Point{500100, 4999700}, Max: orb.Point{500500, 4999900}}
	res, err := raster.Identify(storeCtx, raster.IdentifyRequest{
		Sources: []string{a, b}, Geometry: area, SRS: utm, PixelSize: 10})
	if err != nil {
		t.Fatal(err)
	}
	if got, want := res.Location, (orb.Point{500300, 4999800}); got != want {
		t.Errorf("Location = %v, want the centroid %v", got, want)
	}
	if !equalValues(res.Values, []float64{20}) || res.Source != 1 {
		t.Errorf("value %v from %d, want [20] from b", res.Values, res.Source)
	}
	if got := []float64{res.Items[0].Visibility, res.Items[1].Visibility}; math.Abs(got[0]-0.25) > 1e-12 || math.Abs(got[1]-0.75) > 1e-12 {
		t.Errorf("visibilities %v, want [0.25 0.75]", got)
	}
	// A triangle: cells count by their centres, as gdal_rasterize burns them.
	tri := orb.Polygon{{{500100, 4999700}, {500500, 4999700}, {500100, 4999900}, {500100, 4999700}}}
	res, err = raster.Identify(storeCtx, raster.IdentifyRequest{
		Sources: []string{a, b}, Geometry: tri, SRS: utm, PixelSize: 10})
	if err != nil {
		t.Fatal(err)
	}
	mask := rasterize(t, tri, orb.Bound{Min: orb.Point{500100, 4999700}, Max: orb.Point{500500, 4999900}}, 10)
	var na, nb int
	for row := range 20 {
		for col := range 40 {
			if mask[row*40+col] == 0 {
				continue
			}
			if x := 500100 + float64(col)*10 + 5; x >= 500200 {
				nb++
			} else {
				na++
			}
		}
	}
	total := float64(na + nb)
	if got := res.Items[0].Visibility; math.Abs(got-float64(na)/total) > 1e-12 {
		t.Errorf("a visibility %g, want %g (gdal_rasterize)", got, float64(na)/total)
	}
	if got := res.Items[1].Visibility; math.Abs(got-float64(nb)/total) > 1e-12 {
		t.Errorf("b visibility %g, want %g (gdal_rasterize)", got, float64(nb)/total)
	}
}

// rasterize burns poly with the real gdal_rasterize onto a grid over b
// with square cells and returns the burnt mask, row by row from the top.
func rasterize(tb testing.TB, poly orb.Polygon, b orb.Bound, cell float64) []float64 {
	tb.Helper()
	dir := tb.TempDir()
	var ring []string
	for _, p := range poly[0] {
		ring = append(ring, "["+ftoa(p[0])+","+ftoa(p[1])+"]")
	}
	src := writeTemp(tb, "cut.geojson", []byte(`{"type":"FeatureCollection","features":[{"type":"Feature","properties":{},`+
		`"geometry":{"type":"Polygon","coordinates":[[`+strings.Join(ring, ",")+`]]}}]}`))
	out := filepath.Join(dir, "mask.tif")
	run(tb, "gdal_rasterize", "-q", "-burn", "1", "-ot", "Byte", "-a_srs", "EPSG:32633",
		"-te", ftoa(b.Min[0]), ftoa(b.Min[1]), ftoa(b.Max[0]), ftoa(b.Max[1]), "-tr", ftoa(cell), ftoa(cell),
		src, out)
	_, _, bands := readPixels(tb, out)
	return bands[0]
}

func TestSamplesMatchGdallocationinfo(t *testing.T) {
	t.Parallel()
	srcs := pixelSources(t)
	utm := mustSRS(t, 32633)
	line := orb.LineString{{500105, 4999805}, {500595, 4999405}}
	for _, tc := range []struct {
		name  string
		req   raster.SampleRequest
		count int // locations
	}{
		{"multipoint", raster.SampleRequest{Geometry: orb.MultiPoint{{500105, 4999805}, {500355, 4999755}, {499000, 4999000}}}, 3},
		{"line distance", raster.SampleRequest{Geometry: line, SampleDistance: 50}, 14},
		{"line count", raster.SampleRequest{Geometry: line, SampleCount: 7}, 7},
		{"line vertices", raster.SampleRequest{Geometry: line}, 2},
		{"polygon", raster.SampleRequest{Geometry: orb.Polygon{{{500100, 4999500}, {500500, 4999500}, {500500, 4999900}, {500100, 4999500}}}, SampleCount: 40}, -1},
		{"all values", raster.SampleRequest{Geometry: orb.MultiPoint{{500455, 4999605}, {500205, 4999905}}, AllValues: true}, 2},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel() // each location runs gdallocationinfo once per source
			r := tc.req
			r.Sources, r.SRS = paths(srcs), utm
			got, err := raster.Samples(storeCtx, r)
			if err != nil {
				t.Fatal(err)
			}
			byLoc := map[int][]raster.Sample{}
			for _, s := range got {
				byLoc[s.LocationID] = append(byLoc[s.LocationID], s)
			}
			if tc.count >= 0 && len(byLoc) != tc.count {
				t.Fatalf("%d locations, want %d", len(byLoc), tc.count)
			}
			if tc.count < 0 && (len(byLoc) < 30 || len(byLoc) > 50) {
				t.Fatalf("%d locations in the triangle, want about 40", len(byLoc))
			}
			for id := range len(byLoc) {
				ss := byLoc[id]
				if len(ss) == 0 {
					t.Fatalf("no sample for location %d", id)
				}
				p := ss[0].Location
				var want []raster.Sample
				for i := len(srcs) - 1; i >= 0; i-- {
					if ref := gdallocation(t, srcs[i].path, utm, srcs[i].nodata, p[0], p[1]); ref != nil {
						want = append(want, raster.Sample{Source: i, Values: ref})
						if !r.AllValues {
							break
						}
					}
				}
				if len(want) == 0 {
					want = []raster.Sample{{Source: -1}}
				}
				if len(ss) != len(want) {
					t.Fatalf("location %d %v: %d samples, want %d", id, p, len(ss), len(want))
				}
				for k := range ss {
					if ss[k].Location != p || ss[k].Source != want[k].Source || !equalValues(ss[k].Values, want[k].Values) {
						t.Errorf("location %d %v: sample %+v, want source %d values %v", id, p, ss[k], want[k].Source, want[k].Values)
					}
					if ss[k].Source >= 0 && ss[k].Resolution <= 0 {
						t.Errorf("location %d: resolution %g", id, ss[k].Resolution)
					}
				}
			}
		})
	}
}

func TestSampleLocations(t *testing.T) {
	t.Parallel()
	line := orb.LineString{{0, 0}, {100, 0}, {100, 50}}
	got, err := raster.SampleLocations(line, 40, 0, 1000)
	if err != nil {
		t.Fatal(err)
	}
	want := []orb.Point{{0, 0}, {40, 0}, {80, 0}, {100, 20}, {100, 50}}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("every 40: %v, want %v", got, want)
	}
	got, err = raster.SampleLocations(line, 0, 4, 1000)
	if err != nil {
		t.Fatal(err)
	}
	want = []orb.Point{{0, 0}, {50, 0}, {100, 0}, {100, 50}}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("4 along: %v, want %v", got, want)
	}
	for _, tc := range []struct {
		name string
		g    orb.Geometry
		dist float64
		n    int
	}{
		{"distance", line, 0.01, 0},
		{"count", line, 0, 5000},
		{"area", orb.Bound{Max: orb.Point{10, 10}}, 0, 2000},
		{"points", make(orb.MultiPoint, 1001), 0, 0},
	} {
		var le *raster.LimitError
		if _, err := raster.SampleLocations(tc.g, tc.dist, tc.n, 1000); !errors.As(err, &le) || le.Limit != 1000 {
			t.Errorf("%s: err %v, want a *LimitError at 1000", tc.name, err)
		}
	}
}

// gdalStats is what gdalinfo -json -stats -hist reports of one band.
type gdalStats struct {
	Min, Max, Mean, StdDev float64
	HistMin, HistMax       float64
	Counts                 []int64
}

func gdalinfoStats(tb testing.TB, path string) []gdalStats {
	tb.Helper()
	var info struct {
		Bands []struct {
			Metadata  map[string]map[string]string
			Histogram struct {
				Min, Max float64
				Buckets  []int64
			}
		}
	}
	decodeJSON(tb, run(tb, "gdalinfo", "-json", "-stats", "-hist", path), &info)
	out := make([]gdalStats, len(info.Bands))
	for i, b := range info.Bands {
		// the JSON rounds statistics to three decimals; the metadata keeps them all
		md := b.Metadata[""]
		var v [4]float64
		for k, key := range []string{"MINIMUM", "MAXIMUM", "MEAN", "STDDEV"} {
			var err error
			if v[k], err = strconv.ParseFloat(md["STATISTICS_"+key], 64); err != nil {
				tb.Fatalf("gdalinfo statistics metadata: %v", err)
			}
		}
		out[i] = gdalStats{v[0], v[1], v[2], v[3], b.Histogram.Min, b.Histogram.Max, b.Histogram.Buckets}
	}
	return out
}

func closeTo(a, b float64) bool { return math.Abs(a-b) <= 1e-9*max(1, math.Abs(b)) }

func TestComputeStatisticsMatchesGdalinfo(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	u16 := rastertest.GeoTIFF(t, filepath.Join(dir, "u16.tif"), rastertest.Size(80, 60), rastertest.PixelType("U16"),
		rastertest.NoData(0), rastertest.NoDataBorder(4),
		rastertest.Fill(func(_, x, y int) float64 { return float64(100 + (x*x+3*y)%977) }))
	rgb := rastertest.GeoTIFF(t, filepath.Join(dir, "rgb.tif"), rastertest.Size(80, 60), rastertest.Bands(3),
		rastertest.NoData(0), rastertest.NoDataBorder(2))
	f32 := rastertest.GeoTIFF(t, filepath.Join(dir, "f32.tif"), rastertest.Size(80, 60), rastertest.PixelType("F32"),
		rastertest.NoData(-9999), rastertest.NoDataBorder(5),
		rastertest.Fill(func(_, x, y int) float64 { return math.Sin(float64(x)/7)*100 + float64(y)*0.25 }))
	utm := mustSRS(t, 32633)
	// Windows aligned with the sources' 10 m pixels (origin 500000, 5000000).
	for _, tc := range []struct {
		name string
		src  string
		b    orb.Bound
	}{
		{"U16 window", u16, orb.Bound{Min: orb.Point{500020, 4999500}, Max: orb.Point{500600, 4999980}}},
		{"U16 over the edge", u16, orb.Bound{Min: orb.Point{499900, 4999300}, Max: orb.Point{500300, 5000000}}},
		{"U8 RGB", rgb, orb.Bound{Min: orb.Point{500100, 4999600}, Max: orb.Point{500700, 4999950}}},
		{"F32", f32, orb.Bound{Min: orb.Point{500000, 4999400}, Max: orb.Point{500800, 5000000}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			res, err := raster.ComputeStatistics(storeCtx, raster.StatsRequest{
				Sources: []string{tc.src}, Geometry: tc.b, SRS: utm, PixelSize: 10})
			if err != nil {
				t.Fatal(err)
			}
			clip := filepath.Join(t.TempDir(), "clip.tif")
			run(t, "gdalwarp", "-q", "-te", ftoa(tc.b.Min[0]), ftoa(tc.b.Min[1]), ftoa(tc.b.Max[0]), ftoa(tc.b.Max[1]),
				"-tr", "10", "10", tc.src, clip)
			ref := gdalinfoStats(t, clip)
			if len(res.Bands) != len(ref) {
				t.Fatalf("%d bands, want %d", len(res.Bands), len(ref))
			}
			for b, got := range res.Bands {
				w := ref[b]
				if !closeTo(got.Min, w.Min) || !closeTo(got.Max, w.Max) || !closeTo(got.Mean, w.Mean) || !closeTo(got.StdDev, w.StdDev) {
					t.Errorf("band %d: min %g max %g mean %.12g std %.12g; gdalinfo %g %g %.12g %.12g",
						b, got.Min, got.Max, got.Mean, got.StdDev, w.Min, w.Max, w.Mean, w.StdDev)
				}
				if !closeTo(got.Histogram.Min, w.HistMin) || !closeTo(got.Histogram.Max, w.HistMax) ||
					fmt.Sprint(got.Histogram.Counts) != fmt.Sprint(w.Counts) {
					t.Errorf("band %d: histogram %g..%g %v\ngdalinfo %g..%g %v", b, got.Histogram.Min, got.Histogram.Max,
						got.Histogram.Counts, w.HistMin, w.HistMax, w.Counts)
				}
				var n int64
				for _, c := range w.Counts {
					n += c
				}
				if got.Count != n {
					t.Errorf("band %d: count %d, want %d", b, got.Count, n)
				}
			}
		})
	}
}

func TestComputeStatisticsPolygonMask(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	src := rastertest.GeoTIFF(t, filepath.Join(dir, "u16.tif"), rastertest.Size(80, 60), rastertest.PixelType("U16"),
		rastertest.NoData(0), rastertest.NoDataBorder(4),
		rastertest.Fill(func(_, x, y int) float64 { return float64(100 + (x*x+3*y)%977) }))
	utm := mustSRS(t, 32633)
	poly := orb.Polygon{{{500013, 4999420}, {500777, 4999530}, {500401, 4999987}, {500013, 4999420}}}
	res, err := raster.ComputeStatistics(storeCtx, raster.StatsRequest{
		Sources: []string{src}, Geometry: poly, SRS: utm, PixelSize: 10, Bins: 64})
	if err != nil {
		t.Fatal(err)
	}
	b := res.Bound
	if b != (orb.Bound{Min: orb.Point{500010, 4999420}, Max: orb.Point{500780, 4999990}}) {
		t.Errorf("grid %v, want the polygon's bound snapped out to 10 m", b)
	}
	mask := rasterize(t, poly, b, 10)
	clip := filepath.Join(t.TempDir(), "clip.tif")
	run(t, "gdal_translate", "-q", "-projwin", ftoa(b.Min[0]), ftoa(b.Max[1]), ftoa(b.Max[0]), ftoa(b.Min[1]), src, clip)
	_, _, px := readPixels(t, clip)
	var n int64
	var sum float64
	lo, hi := math.Inf(1), math.Inf(-1)
	for i, v := range px[0] {
		if mask[i] == 0 || v == 0 {
			continue
		}
		n++
		sum += v
		lo, hi = min(lo, v), max(hi, v)
	}
	got := res.Bands[0]
	if got.Count != n || got.Min != lo || got.Max != hi || !closeTo(got.Sum, sum) {
		t.Errorf("count %d min %g max %g sum %g; GDAL's pixels %d %g %g %g", got.Count, got.Min, got.Max, got.Sum, n, lo, hi, sum)
	}
	if len(got.Histogram.Counts) != 64 {
		t.Errorf("%d bins, want 64", len(got.Histogram.Counts))
	}
	var hn int64
	for _, c := range got.Histogram.Counts {
		hn += c
	}
	if hn != n {
		t.Errorf("histogram holds %d values, want %d", hn, n)
	}
	if !(got.Median >= lo && got.Median <= hi && got.Mode >= lo-10 && got.Mode <= hi+10) {
		t.Errorf("median %g, mode %g outside %g..%g", got.Median, got.Mode, lo, hi)
	}
}

func TestComputeStatisticsMosaicAndLimits(t *testing.T) {
	t.Parallel()
	srcs := pixelSources(t)
	utm := mustSRS(t, 32633)
	area := orb.Bound{Min: orb.Point{500000, 4999400}, Max: orb.Point{500700, 5000000}}
	res, err := raster.ComputeStatistics(storeCtx, raster.StatsRequest{
		Sources: paths(srcs), Geometry: area, SRS: utm, PixelSize: 10})
	if err != nil {
		t.Fatal(err)
	}
	// Reference: the same mosaic drawn by gdalwarp, its statistics by gdalinfo.
	out := filepath.Join(t.TempDir(), "mosaic.tif")
	run(t, "gdalwarp", append([]string{"-q", "-te", "500000", "4999400", "500700", "5000000", "-tr", "10", "10",
		"-t_srs", "EPSG:32633", "-r", "near", "-dstnodata", "0"}, append(paths(srcs), out)...)...)
	ref := gdalinfoStats(t, out)[0]
	got := res.Bands[0]
	if !closeTo(got.Min, ref.Min) || !closeTo(got.Max, ref.Max) || !closeTo(got.Mean, ref.Mean) || !closeTo(got.StdDev, ref.StdDev) ||
		fmt.Sprint(got.Histogram.Counts) != fmt.Sprint(ref.Counts) {
		t.Errorf("mosaic statistics %+v\ngdalwarp+gdalinfo %+v", got, ref)
	}

	var le *raster.LimitError
	_, err = raster.ComputeStatistics(storeCtx, raster.StatsRequest{
		Sources: paths(srcs), Geometry: area, SRS: utm, PixelSize: 0.1, MaxPixels: 1 << 20})
	if !errors.As(err, &le) || le.Requested != 7000*6000 || le.Limit != 1<<20 {
		t.Errorf("tiny pixels: err %v, want a *LimitError for 42000000 pixels", err)
	}
	_, err = raster.Identify(storeCtx, raster.IdentifyRequest{
		Sources: paths(srcs), Geometry: area, SRS: utm, PixelSize: 0.01})
	if !errors.As(err, &le) {
		t.Errorf("identify with tiny pixels: err %v, want a *LimitError", err)
	}
	ctx, cancel := context.WithCancel(storeCtx)
	cancel()
	if _, err := raster.ComputeStatistics(ctx, raster.StatsRequest{Sources: paths(srcs), Geometry: area, SRS: utm, PixelSize: 10}); !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled: err %v", err)
	}
}
