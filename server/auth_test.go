package server_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/tessera-gis/tessera/mosaic"
	"github.com/tessera-gis/tessera/mosaic/sqlite"
	"github.com/tessera-gis/tessera/server"
)

const (
	alicePW = "alice-password"
	bobPW   = "bob-password"
)

// usersFile holds an admin, a publisher and a viewer API key. bcrypt cost 4
// keeps the tests fast.
func usersFile(t testing.TB) (*server.Users, string) {
	t.Helper()
	a, err := server.PasswordLine("alice", mosaic.RoleAdmin, alicePW, 4)
	if err != nil {
		t.Fatal(err)
	}
	b, err := server.PasswordLine("bob", mosaic.RolePublisher, bobPW, 4)
	if err != nil {
		t.Fatal(err)
	}
	key, k, err := server.NewAPIKey("script", mosaic.RoleViewer)
	if err != nil {
		t.Fatal(err)
	}
	u, err := server.ParseUsers(strings.NewReader("# test users\n" + a + "\n\n" + b + "\n" + k + "  # a key\n"))
	if err != nil {
		t.Fatal(err)
	}
	return u, key
}

type authBundle struct {
	srv    *server.Server
	db     *sqlite.DB
	apiKey string
	now    *time.Time
	logs   *bytes.Buffer
}

func setupAuth(t *testing.T, mod func(*server.AuthConfig)) *authBundle {
	t.Helper()
	db, err := sqlite.Open(context.Background(), filepath.Join(t.TempDir(), "t.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	users, key := usersFile(t)
	now := time.Now()
	cfg := server.AuthConfig{Users: users, Secret: bytes.Repeat([]byte("k"), 32), LoginsPerMinute: 1000,
		Now: func() time.Time { return now }}
	if mod != nil {
		mod(&cfg)
	}
	auth, err := server.NewAuth(cfg)
	if err != nil {
		t.Fatal(err)
	}
	logs := &bytes.Buffer{}
	srv := server.New(server.Config{Store: db, Auth: auth, Logger: slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))})
	return &authBundle{srv: srv, db: db, apiKey: key, now: &now, logs: logs}
}

// do sends a request and decodes the JSON answer; it fails unless the
// HTTP status is 200, as every JSON answer must be.
func (b *authBundle) do(t *testing.T, req *http.Request) map[string]any {
	t.Helper()
	rec := httptest.NewRecorder()
	b.srv.ServeHTTP(rec, req)
	if rec.Code != http.StatusOK {
		t.Fatalf("%s %s: HTTP %d, want 200: %s", req.Method, req.URL, rec.Code, rec.Body)
	}
	var m map[string]any
	if err := json.Unmarshal(rec.Body.Bytes(), &m); err != nil {
		t.Fatalf("%s %s: %v: %s", req.Method, req.URL, err, rec.Body)
	}
	return m
}

func (b *authBundle) get(t *testing.T, path string, header ...string) map[string]any {
	t.Helper()
	req := httptest.NewRequest(http.MethodGet, path, nil)
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	return b.do(t, req)
}

