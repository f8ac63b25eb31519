package main_test

import (
	"context"
	"fmt"
	"math"
	"net/url"
	"path/filepath"
	"slices"
	"testing"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/planar"

	"github.com/tessera-gis/tessera/mosaic"
	"github.com/tessera-gis/tessera/raster/rastertest"
)

// seedCatalog writes a collection of n items straight into dir/tessera.db,
// before a server starts on dir: tiles of a 100-column grid whose items
// cycle through sources (which every test checks are never changed).
// CloudCover is OBJECTID mod 100; Name is "seed<OBJECTID>".
func seedCatalog(t *testing.T, dir, name string, n int, sources ...string) {
	t.Helper()
	ctx := context.Background()
	db := openCatalog(t, dir)
	defer db.Close()
	c := &mosaic.Collection{Name: name, SRS: mosaic.SpatialRef{WKID: 32633}}
	if err := db.Update(ctx, func(tx mosaic.Tx) error { return tx.CreateCollection(c) }); err != nil {
		t.Fatal(err)
	}
	const batch = 20000
	for lo := 0; lo < n; lo += batch {
		var items []*mosaic.Item
		for i := lo; i < min(lo+batch, n); i++ {
			x, y := 500000+float64(i%100)*640, 5000000+float64(i/100%100)*640
			items = append(items, &mosaic.Item{
				Path:      sources[i%len(sources)],
				Footprint: orb.Polygon{{{x, y}, {x + 640, y}, {x + 640, y + 640}, {x, y + 640}, {x, y}}},
				Attributes: map[string]any{
					mosaic.FieldNameCloudCover: float64((i + 1) % 100),
					mosaic.FieldNameName:       fmt.Sprintf("seed%d", i+1),
					mosaic.FieldNameLowPS:      10.0, mosaic.FieldNameHighPS: 10.0,
				},
				Raster: mosaic.RasterInfo{Driver: "GTiff", Width: 64, Height: 64, Bands: 1, PixelType: "U8",
					SRS: mosaic.SpatialRef{WKID: 32633}, GeoTransform: [6]float64{x, 10, 0, y + 640, 0, -10}, CellSizeX: 10, CellSizeY: 10},
			})
		}
		if err := db.Update(ctx, func(tx mosaic.Tx) error {
			_, err := tx.AddItems(c, items, mosaic.AddOptions{})
			return err
		}); err != nil {
			t.Fatal(err)
		}
	}
}

// sources writes n small GeoTIFFs into a new directory.
func sources(t *testing.T, n int, prefix string) (string, []string) {
	t.Helper()
	dir := t.TempDir()
	var out []string
	for i := range n {
		out = append(out, rastertest.GeoTIFF(t, filepath.Join(dir, fmt.Sprintf("%s%02d.tif", prefix, i)),
			rastertest.GeoTransform([6]float64{500000 + float64(i)*640, 10, 0, 5100000, 0, -10}),
			rastertest.Metadata("CLOUDCOVER", fmt.Sprint(i*7%100))))
	}
	return dir, out
}

// errorCode returns the code of an Esri error envelope, or 0.
func errorCode(m map[string]any) int {
	e, _ := m["error"].(map[string]any)
	c, _ := e["code"].(float64)
	return int(c)
}

// result returns a succeeded job's result value.
func result(t *testing.T, p *proc, task, id string) any {
	t.Helper()
	return getJSON(t, p.GP(task)+"/jobs/"+id+"/results/result?f=json")["value"]
}

// run submits a job and waits for it.
func run(t *testing.T, p *proc, task string, form url.Values) (string, map[string]any) {
	t.Helper()
	id := submit(t, p, task, form)
	return id, wait(t, p, task, id)
}

