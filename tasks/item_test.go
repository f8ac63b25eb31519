package tasks_test

import (
	"encoding/json"
	"math"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/paulmach/orb"

	"github.com/tessera-gis/tessera/mosaic"
	"github.com/tessera-gis/tessera/raster/rastertest"
)

// TestAddImageItemFields checks every per-item field the issue lists.
func TestAddImageItemFields(t *testing.T) {
	t.Parallel()
	b := setup(t)
	dir := filepath.Join(b.dir, "src")
	src := tile(t, dir, "scene_042.tif", 0, rastertest.Bands(3), rastertest.PixelType("U16"), rastertest.NoData(0),
		rastertest.Overviews(2, 4),
		rastertest.Metadata("CLOUDCOVER", "12.5"), rastertest.Metadata("AcquisitionDate", "2024-05-01T10:30:00Z"),
		rastertest.Metadata("SENSORNAME", "Sentinel-2A"), rastertest.Metadata("LOWPS", "99"),
		rastertest.Metadata("Shape_Area", "1"), rastertest.Metadata("UNRELATED", "x"))
	before := rastertest.Checksums(t, src)
	b.create("Fields", "")
	b.succeed("AddImage", map[string]string{"imageCollection": "Fields", "inputRasters": src})
	before.AssertUnchanged(t)

	items := b.items("Fields")
	if len(items) != 1 {
		t.Fatalf("%d items", len(items))
	}
	it := items[0]
	want := map[string]any{
		"Name": "scene_042", "Category": int64(1), "Tag": "Dataset",
		"LowPS": 10.0, "HighPS": 40.0, "MinPS": 0.0, "MaxPS": 400.0,
		"CenterX": 500320.0, "CenterY": 4999680.0, "Shape_Area": 640.0 * 640, "Shape_Length": 4 * 640.0,
		"CloudCover": 12.5, "SensorName": "Sentinel-2A", "Path": src,
	}
	for k, w := range want {
		if got := it.Attributes[k]; !equalValue(got, w) {
			t.Errorf("%s = %v (%T), want %v", k, got, got, w)
		}
	}
	if d, ok := it.Attributes["AcquisitionDate"].(time.Time); !ok || !d.Equal(time.Date(2024, 5, 1, 10, 30, 0, 0, time.UTC)) {
		t.Errorf("AcquisitionDate = %v (%T)", it.Attributes["AcquisitionDate"], it.Attributes["AcquisitionDate"])
	}
	r := it.Raster
	if r.Bands != 3 || r.PixelType != "U16" || r.NoData == nil || *r.NoData != 0 || r.SRS.WKID != 32633 ||
		r.Width != 64 || r.Height != 64 || r.Overviews != 2 || r.CellSizeX != 10 || r.Driver != "GTiff" {
		t.Errorf("raster info %+v", r)
	}
	if b := it.Footprint.Bound(); b != (orb.Bound{Min: orb.Point{500000, 4999360}, Max: orb.Point{500640, 5000000}}) {
		t.Errorf("footprint bound %v", b)
	}
	c := b.collection("Fields")
	if c.SRS.WKID != 32633 || c.Summary.Count != 1 || c.Summary.BandCount != 3 || c.Summary.PixelType != "U16" {
		t.Errorf("collection %+v", c)
	}
}

func equalValue(got, want any) bool {
	if g, ok := got.(float64); ok {
		w, ok := want.(float64)
		return ok && math.Abs(g-w) < 1e-6*math.Max(1, math.Abs(w))
	}
	return got == want
}

// gdalCorners returns a raster's corner coordinates (upper left, lower
// left, lower right, upper right) in EPSG:4326 as gdalinfo computes them.
func gdalCorners(t testing.TB, path string) [][2]float64 {
	t.Helper()
	out, err := exec.Command("gdalinfo", "-json", path).Output()
	if err != nil {
		t.Fatalf("gdalinfo: %v", err)
	}
	var info struct {
		WGS84Extent struct {
			Coordinates [][][2]float64 `json:"coordinates"`
		} `json:"wgs84Extent"`
	}
	if err := json.Unmarshal(out, &info); err != nil {
		t.Fatal(err)
	}
	return info.WGS84Extent.Coordinates[0][:4]
}

