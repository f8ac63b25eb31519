package main_test

import (
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/tessera-gis/tessera/raster/rastertest"
)

// bigItems is the size of the seeded collection Big. Purging it all takes
// seconds: long enough to cancel, time out or kill a job while it executes,
// with real work.
const bigItems = 60000

var (
	bigOnce sync.Once
	bigDB   string
)

// bigDir returns a new data directory whose database holds Big.
func bigDir(t *testing.T) string {
	t.Helper()
	if pgMode != nil {
		dir := t.TempDir()
		seedCollection(t, dir, "Big", bigItems)
		return dir
	}
	bigOnce.Do(func() {
		dir, err := os.MkdirTemp("", "tessera-big")
		if err != nil {
			t.Fatal(err)
		}
		seedCollection(t, dir, "Big", bigItems)
		bigDB = filepath.Join(dir, "tessera.db")
	})
	dir := t.TempDir()
	b, err := os.ReadFile(bigDB)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "tessera.db"), b, 0o644); err != nil {
		t.Fatal(err)
	}
	return dir
}

// status returns a job's JSON.
func status(t testing.TB, p *proc, task, id string) map[string]any {
	t.Helper()
	return getJSON(t, p.GP(task)+"/jobs/"+id+"?f=json")
}

// waitFor polls a job until its status is one of want and returns its JSON.
func waitFor(t testing.TB, p *proc, task, id string, want ...string) map[string]any {
	t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for {
		m := status(t, p, task, id)
		for _, w := range want {
			if m["jobStatus"] == w {
				return m
			}
		}
		if m["jobStatus"] == nil || time.Now().After(deadline) {
			t.Fatalf("job %s: want %v, got %v", id, want, m)
		}
		time.Sleep(3 * time.Millisecond)
	}
}

// deleteBig is a DeleteImage on Big that purges (slower than recycling:
// every row and its index entry go). It defers the boundary union
// (updateBoundary=false), which for 60,000 adjacent footprints would hold
// the write lock for seconds after every delete.
func deleteBig(where string, extra ...string) url.Values {
	v := url.Values{"imageCollection": {"Big"}, "where": {where}, "updateBoundary": {"false"}, "purge": {"true"}}
	for i := 0; i+1 < len(extra); i += 2 {
		v.Set(extra[i], extra[i+1])
	}
	return v
}

// TestJobsSurviveKill kills the server with SIGKILL while a job deletes,
// restarts it, and checks that every job still answers with a true status:
// the running job failed with a message and changed nothing (a delete is
// all or nothing), and finished jobs keep their results. Then the same with
// SIGTERM. (That a queued job runs after a restart is TestEngineRestart's.)
func TestJobsSurviveKill(t *testing.T) {
	t.Parallel()
	dir := bigDir(t)
	p := startServer(t, dir, "--jobs", "1")

	done := submit(t, p, "DeleteImage", deleteBig("OBJECTID = 1"))
	waitFor(t, p, "DeleteImage", done, "esriJobSucceeded")
	failed := submit(t, p, "DeleteImage", deleteBig("1=1", "objectIds", "99999999", "strict", "true"))
	waitFor(t, p, "DeleteImage", failed, "esriJobFailed")
	cancelled := submit(t, p, "DeleteImage", deleteBig("1=1"))
	waitFor(t, p, "DeleteImage", cancelled, "esriJobExecuting")
	postForm(t, p.GP("DeleteImage")+"/jobs/"+cancelled+"/cancel", url.Values{})
	waitFor(t, p, "DeleteImage", cancelled, "esriJobCancelled")

	running := submit(t, p, "DeleteImage", deleteBig("OBJECTID > 1"))
	waitFor(t, p, "DeleteImage", running, "esriJobExecuting")
	p.Kill()

	p = startServer(t, dir, "--jobs", "1")
	// On SQLite the restarted server fails the job as it starts; on
	// PostgreSQL (TESSERA_TEST_STORE=postgis) the killed process is another
	// instance, whose jobs fail once its heartbeats are --instance-timeout
	// late.
	m := waitFor(t, p, "DeleteImage", running, "esriJobFailed", "esriJobSucceeded", "esriJobCancelled")
	if m["jobStatus"] != "esriJobFailed" || !strings.Contains(messages(m), "esriJobMessageTypeError: The server stopped while this job was running") {
		t.Errorf("job running at the kill: %v\n%s", m["jobStatus"], messages(m))
	}
	if m := status(t, p, "DeleteImage", done); m["jobStatus"] != "esriJobSucceeded" || jsonText(m["results"]) != `{"result":{"paramUrl":"results/result"}}` {
		t.Errorf("finished job after the kill: %v", m)
	}
	if m := status(t, p, "DeleteImage", failed); m["jobStatus"] != "esriJobFailed" {
		t.Errorf("failed job after the kill: %v", m)
	}
	if m := status(t, p, "DeleteImage", cancelled); m["jobStatus"] != "esriJobCancelled" {
		t.Errorf("cancelled job after the kill: %v", m)
	}
	if got := count(t, p, "Big", "1=1"); got != bigItems-1 {
		t.Errorf("Big has %d items, want %d: only the finished one-item delete may have applied", got, bigItems-1)
	}

	// A clean stop (SIGTERM) also fails the running job, with its own message.
	running = submit(t, p, "DeleteImage", deleteBig("OBJECTID > 1"))
	waitFor(t, p, "DeleteImage", running, "esriJobExecuting")
	p.Stop()
	p = startServer(t, dir, "--jobs", "1")
	m = status(t, p, "DeleteImage", running)
	if m["jobStatus"] != "esriJobFailed" || !strings.Contains(messages(m), "shut down while this job was running") {
		t.Errorf("job running at SIGTERM: %v\n%s", m["jobStatus"], messages(m))
	}
	if got := count(t, p, "Big", "1=1"); got != bigItems-1 {
		t.Errorf("Big has %d items after the stopped delete, want %d", got, bigItems-1)
	}
}

