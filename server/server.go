// Package server speaks the ArcGIS REST protocol over HTTP: the services
// directory, the RasterAnalysisTools GPServer and one ImageServer per image
// collection. It owns every Esri wire format and the mapping of mosaic error
// codes to Esri error envelopes; the work happens behind the mosaic
// interfaces it holds.
package server

import (
	"context"
	"errors"
	"log/slog"
	"net"
	"net/http"
	"time"

	"github.com/gorilla/mux"

	"github.com/tessera-gis/tessera/mosaic"
)

// Version is the ArcGIS REST API version the server reports.
const Version = 11.3

// Config configures a Server.
type Config struct {
	Store     mosaic.Store
	Jobs      mosaic.JobService
	Renderer  mosaic.Renderer  // nil disables exportImage and thumbnails
	Projector mosaic.Projector // nil allows only the collections' own spatial references
	// Auth enables token security; nil means anonymous access with every
	// role (loopback only, as package main enforces).
	Auth *Auth
	// OutputDir holds exportImage results requested with f=json.
	OutputDir string
	// Version is the software version shown in rest/info.
	SoftwareVersion string
	Logger          *slog.Logger
	// MaxBodyBytes caps request bodies (default 10 MiB); MaxParamBytes caps
	// each parameter (default 1 MiB).
	MaxBodyBytes  int64
	MaxParamBytes int
	// MaxRecordCount caps query pages (default 1000); MaxMosaicImages caps
	// the items drawn by one exportImage (default 64).
	MaxRecordCount  int
	MaxMosaicImages int
}

// Server is the HTTP server.
type Server struct {
	cfg    Config
	log    *slog.Logger
	router *mux.Router
	http   *http.Server
}

// New returns a server with its routes registered.
func New(cfg Config) *Server {
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	if cfg.MaxBodyBytes <= 0 {
		cfg.MaxBodyBytes = 10 << 20
	}
	if cfg.MaxParamBytes <= 0 {
		cfg.MaxParamBytes = 1 << 20
	}
	if cfg.MaxRecordCount <= 0 {
		cfg.MaxRecordCount = 1000
	}
	if cfg.MaxMosaicImages <= 0 {
		cfg.MaxMosaicImages = 64
	}
	s := &Server{cfg: cfg, log: cfg.Logger, router: mux.NewRouter()}
	s.router.StrictSlash(false)
	s.router.SkipClean(true)
	s.router.Use(s.recoverPanics, s.limitBody)
	s.registerRoutes()
	s.http = &http.Server{Handler: s, ReadHeaderTimeout: 30 * time.Second, IdleTimeout: 2 * time.Minute}
	return s
}

// ServeHTTP routes a request.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	s.router.ServeHTTP(w, r)
}

// Serve accepts connections on l until Shutdown.
func (s *Server) Serve(l net.Listener) error {
	err := s.http.Serve(l)
	if errors.Is(err, http.ErrServerClosed) {
		return nil
	}
	return err
}

// Shutdown stops accepting requests and waits for active ones or ctx.
func (s *Server) Shutdown(ctx context.Context) error { return s.http.Shutdown(ctx) }

func (s *Server) registerRoutes() {
	r := s.router
	root := r.PathPrefix("/arcgis").Subrouter()
	root.HandleFunc("/tokens/generateToken", s.handleGenerateToken)
	root.HandleFunc("/tokens", redirectTo("/arcgis/tokens/generateToken"))
	root.HandleFunc("/tokens/", redirectTo("/arcgis/tokens/generateToken"))
	rest := root.PathPrefix("/rest").Subrouter()
	rest.HandleFunc("/info", s.handleInfo)
	rest.HandleFunc("/services", s.handleRootFolder)
	rest.HandleFunc("/services/", s.handleRootFolder)
	s.registerGPRoutes(rest.PathPrefix("/services/System/RasterAnalysisTools/GPServer").Subrouter())
	rest.HandleFunc("/services/System", s.handleSystemFolder)
	s.registerImageRoutes(rest.PathPrefix("/services/{name}/ImageServer").Subrouter())
	rest.HandleFunc("/directories/arcgisoutput/{file}", s.handleOutputFile)
	rest.HandleFunc("/admin/audit", s.handleAudit)
	rest.HandleFunc("/admin/jobs", s.handleJobList)
	root.HandleFunc("", redirectTo("/arcgis/rest/services"))
	root.HandleFunc("/", redirectTo("/arcgis/rest/services"))
	r.HandleFunc("/", redirectTo("/arcgis/rest/services"))
	r.NotFoundHandler = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.Error(w, r, mosaic.Errorf(mosaic.ENOTFOUND, "Resource not found: %s", r.URL.Path))
	})
	r.MethodNotAllowedHandler = r.NotFoundHandler
}

func redirectTo(path string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, path, http.StatusFound)
	}
}

func (s *Server) recoverPanics(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		defer func() {
			if p := recover(); p != nil {
				if p == http.ErrAbortHandler {
					panic(p)
				}
				s.log.Error("panic in handler", "path", r.URL.Path, "panic", p)
				s.Error(w, r, errors.New("panic"))
			}
		}()
		next.ServeHTTP(w, r)
	})
}

func (s *Server) limitBody(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Body != nil {
			r.Body = http.MaxBytesReader(w, r.Body, s.cfg.MaxBodyBytes)
		}
		next.ServeHTTP(w, r)
	})
}