func (b *authBundle) post(t *testing.T, path string, form url.Values) map[string]any {
	t.Helper()
	req := httptest.NewRequest(http.MethodPost, path, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	return b.do(t, req)
}

func (b *authBundle) token(t *testing.T, user, pw string, extra ...string) string {
	t.Helper()
	form := url.Values{"username": {user}, "password": {pw}, "f": {"json"}, "client": {"referer"}, "referer": {"x"}}
	for i := 0; i+1 < len(extra); i += 2 {
		form.Set(extra[i], extra[i+1])
	}
	m := b.post(t, "/arcgis/tokens/generateToken", form)
	tok, _ := m["token"].(string)
	if tok == "" {
		t.Fatalf("generateToken: %v", m)
	}
	return tok
}

func errCode(m map[string]any) int {
	e, _ := m["error"].(map[string]any)
	c, _ := e["code"].(float64)
	return int(c)
}

const services = "/arcgis/rest/services?f=json"

func TestGenerateToken(t *testing.T) {
	t.Parallel()
	b := setupAuth(t, nil)

	m := b.post(t, "/arcgis/tokens/generateToken", url.Values{"username": {"alice"}, "password": {alicePW},
		"expiration": {"30"}, "f": {"json"}})
	exp, _ := m["expires"].(float64)
	if want := b.now.Add(30 * time.Minute).UnixMilli(); int64(exp) != want || m["ssl"] != false {
		t.Errorf("generateToken = %v, want expires %d and ssl false", m, want)
	}
	m = b.post(t, "/arcgis/tokens/generateToken", url.Values{"username": {"alice"}, "password": {alicePW},
		"expiration": {"100000000"}, "f": {"json"}})
	if exp, _ := m["expires"].(float64); int64(exp) != b.now.Add(14*24*time.Hour).UnixMilli() {
		t.Errorf("expiration is not capped at 14 days: %v", m)
	}

	for _, tc := range []struct {
		name string
		form url.Values
		code int
	}{
		{"wrong password", url.Values{"username": {"alice"}, "password": {"nope"}}, 400},
		{"unknown user", url.Values{"username": {"mallory"}, "password": {alicePW}}, 400},
		{"no credentials", url.Values{}, 400},
		{"bad expiration", url.Values{"username": {"alice"}, "password": {alicePW}, "expiration": {"soon"}}, 400},
		{"bad client", url.Values{"username": {"alice"}, "password": {alicePW}, "client": {"browser"}}, 400},
		{"forged exchange", url.Values{"token": {"v1.eyJ1IjoiYWxpY2UifQ.AAAA"}, "serverUrl": {"http://x/arcgis"}}, 498},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tc.form.Set("f", "json")
			if got := errCode(b.post(t, "/arcgis/tokens/generateToken", tc.form)); got != tc.code {
				t.Errorf("error code %d, want %d", got, tc.code)
			}
		})
	}

	// Never by GET: the password would end up in URLs and logs.
	q := url.Values{"username": {"alice"}, "password": {alicePW}, "f": {"json"}}
	if got := errCode(b.get(t, "/arcgis/tokens/generateToken?"+q.Encode())); got != 400 {
		t.Errorf("GET generateToken with a password: code %d, want 400", got)
	}

	// The token + serverUrl exchange (ArcGIS REST JS, standalone server).
	tok := b.token(t, "bob", bobPW)
	m = b.post(t, "/arcgis/tokens/generateToken", url.Values{"token": {tok}, "serverUrl": {"http://127.0.0.1/arcgis"},
		"expiration": {"20160"}, "f": {"json"}})
	swapped, _ := m["token"].(string)
	if swapped == "" || swapped == tok {
		t.Fatalf("exchange: %v", m)
	}
	if got := b.get(t, services+"&token="+url.QueryEscape(swapped)); errCode(got) != 0 {
		t.Errorf("exchanged token rejected: %v", got)
	}
}

