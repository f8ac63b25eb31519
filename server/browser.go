package server

import (
	"fmt"
	"net"
	"net/http"
	"net/url"
	"regexp"
	"strings"

	"github.com/tessera-gis/tessera/mosaic"
)

// The browser layer defends a server that web browsers can reach, open
// or not, against the pages they run:
//
//   - Host names. When callers without a token may change things (open
//     mode, or an anonymous role of publisher or admin) the server answers
//     only requests whose Host is a loopback name (localhost,
//     *.localhost, 127.0.0.0/8, [::1]), the host of PublicURL or one of
//     Config.AllowedHosts, so a page on a DNS name that was rebound to
//     this machine gets nothing. Otherwise AllowedHosts, when set,
//     restricts the names too.
//   - Cross-site requests. A request that a browser marks as coming from
//     another site (Sec-Fetch-Site: cross-site, an Origin of another host,
//     or, from browsers that send neither, such a Referer) and that
//     carries no token or API key gets at most the viewer role: it may
//     read, never change anything. Another port of the same host, or one
//     loopback name calling another, is the same site.
//   - CORS. Reads are open to every origin, as on ArcGIS Server: every
//     answer to a request with an Origin echoes it in
//     Access-Control-Allow-Origin, unless Config.CORSOrigins restricts
//     the list. OPTIONS is answered here and never reaches a handler.
//   - Methods. Only GET, HEAD, POST and OPTIONS are served.
//   - Security headers on every response: nosniff, no referrer (HTML
//     pages carry ?token= links), no framing, and a Content-Security-
//     Policy for the directory's pages (no scripts at all).

// DirectoryPolicy is the Content-Security-Policy of every response but
// the web map's pages (see webmap.SecurityPolicy): the services
// directory's pages have inline styles, forms to their own origin and no
// scripts.
const DirectoryPolicy = "default-src 'none'; style-src 'unsafe-inline'; img-src 'self' data:; " +
	"form-action 'self'; base-uri 'none'; frame-ancestors 'none'"

// browser is the middleware of the browser layer; it runs after decode.
func (s *Server) browser(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, hr *http.Request) {
		h := w.Header()
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("Referrer-Policy", "no-referrer")
		h.Set("X-Frame-Options", "DENY")
		h.Set("Content-Security-Policy", DirectoryPolicy)
		r := requestOf(hr)
		if !s.hostAllowed(hr.Host) {
			writeJSON(w, r, http.StatusMisdirectedRequest, esriError{Error: esriErrorBody{Code: http.StatusMisdirectedRequest,
				Message: "Misdirected request: this server does not answer for host " + quoteHost(hr.Host) + ".",
				Details: []string{s.hostAdvice()}}}, "")
			r.code = http.StatusMisdirectedRequest
			return
		}
		origin := hr.Header.Get("Origin")
		if origin != "" {
			h.Add("Vary", "Origin")
			if s.corsAllowed(origin) {
				h.Set("Access-Control-Allow-Origin", origin)
				h.Set("Access-Control-Expose-Headers", "X-Request-Id")
			}
		}
		switch hr.Method {
		case http.MethodGet, http.MethodHead, http.MethodPost:
		case http.MethodOptions:
			s.options(w, hr, origin)
			return
		default:
			h.Set("Allow", "GET, HEAD, POST, OPTIONS")
			writeJSON(w, r, http.StatusMethodNotAllowed, esriError{Error: esriErrorBody{Code: http.StatusMethodNotAllowed,
				Message: "Method " + hr.Method + " is not allowed.", Details: []string{"Use GET or POST."}}}, "")
			r.code = http.StatusMethodNotAllowed
			return
		}
		if site := crossSite(hr); site != "" && (r.user == nil || r.user.Name == "") && r.authErr == nil {
			// No token: the caller is the browser's ambient identity,
			// which another site must not use to change anything.
			r.crossSite = site
			if r.user.Can(mosaic.RoleViewer) {
				r.user = &mosaic.User{Role: mosaic.RoleViewer}
			}
		}
		next.ServeHTTP(w, hr)
	})
}

// allowedHeaderRE matches the header names a preflight may ask to send
// (echoed back: tessera reads only its own, such as X-Esri-Authorization).
var allowedHeaderRE = regexp.MustCompile(`^[A-Za-z0-9-]+$`)

// options answers an OPTIONS request: a CORS preflight or a plain one.
func (s *Server) options(w http.ResponseWriter, hr *http.Request, origin string) {
	h := w.Header()
	h.Set("Allow", "GET, HEAD, POST, OPTIONS")
	if origin != "" && hr.Header.Get("Access-Control-Request-Method") != "" && s.corsAllowed(origin) {
		h.Set("Access-Control-Allow-Methods", "GET, HEAD, POST, OPTIONS")
		var names []string
		for _, v := range hr.Header.Values("Access-Control-Request-Headers") {
			for _, n := range strings.Split(v, ",") {
				if n = strings.TrimSpace(n); allowedHeaderRE.MatchString(n) {
					names = append(names, n)
				}
			}
		}
		if len(names) > 0 {
			h.Set("Access-Control-Allow-Headers", strings.Join(names, ", "))
		}
		// Chrome's Private Network Access asks before a public page
		// reaches a private or loopback address: only origins that the
		// administrator listed get a yes.
		if strings.EqualFold(hr.Header.Get("Access-Control-Request-Private-Network"), "true") && s.corsListed(origin) {
			h.Set("Access-Control-Allow-Private-Network", "true")
		}
		h.Set("Access-Control-Max-Age", "7200")
		h.Add("Vary", "Access-Control-Request-Method")
		h.Add("Vary", "Access-Control-Request-Headers")
	}
	w.WriteHeader(http.StatusNoContent)
}

