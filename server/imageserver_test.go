package server_test

import (
	"strings"
	"testing"

	"github.com/tessera-gis/tessera/internal/golden"
	"github.com/tessera-gis/tessera/server"
)

// TestImageServerInfo checks the service description against its golden
// file, and the keys that clients read.
func TestImageServerInfo(t *testing.T) {
	t.Parallel()
	f := newImageFixture(t, server.Config{MaxRecordCount: 5})
	body, ct := get(t, f.IS()+"?f=json")
	if !strings.HasPrefix(ct, "application/json") {
		t.Errorf("Content-Type = %q", ct)
	}
	golden.Assert(t, "info.json", body)

	info := getJSON(t, f.IS()+"?f=pjson")
	ext, _ := info["extent"].(map[string]any)
	sr, _ := ext["spatialReference"].(map[string]any)
	if ext["xmin"] != gx0 || ext["ymax"] != gy0+1100 || sr["wkid"] != 32633.0 || sr["latestWkid"] != 32633.0 {
		t.Errorf("extent = %v", ext)
	}
	for _, k := range []string{"initialExtent", "fullExtent"} {
		if jsonText(info[k]) != jsonText(ext) {
			t.Errorf("%s = %v, want the extent", k, info[k])
		}
	}
	checks := map[string]any{
		"name": "Golden", "serviceItemId": "0123456789abcdef0123456789abcdef", "itemCount": 5.0,
		"pixelSizeX": 10.0, "pixelSizeY": 10.0, "bandCount": 3.0, "pixelType": "U8",
		"objectIdField": "OBJECTID", "capabilities": "Image,Metadata,Catalog",
		"maxRecordCount": 5.0, "maxImageWidth": 15000.0, "maxImageHeight": 4100.0,
		"useStandardizedQueries": true, "serviceDataType": "esriImageServiceDataTypeGeneric",
		"defaultMosaicMethod": "Northwest",
	}
	for k, want := range checks {
		if info[k] != want {
			t.Errorf("%s = %v, want %v", k, info[k], want)
		}
	}
	// Items 1 and 2 have statistics, 100 pixels each; band 1 pools
	// [0,200] mean 100 std 10 with [50,250] mean 100 std 10.
	if got := jsonText(info["minValues"]); got != "[0,0,10]" {
		t.Errorf("minValues = %s", got)
	}
	if got := jsonText(info["maxValues"]); got != "[250,100,20]" {
		t.Errorf("maxValues = %s", got)
	}
	if got := jsonText(info["meanValues"]); got != "[100,50,15]" {
		t.Errorf("meanValues = %s", got)
	}
	if got := jsonText(info["stdvValues"]); got != "[10,5,1]" {
		t.Errorf("stdvValues = %s", got)
	}

	// A collection without statistics reports empty lists.
	web := getJSON(t, f.srv.URL+"/arcgis/rest/services/Web/ImageServer?f=json")
	if got := jsonText(web["minValues"]); got != "[]" {
		t.Errorf("Web minValues = %s", got)
	}
	if sr, _ := web["spatialReference"].(map[string]any); sr["wkid"] != 102100.0 || sr["latestWkid"] != 3857.0 {
		t.Errorf("Web spatialReference = %v", web["spatialReference"])
	}

	page, ct := get(t, f.IS()+"?f=html")
	if !strings.HasPrefix(ct, "text/html") || !strings.Contains(string(page), "Golden (ImageServer)") ||
		!strings.Contains(string(page), "exportImage?") {
		t.Errorf("f=html: %s %.300s", ct, page)
	}
	page, _ = get(t, f.IS())
	if !strings.Contains(string(page), "<html") {
		t.Errorf("no f: want the HTML page, got %.200s", page)
	}
}

func TestImageServerErrors(t *testing.T) {
	t.Parallel()
	f := newImageFixture(t, server.Config{})
	tests := []struct {
		url      string
		code     int
		contains string
	}{
		{"/arcgis/rest/services/Nope/ImageServer?f=json", 404, "Nope/ImageServer does not exist"},
		{"/arcgis/rest/services/Nope/ImageServer/query?where=1%3D1&f=json", 404, "does not exist"},
		{"/arcgis/rest/services/Nope/ImageServer/exportImage?bbox=0,0,1,1&f=image", 404, "does not exist"},
		{"/arcgis/rest/services/Golden/ImageServer/99?f=json", 404, "Item 99 does not exist"},
		{"/arcgis/rest/services/Golden/ImageServer/99/thumbnail?f=json", 404, "Item 99 does not exist"},
		{"/arcgis/rest/services/Golden/ImageServer?f=xml", 400, "Unsupported format"},
	}
	for _, tt := range tests {
		body, ct := get(t, f.srv.URL+tt.url)
		code, msg := esriError(t, body)
		if code != tt.code || !strings.Contains(msg, tt.contains) || !strings.HasPrefix(ct, "application/json") {
			t.Errorf("%s: %s %d %q, want %d containing %q", tt.url, ct, code, msg, tt.code, tt.contains)
		}
	}
}

func TestItemResources(t *testing.T) {
	t.Parallel()
	f := newImageFixture(t, server.Config{})
	body, _ := get(t, f.IS()+"/4?f=json")
	golden.Assert(t, "item4.json", body)
	item := getJSON(t, f.IS()+"/1?f=json")
	attrs, _ := item["attributes"].(map[string]any)
	if attrs["OBJECTID"] != 1.0 || attrs["AcquisitionDate"] != 1704067200000.0 || attrs["Path"] != "/data/one.tif" {
		t.Errorf("attributes = %v", attrs)
	}

	img, ct := get(t, f.IS()+"/2/thumbnail")
	if ct != "image/png" || len(img) == 0 {
		t.Errorf("thumbnail: %s, %d bytes", ct, len(img))
	}
	req := f.render.last(t)
	if len(req.Sources) != 1 || req.Sources[0].OID != 2 || req.Width != 200 || req.Height != 200 ||
		req.Bound.Min[0] != gx0+50 || req.Bound.Max[1] != gy0+150 {
		t.Errorf("thumbnail render = %+v", req)
	}

	boundary := getJSON(t, f.IS()+"/boundary?f=json")
	if boundary["geometryType"] != "esriGeometryPolygon" {
		t.Errorf("boundary = %v", boundary)
	}
	g, _ := boundary["geometry"].(map[string]any)
	rings, _ := g["rings"].([]any)
	// The union of items 1–3, item 4 with its hole, and item 5.
	if len(rings) != 4 {
		t.Errorf("boundary has %d rings, want 4: %v", len(rings), rings)
	}
}
