package main_test

import (
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// crossSiteRequest sends one request of a hostile page (or of a DNS
// rebinding attack) and returns the answer's body.
func crossSiteRequest(t *testing.T, method, u, contentType, body string, header ...string) (int, string) {
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
		} else {
			req.Header.Set(header[i], header[i+1])
		}
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// TestCrossSiteCannotDelete attacks an open server (scripts/demo's mode)
// as the issue did: another site's page, an <img> tag, a rebound DNS name,
// forms of every encoding. The collection survives all of them, no job is
// even submitted, while the server's own pages and local tools still
// delete it.
func TestCrossSiteCannotDelete(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	srcDir, srcs := sources(t, 1, "x")
	seedCatalog(t, dir, "Target", 5, srcs...)
	before := snapshot(t, srcDir)
	p := startServer(t, dir)
	del := p.GP("DeleteImageCollection") + "/submitJob"
	q := "?imageCollection=Target&f=json"
	form := "application/x-www-form-urlencoded"
	const evil = "http://evil.example"
	for _, a := range []struct {
		name, method, url, ctype, body string
		header                         []string
	}{
		{"GET with another site's Origin", "GET", del + q, "", "", []string{"Origin", evil}},
		{"GET with Origin and Host of the attacker", "GET", del + q, "", "", []string{"Origin", evil, "Host", "attacker.example"}},
		{"DNS rebinding: Host of the attacker, same-origin", "GET", del + q, "", "", []string{"Host", "attacker.example:8080", "Sec-Fetch-Site", "same-origin"}},
		{"<img> tag", "GET", del + q, "", "", []string{"Sec-Fetch-Site", "cross-site", "Sec-Fetch-Dest", "image"}},
		{"<script> tag with a callback", "GET", del + q + "&callback=x", "", "", []string{"Sec-Fetch-Site", "cross-site", "Sec-Fetch-Dest", "script"}},
		{"form POST", "POST", del, form, "imageCollection=Target&f=json", []string{"Origin", evil}},
		{"form POST, text/plain", "POST", del + q, "text/plain", "imageCollection=Target", []string{"Origin", evil}},
		{"form POST, multipart", "POST", del + q, "multipart/form-data; boundary=b", "--b\r\nContent-Disposition: form-data; name=\"f\"\r\n\r\njson\r\n--b--\r\n", []string{"Origin", evil}},
		{"Origin null (sandboxed frame)", "POST", del, form, "imageCollection=Target&f=json", []string{"Origin", "null"}},
		{"execute", "GET", p.GP("DeleteImageCollection") + "/execute" + q, "", "", []string{"Origin", evil}},
		{"DeleteImage where 1=1", "GET", p.GP("DeleteImage") + "/submitJob?imageCollection=Target&where=1%3D1&f=json", "", "", []string{"Origin", evil}},
	} {
		status, body := crossSiteRequest(t, a.method, a.url, a.ctype, a.body, a.header...)
		if strings.Contains(body, "jobId") || (!strings.Contains(body, "Cross-site request refused") && status != http.StatusMisdirectedRequest) {
			t.Errorf("%s: HTTP %d %.300s", a.name, status, body)
		}
	}
	if n := count(t, p, "Target", "1=1"); n != 5 {
		t.Fatalf("the collection has %d items after the attacks, want 5", n)
	}
	if jobs := getJSON(t, p.GP("jobs")+"?f=json"); jsonText(jobs["jobs"]) != "[]" {
		t.Errorf("jobs were submitted: %v", jobs)
	}
	// Reads stay open to other sites, with CORS.
	status, body := crossSiteRequest(t, "GET", p.Services()+"/Target/ImageServer/query?where=1%3D1&returnCountOnly=true&f=json", "", "", "Origin", evil)
	if status != 200 || !strings.Contains(body, `"count":5`) {
		t.Errorf("cross-site read: %d %s", status, body)
	}
	// The server's own page (the directory's form) deletes it.
	_, body = crossSiteRequest(t, "POST", del, form, "imageCollection=Target&f=json", "Origin", strings.TrimSuffix(p.URL, "/arcgis"))
	if !strings.Contains(body, "jobId") {
		t.Fatalf("same-origin delete: %s", body)
	}
	deadline := time.Now().Add(time.Minute)
	for getJSON(t, p.Services()+"/Target/ImageServer?f=json")["error"] == nil && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
	}
	if getJSON(t, p.Services()+"/Target/ImageServer?f=json")["error"] == nil {
		t.Error("the same-origin delete did not delete")
	}
	assertUnchanged(t, srcDir, before)
}

