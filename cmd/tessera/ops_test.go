package main_test

import (
	"bufio"
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
)

// TestOperations runs a server with token security, JSON logs and a
// metrics listener, and does real work: a sign-in, a CreateImageCollection
// job, an exportImage, requests with tokens and API keys sent every way.
// Every metric docs/operations.md lists is on /metrics and the ones the
// work touches moved; the JSON log parses line by line, has an access line
// per request with the request id that the job recorded, and holds no
// token, API key or password.
func TestOperations(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	users, keys := writeUsers(t, dir)
	src := filepath.Join(dir, "rasters")
	smallRasters(t, src, 3)
	p := startServer(t, filepath.Join(dir, "data"), "--users", users, "--log-format", "json",
		"--metrics-addr", "127.0.0.1:0")
	m := regexp.MustCompile(`"metrics_url":"(http://[^"]+)"`).FindStringSubmatch(p.Logs())
	if m == nil {
		t.Fatalf("no metrics_url in the log:\n%s", p.Logs())
	}
	metricsURL := m[1]
	documented := documentedMetrics(t)

	// Requests to the main listener outside the probes and /metrics (whose
	// lines are debug-level): each must have an access line.
	sent := 0
	send := func(method, u string, form url.Values, header ...string) (*http.Response, []byte) {
		t.Helper()
		if !strings.HasPrefix(u, strings.TrimSuffix(metricsURL, "/metrics")) &&
			!strings.HasSuffix(u, "/metrics") && !strings.HasSuffix(u, "/healthz") && !strings.HasSuffix(u, "/readyz") {
			sent++
		}
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
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, err := io.ReadAll(resp.Body)
		if err != nil {
			t.Fatal(err)
		}
		return resp, b
	}
	scrape := func(u string, header ...string) map[string]*dto.MetricFamily {
		t.Helper()
		resp, body := send(http.MethodGet, u, nil, header...)
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("GET %s: HTTP %d: %.300s", u, resp.StatusCode, body)
		}
		parser := expfmt.NewTextParser(model.LegacyValidation)
		fams, err := parser.TextToMetricFamilies(bytes.NewReader(body))
		if err != nil {
			t.Fatalf("parse %s: %v", u, err)
		}
		return fams
	}

	before := scrape(metricsURL)
	// A token, by POST as clients send it.
	resp, body := send(http.MethodPost, p.URL+"/tokens/generateToken",
		url.Values{"username": {"root"}, "password": {"root-password"}, "f": {"json"}})
	var tok struct{ Token string }
	if json.Unmarshal(body, &tok) != nil || tok.Token == "" {
		t.Fatalf("generateToken: HTTP %d %s", resp.StatusCode, body)
	}
	// On the main listener /metrics needs an admin.
	if resp, _ := send(http.MethodGet, p.URL[:strings.LastIndex(p.URL, "/arcgis")]+"/metrics", nil); resp.StatusCode == http.StatusOK {
		t.Error("/metrics on the main listener answered without a token")
	}
	scrape(p.URL[:strings.LastIndex(p.URL, "/arcgis")]+"/metrics", "Authorization", "Bearer "+tok.Token)

	// A job, submitted with a request id, the token in the form.
	resp, body = send(http.MethodPost, p.GP("CreateImageCollection")+"/submitJob",
		url.Values{"imageCollection": {"Ops"}, "inputRasters": {src}, "f": {"json"}, "token": {tok.Token}},
		"X-Request-Id", "ops-test-1")
	if resp.Header.Get("X-Request-Id") != "ops-test-1" {
		t.Errorf("X-Request-Id %q, want ops-test-1", resp.Header.Get("X-Request-Id"))
	}
	var sub struct{ JobID string }
	if json.Unmarshal(body, &sub) != nil || sub.JobID == "" {
		t.Fatalf("submitJob: %s", body)
	}
	var job map[string]any
	for deadline := time.Now().Add(time.Minute); ; {
		_, body := send(http.MethodGet, p.GP("CreateImageCollection")+"/jobs/"+sub.JobID+"?f=json", nil,
			"X-Esri-Authorization", "Bearer "+tok.Token)
		job = map[string]any{}
		json.Unmarshal(body, &job)
		if s, _ := job["jobStatus"].(string); s == "esriJobSucceeded" || s == "esriJobFailed" || time.Now().After(deadline) {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	if job["jobStatus"] != "esriJobSucceeded" {
		t.Fatalf("job: %v", job)
	}
	if !strings.Contains(messages(job), "Submitted by request ops-test-1.") {
		t.Errorf("the job does not record its request id:\n%s", messages(job))
	}

	// An exportImage with the token in the query string, a query with an
	// API key in a header, a bad token, a password in a URL.
	is := p.Services() + "/Ops/ImageServer"
	resp, body = send(http.MethodGet, is+"/exportImage?f=image&format=png&size=64,64&bbox=500000,4999840,500160,5000000&token="+url.QueryEscape(tok.Token), nil)
	if resp.Header.Get("Content-Type") != "image/png" {
		t.Fatalf("exportImage: %s %.300s", resp.Header.Get("Content-Type"), body)
	}
	send(http.MethodGet, is+"/query?where=1%3D1&returnCountOnly=true&f=json", nil, "Authorization", "Bearer "+keys["vera"])
	send(http.MethodGet, is+"?f=json&token=not-a-token", nil)
	send(http.MethodGet, p.URL+"/tokens/generateToken?f=json&username=root&password=root-password", nil)

	after := scrape(metricsURL)
	for name := range documented {
		if _, ok := after[name]; !ok {
			t.Errorf("documented metric %s is not on /metrics", name)
		}
	}
	for name := range after {
		if _, ok := documented[name]; strings.HasPrefix(name, "tessera_") && !ok {
			t.Errorf("metric %s is not documented in docs/operations.md", name)
		}
	}
	export := "/arcgis/rest/services/{name}/ImageServer/exportImage"
	for _, c := range []struct {
		name   string
		labels []string
		by     float64
	}{
		{"tessera_jobs_finished_total", []string{"task", "CreateImageCollection", "state", "succeeded"}, 1},
		{"tessera_job_duration_seconds", []string{"task", "CreateImageCollection", "state", "succeeded"}, 1},
		{"tessera_job_wait_seconds", []string{"task", "CreateImageCollection"}, 1},
		{"tessera_http_request_duration_seconds", []string{"route", export, "status", "200"}, 1},
		{"tessera_collections", nil, 1},
		{"tessera_items", []string{"collection", "Ops"}, 3},
		{"tessera_token_failures_total", []string{"reason", "invalid"}, 1},
		{"tessera_http_esri_errors_total", []string{"code", "498"}, 1},
	} {
		b, _ := sample(before, c.name, c.labels...)
		a, _ := sample(after, c.name, c.labels...)
		if a-b != c.by {
			t.Errorf("%s%v went from %v to %v, want +%v", c.name, c.labels, b, a, c.by)
		}
	}
	for _, name := range []string{"tessera_gdal_block_cache_bytes", "tessera_gdal_block_cache_limit_bytes",
		"tessera_database_size_bytes", "tessera_store_up", "tessera_render_budget_bytes", "tessera_c_heap_inuse_bytes"} {
		if v, _ := sample(after, name); v <= 0 {
			t.Errorf("%s = %v after a render, want > 0", name, v)
		}
	}
	for _, probe := range []string{"/healthz", "/readyz"} {
		if resp, _ := send(http.MethodGet, strings.TrimSuffix(metricsURL, "/metrics")+probe, nil); resp.StatusCode != 200 {
			t.Errorf("%s on the metrics listener: HTTP %d", probe, resp.StatusCode)
		}
	}

	// The log, once the server has stopped and written every line.
	p.Stop()
	logs := p.Logs()
	for what, secret := range map[string]string{"token": tok.Token, "password": "root-password",
		"API key": keys["vera"]} {
		if strings.Contains(logs, secret) {
			t.Errorf("the log holds the %s", what)
		}
	}
	var submitLine map[string]any
	requests := 0
	sc := bufio.NewScanner(strings.NewReader(logs))
	for sc.Scan() {
		var line map[string]any
		if err := json.Unmarshal(sc.Bytes(), &line); err != nil {
			t.Fatalf("a log line is not JSON (%v): %s", err, sc.Text())
		}
		if line["msg"] == "request" {
			requests++
			if line["request_id"] == "ops-test-1" {
				submitLine = line
			}
		}
	}
	if requests < sent {
		t.Errorf("%d access log lines for %d requests, want one per request", requests, sent)
	}
	if submitLine == nil || submitLine["job"] != sub.JobID || submitLine["user"] != "root" || submitLine["status"] != 200.0 ||
		!strings.HasSuffix(submitLine["route"].(string), "/{task}/submitJob") {
		t.Errorf("submitJob's access log line: %v", submitLine)
	}
}

// documentedMetrics returns the metric names of the table in
// docs/operations.md.
func documentedMetrics(t *testing.T) map[string]bool {
	t.Helper()
	doc, err := os.ReadFile("../../docs/operations.md")
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]bool{}
	row := regexp.MustCompile("^\\| `(tessera_[a-z_]+)` \\|")
	for _, line := range strings.Split(string(doc), "\n") {
		if m := row.FindStringSubmatch(line); m != nil {
			out[m[1]] = true
		}
	}
	if len(out) < 15 {
		t.Fatalf("found only %d metrics in docs/operations.md", len(out))
	}
	return out
}

// sample returns the value of the samples of family name that have labels
// (summed; a histogram's count), and whether there was any.
func sample(fams map[string]*dto.MetricFamily, name string, labels ...string) (float64, bool) {
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
				match = match || lp.GetName() == labels[i] && lp.GetValue() == labels[i+1]
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
		}
	}
	return sum, found
}
