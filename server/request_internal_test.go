package server

import (
	"bytes"
	"context"
	"net/http"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"strings"
	"testing"

	"github.com/tessera-gis/tessera/mosaic"
	"github.com/tessera-gis/tessera/mosaic/sqlite"
)

// seen is what a middleware placed after decode learns about a request.
type seen struct {
	route, f, user string
	status, code   int
	bytes          bool // something was written
}

// TestRequestChain checks what request.go promises to middleware: a layer
// placed after decode reads the parameters, format and caller before the
// handler runs, and the route template, status and size after it.
func TestRequestChain(t *testing.T) {
	t.Parallel()
	db, err := sqlite.Open(context.Background(), filepath.Join(t.TempDir(), "t.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	users, err := ParseUsers(strings.NewReader(mustLine(t, "ann", mosaic.RoleViewer) + "\n"))
	if err != nil {
		t.Fatal(err)
	}
	auth, err := NewAuth(AuthConfig{Users: users, Secret: bytes.Repeat([]byte("s"), 32), Anonymous: mosaic.RoleViewer})
	if err != nil {
		t.Fatal(err)
	}
	s := New(Config{Store: db, Auth: auth, MaxBodyBytes: 1 << 10})
	tok, err := auth.signer.issue(tokenClaims{User: "ann", Expires: 1 << 50, Print: auth.signer.fingerprint(users.user("ann"))})
	if err != nil {
		t.Fatal(err)
	}

	var got seen
	var before string // the route and caller, as seen before the handler
	probe := func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, hr *http.Request) {
			r := requestOf(hr)
			before = r.route + " " + r.user.DisplayName()
			next.ServeHTTP(w, hr)
			got = seen{route: r.route, f: r.f, user: r.user.DisplayName(), status: r.resp.status, code: r.code, bytes: r.resp.bytes > 0}
		})
	}
	h := chain(s.router, append(s.middleware(), probe)...)

	form := func(v url.Values) *strings.Reader { return strings.NewReader(v.Encode()) }
	tests := []struct {
		name string
		req  *http.Request
		want seen
	}{
		{"anonymous viewer", httptest.NewRequest("GET", "/arcgis/rest/services/System?f=json", nil),
			seen{route: "/arcgis/rest/services/System", f: "json", user: "anonymous", status: 200, bytes: true}},
		{"token in the body, f in any case", httptest.NewRequest("POST", "/arcgis/rest/services", form(url.Values{"F": {"PJSON"}, "token": {tok}})),
			seen{route: "/arcgis/rest/services", f: "pjson", user: "ann", status: 200, bytes: true}},
		{"route template with variables", httptest.NewRequest("GET", "/arcgis/rest/services/Nope/ImageServer/query?f=json&token="+tok, nil),
			seen{route: "/arcgis/rest/services/{name}/ImageServer/query", f: "json", user: "ann", status: 200, code: 404, bytes: true}},
		{"no route, HTML error", httptest.NewRequest("GET", "/elsewhere", nil),
			seen{f: "html", user: "anonymous", status: 404, code: 404, bytes: true}},
		{"redirect", httptest.NewRequest("GET", "/arcgis/tokens", nil),
			seen{route: "/arcgis/tokens", f: "html", user: "anonymous", status: 302, bytes: true}},
		{"body too large: JSON", httptest.NewRequest("POST", "/arcgis/rest/info", form(url.Values{"f": {"html"}, "x": {strings.Repeat("x", 2<<10)}})),
			seen{route: "/arcgis/rest/info", f: "json", user: "anonymous", status: 200, code: 429, bytes: true}},
		{"bad token", httptest.NewRequest("GET", "/arcgis/rest/services?f=json&token=forged", nil),
			seen{route: "/arcgis/rest/services", f: "json", user: "anonymous", status: 200, code: 498, bytes: true}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.req.Method == "POST" {
				tt.req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			}
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, tt.req)
			if got != tt.want {
				t.Errorf("middleware saw %+v, want %+v (%d %.200s)", got, tt.want, rec.Code, rec.Body)
			}
			if before != got.route+" "+got.user {
				t.Errorf("route and caller before the handler %q, after %q %q", before, got.route, got.user)
			}
			if rec.Code != got.status {
				t.Errorf("recorded status %d, sent %d", got.status, rec.Code)
			}
		})
	}
}

func mustLine(t *testing.T, name string, role mosaic.Role) string {
	t.Helper()
	l, err := PasswordLine(name, role, "password-"+name, 4)
	if err != nil {
		t.Fatal(err)
	}
	return l
}
