// Package webmap is tessera's web map viewer and job monitor: static pages
// (OpenLayers, bundled by esbuild) that read and edit image collections
// through the same ArcGIS REST endpoints as every other client.
//
// The sources are in src/; build.mjs bundles them into dist/, which is
// committed and embedded here, so the binary serves the pages with no
// network access at run time. dist/SOURCE_HASH is the hash of the sources
// the bundle was built from; the package test recomputes it, and
// scripts/test rebuilds dist/ and checks it is byte-identical.
package webmap

import (
	"bytes"
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"io/fs"
	"mime"
	"net/http"
	"path"
	"strings"
	"time"
)

//go:embed dist
var dist embed.FS

// FS returns the built pages: map.html, jobs.html, index.html, their
// scripts and style sheet, LICENSES.txt and SOURCE_HASH.
func FS() fs.FS {
	sub, err := fs.Sub(dist, "dist")
	if err != nil {
		panic(err) // dist is embedded; it always exists
	}
	return sub
}

// SourceHash returns the hash of the sources dist/ was built from.
func SourceHash() string {
	b, _ := fs.ReadFile(FS(), "SOURCE_HASH")
	return strings.TrimSpace(string(b))
}

// SecurityPolicy is the Content-Security-Policy of every page: scripts,
// styles, images and requests from this origin only (images also from the
// blob: URLs the pages make of fetched images), no plugins, no framing.
const SecurityPolicy = "default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; " +
	"img-src 'self' blob: data:; connect-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'"

type file struct {
	data  []byte
	etag  string
	ctype string
}

// Handler serves the pages from FS. Mount it under a prefix with
// http.StripPrefix; "/" serves index.html. Only GET and HEAD are allowed.
// Responses carry an ETag and Cache-Control: no-cache (browsers revalidate,
// so a new binary's pages are picked up at once) and the security headers.
func Handler() http.Handler {
	files := map[string]file{}
	err := fs.WalkDir(FS(), ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := fs.ReadFile(FS(), p)
		if err != nil {
			return err
		}
		sum := sha256.Sum256(b)
		ctype := mime.TypeByExtension(path.Ext(p))
		if ctype == "" || path.Base(p) == "SOURCE_HASH" {
			ctype = "text/plain; charset=utf-8"
		}
		files["/"+p] = file{data: b, etag: `"` + hex.EncodeToString(sum[:12]) + `"`, ctype: ctype}
		return nil
	})
	if err != nil {
		panic(err)
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("Content-Security-Policy", SecurityPolicy)
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("X-Frame-Options", "DENY")
		h.Set("Referrer-Policy", "no-referrer")
		if r.Method != http.MethodGet && r.Method != http.MethodHead {
			h.Set("Allow", "GET, HEAD")
			http.Error(w, "Method not allowed.", http.StatusMethodNotAllowed)
			return
		}
		p := r.URL.Path
		if p == "" || p == "/" {
			p = "/index.html"
		}
		f, ok := files[p]
		if !ok {
			http.Error(w, "Not found. The web map's pages are index.html, map.html and jobs.html.", http.StatusNotFound)
			return
		}
		h.Set("Content-Type", f.ctype)
		h.Set("Cache-Control", "no-cache")
		h.Set("ETag", f.etag)
		http.ServeContent(w, r, "", time.Time{}, bytes.NewReader(f.data))
	})
}
