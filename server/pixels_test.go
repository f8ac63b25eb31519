package server_test

import (
	"net/url"
	"strings"
	"testing"

	"github.com/tessera-gis/tessera/internal/golden"
	"github.com/tessera-gis/tessera/server"
)

// TestImageServerShape compares the service description with a real
// ArcGIS 11 image service's: every key it sends, with the same types.
func TestImageServerShape(t *testing.T) {
	t.Parallel()
	f := newImageFixture(t, server.Config{})
	body, _ := get(t, f.IS()+"?f=json")
	golden.AssertShape(t, "imageserver.json", body, "sortValue") // null: no sort value is set
	info := getJSON(t, f.IS()+"?f=json")
	ti, _ := info["timeInfo"].(map[string]any)
	// Items 1–3 have dates, 2024-01-01 to 2024-03-01.
	if ti["startTimeField"] != "AcquisitionDate" || jsonText(ti["timeExtent"]) != "[1704067200000,1709251200000]" {
		t.Errorf("timeInfo = %v", info["timeInfo"])
	}
	if info["sortableFields"] == "" || info["datasetFormat"] != "AMD" || info["hasHistograms"] != false {
		t.Errorf("sortableFields %v, datasetFormat %v, hasHistograms %v (no pixel reader)",
			info["sortableFields"], info["datasetFormat"], info["hasHistograms"])
	}
	web := getJSON(t, f.srv.URL+"/arcgis/rest/services/Web/ImageServer?f=json")
	if _, ok := web["timeInfo"]; ok {
		t.Errorf("Web has no dates but reports timeInfo %v", web["timeInfo"])
	}
}

// TestExportFlippedBBox: esri-leaflet sends bbox=xmin,ymax,xmax,ymin;
// ArcGIS normalises the corners, and so does tessera.
func TestExportFlippedBBox(t *testing.T) {
	t.Parallel()
	f := newImageFixture(t, server.Config{})
	want := bboxParam(0, 0, 200, 100)
	get(t, f.IS()+"/exportImage?f=image&size=200,100&bbox="+want)
	straight := f.render.last(t)
	for _, b := range []string{
		bboxParam(0, 100, 200, 0), // xmin,ymax,xmax,ymin (Leaflet)
		bboxParam(200, 0, 0, 100),
		bboxParam(200, 100, 0, 0),
	} {
		get(t, f.IS()+"/exportImage?f=image&size=200,100&bbox="+b)
		got := f.render.last(t)
		if got.Bound != straight.Bound || len(got.Sources) != len(straight.Sources) {
			t.Errorf("bbox=%s: rendered %v with %d sources, want %v with %d", b, got.Bound, len(got.Sources),
				straight.Bound, len(straight.Sources))
		}
	}
	for _, format := range []string{"lerc", "bip", "bsq"} {
		get(t, f.IS()+"/exportImage?f=image&size=20,10&format="+format+"&lercVersion=3&compressionTolerance=0.5&bbox="+want)
		got := f.render.last(t)
		if got.Format != format || (format == "lerc") != (got.LercCodec == 3 && got.Tolerance == 0.5) {
			t.Errorf("format=%s: render request %+v", format, got)
		}
	}
}