// gdalTransform reprojects points with the gdaltransform command.
func gdalTransform(t testing.TB, from, to string, pts [][2]float64) [][2]float64 {
	t.Helper()
	var in strings.Builder
	for _, p := range pts {
		in.WriteString(strconv.FormatFloat(p[0], 'f', -1, 64) + " " + strconv.FormatFloat(p[1], 'f', -1, 64) + "\n")
	}
	cmd := exec.Command("gdaltransform", "-s_srs", from, "-t_srs", to, "-output_xy")
	cmd.Stdin = strings.NewReader(in.String())
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("gdaltransform: %v", err)
	}
	var res [][2]float64
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		f := strings.Fields(line)
		x, _ := strconv.ParseFloat(f[0], 64)
		y, _ := strconv.ParseFloat(f[1], 64)
		res = append(res, [2]float64{x, y})
	}
	return res
}

// TestAddImageReprojection adds UTM rasters to collections in EPSG:4326
// and EPSG:3857 and checks that every footprint passes through the corners
// gdalinfo reports, and that cell sizes are scaled.
func TestAddImageReprojection(t *testing.T) {
	t.Parallel()
	b := setup(t)
	dir := filepath.Join(b.dir, "src")
	srcs := []string{
		tile(t, dir, "utm33.tif", 0),
		rastertest.GeoTIFF(t, filepath.Join(dir, "utm32.tif"), rastertest.EPSG(32632),
			rastertest.GeoTransform([6]float64{700000, 30, 0, 5300000, 0, -30})),
	}
	before := rastertest.Checksums(t, srcs...)
	for _, tc := range []struct {
		name string
		wkid int
		tol  float64
	}{{"Geo", 4326, 1e-7}, {"Web", 3857, 1e-2}} {
		b.create(tc.name, `{"outSR": {"wkid": `+strconv.Itoa(tc.wkid)+`}}`)
		b.succeed("AddImage", map[string]string{"imageCollection": tc.name, "inputRasters": jsonText(srcs)})
		items := b.items(tc.name)
		if len(items) != 2 {
			t.Fatalf("%s: %d items", tc.name, len(items))
		}
		for _, src := range srcs {
			it := itemByName(t, items, strings.TrimSuffix(filepath.Base(src), ".tif"))
			corners := gdalCorners(t, src)
			if tc.wkid != 4326 {
				corners = gdalTransform(t, "EPSG:4326", "EPSG:"+strconv.Itoa(tc.wkid), corners)
			}
			ring := it.Footprint[0]
			if len(ring) < 5 {
				t.Errorf("%s %s: ring of %d points", tc.name, src, len(ring))
			}
			for _, c := range corners {
				best := math.Inf(1)
				for _, p := range ring {
					best = math.Min(best, math.Hypot(p[0]-c[0], p[1]-c[1]))
				}
				if best > tc.tol {
					t.Errorf("%s %s: corner %v is %g from the footprint %v", tc.name, filepath.Base(src), c, best, ring)
				}
			}
			bound := it.Footprint.Bound()
			if !bound.Contains(orb.Point{it.Attributes["CenterX"].(float64), it.Attributes["CenterY"].(float64)}) {
				t.Errorf("%s: centre outside the footprint", tc.name)
			}
			native := 10.0
			if strings.Contains(src, "utm32") {
				native = 30
			}
			// A UTM metre is about 1/111320° of latitude; Web Mercator
			// stretches by 1/cos(latitude) near 45°N.
			low := it.Attributes["LowPS"].(float64)
			switch tc.wkid {
			case 4326:
				if low < native/111320/2 || low > native/111320*2 {
					t.Errorf("%s: LowPS %g for %g m pixels", tc.name, low, native)
				}
			case 3857:
				if low < native || low > native*2 {
					t.Errorf("%s: LowPS %g for %g m pixels", tc.name, low, native)
				}
			}
			if it.Raster.SRS.WKID != 32633 && it.Raster.SRS.WKID != 32632 {
				t.Errorf("item keeps its own SRS: %+v", it.Raster.SRS)
			}
		}
		if c := b.collection(tc.name); c.SRS.WKID != tc.wkid {
			t.Errorf("%s: collection SRS %+v", tc.name, c.SRS)
		}
	}
	before.AssertUnchanged(t)
}

var _ = mosaic.FieldNameName