// liveItems returns the collection's items with footprints, by OBJECTID.
func liveItems(t *testing.T, p *proc, name string) map[int64]map[string]any {
	t.Helper()
	out := map[int64]map[string]any{}
	for offset := 0; ; offset += 1000 {
		m := getJSON(t, p.Services()+"/"+name+"/ImageServer/query?f=json&where=1%3D1&outFields=*&returnGeometry=true&resultRecordCount=1000&resultOffset="+fmt.Sprint(offset))
		feats, ok := m["features"].([]any)
		if !ok {
			t.Fatalf("query: %v", m)
		}
		for _, f := range feats {
			f := f.(map[string]any)
			attrs := f["attributes"].(map[string]any)
			out[int64(attrs["OBJECTID"].(float64))] = f
		}
		if len(feats) < 1000 {
			return out
		}
	}
}

func rings(g any) orb.Polygon {
	var p orb.Polygon
	gm, _ := g.(map[string]any)
	rs, _ := gm["rings"].([]any)
	for _, r := range rs {
		var ring orb.Ring
		for _, pt := range r.([]any) {
			xy := pt.([]any)
			ring = append(ring, orb.Point{xy[0].(float64), xy[1].(float64)})
		}
		p = append(p, ring)
	}
	return p
}

// checkExtentAndBoundary compares the ImageServer's extent, item count and
// boundary with the live items it lists, computed by brute force.
func checkExtentAndBoundary(t *testing.T, p *proc, name string) {
	t.Helper()
	live := liveItems(t, p, name)
	info := getJSON(t, p.Services()+"/"+name+"/ImageServer?f=json")
	if got := int(info["itemCount"].(float64)); got != len(live) {
		t.Errorf("itemCount = %d, query lists %d", got, len(live))
	}
	var (
		fps    []orb.Polygon
		extent orb.Bound
	)
	for _, f := range live {
		fp := rings(f["geometry"])
		fps = append(fps, fp)
		if extent.IsZero() {
			extent = fp.Bound()
		} else {
			extent = extent.Union(fp.Bound())
		}
	}
	bm := getJSON(t, p.Services()+"/"+name+"/ImageServer/boundary?f=json")
	var boundary orb.MultiPolygon
	if g, ok := bm["geometry"].(map[string]any); ok {
		// Esri rings: outer rings clockwise, holes counter-clockwise.
		for _, r := range rings(g) {
			if r.Orientation() == orb.CW || len(boundary) == 0 {
				boundary = append(boundary, orb.Polygon{r})
			} else {
				boundary[len(boundary)-1] = append(boundary[len(boundary)-1], r)
			}
		}
	} else {
		t.Fatalf("boundary: %v", bm)
	}
	if len(live) == 0 {
		if len(boundary) != 0 {
			t.Errorf("empty collection has boundary %v", boundary)
		}
		return
	}
	e := info["extent"].(map[string]any)
	got := orb.Bound{Min: orb.Point{e["xmin"].(float64), e["ymin"].(float64)}, Max: orb.Point{e["xmax"].(float64), e["ymax"].(float64)}}
	if math.Abs(got.Min[0]-extent.Min[0])+math.Abs(got.Min[1]-extent.Min[1])+math.Abs(got.Max[0]-extent.Max[0])+math.Abs(got.Max[1]-extent.Max[1]) > 1e-6 {
		t.Errorf("extent = %v, live items span %v", got, extent)
	}
	const n = 60
	w, h := extent.Max[0]-extent.Min[0], extent.Max[1]-extent.Min[1]
	for i := range n {
		for j := range n {
			pt := orb.Point{extent.Min[0] + w*(float64(i)+0.5+0.1*math.Sqrt2)/n, extent.Min[1] + h*(float64(j)+0.5-0.07)/n}
			in := slices.ContainsFunc(fps, func(fp orb.Polygon) bool { return planar.PolygonContains(fp, pt) })
			if got := planar.MultiPolygonContains(boundary, pt); got != in {
				t.Fatalf("boundary at %v: %v, live footprints: %v", pt, got, in)
			}
		}
	}
}