// TestPixelOperationErrors: bad input to every new parameter is an Esri
// 400 envelope (these are decoded before any pixel is read, so no pixel
// reader is configured here; cmd/tessera tests the answers with GDAL).
func TestPixelOperationErrors(t *testing.T) {
	t.Parallel()
	f := newImageFixture(t, server.Config{})
	pt := "&geometry=" + url.QueryEscape(`{"x":600050,"y":5300050}`)
	poly := "&geometry=" + url.QueryEscape(`{"rings":[[[600000,5300000],[600000,5300100],[600100,5300100],[600000,5300000]]]}`)
	q := url.QueryEscape
	tests := []struct{ op, query, contains string }{
		{"identify", "", "geometry"},
		{"identify", "&geometry=abc", "geometry"},
		{"identify", "&geometry=" + q(`{"x":1}`), "geometry"},
		{"identify", "&geometry=" + q(`{"x":"a","y":2}`), "geometry"},
		{"identify", "&geometry=" + q(`{"paths":[[[0,0],[1,1]]]}`), "geometry"},
		{"identify", "&geometry=" + q(`{"x":1e400,"y":2}`), "geometry"},
		{"identify", "&geometry=" + q(`{"rings":[[[0,0],[0,0],[0,0]]]}`), "no area"},
		{"identify", pt + "&geometryType=esriGeometryPolyline", "geometryType"},
		{"identify", pt + "&geometryType=esriGeometryBlob", "geometryType"},
		{"identify", pt + "&geometryType=esriGeometryPolygon", "geometry"},
		{"identify", pt + "&pixelSize=0", "pixelSize"},
		{"identify", pt + "&pixelSize=-3,-3", "pixelSize"},
		{"identify", pt + "&pixelSize=" + q(`{"x":"a"}`), "pixelSize"},
		{"identify", pt + "&pixelSize=NaN", "pixelSize"},
		{"identify", pt + "&pixelSize=1,2,3", "pixelSize"},
		{"identify", pt + "&renderingRule=" + q(`{"rasterFunction":"Hillshade"}`), "renderingRule"},
		{"identify", pt + "&renderingRule=%7B", "renderingRule"},
		{"identify", pt + "&mosaicRule=%7B", "mosaicRule"},
		{"identify", "&geometry=" + q(`{"x":1,"y":2,"spatialReference":{"wkid":"x"}}`), "spatialReference"},
		{"getSamples", "", "geometry"},
		{"getSamples", "&geometry=" + q(`{"points":[]}`), "empty"},
		{"getSamples", "&geometry=" + q(`{"paths":[[[0,0]]]}`), "path"},
		{"getSamples", pt + "&sampleDistance=-1", "sampleDistance"},
		{"getSamples", pt + "&sampleDistance=x", "sampleDistance"},
		{"getSamples", pt + "&sampleCount=-1", "sampleCount"},
		{"getSamples", pt + "&returnFirstValueOnly=maybe", "returnFirstValueOnly"},
		{"getSamples", pt + "&outFields=Nope", "outFields"},
		{"computeHistograms", pt, "geometry"},
		{"computeHistograms", poly + "&pixelSize=x", "pixelSize"},
		{"computeHistograms", "&geometry=" + q(`{"xmin":1,"ymin":1,"xmax":1,"ymax":2}`), "envelope"},
		{"computeStatisticsHistograms", "&geometry=" + q(`{"rings":[]}`), "geometry"},
		{"computeStatisticsHistograms", poly + "&geometryType=esriGeometryPoint", "geometryType"},
	}
	for _, tt := range tests {
		body, ct := get(t, f.IS()+"/"+tt.op+"?f=json"+tt.query)
		code, msg := esriError(t, body)
		if !strings.HasPrefix(ct, "application/json") || code != 400 || !strings.Contains(msg, tt.contains) {
			t.Errorf("%s %s: %s %d %q, want 400 containing %q", tt.op, tt.query, ct, code, msg, tt.contains)
		}
	}
	// Without a pixel reader, a valid request says the operation is not
	// available here.
	body, _ := get(t, f.IS()+"/identify?f=json"+pt)
	if code, msg := esriError(t, body); code != 400 || !strings.Contains(msg, "not available") {
		t.Errorf("identify without a pixel reader: %d %q", code, msg)
	}
}

// TestDescriptiveResources checks keyProperties, legend and each item's
// info and keyProperties against golden files and the ArcGIS shapes.
func TestDescriptiveResources(t *testing.T) {
	t.Parallel()
	f := newImageFixture(t, server.Config{})
	for _, c := range []struct{ path, golden, ref string }{
		{"/keyProperties", "keyProperties.json", "keyProperties.json"},
		{"/legend", "legend.json", "legend_rgb.json"},
		{"/1/info", "item1_info.json", "item_info.json"},
		{"/1/info/keyProperties", "item1_keyProperties.json", ""},
	} {
		body, _ := get(t, f.IS()+c.path+"?f=json")
		golden.Assert(t, c.golden, body)
		if c.ref != "" {
			golden.AssertShape(t, c.ref, body, "BandProperties[].WavelengthMin", "BandProperties[].WavelengthMax")
		}
	}
	kp := getJSON(t, f.IS()+"/2/info/keyProperties?f=json")
	if kp["AcquisitionDate"] != 1706745600000.0 || kp["CloudCover"] != 80.0 || kp["SensorName"] != "B" {
		t.Errorf("item 2 keyProperties = %v", kp)
	}
	img, ct := get(t, f.IS()+"/2/info/thumbnail")
	if ct != "image/png" || len(img) == 0 {
		t.Errorf("info/thumbnail: %s, %d bytes", ct, len(img))
	}
	for _, p := range []string{"/statistics", "/histograms"} {
		m := getJSON(t, f.IS()+p+"?f=json")
		if len(m) != 1 {
			t.Errorf("%s without a pixel reader = %v", p, m)
		}
	}
	body, _ := get(t, f.IS()+"/99/info?f=json")
	if code, _ := esriError(t, body); code != 404 {
		t.Errorf("/99/info: %s", body)
	}
}
