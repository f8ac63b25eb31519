package server_test

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/tessera-gis/tessera/mosaic"
	"github.com/tessera-gis/tessera/mosaic/sqlite"
	"github.com/tessera-gis/tessera/server"
)

// changeLog is a JobService over the real store that records every call
// that would change something (submit, execute, cancel, delete), so that
// a test can tell that a refused request reached none of them.
type changeLog struct {
	storeJobs
	mu    sync.Mutex
	calls []string
}

func (c *changeLog) record(s string) (*mosaic.Job, error) {
	c.mu.Lock()
	c.calls = append(c.calls, s)
	c.mu.Unlock()
	return &mosaic.Job{ID: "new", State: mosaic.JobSubmitted}, nil
}

func (c *changeLog) Submit(_ context.Context, task string, _ map[string]string, o mosaic.SubmitOptions) (*mosaic.Job, error) {
	return c.record("submit " + task + " by " + o.User.DisplayName())
}

func (c *changeLog) Execute(_ context.Context, task string, _ map[string]string, o mosaic.SubmitOptions) (*mosaic.Job, error) {
	j, err := c.record("execute " + task + " by " + o.User.DisplayName())
	j.State = mosaic.JobSucceeded
	return j, err
}

func (c *changeLog) Cancel(ctx context.Context, id string) (*mosaic.Job, error) {
	c.record("cancel " + id)
	return c.Job(ctx, id)
}

func (c *changeLog) Delete(ctx context.Context, id string) (*mosaic.Job, error) {
	c.record("delete " + id)
	return c.Job(ctx, id)
}

func (c *changeLog) take() []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	out := c.calls
	c.calls = nil
	return out
}

