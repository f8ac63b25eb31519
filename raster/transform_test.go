package raster_test

import (
	"bytes"
	"errors"
	"fmt"
	"math"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/paulmach/orb"
	"github.com/tessera-gis/tessera/raster"
	"github.com/tessera-gis/tessera/raster/rastertest"
)

func TestParseSRS(t *testing.T) {
	t.Parallel()
	utm := mustSRS(t, 32633)
	cases := []struct {
		in   string
		epsg int
	}{
		{"EPSG:32633", 32633},
		{"epsg:4326", 4326},
		{"32633", 32633},
		{"102100", 3857},
		{"3857", 3857},
		{"urn:ogc:def:crs:EPSG::3035", 3035},
		{utm.WKT, 32633},
		{"+proj=utm +zone=33 +datum=WGS84 +units=m +no_defs", 0}, // GDAL 3.6's AutoIdentifyEPSG needs the GEOGCS authority
		{"+proj=tmerc +lat_0=0 +lon_0=15.3 +k=0.9996 +x_0=500000 +y_0=0 +ellps=GRS80 +units=m", 0},
	}
	for _, tc := range cases {
		t.Run(tc.in[:min(len(tc.in), 30)], func(t *testing.T) {
			srs, err := raster.ParseSRS(tc.in)
			if err != nil {
				t.Fatal(err)
			}
			if srs.EPSG != tc.epsg || srs.WKT == "" {
				t.Fatalf("ParseSRS = %d %q, want EPSG %d", srs.EPSG, srs.WKT, tc.epsg)
			}
		})
	}
	for _, bad := range []string{"", "EPSG:999999", "not a projection", "0"} {
		if _, err := raster.ParseSRS(bad); err == nil {
			t.Errorf("ParseSRS(%q): no error", bad)
		}
	}
	if _, err := raster.SRSFromEPSG(1); err == nil {
		t.Error("SRSFromEPSG(1): no error")
	}
}

func TestLookupSRS(t *testing.T) {
	t.Parallel()
	custom, err := raster.ParseSRS("+proj=tmerc +lat_0=0 +lon_0=15.3 +k=0.9996 +x_0=500000 +y_0=0 +ellps=GRS80 +units=m")
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		wkid int
		wkt  string
		epsg int
	}{
		{32633, "", 32633},
		{102100, "", 3857},
		{900913, "", 3857},
		{4326, custom.WKT, 4326}, // the ID wins
		{0, mustSRS(t, 3035).WKT, 3035},
		{0, custom.WKT, 0},
	}
	for _, tc := range cases {
		srs, err := raster.LookupSRS(tc.wkid, tc.wkt)
		if err != nil || srs.EPSG != tc.epsg || srs.WKT == "" {
			t.Errorf("LookupSRS(%d, %.30q) = %d %.30q, %v; want EPSG %d", tc.wkid, tc.wkt, srs.EPSG, srs.WKT, err, tc.epsg)
		}
	}
	for _, bad := range []struct {
		wkid int
		wkt  string
	}{{0, ""}, {999999, ""}, {0, "not a projection"}} {
		if _, err := raster.LookupSRS(bad.wkid, bad.wkt); err == nil {
			t.Errorf("LookupSRS(%d, %q): no error", bad.wkid, bad.wkt)
		}
	}
}

// gdaltransform reprojects points with the real gdaltransform tool.
func gdaltransform(tb testing.TB, from, to string, pts []orb.Point) []orb.Point {
	tb.Helper()
	if _, err := exec.LookPath("gdaltransform"); err != nil {
		tb.Skip("gdaltransform not installed")
	}
	var in bytes.Buffer
	for _, p := range pts {
		fmt.Fprintf(&in, "%s %s\n", ftoa(p[0]), ftoa(p[1]))
	}
	cmd := exec.Command("gdaltransform", "-s_srs", from, "-t_srs", to, "-output_xy")
	cmd.Stdin = &in
	out, err := cmd.Output()
	if err != nil {
		tb.Fatalf("gdaltransform: %v", err)
	}
	var res []orb.Point
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		f := strings.Fields(line)
		x, _ := strconv.ParseFloat(f[0], 64)
		y, _ := strconv.ParseFloat(f[1], 64)
		res = append(res, orb.Point{x, y})
	}
	return res
}

