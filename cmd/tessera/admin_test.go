package main_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/creack/pty"

	"github.com/tessera-gis/tessera/mosaic"
	"github.com/tessera-gis/tessera/raster/rastertest"
	"github.com/tessera-gis/tessera/server"
)

// The admin commands run as subprocesses against a real server: on a
// pseudo-terminal for the progress bar and the questions, with pipes for
// --json and the exit codes.

// cliEnv is the environment of an admin command: no server or token from
// the caller's environment, and a client config file of the test's own.
func cliEnv(t *testing.T, extra ...string) []string {
	t.Helper()
	var env []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "TESSERA_") {
			env = append(env, kv)
		}
	}
	env = append(env, "TESSERA_CLIENT_CONFIG="+filepath.Join(t.TempDir(), "client.toml"))
	return append(env, extra...)
}

// cliResult is what a command printed and how it exited.
type cliResult struct {
	stdout, stderr string
	code           int
}

// runCLI runs "tessera args…" with stdin and pipes, and waits.
func runCLI(t *testing.T, env []string, stdin string, args ...string) cliResult {
	t.Helper()
	cmd := exec.Command(binary, args...)
	cmd.Env = env
	cmd.Stdin = strings.NewReader(stdin)
	var out, errOut bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errOut
	err := cmd.Run()
	var ee *exec.ExitError
	if err != nil && !errors.As(err, &ee) {
		t.Fatalf("tessera %q: %v", args, err)
	}
	return cliResult{out.String(), errOut.String(), cmd.ProcessState.ExitCode()}
}

// ptyProc is a command running on a pseudo-terminal.
type ptyProc struct {
	t       *testing.T
	cmd     *exec.Cmd
	ptmx    *os.File
	mu      sync.Mutex
	out     bytes.Buffer
	changed chan struct{}
	done    chan struct{}
}

// startPTY runs "tessera args…" with a pseudo-terminal as its stdin,
// stdout and stderr, as an operator's shell would.
func startPTY(t *testing.T, env []string, args ...string) *ptyProc {
	t.Helper()
	p := &ptyProc{t: t, cmd: exec.Command(binary, args...), changed: make(chan struct{}, 1), done: make(chan struct{})}
	p.cmd.Env = append(env, "TERM=xterm")
	ptmx, err := pty.StartWithSize(p.cmd, &pty.Winsize{Rows: 40, Cols: 160})
	if err != nil {
		t.Fatal(err)
	}
	p.ptmx = ptmx
	go func() {
		defer close(p.done)
		buf := make([]byte, 4096)
		for {
			n, err := ptmx.Read(buf)
			p.mu.Lock()
			p.out.Write(buf[:n])
			p.mu.Unlock()
			select {
			case p.changed <- struct{}{}:
			default:
			}
			if err != nil {
				return // EIO once the command has exited
			}
		}
	}()
	t.Cleanup(func() {
		p.cmd.Process.Kill()
		<-p.done
		ptmx.Close()
		if t.Failed() {
			t.Logf("terminal of tessera %q:\n%s", args, p.output())
		}
	})
	return p
}

func (p *ptyProc) output() string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.out.String()
}

// waitFor waits until the terminal shows a match of re, and returns it.
func (p *ptyProc) waitFor(re *regexp.Regexp, timeout time.Duration) string {
	p.t.Helper()
	deadline := time.After(timeout)
	for {
		if m := re.FindString(p.output()); m != "" {
			return m
		}
		select {
		case <-p.changed:
		case <-p.done:
			if m := re.FindString(p.output()); m != "" {
				return m
			}
			p.t.Fatalf("tessera exited without showing %q", re)
		case <-deadline:
			p.t.Fatalf("the terminal did not show %q within %v", re, timeout)
		}
	}
}

// send types on the terminal; "\x03" is Ctrl-C.
func (p *ptyProc) send(s string) {
	p.t.Helper()
	if _, err := p.ptmx.Write([]byte(s)); err != nil {
		p.t.Fatal(err)
	}
}

