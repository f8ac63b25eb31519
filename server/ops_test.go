package server_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"

	"github.com/tessera-gis/tessera/mosaic"
	"github.com/tessera-gis/tessera/server"
)

// syncBuffer is a log destination safe for concurrent writers.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// blockingRenderer holds each render until release is closed, so that a
// test can see renders in flight.
type blockingRenderer struct {
	entered chan struct{}
	release chan struct{}
}

func (r *blockingRenderer) Render(ctx context.Context, req mosaic.RenderRequest) (*mosaic.Image, error) {
	r.entered <- struct{}{}
	select {
	case <-r.release:
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	return &mosaic.Image{Data: []byte("\x89PNG stub"), ContentType: "image/png", Extension: "png"}, nil
}

type opsFixture struct {
	*imageFixture
	metrics *server.Metrics
	logs    *syncBuffer
	apiKey  string // the viewer "script"
	render  *blockingRenderer
}

// newOpsFixture serves the image fixture with token security (alice is an
// admin, bob a publisher), metrics and JSON logs at debug level.
func newOpsFixture(t *testing.T, loginsPerMinute int) *opsFixture {
	t.Helper()
	users, key := usersFile(t)
	auth, err := server.NewAuth(server.AuthConfig{Users: users, Secret: bytes.Repeat([]byte("k"), 32), LoginsPerMinute: loginsPerMinute})
	if err != nil {
		t.Fatal(err)
	}
	f := &opsFixture{metrics: server.NewMetrics(server.MetricsConfig{}), logs: &syncBuffer{}, apiKey: key,
		render: &blockingRenderer{entered: make(chan struct{}, 1), release: make(chan struct{})}}
	close(f.render.release) // renders return at once unless a test replaces it
	f.imageFixture = newImageFixture(t, server.Config{Auth: auth, Metrics: f.metrics, Renderer: f.render,
		Logger: slog.New(slog.NewJSONHandler(f.logs, &slog.HandlerOptions{Level: slog.LevelDebug}))})
	return f
}

// do sends a request and returns the response with its body read.
func do(t *testing.T, req *http.Request) (*http.Response, []byte) {
	t.Helper()
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp, body
}

func newReq(t *testing.T, method, u string, form url.Values, header ...string) *http.Request {
	t.Helper()
	var body io.Reader
	if form != nil {
		body = strings.NewReader(form.Encode())
	}
	req, err := http.NewRequest(method, u, body)
	if err != nil {
		t.Fatal(err)
	}
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	return req
}

func (f *opsFixture) token(t *testing.T, user, pw string) string {
	t.Helper()
	resp, body := do(t, newReq(t, http.MethodPost, f.srv.URL+"/arcgis/tokens/generateToken",
		url.Values{"username": {user}, "password": {pw}, "f": {"json"}, "expiration": {"5"}}))
	var tok struct{ Token string }
	if err := json.Unmarshal(body, &tok); err != nil || tok.Token == "" {
		t.Fatalf("generateToken: HTTP %d %s", resp.StatusCode, body)
	}
	return tok.Token
}

// scrape reads /metrics with an admin's credentials and parses it with
// the Prometheus text parser.
func scrape(t *testing.T, u string, header ...string) map[string]*dto.MetricFamily {
	t.Helper()
	resp, body := do(t, newReq(t, http.MethodGet, u, nil, header...))
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET %s: HTTP %d: %.300s", u, resp.StatusCode, body)
	}
	parser := expfmt.NewTextParser(model.LegacyValidation)
	fams, err := parser.TextToMetricFamilies(bytes.NewReader(body))
	if err != nil {
		t.Fatalf("parse /metrics: %v\n%.1000s", err, body)
	}
	return fams
}

