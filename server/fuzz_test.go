package server_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/tessera-gis/tessera/mosaic"
	"github.com/tessera-gis/tessera/server"
)

// The fuzz targets send arbitrary parameters through the whole handler
// chain (decode, the browser layer, the handlers) and check that every
// answer is a proper one: HTTP 200 with an image, or JSON that is not an
// internal error. Their seeds run with every go test; fuzz them with
//
//	go test -run='^$' -fuzz=FuzzExportImageParams -fuzztime=20000x ./server

// nopRenderer checks what it is asked to draw and returns a stub image.
type nopRenderer struct{ t testing.TB }

func (n nopRenderer) Render(_ context.Context, req mosaic.RenderRequest) (*mosaic.Image, error) {
	if req.Width <= 0 || req.Height <= 0 || req.Width > 1<<15 || req.Height > 1<<15 {
		n.t.Errorf("asked to render %d×%d", req.Width, req.Height)
	}
	return &mosaic.Image{Data: []byte("\x89PNG stub"), ContentType: "image/png", Extension: "png"}, nil
}

// serveFuzz sends one request to h and checks the answer.
func serveFuzz(t *testing.T, h http.Handler, method, path string, params url.Values) {
	t.Helper()
	var req *http.Request
	if method == http.MethodPost {
		req = httptest.NewRequest(method, path, strings.NewReader(params.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	} else {
		req = httptest.NewRequest(method, path+"?"+params.Encode(), nil)
	}
	req.Host = "127.0.0.1:8080"
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	if rec.Code != http.StatusOK {
		t.Fatalf("%s %v: HTTP %d: %.300s", path, params, rec.Code, rec.Body)
	}
	if strings.HasPrefix(rec.Header().Get("Content-Type"), "image/") {
		return
	}
	var m map[string]any
	if err := json.Unmarshal(rec.Body.Bytes(), &m); err != nil {
		t.Fatalf("%s %v: not JSON (%v): %.300s", path, params, err, rec.Body)
	}
	if e, ok := m["error"].(map[string]any); ok {
		if code, _ := e["code"].(float64); code >= 500 || code == 0 || strings.Contains(rec.Body.String(), "Internal error") {
			t.Fatalf("%s %v: %s", path, params, rec.Body)
		}
	}
}

// FuzzExportImageParams fuzzes exportImage's bbox, size, spatial
// references, mosaic rule and format.
func FuzzExportImageParams(f *testing.F) {
	fx := newImageFixture(f, server.Config{Renderer: nopRenderer{f}})
	h := fx.srv.Config.Handler
	for _, s := range [][6]string{
		{"600000,5300000,600100,5300100", "", "", "", "", ""},
		{"600000,5300100,600100,5300000", "256,256", "32633", "32633", `{"mosaicMethod":"esriMosaicNone","ascending":true}`, "png"},
		{`{"xmin":16,"ymin":48,"xmax":16.1,"ymax":48.1,"spatialReference":{"wkid":4326}}`, "10,10", "4326", "102100", "", "jpgpng"},
		{"1e308,1e308,-1e308,-1e308", "1000000,1", "", "", `{"mosaicMethod":"esriMosaicLockRaster","lockRasterIds":[1,2,3]}`, "tiff"},
		{"NaN,0,1,1", "0,0", "abc", "{\"wkt\":\"x\"}", `{"where":"CloudCover > 10","sortField":"CloudCover","sortValue":"5","mosaicMethod":"esriMosaicAttribute"}`, "lerc"},
		{"600000,5300000,600100,5300100", "4,4", "", "", `{"mosaicMethod":"esriMosaicViewpoint","viewpoint":{"x":1e400,"y":0}}`, "png32"},
		{"0,0,1,1", "-5,3", "3857", "", `{"mosaicMethod":"esriMosaicCenter","fids":[-1]}`, "bip"},
		{",,,", " 2 , 2 ", "\x00", "", "[]", ""},
	} {
		f.Add(s[0], s[1], s[2], s[3], s[4], s[5])
	}
	f.Fuzz(func(t *testing.T, bbox, size, bboxSR, imageSR, rule, format string) {
		serveFuzz(t, h, http.MethodGet, "/arcgis/rest/services/Golden/ImageServer/exportImage", url.Values{
			"bbox": {bbox}, "size": {size}, "bboxSR": {bboxSR}, "imageSR": {imageSR},
			"mosaicRule": {rule}, "format": {format}, "f": {"image"}})
	})
}

// FuzzQueryGeometry fuzzes the query's geometry, its type and spatial
// references, the spatial relation and the OBJECTID list.
func FuzzQueryGeometry(f *testing.F) {
	fx := newImageFixture(f, server.Config{})
	h := fx.srv.Config.Handler
	for _, s := range [][6]string{
		{"600000,5300000,600100,5300100", "esriGeometryEnvelope", "", "", "", ""},
		{`{"x":600050,"y":5300050}`, "esriGeometryPoint", "32633", "4326", "esriSpatialRelWithin", "1,2"},
		{`{"rings":[[[600000,5300000],[600100,5300000],[600100,5300100],[600000,5300000]]],"spatialReference":{"wkid":32633}}`, "esriGeometryPolygon", "", "", "esriSpatialRelContains", ""},
		{`{"points":[[16,48],[16.1,48.1]],"spatialReference":{"wkid":4326}}`, "esriGeometryMultipoint", "4326", "102100", "", "3"},
		{`{"paths":[[[0,0],[1e300,1e300]]]}`, "esriGeometryPolyline", "", "", "esriSpatialRelEnvelopeIntersects", "99999999999999999999"},
		{`{"xmin":"a"}`, "", "", "", "esriSpatialRelTouches", "-1,x"},
		{`{"rings":[[[0,0]]]}`, "esriGeometryPolygon", `{"wkid":3857}`, `{"wkt":"GEOGCS[]"}`, "", ""},
		{"[", "esriGeometryEnvelope", "0", "-1", "", ","},
	} {
		f.Add(s[0], s[1], s[2], s[3], s[4], s[5])
	}
	f.Fuzz(func(t *testing.T, geometry, geometryType, inSR, outSR, rel, ids string) {
		serveFuzz(t, h, http.MethodPost, "/arcgis/rest/services/Golden/ImageServer/query", url.Values{
			"where": {"1=1"}, "geometry": {geometry}, "geometryType": {geometryType}, "inSR": {inSR}, "outSR": {outSR},
			"spatialRel": {rel}, "objectIds": {ids}, "outFields": {"*"}, "f": {"json"}})
	})
}