// browserServer is a server on loopback with the change log as its job
// service and a finished job "anon1" owned by "anonymous" and "bob1" by
// bob. With auth, users are those of usersFile and anonymous callers
// have the given role.
func browserServer(t *testing.T, auth bool, anonymous mosaic.Role, cfg server.Config) (*httptest.Server, *changeLog, string) {
	t.Helper()
	db, err := sqlite.Open(context.Background(), filepath.Join(t.TempDir(), "t.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	jobs := &changeLog{storeJobs: storeJobs{store: db}}
	err = db.Update(context.Background(), func(tx mosaic.Tx) error {
		for _, j := range []*mosaic.Job{
			{ID: "anon1", Task: "DeleteImage", State: mosaic.JobSucceeded, Owner: "anonymous", SubmittedAt: time.Now()},
			{ID: "bob1", Task: "DeleteImage", State: mosaic.JobSucceeded, Owner: "bob", SubmittedAt: time.Now()},
		} {
			if err := tx.CreateJob(j); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	cfg.Store, cfg.Jobs = db, jobs
	key := ""
	if auth {
		users, k := usersFile(t)
		key = k
		a, err := server.NewAuth(server.AuthConfig{Users: users, Secret: bytes.Repeat([]byte("k"), 32), Anonymous: anonymous, LoginsPerMinute: 1000})
		if err != nil {
			t.Fatal(err)
		}
		cfg.Auth = a
	}
	srv := httptest.NewServer(server.New(cfg))
	t.Cleanup(srv.Close)
	return srv, jobs, key
}

// send makes a request with headers (a "Host" entry sets the Host) and
// returns the response and its body.
func send(t *testing.T, method, u, contentType, body string, header ...string) (*http.Response, string) {
	t.Helper()
	req, err := http.NewRequest(method, u, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	for i := 0; i+1 < len(header); i += 2 {
		if header[i] == "Host" {
			req.Host = header[i+1]
			continue
		}
		req.Header.Set(header[i], header[i+1])
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var buf bytes.Buffer
	buf.ReadFrom(resp.Body)
	return resp, buf.String()
}

func bodyCode(body string) int {
	var m map[string]any
	if strings.HasPrefix(body, "/**/") { // JSONP: /**/name({...});
		if i, j := strings.IndexByte(body, '('), strings.LastIndexByte(body, ')'); i > 0 && j > i {
			body = body[i+1 : j]
		}
	}
	json.Unmarshal([]byte(body), &m)
	return errCode(m)
}

// TestHostCheck: without users only loopback names (and AllowedHosts)
// are answered, whatever the port, so DNS rebinding gets nothing.
func TestHostCheck(t *testing.T) {
	t.Parallel()
	open, _, _ := browserServer(t, false, "", server.Config{})
	public, _, _ := browserServer(t, false, "", server.Config{AllowedHosts: []string{"gis.example.org"}})
	tokens, _, _ := browserServer(t, true, mosaic.RoleViewer, server.Config{})
	tokensPinned, _, _ := browserServer(t, true, mosaic.RoleViewer, server.Config{AllowedHosts: []string{"gis.example.org:443"}})
	publicURL, _, _ := browserServer(t, false, "", server.Config{PublicURL: "https://maps.example.org/arcgis"})
	anonEdits, _, _ := browserServer(t, true, mosaic.RolePublisher, server.Config{PublicURL: "https://maps.example.org/arcgis"})
	for _, tc := range []struct {
		srv  *httptest.Server
		host string
		ok   bool
	}{
		{open, "localhost", true},
		{open, "localhost:8080", true},
		{open, "LOCALHOST.:8080", true},
		{open, "app.localhost:3000", true},
		{open, "127.0.0.1:9", true},
		{open, "127.1.2.3", true},
		{open, "[::1]:8080", true},
		{open, "[::1]", true},
		{open, "attacker.example", false},
		{open, "attacker.example:8080", false},
		{open, "127.0.0.1.nip.io", false},
		{open, "localhost.attacker.example", false},
		{open, "0.0.0.0", false},
		{open, "10.0.0.1", false},
		{open, "[::ffff:10.0.0.1]", false},
		{open, "gis.example.org", false},
		{public, "gis.example.org", true},
		{public, "GIS.example.org:8443", true},
		{public, "example.org", false},
		{open, "localhost:80@attacker.example", false},
		{open, "localhost:abc", false},
		{open, "localhost/x", false},
		{publicURL, "maps.example.org", true},
		{publicURL, "maps.example.org:443", true},
		{publicURL, "attacker.example", false},
		{tokens, "attacker.example", true},
		{anonEdits, "attacker.example", false},
		{anonEdits, "maps.example.org", true},
		{anonEdits, "127.0.0.1:8080", true},
		{tokensPinned, "gis.example.org", true},
		{tokensPinned, "localhost", true},
		{tokensPinned, "attacker.example", false},
	} {
		for _, path := range []string{"/arcgis/rest/info?f=json", "/arcgis/rest/services/System/RasterAnalysisTools/GPServer/DeleteImage/submitJob?imageCollection=X&where=1%3D1&f=json"} {
			resp, body := send(t, http.MethodGet, tc.srv.URL+path, "", "", "Host", tc.host)
			if got := resp.StatusCode != http.StatusMisdirectedRequest; got != tc.ok {
				t.Errorf("Host %q %s: HTTP %d %.200s", tc.host, path, resp.StatusCode, body)
			}
			if !tc.ok && (!strings.Contains(body, `"code":421`) || !strings.Contains(body, "--allowed-host")) {
				t.Errorf("Host %q: refusal does not explain itself: %s", tc.host, body)
			}
		}
	}
}

// TestCrossSiteEdits: a page of another site cannot change anything
// without a token, by any method or encoding; reads stay open.
func TestCrossSiteEdits(t *testing.T) {
	t.Parallel()
	const evil = "http://evil.example"
	gp := "/arcgis/rest/services/System/RasterAnalysisTools/GPServer"
	del := gp + "/DeleteImageCollection/submitJob"
	q := "?imageCollection=Demo&f=json"
	form := "application/x-www-form-urlencoded"
	type attempt struct {
		name, method, path, ctype, body string
		header                          []string
	}
	attempts := []attempt{
		{"GET with Origin", "GET", del + q, "", "", []string{"Origin", evil}},
		{"GET from <img> (Sec-Fetch-Site only)", "GET", del + q, "", "", []string{"Sec-Fetch-Site", "cross-site"}},
		{"GET with Origin null", "GET", del + q, "", "", []string{"Origin", "null"}},
		{"GET with Origin of a look-alike host", "GET", del + q, "", "", []string{"Origin", "http://127.0.0.1.evil.example"}},
		{"GET with an old browser's Referer", "GET", del + q, "", "", []string{"Referer", evil + "/page.html"}},
		{"GET with Sec-Fetch-Site cross-site and a same-host Origin", "GET", del + q, "", "", []string{"Origin", "http://localhost", "Sec-Fetch-Site", "cross-site"}},
		{"JSONP-style GET", "GET", del + q + "&callback=steal", "", "", []string{"Sec-Fetch-Site", "cross-site", "Sec-Fetch-Dest", "script"}},
		{"POST form", "POST", del, form, "imageCollection=Demo&f=json", []string{"Origin", evil}},
		{"POST text/plain form", "POST", del + q, "text/plain", "imageCollection=Demo", []string{"Origin", evil}},
		{"POST multipart form", "POST", del + q, "multipart/form-data; boundary=x", "--x--\r\n", []string{"Origin", evil}},
		{"POST with f=html", "POST", del, form, "imageCollection=Demo&f=html", []string{"Origin", evil}},
		{"execute", "GET", gp + "/DeleteImage/execute?imageCollection=Demo&where=1%3D1&f=json", "", "", []string{"Origin", evil}},
		{"DeleteImage", "POST", gp + "/DeleteImage/submitJob", form, "imageCollection=Demo&where=1%3D1&f=json", []string{"Origin", evil}},
		{"cancel a job", "GET", gp + "/DeleteImage/jobs/anon1/cancel?f=json", "", "", []string{"Origin", evil}},
		{"delete a job", "POST", gp + "/DeleteImage/jobs/bob1/delete", form, "f=json", []string{"Sec-Fetch-Site", "cross-site"}},
		{"audit log (admin read)", "GET", "/arcgis/rest/admin/audit?f=json", "", "", []string{"Origin", evil}},
		{"bogus token in open mode", "GET", del + q + "&token=whatever", "", "", []string{"Origin", evil}},
	}

	t.Run("open", func(t *testing.T) {
		srv, jobs, _ := browserServer(t, false, "", server.Config{})
		for _, a := range attempts {
			resp, body := send(t, a.method, srv.URL+a.path, a.ctype, a.body, a.header...)
			code := bodyCode(body)
			if code == 0 && resp.StatusCode == http.StatusOK {
				t.Errorf("%s: accepted: %.300s", a.name, body)
			}
			if !strings.Contains(body, "Cross-site request refused") {
				t.Errorf("%s: HTTP %d, code %d, no clear refusal: %.300s", a.name, resp.StatusCode, code, body)
			}
			if got := jobs.take(); len(got) > 0 {
				t.Errorf("%s reached the job service: %v", a.name, got)
			}
		}
		// The same site may edit: no Origin (curl, QGIS), the page's own
		// origin, another port of the same loopback host, Sec-Fetch-Site
		// same-origin or same-site, a typed URL.
		for _, h := range [][]string{nil, {"Origin", srv.URL}, {"Origin", "http://localhost:3000"}, {"Origin", "http://[::1]:5173"},
			{"Sec-Fetch-Site", "same-origin"}, {"Sec-Fetch-Site", "same-site", "Origin", "http://127.0.0.1:1"}, {"Sec-Fetch-Site", "none"},
			{"Referer", srv.URL + "/arcgis/rest/services"}, {"Referer", "@esri/arcgis-rest-js"}} {
			_, body := send(t, "POST", srv.URL+del, form, "imageCollection=Demo&f=json", h...)
			if !strings.Contains(body, `"jobId"`) {
				t.Errorf("same site %v: %s", h, body)
			}
		}
		if got := jobs.take(); len(got) != 9 {
			t.Errorf("same-site submits: %v", got)
		}
		// Reads stay open to other sites, with CORS.
		resp, body := send(t, "GET", srv.URL+"/arcgis/rest/services?f=json", "", "", "Origin", evil)
		if bodyCode(body) != 0 || resp.Header.Get("Access-Control-Allow-Origin") != evil {
			t.Errorf("cross-site read: ACAO %q: %.200s", resp.Header.Get("Access-Control-Allow-Origin"), body)
		}
		_, body = send(t, "GET", srv.URL+gp+"/DeleteImage/jobs/bob1?f=json", "", "", "Sec-Fetch-Site", "cross-site")
		if !strings.Contains(body, `"esriJobSucceeded"`) {
			t.Errorf("cross-site job read: %s", body)
		}
	})

	t.Run("anonymous admin", func(t *testing.T) {
		srv, jobs, _ := browserServer(t, true, mosaic.RoleAdmin, server.Config{})
		for _, a := range attempts {
			_, body := send(t, a.method, srv.URL+a.path, a.ctype, a.body, a.header...)
			if a.name == "bogus token in open mode" {
				if bodyCode(body) != 498 {
					t.Errorf("%s: %s", a.name, body)
				}
			} else if !strings.Contains(body, "Cross-site request refused") {
				t.Errorf("%s: no clear refusal: %.300s", a.name, body)
			}
			if got := jobs.take(); len(got) > 0 {
				t.Errorf("%s reached the job service: %v", a.name, got)
			}
		}
		// A token makes the caller known: another site's page may then
		// edit, as ArcGIS web apps do.
		tok := tokenFor(t, srv.URL, "bob", bobPW)
		for _, h := range [][]string{{"X-Esri-Authorization", "Bearer " + tok}, {"Authorization", "Bearer " + tok}} {
			_, body := send(t, "POST", srv.URL+gp+"/DeleteImage/submitJob", form, "imageCollection=Demo&where=1%3D1&f=json",
				append([]string{"Origin", evil, "Sec-Fetch-Site", "cross-site"}, h...)...)
			if !strings.Contains(body, `"jobId"`) {
				t.Errorf("cross-site with a token (%s): %s", h[0], body)
			}
		}
		_, body := send(t, "POST", srv.URL+gp+"/DeleteImage/jobs/bob1/cancel", form, "f=json&token="+url.QueryEscape(tok), "Origin", evil)
		if bodyCode(body) != 0 {
			t.Errorf("bob cancels his job from another site with his token: %s", body)
		}
		if got := jobs.take(); strings.Join(got, ",") != "submit DeleteImage by bob,submit DeleteImage by bob,cancel bob1" {
			t.Errorf("token edits: %v", got)
		}
	})
}

func tokenFor(t *testing.T, base, user, pw string) string {
	t.Helper()
	_, body := send(t, "POST", base+"/arcgis/tokens/generateToken", "application/x-www-form-urlencoded",
		url.Values{"username": {user}, "password": {pw}, "f": {"json"}}.Encode())
	var m struct{ Token string }
	json.Unmarshal([]byte(body), &m)
	if m.Token == "" {
		t.Fatalf("generateToken: %s", body)
	}
	return m.Token
}

// TestAnonymousJobsHaveNoOwner: a caller without a token may not cancel
// or delete a job submitted without one; the owner and admins may.
func TestAnonymousJobsHaveNoOwner(t *testing.T) {
	t.Parallel()
	srv, jobs, _ := browserServer(t, true, mosaic.RolePublisher, server.Config{})
	gp := srv.URL + "/arcgis/rest/services/System/RasterAnalysisTools/GPServer/DeleteImage/jobs/"
	bob := tokenFor(t, srv.URL, "bob", bobPW)
	alice := tokenFor(t, srv.URL, "alice", alicePW)
	for _, tc := range []struct {
		path, token string
		code        int
	}{
		{"anon1/cancel", "", 403},
		{"anon1/delete", "", 403},
		{"bob1/cancel", "", 403},
		{"anon1/cancel", bob, 403},
		{"bob1/cancel", bob, 0},
		{"anon1/delete", alice, 0},
	} {
		_, body := send(t, "POST", gp+tc.path, "application/x-www-form-urlencoded", "f=json&token="+url.QueryEscape(tc.token))
		if got := bodyCode(body); got != tc.code {
			t.Errorf("%s (token %v): code %d, want %d: %s", tc.path, tc.token != "", got, tc.code, body)
		}
	}
	if got := strings.Join(jobs.take(), ","); got != "cancel bob1,delete anon1" {
		t.Errorf("changes: %s", got)
	}
}

// TestCORSAndPreflight: every answer to a page of another origin can be
// read (or only those of CORSOrigins); OPTIONS never reaches a handler.
func TestCORSAndPreflight(t *testing.T) {
	t.Parallel()
	srv, jobs, _ := browserServer(t, false, "", server.Config{})
	restricted, _, _ := browserServer(t, false, "", server.Config{CORSOrigins: []string{"https://app.example.com"}})
	const app = "https://app.example.com"
	submit := "/arcgis/rest/services/System/RasterAnalysisTools/GPServer/DeleteImageCollection/submitJob?imageCollection=Demo&f=json"

	for _, path := range []string{"/arcgis/rest/info?f=json", "/arcgis/rest/services/Nope/ImageServer?f=json", "/arcgis/rest/services?f=html"} {
		resp, _ := send(t, "GET", srv.URL+path, "", "", "Origin", app)
		if resp.Header.Get("Access-Control-Allow-Origin") != app || !strings.Contains(resp.Header.Get("Vary"), "Origin") {
			t.Errorf("%s: ACAO %q, Vary %q", path, resp.Header.Get("Access-Control-Allow-Origin"), resp.Header.Get("Vary"))
		}
	}
	// A preflight, even with the edit's parameters in its URL, is answered
	// and runs nothing.
	resp, body := send(t, "OPTIONS", srv.URL+submit, "", "", "Origin", app,
		"Access-Control-Request-Method", "POST", "Access-Control-Request-Headers", "x-esri-authorization, content-type")
	if resp.StatusCode != http.StatusNoContent || resp.Header.Get("Access-Control-Allow-Origin") != app ||
		!strings.Contains(resp.Header.Get("Access-Control-Allow-Methods"), "POST") ||
		!strings.Contains(strings.ToLower(resp.Header.Get("Access-Control-Allow-Headers")), "x-esri-authorization") {
		t.Errorf("preflight: HTTP %d %v %s", resp.StatusCode, resp.Header, body)
	}
	resp, _ = send(t, "OPTIONS", srv.URL+submit, "", "")
	if resp.StatusCode != http.StatusNoContent || resp.Header.Get("Allow") == "" {
		t.Errorf("plain OPTIONS: HTTP %d", resp.StatusCode)
	}
	for _, m := range []string{"PUT", "DELETE", "PATCH", "PROPFIND"} {
		resp, body := send(t, m, srv.URL+submit, "", "")
		if resp.StatusCode != http.StatusMethodNotAllowed || bodyCode(body) != 405 {
			t.Errorf("%s: HTTP %d %s", m, resp.StatusCode, body)
		}
	}
	if got := jobs.take(); len(got) > 0 {
		t.Errorf("OPTIONS or other methods reached the job service: %v", got)
	}
	// Private Network Access: only for listed origins.
	for _, tc := range []struct {
		srv  *httptest.Server
		want string
	}{{srv, ""}, {restricted, "true"}} {
		resp, _ := send(t, "OPTIONS", tc.srv.URL+submit, "", "", "Origin", app, "Access-Control-Request-Method", "GET",
			"Access-Control-Request-Private-Network", "true")
		if got := resp.Header.Get("Access-Control-Allow-Private-Network"); got != tc.want {
			t.Errorf("private network preflight: %q, want %q", got, tc.want)
		}
	}
	// CORSOrigins restricts which pages may read.
	for origin, want := range map[string]string{app: app, "http://evil.example": ""} {
		resp, _ := send(t, "GET", restricted.URL+"/arcgis/rest/info?f=json", "", "", "Origin", origin)
		if got := resp.Header.Get("Access-Control-Allow-Origin"); got != want {
			t.Errorf("restricted, Origin %s: ACAO %q, want %q", origin, got, want)
		}
		resp, _ = send(t, "OPTIONS", restricted.URL+submit, "", "", "Origin", origin, "Access-Control-Request-Method", "POST")
		if got := resp.Header.Get("Access-Control-Allow-Origin"); got != want {
			t.Errorf("restricted preflight, Origin %s: ACAO %q, want %q", origin, got, want)
		}
	}
}

// TestSecurityHeaders: every response, of every kind, carries them.
func TestSecurityHeaders(t *testing.T) {
	t.Parallel()
	f := newImageFixture(t, server.Config{})
	for _, path := range []string{
		"/arcgis/rest/services", "/arcgis/rest/services?f=json", "/arcgis/rest/services/Golden/ImageServer/exportImage?bbox=600000,5300000,600100,5300100&f=image",
		"/arcgis/rest/services/Nope/ImageServer", "/arcgis/tokens/generateToken", "/no/such/path", "/arcgis/webmap/",
	} {
		resp, _ := send(t, "GET", f.srv.URL+path, "", "")
		h := resp.Header
		if h.Get("X-Content-Type-Options") != "nosniff" || h.Get("Referrer-Policy") != "no-referrer" ||
			h.Get("X-Frame-Options") != "DENY" || !strings.Contains(h.Get("Content-Security-Policy"), "frame-ancestors 'none'") {
			t.Errorf("%s: headers %v", path, h)
		}
	}
	resp, body := send(t, "GET", f.srv.URL+"/arcgis/rest/services", "", "")
	if csp := resp.Header.Get("Content-Security-Policy"); csp != server.DirectoryPolicy || strings.Contains(body, "<script") {
		t.Errorf("directory page: CSP %q", csp)
	}
}