// value returns the value of the sample of family name whose labels
// include labels (the sum over matching samples; a histogram's count), and
// whether any sample matched.
func value(fams map[string]*dto.MetricFamily, name string, labels ...string) (float64, bool) {
	fam, ok := fams[name]
	if !ok {
		return 0, false
	}
	var sum float64
	found := false
next:
	for _, m := range fam.Metric {
		for i := 0; i+1 < len(labels); i += 2 {
			match := false
			for _, lp := range m.Label {
				if lp.GetName() == labels[i] && lp.GetValue() == labels[i+1] {
					match = true
				}
			}
			if !match {
				continue next
			}
		}
		found = true
		switch {
		case m.Counter != nil:
			sum += m.Counter.GetValue()
		case m.Gauge != nil:
			sum += m.Gauge.GetValue()
		case m.Histogram != nil:
			sum += float64(m.Histogram.GetSampleCount())
		case m.Untyped != nil:
			sum += m.Untyped.GetValue()
		}
	}
	return sum, found
}

// TestMetrics: /metrics is for admins, and its values move with requests,
// token failures, rate limits and renders.
func TestMetrics(t *testing.T) {
	t.Parallel()
	f := newOpsFixture(t, 5) // two sign-ins, three wrong passwords, then refusals
	admin := f.token(t, "alice", alicePW)
	metricsURL := f.srv.URL + "/metrics"
	auth := []string{"Authorization", "Bearer " + admin}

	// Only admins: no token, a viewer's key, a publisher's token.
	bob := f.token(t, "bob", bobPW)
	for _, h := range [][]string{nil, {"Authorization", "Bearer " + f.apiKey}, {"X-Esri-Authorization", "Bearer " + bob}} {
		resp, body := do(t, newReq(t, http.MethodGet, metricsURL, nil, h...))
		if resp.StatusCode == http.StatusOK || strings.Contains(string(body), "tessera_") {
			t.Errorf("/metrics with %v: HTTP %d, want a refusal", h, resp.StatusCode)
		}
	}

	before := scrape(t, metricsURL, auth...)
	if n, _ := value(before, "tessera_collections"); n != 2 {
		t.Errorf("tessera_collections = %v, want 2", n)
	}
	if n, _ := value(before, "tessera_items", "collection", "Golden"); n != 5 {
		t.Errorf(`tessera_items{collection="Golden"} = %v, want 5`, n)
	}
	if n, _ := value(before, "tessera_database_size_bytes"); n <= 0 {
		t.Errorf("tessera_database_size_bytes = %v", n)
	}
	if _, ok := value(before, "tessera_database_wal_bytes"); !ok {
		t.Error("no tessera_database_wal_bytes")
	}
	if n, _ := value(before, "tessera_store_up"); n != 1 {
		t.Errorf("tessera_store_up = %v", n)
	}

	// Work: a query, a bad where (an Esri 400 in a 200), token failures
	// of every kind, too many logins.
	get(t, f.IS()+"/query?where=1=1&returnCountOnly=true&f=json&token="+url.QueryEscape(admin))
	get(t, f.IS()+"/query?where=nosuchfield=1&f=json&token="+url.QueryEscape(admin))
	get(t, f.IS()+"?f=json&token=forged")
	get(t, f.IS()+"?f=json&token=tsk_unknown")
	for range 4 {
		do(t, newReq(t, http.MethodPost, f.srv.URL+"/arcgis/tokens/generateToken",
			url.Values{"username": {"alice"}, "password": {"wrong"}, "f": {"json"}}))
	}

	// A render in flight.
	f.render.release = make(chan struct{})
	done := make(chan struct{})
	go func() {
		defer close(done)
		http.Get(f.IS() + "/exportImage?f=image&size=10,10&bbox=600000,5300000,600100,5300100&token=" + url.QueryEscape(admin))
	}()
	<-f.render.entered
	during := scrape(t, metricsURL, auth...)
	if n, _ := value(during, "tessera_renders_in_flight"); n != 1 {
		t.Errorf("tessera_renders_in_flight during a render = %v, want 1", n)
	}
	if n, _ := value(during, "tessera_render_budget_bytes_in_use"); n <= 0 {
		t.Errorf("tessera_render_budget_bytes_in_use during a render = %v, want > 0", n)
	}
	close(f.render.release)
	<-done

	after := scrape(t, metricsURL, auth...)
	if n, _ := value(after, "tessera_renders_in_flight"); n != 0 {
		t.Errorf("tessera_renders_in_flight after = %v, want 0", n)
	}
	if n, _ := value(after, "tessera_render_budget_bytes_in_use"); n != 0 {
		t.Errorf("tessera_render_budget_bytes_in_use after = %v, want 0", n)
	}
	if n, _ := value(after, "tessera_render_budget_bytes"); n <= 0 {
		t.Errorf("tessera_render_budget_bytes = %v", n)
	}
	query := "/arcgis/rest/services/{name}/ImageServer/query"
	moved := []struct {
		name   string
		labels []string
		by     float64
	}{
		{"tessera_http_request_duration_seconds", []string{"route", query, "method", "GET", "status", "200"}, 2},
		{"tessera_http_request_duration_seconds", []string{"route", "/arcgis/rest/services/{name}/ImageServer/exportImage"}, 1},
		{"tessera_http_esri_errors_total", []string{"route", query, "code", "400"}, 1},
		{"tessera_token_failures_total", []string{"reason", "invalid"}, 1},
		{"tessera_token_failures_total", []string{"reason", "api_key"}, 1},
		{"tessera_token_failures_total", []string{"reason", "password"}, 3},
		{"tessera_rate_limited_total", []string{"limit", "login"}, 1},
	}
	for _, m := range moved {
		b, _ := value(before, m.name, m.labels...)
		a, _ := value(after, m.name, m.labels...)
		if a-b != m.by {
			t.Errorf("%s%v went from %v to %v, want +%v", m.name, m.labels, b, a, m.by)
		}
	}
	for _, name := range []string{"go_goroutines", "process_resident_memory_bytes"} {
		if _, ok := after[name]; !ok {
			t.Errorf("no %s", name)
		}
	}
}

