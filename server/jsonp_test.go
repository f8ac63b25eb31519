package server_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/tessera-gis/tessera/server"
)

// TestJSONP: callback=NAME wraps JSON answers, errors included, as ArcGIS
// Server does; a name that is not a JavaScript name path is refused, and
// nothing of it is echoed.
func TestJSONP(t *testing.T) {
	srv, _, _ := browserServer(t, false, "", server.Config{})
	for _, tc := range []struct {
		query, wantPrefix, wantType string
	}{
		{"f=json&callback=cb", "/**/cb({", "application/javascript"},
		{"f=pjson&callback=dojo.io.script.jsonp_dojoIoScript1._jsonpCallback", "/**/dojo.io.script.jsonp_dojoIoScript1._jsonpCallback({", "application/javascript"},
		{"f=json&callback=$jq_1", "/**/$jq_1({", "application/javascript"},
		{"f=json", "{", "application/json"},
	} {
		resp, body := send(t, http.MethodGet, srv.URL+"/arcgis/rest/info?"+tc.query, "", "")
		if !strings.HasPrefix(body, tc.wantPrefix) || !strings.HasPrefix(resp.Header.Get("Content-Type"), tc.wantType) {
			t.Errorf("%s: %s %q", tc.query, resp.Header.Get("Content-Type"), body)
		}
		if tc.wantType == "application/javascript" && !strings.HasSuffix(body, "});\n") {
			t.Errorf("%s: not closed: %q", tc.query, body)
		}
	}
	// An error envelope is wrapped too, so a JSONP client sees it.
	_, body := send(t, http.MethodGet, srv.URL+"/arcgis/rest/services/Nope/ImageServer?f=json&callback=cb", "", "")
	if !strings.HasPrefix(body, `/**/cb({"error":`) {
		t.Errorf("error not wrapped: %q", body)
	}
	for _, bad := range []string{"alert(1)", "a..b", "1a", "a-b", "<script>", "a+b", ".a", "a.", strings.Repeat("a", 129), "cb%0A", "%E2%80%AEcb"} {
		_, body := send(t, http.MethodGet, srv.URL+"/arcgis/rest/info?f=json&callback="+bad, "", "")
		if !strings.HasPrefix(body, `{"error":{"code":400`) || strings.Contains(body, "script>") || strings.Contains(body, "alert") {
			t.Errorf("callback %q: %q", bad, body)
		}
	}
}