// TestCancelStopsWork cancels an executing DeleteImage: it ends
// esriJobCancelled promptly and the catalog is unchanged. (Cancelling a
// queued job is TestEngineCancel's: here a submit would wait for the
// delete's write lock.)
func TestCancelStopsWork(t *testing.T) {
	t.Parallel()
	dir := bigDir(t)
	p := startServer(t, dir, "--jobs", "1")
	running := submit(t, p, "DeleteImage", deleteBig("1=1"))
	waitFor(t, p, "DeleteImage", running, "esriJobExecuting")
	start := time.Now()
	// GET, as @arcgis/core sends it.
	m := getJSON(t, p.GP("DeleteImage")+"/jobs/"+running+"/cancel?f=json")
	if s := m["jobStatus"]; s != "esriJobCancelling" && s != "esriJobCancelled" {
		t.Errorf("cancel an executing job: %v", m)
	}
	m = waitFor(t, p, "DeleteImage", running, "esriJobCancelled", "esriJobSucceeded", "esriJobFailed")
	if m["jobStatus"] != "esriJobCancelled" {
		t.Fatalf("executing job after cancel: %v\n%s", m["jobStatus"], messages(m))
	}
	if d := time.Since(start); d > 2*time.Second {
		t.Errorf("the cancel took %v", d)
	}
	if m["results"] != nil {
		t.Errorf("a cancelled job has results: %v", m)
	}
	if got := count(t, p, "Big", "1=1"); got != bigItems {
		t.Errorf("Big has %d items after cancelled deletes, want %d", got, bigItems)
	}
	// Results of a job that did not succeed are an error, not an empty value.
	if m := getJSON(t, p.GP("DeleteImage")+"/jobs/"+running+"/results/result?f=json"); m["error"] == nil {
		t.Errorf("results of a cancelled job: %v", m)
	}
	// Inputs are always there.
	if m := getJSON(t, p.GP("DeleteImage")+"/jobs/"+running+"/inputs/where?f=json"); m["value"] != "1=1" || m["paramName"] != "where" {
		t.Errorf("inputs/where = %v", m)
	}
	// Delete: the record goes, and later requests say so.
	if m := postForm(t, p.GP("DeleteImage")+"/jobs/"+running+"/delete", url.Values{}); m["jobStatus"] != "esriJobDeleted" {
		t.Errorf("delete: %v", m)
	}
	m = status(t, p, "DeleteImage", running)
	if e, _ := m["error"].(map[string]any); e == nil || !strings.Contains(e["message"].(string), "was deleted") {
		t.Errorf("deleted job: %v", m)
	}
}

