package server

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/gorilla/mux"

	"github.com/tessera-gis/tessera/mosaic"
)

// A request is one HTTP request as every handler and middleware sees it,
// decoded and authenticated once, by decode, before any other layer:
//
//   - params: the query string and form body as one set of values, each
//     value within MaxParamBytes (read them with param, bool, int, ids);
//   - f: the response format;
//   - user: the caller, checked against a route's role by require;
//   - route: the path template of the route that will serve it;
//   - err: why the request could not be decoded, reported before any
//     handler runs.
//
// Once the handler has returned, resp holds the status and size of the
// response and code the Esri error code, for middleware that logs or
// counts requests.
type request struct {
	// Request is the routed request: mux.Vars and the context work on it.
	*http.Request

	params url.Values
	// f is the requested response format, lower case: json, pjson, html
	// (the default, as on ArcGIS), image, geojson…
	f string
	// user is the authenticated caller: an account, the anonymous role
	// when configured, or nil. Without token security every caller is
	// an anonymous admin.
	user    *mosaic.User
	authErr error // an invalid or expired token: never falls back to anonymous
	auth    *Auth
	// token is the token parameter as sent, carried on to HTML links.
	token string
	// crossSite says why a browser request without a token comes from
	// another site, "" if it does not; such a caller has at most the
	// viewer role (see browser).
	crossSite string
	// callback is a valid JSONP callback name (callback=NAME) that JSON
	// answers are wrapped in, "" for none (see jsonpCallback).
	callback string
	err      error

	// route is the matched route's path template (for example
	// /arcgis/rest/services/{name}/ImageServer/query), "" when none matched.
	route string
	resp  *responseWriter
	// start is when decode began; id the request id (see requestID);
	// jobID the job the request made or names, for the access log.
	start time.Time
	id    string
	jobID string
	// code is the Esri error code of the envelope Error wrote, 0 when
	// none: JSON errors are sent with HTTP status 200.
	code int
}

type requestKey struct{}

// requestOf returns the request decode made for hr. Outside the chain (a
// handler called directly) it decodes the response format only.
func requestOf(hr *http.Request) *request {
	if r, ok := hr.Context().Value(requestKey{}).(*request); ok {
		return r
	}
	return &request{Request: hr, params: url.Values{}, f: formatOf(hr.URL.Query(), "html")}
}

// decode is the outermost middleware: it makes the request's *request,
// which every later layer and handler reads, and records the response's
// status and size in it.
func (s *Server) decode(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, hr *http.Request) {
		rw := &responseWriter{ResponseWriter: w}
		r := &request{resp: rw, auth: s.cfg.Auth, start: time.Now()}
		hr = hr.WithContext(context.WithValue(hr.Context(), requestKey{}, r))
		r.Request = hr
		rc := http.NewResponseController(w)
		hasBody := hr.Body != nil && hr.Body != http.NoBody
		if hasBody {
			// The body must arrive within BodyTimeout; the deadline is
			// lifted once it has, so that slow responses (a large
			// exportImage) and the handler's own time are not limited.
			rc.SetReadDeadline(time.Now().Add(s.cfg.BodyTimeout)) // not supported by every writer: best effort
			hr.Body = http.MaxBytesReader(w, hr.Body, s.cfg.MaxBodyBytes)
		}
		r.params, r.err = s.params(hr)
		if hasBody {
			// Handlers read parameters only: read what ParseForm left
			// (a body of another type) under the same deadline.
			_, err := io.Copy(io.Discard, hr.Body)
			if err != nil && r.err == nil {
				r.err, r.params = s.bodyError(err), nil
			}
			if err == nil && r.err == nil {
				rc.SetReadDeadline(time.Time{})
			} else {
				// What is left of a bad body is never read: the
				// connection closes after the answer.
				w.Header().Set("Connection", "close")
			}
		}
		r.f = formatOf(r.params, "html")
		if r.params == nil {
			// The body's f is unknown: answer in JSON, which every client
			// reads, unless the query string asks for something else.
			r.params = url.Values{}
			r.f = formatOf(hr.URL.Query(), "json")
		}
		r.token = strings.TrimSpace(r.param("token"))
		if cb := r.param("callback"); cb != "" && r.err == nil {
			if jsonpCallback(cb) {
				r.callback = cb
			} else {
				r.err = mosaic.Errorf(mosaic.EINVALID, "Invalid callback: a JSONP callback is a JavaScript name such as cb or dojo.io.script.jsonp_cb1._callback.")
			}
		}
		r.authenticate()
		var m mux.RouteMatch
		if s.router.Match(hr, &m) && m.Route != nil {
			r.route, _ = m.Route.GetPathTemplate()
		}
		next.ServeHTTP(rw, hr)
	})
}

