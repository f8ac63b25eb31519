package server

import (
	"errors"
	"fmt"
	"math"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"

	"golang.org/x/time/rate"

	"github.com/tessera-gis/tessera/mosaic"
)

// AuthConfig configures token security, as ArcGIS Server does it: users
// get tokens from generateToken and send them as the token parameter or an
// X-Esri-Authorization: Bearer header; scripts may send an API key instead.
type AuthConfig struct {
	// Users are the accounts and API keys.
	Users *Users
	// Secret signs tokens; at least 32 bytes (see LoadOrCreateSecret).
	Secret []byte
	// Anonymous is the role of callers without a token, or "" to require a
	// token everywhere except rest/info and generateToken.
	Anonymous mosaic.Role
	// DefaultExpiration applies when generateToken gets no expiration
	// (default 60 minutes); MaxExpiration caps what it grants (default 14
	// days, what ArcGIS REST JS asks for).
	DefaultExpiration time.Duration
	MaxExpiration     time.Duration
	// LoginsPerMinute limits generateToken requests per client IP address
	// (default 30, with bursts of as many).
	LoginsPerMinute int
	// PublicURL is the public URL of the /arcgis root, for tokenServicesUrl;
	// "" derives it from each request's Host.
	PublicURL string
	// Now returns the current time (default time.Now).
	Now func() time.Time
}

// Auth authenticates callers with tokens and API keys and issues tokens.
type Auth struct {
	cfg     AuthConfig
	signer  tokenSigner
	limiter *ipLimiter
	// failed and limited count refusals for metrics (see Metrics);
	// no-ops until a Server with metrics sets them.
	failed  func(reason string)
	limited func(limit string)
}

