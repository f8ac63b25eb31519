package server_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"

	"github.com/tessera-gis/tessera/internal/golden"
	"github.com/tessera-gis/tessera/server"
)

func jsonText(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}

// TestQueryGolden pins the Esri JSON and GeoJSON of the query modes.
func TestQueryGolden(t *testing.T) {
	t.Parallel()
	f := newImageFixture(t, server.Config{MaxRecordCount: 3})
	tests := []struct{ name, query string }{
		{"query_page1.json", "where=1%3D1&outFields=*&f=json"},
		{"query_page2.json", "where=1%3D1&outFields=Name,AcquisitionDate&resultOffset=3&f=json"},
		{"query_hole.json", "objectIds=4&outFields=Name&f=json"},
		{"query_nogeometry.json", "where=CloudCover+%3E+20&outFields=Name,CloudCover&orderByFields=CloudCover+DESC&returnGeometry=false&f=json"},
		{"query_ids.json", "where=1%3D1&returnIdsOnly=true&f=json"},
		{"query_count.json", "where=SensorName%3D%27A%27&returnCountOnly=true&f=json"},
		{"query_extent.json", "where=OBJECTID%3C4&returnExtentOnly=true&f=json"},
		{"query_count_extent.json", "where=OBJECTID%3C4&returnExtentOnly=true&returnCountOnly=true&f=json"},
		{"query_extent.geojson", "where=1%3D1&returnExtentOnly=true&f=geojson"},
		{"query_features.geojson", "objectIds=1,4&outFields=Name,AcquisitionDate&f=geojson"},
	}
	for _, tt := range tests {
		body, _ := get(t, f.IS()+"/query?"+tt.query)
		if code, msg := esriError(t, body); code != 0 {
			t.Fatalf("%s: error %d %s", tt.query, code, msg)
		}
		golden.Assert(t, tt.name, body)
	}
}

// TestQueryForGDAL checks what GDAL's ESRIJSON driver depends on: the
// layer keys before the features, the paging signal, and the compact
// "bbox":[ of the extent request.
func TestQueryForGDAL(t *testing.T) {
	t.Parallel()
	f := newImageFixture(t, server.Config{MaxRecordCount: 2})
	body, ct := get(t, f.IS()+"/query?where=1%3D1&outFields=*&f=json")
	if !strings.HasPrefix(ct, "application/json") {
		t.Errorf("Content-Type = %q", ct)
	}
	features := bytes.Index(body, []byte(`"features"`))
	for _, k := range []string{`"geometryType":"esriGeometryPolygon"`, `"spatialReference":{"wkid":32633`, `"fields":[{"name":"OBJECTID","type":"esriFieldTypeOID"`} {
		if i := bytes.Index(body, []byte(k)); i < 0 || i > features {
			t.Errorf("%s must come before \"features\" (at %d, features at %d)", k, i, features)
		}
	}
	if !bytes.Contains(body, []byte(`"exceededTransferLimit":true`)) {
		t.Errorf("the first page of 2 of 5 must say exceededTransferLimit:true: %s", body)
	}

	// GDAL's paging: the same URL with resultRecordCount and resultOffset,
	// until a page no longer exceeds the limit.
	var got []float64
	for offset := 0; ; offset += 2 {
		page := getJSON(t, fmt.Sprintf("%s/query?where=1%%3D1&outFields=*&f=json&resultRecordCount=2&resultOffset=%d", f.IS(), offset))
		feats, _ := page["features"].([]any)
		for _, ft := range feats {
			got = append(got, ft.(map[string]any)["attributes"].(map[string]any)["OBJECTID"].(float64))
		}
		if page["exceededTransferLimit"] != true {
			break
		}
	}
	if !slices.Equal(got, []float64{1, 2, 3, 4, 5}) {
		t.Errorf("paged OBJECTIDs = %v", got)
	}
	// A page larger than maxRecordCount is capped.
	page := getJSON(t, f.IS()+"/query?where=1%3D1&resultRecordCount=100&f=json")
	if feats, _ := page["features"].([]any); len(feats) != 2 || page["exceededTransferLimit"] != true {
		t.Errorf("resultRecordCount=100 with maxRecordCount 2: %d features, exceeded %v", len(feats), page["exceededTransferLimit"])
	}
	// The count and the IDs are not paged.
	if c := getJSON(t, f.IS()+"/query?where=1%3D1&outFields=*&f=json&returnCountOnly=true"); c["count"] != 5.0 {
		t.Errorf("count = %v", c)
	}
	if ids := getJSON(t, f.IS()+"/query?where=1%3D1&returnIdsOnly=true&f=json"); jsonText(ids["objectIds"]) != "[1,2,3,4,5]" {
		t.Errorf("ids = %v", ids)
	}
	body, ct = get(t, f.IS()+"/query?where=1%3D1&outFields=*&f=geojson&returnExtentOnly=true")
	if !strings.HasPrefix(ct, "application/geo+json") || !bytes.Contains(body, []byte(`"bbox":[600000,5300000,601100,5301100]`)) {
		t.Errorf("extent: %s %s", ct, body)
	}
}

