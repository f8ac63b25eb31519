package server_test

import (
	"bytes"
	"context"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/tessera-gis/tessera/mosaic"
	"github.com/tessera-gis/tessera/server"
)

// TestSourcePathsHidden: viewers (anonymous or not, and cross-site
// callers of an open server) never see where items come from, nor probe
// it through where clauses, orders or mosaic rules; publishers do.
func TestSourcePathsHidden(t *testing.T) {
	t.Parallel()
	users, viewerKey := usersFile(t)
	auth, err := server.NewAuth(server.AuthConfig{Users: users, Secret: bytes.Repeat([]byte("k"), 32), Anonymous: mosaic.RoleViewer, LoginsPerMinute: 1000})
	if err != nil {
		t.Fatal(err)
	}
	f := newImageFixture(t, server.Config{Auth: auth})
	open := newImageFixture(t, server.Config{})
	bob := tokenFor(t, f.srv.URL, "bob", bobPW)
	is := "/arcgis/rest/services/Golden/ImageServer"
	bbox := "bbox=600000,5300000,600200,5300200&f=image&mosaicRule="
	rule := func(s string) string { return url.QueryEscape(s) }
	probes := []string{
		is + "?f=json",
		is + "/query?where=1%3D1&outFields=*&f=json",
		is + "/query?where=1%3D1&outFields=*&f=geojson",
		is + "/query?where=1%3D1&outFields=*&f=html",
		is + "/1?f=json",
		is + "/query?where=1%3D1&outFields=Path&f=json",
		is + "/query?where=" + url.QueryEscape("Path LIKE '/data/o%'") + "&f=json",
		is + "/query?where=" + url.QueryEscape("UPPER(path) = '/DATA/ONE.TIF'") + "&returnCountOnly=true&f=json",
		is + "/query?where=1%3D1&orderByFields=Path&outFields=Name&f=json",
		is + "/exportImage?" + bbox + rule(`{"mosaicMethod":"esriMosaicAttribute","sortField":"Path","sortValue":"/data/a"}`),
		is + "/exportImage?" + bbox + rule(`{"mosaicMethod":"esriMosaicAttribute","sortField":" path ","sortValue":"/data/a"}`),
		is + "/exportImage?" + bbox + rule(`{"where":"Path = '/data/one.tif'"}`),
		is + "/exportImage?" + bbox + rule(`{"where":"CHAR_LENGTH(Path) > 3"}`),
	}
	for _, p := range probes {
		for _, who := range []struct {
			name string
			srv  string
			h    []string
		}{
			{"anonymous viewer", f.srv.URL, nil},
			{"viewer key", f.srv.URL, []string{"X-Esri-Authorization", "Bearer " + viewerKey}},
			{"cross-site caller of an open server", open.srv.URL, []string{"Origin", "http://evil.example"}},
		} {
			_, body := send(t, "GET", who.srv+p, "", "", who.h...)
			if strings.Contains(body, "/data/") || strings.Contains(body, "one.tif") {
				t.Errorf("%s %s: shows a path: %.300s", who.name, p, body)
			}
			if strings.Contains(p, "Path") || strings.Contains(p, "path") || strings.Contains(p, "sortField") {
				if bodyCode(body) != 400 {
					t.Errorf("%s %s: code %d, want 400: %.300s", who.name, p, bodyCode(body), body)
				}
			} else if bodyCode(body) != 0 {
				t.Errorf("%s %s: %.300s", who.name, p, body)
			}
		}
		// A publisher sees the paths and may use them (a sortField must be
		// numeric or a date whoever asks).
		_, body := send(t, "GET", f.srv.URL+p, "", "", "X-Esri-Authorization", "Bearer "+bob)
		if bodyCode(body) != 0 && !strings.Contains(p, "sortField") {
			t.Errorf("publisher %s: %.300s", p, body)
		}
	}
	_, body := send(t, "GET", f.srv.URL+is+"/query?where=1%3D1&outFields=*&f=json", "", "", "X-Esri-Authorization", "Bearer "+bob)
	if !strings.Contains(body, "/data/one.tif") {
		t.Errorf("publisher query has no paths: %.300s", body)
	}
	_, body = send(t, "GET", open.srv.URL+is+"?f=json", "", "")
	if !strings.Contains(body, `"Path"`) {
		t.Errorf("a local caller of an open server (an admin) sees no Path field: %.300s", body)
	}
}

