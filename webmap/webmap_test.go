package webmap_test

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io/fs"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"

	"github.com/tessera-gis/tessera/webmap"
)

// sourceHash recomputes build.mjs's sourceHash from the files on disk:
// SHA-256 over "<path>\n<size>\n<bytes>" of build.mjs, package.json,
// package-lock.json and every file under src/, in sorted path order.
func sourceHash(t *testing.T) string {
	t.Helper()
	files := []string{"build.mjs", "package-lock.json", "package.json"}
	err := filepath.WalkDir("src", func(p string, d fs.DirEntry, err error) error {
		if err == nil && d.Type().IsRegular() {
			files = append(files, filepath.ToSlash(p))
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	sort.Strings(files)
	h := sha256.New()
	for _, f := range files {
		b, err := os.ReadFile(filepath.FromSlash(f))
		if err != nil {
			t.Fatal(err)
		}
		fmt.Fprintf(h, "%s\n%d\n", f, len(b))
		h.Write(b)
	}
	return hex.EncodeToString(h.Sum(nil))
}

// TestBundleMatchesSources checks that the embedded bundle was built from
// the sources in this directory: edit src/ without rebuilding and it fails.
func TestBundleMatchesSources(t *testing.T) {
	t.Parallel()
	if got, want := webmap.SourceHash(), sourceHash(t); got != want {
		t.Fatalf("dist/ was built from other sources (embedded hash %s, sources %s): run\n\tcd webmap && npm ci && node build.mjs\nand commit dist/", got, want)
	}
}

// TestPagesReferenceBundledFiles checks that every script and style sheet
// a page loads is in the bundle, and that nothing comes from elsewhere.
func TestPagesReferenceBundledFiles(t *testing.T) {
	t.Parallel()
	ref := regexp.MustCompile(`(?:src|href)="([^"#]*)"`)
	for _, page := range []string{"index.html", "map.html", "jobs.html"} {
		b, err := fs.ReadFile(webmap.FS(), page)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range ref.FindAllStringSubmatch(string(b), -1) {
			u := m[1]
			switch {
			case strings.Contains(u, "//"):
				t.Errorf("%s refers to another host: %s", page, u)
			case strings.HasPrefix(u, "/arcgis/rest/"):
				// the services directory, served by package server
			case u == "data:,":
				// no favicon
			default:
				if _, err := fs.Stat(webmap.FS(), u); err != nil {
					t.Errorf("%s refers to %s, which is not in the bundle", page, u)
				}
			}
		}
	}
}

func TestHandler(t *testing.T) {
	t.Parallel()
	srv := httptest.NewServer(http.StripPrefix("/arcgis/webmap", webmap.Handler()))
	defer srv.Close()
	for _, tc := range []struct {
		method, path string
		status       int
		ctype        string
	}{
		{"GET", "/arcgis/webmap/", 200, "text/html; charset=utf-8"},
		{"GET", "/arcgis/webmap/map.html", 200, "text/html; charset=utf-8"},
		{"HEAD", "/arcgis/webmap/jobs.html", 200, "text/html; charset=utf-8"},
		{"GET", "/arcgis/webmap/map.js", 200, "text/javascript; charset=utf-8"},
		{"GET", "/arcgis/webmap/app.css", 200, "text/css; charset=utf-8"},
		{"GET", "/arcgis/webmap/nope.html", 404, "text/plain; charset=utf-8"},
		{"GET", "/arcgis/webmap/../webmap.go", 404, "text/plain; charset=utf-8"},
		{"POST", "/arcgis/webmap/map.html", 405, "text/plain; charset=utf-8"},
	} {
		req, _ := http.NewRequest(tc.method, srv.URL+tc.path, nil)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != tc.status || resp.Header.Get("Content-Type") != tc.ctype {
			t.Errorf("%s %s: %d %q, want %d %q", tc.method, tc.path, resp.StatusCode, resp.Header.Get("Content-Type"), tc.status, tc.ctype)
		}
		if csp := resp.Header.Get("Content-Security-Policy"); csp != webmap.SecurityPolicy {
			t.Errorf("%s %s: Content-Security-Policy %q", tc.method, tc.path, csp)
		}
		if resp.Header.Get("X-Content-Type-Options") != "nosniff" {
			t.Errorf("%s %s: no nosniff", tc.method, tc.path)
		}
	}

	// Browsers revalidate with the ETag and get 304.
	resp, err := http.Get(srv.URL + "/arcgis/webmap/map.js")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	etag := resp.Header.Get("ETag")
	req, _ := http.NewRequest("GET", srv.URL+"/arcgis/webmap/map.js", nil)
	req.Header.Set("If-None-Match", etag)
	resp, err = http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if etag == "" || resp.StatusCode != http.StatusNotModified {
		t.Errorf("revalidation with ETag %q: %d, want 304", etag, resp.StatusCode)
	}
}