func TestTokenUse(t *testing.T) {
	t.Parallel()
	b := setupAuth(t, nil)
	tok := b.token(t, "bob", bobPW)

	for _, tc := range []struct {
		name   string
		path   string
		header []string
		code   int
	}{
		{"no token", services, nil, 499},
		{"token param", services + "&token=" + tok, nil, 0},
		{"X-Esri-Authorization with QGIS's trailing space", services, []string{"X-Esri-Authorization", "Bearer " + tok + " "}, 0},
		{"Authorization Bearer", services, []string{"Authorization", "Bearer " + tok}, 0},
		{"header wins over param", services + "&token=garbage", []string{"X-Esri-Authorization", "Bearer " + tok}, 0},
		{"tampered token", services + "&token=" + tok[:len(tok)-2] + "AA", nil, 498},
		{"garbage token", services + "&token=garbage", nil, 498},
		{"API key", services + "&token=" + b.apiKey, nil, 0},
		{"API key header", services, []string{"X-Esri-Authorization", "Bearer " + b.apiKey}, 0},
		{"unknown API key", services + "&token=" + server.APIKeyPrefix + "AAAA", nil, 498},
		{"rest/info is public", "/arcgis/rest/info?f=json", nil, 0},
		{"publisher reads the audit log", "/arcgis/rest/admin/audit?f=json&token=" + tok, nil, 403},
		{"viewer key reads the audit log", "/arcgis/rest/admin/audit?f=json&token=" + b.apiKey, nil, 403},
		{"publisher lists the data stores", "/arcgis/admin/data/items?f=json&token=" + tok, nil, 0},
		{"viewer key lists the data stores", "/arcgis/admin/data/items?f=json&token=" + b.apiKey, nil, 403},
		{"anonymous lists the data stores", "/arcgis/admin/data/items?f=json", nil, 499},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := errCode(b.get(t, tc.path, tc.header...)); got != tc.code {
				t.Errorf("error code %d, want %d", got, tc.code)
			}
		})
	}

	info := b.get(t, "/arcgis/rest/info?f=json")
	ai, _ := info["authInfo"].(map[string]any)
	if ai["isTokenBasedSecurity"] != true || ai["tokenServicesUrl"] != "http://example.com/arcgis/tokens/generateToken" ||
		ai["shortLivedTokenValidity"] != float64(60) || info["owningSystemUrl"] != nil {
		t.Errorf("rest/info = %v", info)
	}

	// Expiry: the token is refused once its time has passed.
	*b.now = b.now.Add(61 * time.Minute)
	if got := errCode(b.get(t, services+"&token="+tok)); got != 498 {
		t.Errorf("expired token: code %d, want 498", got)
	}
	if strings.Contains(b.logs.String(), tok[10:40]) {
		t.Errorf("a token was logged:\n%s", b.logs)
	}
}

func TestTokenForgery(t *testing.T) {
	t.Parallel()
	b := setupAuth(t, nil)
	// Same users, another secret: its tokens are not ours.
	other := setupAuth(t, func(c *server.AuthConfig) { c.Secret = bytes.Repeat([]byte("z"), 32) })
	foreign := other.token(t, "alice", alicePW)
	if got := errCode(b.get(t, services+"&token="+foreign)); got != 498 {
		t.Errorf("token signed with another secret: code %d, want 498", got)
	}
	// A changed password invalidates earlier tokens.
	tok := b.token(t, "alice", alicePW)
	changed := setupAuth(t, func(c *server.AuthConfig) {
		c.Secret = bytes.Repeat([]byte("k"), 32)
		line, _ := server.PasswordLine("alice", mosaic.RoleAdmin, "a-new-password", 4)
		c.Users, _ = server.ParseUsers(strings.NewReader(line))
	})
	if got := errCode(changed.get(t, services+"&token="+tok)); got != 498 {
		t.Errorf("token after a password change: code %d, want 498", got)
	}
	// An IP-bound token works only from that address.
	bound := b.token(t, "alice", alicePW, "client", "requestip")
	req := httptest.NewRequest(http.MethodGet, services+"&token="+bound, nil)
	if got := errCode(b.do(t, req)); got != 0 {
		t.Errorf("IP-bound token from its address: code %d", got)
	}
	req = httptest.NewRequest(http.MethodGet, services+"&token="+bound, nil)
	req.RemoteAddr = "198.51.100.7:5555"
	if got := errCode(b.do(t, req)); got != 498 {
		t.Errorf("IP-bound token from another address: code %d, want 498", got)
	}
}