// TestTransformFootprint reprojects a footprint to WGS 84 and checks the
// corners against gdalinfo's wgs84Extent and the densified edge vertices
// against gdaltransform.
func TestTransformFootprint(t *testing.T) {
	t.Parallel()
	p := rastertest.GeoTIFF(t, filepath.Join(t.TempDir(), "a.tif"), rastertest.Size(300, 300),
		rastertest.GeoTransform([6]float64{300000, 250, 40, 5500000, 40, -250}))
	info := inspect(t, p)
	g, err := raster.Transform(info.Footprint, info.SRS, mustSRS(t, 4326))
	if err != nil {
		t.Fatal(err)
	}
	ring := g.(orb.Polygon)[0]
	if n := len(ring); n != 4*20+1 { // the edges are equally long
		t.Fatalf("%d vertices, want 81 (20 segments per edge)", n)
	}
	for _, c := range gdalinfo(t, p).WGS84Extent.Coordinates[0] {
		if !containsPoint(ring, orb.Point{c[0], c[1]}, 1e-7) {
			t.Errorf("wgs84Extent corner %v not in %v", c, ring)
		}
	}
	// every vertex, corners and edge points alike, agrees with gdaltransform
	src := densifiedCopy(info.Footprint[0])
	want := gdaltransform(t, "EPSG:32633", "EPSG:4326", src)
	for i := range ring {
		if math.Abs(ring[i][0]-want[i][0]) > 1e-7 || math.Abs(ring[i][1]-want[i][1]) > 1e-7 {
			t.Fatalf("vertex %d: %v, gdaltransform %v", i, ring[i], want[i])
		}
	}
	// the edges are curved: a midpoint is off the chord between corners
	mid, a, b := ring[10], ring[0], ring[20]
	chord := orb.Point{(a[0] + b[0]) / 2, (a[1] + b[1]) / 2}
	if math.Hypot(mid[0]-chord[0], mid[1]-chord[1]) < 1e-5 {
		t.Errorf("edge midpoint %v on the chord %v: not densified", mid, chord)
	}
}

// densifiedCopy splits each edge of a 4-corner ring into 20 segments, as
// Transform documents.
func densifiedCopy(r orb.Ring) []orb.Point {
	var out []orb.Point
	for i := 1; i < len(r); i++ {
		for k := range 20 {
			f := float64(k) / 20
			out = append(out, orb.Point{r[i-1][0] + f*(r[i][0]-r[i-1][0]), r[i-1][1] + f*(r[i][1]-r[i-1][1])})
		}
	}
	return append(out, r[len(r)-1])
}

func TestTransformGeometries(t *testing.T) {
	t.Parallel()
	utm, wgs, web := mustSRS(t, 32633), mustSRS(t, 4326), mustSRS(t, 3857)
	pt := orb.Point{500000, 5000000}
	want := gdaltransform(t, "EPSG:32633", "EPSG:4326", []orb.Point{pt})[0]

	g, err := raster.Transform(pt, utm, wgs)
	if err != nil {
		t.Fatal(err)
	}
	if p := g.(orb.Point); math.Abs(p[0]-want[0]) > 1e-9 || math.Abs(p[1]-want[1]) > 1e-9 {
		t.Fatalf("point %v, gdaltransform %v", p, want)
	}
	if p := g.(orb.Point); p[0] < 14 || p[0] > 16 {
		t.Fatalf("point %v: x is not the longitude", p)
	}

	b := orb.Bound{Min: orb.Point{500000, 5000000}, Max: orb.Point{510000, 5010000}}
	g, err = raster.Transform(b, utm, web)
	if err != nil {
		t.Fatal(err)
	}
	if poly, ok := g.(orb.Polygon); !ok || len(poly[0]) != 81 {
		t.Fatalf("bound became %T with %d vertices", g, len(g.(orb.Polygon)[0]))
	}

	coll := orb.Collection{pt, orb.LineString{{500000, 5000000}, {501000, 5000000}, {501000, 5000500}},
		orb.MultiPolygon{b.ToPolygon()}, orb.MultiPoint{pt, pt}}
	g, err = raster.Transform(coll, utm, wgs)
	if err != nil {
		t.Fatal(err)
	}
	c := g.(orb.Collection)
	if _, ok := c[0].(orb.Point); !ok {
		t.Fatalf("collection point became %T", c[0])
	}
	if ls := c[1].(orb.LineString); len(ls) != 20+10+1 {
		t.Fatalf("line string has %d vertices, want 31 (20 + 10 segments + 1)", len(ls))
	}
	if len(c[3].(orb.MultiPoint)) != 2 {
		t.Fatal("multipoint changed length")
	}

	// the same SRS only densifies
	g, err = raster.Transform(b.ToPolygon(), utm, utm)
	if err != nil || len(g.(orb.Polygon)[0]) != 81 || g.Bound() != b {
		t.Fatalf("identity transform: %v, %v", g, err)
	}
	if _, err := raster.Transform(pt, raster.SRS{}, wgs); !errors.Is(err, raster.ErrNoSRS) {
		t.Fatalf("zero SRS: %v", err)
	}
	if _, err := raster.Transform(orb.Point{0, 95}, wgs, utm); err == nil {
		t.Fatal("latitude 95: no error")
	}
}
