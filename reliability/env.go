package main

import (
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"

	"github.com/tessera-gis/tessera/internal/subprocess"
)

// Env is what every part of the suite shares: the binary under test, the
// scratch folder, the registered data store and where its outputs go.
type Env struct {
	Root   string // repository root
	Work   string // scratch folder, removed at the end
	Cache  string // generated catalogs, kept between runs (reliability/.cache)
	Binary string // tessera, built from ./cmd/tessera
	Store  string // the folder registered with --data-store: demo rasters and AddImage inputs
	Logf   func(format string, args ...any)
}

// NewEnv builds the tessera binary into a new scratch folder. root is the
// repository root; cache may be empty (then the scratch folder is used).
func NewEnv(ctx context.Context, root, cache string, logf func(string, ...any)) (*Env, error) {
	work, err := os.MkdirTemp("", "tessera-reliability")
	if err != nil {
		return nil, err
	}
	if cache == "" {
		cache = filepath.Join(work, "cache")
	}
	e := &Env{Root: root, Work: work, Cache: cache, Binary: filepath.Join(work, "tessera"),
		Store: filepath.Join(work, "store"), Logf: logf}
	for _, d := range []string{e.Cache, e.Store} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			return nil, err
		}
	}
	build := exec.CommandContext(ctx, "go", "build", "-o", e.Binary, "./cmd/tessera")
	build.Dir = root
	build.Stderr = os.Stderr
	if err := build.Run(); err != nil {
		return nil, fmt.Errorf("build tessera: %w", err)
	}
	// A tiny GeoTIFF made with GDAL, which AddImage clients copy under new
	// names: each add ingests a file of its own.
	tmpl := filepath.Join(e.Store, "template.tif")
	cmd := exec.CommandContext(ctx, "gdal_create", "-q", "-of", "GTiff", "-outsize", "16", "16", "-bands", "1",
		"-ot", "Byte", "-burn", "7", "-a_srs", "EPSG:32633", "-a_ullr", "401000", "5003000", "401160", "5002840", tmpl)
	if out, err := cmd.CombinedOutput(); err != nil {
		return nil, fmt.Errorf("gdal_create: %v: %s", err, out)
	}
	return e, nil
}

// Demo is the folder of the demo GeoTIFFs the catalog's items reference;
// it lives in the cache, beside the catalogs, and is a data store too.
func (e *Env) Demo() string { return filepath.Join(e.Cache, "demo") }

// Close removes the scratch folder.
func (e *Env) Close() { os.RemoveAll(e.Work) }

// Template is the tiny GeoTIFF that AddImage inputs copy.
func (e *Env) Template() string { return filepath.Join(e.Store, "template.tif") }

// freePort returns a loopback port that is free now, so that a server can
// be restarted on the same address after a kill.
func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

// Server is one tessera serve process on a fixed port and data folder,
// which can be killed and started again.
type Server struct {
	env     *Env
	Dir     string
	Port    int
	Metrics int // port of --metrics-addr
	Args    []string
	prev    strings.Builder // logs of the processes before the current one
	*subprocess.Server
}

// Logs returns the log of every process started so far.
func (s *Server) Logs() string {
	if s.Server == nil {
		return s.prev.String()
	}
	return s.prev.String() + s.Server.Logs()
}

// StartServer starts tessera serve on dir with the store registered.
func StartServer(ctx context.Context, env *Env, dir string, args ...string) (*Server, error) {
	port, err := freePort()
	if err != nil {
		return nil, err
	}
	mport, err := freePort()
	if err != nil {
		return nil, err
	}
	s := &Server{env: env, Dir: dir, Port: port, Metrics: mport, Args: args}
	lastServer = s
	return s, s.Start(ctx)
}

// Start (re)starts the process on the same port and data folder.
func (s *Server) Start(ctx context.Context) error {
	args := append([]string{"--addr", fmt.Sprintf("127.0.0.1:%d", s.Port),
		"--metrics-addr", fmt.Sprintf("127.0.0.1:%d", s.Metrics), "--data-store", s.env.Store, "--data-store", s.env.Demo()}, s.Args...)
	if s.Server != nil {
		s.prev.WriteString(s.Server.Logs())
		s.prev.WriteString("---- restart ----\n")
	}
	var err error
	for range 50 { // the port may still be held for a moment after a kill
		s.Server, err = subprocess.Start(ctx, s.env.Binary, s.Dir, args...)
		if err == nil {
			return nil
		}
		time.Sleep(100 * time.Millisecond)
	}
	return err
}

// Base is the server's /arcgis root URL (stable across restarts).
func (s *Server) Base() string { return fmt.Sprintf("http://127.0.0.1:%d/arcgis", s.Port) }

// DB is the path of the server's SQLite database.
func (s *Server) DB() string { return filepath.Join(s.Dir, "tessera.db") }
