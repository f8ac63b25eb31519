package server

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/gorilla/mux"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/tessera-gis/tessera/mosaic"
)

// This file holds what operators watch: request ids, the access log,
// request metrics, /metrics and the health endpoints.

// RequestIDHeader carries a request's id, in the response and, when a
// proxy or client sets a sane one, in the request.
const RequestIDHeader = "X-Request-Id"

// requestID gives every request an id: the incoming X-Request-Id when it
// is 1 to 64 letters, digits or ._:- (a proxy's), else a new random one.
// The id is sent back in X-Request-Id, logged on the request's access log
// line and recorded in the first message of a job it submits.
func (s *Server) requestID(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, hr *http.Request) {
		r := requestOf(hr)
		r.id = hr.Header.Get(RequestIDHeader)
		if !saneRequestID(r.id) {
			r.id = newRequestID()
		}
		w.Header().Set(RequestIDHeader, r.id)
		next.ServeHTTP(w, hr)
	})
}

func saneRequestID(id string) bool {
	if len(id) == 0 || len(id) > 64 {
		return false
	}
	for _, c := range []byte(id) {
		ok := 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' ||
			c == '.' || c == '_' || c == ':' || c == '-'
		if !ok {
			return false
		}
	}
	return true
}

func newRequestID() string {
	b := make([]byte, 12)
	rand.Read(b) // never fails on supported platforms
	return hex.EncodeToString(b)
}

// observe writes a request's access log line and records its metrics once
// the handler has returned. The line has the route template and the path,
// never the query string or the body (where tokens and passwords travel),
// nor any header. Health probes and scrapes log at debug level.
func (s *Server) observe(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, hr *http.Request) {
		r := requestOf(hr)
		m := s.cfg.Metrics
		render := strings.HasSuffix(r.route, "/exportImage") || strings.HasSuffix(r.route, "/thumbnail")
		if m != nil {
			m.inFlight.Inc()
			if render {
				m.renders.Inc()
			}
		}
		defer func() {
			d := time.Since(r.start)
			status := http.StatusOK
			if r.resp != nil && r.resp.status != 0 {
				status = r.resp.status
			}
			if m != nil {
				m.inFlight.Dec()
				if render {
					m.renders.Dec()
				}
				m.observe(r.route, r.Method, status, r.code, d)
			}
			s.accessLog(r, status, d)
		}()
		next.ServeHTTP(w, hr)
	})
}

// quietRoutes are probed often; their access log lines are debug-level.
var quietRoutes = map[string]bool{"/healthz": true, "/readyz": true, "/metrics": true,
	"/arcgis/rest/info/healthCheck": true, "/arcgis/rest/info/healthcheck": true}

func (s *Server) accessLog(r *request, status int, d time.Duration) {
	level := slog.LevelInfo
	if quietRoutes[r.route] {
		level = slog.LevelDebug
	}
	ctx := context.Background()
	if !s.log.Enabled(ctx, level) {
		return
	}
	job := r.jobID
	if job == "" && r.Request != nil {
		job = mux.Vars(r.Request)["job"]
	}
	user := ""
	if r.user != nil {
		user = r.user.DisplayName()
	}
	var bytes int64
	if r.resp != nil {
		bytes = r.resp.bytes
	}
	attrs := []slog.Attr{
		slog.String("request_id", r.id),
		slog.String("method", r.Method),
		slog.String("route", r.route),
		slog.String("path", r.URL.Path),
		slog.Int("status", status),
		slog.Float64("duration_ms", float64(d.Microseconds())/1000),
		slog.Int64("bytes", bytes),
		slog.String("user", user),
		slog.String("remote", clientIP(r.Request)),
	}
	if r.code != 0 {
		attrs = append(attrs, slog.Int("esri_code", r.code))
	}
	if job != "" {
		attrs = append(attrs, slog.String("job", job))
	}
	s.log.LogAttrs(ctx, level, "request", attrs...)
}