// TestJobInputsHidden: viewers see a job's status but neither its inputs
// nor its messages, which name source files.
func TestJobInputsHidden(t *testing.T) {
	t.Parallel()
	b, _ := setupJobs(t)
	const job = "/arcgis/rest/services/System/RasterAnalysisTools/GPServer/AddImage/jobs/j1"
	viewer := []string{"X-Esri-Authorization", "Bearer " + b.apiKey}
	bob := []string{"X-Esri-Authorization", "Bearer " + b.token(t, "bob", bobPW)}
	m := b.get(t, job+"?f=json", viewer...)
	if in := m["inputs"].(map[string]any); m["jobStatus"] != "esriJobSucceeded" || len(in) != 1 || in["imageCollection"] == nil ||
		len(m["messages"].([]any)) != 0 {
		t.Errorf("viewer: %v", m)
	}
	if code := errCode(b.get(t, job+"/inputs/inputRasters?f=json", viewer...)); code != 403 {
		t.Errorf("viewer inputs/inputRasters: code %d, want 403", code)
	}
	for _, tc := range []struct {
		path   string
		who    []string
		hidden bool
	}{
		{"/inputs?f=json", viewer, true},
		{"/inputs/imageCollection?f=json", viewer, false},
		{"/inputs?f=json", bob, false},
		{"/inputs/inputRasters?f=json", bob, false},
	} {
		req, _ := http.NewRequest(http.MethodGet, job+tc.path, nil)
		req.Header.Set(tc.who[0], tc.who[1])
		body := newRecorder(b, req)
		if strings.Contains(body, `"code"`) || strings.Contains(body, "éé") == tc.hidden && tc.path != "/inputs/imageCollection?f=json" ||
			(tc.path == "/inputs/imageCollection?f=json" && !strings.Contains(body, "Demo")) {
			t.Errorf("%s (hidden %v): %.300s", tc.path, tc.hidden, body)
		}
	}
	req, _ := http.NewRequest(http.MethodGet, job, nil)
	req.Header.Set(viewer[0], viewer[1])
	rec := newRecorder(b, req)
	if strings.Contains(rec, "éé") || !strings.Contains(rec, "esriJobSucceeded") {
		t.Errorf("viewer's HTML job page shows inputs:\n%.500s", rec)
	}
}

func newRecorder(b *authBundle, req *http.Request) string {
	rec := httptest.NewRecorder()
	b.srv.ServeHTTP(rec, req)
	return rec.Body.String()
}

// sourcePixels answers every pixel operation with value 7 from each
// source, so that identify and getSamples list the items they read.
type sourcePixels struct{}

func (sourcePixels) Identify(_ context.Context, r mosaic.IdentifyRequest) (*mosaic.IdentifyResult, error) {
	res := &mosaic.IdentifyResult{Location: r.Geometry.Bound().Center()}
	for _, src := range r.Sources {
		res.Items = append(res.Items, mosaic.ItemPixel{OID: src.OID, Values: []float64{7}, Visibility: 1})
		res.OID, res.Values = src.OID, []float64{7}
	}
	return res, nil
}

func (sourcePixels) Samples(_ context.Context, r mosaic.SampleRequest) ([]mosaic.PixelSample, error) {
	var out []mosaic.PixelSample
	for _, src := range r.Sources {
		out = append(out, mosaic.PixelSample{Location: r.Geometry.Bound().Center(), OID: src.OID, Values: []float64{7}, Resolution: 10})
	}
	return out, nil
}

func (sourcePixels) Statistics(context.Context, mosaic.StatsRequest) (*mosaic.StatsResult, error) {
	return &mosaic.StatsResult{}, nil
}

// TestPixelOperationsHidePaths: identify's catalog items and getSamples'
// attributes leave the Path field out for viewers, and outFields=Path is
// an unknown field to them.
func TestPixelOperationsHidePaths(t *testing.T) {
	t.Parallel()
	users, _ := usersFile(t)
	auth, err := server.NewAuth(server.AuthConfig{Users: users, Secret: bytes.Repeat([]byte("k"), 32), Anonymous: mosaic.RoleViewer, LoginsPerMinute: 1000})
	if err != nil {
		t.Fatal(err)
	}
	f := newImageFixture(t, server.Config{Auth: auth, Pixels: sourcePixels{}})
	bob := tokenFor(t, f.srv.URL, "bob", bobPW)
	pt := "&geometry=" + url.QueryEscape(`{"x":600050,"y":5300050}`) + "&geometryType=esriGeometryPoint"
	for _, p := range []string{"/identify?f=json" + pt, "/getSamples?f=json&outFields=*&returnFirstValueOnly=false" + pt} {
		_, body := send(t, "GET", f.IS()+p, "", "")
		if bodyCode(body) != 0 || strings.Contains(body, "/data/") || !strings.Contains(body, `"one"`) {
			t.Errorf("viewer %s: %.400s", p, body)
		}
		_, body = send(t, "GET", f.IS()+p, "", "", "X-Esri-Authorization", "Bearer "+bob)
		if !strings.Contains(body, "/data/one.tif") {
			t.Errorf("publisher %s: %.400s", p, body)
		}
	}
	_, body := send(t, "GET", f.IS()+"/getSamples?f=json&outFields=Path"+pt, "", "")
	if bodyCode(body) != 400 || strings.Contains(body, "/data/") {
		t.Errorf("viewer getSamples outFields=Path: %.300s", body)
	}
}