// params parses the query string and a form body into one set of values,
// enforcing the size limits: nil when the body cannot be parsed. Esri
// clients send GET queries and POST forms.
func (s *Server) params(hr *http.Request) (url.Values, error) {
	if err := hr.ParseForm(); err != nil {
		return nil, s.bodyError(err)
	}
	for k, vs := range hr.Form {
		for _, v := range vs {
			if len(v) > s.cfg.MaxParamBytes {
				return hr.Form, mosaic.Errorf(mosaic.ELIMIT, "Parameter %s is too long.", k).WithDetails(
					fmt.Sprintf("The limit is %d bytes per parameter.", s.cfg.MaxParamBytes))
			}
		}
	}
	return hr.Form, nil
}

// bodyError explains why a request body could not be read.
func (s *Server) bodyError(err error) error {
	var mbe *http.MaxBytesError
	switch {
	case errors.As(err, &mbe):
		return mosaic.Errorf(mosaic.ELIMIT, "Request body too large.").WithDetails(
			fmt.Sprintf("The limit is %d bytes.", mbe.Limit))
	case errors.Is(err, os.ErrDeadlineExceeded):
		return mosaic.Errorf(mosaic.ELIMIT, "Request body too slow.").WithDetails(
			fmt.Sprintf("A request body must arrive within %s.", s.cfg.BodyTimeout))
	}
	return mosaic.Errorf(mosaic.EINVALID, "Unable to parse the request.").WithDetails(err.Error())
}

// formatOf returns the response format params ask for with f, lower case,
// or def.
func formatOf(params url.Values, def string) string {
	if f := strings.ToLower(strings.TrimSpace(param(params, "f"))); f != "" {
		return f
	}
	return def
}

// authenticate identifies the caller once. An invalid token is kept as
// authErr and reported only where a role is needed, so rest/info and
// generateToken still answer.
func (r *request) authenticate() {
	if r.auth == nil {
		r.user = &mosaic.User{Role: mosaic.RoleAdmin}
		return
	}
	r.user, r.authErr = r.auth.authenticate(r.Request, r.params)
}

// require returns the caller if they have role need: 499 (Token Required)
// when no token was given and anonymous callers may not do this, 498 for
// a bad token, 403 for a user whose role is too low.
func (r *request) require(need mosaic.Role) (*mosaic.User, error) {
	if r.authErr != nil {
		return nil, r.authErr
	}
	if r.user.Can(need) {
		return r.user, nil
	}
	if r.crossSite != "" {
		return nil, errCrossSite(r.crossSite, r.auth != nil)
	}
	if r.user == nil || r.user.Name == "" {
		return nil, mosaic.Errorf(mosaic.EUNAUTHORIZED, "Token Required").WithDetails(
			"This resource requires a token: get one from " + r.auth.TokenServicesURL(r.Request) + ".")
	}
	return nil, mosaic.Errorf(mosaic.EFORBIDDEN, "You do not have permissions to access this resource or perform this operation.").WithDetails(
		fmt.Sprintf("%s has the %s role; this needs %s.", r.user.Name, r.user.Role, need))
}

// param returns a parameter, matching its name case-insensitively as
// ArcGIS does (clients send returnCountOnly, returncountonly…).
func (r *request) param(name string) string { return param(r.params, name) }

