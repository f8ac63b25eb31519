package main_test

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/tessera-gis/tessera/internal/pgtest"
	"github.com/tessera-gis/tessera/internal/subprocess"
	"github.com/tessera-gis/tessera/mosaic"
	"github.com/tessera-gis/tessera/mosaic/postgis"
	"github.com/tessera-gis/tessera/mosaic/sqlite"
	"github.com/tessera-gis/tessera/server"
)

var binary string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "tessera-e2e")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	binary = filepath.Join(dir, "tessera")
	if b := os.Getenv("TESSERA_E2E_BINARY"); b != "" {
		// A server built otherwise, e.g. with -asan (go build -asan -o
		// /tmp/tessera-asan ./cmd/tessera; ASAN_OPTIONS=detect_leaks=0).
		binary = b
	} else {
		// The server is built as it ships, without the race detector.
		// A -race server rendering with GDAL used to die under
		// TestQueryJobStress with "fatal error: found pointer to free
		// object": godal stored pointers into uninitialized C memory,
		// now calloc'ed in third_party/godal (docs/reliability.md,
		// finding 5). The handlers, jobs and stores run under -race in
		// their packages' tests; TESSERA_E2E_RACE=1 builds this server
		// with -race too.
		args := []string{"build", "-o", binary, "."}
		if os.Getenv("TESSERA_E2E_RACE") != "" {
			args = []string{"build", "-race", "-o", binary, "."}
		}
		build := exec.Command("go", args...)
		build.Stdout, build.Stderr = os.Stderr, os.Stderr
		if err := build.Run(); err != nil {
			fmt.Fprintln(os.Stderr, "build tessera:", err)
			os.Exit(1)
		}
	}
	if err := startStoreMode(); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.RemoveAll(dir)
		os.Exit(1)
	}
	code := m.Run()
	if pgMode != nil {
		if err := pgMode.db.Drop(context.Background()); err != nil {
			fmt.Fprintln(os.Stderr, "drop database:", err)
		}
	}
	os.RemoveAll(dir)
	os.Exit(code)
}

// pgMode is set when TESSERA_TEST_STORE=postgis: every server the tests
// start without their own --db then keeps its catalog in PostgreSQL, in a
// schema of one database made for the run, one schema per data directory
// (a server restarted on the same directory finds its catalog again).
// scripts/test runs the end-to-end tests once more in this mode.
var pgMode *storeMode

type storeMode struct {
	db *pgtest.Database

	mu      sync.Mutex
	schemas map[string]string // data directory → connection string
}

func startStoreMode() error {
	switch os.Getenv("TESSERA_TEST_STORE") {
	case "", "sqlite":
		return nil
	case "postgis":
	default:
		return fmt.Errorf("TESSERA_TEST_STORE=%q: want sqlite or postgis", os.Getenv("TESSERA_TEST_STORE"))
	}
	db, err := pgtest.CreateDatabase(context.Background(), "tessera_e2e_mode")
	if err != nil {
		return fmt.Errorf("TESSERA_TEST_STORE=postgis: %w", err)
	}
	pgMode = &storeMode{db: db, schemas: map[string]string{}}
	return nil
}

// dsn returns the connection string of dir's schema, making it the first
// time.
func (m *storeMode) dsn(t testing.TB, dir string) string {
	t.Helper()
	m.mu.Lock()
	defer m.mu.Unlock()
	if dsn, ok := m.schemas[dir]; ok {
		return dsn
	}
	dsn, err := m.db.CreateSchema(context.Background(), "srv")
	if err != nil {
		t.Fatal(err)
	}
	m.schemas[dir] = dsn
	return dsn
}