// TestQueryRingsAndDates checks Esri ring order (exterior rings clockwise,
// holes counter-clockwise), GeoJSON's opposite order, and dates in epoch
// milliseconds.
func TestQueryRingsAndDates(t *testing.T) {
	t.Parallel()
	f := newImageFixture(t, server.Config{})
	page := getJSON(t, f.IS()+"/query?objectIds=1,4&outFields=AcquisitionDate&f=json")
	feats, _ := page["features"].([]any)
	if len(feats) != 2 {
		t.Fatalf("features = %v", feats)
	}
	five := getJSON(t, f.IS()+"/query?objectIds=5&outFields=Name,CloudCover&f=json")
	a5 := five["features"].([]any)[0].(map[string]any)["attributes"].(map[string]any)
	if a5["Name"] != fiveName || a5["CloudCover"] != 50.0 {
		t.Errorf("item 5 attributes = %q", a5)
	}
	attrs := feats[0].(map[string]any)["attributes"].(map[string]any)
	if attrs["AcquisitionDate"] != 1704067200000.0 {
		t.Errorf("AcquisitionDate = %v, want 1704067200000 (2024-01-01 in epoch ms)", attrs["AcquisitionDate"])
	}
	rings := feats[1].(map[string]any)["geometry"].(map[string]any)["rings"].([]any)
	if len(rings) != 2 {
		t.Fatalf("item 4 has %d rings, want 2", len(rings))
	}
	if a := signedArea(rings[0]); a >= 0 {
		t.Errorf("exterior ring is counter-clockwise (area %v): %v", a, rings[0])
	}
	if a := signedArea(rings[1]); a <= 0 {
		t.Errorf("hole is clockwise (area %v): %v", a, rings[1])
	}

	gj := getJSON(t, f.IS()+"/query?objectIds=4&f=geojson")
	coords := gj["features"].([]any)[0].(map[string]any)["geometry"].(map[string]any)["coordinates"].([]any)
	if signedArea(coords[0]) <= 0 || signedArea(coords[1]) >= 0 {
		t.Errorf("GeoJSON rings must be exterior counter-clockwise, holes clockwise: %v", coords)
	}
	if crs := jsonText(gj["crs"]); crs != `{"properties":{"name":"urn:ogc:def:crs:EPSG::32633"},"type":"name"}` {
		t.Errorf("crs = %s", crs)
	}
}

func near(a, b float64) bool { return math.Abs(a-b) < 1e-9 }

// signedArea is the shoelace area of a JSON ring: positive when
// counter-clockwise.
func signedArea(ring any) float64 {
	pts := ring.([]any)
	var a float64
	for i := range len(pts) - 1 {
		p, q := pts[i].([]any), pts[i+1].([]any)
		a += p[0].(float64)*q[1].(float64) - q[0].(float64)*p[1].(float64)
	}
	return a / 2
}