// TestAccessLog: every request has an id, sent back in X-Request-Id and
// logged on one JSON line with its route, status, duration and user; no
// line holds a token, an API key or a password, however they were sent.
func TestAccessLog(t *testing.T) {
	t.Parallel()
	f := newOpsFixture(t, 100)
	secrets := []string{alicePW, bobPW, f.apiKey}
	tok := f.token(t, "alice", alicePW)
	secrets = append(secrets, tok)
	is := f.IS()
	ids := map[string]bool{}
	send := func(req *http.Request) *http.Response {
		t.Helper()
		resp, _ := do(t, req)
		id := resp.Header.Get("X-Request-Id")
		if id == "" || ids[id] {
			t.Errorf("%s %s: X-Request-Id %q (empty or repeated)", req.Method, req.URL.Path, id)
		}
		ids[id] = true
		return resp
	}
	send(newReq(t, http.MethodGet, is+"?f=json&token="+url.QueryEscape(tok), nil))
	send(newReq(t, http.MethodPost, is+"/query", url.Values{"f": {"json"}, "where": {"1=1"}, "token": {tok}}))
	send(newReq(t, http.MethodGet, is+"?f=json", nil, "X-Esri-Authorization", "Bearer "+tok))
	send(newReq(t, http.MethodGet, is+"?f=json", nil, "Authorization", "Bearer "+f.apiKey))
	send(newReq(t, http.MethodGet, is+"?f=pjson&token="+url.QueryEscape(f.apiKey), nil))
	send(newReq(t, http.MethodPost, f.srv.URL+"/arcgis/tokens/generateToken",
		url.Values{"username": {"bob"}, "password": {bobPW}, "f": {"json"}}))
	send(newReq(t, http.MethodGet, f.srv.URL+"/arcgis/tokens/generateToken?f=json&username=bob&password="+bobPW, nil))
	send(newReq(t, http.MethodGet, f.srv.URL+"/arcgis/rest/services?f=json&token="+url.QueryEscape(tok+"x"), nil))
	send(newReq(t, http.MethodGet, f.srv.URL+"/healthz", nil))

	// A sane incoming id is kept; anything else is replaced.
	for in, keep := range map[string]bool{"req-42.a:b_c": true, "bad id": false, strings.Repeat("x", 65): false, "tok<script>": false} {
		resp := send(newReq(t, http.MethodGet, f.srv.URL+"/arcgis/rest/info?f=json", nil, "X-Request-Id", in))
		if got := resp.Header.Get("X-Request-Id"); (got == in) != keep {
			t.Errorf("incoming X-Request-Id %q: got %q", in, got)
		}
	}

	logs := f.logs.String()
	for _, s := range secrets {
		if strings.Contains(logs, s) {
			t.Errorf("the log holds a secret %.12s…:\n%s", s, logs)
		}
	}
	lines := 0
	sc := bufio.NewScanner(strings.NewReader(logs))
	for sc.Scan() {
		var m map[string]any
		if err := json.Unmarshal(sc.Bytes(), &m); err != nil {
			t.Fatalf("not a JSON line: %v: %s", err, sc.Text())
		}
		if m["msg"] != "request" {
			continue
		}
		lines++
		for _, k := range []string{"request_id", "method", "route", "path", "status", "duration_ms", "user", "time", "level"} {
			if _, ok := m[k]; !ok {
				t.Errorf("access log line without %s: %s", k, sc.Text())
			}
		}
		if !ids[m["request_id"].(string)] && lines > 1 { // the first is f.token's
			t.Errorf("request id %v was not sent back", m["request_id"])
		}
		if m["route"] == "/arcgis/rest/services/{name}/ImageServer/query" && m["user"] != "alice" {
			t.Errorf("query logged as user %v, want alice", m["user"])
		}
		if m["route"] == "/healthz" && m["level"] != "DEBUG" {
			t.Errorf("probe logged at %v, want DEBUG", m["level"])
		}
	}
	if lines != len(ids)+1 {
		t.Errorf("%d access log lines for %d requests:\n%s", lines, len(ids), logs)
	}
}