// TestFilesArePrivate: what tessera creates in its data directory is for
// its own user only, and files of older versions are made so.
func TestFilesArePrivate(t *testing.T) {
	t.Parallel()
	sqliteOnly(t)
	dir := filepath.Join(t.TempDir(), "data")
	if err := os.Mkdir(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	_, srcs := sources(t, 1, "p")
	seedCatalog(t, dir, "Old", 1, srcs...)
	os.Chmod(filepath.Join(dir, "tessera.db"), 0o644) // as an older version left it
	users := filepath.Join(t.TempDir(), "users.conf")
	cmd := newCmd("passwd", "--cost", "4", "--file", users, "erin", "admin")
	cmd.Stdin = strings.NewReader("erin-password\n")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("passwd --file: %v %s", err, out)
	}
	p := startServer(t, dir, "--users", users)
	tok := postForm(t, p.URL+"/tokens/generateToken", url.Values{"username": {"erin"}, "password": {"erin-password"}})["token"].(string)
	m := getJSON(t, p.Services()+"/Old/ImageServer/exportImage?bbox=500000,5000000,500640,5000640&size=16,16&f=json&token="+url.QueryEscape(tok))
	if m["href"] == nil {
		t.Fatalf("exportImage f=json: %v", m)
	}
	want := map[string]os.FileMode{".": 0o700, "tessera.db": 0o600, "tessera.db-wal": 0o600, "tessera.db-shm": 0o600,
		"token.secret": 0o600, "tessera.lock": 0o600, "output": 0o700}
	entries, _ := os.ReadDir(filepath.Join(dir, "output"))
	if len(entries) == 0 {
		t.Fatal("no output file")
	}
	for _, e := range entries {
		want[filepath.Join("output", e.Name())] = 0o600
	}
	for name, mode := range want {
		fi, err := os.Stat(filepath.Join(dir, name))
		if os.IsNotExist(err) && (strings.HasSuffix(name, "-wal") || strings.HasSuffix(name, "-shm")) {
			continue // SQLite may have checkpointed it away
		}
		if err != nil {
			t.Errorf("%s: %v", name, err)
		} else if fi.Mode().Perm() != mode {
			t.Errorf("%s: mode %v, want %v", name, fi.Mode().Perm(), mode)
		}
	}
}

// TestUsersFileRecipe: passwd and apikey --file make and keep the users
// file private, refuse a second line for a user and the reserved name.
func TestUsersFileRecipe(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	users := filepath.Join(dir, "users.conf")
	passwd := func(name string) (string, error) {
		cmd := newCmd("passwd", "--cost", "4", "--file", users, name, "publisher")
		cmd.Stdin = strings.NewReader(name + "-password\n")
		out, err := cmd.CombinedOutput()
		return string(out), err
	}
	if out, err := passwd("frank"); err != nil {
		t.Fatalf("passwd: %v %s", err, out)
	}
	if fi, err := os.Stat(users); err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("new users file: %v %v", fi, err)
	}
	if out, err := passwd("frank"); err == nil || !strings.Contains(out, "already has a user frank") {
		t.Errorf("second frank: %v %s", err, out)
	}
	for _, name := range []string{"anonymous", "Anonymous"} {
		if out, err := passwd(name); err == nil || !strings.Contains(out, "reserved") {
			t.Errorf("passwd %s: %v %s", name, err, out)
		}
	}
	os.Chmod(users, 0o644) // made by an old ">>" recipe
	cmd := newCmd("apikey", "--file", users, "ci", "viewer")
	out, err := cmd.CombinedOutput()
	if err != nil || !strings.Contains(string(out), "tsk_") {
		t.Fatalf("apikey --file: %v %s", err, out)
	}
	b, _ := os.ReadFile(users)
	if fi, _ := os.Stat(users); fi.Mode().Perm() != 0o600 || strings.Count(string(b), "\n") != 2 ||
		!strings.Contains(string(b), "apikey ci viewer sha256:") || strings.Contains(string(b), "tsk_") {
		t.Errorf("users file %v:\n%s", fi.Mode().Perm(), b)
	}
}