// TestTimeoutAndRetention runs a DeleteImage past its task's time limit and
// lets a finished job's record expire.
func TestTimeoutAndRetention(t *testing.T) {
	t.Parallel()
	dir := bigDir(t)
	// Retention leaves the poll below time to see the timed-out state on a
	// loaded machine (with 1s, a poll once came after the record expired).
	p := startServer(t, dir, "--timeout", "DeleteImage=100ms", "--job-retention", "4s")
	id := submit(t, p, "DeleteImage", deleteBig("1=1"))
	m := waitFor(t, p, "DeleteImage", id, "esriJobTimedOut", "esriJobSucceeded", "esriJobFailed")
	if m["jobStatus"] != "esriJobTimedOut" || !strings.Contains(messages(m), "Timed out after 100ms") {
		t.Errorf("DeleteImage past its 100ms limit: %v\n%s", m["jobStatus"], messages(m))
	}
	if got := count(t, p, "Big", "1=1"); got != bigItems {
		t.Errorf("Big has %d items after a timed-out delete, want %d", got, bigItems)
	}
	deadline := time.Now().Add(30 * time.Second)
	for {
		m = status(t, p, "DeleteImage", id)
		if e, _ := m["error"].(map[string]any); e != nil {
			if !strings.Contains(e["message"].(string), "expired") || e["code"] != float64(404) {
				t.Errorf("expired job: %v", m)
			}
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("job record did not expire after 4s: %v", m)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// TestLimits checks the body and parameter limits. (The per-user queue
// limit is TestEngineQueueLimit's.)
func TestLimits(t *testing.T) {
	t.Parallel()
	dir := bigDir(t)
	p := startServer(t, dir, "--max-body", "4000", "--max-param", "1000", "--max-queued", "1")
	code := func(m map[string]any) any {
		e, _ := m["error"].(map[string]any)
		return e["code"]
	}
	long := strings.Repeat("OBJECTID > 0 AND ", 70) + "1=1"
	if m := postForm(t, p.GP("DeleteImage")+"/submitJob", deleteBig(long)); code(m) != float64(429) ||
		!strings.Contains(jsonText(m), "Parameter where is too long") {
		t.Errorf("a 1.2 KB where: %v", m)
	}
	resp, err := http.Post(p.GP("DeleteImage")+"/submitJob", "application/x-www-form-urlencoded",
		strings.NewReader("f=json&imageCollection=Big&where=1%3D1&junk="+strings.Repeat("x", 5000)))
	if err != nil {
		t.Fatal(err)
	}
	if m := decode(t, resp); code(m) != float64(429) || !strings.Contains(jsonText(m), "Request body too large") {
		t.Errorf("a 5 KB body: %v", m)
	}
	if id := submit(t, p, "DeleteImage", deleteBig("1=0")); id == "" {
		t.Error("no job within the limits")
	}
}

// TestLoopbackOnlyWithoutUsers: without a users file the server refuses a
// non-loopback address, and says at start-up that it is loopback-only.
func TestLoopbackOnlyWithoutUsers(t *testing.T) {
	t.Parallel()
	for _, addr := range []string{"0.0.0.0:0", ":0", "[::]:0"} {
		out, err := execTessera("serve", "--addr", addr, "--data", t.TempDir())
		if err == nil || !strings.Contains(out, "refusing to listen") {
			t.Errorf("--addr %s without users: err %v, output %s", addr, err, out)
		}
	}
	// The metrics address serves without a token: loopback too.
	for _, addr := range []string{"0.0.0.0:0", ":0", "[::]:0", "192.0.2.1:9464"} {
		out, err := execTessera("serve", "--addr", "127.0.0.1:0", "--data", t.TempDir(), "--metrics-addr", addr)
		if err == nil || !strings.Contains(out, "refusing --metrics-addr") {
			t.Errorf("--metrics-addr %s without users: err %v, output %s", addr, err, out)
		}
	}
	if out, err := execTessera("serve", "--addr", "127.0.0.1:0", "--data", t.TempDir(), "--timeout", "NoSuchTask=1s"); err == nil ||
		!strings.Contains(out, "NoSuchTask") {
		t.Errorf("--timeout for an unknown task: err %v, output %s", err, out)
	}
	if out, err := execTessera("serve", "--addr", "127.0.0.1:0", "--data", t.TempDir(), "--anonymous", "viewer"); err == nil ||
		!strings.Contains(out, "--anonymous needs --users") {
		t.Errorf("--anonymous without users: err %v, output %s", err, out)
	}
	p := startServer(t, t.TempDir(), "--metrics-addr", "localhost:0")
	if !strings.Contains(p.Logs(), "no users configured") || !strings.Contains(p.Logs(), "loopback only") {
		t.Errorf("start-up log does not say it is loopback-only:\n%s", p.Logs())
	}
	if !strings.Contains(p.Logs(), "metrics serving") {
		t.Errorf("no loopback metrics listener without users:\n%s", p.Logs())
	}
}

// execTessera runs the binary to completion and returns its output.
func execTessera(args ...string) (string, error) {
	cmd := newCmd(args...)
	var b strings.Builder
	cmd.Stdout, cmd.Stderr = &b, &b
	done := make(chan error, 1)
	if err := cmd.Start(); err != nil {
		return "", err
	}
	go func() { done <- cmd.Wait() }()
	select {
	case err := <-done:
		return b.String(), err
	case <-time.After(60 * time.Second):
		cmd.Process.Kill()
		return b.String() + "\n(killed after 60s)", io.ErrUnexpectedEOF
	}
}

// TestExecute runs a task synchronously, and checks that a caller who
// gives up on execute stops the job rather than leaving it to change the
// catalog unseen.
func TestExecute(t *testing.T) {
	t.Parallel()
	dir := bigDir(t)
	p := startServer(t, dir)
	m := postForm(t, p.GP("DeleteImage")+"/execute", deleteBig("OBJECTID = 1"))
	res, _ := m["results"].([]any)
	if len(res) != 1 {
		t.Fatalf("execute: %v", m)
	}
	r := res[0].(map[string]any)
	if v, _ := r["value"].(map[string]any); r["paramName"] != "result" || r["dataType"] != "GPString" ||
		v["url"] != p.Services()+"/Big/ImageServer" || m["messages"] == nil {
		t.Errorf("execute result: %v", m)
	}
	// A job that fails is an error envelope carrying its error messages.
	m = postForm(t, p.GP("DeleteImage")+"/execute", deleteBig("1=1", "objectIds", "99999999", "strict", "true"))
	if e, _ := m["error"].(map[string]any); e == nil || !strings.Contains(jsonText(e["details"]), "strict") {
		t.Errorf("failing execute: %v", m)
	}

	// Give up on a long execute: the job is cancelled and deletes nothing.
	client := &http.Client{Timeout: 300 * time.Millisecond}
	form := deleteBig("1=1")
	form.Set("f", "json")
	if resp, err := client.PostForm(p.GP("DeleteImage")+"/execute", form); err == nil {
		resp.Body.Close()
		t.Fatalf("the long execute answered within 300ms: %s", resp.Status)
	}
	// Unstopped, the purge would finish in a few seconds.
	for end := time.Now().Add(6 * time.Second); time.Now().Before(end); {
		if got := count(t, p, "Big", "1=1"); got != bigItems-1 {
			t.Fatalf("after an abandoned execute Big has %d items, want %d", got, bigItems-1)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// TestPriorityOverHTTP queues two jobs behind a running AddImage of 1,000
// small rasters with --jobs 1: the one submitted with urgent=true runs
// before the earlier one with priority=4. (An AddImage reads rasters
// outside transactions, so submits go through while it runs.) The audit
// log gives the order in which they committed.
func TestPriorityOverHTTP(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	rasters := t.TempDir()
	for i := range 1000 {
		x, y := 300000+float64(i%40)*80, 5000000+float64(i/40)*80
		rastertest.GeoTIFF(t, filepath.Join(rasters, fmt.Sprintf("r%04d.tif", i)), rastertest.Size(8, 8),
			rastertest.EPSG(32633), rastertest.GeoTransform([6]float64{x, 10, 0, y, 0, -10}))
	}
	p := startServer(t, dir, "--demo", "--jobs", "1")
	blocker := submit(t, p, "AddImage", url.Values{"imageCollection": {"Demo"}, "inputRasters": {rasters}})
	waitFor(t, p, "AddImage", blocker, "esriJobExecuting")
	low := submit(t, p, "DeleteImage", url.Values{"imageCollection": {"Demo"}, "where": {"1=0"}, "priority": {"4"}})
	urgent := submit(t, p, "DeleteImage", url.Values{"imageCollection": {"Demo"}, "where": {"1=0"}, "urgent": {"true"}})
	if m := status(t, p, "AddImage", blocker); m["jobStatus"] != "esriJobExecuting" {
		t.Fatalf("the AddImage blocker finished before both jobs were queued: %v", m["jobStatus"])
	}
	if m := status(t, p, "DeleteImage", low); m["jobStatus"] != "esriJobWaiting" {
		t.Errorf("a job queued behind --jobs 1: %v, want esriJobWaiting", m["jobStatus"])
	}
	// Stop the blocker; the queued jobs then run in priority order.
	postForm(t, p.GP("AddImage")+"/jobs/"+blocker+"/cancel", url.Values{})
	waitFor(t, p, "AddImage", blocker, "esriJobCancelled")
	waitFor(t, p, "DeleteImage", low, "esriJobSucceeded")
	waitFor(t, p, "DeleteImage", urgent, "esriJobSucceeded")
	audit := getJSON(t, p.URL+"/rest/admin/audit?f=json&action=delete")
	var order []string
	for _, e := range audit["entries"].([]any) {
		order = append(order, e.(map[string]any)["jobId"].(string))
	}
	if len(order) != 2 || order[0] != low || order[1] != urgent {
		t.Errorf("delete audit entries, newest first: %v; want low %s after urgent %s", order, low, urgent)
	}
	if m := postForm(t, p.GP("DeleteImage")+"/submitJob", url.Values{"imageCollection": {"Demo"}, "where": {"1=0"}, "priority": {"9"}}); m["error"] == nil {
		t.Errorf("priority=9: %v", m)
	}
}

// TestPasswdAndAPIKey makes users-file lines with the commands and signs in
// with them.
func TestPasswdAndAPIKey(t *testing.T) {
	t.Parallel()
	cmd := newCmd("passwd", "--cost", "4", "carol", "publisher")
	cmd.Stdin = strings.NewReader("carol-password\n")
	line, err := cmd.Output()
	if err != nil || !strings.HasPrefix(string(line), "user carol publisher $2") {
		t.Fatalf("tessera passwd: %v %q", err, line)
	}
	cmd = newCmd("apikey", "ci", "viewer")
	var keyOut strings.Builder
	cmd.Stderr = &keyOut
	keyLine, err := cmd.Output()
	if err != nil || !strings.HasPrefix(string(keyLine), "apikey ci viewer sha256:") {
		t.Fatalf("tessera apikey: %v %q", err, keyLine)
	}
	key := strings.TrimSpace(keyOut.String()[strings.LastIndex(strings.TrimSpace(keyOut.String()), "\n")+1:])
	if !strings.HasPrefix(key, "tsk_") {
		t.Fatalf("no key on stderr: %q", keyOut.String())
	}
	cmd = newCmd("passwd", "dave", "admin")
	cmd.Stdin = strings.NewReader("short\n")
	if out, err := cmd.CombinedOutput(); err == nil {
		t.Errorf("a 5-character password was accepted: %s", out)
	}

	dir := t.TempDir()
	users := filepath.Join(dir, "users.conf")
	if err := os.WriteFile(users, append(line, keyLine...), 0o600); err != nil {
		t.Fatal(err)
	}
	p := startServer(t, dir, "--users", users)
	m := postForm(t, p.URL+"/tokens/generateToken", url.Values{"username": {"carol"}, "password": {"carol-password"}})
	tok, _ := m["token"].(string)
	if tok == "" {
		t.Fatalf("generateToken: %v", m)
	}
	for _, cred := range []string{tok, key} {
		req, _ := http.NewRequest(http.MethodGet, p.Services()+"?f=json", nil)
		req.Header.Set("X-Esri-Authorization", "Bearer "+cred+" ")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		if m := decode(t, resp); m["error"] != nil {
			t.Errorf("services with %.8s…: %v", cred, m)
		}
	}
	if m := getJSON(t, p.Services()+"?f=json"); jsonText(m["error"]) == "null" || m["error"].(map[string]any)["code"] != float64(499) {
		t.Errorf("services without a token: %v", m)
	}
	// The secret persists in the data directory, so tokens outlive a restart.
	if fi, err := os.Stat(filepath.Join(dir, "token.secret")); err != nil || fi.Mode().Perm() != 0o600 {
		t.Errorf("token.secret: %v %v", fi, err)
	}
	p.Stop()
	p = startServer(t, dir, "--users", users)
	if m := getJSON(t, p.Services()+"?f=json&token="+url.QueryEscape(tok)); m["error"] != nil {
		t.Errorf("token after a restart: %v", m)
	}
	if strings.Contains(p.Logs(), tok) || strings.Contains(p.Logs(), key) {
		t.Error("a token or key was logged")
	}
}
