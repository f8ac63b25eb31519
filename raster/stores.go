package raster

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
)

// Data stores: the only places GDAL reads from.
//
// A Stores value lists the local folders and HTTP(S) URL prefixes an
// administrator registered, and the server's own files that stay
// unreadable even inside a store. It travels in the context
// (WithStores): every function of this package that opens a source checks
// the source against the context's stores first, every time it opens it,
// and a context without stores refuses every source. The check resolves
// symbolic links and "..", refuses every GDAL prefix and connection string
// (/vsi…, CSV:, GPKG:, vrt://, inline XML…), reads VRT files to check
// every file they reference, and answers alike for a missing file and a
// forbidden one. Network access is checked again, for every request GDAL
// makes (redirects included), by an in-process proxy (see proxy.go).

// ErrNotInStore reports a source that is not a readable file (or URL)
// inside a registered data store. Missing and forbidden sources get the
// same error, so that errors tell nothing about files outside the stores.
var ErrNotInStore = errors.New("not a readable file inside a registered data store")

// ErrNoStores reports that no data store is registered at all.
var ErrNoStores = errors.New("no data store is registered: start tessera serve with --data-store FOLDER_OR_URL_PREFIX")

// ErrForbiddenSource reports a multi-file source (a VRT) that references a
// file outside the stores, or uses a feature that could (pixel function
// code, open options, a remote source).
var ErrForbiddenSource = errors.New("it references files outside the registered data stores or uses a refused VRT feature")

// Stores is a set of registered data stores. The zero value and nil hold
// no store and refuse every source. A Stores is immutable and safe for
// concurrent use.
type Stores struct {
	specs []string   // as registered, for listing
	dirs  []string   // resolved absolute folders
	urls  []urlStore // URL prefixes
	// files are never readable; dirs likewise, except inside a store
	// that lies within them.
	denyFiles []string
	denyDirs  []string
}

// urlStore is an http(s) URL prefix.
type urlStore struct {
	scheme, host, port string // host lower case, without brackets
	path               string // path prefix, ending in "/"
	explicit           bool   // host is an IP literal or "localhost": its non-public addresses are allowed
}

// alwaysDenied are system folders never readable, whatever the stores.
var alwaysDenied = []string{"/proc", "/sys", "/dev"}

// NewStores parses store specifications: local folders (which must exist)
// and http:// or https:// URL prefixes. protect lists files and folders of
// the server (its data folder, database, users file, token secret) that
// stay unreadable even inside a store; a protected folder stays readable
// only inside a store that lies within it (the demo folder in the data
// folder). Object-store URLs (s3://, gs://, az://) are refused: GDAL would
// read them with the server's own cloud credentials.
func NewStores(specs []string, protectFiles, protectDirs []string) (*Stores, error) {
	s := &Stores{}
	for _, spec := range specs {
		spec = strings.TrimSpace(spec)
		if spec == "" {
			continue
		}
		lower := strings.ToLower(spec)
		switch {
		case strings.HasPrefix(lower, "http://"), strings.HasPrefix(lower, "https://"):
			u, err := parseStoreURL(spec)
			if err != nil {
				return nil, fmt.Errorf("data store %s: %w", spec, err)
			}
			s.urls = append(s.urls, u)
			s.specs = append(s.specs, u.prefix())
			continue
		case strings.HasPrefix(lower, "s3://"), strings.HasPrefix(lower, "gs://"), strings.HasPrefix(lower, "gcs://"),
			strings.HasPrefix(lower, "az://"), strings.HasPrefix(lower, "azure://"), strings.HasPrefix(lower, "/vsi"):
			return nil, fmt.Errorf("data store %s: object stores are not supported, because GDAL would read them with the "+
				"server's own cloud credentials; serve the bucket over HTTPS (a public or presigned endpoint) and register that URL prefix", spec)
		case strings.Contains(spec, "://") && !strings.HasPrefix(lower, "file://"):
			return nil, fmt.Errorf("data store %s: want a local folder or an http(s):// URL prefix", spec)
		}
		if strings.HasPrefix(lower, "file://") {
			spec = spec[len("file://"):]
		}
		abs, err := filepath.Abs(spec)
		if err != nil {
			return nil, fmt.Errorf("data store %s: %w", spec, err)
		}
		dir, err := filepath.EvalSymlinks(abs)
		if err != nil {
			return nil, fmt.Errorf("data store %s: %w", spec, err)
		}
		if st, err := os.Stat(dir); err != nil || !st.IsDir() {
			return nil, fmt.Errorf("data store %s: not a folder", spec)
		}
		s.dirs = append(s.dirs, dir)
		s.specs = append(s.specs, dir)
	}
	resolve := func(p string) string {
		abs, err := filepath.Abs(p)
		if err != nil {
			return filepath.Clean(p)
		}
		if r, err := filepath.EvalSymlinks(abs); err == nil {
			return r
		}
		return abs
	}
	for _, p := range protectFiles {
		if p != "" {
			s.denyFiles = append(s.denyFiles, resolve(p))
		}
	}
	for _, p := range append(append([]string(nil), alwaysDenied...), protectDirs...) {
		if p != "" {
			s.denyDirs = append(s.denyDirs, resolve(p))
		}
	}
	registerNetwork(s.urls)
	return s, nil
}

