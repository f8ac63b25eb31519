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
	// Pixels reads pixel values for identify, getSamples, the histogram
	// and statistics operations; nil disables them.
	Pixels mosaic.PixelReader
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
	// AllowedHosts are the host names (a port is ignored) the server
	// answers for besides loopback names and the host of PublicURL. When
	// callers without a token may change things (no Auth, or an
	// anonymous role of publisher or more) the server answers only these
	// names; otherwise any name unless AllowedHosts is set. "*" allows
	// every host.
	AllowedHosts []string
	// PublicURL is the public URL of the /arcgis root (--public-url); its
	// host is always answered.
	PublicURL string
	// CORSOrigins are the origins (scheme://host[:port]) whose pages may
	// read the answers; empty allows every origin, as ArcGIS Server does.
	// It restricts reading only: edits from another site need a token
	// whatever it says.
	CORSOrigins []string
	// BodyTimeout bounds the time a request body may take to arrive
	// (default one minute). Responses and the time handlers take are not
	// limited by it.
	BodyTimeout time.Duration
	// MaxImageBytes caps one exportImage or thumbnail: width × height ×
	// bands × bytes per sample (default DefaultMaxImageBytes).
	// RenderMemory is the server-wide budget of estimated render memory
	// (default DefaultRenderMemory); a render that does not fit waits at
	// most RenderWait (default DefaultRenderWait), then is refused as busy.
	MaxImageBytes int64
	RenderMemory  int64
	RenderWait    time.Duration
	// DataStores are the registered data stores (folders and URL
	// prefixes) that admins see at /arcgis/admin/data/items.
	DataStores []string
	// Metrics, if set, records request metrics and serves them at /metrics
	// to admins (see NewMetrics).
	Metrics *Metrics
}

// Server is the HTTP server.
type Server struct {
	cfg     Config
	log     *slog.Logger
	router  *mux.Router
	handler http.Handler // the middleware chain around router
	budget  *RenderBudget
	http    *http.Server
	stats   serviceStats // the mosaics' statistics, for statistics and histograms
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
	if cfg.BodyTimeout <= 0 {
		cfg.BodyTimeout = time.Minute
	}
	if cfg.MaxImageBytes <= 0 {
		cfg.MaxImageBytes = DefaultMaxImageBytes
	}
	s := &Server{cfg: cfg, log: cfg.Logger, router: mux.NewRouter(), budget: NewRenderBudget(cfg.RenderMemory, cfg.RenderWait)}
	s.router.StrictSlash(false)
	s.router.SkipClean(true)
	s.registerRoutes()
	s.handler = chain(s.router, s.middleware()...)
	s.http = &http.Server{Handler: s, ReadHeaderTimeout: 30 * time.Second, IdleTimeout: 2 * time.Minute}
	// net/http's own complaints (bad TLS handshakes, broken clients) go
	// to the log in its format, as warnings.
	s.http.ErrorLog = slog.NewLogLogger(cfg.Logger.Handler(), slog.LevelWarn)
	return s
}

// middleware returns the layers every request passes through on its way
// to the router, outermost first. decode comes first, so that every later
// layer can read the request (requestOf): its parameters, format and
// caller and, once the handler returns, its route template, status and
// size. browser (browser.go) checks the Host, answers CORS and OPTIONS,
// sets the security headers and limits cross-site callers. New layers
// (request ids, metrics, access logs) go here.
func (s *Server) middleware() []middleware {
	return []middleware{
		s.decode,
		s.requestID, // ops.go
		s.observe,   // ops.go: access log and metrics
		s.browser,   // browser.go: Host check, cross-site rule, CORS, headers
		s.recoverPanics,
	}
}

// ServeHTTP serves a request.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	s.handler.ServeHTTP(w, r)
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

// registerRoutes registers every route with the role it needs (anyone
// for open ones); each handler may require more (see request.require).
func (s *Server) registerRoutes() {
	r := s.router
	s.registerWebMapRoutes(r)
	s.registerOpsRoutes(r)
	root := r.PathPrefix("/arcgis").Subrouter()
	s.handle(root, "/tokens/generateToken", anyone, s.handleGenerateToken)
	s.handle(root, "/tokens", anyone, redirectTo("/arcgis/tokens/generateToken"))
	s.handle(root, "/tokens/", anyone, redirectTo("/arcgis/tokens/generateToken"))
	rest := root.PathPrefix("/rest").Subrouter()
	s.handle(rest, "/info", anyone, s.handleInfo)
	s.handle(rest, "/services", mosaic.RoleViewer, s.handleRootFolder)
	s.handle(rest, "/services/", mosaic.RoleViewer, s.handleRootFolder)
	s.registerGPRoutes(rest.PathPrefix("/services/System/RasterAnalysisTools/GPServer").Subrouter())
	s.handle(rest, "/services/System", mosaic.RoleViewer, s.handleSystemFolder)
	s.registerImageRoutes(rest.PathPrefix("/services/{name}/ImageServer").Subrouter())
	s.handle(rest, "/directories/arcgisoutput/{file}", anyone, s.handleOutputFile)
	s.handle(rest, "/admin/audit", mosaic.RoleAdmin, s.handleAudit)
	s.handle(root, "/admin/data/items", mosaic.RolePublisher, s.handleDataItems)
	s.handle(root, "", anyone, redirectTo("/arcgis/rest/services"))
	s.handle(root, "/", anyone, redirectTo("/arcgis/rest/services"))
	s.handle(r, "/", anyone, redirectTo("/arcgis/rest/services"))
	r.NotFoundHandler = s.serve(anyone, func(w http.ResponseWriter, r *request) error {
		return mosaic.Errorf(mosaic.ENOTFOUND, "Resource not found: %s", r.URL.Path)
	})
	r.MethodNotAllowedHandler = r.NotFoundHandler
}

func redirectTo(path string) handler {
	return func(w http.ResponseWriter, r *request) error {
		http.Redirect(w, r.Request, path, http.StatusFound)
		return nil
	}
}

// recoverPanics turns a panic in a handler into an internal error.
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