// exitCode waits for the command to exit.
func (p *ptyProc) exitCode() int {
	p.t.Helper()
	done := make(chan error, 1)
	go func() { done <- p.cmd.Wait() }()
	select {
	case <-done:
	case <-time.After(2 * time.Minute):
		p.t.Fatal("tessera did not exit")
	}
	<-p.done
	return p.cmd.ProcessState.ExitCode()
}

// smallRasters writes n copies of a 16×16 GeoTIFF into dir.
func smallRasters(t *testing.T, dir string, n int) {
	t.Helper()
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	one := rastertest.GeoTIFF(t, filepath.Join(t.TempDir(), "one.tif"), rastertest.Size(16, 16),
		rastertest.GeoTransform([6]float64{500000, 10, 0, 5000000, 0, -10}))
	data, err := os.ReadFile(one)
	if err != nil {
		t.Fatal(err)
	}
	for i := range n {
		if err := os.WriteFile(filepath.Join(dir, fmt.Sprintf("r%05d.tif", i)), data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// jobOutput is the --json output of a command that ran a job.
type jobOutput struct {
	JobID     string `json:"jobId"`
	Task      string `json:"task"`
	JobStatus string `json:"jobStatus"`
	Messages  []struct {
		Type, Description string
	} `json:"messages"`
	Results map[string]json.RawMessage `json:"results"`
}

func decodeJSON(t *testing.T, text string, v any) {
	t.Helper()
	if err := json.Unmarshal([]byte(text), v); err != nil {
		t.Fatalf("not JSON (%v):\n%s", err, text)
	}
}

// TestAdminAddProgress adds a folder of small rasters with "tessera add"
// on a terminal: a progress bar with count and rate reaches 100%, then the
// job's summary; with --json the job's JSON comes on stdout.
func TestAdminAddProgress(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	src := filepath.Join(dir, "rasters")
	smallRasters(t, src, 400)
	before := snapshot(t, src)
	p := startServer(t, filepath.Join(dir, "data"))
	env := cliEnv(t, "TESSERA_SERVER="+p.URL)

	term := startPTY(t, env, "add", "--create", "--collection", "Scenes", src)
	if code := term.exitCode(); code != 0 {
		t.Fatalf("exit code %d", code)
	}
	out := term.output()
	for _, want := range []*regexp.Regexp{
		regexp.MustCompile(`Submitted CreateImageCollection job j[0-9a-f]{32}\.`),
		regexp.MustCompile(`CreateImageCollection 100% \|█+\| \(400/400, \d+ rasters/s\)`),
		regexp.MustCompile(`CreateImageCollection job j[0-9a-f]{32} succeeded in [0-9.]+m?s\.`),
		regexp.MustCompile(`Total 400 rasters: 400 added, 0 skipped as duplicates, 0 failed\. Scenes now has 400 items\.`),
	} {
		if !want.MatchString(out) {
			t.Errorf("the terminal does not show %q", want)
		}
	}
	if n := count(t, p, "Scenes", "1=1"); n != 400 {
		t.Errorf("%d items, want 400", n)
	}

	// --json: no bar, the job on stdout.
	res := runCLI(t, env, "", "add", "--json", "--collection", "Scenes", filepath.Join(src, "r00001.tif"), filepath.Join(src, "r00002.tif"))
	if res.code != 0 {
		t.Fatalf("add --json: exit %d\n%s", res.code, res.stderr)
	}
	var j jobOutput
	decodeJSON(t, res.stdout, &j)
	var result struct {
		URL   string `json:"url"`
		Added int    `json:"added"`
		Total int    `json:"total"`
	}
	if err := json.Unmarshal(j.Results["result"], &result); err != nil || j.JobStatus != "esriJobSucceeded" ||
		j.Task != "AddImage" || result.Added != 2 || result.Total != 2 || !strings.HasSuffix(result.URL, "/Scenes/ImageServer") {
		t.Errorf("add --json: %+v, result %s", j, j.Results["result"])
	}
	if strings.Contains(res.stderr, "█") {
		t.Errorf("--json drew a bar: %q", res.stderr)
	}
	assertUnchanged(t, src, before)

	// collections and jobs, as tables and as JSON.
	res = runCLI(t, env, "", "collections")
	if res.code != 0 || !regexp.MustCompile(`(?m)^NAME +ITEMS +WKID +BANDS +PIXEL TYPE +PIXEL SIZE\nScenes +402 +32633 +1 +U8 +10$`).MatchString(res.stdout) {
		t.Errorf("collections: exit %d\n%s%s", res.code, res.stdout, res.stderr)
	}
	res = runCLI(t, env, "", "jobs", "--json")
	var jobs []struct {
		JobID, Task, JobStatus, Owner, ImageCollection string
		Finished                                       *int64
	}
	decodeJSON(t, res.stdout, &jobs)
	if res.code != 0 || len(jobs) != 2 || jobs[0].JobID != j.JobID || jobs[0].Task != "AddImage" ||
		jobs[1].Task != "CreateImageCollection" || jobs[0].Finished == nil || jobs[0].JobStatus != "esriJobSucceeded" {
		t.Errorf("jobs --json: exit %d %+v", res.code, jobs)
	}
	res = runCLI(t, env, "", "jobs")
	if res.code != 0 || !regexp.MustCompile(`(?m)^`+j.JobID+` +AddImage +succeeded +anonymous +Scenes +`).MatchString(res.stdout) {
		t.Errorf("jobs: exit %d\n%s%s", res.code, res.stdout, res.stderr)
	}
	res = runCLI(t, env, "", "jobs", j.JobID)
	if res.code != 0 || !strings.Contains(res.stdout, "Job "+j.JobID+" (AddImage): succeeded") {
		t.Errorf("jobs ID: exit %d\n%s%s", res.code, res.stdout, res.stderr)
	}
}

// TestAdminInterrupt presses Ctrl-C on a terminal while "tessera add"
// watches a long job: it asks whether to cancel; yes cancels the job, no
// leaves it running, and "tessera jobs --watch" follows it to the end.
func TestAdminInterrupt(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	src := filepath.Join(dir, "rasters")
	smallRasters(t, src, 5000)
	p := startServer(t, filepath.Join(dir, "data"))
	env := cliEnv(t, "TESSERA_SERVER="+p.URL)
	if res := runCLI(t, env, "", "add", "--create", "--collection", "Big", filepath.Join(src, "r00000.tif")); res.code != 0 {
		t.Fatalf("create: %d %s", res.code, res.stderr)
	}
	jobRE := regexp.MustCompile(`Submitted AddImage job (j[0-9a-f]{32})`)
	barRE := regexp.MustCompile(`AddImage +\d+% .*\(\d+/5000, `)

	// Yes: the job is cancelled, and the command exits 130.
	term := startPTY(t, env, "add", "--collection", "Big", src)
	id := jobRE.FindStringSubmatch(term.waitFor(jobRE, time.Minute))[1]
	term.waitFor(barRE, time.Minute)
	term.send("\x03")
	term.waitFor(regexp.MustCompile(`Cancel job `+id+` \(AddImage\) on the server\? \[y/N\] `), 30*time.Second)
	term.send("y\r")
	term.waitFor(regexp.MustCompile(`AddImage job `+id+` cancelled\.`), time.Minute)
	if code := term.exitCode(); code != 130 {
		t.Errorf("exit code %d after a cancel, want 130", code)
	}
	if m := getJSON(t, p.GP("AddImage")+"/jobs/"+id+"?f=json"); m["jobStatus"] != "esriJobCancelled" {
		t.Errorf("job after the cancel: %v", m["jobStatus"])
	}

	// No: the job keeps running; "tessera jobs --watch" follows it.
	term = startPTY(t, env, "add", "--collection", "Big", src)
	id = jobRE.FindStringSubmatch(term.waitFor(jobRE, time.Minute))[1]
	term.waitFor(barRE, time.Minute)
	term.send("\x03")
	term.waitFor(regexp.MustCompile(`\[y/N\] `), 30*time.Second)
	term.send("n\r")
	term.waitFor(regexp.MustCompile(`Job `+id+` keeps running on the server`), 30*time.Second)
	if code := term.exitCode(); code != 130 {
		t.Errorf("exit code %d after declining, want 130", code)
	}
	res := runCLI(t, env, "", "jobs", "--json", "--active")
	if !strings.Contains(res.stdout, id) {
		// It may have finished meanwhile; it must not have been cancelled.
		if m := getJSON(t, p.GP("AddImage")+"/jobs/"+id+"?f=json"); m["jobStatus"] != "esriJobSucceeded" {
			t.Errorf("declined job: %v; active jobs: %s", m["jobStatus"], res.stdout)
		}
	}
	res = runCLI(t, env, "", "jobs", "--watch", "--json", id)
	var j jobOutput
	decodeJSON(t, res.stdout, &j)
	if res.code != 0 || j.JobStatus != "esriJobSucceeded" {
		t.Errorf("jobs --watch: exit %d, %+v\n%s", res.code, j, res.stderr)
	}
}

// TestAdminDelete: the dry-run count, the question, the delete, the
// restore, and the refusals.
func TestAdminDelete(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	src := filepath.Join(dir, "rasters")
	if err := os.MkdirAll(src, 0o755); err != nil {
		t.Fatal(err)
	}
	for i := range 10 {
		rastertest.GeoTIFF(t, filepath.Join(src, fmt.Sprintf("s%d.tif", i)), rastertest.Size(16, 16),
			rastertest.GeoTransform([6]float64{500000 + float64(i)*160, 10, 0, 5000000, 0, -10}),
			rastertest.Metadata("CLOUDCOVER", fmt.Sprint(i*10)))
	}
	before := snapshot(t, src)
	p := startServer(t, filepath.Join(dir, "data"))
	env := cliEnv(t, "TESSERA_SERVER="+p.URL)
	if res := runCLI(t, env, "", "add", "--create", "--collection", "Sc", src); res.code != 0 {
		t.Fatalf("create: %d %s", res.code, res.stderr)
	}

	// A dry run counts, with the OBJECTIDs in its JSON.
	res := runCLI(t, env, "", "delete", "--collection", "Sc", "--where", "CloudCover >= 70", "--dry-run", "--json")
	var dry struct {
		DryRun struct {
			Results struct {
				Result struct {
					Matched   int     `json:"matched"`
					ObjectIDs []int64 `json:"objectIds"`
				} `json:"result"`
			} `json:"results"`
		} `json:"dryRun"`
		Job *jobOutput `json:"job"`
	}
	decodeJSON(t, res.stdout, &dry)
	if res.code != 0 || dry.DryRun.Results.Result.Matched != 3 || len(dry.DryRun.Results.Result.ObjectIDs) != 3 || dry.Job != nil ||
		!strings.Contains(res.stderr, "3 items of Sc match CloudCover >= 70.") {
		t.Errorf("dry run: exit %d %+v\n%s", res.code, dry, res.stderr)
	}

	// Without a terminal to ask on, a delete needs --yes.
	if res := runCLI(t, env, "", "delete", "--collection", "Sc", "--where", "CloudCover >= 70"); res.code != 2 ||
		!strings.Contains(res.stderr, "pass --yes") {
		t.Errorf("delete without --yes: exit %d\n%s", res.code, res.stderr)
	}

	// On a terminal it asks; "n" deletes nothing and exits 1.
	term := startPTY(t, env, "delete", "--collection", "Sc", "--where", "CloudCover >= 70")
	term.waitFor(regexp.MustCompile(`3 items of Sc match CloudCover >= 70\.`), time.Minute)
	term.waitFor(regexp.MustCompile(`Delete 3 items from Sc, to the recycle bin \(tessera restore puts them back\)\? \[y/N\] `), time.Minute)
	term.send("n\r")
	if code := term.exitCode(); code != 1 || count(t, p, "Sc", "1=1") != 10 {
		t.Errorf("declined: exit %d, %d items", code, count(t, p, "Sc", "1=1"))
	}
	// "y" deletes.
	term = startPTY(t, env, "delete", "--collection", "Sc", "--where", "CloudCover >= 70")
	term.waitFor(regexp.MustCompile(`\[y/N\] `), time.Minute)
	term.send("y\r")
	undo := regexp.MustCompile(`Undo with: tessera restore --job (j[0-9a-f]{32})`)
	id := undo.FindStringSubmatch(term.waitFor(undo, time.Minute))[1]
	if code := term.exitCode(); code != 0 || count(t, p, "Sc", "1=1") != 7 {
		t.Errorf("delete: exit %d, %d items", code, count(t, p, "Sc", "1=1"))
	}
	if out := term.output(); !strings.Contains(out, "DeleteImage job "+id+" succeeded") || !strings.Contains(out, "Matched 3 items, removed 3 items from Sc") {
		t.Errorf("no summary:\n%s", out)
	}

	// Restore finds the collection from the delete job.
	res = runCLI(t, env, "", "restore", "--job", id, "--json")
	var j jobOutput
	decodeJSON(t, res.stdout, &j)
	var restored struct{ Restored int }
	if err := json.Unmarshal(j.Results["result"], &restored); err != nil || res.code != 0 || j.JobStatus != "esriJobSucceeded" || restored.Restored != 3 ||
		count(t, p, "Sc", "1=1") != 10 {
		t.Errorf("restore: exit %d %+v\n%s", res.code, j, res.stderr)
	}

	// --yes deletes without asking; nothing matching is not an error.
	if res := runCLI(t, env, "", "delete", "--collection", "Sc", "--where", "CloudCover < 20", "--yes", "--purge"); res.code != 0 ||
		count(t, p, "Sc", "1=1") != 8 || strings.Contains(res.stderr, "Undo with") {
		t.Errorf("delete --yes --purge: exit %d\n%s", res.code, res.stderr)
	}
	if res := runCLI(t, env, "", "delete", "--collection", "Sc", "--where", "CloudCover > 1000", "--yes"); res.code != 0 ||
		!strings.Contains(res.stderr, "Nothing to delete.") {
		t.Errorf("delete of nothing: exit %d\n%s", res.code, res.stderr)
	}
	assertUnchanged(t, src, before)
}

// writeUsers writes a users file: admin "root" with a password, and
// API keys for the publishers alice and bob and the viewer vera.
func writeUsers(t *testing.T, dir string) (path string, keys map[string]string) {
	t.Helper()
	line, err := server.PasswordLine("root", mosaic.RoleAdmin, "root-password", 4)
	if err != nil {
		t.Fatal(err)
	}
	text := line + "\n"
	keys = map[string]string{}
	for name, role := range map[string]mosaic.Role{"alice": mosaic.RolePublisher, "bob": mosaic.RolePublisher, "vera": mosaic.RoleViewer} {
		key, l, err := server.NewAPIKey(name, role)
		if err != nil {
			t.Fatal(err)
		}
		keys[name] = key
		text += l + "\n"
	}
	path = filepath.Join(dir, "users.conf")
	if err := os.WriteFile(path, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
	return path, keys
}

// TestAdminAuth: tokens from "tessera token", saved in the client config
// file; job lists by owner and task; exit code 4 for every token problem. The
// server runs on deploy/tessera.toml.
func TestAdminAuth(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	users, keys := writeUsers(t, dir)
	src := filepath.Join(dir, "rasters")
	smallRasters(t, src, 3)
	// The shipped config file, with flags over its addr, data and users.
	p := startServer(t, filepath.Join(dir, "data"), "--config", "../../deploy/tessera.toml", "--users", users)
	env := cliEnv(t, "TESSERA_SERVER="+p.URL)
	fresh := cliEnv(t, "TESSERA_SERVER="+p.URL) // with no saved token

	res := runCLI(t, env, "root-password\n", "token", "--user", "root", "--json")
	var tok struct {
		Token   string `json:"token"`
		Expires int64  `json:"expires"`
	}
	decodeJSON(t, res.stdout, &tok)
	if res.code != 0 || tok.Token == "" || time.UnixMilli(tok.Expires).Before(time.Now().Add(50*time.Minute)) {
		t.Fatalf("token: exit %d %+v\n%s", res.code, tok, res.stderr)
	}
	if res := runCLI(t, env, "", "add", "--create", "--collection", "A", "--token", tok.Token, src); res.code != 0 {
		t.Fatalf("create with the token: exit %d\n%s", res.code, res.stderr)
	}
	for _, who := range []string{"alice", "bob"} {
		if res := runCLI(t, append(env, "TESSERA_TOKEN="+keys[who]), "", "add", "--collection", "A", filepath.Join(src, "r00000.tif")); res.code != 0 {
			t.Fatalf("add as %s: exit %d\n%s", who, res.code, res.stderr)
		}
	}

	// The job list shows every user's jobs, newest first; --owner and
	// --task narrow it.
	owners := func(token string, args ...string) []string {
		t.Helper()
		res := runCLI(t, env, "", append([]string{"jobs", "--json", "--token", token}, args...)...)
		var jobs []struct{ Owner string }
		decodeJSON(t, res.stdout, &jobs)
		var out []string
		for _, j := range jobs {
			out = append(out, j.Owner)
		}
		return out
	}
	if got := owners(keys["bob"]); fmt.Sprint(got) != "[bob alice root]" {
		t.Errorf("bob sees jobs of %v", got)
	}
	if got := owners(keys["alice"], "--owner", "bob"); fmt.Sprint(got) != "[bob]" {
		t.Errorf("alice asking for bob's jobs sees jobs of %v", got)
	}
	if got := owners(tok.Token, "--owner", "alice", "--task", "addimage"); fmt.Sprint(got) != "[alice]" {
		t.Errorf("root asking for alice's AddImage jobs sees jobs of %v", got)
	}
	if got := owners(tok.Token, "--active"); len(got) != 0 {
		t.Errorf("active jobs of %v, want none", got)
	}

	// --save keeps the server and token for the other commands, mode 600.
	res = runCLI(t, env, "root-password\n", "token", "--user", "root", "--save", "--expiration", "10m")
	if res.code != 0 || !strings.HasPrefix(res.stdout, "eyJ") && len(strings.TrimSpace(res.stdout)) < 20 {
		t.Fatalf("token --save: exit %d\n%s%s", res.code, res.stdout, res.stderr)
	}
	var config string
	for _, kv := range env {
		if v, ok := strings.CutPrefix(kv, "TESSERA_CLIENT_CONFIG="); ok {
			config = v
		}
	}
	if fi, err := os.Stat(config); err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("client config: %v %v", fi, err)
	}
	saved := cliEnv(t)
	saved[len(saved)-1] = "TESSERA_CLIENT_CONFIG=" + config
	if res := runCLI(t, saved, "", "collections"); res.code != 0 || !strings.Contains(res.stdout, "A ") {
		t.Errorf("collections with the saved token: exit %d\n%s%s", res.code, res.stdout, res.stderr)
	}
	if err := os.Chmod(config, 0o644); err != nil {
		t.Fatal(err)
	}
	if res := runCLI(t, saved, "", "collections"); !strings.Contains(res.stderr, "others can read it") {
		t.Errorf("no warning about a readable token file:\n%s", res.stderr)
	}

	// Every token problem exits 4; --json puts the envelope on stdout.
	for _, tt := range []struct {
		name  string
		env   []string
		stdin string
		args  []string
		code  int
	}{
		{"no token", fresh, "", []string{"collections"}, 499},
		{"bad token", fresh, "", []string{"collections", "--token", "not-a-token"}, 498},
		{"viewer adds", append(fresh, "TESSERA_TOKEN="+keys["vera"]), "", []string{"add", "--collection", "A", src}, 403},
		{"wrong password", fresh, "nope\n", []string{"token", "--user", "root"}, 400},
	} {
		res := runCLI(t, tt.env, tt.stdin, append(tt.args, "--json")...)
		var env struct {
			Error struct{ Code int } `json:"error"`
		}
		decodeJSON(t, res.stdout, &env)
		if res.code != 4 || env.Error.Code != tt.code {
			t.Errorf("%s: exit %d, envelope %+v, want 4 and %d\n%s", tt.name, res.code, env, tt.code, res.stderr)
		}
	}
}

// TestAdminExitCodes: usage mistakes exit 2, an unreachable or foreign
// server 3, a refused request or a failed job 1.
func TestAdminExitCodes(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	p := startServer(t, filepath.Join(dir, "data"))
	env := cliEnv(t, "TESSERA_SERVER="+p.URL)

	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	closed := "http://" + ln.Addr().String() + "/arcgis"
	ln.Close()
	foreign := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Error(w, "<html>not here</html>", http.StatusNotFound)
	}))
	defer foreign.Close()
	src := filepath.Join(dir, "rasters")
	smallRasters(t, src, 1)
	if res := runCLI(t, env, "", "add", "--create", "--collection", "C", src); res.code != 0 {
		t.Fatalf("create: %d %s", res.code, res.stderr)
	}

	for _, tt := range []struct {
		name string
		args []string
		code int
		want string // in stderr
	}{
		{"help", []string{"jobs", "-h"}, 0, "Exit codes: 0 done"},
		{"no collection", []string{"add", src}, 2, "--collection is required"},
		{"no inputs", []string{"add", "--collection", "C"}, 2, "name at least one PATH_OR_URL"},
		{"unknown flag", []string{"collections", "--colour"}, 2, "flag provided but not defined: -colour"},
		{"no where", []string{"delete", "--collection", "C", "--yes"}, 2, "--where is required"},
		{"two job IDs", []string{"jobs", "a", "b"}, 2, "one JOB_ID at most"},
		{"bad server URL", []string{"collections", "--server", "ftp://x"}, 2, "want http(s)://"},
		{"unreachable", []string{"collections", "--server", closed}, 3, "connection refused"},
		{"not ArcGIS", []string{"collections", "--server", foreign.URL}, 3, "answered HTTP 404, not ArcGIS REST JSON"},
		{"unknown collection", []string{"add", "--collection", "Nope", src}, 1, "(code 404)"},
		{"bad where", []string{"delete", "--collection", "C", "--where", "Nope > 1", "--yes"}, 1, "(code 400)"},
		{"job fails", []string{"add", "--strict", "--collection", "C", filepath.Join(dir, "missing.tif")}, 1, "AddImage job j"},
		{"unknown job", []string{"jobs", "j0123"}, 1, "does not exist"},
		{"cancel an ended job", []string{"cancel", "j0123"}, 1, "does not exist"},
	} {
		res := runCLI(t, env, "", tt.args...)
		if res.code != tt.code || !strings.Contains(res.stderr, tt.want) {
			t.Errorf("%s: exit %d, want %d with %q\n%s", tt.name, res.code, tt.code, tt.want, res.stderr)
		}
	}
	if !strings.Contains(p.Logs(), "tessera serving") {
		t.Error("no server log")
	}
}