// registerOpsRoutes registers /metrics (admins only; --metrics-addr serves
// it openly on a listener of its own), the probes /healthz and /readyz,
// and ArcGIS's rest/info/healthCheck.
func (s *Server) registerOpsRoutes(r *mux.Router) {
	if m := s.cfg.Metrics; m != nil {
		s.handle(r, "/metrics", mosaic.RoleAdmin, func(w http.ResponseWriter, r *request) error {
			m.Handler().ServeHTTP(w, r.Request)
			return nil
		})
		err := m.reg.Register(storeCollector{store: s.cfg.Store, jobs: s.cfg.Jobs, timeout: 5 * time.Second,
			onError: func(err error) { s.log.Warn("metrics: reading the store", "err", err) }})
		if err != nil {
			s.log.Warn("metrics: the store's metrics are registered by another server", "err", err)
		}
		if s.cfg.Auth != nil {
			s.cfg.Auth.failed, s.cfg.Auth.limited = m.tokenFailure, m.limited
		}
		m.budget = s.budget
	}
	s.handle(r, "/healthz", anyone, s.handleHealthz)
	s.handle(r, "/readyz", anyone, s.handleReadyz)
	s.handle(r, "/arcgis/rest/info/healthCheck", anyone, s.handleHealthCheck)
	s.handle(r, "/arcgis/rest/info/healthcheck", anyone, s.handleHealthCheck)
}

// handleHealthz answers 200 while the process serves HTTP.
func (s *Server) handleHealthz(w http.ResponseWriter, r *request) error {
	writePlain(w, http.StatusOK, "ok\n")
	return nil
}

// handleReadyz answers 200 when the store answers and its migrations are
// done, else 503. The reason goes to the log, not to the caller.
func (s *Server) handleReadyz(w http.ResponseWriter, r *request) error {
	if err := s.ready(r.Context()); err != nil {
		writePlain(w, http.StatusServiceUnavailable, "not ready\n")
		return nil
	}
	writePlain(w, http.StatusOK, "ready\n")
	return nil
}

type healthJSON struct {
	Success bool `json:"success"`
}

// handleHealthCheck serves rest/info/healthCheck as ArcGIS Server does:
// {"success": true} with HTTP 200 when the server can take requests (the
// store is ready), otherwise {"success": false} with HTTP 503, in JSON
// or (the default) HTML, so load balancers can read the status code.
func (s *Server) handleHealthCheck(w http.ResponseWriter, r *request) error {
	ok := s.ready(r.Context()) == nil
	status := http.StatusOK
	if !ok {
		status = http.StatusServiceUnavailable
	}
	switch r.f {
	case "json", "pjson":
		writeJSON(w, r, status, healthJSON{Success: ok}, "")
	case "html":
		s.writeHTML(w, r, status, &htmlPage{Title: "Health Check", JSON: healthJSON{Success: ok},
			Breadcrumbs: []link{{"Home", "/arcgis/rest/services"}}})
	default:
		return badParam("f", "supported: html, json, pjson")
	}
	return nil
}

// ready checks that the store answers (within five seconds) and, for a
// store that can tell, that its migrations are done.
func (s *Server) ready(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	var err error
	if st, ok := s.cfg.Store.(mosaic.StoreStatus); ok {
		err = st.Ready(ctx)
	} else {
		err = s.cfg.Store.View(ctx, func(tx mosaic.ReadTx) error {
			_, err := tx.ActiveJobs()
			return err
		})
	}
	if err != nil {
		s.log.Warn("not ready", "err", err)
	}
	return err
}

func writePlain(w http.ResponseWriter, status int, body string) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	w.Write([]byte(body))
}

var _ prometheus.Collector = storeCollector{}

// OpsHandler serves /metrics without a token, /healthz and /readyz, for a
// listener of its own that only the monitoring system can reach
// (--metrics-addr). Its requests are not logged or counted.
func (s *Server) OpsHandler() http.Handler {
	mux := http.NewServeMux()
	if s.cfg.Metrics != nil {
		mux.Handle("GET /metrics", s.cfg.Metrics.Handler())
	}
	mux.Handle("GET /healthz", s.serve(anyone, s.handleHealthz))
	mux.Handle("GET /readyz", s.serve(anyone, s.handleReadyz))
	return mux
}