func TestAnonymousRole(t *testing.T) {
	t.Parallel()
	b := setupAuth(t, func(c *server.AuthConfig) { c.Anonymous = mosaic.RoleViewer })
	if got := errCode(b.get(t, services)); got != 0 {
		t.Errorf("anonymous viewer reading services: code %d", got)
	}
	if got := errCode(b.get(t, "/arcgis/rest/admin/audit?f=json")); got != 499 {
		t.Errorf("anonymous viewer reading the audit log: code %d, want 499 (a token would help)", got)
	}
	if got := errCode(b.get(t, services+"&token=bad")); got != 498 {
		t.Errorf("a bad token must not fall back to anonymous: code %d, want 498", got)
	}
}

func TestGenerateTokenRateLimit(t *testing.T) {
	t.Parallel()
	b := setupAuth(t, func(c *server.AuthConfig) { c.LoginsPerMinute = 3 })
	form := url.Values{"username": {"alice"}, "password": {"wrong"}, "f": {"json"}}
	for i := range 3 {
		if got := errCode(b.post(t, "/arcgis/tokens/generateToken", form)); got != 400 {
			t.Fatalf("attempt %d: code %d, want 400", i+1, got)
		}
	}
	form.Set("password", alicePW)
	if got := errCode(b.post(t, "/arcgis/tokens/generateToken", form)); got != 429 {
		t.Errorf("fourth attempt in a minute: code %d, want 429", got)
	}
	// Another address has its own allowance.
	req := httptest.NewRequest(http.MethodPost, "/arcgis/tokens/generateToken", strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.RemoteAddr = "198.51.100.8:1"
	if m := b.do(t, req); m["token"] == nil {
		t.Errorf("another address: %v", m)
	}
}

func TestAuditLog(t *testing.T) {
	t.Parallel()
	b := setupAuth(t, nil)
	at := time.Date(2026, 1, 5, 10, 0, 0, 0, time.UTC)
	err := b.db.Update(context.Background(), func(tx mosaic.Tx) error {
		for _, e := range []mosaic.AuditEntry{
			{Time: at, User: "bob", Action: "add", Collection: "A", JobID: "j1", Count: 3},
			{Time: at.Add(time.Minute), User: "bob", Action: "delete", Collection: "A", JobID: "j2", Where: "CloudCover > 50", Count: 2},
			{Time: at.Add(2 * time.Minute), User: "alice", Action: "create-collection", Collection: "B", JobID: "j3"},
		} {
			if err := tx.Audit(e); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	tok := b.token(t, "alice", alicePW)
	for _, tc := range []struct {
		query string
		jobs  string
	}{
		{"", "j3 j2 j1"},
		{"&user=bob", "j2 j1"},
		{"&action=delete", "j2"},
		{"&collection=B", "j3"},
		{"&limit=1", "j3"},
		{"&since=" + at.Add(time.Minute).Format(time.RFC3339), "j3 j2"},
	} {
		m := b.get(t, "/arcgis/rest/admin/audit?f=json&token="+tok+tc.query)
		entries, _ := m["entries"].([]any)
		var jobs []string
		for _, x := range entries {
			jobs = append(jobs, x.(map[string]any)["jobId"].(string))
		}
		if got := strings.Join(jobs, " "); got != tc.jobs {
			t.Errorf("audit%s: jobs %q, want %q (%v)", tc.query, got, tc.jobs, m)
		}
	}
	m := b.get(t, "/arcgis/rest/admin/audit?f=json&action=delete&token="+tok)
	e := m["entries"].([]any)[0].(map[string]any)
	if e["user"] != "bob" || e["where"] != "CloudCover > 50" || e["count"] != float64(2) || e["collection"] != "A" ||
		e["time"] != float64(at.Add(time.Minute).UnixMilli()) {
		t.Errorf("delete entry = %v", e)
	}
}

func TestParseUsers(t *testing.T) {
	t.Parallel()
	good, _ := server.PasswordLine("ok", mosaic.RoleViewer, "12345678", 4)
	for _, tc := range []struct{ name, file string }{
		{"unknown kind", "admin x admin $2a$04$abc"},
		{"bad role", strings.Replace(good, "viewer", "root", 1)},
		{"plain password", "user x admin hunter2"},
		{"bad key digest", "apikey ci viewer sha256:abc"},
		{"bad name", strings.Replace(good, "user ok", "user o/k", 1)},
		{"too few fields", "user x admin"},
		{"duplicate", good + "\n" + good},
	} {
		if _, err := server.ParseUsers(strings.NewReader(tc.file)); err == nil {
			t.Errorf("%s: no error for %q", tc.name, tc.file)
		}
	}
	if _, err := server.PasswordLine("x", mosaic.RoleViewer, "short", 4); err == nil {
		t.Error("a 5-character password was accepted")
	}
}

func TestHTMLCarriesToken(t *testing.T) {
	t.Parallel()
	b := setupAuth(t, nil)
	tok := b.token(t, "alice", alicePW)
	rec := httptest.NewRecorder()
	b.srv.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/arcgis/rest/services?token="+url.QueryEscape(tok), nil))
	body := rec.Body.String()
	if rec.Code != 200 || !strings.Contains(body, `href="/arcgis/rest/services/System?token=`+url.QueryEscape(tok)+`"`) {
		t.Errorf("links do not carry the token: %d\n%s", rec.Code, body)
	}
	// Without a token the HTML error page has the HTTP status of 499.
	rec = httptest.NewRecorder()
	b.srv.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/arcgis/rest/services", nil))
	if rec.Code != http.StatusUnauthorized || !strings.Contains(rec.Body.String(), "Token Required") {
		t.Errorf("HTML without a token: %d", rec.Code)
	}
	// The sign-in form.
	rec = httptest.NewRecorder()
	b.srv.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/arcgis/tokens/generateToken", nil))
	if rec.Code != 200 || !strings.Contains(rec.Body.String(), `type="password"`) {
		t.Errorf("generateToken form: %d\n%s", rec.Code, rec.Body)
	}
}

// TestTokenExchange: a token exchanged for another (token + serverUrl)
// never outlives the original, keeps its address binding, and is made by
// POST only, so neither chaining nor a GET can stretch a token.
func TestTokenExchange(t *testing.T) {
	t.Parallel()
	b := setupAuth(t, nil)
	exchange := func(tok, remote string, extra ...string) map[string]any {
		form := url.Values{"token": {tok}, "serverUrl": {"http://127.0.0.1/arcgis"}, "expiration": {"20160"}, "f": {"json"}}
		for i := 0; i+1 < len(extra); i += 2 {
			form.Set(extra[i], extra[i+1])
		}
		req := httptest.NewRequest(http.MethodPost, "/arcgis/tokens/generateToken", strings.NewReader(form.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		if remote != "" {
			req.RemoteAddr = remote
		}
		return b.do(t, req)
	}
	use := func(tok, remote string) int {
		req := httptest.NewRequest(http.MethodGet, services+"&token="+url.QueryEscape(tok), nil)
		if remote != "" {
			req.RemoteAddr = remote
		}
		return errCode(b.do(t, req))
	}
	orig := b.token(t, "bob", bobPW, "client", "requestip", "expiration", "30")
	origExpires := b.now.Add(30 * time.Minute).UnixMilli()
	tok := orig
	for i := range 3 { // chained exchanges
		m := exchange(tok, "", "client", "referer")
		next, _ := m["token"].(string)
		if next == "" || m["expires"] != float64(origExpires) {
			t.Fatalf("exchange %d: %v, want expires %d", i+1, m, origExpires)
		}
		if use(next, "") != 0 || use(next, "198.51.100.7:1") != 498 {
			t.Errorf("exchange %d lost the address binding", i+1)
		}
		tok = next
	}
	// From another address the bound token cannot be exchanged at all.
	if code := errCode(exchange(orig, "198.51.100.7:1")); code != 498 {
		t.Errorf("exchange from another address: code %d, want 498", code)
	}
	// client=ip cannot rebind it to another address either.
	m := exchange(orig, "", "client", "ip", "ip", "198.51.100.7")
	if rebound, _ := m["token"].(string); rebound == "" || use(rebound, "198.51.100.7:1") != 498 || use(rebound, "") != 0 {
		t.Errorf("client=ip rebound an exchanged token: %v", m)
	}
	// An unbound token stays valid only as long as the original.
	free := b.token(t, "bob", bobPW, "expiration", "10")
	m = exchange(free, "")
	if m["expires"] != float64(b.now.Add(10*time.Minute).UnixMilli()) {
		t.Errorf("unbound exchange: %v", m)
	}
	// Never by GET.
	q := url.Values{"token": {free}, "serverUrl": {"http://127.0.0.1/arcgis"}, "f": {"json"}}
	if m := b.get(t, "/arcgis/tokens/generateToken?"+q.Encode()); errCode(m) != 400 || m["token"] != nil {
		t.Errorf("GET exchange: %v", m)
	}
	// After the original expires, neither it nor its exchanges work.
	exchanged, _ := exchange(free, "")["token"].(string)
	*b.now = b.now.Add(11 * time.Minute)
	if use(exchanged, "") != 498 || errCode(exchange(exchanged, "")) != 498 {
		t.Error("an exchanged token outlived its original")
	}
}

// TestPasswordOnlyInBody: a password in a URL is refused, by GET or POST,
// even when the body has one too.
func TestPasswordOnlyInBody(t *testing.T) {
	t.Parallel()
	b := setupAuth(t, nil)
	for _, tc := range []struct{ query, body string }{
		{"username=alice&password=" + alicePW, ""},
		{"password=" + alicePW, "username=alice"},
		{"username=alice", "password=" + alicePW},
		{"USERNAME=alice&Password=" + alicePW, "username=alice&password=" + alicePW},
	} {
		req := httptest.NewRequest(http.MethodPost, "/arcgis/tokens/generateToken?f=json&"+tc.query, strings.NewReader(tc.body))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		if m := b.do(t, req); errCode(m) != 400 || m["token"] != nil || !strings.Contains(fmt.Sprint(m), "never in a URL") {
			t.Errorf("POST ?%s with body %q: %v", tc.query, tc.body, m)
		}
	}
	if tok := b.token(t, "alice", alicePW); tok == "" {
		t.Error("a password in the body was refused")
	}
}

// TestAnonymousNameReserved: no account may be called anonymous, the
// owner of jobs submitted without a token.
func TestAnonymousNameReserved(t *testing.T) {
	t.Parallel()
	good, _ := server.PasswordLine("ok", mosaic.RoleAdmin, "12345678", 4)
	for _, name := range []string{"anonymous", "Anonymous", "ANONYMOUS"} {
		if _, err := server.ParseUsers(strings.NewReader(strings.Replace(good, "user ok", "user "+name, 1))); err == nil {
			t.Errorf("users file: user %s accepted", name)
		}
		if _, err := server.ParseUsers(strings.NewReader("apikey " + name + " admin sha256:" + strings.Repeat("ab", 32))); err == nil {
			t.Errorf("users file: apikey %s accepted", name)
		}
		if _, err := server.PasswordLine(name, mosaic.RoleAdmin, "12345678", 4); err == nil || !strings.Contains(err.Error(), "reserved") {
			t.Errorf("PasswordLine(%s): %v", name, err)
		}
		if _, _, err := server.NewAPIKey(name, mosaic.RoleAdmin); err == nil {
			t.Errorf("NewAPIKey(%s) accepted", name)
		}
	}
	if _, err := server.ParseUsers(strings.NewReader(strings.Replace(good, "user ok", "user anonymous2", 1))); err != nil {
		t.Errorf("anonymous2: %v", err)
	}
}
