package server_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"

	"github.com/paulmach/orb"

	"github.com/tessera-gis/tessera/mosaic"
	"github.com/tessera-gis/tessera/server"
)

// bboxParam is "xmin,ymin,xmax,ymax" relative to the fixture's origin.
func bboxParam(x0, y0, x1, y1 float64) string {
	return fmt.Sprintf("%.8f,%.8f,%.8f,%.8f", gx0+x0, gy0+y0, gx0+x1, gy0+y1)
}

func sourceOIDs(req mosaic.RenderRequest) []int64 {
	out := []int64{}
	for _, s := range req.Sources {
		out = append(out, s.OID)
	}
	return out
}

// TestExportSources checks which items exportImage draws and in which
// order (bottom first) for each mosaic method, against the ArcGIS mosaic
// rules: only items that intersect the request, the first ranked on top.
func TestExportSources(t *testing.T) {
	t.Parallel()
	f := newImageFixture(t, server.Config{})
	// Centres: 1 (50,50), 2 (100,100), 3 (150,50), 4 (350,350), 5 (1050,1050);
	// the service's north-west corner is (0,1100).
	nwView := bboxParam(0, 0, 200, 200)
	wide := bboxParam(0, 0, 300, 100)
	rule := func(s string) string { return "&mosaicRule=" + url.QueryEscape(s) }
	tests := []struct {
		name, query string
		want        []int64
	}{
		{"default is north-west", "bbox=" + nwView, []int64{3, 1, 2}},
		{"north-west", "bbox=" + wide + rule(`{"mosaicMethod":"esriMosaicNorthwest"}`), []int64{3, 1, 2}},
		{"north-west descending", "bbox=" + wide + rule(`{"mosaicMethod":"esriMosaicNorthWest","ascending":false}`), []int64{2, 1, 3}},
		{"north-west, MT_LAST", "bbox=" + wide + rule(`{"mosaicMethod":"esriMosaicNorthwest","mosaicOperation":"MT_LAST"}`), []int64{2, 1, 3}},
		{"center of the view", "bbox=" + wide + rule(`{"mosaicMethod":"esriMosaicCenter"}`), []int64{1, 2, 3}},
		{"viewpoint", "bbox=" + nwView + rule(fmt.Sprintf(`{"mosaicMethod":"esriMosaicViewpoint","viewpoint":{"x":%f,"y":%f,"spatialReference":{"wkid":32633}}}`, gx0+200, gy0)), []int64{1, 2, 3}},
		{"attribute", "bbox=" + nwView + rule(`{"mosaicMethod":"esriMosaicAttribute","sortField":"CloudCover"}`), []int64{2, 3, 1}},
		{"attribute descending", "bbox=" + nwView + rule(`{"mosaicMethod":"esriMosaicAttribute","sortField":"cloudcover","ascending":false}`), []int64{1, 3, 2}},
		{"attribute near a value", "bbox=" + nwView + rule(`{"mosaicMethod":"esriMosaicAttribute","sortField":"CloudCover","sortValue":85}`), []int64{1, 3, 2}},
		{"attribute near a date", "bbox=" + nwView + rule(`{"mosaicMethod":"esriMosaicAttribute","sortField":"AcquisitionDate","sortValue":"2024/03/01"}`), []int64{1, 2, 3}},
		{"none", "bbox=" + nwView + rule(`{"mosaicMethod":"esriMosaicNone"}`), []int64{3, 2, 1}},
		{"none descending", "bbox=" + nwView + rule(`{"mosaicMethod":"esriMosaicNone","ascending":false}`), []int64{1, 2, 3}},
		{"lock raster", "bbox=" + nwView + rule(`{"mosaicMethod":"esriMosaicLockRaster","lockRasterIds":[3,1]}`), []int64{1, 3}},
		{"lock raster outside the view", "bbox=" + nwView + rule(`{"mosaicMethod":"esriMosaicLockRaster","lockRasterIds":[5]}`), []int64{}},
		{"lock raster with fids", "bbox=" + nwView + rule(`{"mosaicMethod":"esriMosaicLockRaster","lockRasterIds":[3,1,2],"fids":[2,3]}`), []int64{2, 3}},
		{"where", "bbox=" + nwView + rule(`{"mosaicMethod":"esriMosaicNorthwest","where":"SensorName = 'A'"}`), []int64{3, 1}},
		{"fids", "bbox=" + nwView + rule(`{"fids":[1,2]}`), []int64{1, 2}},
		{"only intersecting items", "bbox=" + bboxParam(290, 290, 1010, 1010), []int64{5, 4}},
		{"inside a hole", "bbox=" + bboxParam(340, 340, 360, 360), []int64{}},
		{"nothing there", "bbox=" + bboxParam(5000, 5000, 6000, 6000), []int64{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			body, ct := get(t, f.IS()+"/exportImage?f=image&size=100,100&"+tt.query)
			if ct != "image/png" {
				code, msg := esriError(t, body)
				t.Fatalf("got %s: %d %s", ct, code, msg)
			}
			if got := sourceOIDs(f.render.last(t)); !slices.Equal(got, tt.want) {
				t.Errorf("sources (bottom first) = %v, want %v", got, tt.want)
			}
		})
	}
}