// bool reads a boolean parameter (see mosaic.ParseBool); blank means def.
func (r *request) bool(name string, def bool) (bool, error) {
	v, ok := mosaic.ParseBool(r.param(name), def)
	if !ok {
		return false, badParam(name, "expected true or false")
	}
	return v, nil
}

// int reads a non-negative integer parameter; blank means def.
func (r *request) int(name string, def int) (int, error) {
	s := strings.TrimSpace(r.param(name))
	if s == "" {
		return def, nil
	}
	n, err := strconv.Atoi(s)
	if err != nil || n < 0 {
		return 0, badParam(name, "expected a non-negative integer")
	}
	return n, nil
}

// ids reads a list of OBJECTIDs (see mosaic.ParseIDs).
func (r *request) ids(name string) ([]int64, error) {
	ids, err := mosaic.ParseIDs(r.param(name))
	if err != nil {
		return nil, badParam(name, mosaic.ErrorMessage(err))
	}
	return ids, nil
}

// time reads a time parameter: epoch milliseconds, or a date or date and
// time (see mosaic.ParseDate). Blank is the zero time.
func (r *request) time(name string) (time.Time, error) {
	v := strings.TrimSpace(r.param(name))
	if v == "" {
		return time.Time{}, nil
	}
	if ms, err := strconv.ParseInt(v, 10, 64); err == nil {
		return time.UnixMilli(ms), nil
	}
	if t, ok := mosaic.ParseDate(v); ok {
		return t, nil
	}
	return time.Time{}, badParam(name, "expected epoch milliseconds or a date such as 2024-06-30T12:00:00Z")
}

// vars returns a variable of the route's path, such as {name}.
func (r *request) vars(name string) string { return mux.Vars(r.Request)[name] }

// param returns a parameter of v, matching its name case-insensitively.
func param(v url.Values, name string) string {
	if x, ok := v[name]; ok && len(x) > 0 {
		return x[0]
	}
	for k, x := range v {
		if len(x) > 0 && strings.EqualFold(k, name) {
			return x[0]
		}
	}
	return ""
}

// A handler serves one decoded request. A returned error is written by
// Server.Error, as an Esri error envelope; a handler returns nil once it
// has written a response.
type handler func(w http.ResponseWriter, r *request) error

// anyone is the role of routes open to every caller, token or not:
// rest/info, generateToken, redirects.
const anyone mosaic.Role = ""

// handle registers h on rt for path, for callers with role need. A
// handler that needs more (a task's role, a job's owner) checks it with
// r.require or r.user.
func (s *Server) handle(rt *mux.Router, path string, need mosaic.Role, h handler) *mux.Route {
	return rt.Handle(path, s.serve(need, h))
}

// serve adapts h to net/http: it reports a request that could not be
// decoded, checks the role, runs h and writes the error h returns.
func (s *Server) serve(need mosaic.Role, h handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, hr *http.Request) {
		r := requestOf(hr)
		r.Request = hr // routed: it carries the path's variables
		err := r.err
		if err == nil && need != anyone {
			_, err = r.require(need)
		}
		if err == nil {
			err = h(w, r)
		}
		if err != nil {
			s.Error(w, hr, err)
		}
	})
}

// middleware wraps a handler; see Server.middleware.
type middleware func(http.Handler) http.Handler

// chain wraps h in layers, the first outermost.
func chain(h http.Handler, layers ...middleware) http.Handler {
	for i := len(layers) - 1; i >= 0; i-- {
		h = layers[i](h)
	}
	return h
}

// responseWriter records the status and size of a response.
type responseWriter struct {
	http.ResponseWriter
	status int
	bytes  int64
}

func (w *responseWriter) WriteHeader(status int) {
	if w.status == 0 {
		w.status = status
	}
	w.ResponseWriter.WriteHeader(status)
}

func (w *responseWriter) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	n, err := w.ResponseWriter.Write(b)
	w.bytes += int64(n)
	return n, err
}

// Unwrap gives http.ResponseController the underlying writer (to flush,
// or set deadlines).
func (w *responseWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// Flush sends what was written so far, for streamed responses.
func (w *responseWriter) Flush() {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	http.NewResponseController(w.ResponseWriter).Flush()
}