// corsAllowed reports whether a page of origin may read the answers.
func (s *Server) corsAllowed(origin string) bool {
	if len(s.cfg.CORSOrigins) == 0 {
		return true
	}
	for _, o := range s.cfg.CORSOrigins {
		if o == "*" || strings.EqualFold(strings.TrimRight(o, "/"), origin) {
			return true
		}
	}
	return false
}

// corsListed reports whether origin is named in CORSOrigins (not merely
// allowed by default or by "*").
func (s *Server) corsListed(origin string) bool {
	for _, o := range s.cfg.CORSOrigins {
		if strings.EqualFold(strings.TrimRight(o, "/"), origin) {
			return true
		}
	}
	return false
}

// checksHosts reports whether the server answers only some host names:
// when callers without a token may change things, or AllowedHosts says.
func (s *Server) checksHosts() bool {
	return s.cfg.Auth == nil || s.cfg.Auth.cfg.Anonymous.Allows(mosaic.RolePublisher) || len(s.cfg.AllowedHosts) > 0
}

// hostAllowed reports whether the server answers for the Host header
// host: loopback names, PublicURL's host and AllowedHosts, or any host
// when it does not check them.
func (s *Server) hostAllowed(host string) bool {
	if !s.checksHosts() {
		return true
	}
	name := hostName(host)
	if name == "" {
		return false
	}
	if isLoopbackName(name) {
		return true
	}
	if u, err := url.Parse(s.cfg.PublicURL); err == nil && u.Host != "" && hostName(u.Host) == name {
		return true
	}
	for _, a := range s.cfg.AllowedHosts {
		if a == "*" || strings.EqualFold(hostName(a), name) {
			return true
		}
	}
	return false
}

func (s *Server) hostAdvice() string {
	why := "Without users (--users)"
	if s.cfg.Auth != nil {
		why = "When callers without a token may change things (--anonymous publisher or admin) or --allowed-host is set,"
	}
	return why + " tessera answers only loopback host names (localhost, 127.0.0.1, [::1]), " +
		"the host of --public-url and those of --allowed-host. This protects it from web pages that rebind their DNS name to this machine."
}

// hostName returns the lower-case host name of a Host header or an
// authority (host[:port], [v6][:port]), without a trailing dot; "" if it
// is not one.
func hostName(host string) string {
	host = strings.TrimSpace(host)
	if h, port, err := net.SplitHostPort(host); err == nil {
		if port == "" || strings.Trim(port, "0123456789") != "" {
			return ""
		}
		host = h
	} else if strings.HasPrefix(host, "[") && strings.HasSuffix(host, "]") {
		host = host[1 : len(host)-1]
	}
	if strings.ContainsAny(host, "@/\\?#[] ") {
		return ""
	}
	return strings.TrimSuffix(strings.ToLower(host), ".")
}

func quoteHost(h string) string {
	if len(h) > 100 {
		h = h[:100] + "…"
	}
	return fmt.Sprintf("%q", h)
}

// isLoopbackName reports whether a host name always means this machine:
// localhost and its subdomains (RFC 6761; browsers never ask DNS for
// them), and loopback addresses.
func isLoopbackName(name string) bool {
	if name == "localhost" || strings.HasSuffix(name, ".localhost") {
		return true
	}
	ip := net.ParseIP(name)
	return ip != nil && ip.IsLoopback()
}

// crossSite returns why a browser request comes from another site, or ""
// when it comes from this one or not from a browser page.
func crossSite(hr *http.Request) string {
	if strings.EqualFold(strings.TrimSpace(hr.Header.Get("Sec-Fetch-Site")), "cross-site") {
		return "Sec-Fetch-Site: cross-site"
	}
	self := hostName(hr.Host)
	if origin := strings.TrimSpace(hr.Header.Get("Origin")); origin != "" {
		if !sameSite(origin, self) {
			return "Origin: " + origin
		}
		return ""
	}
	if hr.Header.Get("Sec-Fetch-Site") != "" {
		return "" // same-origin, same-site or none (typed by the user)
	}
	// Browsers send absolute http(s) URLs; other clients send what they
	// like (ArcGIS REST JS in Node: "@esri/arcgis-rest-js").
	if ref, err := url.Parse(strings.TrimSpace(hr.Header.Get("Referer"))); err == nil && ref.Host != "" &&
		(ref.Scheme == "http" || ref.Scheme == "https") && !sameSite(ref.String(), self) {
		return "Referer of another site"
	}
	return ""
}

// sameSite reports whether the page at URL u belongs to the site whose
// host name is self: the same host on any port or scheme, or loopback
// calling loopback. "null" (sandboxed frames, data: URLs) never does.
func sameSite(u, self string) bool {
	p, err := url.Parse(u)
	if err != nil || p.Host == "" {
		return false
	}
	name := hostName(p.Host)
	return name == self || (isLoopbackName(name) && isLoopbackName(self))
}

// errCrossSite is the answer to a cross-site request without a token that
// needs more than reading. With token security it is 499 (Token Required),
// so that a web app's identity manager signs in and sends the request again
// with a token, which is allowed. An open server has no tokens to get, so it
// is a plain 400 there: a 403 or 499 makes @arcgis/core wait for a sign-in
// that can never come.
func errCrossSite(why string, tokens bool) error {
	code := mosaic.EINVALID
	if tokens {
		code = mosaic.EUNAUTHORIZED
	}
	return mosaic.Errorf(code, "Cross-site request refused: a page of another web site may read, but not change anything.").WithDetails(
		"The request came from another site ("+why+") without a token.",
		"Send a token (X-Esri-Authorization: Bearer …) to change anything from another site.")
}