// TestExportBoundsTheSources: at most MaxMosaicImages items, the top ranked.
func TestExportBoundsTheSources(t *testing.T) {
	t.Parallel()
	f := newImageFixture(t, server.Config{MaxMosaicImages: 2})
	get(t, f.IS()+"/exportImage?f=image&bbox="+bboxParam(0, 0, 1100, 1100))
	if got := sourceOIDs(f.render.last(t)); !slices.Equal(got, []int64{2, 4}) {
		t.Errorf("sources = %v, want the two nearest the north-west, 4 over 2", got)
	}
	info := getJSON(t, f.IS()+"?f=json")
	if info["maxMosaicImageCount"] != 2.0 {
		t.Errorf("maxMosaicImageCount = %v", info["maxMosaicImageCount"])
	}
}

// TestExportRequests checks the request shapes of GDAL's WMS AGS
// minidriver and QGIS, and how the parameters reach the renderer.
func TestExportRequests(t *testing.T) {
	t.Parallel()
	f := newImageFixture(t, server.Config{})
	b := orb.Bound{Min: orb.Point{gx0, gy0}, Max: orb.Point{gx0 + 200, gy0 + 100}}
	tests := []struct {
		name, query string
		check       func(t *testing.T, r mosaic.RenderRequest)
	}{
		{"GDAL WMS AGS", fmt.Sprintf("f=image&bbox=%.8f%%2C%.8f%%2C%.8f%%2C%.8f&size=256%%2C128&imageSR=32633&bboxSR=32633&format=png&layers=&transparent=false&time=",
			b.Min[0], b.Min[1], b.Max[0], b.Max[1]),
			func(t *testing.T, r mosaic.RenderRequest) {
				if r.Width != 256 || r.Height != 128 || r.Bound != b || r.SRS.WKID != 32633 || r.Format != "png" || r.Resampling != "nearest" {
					t.Errorf("render = %+v", r)
				}
			}},
		{"QGIS", fmt.Sprintf("bbox=%f,%f,%f,%f&size=400,200&format=png&layers=show:&transparent=true&f=image", b.Min[0], b.Min[1], b.Max[0], b.Max[1]),
			func(t *testing.T, r mosaic.RenderRequest) {
				if r.Width != 400 || r.Height != 200 || r.Bound != b || r.SRS.WKID != 32633 {
					t.Errorf("render = %+v", r)
				}
			}},
		{"aspect ratio adjusted", "f=image&size=100,100&bbox=" + bboxParam(0, 0, 200, 100),
			func(t *testing.T, r mosaic.RenderRequest) {
				want := orb.Bound{Min: orb.Point{gx0, gy0 - 50}, Max: orb.Point{gx0 + 200, gy0 + 150}}
				if r.Width != 100 || r.Height != 100 || r.Bound != want {
					t.Errorf("render %dx%d over %v, want 100x100 over %v", r.Width, r.Height, r.Bound, want)
				}
			}},
		{"aspect ratio kept", "f=image&size=100,100&adjustAspectRatio=false&bbox=" + bboxParam(0, 0, 200, 100),
			func(t *testing.T, r mosaic.RenderRequest) {
				if r.Width != 100 || r.Height != 100 || r.Bound != b {
					t.Errorf("render %dx%d over %v", r.Width, r.Height, r.Bound)
				}
			}},
		{"bbox as JSON", "f=image&size=50,25&bbox=" + url.QueryEscape(fmt.Sprintf(`{"xmin":%f,"ymin":%f,"xmax":%f,"ymax":%f,"spatialReference":{"wkid":32633}}`, b.Min[0], b.Min[1], b.Max[0], b.Max[1])),
			func(t *testing.T, r mosaic.RenderRequest) {
				if r.Bound != b || r.Width != 50 {
					t.Errorf("render = %+v", r)
				}
			}},
		{"options", "f=image&size=20,10&format=tiff&pixelType=F32&noData=-9999&interpolation=RSP_BilinearInterpolation&bandIds=2,0,1&bbox=" + bboxParam(0, 0, 200, 100),
			func(t *testing.T, r mosaic.RenderRequest) {
				if r.Format != "tiff" || r.PixelType != "F32" || r.NoData == nil || *r.NoData != -9999 || r.Resampling != "bilinear" ||
					!slices.Equal(r.BandIDs, []int{2, 0, 1}) {
					t.Errorf("render = %+v", r)
				}
			}},
		{"default format", "f=image&bbox=" + bboxParam(0, 0, 200, 100),
			func(t *testing.T, r mosaic.RenderRequest) {
				if r.Format != "jpgpng" || r.Width != 400 || r.Height != 400 {
					t.Errorf("render = %+v", r)
				}
			}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			body, ct := get(t, f.IS()+"/exportImage?"+tt.query)
			if ct != "image/png" {
				code, msg := esriError(t, body)
				t.Fatalf("got %s: %d %s", ct, code, msg)
			}
			tt.check(t, f.render.last(t))
		})
	}

	// Web Mercator collection, WGS 84 request: the item is found through
	// the projected extent and the image is drawn in WGS 84.
	web := f.srv.URL + "/arcgis/rest/services/Web/ImageServer"
	get(t, web+"/exportImage?f=image&bbox=15.9,47.9,16.05,48.05&bboxSR=4326&imageSR=4326&size=150,150")
	r := f.render.last(t)
	if r.SRS.WKID != 4326 || !slices.Equal(sourceOIDs(r), []int64{1}) || r.Bound.Min[0] != 15.9 {
		t.Errorf("WGS 84 export = %+v", r)
	}
	get(t, web+"/exportImage?f=image&bbox=16.2,48.2,16.3,48.3&bboxSR=4326&imageSR=102100&size=150,150")
	if r := f.render.last(t); r.SRS.WKID != 102100 || len(r.Sources) != 0 || r.Bound.Min[0] < 1e6 {
		t.Errorf("WGS 84 bbox, Web Mercator image = %+v", r)
	}
}

