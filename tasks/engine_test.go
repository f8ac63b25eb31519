package tasks_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/tessera-gis/tessera/mosaic"
	"github.com/tessera-gis/tessera/mosaic/sqlite"
	"github.com/tessera-gis/tessera/raster"
	"github.com/tessera-gis/tessera/tasks"
	"github.com/tessera-gis/tessera/tasks/jobs"
	"github.com/tessera-gis/tessera/tasks/riverqueue"
)

// gate is a test task whose jobs run until released or cancelled. It lets
// the engine tests control exactly when work ends; the catalog tasks'
// behaviour under cancel and crash is tested with real slow work by the
// end-to-end tests in cmd/tessera.
type gate struct {
	mu      sync.Mutex
	started []string
	running int
	peak    int
	release chan struct{}
}

func (g *gate) Info() mosaic.TaskInfo {
	return mosaic.TaskInfo{Name: "Gate", DisplayName: "Gate", Params: []mosaic.ParamInfo{
		{Name: "label", DataType: "GPString", Direction: mosaic.ParamInput},
	}}
}

func (g *gate) Validate(context.Context, mosaic.ReadTx, map[string]string) error { return nil }

func (g *gate) Run(ctx context.Context, r *jobs.Run) error {
	g.mu.Lock()
	g.started = append(g.started, r.Inputs()["label"])
	g.running++
	g.peak = max(g.peak, g.running)
	g.mu.Unlock()
	defer func() {
		g.mu.Lock()
		g.running--
		g.mu.Unlock()
	}()
	r.Progress(50, "Waiting at the gate")
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-g.release:
	}
	return r.Finish(ctx, func(tx mosaic.Tx) (map[string]mosaic.JobResult, []mosaic.JobMessage, error) {
		return nil, []mosaic.JobMessage{mosaic.Info("passed the gate")}, nil
	})
}

func (g *gate) order() []string {
	g.mu.Lock()
	defer g.mu.Unlock()
	return append([]string(nil), g.started...)
}

type engineBundle struct {
	engine *jobs.Engine
	db     *sqlite.DB
	gate   *gate
}

func setupEngine(t *testing.T, cfg jobs.Config) *engineBundle {
	t.Helper()
	ctx := context.Background()
	db, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "t.db"))
	if err != nil {
		t.Fatal(err)
	}
	q, err := riverqueue.NewSQLite(ctx, db.WriteDB(), riverqueue.Config{Workers: cfg.Workers})
	if err != nil {
		t.Fatal(err)
	}
	g := &gate{release: make(chan struct{})}
	e := jobs.New(db, q, cfg, g)
	if err := e.Start(ctx); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		e.Stop(ctx)
		db.Close()
	})
	return &engineBundle{engine: e, db: db, gate: g}
}

var gateAdmin = mosaic.SubmitOptions{User: &mosaic.User{Name: "t", Role: mosaic.RoleAdmin}}

func (b *engineBundle) submit(t *testing.T, label string, priority int) string {
	t.Helper()
	return b.submitAs(t, gateAdmin.User, label, priority)
}

// submitAs submits a Gate job as u (nil: anonymous).
func (b *engineBundle) submitAs(t *testing.T, u *mosaic.User, label string, priority int) string {
	t.Helper()
	opts := mosaic.SubmitOptions{User: u, Priority: priority}
	j, err := b.engine.Submit(context.Background(), "Gate", map[string]string{"label": label}, opts)
	if err != nil {
		t.Fatal(err)
	}
	return j.ID
}

func (b *engineBundle) waitState(t *testing.T, id string, want ...mosaic.JobState) *mosaic.Job {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		j, err := b.engine.Job(context.Background(), id)
		if err != nil {
			t.Fatal(err)
		}
		for _, s := range want {
			if j.State == s {
				return j
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("job %s is %s, want one of %v; messages %v", id, j.State, want, j.Messages)
		}
		time.Sleep(2 * time.Millisecond)
	}
}

func (b *engineBundle) waitStarted(t *testing.T, n int) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for len(b.gate.order()) < n {
		if time.Now().After(deadline) {
			t.Fatalf("%d jobs started, want %d", len(b.gate.order()), n)
		}
		time.Sleep(2 * time.Millisecond)
	}
}