// TestHealth: /healthz answers while the process runs; /readyz and
// rest/info/healthCheck report whether the store answers.
func TestHealth(t *testing.T) {
	t.Parallel()
	f := newOpsFixture(t, 100)
	check := func(path string, wantStatus int, wantBody string) {
		t.Helper()
		resp, body := do(t, newReq(t, http.MethodGet, f.srv.URL+path, nil))
		if resp.StatusCode != wantStatus || !strings.Contains(string(body), wantBody) {
			t.Errorf("GET %s: HTTP %d %q, want %d %q", path, resp.StatusCode, body, wantStatus, wantBody)
		}
	}
	check("/healthz", 200, "ok")
	check("/readyz", 200, "ready")
	check("/arcgis/rest/info/healthCheck?f=json", 200, `{"success":true}`)
	check("/arcgis/rest/info/healthcheck?f=pjson", 200, `"success": true`)
	check("/arcgis/rest/info/healthCheck", 200, "Health Check")
	check("/arcgis/rest/info/healthCheck?f=xml", 200, `"code":400`)

	// The store goes away: the process is up, but not ready.
	f.db.Close()
	check("/healthz", 200, "ok")
	check("/readyz", 503, "not ready")
	check("/arcgis/rest/info/healthCheck?f=json", 503, `{"success":false}`)
	check("/arcgis/rest/info/healthCheck", 503, "Health Check")
	if strings.Contains(f.logs.String(), `"msg":"not ready"`) == false {
		t.Error("the reason is not logged")
	}
	scrapeAfter := scrape(t, f.srv.URL+"/metrics", "Authorization", "Bearer "+f.token(t, "alice", alicePW))
	if n, _ := value(scrapeAfter, "tessera_store_up"); n != 0 {
		t.Errorf("tessera_store_up with the store closed = %v, want 0", n)
	}
}