// List returns the registered stores: resolved folders and URL prefixes.
func (s *Stores) List() []string {
	if s == nil {
		return nil
	}
	return append([]string(nil), s.specs...)
}

// Empty reports whether s holds no store.
func (s *Stores) Empty() bool { return s == nil || len(s.specs) == 0 }

type storesKey struct{}

// WithStores returns a context whose reads are limited to s.
func WithStores(ctx context.Context, s *Stores) context.Context {
	return context.WithValue(ctx, storesKey{}, s)
}

// StoresFrom returns the stores of ctx, nil if it has none.
func StoresFrom(ctx context.Context) *Stores {
	s, _ := ctx.Value(storesKey{}).(*Stores)
	return s
}

// Check checks a source name (a local path, an http(s) URL or
// /vsicurl/URL) against the stores of ctx, without reading it. It returns
// the name to read: a local path with symbolic links and ".." resolved, or
// the /vsicurl/ name of the URL. Errors wrap ErrNoStores or ErrNotInStore.
func Check(ctx context.Context, name string) (string, error) {
	return StoresFrom(ctx).check(name)
}

// check is Check on s.
func (s *Stores) check(name string) (string, error) {
	if s.Empty() {
		return "", ErrNoStores
	}
	if u, ok := urlOf(name); ok {
		if _, err := s.matchURL(u); err != nil {
			return "", fmt.Errorf("%q: %w", name, ErrNotInStore)
		}
		return "/vsicurl/" + u, nil
	}
	if !strings.HasPrefix(name, "/") || strings.HasPrefix(name, "/vsi") || strings.ContainsRune(name, 0) {
		return "", fmt.Errorf("%q: %w", name, ErrNotInStore)
	}
	// Physically, as the kernel would: ".." after a symbolic link leaves
	// the link's target, not the folder holding the link.
	resolved, err := filepath.EvalSymlinks(name)
	if err != nil || !s.containsLocal(resolved) {
		return "", fmt.Errorf("%q: %w", name, ErrNotInStore)
	}
	return resolved, nil
}

// ContainsResolved reports whether a local path that is already resolved
// (one Check returned, or an entry that is not a link found by walking
// such a folder) may be read: it lies in a store and outside the server's
// own files. It does no I/O, for listings of many files.
func (s *Stores) ContainsResolved(p string) bool {
	return !s.Empty() && filepath.IsAbs(p) && s.containsLocal(filepath.Clean(p))
}

// containsLocal reports whether a resolved absolute path lies in a store
// and outside the protected files and folders.
func (s *Stores) containsLocal(p string) bool {
	var in []string
	for _, d := range s.dirs {
		if within(p, d) {
			in = append(in, d)
		}
	}
	if len(in) == 0 {
		return false
	}
	for _, f := range s.denyFiles {
		if p == f || within(p, f) {
			return false
		}
	}
	for _, d := range s.denyDirs {
		if !within(p, d) {
			continue
		}
		// Readable only inside a store that lies strictly within d.
		ok := false
		for _, sd := range in {
			if sd != d && within(sd, d) {
				ok = true
			}
		}
		if !ok {
			return false
		}
	}
	return true
}