func TestEnginePriority(t *testing.T) {
	t.Parallel()
	b := setupEngine(t, jobs.Config{Workers: 1})
	first := b.submit(t, "first", 0)
	b.waitState(t, first, mosaic.JobExecuting)
	low := b.submit(t, "low", 4)
	normal := b.submit(t, "normal", 0)
	urgent := b.submit(t, "urgent", 1)
	// Every worker is busy, so the queued jobs are waiting.
	for _, id := range []string{low, normal, urgent} {
		if j := b.waitState(t, id, mosaic.JobWaiting, mosaic.JobSubmitted); j.State != mosaic.JobWaiting {
			t.Errorf("queued job %s is %s, want waiting while the only worker is busy", id, j.State)
		}
	}
	close(b.gate.release)
	for _, id := range []string{first, low, normal, urgent} {
		b.waitState(t, id, mosaic.JobSucceeded)
	}
	got := b.gate.order()
	want := []string{"first", "urgent", "normal", "low"}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("jobs ran in order %v, want %v", got, want)
		}
	}
}

func TestEngineConcurrency(t *testing.T) {
	t.Parallel()
	b := setupEngine(t, jobs.Config{Workers: 2, JobsPerUser: 2})
	var ids []string
	labels := []string{"a", "b", "c", "d"}
	for _, l := range labels {
		ids = append(ids, b.submit(t, l, 0))
	}
	b.waitStarted(t, 2)
	// The other two are held in the queue (and the peak, checked again
	// below once all ran, says no third ever started beside them).
	started := b.gate.order()
	for i, l := range labels {
		if !slices.Contains(started, l) {
			b.waitState(t, ids[i], mosaic.JobWaiting)
		}
	}
	b.gate.mu.Lock()
	running, peak := b.gate.running, b.gate.peak
	b.gate.mu.Unlock()
	if running != 2 || peak != 2 {
		t.Errorf("with 2 workers: %d running, peak %d; want 2 and 2", running, peak)
	}
	close(b.gate.release)
	for _, id := range ids {
		b.waitState(t, id, mosaic.JobSucceeded)
	}
	if b.gate.peak != 2 {
		t.Errorf("peak concurrency %d, want 2", b.gate.peak)
	}
}

func TestEngineCancel(t *testing.T) {
	t.Parallel()
	b := setupEngine(t, jobs.Config{Workers: 1})
	running := b.submit(t, "running", 0)
	b.waitState(t, running, mosaic.JobExecuting)
	queued := b.submit(t, "queued", 0)

	// A queued job is cancelled at once and never runs.
	j, err := b.engine.Cancel(context.Background(), queued)
	if err != nil || j.State != mosaic.JobCancelled {
		t.Fatalf("cancel queued: %v %v", j, err)
	}
	// An executing job is interrupted: its context ends and it is cancelled.
	start := time.Now()
	j, err = b.engine.Cancel(context.Background(), running)
	if err != nil || (j.State != mosaic.JobCancelling && j.State != mosaic.JobCancelled) {
		t.Fatalf("cancel executing: %v %v", j, err)
	}
	j = b.waitState(t, running, mosaic.JobCancelled)
	if d := time.Since(start); d > 2*time.Second {
		t.Errorf("cancel took %v", d)
	}
	if j.Messages[len(j.Messages)-1].Type != mosaic.MessageInfo {
		t.Errorf("messages %v", j.Messages)
	}
	// Messages start as ArcGIS's do; a job that never ran was only
	// submitted.
	if len(j.Messages) < 2 || j.Messages[0].Description != "Submitted." || j.Messages[1].Description != "Executing..." {
		t.Errorf("messages of the executed job: %v", j.Messages)
	}
	if q, err := b.engine.Job(context.Background(), queued); err != nil || len(q.Messages) == 0 ||
		q.Messages[0].Description != "Submitted." || slices.ContainsFunc(q.Messages, func(m mosaic.JobMessage) bool {
		return m.Description == "Executing..."
	}) {
		t.Errorf("messages of the queued job: %v %v", q, err)
	}
	// Cancelling a finished job changes nothing.
	if j, err = b.engine.Cancel(context.Background(), running); err != nil || j.State != mosaic.JobCancelled {
		t.Errorf("cancel again: %v %v", j, err)
	}
	// A job submitted after it runs after its queue entry was taken (one
	// worker, one priority): by then the cancelled job had its chance.
	close(b.gate.release)
	b.waitState(t, b.submit(t, "after", 0), mosaic.JobSucceeded)
	if got := b.gate.order(); !slices.Equal(got, []string{"running", "after"}) {
		t.Errorf("started %v; the cancelled queued job must not run", got)
	}
}