// NewAuth returns an Auth for cfg.
func NewAuth(cfg AuthConfig) (*Auth, error) {
	if len(cfg.Secret) < 32 {
		return nil, errors.New("auth: the token secret must have at least 32 bytes")
	}
	if cfg.Anonymous != "" && !cfg.Anonymous.Valid() {
		return nil, fmt.Errorf("auth: unknown anonymous role %q", cfg.Anonymous)
	}
	if cfg.DefaultExpiration <= 0 {
		cfg.DefaultExpiration = time.Hour
	}
	if cfg.MaxExpiration <= 0 {
		cfg.MaxExpiration = 14 * 24 * time.Hour
	}
	cfg.DefaultExpiration = min(cfg.DefaultExpiration, cfg.MaxExpiration)
	if cfg.LoginsPerMinute <= 0 {
		cfg.LoginsPerMinute = 30
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	cfg.PublicURL = strings.TrimRight(cfg.PublicURL, "/")
	return &Auth{cfg: cfg, signer: tokenSigner{key: cfg.Secret},
		limiter: newIPLimiter(rate.Limit(float64(cfg.LoginsPerMinute)/60), cfg.LoginsPerMinute),
		failed:  func(string) {}, limited: func(string) {}}, nil
}

// errInvalidToken is the 498 answer. ArcGIS says "Invalid token." for both
// forged and expired tokens; the detail tells which.
func errInvalidToken(why string) error {
	return mosaic.Errorf(mosaic.EINVALIDTOKEN, "Invalid token.").WithDetails(why)
}

// requestToken returns the token or API key of a request: the
// X-Esri-Authorization header (QGIS adds a trailing space), an
// Authorization: Bearer header, or the token parameter. Headers win.
func requestToken(h http.Header, params url.Values) string {
	for _, name := range []string{"X-Esri-Authorization", "Authorization"} {
		v := strings.TrimSpace(h.Get(name))
		if v == "" {
			continue
		}
		if len(v) > 7 && strings.EqualFold(v[:7], "bearer ") {
			return strings.TrimSpace(v[7:])
		}
		if name == "X-Esri-Authorization" {
			return v
		}
	}
	return strings.TrimSpace(param(params, "token"))
}

// authenticate returns the caller of r, whose parameters are params: the
// user of a valid token or API key, the anonymous user if anonymous access
// is configured, or nil. An invalid or expired token returns
// EINVALIDTOKEN; it never falls back to anonymous access.
func (a *Auth) authenticate(r *http.Request, params url.Values) (*mosaic.User, error) {
	tok := requestToken(r.Header, params)
	if tok == "" {
		if a.cfg.Anonymous == "" {
			return nil, nil
		}
		return &mosaic.User{Role: a.cfg.Anonymous}, nil
	}
	if strings.HasPrefix(tok, APIKeyPrefix) {
		acc := a.cfg.Users.key(tok)
		if acc == nil {
			a.failed("api_key")
			return nil, errInvalidToken("The API key is not known.")
		}
		return &mosaic.User{Name: acc.name, Role: acc.role}, nil
	}
	acc, _, err := a.checkToken(r, tok)
	if err != nil {
		return nil, err
	}
	return &mosaic.User{Name: acc.name, Role: acc.role}, nil
}

// checkToken verifies a token and returns its account and claims.
func (a *Auth) checkToken(r *http.Request, tok string) (*account, tokenClaims, error) {
	c, err := a.signer.verify(tok, a.cfg.Now())
	switch {
	case errors.Is(err, errTokenExpired):
		a.failed("expired")
		return nil, c, errInvalidToken("The token has expired; generate a new one.")
	case err != nil:
		a.failed("invalid")
		return nil, c, errInvalidToken("The token is not one this server issued.")
	}
	acc := a.cfg.Users.user(c.User)
	if acc == nil || c.Print != a.signer.fingerprint(acc) {
		a.failed("user")
		return nil, c, errInvalidToken("The token's user no longer exists or changed password.")
	}
	if c.IP != "" && c.IP != clientIP(r) {
		a.failed("ip")
		return nil, c, errInvalidToken("The token was issued for another IP address.")
	}
	return acc, c, nil
}

// TokenServicesURL returns the absolute URL of generateToken.
func (a *Auth) TokenServicesURL(r *http.Request) string {
	if a.cfg.PublicURL != "" {
		return a.cfg.PublicURL + "/tokens/generateToken"
	}
	scheme := "http"
	if r.TLS != nil || strings.EqualFold(r.Header.Get("X-Forwarded-Proto"), "https") {
		scheme = "https"
	}
	return scheme + "://" + r.Host + "/arcgis/tokens/generateToken"
}

// ShortLivedTokenValidity is the default token lifetime in minutes, as
// rest/info reports it.
func (a *Auth) ShortLivedTokenValidity() int {
	return int(a.cfg.DefaultExpiration / time.Minute)
}

// tokenRequest is a parsed generateToken request.
type tokenRequest struct {
	username, password string
	token              string // token + serverUrl exchange
	expiration         time.Duration
	client, ip         string
}

// parseTokenRequest reads a generateToken request. The user name and
// password are read from a POST body only; one in the URL is an error
// (URLs end up in logs, histories and Referer headers).
func (a *Auth) parseTokenRequest(r *request) (tokenRequest, error) {
	tr := tokenRequest{token: r.token, client: strings.ToLower(strings.TrimSpace(r.param("client")))}
	for _, name := range []string{"username", "password"} {
		if param(r.URL.Query(), name) != "" {
			return tr, mosaic.Errorf(mosaic.EINVALID, "Unable to generate token.").WithDetails(
				"Send the user name and password in the body of a POST, never in a URL.")
		}
	}
	if r.Method == http.MethodPost {
		tr.username, tr.password = param(r.PostForm, "username"), param(r.PostForm, "password")
	}
	tr.expiration = a.cfg.DefaultExpiration
	if s := strings.TrimSpace(r.param("expiration")); s != "" {
		m, err := strconv.ParseFloat(s, 64)
		if err != nil || m <= 0 || math.IsInf(m, 0) || math.IsNaN(m) {
			return tr, badParam("expiration", "expected a number of minutes")
		}
		tr.expiration = time.Duration(min(m, float64(a.cfg.MaxExpiration/time.Minute)) * float64(time.Minute))
	}
	switch tr.client {
	case "", "referer", "requestip":
		if tr.client == "requestip" {
			tr.ip = clientIP(r.Request)
		}
	case "ip":
		ip := net.ParseIP(strings.TrimSpace(r.param("ip")))
		if ip == nil {
			return tr, badParam("ip", "client=ip needs the ip parameter")
		}
		tr.ip = ip.String()
	default:
		return tr, badParam("client", "expected referer, ip or requestip")
	}
	return tr, nil
}

// generateToken answers {token, expires, ssl} for a user name and password,
// or for a valid token (the token + serverUrl exchange ArcGIS REST JS makes
// for a standalone server).
func (a *Auth) generateToken(r *request) (*tokenJSON, error) {
	if !a.limiter.allow(clientIP(r.Request)) {
		a.limited("login")
		return nil, mosaic.Errorf(mosaic.ELIMIT, "Too many token requests.").WithDetails(
			fmt.Sprintf("At most %d generateToken requests per minute are allowed from one address; wait and try again.", a.cfg.LoginsPerMinute))
	}
	tr, err := a.parseTokenRequest(r)
	if err != nil {
		return nil, err
	}
	unable := func(why string) error {
		return mosaic.Errorf(mosaic.EINVALID, "Unable to generate token.").WithDetails(why)
	}
	var acc *account
	expires := a.cfg.Now().Add(tr.expiration)
	ip := tr.ip
	switch {
	case tr.username != "" || tr.password != "":
		if acc = a.cfg.Users.checkPassword(tr.username, tr.password); acc == nil {
			a.failed("password")
			return nil, unable("Invalid username or password.")
		}
	case tr.token != "":
		// The exchange makes a token for another server URL out of one
		// the caller has. It grants nothing the original did not: the
		// new token expires no later and keeps the original's address
		// binding, so chained exchanges cannot extend a token either.
		if r.Method != http.MethodPost {
			return nil, unable("Exchange a token by POST, never in a URL.")
		}
		var orig tokenClaims
		if acc, orig, err = a.checkToken(r.Request, tr.token); err != nil {
			return nil, err
		}
		if e := time.UnixMilli(orig.Expires); e.Before(expires) {
			expires = e
		}
		if orig.IP != "" {
			ip = orig.IP
		}
	case r.Method != http.MethodPost:
		return nil, unable("Send the user name and password in the body of a POST.")
	default:
		return nil, unable("username and password are required.")
	}
	tok, err := a.signer.issue(tokenClaims{User: acc.name, Expires: expires.UnixMilli(),
		Print: a.signer.fingerprint(acc), IP: ip})
	if err != nil {
		return nil, err
	}
	return &tokenJSON{Token: tok, Expires: expires.UnixMilli(), SSL: r.TLS != nil}, nil
}

type tokenJSON struct {
	Token   string `json:"token"`
	Expires int64  `json:"expires"`
	SSL     bool   `json:"ssl"`
}

// handleGenerateToken serves /arcgis/tokens/generateToken. With f=html
// (the default) a GET shows a sign-in form.
func (s *Server) handleGenerateToken(w http.ResponseWriter, r *request) error {
	a := s.cfg.Auth
	page := &htmlPage{Title: "Generate Token", Breadcrumbs: []link{{"Home", "/arcgis/rest/services"}},
		Form: &htmlForm{Action: "/arcgis/tokens/generateToken", Method: "post", Submit: "Generate Token", Fields: []formField{
			{Name: "username", Label: "Username"},
			{Name: "password", Label: "Password", Password: true},
			{Name: "expiration", Label: "Expiration (minutes)", Value: "60"},
		}}}
	if a == nil {
		return mosaic.Errorf(mosaic.ENOTFOUND, "Token security is not enabled.").WithDetails(
			"This server has no users; start it with --users to require tokens.")
	}
	if r.f == "html" && r.Method == http.MethodGet && r.param("username") == "" && r.param("token") == "" {
		s.writeHTML(w, r, http.StatusOK, page)
		return nil
	}
	tok, err := a.generateToken(r)
	if err != nil {
		return err
	}
	page.Form = nil
	page.Links = []link{{"Services directory with this token", "/arcgis/rest/services?token=" + tok.Token}}
	return s.respond(w, r, tok, page)
}

// clientIP returns the address of the peer (never a forwarded-for header,
// which any client can set).
func clientIP(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	if ip := net.ParseIP(host); ip != nil {
		return ip.String()
	}
	return host
}

// ipLimiter is a token bucket per client address.
type ipLimiter struct {
	every rate.Limit
	burst int
	mu    sync.Mutex
	byIP  map[string]*ipBucket
}

type ipBucket struct {
	lim  *rate.Limiter
	seen time.Time
}

func newIPLimiter(every rate.Limit, burst int) *ipLimiter {
	return &ipLimiter{every: every, burst: burst, byIP: map[string]*ipBucket{}}
}

func (l *ipLimiter) allow(ip string) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	now := time.Now()
	if len(l.byIP) > 10000 {
		for k, b := range l.byIP {
			if now.Sub(b.seen) > 10*time.Minute {
				delete(l.byIP, k)
			}
		}
	}
	b, ok := l.byIP[ip]
	if !ok {
		b = &ipBucket{lim: rate.NewLimiter(l.every, l.burst)}
		l.byIP[ip] = b
	}
	b.seen = now
	return b.lim.AllowN(now, 1)
}