// within reports whether p is dir or lies below it.
func within(p, dir string) bool {
	if dir == "/" {
		return true
	}
	return p == dir || len(p) > len(dir) && p[len(dir)] == '/' && strings.HasPrefix(p, dir)
}

// urlOf returns the URL of an http(s) name or /vsicurl/ name.
func urlOf(name string) (string, bool) {
	n := strings.TrimPrefix(name, "/vsicurl/")
	lower := strings.ToLower(n)
	if strings.HasPrefix(lower, "http://") || strings.HasPrefix(lower, "https://") {
		return n, true
	}
	return "", false
}

// parseStoreURL parses a registered URL prefix.
func parseStoreURL(spec string) (urlStore, error) {
	u, err := url.Parse(spec)
	if err != nil {
		return urlStore{}, err
	}
	if u.User != nil || u.RawQuery != "" || u.Fragment != "" || u.Host == "" {
		return urlStore{}, errors.New("want http(s)://host[:port]/path/ without user, query or fragment")
	}
	st, err := splitURL(u)
	if err != nil {
		return urlStore{}, err
	}
	if !strings.HasSuffix(st.path, "/") {
		st.path += "/"
	}
	if st.host == "localhost" {
		st.explicit = true
	} else if _, err := netip.ParseAddr(st.host); err == nil {
		st.explicit = true
	}
	return st, nil
}

// splitURL normalises a URL's scheme, host, port and path. Paths with
// dot segments or encoded slashes, dots or backslashes are refused, so a
// prefix match on the path means what it says.
func splitURL(u *url.URL) (urlStore, error) {
	st := urlStore{scheme: strings.ToLower(u.Scheme), host: strings.ToLower(u.Hostname()), port: u.Port()}
	if st.scheme != "http" && st.scheme != "https" {
		return st, errors.New("not an http(s) URL")
	}
	if st.host == "" {
		return st, errors.New("no host")
	}
	if st.port == "" {
		st.port = map[string]string{"http": "80", "https": "443"}[st.scheme]
	}
	raw := strings.ToLower(u.EscapedPath())
	for _, bad := range []string{"%2e", "%2f", "%5c", "\\", "%00"} {
		if strings.Contains(raw, bad) {
			return st, errors.New("encoded dots, slashes or backslashes in the path")
		}
	}
	p := u.Path
	if p == "" {
		p = "/"
	}
	for _, seg := range strings.Split(p, "/") {
		if seg == "." || seg == ".." {
			return st, errors.New("dot segments in the path")
		}
	}
	st.path = p
	return st, nil
}

func (u urlStore) prefix() string {
	return u.scheme + "://" + net.JoinHostPort(u.host, u.port) + u.path
}

// matchURL returns the store that holds the URL raw.
func (s *Stores) matchURL(raw string) (urlStore, error) {
	u, err := url.Parse(raw)
	if err != nil || u.User != nil || u.Fragment != "" {
		return urlStore{}, ErrNotInStore
	}
	got, err := splitURL(u)
	if err != nil {
		return urlStore{}, ErrNotInStore
	}
	for _, st := range s.urls {
		if st.scheme == got.scheme && st.host == got.host && st.port == got.port && strings.HasPrefix(got.path, st.path) {
			return st, nil
		}
	}
	return urlStore{}, ErrNotInStore
}

// network is the union of the URL stores of every Stores made in this
// process: the proxy that GDAL's HTTP requests go through allows only
// these. (A server has one Stores; tests make several.)
var network struct {
	sync.RWMutex
	urls []urlStore
}

func registerNetwork(us []urlStore) {
	if len(us) == 0 {
		return
	}
	network.Lock()
	network.urls = append(network.urls, us...)
	network.Unlock()
}