func TestEngineTimeoutAndProgress(t *testing.T) {
	t.Parallel()
	b := setupEngine(t, jobs.Config{Workers: 1, Timeouts: map[string]time.Duration{"gate": 300 * time.Millisecond}})
	id := b.submit(t, "slow", 0)
	j := b.waitState(t, id, mosaic.JobExecuting)
	for j.Progress == nil || j.Progress.Percentage != 50 {
		j = b.waitState(t, id, mosaic.JobExecuting, mosaic.JobTimedOut)
		if j.State != mosaic.JobExecuting {
			break
		}
	}
	if j.Progress == nil || j.Progress.Message != "Waiting at the gate" {
		t.Errorf("progress while executing = %+v", j.Progress)
	}
	j = b.waitState(t, id, mosaic.JobTimedOut, mosaic.JobSucceeded, mosaic.JobFailed)
	if j.State != mosaic.JobTimedOut || j.Progress != nil {
		t.Errorf("after its timeout: %s %+v", j.State, j.Progress)
	}
}

func TestEngineRetention(t *testing.T) {
	t.Parallel()
	b := setupEngine(t, jobs.Config{Workers: 1, Retention: 300 * time.Millisecond})
	close(b.gate.release)
	id := b.submit(t, "x", 0)
	b.waitState(t, id, mosaic.JobSucceeded)
	deadline := time.Now().Add(10 * time.Second)
	for {
		_, err := b.engine.Job(context.Background(), id)
		if err != nil {
			if mosaic.ErrorCode(err) != mosaic.ENOTFOUND || !strings.Contains(mosaic.ErrorMessage(err), "expired") {
				t.Fatalf("expired job: %v", err)
			}
			return
		}
		if time.Now().After(deadline) {
			t.Fatal("the job record did not expire")
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func TestEngineQueueLimit(t *testing.T) {
	t.Parallel()
	b := setupEngine(t, jobs.Config{Workers: 1, MaxQueuedPerUser: 2})
	b.submit(t, "a", 0)
	b.submit(t, "b", 0)
	_, err := b.engine.Submit(context.Background(), "Gate", map[string]string{"label": "c"}, gateAdmin)
	if mosaic.ErrorCode(err) != mosaic.ELIMIT {
		t.Fatalf("third unfinished job: %v, want ELIMIT", err)
	}
	other := mosaic.SubmitOptions{User: &mosaic.User{Name: "u2", Role: mosaic.RoleAdmin}}
	if _, err := b.engine.Submit(context.Background(), "Gate", map[string]string{"label": "d"}, other); err != nil {
		t.Errorf("another user's job: %v", err)
	}
	close(b.gate.release)
}

// TestEngineRestart stops an engine while one job runs and another waits,
// then starts a new engine on the same database: the running job failed
// with a message, and the queued one runs.
func TestEngineRestart(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "t.db")
	start := func(g *gate) (*jobs.Engine, *sqlite.DB) {
		db, err := sqlite.Open(ctx, path)
		if err != nil {
			t.Fatal(err)
		}
		q, err := riverqueue.NewSQLite(ctx, db.WriteDB(), riverqueue.Config{Workers: 1})
		if err != nil {
			t.Fatal(err)
		}
		e := jobs.New(db, q, jobs.Config{Workers: 1}, g)
		if err := e.Start(ctx); err != nil {
			t.Fatal(err)
		}
		return e, db
	}
	g1 := &gate{release: make(chan struct{})}
	e1, db1 := start(g1)
	b := &engineBundle{engine: e1, db: db1, gate: g1}
	running := b.submit(t, "running", 0)
	b.waitState(t, running, mosaic.JobExecuting)
	queued := b.submit(t, "queued", 0)
	stopCtx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	if err := e1.Stop(stopCtx); err != nil {
		t.Fatal(err)
	}
	db1.Close()

	g2 := &gate{release: make(chan struct{})}
	close(g2.release)
	e2, db2 := start(g2)
	t.Cleanup(func() { e2.Stop(context.Background()); db2.Close() })
	b = &engineBundle{engine: e2, db: db2, gate: g2}
	j := b.waitState(t, running, mosaic.JobFailed, mosaic.JobSucceeded, mosaic.JobCancelled)
	if j.State != mosaic.JobFailed || !strings.Contains(j.Messages[len(j.Messages)-1].Description, "shut down") {
		t.Errorf("job running at the stop: %s %v", j.State, j.Messages)
	}
	b.waitState(t, queued, mosaic.JobSucceeded)
	if got := g2.order(); len(got) != 1 || got[0] != "queued" {
		t.Errorf("after the restart %v ran, want only the queued job", got)
	}
}

// runningLabels returns the labels of the jobs in ids executing now.
func runningLabels(t *testing.T, b *engineBundle, ids map[string]string) []string {
	t.Helper()
	var out []string
	for label, id := range ids {
		j, err := b.engine.Job(context.Background(), id)
		if err != nil {
			t.Fatal(err)
		}
		if j.State == mosaic.JobExecuting {
			out = append(out, label)
		}
	}
	return out
}

// TestEngineJobsPerUser: with 4 workers and 2 jobs per user, one user's
// five jobs run two at a time and wait (esriJobWaiting) while workers are
// free, so another user's job, and an anonymous one, submitted after them
// start at once; every job finishes.
func TestEngineJobsPerUser(t *testing.T) {
	t.Parallel()
	b := setupEngine(t, jobs.Config{Workers: 4, JobsPerUser: 2, UserWait: 20 * time.Millisecond})
	greedy := &mosaic.User{Name: "greedy", Role: mosaic.RolePublisher}
	other := &mosaic.User{Name: "other", Role: mosaic.RolePublisher}
	ids := map[string]string{}
	for _, l := range []string{"g1", "g2", "g3", "g4", "g5"} {
		ids[l] = b.submitAs(t, greedy, l, 0)
	}
	b.waitStarted(t, 2)
	ids["o1"] = b.submitAs(t, other, "o1", 0)
	ids["a1"] = b.submitAs(t, nil, "a1", 0)
	ids["a2"] = b.submitAs(t, nil, "a2", 0)
	ids["a3"] = b.submitAs(t, &mosaic.User{Role: mosaic.RoleViewer}, "a3", 0) // no name: anonymous too
	b.waitState(t, ids["o1"], mosaic.JobExecuting)
	// o1 runs and a1, a2 or a3 takes the last worker.
	b.waitStarted(t, 4)
	counts := func() map[byte]int {
		n := map[byte]int{}
		for _, l := range runningLabels(t, b, ids) {
			n[l[0]]++
		}
		return n
	}
	if n := counts(); n['g'] != 2 || n['o'] != 1 || n['a'] > 1 {
		t.Errorf("running per user %v, want 2 greedy, 1 other, at most 1 anonymous (of 2 allowed: 1 worker left)", n)
	}
	// Whichever two of greedy's jobs claimed a worker first run; the
	// other three wait behind them.
	waiting := 0
	for _, l := range []string{"g1", "g2", "g3", "g4", "g5"} {
		j, err := b.engine.Job(context.Background(), ids[l])
		if err != nil {
			t.Fatal(err)
		}
		if j.State == mosaic.JobWaiting {
			waiting++
		}
	}
	if waiting != 3 {
		t.Errorf("%d of greedy's jobs esriJobWaiting, want 3 behind its 2 running", waiting)
	}
	b.gate.mu.Lock()
	peak := b.gate.peak
	b.gate.mu.Unlock()
	if peak > 4 {
		t.Errorf("peak %d jobs on 4 workers", peak)
	}
	close(b.gate.release)
	for l, id := range ids {
		if j := b.waitState(t, id, mosaic.JobSucceeded, mosaic.JobFailed); j.State != mosaic.JobSucceeded {
			t.Errorf("%s: %s %v", l, j.State, j.Messages)
		}
	}
	if got := b.gate.order(); len(got) != len(ids) {
		t.Errorf("ran %v", got)
	}
}

// TestStalledJobsLeaveWorkers runs real AddImage jobs: one user's jobs
// that stall on a source that never answers (a URL in a registered store
// whose server holds every request; a named pipe is no longer readable:
// the data-store gate reads regular files only) hold at most JobsPerUser
// workers, so another user's AddImage runs and succeeds meanwhile. When
// the server lets go (answering 404) the stalled jobs end (failed: their
// only raster cannot be read) and add nothing.
func TestStalledJobsLeaveWorkers(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	dir := t.TempDir()
	db, err := sqlite.Open(ctx, filepath.Join(dir, "t.db"))
	if err != nil {
		t.Fatal(err)
	}
	q, err := riverqueue.NewSQLite(ctx, db.WriteDB(), riverqueue.Config{Workers: 3})
	if err != nil {
		t.Fatal(err)
	}
	release := make(chan struct{})
	var once sync.Once
	unblock := func() { once.Do(func() { close(release) }) }
	stall := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-release:
		case <-r.Context().Done():
		}
		http.NotFound(w, r)
	}))
	t.Cleanup(stall.Close)
	t.Cleanup(unblock)
	stores, err := raster.NewStores([]string{os.TempDir(), stall.URL + "/"}, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	e := jobs.New(db, q, jobs.Config{Workers: 3, JobsPerUser: 1, UserWait: 20 * time.Millisecond, Stores: stores},
		tasks.CreateImageCollection{}, tasks.AddImage{})
	if err := e.Start(ctx); err != nil {
		t.Fatal(err)
	}
	pipe := stall.URL + "/stall.tif"
	t.Cleanup(func() {
		sctx, cancel := context.WithTimeout(ctx, 30*time.Second)
		defer cancel()
		e.Stop(sctx)
		db.Close()
	})
	b := &testBundle{t: t, dir: dir, db: db, engine: e}
	b.create("Shared", `{"outSR": 32633}`)
	greedy := mosaic.SubmitOptions{User: &mosaic.User{Name: "greedy", Role: mosaic.RolePublisher}}
	var stalled []string
	for range 3 {
		j, err := e.Submit(ctx, "AddImage", map[string]string{"imageCollection": "Shared", "inputRasters": pipe}, greedy)
		if err != nil {
			t.Fatal(err)
		}
		stalled = append(stalled, j.ID)
	}
	waitJob := func(id string, want ...mosaic.JobState) *mosaic.Job {
		t.Helper()
		deadline := time.Now().Add(time.Minute)
		for {
			j, err := e.Job(ctx, id)
			if err != nil {
				t.Fatal(err)
			}
			for _, s := range want {
				if j.State == s {
					return j
				}
			}
			if time.Now().After(deadline) {
				unblock()
				t.Fatalf("job %s is %s, want %v\n%s", id, j.State, want, msgs(j))
			}
			time.Sleep(5 * time.Millisecond)
		}
	}
	// Whichever of greedy's jobs claims a worker first stalls on the pipe.
	states := func() map[mosaic.JobState]int {
		n := map[mosaic.JobState]int{}
		for _, id := range stalled {
			j, err := e.Job(ctx, id)
			if err != nil {
				t.Fatal(err)
			}
			n[j.State]++
		}
		return n
	}
	deadline := time.Now().Add(time.Minute)
	for states()[mosaic.JobExecuting] == 0 {
		if time.Now().After(deadline) {
			unblock()
			t.Fatalf("none of greedy's jobs started: %v", states())
		}
		time.Sleep(5 * time.Millisecond)
	}
	tilePath := tile(t, filepath.Join(dir, "src"), "ok.tif", 0)
	other := mosaic.SubmitOptions{User: &mosaic.User{Name: "other", Role: mosaic.RolePublisher}}
	j, err := e.Submit(ctx, "AddImage", map[string]string{"imageCollection": "Shared", "inputRasters": tilePath}, other)
	if err != nil {
		t.Fatal(err)
	}
	if j = waitJob(j.ID, mosaic.JobSucceeded, mosaic.JobFailed); j.State != mosaic.JobSucceeded {
		t.Errorf("the other user's AddImage: %s\n%s", j.State, msgs(j))
	}
	if n := states(); n[mosaic.JobExecuting] != 1 || n[mosaic.JobWaiting] != 2 {
		t.Errorf("greedy's jobs: %v, want 1 executing (stalled on the pipe) and 2 waiting", n)
	}
	// Each stalled job opens the pipe in turn; keep closing it until all end.
	deadline = time.Now().Add(time.Minute)
	for _, id := range stalled {
		for {
			unblock()
			cur, err := e.Job(ctx, id)
			if err != nil {
				t.Fatal(err)
			}
			if cur.State.Terminal() {
				if cur.State != mosaic.JobFailed {
					t.Errorf("stalled job ended %s\n%s", cur.State, msgs(cur))
				}
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("stalled job %s is still %s", id, cur.State)
			}
			time.Sleep(5 * time.Millisecond)
		}
	}
	if n := len(b.items("Shared")); n != 1 {
		t.Errorf("%d items, want the other user's 1", n)
	}
}