func TestExportJSON(t *testing.T) {
	t.Parallel()
	f := newImageFixture(t, server.Config{})
	m := getJSON(t, f.IS()+"/exportImage?f=json&format=png&size=64,32&bbox="+bboxParam(0, 0, 200, 100))
	href, _ := m["href"].(string)
	if !strings.HasPrefix(href, f.srv.URL+"/arcgis/rest/directories/arcgisoutput/_ags_") || !strings.HasSuffix(href, ".png") ||
		m["width"] != 64.0 || m["height"] != 32.0 {
		t.Fatalf("f=json: %v", m)
	}
	ext := m["extent"].(map[string]any)
	if ext["xmin"] != gx0 || ext["xmax"] != gx0+200 || jsonText(ext["spatialReference"]) != `{"latestWkid":32633,"wkid":32633}` {
		t.Errorf("extent = %v", ext)
	}
	resp, err := http.Get(f.IS() + "/exportImage?f=image&bbox=" + bboxParam(0, 0, 200, 100))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if cc := resp.Header.Get("Cache-Control"); cc != "no-store" {
		t.Errorf("f=image Cache-Control = %q, want no-store (QGIS caches images otherwise)", cc)
	}
	img, ct := get(t, href)
	if string(img) != "\x89PNG stub" || ct != "image/png" {
		t.Errorf("href serves %s %q", ct, img)
	}
	page, ct := get(t, f.IS()+"/exportImage?size=64,32&bbox="+bboxParam(0, 0, 200, 100))
	if !strings.HasPrefix(ct, "text/html") || !strings.Contains(string(page), "f=image") {
		t.Errorf("f=html: %s %.300s", ct, page)
	}
}