func TestQueryGeometry(t *testing.T) {
	t.Parallel()
	f := newImageFixture(t, server.Config{})
	box := func(x0, y0, x1, y1 float64) string {
		return fmt.Sprintf("%f,%f,%f,%f", gx0+x0, gy0+y0, gx0+x1, gy0+y1)
	}
	q := url.QueryEscape
	tests := []struct {
		name, query string
		want        string
	}{
		{"envelope shorthand", "geometry=" + box(90, 90, 110, 110), "[1,2,3]"},
		{"encoded commas", "geometry=" + strings.ReplaceAll(box(90, 90, 110, 110), ",", "%2C"), "[1,2,3]"},
		{"envelope JSON", "geometryType=esriGeometryEnvelope&geometry=" +
			q(fmt.Sprintf(`{"xmin":%v,"ymin":%v,"xmax":%v,"ymax":%v,"spatialReference":{"wkid":32633}}`, gx0+140, gy0+10, gx0+160, gy0+20)), "[3]"},
		{"point shorthand", "geometryType=esriGeometryPoint&geometry=" + fmt.Sprintf("%f,%f", gx0+75, gy0+75), "[1,2]"},
		{"point in a hole", "geometryType=esriGeometryPoint&geometry=" + q(fmt.Sprintf(`{"x":%v,"y":%v}`, gx0+350, gy0+350)), "[]"},
		{"envelope over a hole", "geometry=" + box(340, 340, 360, 360) + "&spatialRel=esriSpatialRelEnvelopeIntersects", "[4]"},
		{"polygon", "geometryType=esriGeometryPolygon&geometry=" +
			q(fmt.Sprintf(`{"rings":[[[%v,%v],[%v,%v],[%v,%v],[%v,%v]]]}`, gx0+10, gy0+10, gx0+10, gy0+20, gx0+20, gy0+10, gx0+10, gy0+10)), "[1]"},
		{"contains", "geometry=" + box(-10, -10, 160, 160) + "&spatialRel=esriSpatialRelContains", "[1,2]"},
		{"within", "geometry=" + box(60, 60, 70, 70) + "&spatialRel=esriSpatialRelWithin", "[1,2]"},
		{"with where", "geometry=" + box(90, 90, 110, 110) + "&where=" + q("CloudCover < 50"), "[1,3]"},
		{"empty inSR and outSR keys", "geometry=" + box(90, 90, 110, 110) + "&inSR&outSR&time=&layers=show:", "[1,2,3]"},
		{"inSR equal to the service", "geometry=" + box(90, 90, 110, 110) + "&inSR=32633", "[1,2,3]"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ids := getJSON(t, f.IS()+"/query?returnIdsOnly=true&f=json&"+tt.query)
			if got := jsonText(ids["objectIds"]); got != tt.want {
				t.Errorf("objectIds = %s, want %s (%v)", got, tt.want, ids)
			}
		})
	}

	// Reprojection: the Web collection is in Web Mercator; query it in
	// WGS 84 and read the footprint back in WGS 84.
	web := f.srv.URL + "/arcgis/rest/services/Web/ImageServer"
	ids := getJSON(t, web+"/query?returnIdsOnly=true&f=json&geometry=16.05,48.05&geometryType=esriGeometryPoint&inSR=4326")
	if got := jsonText(ids["objectIds"]); got != "[1]" {
		t.Errorf("WGS 84 point in the Web item: %s", got)
	}
	ids = getJSON(t, web+"/query?returnIdsOnly=true&f=json&geometry="+q(`{"x":16.2,"y":48.05,"spatialReference":{"wkid":4326}}`))
	if got := jsonText(ids["objectIds"]); got != "[]" {
		t.Errorf("WGS 84 point east of the Web item: %s", got)
	}
	page := getJSON(t, web+"/query?where=1%3D1&outSR=4326&f=json")
	if sr := jsonText(page["spatialReference"]); sr != `{"latestWkid":4326,"wkid":4326}` {
		t.Errorf("outSR=4326: spatialReference = %s", sr)
	}
	ring := page["features"].([]any)[0].(map[string]any)["geometry"].(map[string]any)["rings"].([]any)[0].([]any)
	first := ring[0].([]any)
	if x, y := first[0].(float64), first[1].(float64); !near(x, 16) || !near(y, 48) {
		t.Errorf("outSR=4326: first vertex %v", first)
	}
	ext := getJSON(t, web+"/query?where=1%3D1&returnExtentOnly=true&outSR=4326&f=json")
	e := ext["extent"].(map[string]any)
	if !near(e["xmin"].(float64), 16) || !near(e["ymax"].(float64), 48.1) || jsonText(e["spatialReference"]) != `{"latestWkid":4326,"wkid":4326}` {
		t.Errorf("extent in WGS 84 = %v", e)
	}
	bbox := getJSON(t, web+"/query?where=1%3D1&returnExtentOnly=true&outSR=4326&f=geojson")["bbox"].([]any)
	if !near(bbox[0].(float64), 16) || !near(bbox[1].(float64), 48) || !near(bbox[2].(float64), 16.1) || !near(bbox[3].(float64), 48.1) {
		t.Errorf("GeoJSON extent in WGS 84: %v", bbox)
	}
}

func TestQueryErrors(t *testing.T) {
	t.Parallel()
	f := newImageFixture(t, server.Config{})
	tests := []struct {
		query    string
		contains string
	}{
		{"where=CloudCover+%3E&f=json", "Invalid where clause"},
		{"where=Nope+%3D+1&f=json", "unknown field"},
		{"where=1%3D1&outFields=Nope&f=json", "Invalid outFields"},
		{"where=1%3D1&orderByFields=Nope&f=json", "Invalid orderByFields"},
		{"geometry=1,2,3&f=json", "geometry"},
		{"geometry=%7Bbad&f=json", "not valid JSON"},
		{"geometry=1,2,3,4&spatialRel=esriSpatialRelTouches&f=json", "spatialRel"},
		{"geometry=1,2,3,4&inSR=999999&f=json", "Unknown spatial reference"},
		{"where=1%3D1&outSR=bogus&f=json", "outSR"},
		{"objectIds=1,x&f=json", "objectIds"},
		{"resultOffset=-1&f=json", "resultOffset"},
		{"returnGeometry=maybe&f=json", "returnGeometry"},
		{"where=1%3D1&f=kml", "f"},
	}
	for _, tt := range tests {
		resp, err := http.Get(f.IS() + "/query?" + tt.query)
		if err != nil {
			t.Fatal(err)
		}
		var buf bytes.Buffer
		buf.ReadFrom(resp.Body)
		resp.Body.Close()
		code, msg := esriError(t, buf.Bytes())
		if resp.StatusCode != http.StatusOK || code != 400 || !strings.Contains(msg, tt.contains) {
			t.Errorf("%s: HTTP %d, error %d %q; want HTTP 200, 400 containing %q", tt.query, resp.StatusCode, code, msg, tt.contains)
		}
	}
	// A POST form works like a GET.
	resp, err := http.PostForm(f.IS()+"/query", url.Values{"where": {"OBJECTID = 2"}, "returnIdsOnly": {"true"}, "f": {"json"}})
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	json.NewDecoder(resp.Body).Decode(&m)
	resp.Body.Close()
	if jsonText(m["objectIds"]) != "[2]" {
		t.Errorf("POST: %v", m)
	}
}