// pubUsersFile writes a users file in dir with one publisher, "pub",
// password "pub-password" (the real clients' TESSERA_USER and
// TESSERA_PASSWORD), and returns its path.
func pubUsersFile(t testing.TB, dir string) string {
	t.Helper()
	line, err := server.PasswordLine("pub", mosaic.RolePublisher, "pub-password", 4)
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, "users.conf")
	if err := os.WriteFile(path, []byte(line+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// ownDatabase skips, when the run keeps catalogs in PostgreSQL, a test
// whose servers run on a PostgreSQL database of the test's own: the run
// would only repeat it.
func ownDatabase(t testing.TB) {
	t.Helper()
	if pgMode != nil {
		t.Skip("runs on a PostgreSQL database of its own; TESSERA_TEST_STORE=postgis would only repeat it")
	}
}

// sqliteOnly skips a test that reads or writes the SQLite file itself when
// the run keeps catalogs in PostgreSQL.
func sqliteOnly(t testing.TB) {
	t.Helper()
	if pgMode != nil {
		t.Skip("reads the SQLite catalog file; TESSERA_TEST_STORE=postgis")
	}
}

// proc is a tessera server running as a subprocess on a random port.
type proc struct {
	*subprocess.Server
	t testing.TB
}

// startServer runs "tessera serve --addr 127.0.0.1:0 --data dir args…",
// waits until it serves, and stops it when the test ends (logging its
// output if the test failed).
func startServer(t testing.TB, dir string, args ...string) *proc {
	t.Helper()
	if !slices.Contains(args, "--data-store") {
		// The tests write their rasters under the temporary folder. The
		// server's own files in it stay protected.
		args = append(args, "--data-store", os.TempDir())
	}
	if pgMode != nil && !slices.Contains(args, "--db") {
		args = append(args, "--db", pgMode.dsn(t, dir))
	}
	s, err := subprocess.Start(context.Background(), binary, dir, args...)
	if err != nil {
		t.Fatal(err)
	}
	p := &proc{Server: s, t: t}
	t.Cleanup(func() {
		p.Stop()
		if t.Failed() {
			logs := p.Logs()
			if c := crashExcerpt(logs); c != "" {
				// First, so that a CI log cut in the middle still shows it.
				t.Logf("server crashed:\n%s", c)
			}
			t.Logf("server log:\n%s", logs)
		}
	})
	return p
}

// crashExcerpt returns the first lines of a crash report in a server's
// output (a panic, a fatal error, a signal, a data race), or "".
func crashExcerpt(logs string) string {
	at := -1
	for _, mark := range []string{"panic: ", "fatal error: ", "SIGSEGV", "SIGABRT", "SIGBUS", "WARNING: DATA RACE", "signal arrived during"} {
		if i := strings.Index(logs, mark); i >= 0 && (at < 0 || i < at) {
			at = i
		}
	}
	if at < 0 {
		return ""
	}
	if i := strings.LastIndexByte(logs[:at], '\n'); i >= 0 {
		at = i + 1
	}
	lines := strings.SplitN(logs[at:], "\n", 61)
	return strings.Join(lines[:min(len(lines), 60)], "\n")
}

// Stop sends SIGTERM and waits for a clean exit; a server that has to be
// killed fails the test.
func (p *proc) Stop() {
	if err := p.Server.Stop(); err != nil {
		p.t.Error(err)
	}
}

// getJSON GETs u and decodes the JSON answer.
func getJSON(t testing.TB, u string) map[string]any {
	t.Helper()
	resp, err := http.Get(u)
	if err != nil {
		t.Fatal(err)
	}
	return decode(t, resp)
}

// postForm POSTs a form and decodes the JSON answer.
func postForm(t testing.TB, u string, form url.Values) map[string]any {
	t.Helper()
	if form.Get("f") == "" {
		form.Set("f", "json")
	}
	resp, err := http.PostForm(u, form)
	if err != nil {
		t.Fatal(err)
	}
	return decode(t, resp)
}

func decode(t testing.TB, resp *http.Response) map[string]any {
	t.Helper()
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(body, &m); err != nil {
		t.Fatalf("%s %s: not JSON (%v): %.500s", resp.Request.Method, resp.Request.URL, err, body)
	}
	return m
}

// submit submits a job and returns its ID.
func submit(t testing.TB, p *proc, task string, form url.Values) string {
	t.Helper()
	m := postForm(t, p.GP(task)+"/submitJob", form)
	id, _ := m["jobId"].(string)
	if id == "" || m["jobStatus"] != "esriJobSubmitted" {
		t.Fatalf("submit %s: %v", task, m)
	}
	return id
}

// wait polls a job until it is terminal and returns its JSON.
func wait(t testing.TB, p *proc, task, id string) map[string]any {
	t.Helper()
	deadline := time.Now().Add(2 * time.Minute)
	for time.Now().Before(deadline) {
		m := postForm(t, p.GP(task)+"/jobs/"+id, url.Values{})
		switch m["jobStatus"] {
		case "esriJobSucceeded", "esriJobFailed", "esriJobCancelled", "esriJobTimedOut":
			return m
		case nil:
			t.Fatalf("job %s: %v", id, m)
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatalf("job %s did not finish", id)
	return nil
}

// count returns the number of items in a collection.
func count(t testing.TB, p *proc, name, where string) int {
	t.Helper()
	m := getJSON(t, p.Services()+"/"+name+"/ImageServer/query?returnCountOnly=true&f=json&where="+url.QueryEscape(where))
	n, ok := m["count"].(float64)
	if !ok {
		t.Fatalf("count %s where %s: %v", name, where, m)
	}
	return int(n)
}

// messages joins a job's message descriptions.
func messages(m map[string]any) string {
	var b strings.Builder
	msgs, _ := m["messages"].([]any)
	for _, x := range msgs {
		mm, _ := x.(map[string]any)
		fmt.Fprintf(&b, "%v: %v\n", mm["type"], mm["description"])
	}
	return b.String()
}

// fileState is a file's checksum, size and modification time.
type fileState struct {
	sum   string
	size  int64
	mtime time.Time
}

// snapshot records the state of every file under dir.
func snapshot(t testing.TB, dir string) map[string]fileState {
	t.Helper()
	out := map[string]fileState{}
	err := filepath.Walk(dir, func(path string, info os.FileInfo, err error) error {
		if err != nil || info.IsDir() {
			return err
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		h := sha256.Sum256(b)
		out[path] = fileState{sum: hex.EncodeToString(h[:]), size: info.Size(), mtime: info.ModTime()}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// assertUnchanged fails unless dir holds exactly the files of before, byte
// for byte, with the same modification times.
func assertUnchanged(t testing.TB, dir string, before map[string]fileState) {
	t.Helper()
	after := snapshot(t, dir)
	if len(after) != len(before) {
		t.Errorf("%s had %d files, now %d", dir, len(before), len(after))
	}
	for path, b := range before {
		a, ok := after[path]
		switch {
		case !ok:
			t.Errorf("%s was removed", path)
		case a != b:
			t.Errorf("%s changed: %+v -> %+v", path, b, a)
		}
	}
}

// jsonText renders v as compact JSON.
func jsonText(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}

// newCmd returns a command running the tessera binary.
func newCmd(args ...string) *exec.Cmd { return exec.Command(binary, args...) }

// eventually waits until cond holds, checking every few milliseconds, and
// fails the test if it does not within limit.
func eventually(t testing.TB, limit time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(limit)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("%s: not within %s", what, limit)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// catalogStore is a store the tests write to directly, before a server
// starts on its data directory.
type catalogStore interface {
	mosaic.Store
	Close() error
}

// openCatalog opens the catalog a server started on dir would use: its
// SQLite file, or under TESSERA_TEST_STORE=postgis its PostgreSQL schema.
func openCatalog(t testing.TB, dir string) catalogStore {
	t.Helper()
	ctx := context.Background()
	if pgMode != nil {
		db, err := postgis.Open(ctx, pgMode.dsn(t, dir))
		if err != nil {
			t.Fatal(err)
		}
		return db
	}
	db, err := sqlite.Open(ctx, filepath.Join(dir, "tessera.db"))
	if err != nil {
		t.Fatal(err)
	}
	return db
}