// TestExportJSONPublicURL checks that with PublicURL the href of an
// f=json export is under it, not under the Host the request came with (a
// proxy or load balancer's internal name), as result URLs are.
func TestExportJSONPublicURL(t *testing.T) {
	t.Parallel()
	const public = "https://gis.example.com/arcgis"
	f := newImageFixture(t, server.Config{PublicURL: public + "/"})
	req, err := http.NewRequest(http.MethodGet, f.IS()+"/exportImage?f=json&format=png&size=64,32&bbox="+bboxParam(0, 0, 200, 100), nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Host = "localhost:9999" // as an internal hop would send it
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var m map[string]any
	if err := json.NewDecoder(resp.Body).Decode(&m); err != nil {
		t.Fatal(err)
	}
	href, _ := m["href"].(string)
	rest, ok := strings.CutPrefix(href, public+"/rest/directories/arcgisoutput/_ags_")
	if !ok || !strings.HasSuffix(href, ".png") {
		t.Fatalf("href %q, want it under %s/rest/directories/arcgisoutput/", href, public)
	}
	// The same path serves the image here.
	img, ct := get(t, f.srv.URL+"/arcgis/rest/directories/arcgisoutput/_ags_"+rest)
	if string(img) != "\x89PNG stub" || ct != "image/png" {
		t.Errorf("output serves %s %q", ct, img)
	}
}

func TestExportErrors(t *testing.T) {
	t.Parallel()
	f := newImageFixture(t, server.Config{})
	box := "&bbox=" + bboxParam(0, 0, 200, 100)
	rule := func(s string) string { return "&mosaicRule=" + url.QueryEscape(s) }
	tests := []struct{ query, contains string }{
		{"f=image", "bbox"},
		{"f=image&bbox=1,2,3", "bbox"},
		{"f=image&bbox=3,0,3,2", "bbox"},
		{"f=image&bbox=1,2,3,2", "bbox"},
		{"f=image&format=lerc&lercVersion=1" + box, "lercVersion"},
		{"f=image&format=lerc&compressionTolerance=-1" + box, "compressionTolerance"},
		{"f=image&bbox=" + url.QueryEscape(`{"xmin":1,"ymin":1,"xmax":1,"ymax":2}`), "bbox"},
		{"f=image&size=0,10" + box, "size"},
		{"f=image&size=10.5,10" + box, "size"},
		{"f=image&size=20000,100" + box, "too large"},
		{"f=image&format=gif" + box, "format"},
		{"f=image&interpolation=RSP_Fancy" + box, "interpolation"},
		{"f=image&bandIds=a" + box, "bandIds"},
		{"f=image&noData=x" + box, "noData"},
		{"f=image&bboxSR=nope" + box, "bboxSR"},
		{"f=image&imageSR=4326" + box, "Unknown spatial reference"},
		{"f=kmz" + box, "f"},
		{"f=image" + box + "&mosaicRule=%7B", "mosaicRule"},
		{"f=image" + box + rule(`{"mosaicMethod":"esriMosaicSeamline"}`), "mosaicMethod"},
		{"f=image" + box + rule(`{"mosaicMethod":"esriMosaicAttribute","sortField":"Nope"}`), "sortField"},
		{"f=image" + box + rule(`{"mosaicMethod":"esriMosaicAttribute","sortField":"CloudCover","sortValue":"soon"}`), "sortValue"},
		{"f=image" + box + rule(`{"mosaicMethod":"esriMosaicAttribute","sortField":"Name","sortValue":3}`), "string field"},
		{"f=image" + box + rule(`{"mosaicMethod":"esriMosaicViewpoint"}`), "viewpoint"},
		{"f=image" + box + rule(`{"mosaicMethod":"esriMosaicLockRaster"}`), "lockRasterIds"},
		{"f=image" + box + rule(`{"mosaicOperation":"MT_MEAN"}`), "mosaicOperation"},
		{"f=image" + box + rule(`{"where":"CloudCover >"}`), "Invalid where clause"},
	}
	for _, tt := range tests {
		body, ct := get(t, f.IS()+"/exportImage?"+tt.query)
		code, msg := esriError(t, body)
		if !strings.HasPrefix(ct, "application/json") || code != 400 && code != 429 || !strings.Contains(msg, tt.contains) {
			t.Errorf("%s: %s %d %q, want an error containing %q", tt.query, ct, code, msg, tt.contains)
		}
	}
}
