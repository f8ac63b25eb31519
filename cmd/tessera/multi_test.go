package main_test

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/paulmach/orb"

	"github.com/tessera-gis/tessera/internal/pgtest"
	"github.com/tessera-gis/tessera/mosaic"
	"github.com/tessera-gis/tessera/mosaic/postgis"
)

// TestMultiInstance runs three servers on one PostGIS database (a new one
// per run) and checks that they act as one: 200 jobs submitted concurrently
// through all three each run exactly once (one audit entry, one start),
// and never two of one user's at once (--jobs-per-user 1, held across the
// instances);
// a job is polled, and cancelled, through an instance other than the one
// running it; an instance killed with SIGKILL in the middle of a delete has
// its job failed by the others within the instance timeout, with nothing
// applied, and the jobs it queued run on the others; a queued job whose
// queue entry was lost is queued again; and a restarted instance joins the
// rest.
//
// A delete is held in the middle of its transaction by a row lock that the
// test takes on the collection (as a concurrent change would), so that it
// is executing for as long as the test needs, without timing guesses.
func TestMultiInstance(t *testing.T) {
	t.Parallel()
	ownDatabase(t)
	pdb := pgtest.NewDatabase(t, "tessera_multi")
	ctx := context.Background()
	const items = 260
	seedPostgres(t, pdb.DSN, "Multi", items)
	conn, err := pgx.Connect(ctx, pdb.DSN)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)

	const timeout = 5 * time.Second // --instance-timeout
	// A pool of --jobs + 6 connections (deploy.md: at least --jobs + 4).
	// (Heartbeats do not use it: TestMultiInstanceBusyPool.)
	dsn := withParam(pdb.DSN, "pool_max_conns", "8")
	start := func() *proc {
		return startServer(t, t.TempDir(), "--db", dsn, "--instance-timeout", timeout.String(), "--jobs", "2",
			"--jobs-per-user", "1", "--max-queued", "1000")
	}
	ps := []*proc{start(), start(), start()}
	left := items

	// Exactly once: 200 one-item deletes, submitted concurrently through
	// the three instances (30 requests in flight at a time, so that the
	// test races the instances rather than exhausting their pools), each
	// polled through another.
	const small = 200
	ids := make([]string, small)
	var wg sync.WaitGroup
	errs := make(chan error, small)
	inFlight := make(chan struct{}, 30)
	for i := range small {
		wg.Add(1)
		go func() {
			defer wg.Done()
			inFlight <- struct{}{}
			defer func() { <-inFlight }()
			resp, err := http.PostForm(ps[i%3].GP("DeleteImage")+"/submitJob", url.Values{
				"f": {"json"}, "imageCollection": {"Multi"}, "where": {"OBJECTID = " + strconv.Itoa(i+1)}})
			if err != nil {
				errs <- err
				return
			}
			m := decode(t, resp)
			if ids[i], _ = m["jobId"].(string); ids[i] == "" {
				errs <- fmt.Errorf("submit %d: %v", i, m)
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	for i, id := range ids {
		if m := wait(t, ps[(i+1)%3], "DeleteImage", id); m["jobStatus"] != "esriJobSucceeded" {
			t.Fatalf("job %d: %v\n%s", i, m["jobStatus"], messages(m))
		}
	}
	left -= small
	rows, err := conn.Query(ctx, `SELECT j.id, j.instance,
		(SELECT count(*) FROM audit_log a WHERE a.job_id = j.id),
		(SELECT count(*) FROM job_messages m WHERE m.job_id = j.id AND m.description LIKE 'Start Time:%')
		FROM jobs j WHERE j.id = ANY($1)`, ids)
	if err != nil {
		t.Fatal(err)
	}
	ran := map[string]int{}
	n := 0
	for rows.Next() {
		var (
			id, instance   string
			audits, starts int
		)
		if err := rows.Scan(&id, &instance, &audits, &starts); err != nil {
			t.Fatal(err)
		}
		n++
		ran[instance]++
		if audits != 1 || starts != 1 {
			t.Errorf("job %s: %d audit entries and %d starts, want 1 and 1", id, audits, starts)
		}
	}
	if err := rows.Err(); err != nil || n != small {
		t.Fatalf("%d job records (%v), want %d", n, err, small)
	}
	t.Logf("%d jobs ran on %d instances: %v", small, len(ran), ran)
	// One user's jobs never overlap (a job's start is recorded after the
	// claim saw the previous one finished; its finish before it commits).
	var overlaps int
	if err := conn.QueryRow(ctx, `SELECT count(*) FROM jobs a JOIN jobs b ON a.owner = b.owner AND a.id < b.id
		WHERE a.id = ANY($1) AND b.id = ANY($1) AND a.started_at < b.finished_at AND b.started_at < a.finished_at`, ids).Scan(&overlaps); err != nil {
		t.Fatal(err)
	}
	if overlaps > 0 {
		t.Errorf("%d pairs of one user's jobs ran at the same time, with --jobs-per-user 1", overlaps)
	}
	for i, p := range ps {
		if got := count(t, p, "Multi", "1=1"); got != left {
			t.Errorf("instance %d counts %d items, want %d", i, got, left)
		}
	}

	// Hold the next deletes in their transactions.
	lock, err := pgx.Connect(ctx, pdb.DSN)
	if err != nil {
		t.Fatal(err)
	}
	defer lock.Close(ctx)
	ltx, err := lock.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := ltx.Exec(ctx, `SELECT 1 FROM collections WHERE name_key = 'multi' FOR UPDATE`); err != nil {
		t.Fatal(err)
	}
	// runningOn waits until job id executes and returns its instance.
	runningOn := func(id string) (string, *proc, []*proc) {
		t.Helper()
		var instance string
		eventually(t, time.Minute, "job "+id+" executes", func() bool {
			err := conn.QueryRow(ctx, `SELECT coalesce(instance, '') FROM jobs WHERE id = $1 AND state = 'executing'`, id).Scan(&instance)
			if err != nil && err != pgx.ErrNoRows {
				t.Fatal(err)
			}
			return err == nil && instance != ""
		})
		parts := strings.Split(instance, "-")
		pid, _ := strconv.Atoi(parts[len(parts)-2])
		var on *proc
		var others []*proc
		for _, p := range ps {
			if p.Pid() == pid {
				on = p
			} else {
				others = append(others, p)
			}
		}
		if on == nil {
			t.Fatalf("job %s runs on %s, which is none of the servers", id, instance)
		}
		return instance, on, others
	}

	// Poll and cancel through the other instances.
	held := submit(t, ps[0], "DeleteImage", url.Values{"imageCollection": {"Multi"}, "where": {"1=1"}, "purge": {"true"}})
	_, on, others := runningOn(held)
	// The progress reported where it runs, read elsewhere.
	eventually(t, time.Minute, "progress through another instance", func() bool {
		m := status(t, others[0], "DeleteImage", held)
		if m["jobStatus"] != "esriJobExecuting" {
			t.Fatalf("held job through another instance: %v", m)
		}
		return strings.Contains(jsonText(m["progress"]), "Selecting items") && strings.Contains(messages(m), "Running on instance")
	})
	// A live instance's job is never taken over, however long it runs:
	// still executing after twice the instance timeout.
	for since := time.Now(); time.Since(since) < 2*timeout; time.Sleep(50 * time.Millisecond) {
		if m := status(t, others[1], "DeleteImage", held); m["jobStatus"] != "esriJobExecuting" {
			t.Fatalf("a live instance's job after %s: %v\n%s", time.Since(since), m["jobStatus"], messages(m))
		}
	}
	// The cancel reaches the instance running the job by its signal, not
	// at a poll: well within the safety net's 2 s.
	cancelled := time.Now()
	postForm(t, others[0].GP("DeleteImage")+"/jobs/"+held+"/cancel", url.Values{})
	m := waitFor(t, others[1], "DeleteImage", held, "esriJobCancelled")
	t.Logf("a cancel through another instance stopped the job in %s", time.Since(cancelled).Round(time.Millisecond))
	if m2 := status(t, on, "DeleteImage", held); m2["jobStatus"] != "esriJobCancelled" || messages(m2) != messages(m) {
		t.Errorf("the instances disagree on the cancelled job:\n%v %s\n%v %s", m["jobStatus"], messages(m), m2["jobStatus"], messages(m2))
	}

	// Kill the instance running a delete: the others fail it in time. Jobs
	// queued on it meanwhile (held back: their user runs the delete) run
	// on the others.
	held = submit(t, ps[1], "DeleteImage", url.Values{"imageCollection": {"Multi"}, "where": {"1=1"}, "purge": {"true"}})
	instance, on, others := runningOn(held)
	var queued []string
	for i := range 3 {
		queued = append(queued, submit(t, on, "DeleteImage", url.Values{"imageCollection": {"Multi"}, "where": {"OBJECTID = " + strconv.Itoa(220+i)}}))
	}
	on.Kill()
	killed := time.Now()
	m = waitFor(t, others[0], "DeleteImage", held, "esriJobFailed")
	took := time.Since(killed)
	if !strings.Contains(messages(m), "esriJobMessageTypeError: The server stopped while this job was running (instance "+instance+", silent for more than 5s)") {
		t.Errorf("killed instance's job: %s", messages(m))
	}
	if took > 30*time.Second {
		t.Errorf("the killed instance's job was failed after %s, want within 30s", took)
	}
	t.Logf("killed instance's job failed %s after the kill (instance timeout %s)", took.Round(time.Millisecond), timeout)
	if _, err := ltx.Exec(ctx, `ROLLBACK`); err != nil {
		t.Fatal(err)
	}
	var alive []*proc
	for _, p := range ps {
		if p != on {
			alive = append(alive, p)
		}
	}

	// Queued jobs run on the survivors; a queued job whose queue entry
	// went with a dead instance (here: a record without one, as if River
	// had handed it to the killed instance just before the kill) is queued
	// again and runs once.
	for _, id := range queued {
		if m := wait(t, alive[0], "DeleteImage", id); m["jobStatus"] != "esriJobSucceeded" {
			t.Fatalf("job %s queued on the killed instance: %v\n%s", id, m["jobStatus"], messages(m))
		}
	}
	left -= len(queued)
	if _, err := conn.Exec(ctx, `INSERT INTO jobs (id, task, state, inputs, priority, owner, submitted_at)
		VALUES ('jlost', 'DeleteImage', 'submitted', '{"imageCollection":"Multi","where":"OBJECTID = 201"}', 2, 'anonymous', $1)`,
		time.Now().Add(-time.Minute).UnixMilli()); err != nil {
		t.Fatal(err)
	}
	for i := range 4 {
		id, m := run(t, alive[i%2], "DeleteImage", url.Values{"imageCollection": {"Multi"}, "where": {"OBJECTID = " + strconv.Itoa(202+i)}})
		if m["jobStatus"] != "esriJobSucceeded" {
			t.Fatalf("job %s after the kill: %v\n%s", id, m["jobStatus"], messages(m))
		}
	}
	if m := wait(t, alive[1], "DeleteImage", "jlost"); m["jobStatus"] != "esriJobSucceeded" {
		t.Errorf("lost queued job: %v\n%s", m["jobStatus"], messages(m))
	}
	left -= 5

	// A restarted instance joins; the catalog is the same everywhere.
	alive = append(alive, start())
	id, m := run(t, alive[2], "DeleteImage", url.Values{"imageCollection": {"Multi"}, "where": {"OBJECTID = 210"}})
	if m["jobStatus"] != "esriJobSucceeded" {
		t.Fatalf("job %s after the restart: %v\n%s", id, m["jobStatus"], messages(m))
	}
	left--
	for i, p := range alive {
		if got := count(t, p, "Multi", "1=1"); got != left {
			t.Errorf("instance %d counts %d items, want %d", i, got, left)
		}
	}
	var live int
	if err := conn.QueryRow(ctx, `SELECT count(*) FROM instances WHERE heartbeat_at > now() - interval '5 seconds'`).Scan(&live); err != nil || live != 3 {
		t.Errorf("%d live instances (%v), want 3", live, err)
	}
	var dup int
	if err := conn.QueryRow(ctx, `SELECT count(*) FROM (SELECT job_id FROM audit_log WHERE job_id <> '' GROUP BY job_id HAVING count(*) > 1) d`).Scan(&dup); err != nil || dup != 0 {
		t.Errorf("%d jobs with more than one audit entry (%v)", dup, err)
	}
}

// seedPostgres creates collection name with n items in the PostGIS
// database at dsn, directly through the store.
func seedPostgres(t *testing.T, dsn, name string, n int) {
	t.Helper()
	ctx := context.Background()
	db, err := postgis.Open(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	srs := mosaic.SpatialRef{WKID: 32633}
	c := &mosaic.Collection{Name: name, SRS: srs}
	var list []*mosaic.Item
	for i := range n {
		x, y := 500000+float64(i%10)*640, 5000000+float64(i/10)*640
		list = append(list, &mosaic.Item{
			Path:       fmt.Sprintf("/seed/%s/%04d.tif", name, i),
			Footprint:  orb.Polygon{{{x, y}, {x + 640, y}, {x + 640, y + 640}, {x, y + 640}, {x, y}}},
			Attributes: map[string]any{mosaic.FieldNameName: fmt.Sprintf("seed%d", i+1), mosaic.FieldNameCloudCover: float64(i % 100)},
			Raster: mosaic.RasterInfo{Driver: "GTiff", Width: 64, Height: 64, Bands: 1, PixelType: "U8", SRS: srs,
				GeoTransform: [6]float64{x, 10, 0, y + 640, 0, -10}, CellSizeX: 10, CellSizeY: 10},
		})
	}
	err = db.Update(ctx, func(tx mosaic.Tx) error {
		if err := tx.CreateCollection(c); err != nil {
			return err
		}
		_, err := tx.AddItems(c, list, mosaic.AddOptions{})
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
}

// withParam adds a query parameter to a connection URL.
func withParam(dsn, key, value string) string {
	u, err := url.Parse(dsn)
	if err != nil {
		panic(err)
	}
	q := u.Query()
	q.Set(key, value)
	u.RawQuery = q.Encode()
	return u.String()
}

// TestMultiInstanceKillMidDelete kills (SIGKILL) the instance running a
// DeleteImage of 100,000 items while its statement runs, with nothing held:
// PostgreSQL rolls the transaction back, the surviving instance fails the
// job within 30 s with a true message, every item is still there, and the
// killed instance, restarted, joins and serves the same answers.
func TestMultiInstanceKillMidDelete(t *testing.T) {
	t.Parallel()
	ownDatabase(t)
	pdb := pgtest.NewDatabase(t, "tessera_killmid")
	ctx := context.Background()
	const items = 100_000
	seedPostgres(t, pdb.DSN, "Big", items)
	conn, err := pgx.Connect(ctx, pdb.DSN)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	const timeout = 5 * time.Second
	dsn := withParam(pdb.DSN, "pool_max_conns", "8")
	start := func() *proc {
		return startServer(t, t.TempDir(), "--db", dsn, "--instance-timeout", timeout.String(), "--jobs", "2")
	}
	ps := []*proc{start(), start()}

	id := submit(t, ps[0], "DeleteImage", url.Values{"imageCollection": {"Big"}, "where": {"CloudCover >= 0"}})
	// The job's own transaction holds the collection's row lock from the
	// moment it starts deleting: kill its instance then.
	var instance string
	eventually(t, time.Minute, "the delete runs its statement", func() bool {
		var n int
		err := conn.QueryRow(ctx, `SELECT count(*) FROM pg_stat_activity
			WHERE datname = current_database() AND state = 'active' AND pid <> pg_backend_pid() AND query LIKE '%UPDATE "items_%'`).Scan(&n)
		if err != nil {
			t.Fatal(err)
		}
		if n == 0 {
			return false
		}
		err = conn.QueryRow(ctx, `SELECT coalesce(instance, '') FROM jobs WHERE id = $1`, id).Scan(&instance)
		return err == nil && instance != ""
	})
	parts := strings.Split(instance, "-")
	pid, _ := strconv.Atoi(parts[len(parts)-2])
	on, other := ps[0], ps[1]
	if ps[1].Pid() == pid {
		on, other = ps[1], ps[0]
	} else if ps[0].Pid() != pid {
		t.Fatalf("job runs on %s, which is neither server", instance)
	}
	on.Kill()
	killed := time.Now()
	m := waitFor(t, other, "DeleteImage", id, "esriJobFailed", "esriJobSucceeded", "esriJobCancelled")
	took := time.Since(killed)
	if m["jobStatus"] != "esriJobFailed" || !strings.Contains(messages(m), "The server stopped while this job was running") {
		t.Fatalf("the killed instance's delete: %v\n%s", m["jobStatus"], messages(m))
	}
	if took > 30*time.Second {
		t.Errorf("the killed instance's job was failed after %s, want within 30s", took)
	}
	t.Logf("a delete of %d items killed mid-statement was failed %s after the kill", items, took.Round(time.Millisecond))
	if n := count(t, other, "Big", "1=1"); n != items {
		t.Fatalf("%d items after the killed delete, want all %d: nothing may apply", n, items)
	}
	// Restarted, it joins and agrees.
	again := start()
	if n := count(t, again, "Big", "1=1"); n != items {
		t.Errorf("the restarted instance counts %d items, want %d", n, items)
	}
	if m2 := status(t, again, "DeleteImage", id); m2["jobStatus"] != "esriJobFailed" || messages(m2) != messages(m) {
		t.Errorf("the instances disagree on the killed job:\n%v %s\n%v %s", m["jobStatus"], messages(m), m2["jobStatus"], messages(m2))
	}
	_, job := run(t, again, "DeleteImage", url.Values{"imageCollection": {"Big"}, "where": {"OBJECTID <= 10"}})
	if job["jobStatus"] != "esriJobSucceeded" {
		t.Fatalf("a delete after the restart: %v\n%s", job["jobStatus"], messages(job))
	}
	if n := count(t, other, "Big", "1=1"); n != items-10 {
		t.Errorf("%d items after the delete that followed, want %d", n, items-10)
	}
}

// TestMultiInstanceBusyPool checks that an instance whose connection pool
// is exhausted by requests is not taken for dead: its heartbeat has a
// connection of its own. Instance A (pool_max_conns=2) runs a delete, held
// in its transaction by a row lock the test takes; then a stream of
// queries, each held by a table lock the test takes on another
// collection, keeps every other connection of A's pool busy and more
// requests waiting for one. For three times the instance timeout, A's
// heartbeat stays fresh and its job stays executing, as B (a normal
// instance, which fails the jobs of silent instances) reports it; once the
// locks go, the delete succeeds and the queries answer.
func TestMultiInstanceBusyPool(t *testing.T) {
	t.Parallel()
	ownDatabase(t)
	pdb := pgtest.NewDatabase(t, "tessera_busypool")
	ctx := context.Background()
	seedPostgres(t, pdb.DSN, "Held", 20)
	seedPostgres(t, pdb.DSN, "Busy", 20)
	conn, err := pgx.Connect(ctx, pdb.DSN)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	const timeout = 3 * time.Second
	start := func(pool string) *proc {
		return startServer(t, t.TempDir(), "--db", withParam(pdb.DSN, "pool_max_conns", pool),
			"--instance-timeout", timeout.String(), "--jobs", "1")
	}

	// A alone, so that the delete runs there, held by the collection's
	// row lock.
	a := start("2")
	lock, err := pgx.Connect(ctx, pdb.DSN)
	if err != nil {
		t.Fatal(err)
	}
	defer lock.Close(ctx)
	ltx, err := lock.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer ltx.Rollback(ctx)
	if _, err := ltx.Exec(ctx, `SELECT 1 FROM collections WHERE name_key = 'held' FOR UPDATE`); err != nil {
		t.Fatal(err)
	}
	held := submit(t, a, "DeleteImage", url.Values{"imageCollection": {"Held"}, "where": {"1=1"}})
	var instance string
	eventually(t, time.Minute, "the delete executes on A", func() bool {
		err := conn.QueryRow(ctx, `SELECT coalesce(instance, '') FROM jobs WHERE id = $1 AND state = 'executing'`, held).Scan(&instance)
		return err == nil && instance != ""
	})
	b := start("8")

	// Saturate A's pool: queries on Busy wait for its table lock, each on
	// a pool connection, and more wait for a connection.
	var busyTable string
	if err := conn.QueryRow(ctx, `SELECT 'items_' || id FROM collections WHERE name_key = 'busy'`).Scan(&busyTable); err != nil {
		t.Fatal(err)
	}
	if _, err := ltx.Exec(ctx, `LOCK TABLE `+pgx.Identifier{busyTable}.Sanitize()+` IN ACCESS EXCLUSIVE MODE`); err != nil {
		t.Fatal(err)
	}
	qctx, stopQueries := context.WithCancel(ctx)
	var wg sync.WaitGroup
	var answered, failed sync.Map
	for i := range 6 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for qctx.Err() == nil {
				req, _ := http.NewRequestWithContext(qctx, http.MethodGet,
					a.Services()+"/Busy/ImageServer/query?returnCountOnly=true&f=json&where=1%3D1", nil)
				resp, err := http.DefaultClient.Do(req)
				if err != nil {
					if qctx.Err() == nil {
						failed.Store(i, err.Error())
					}
					return
				}
				resp.Body.Close()
				answered.Store(i, resp.StatusCode)
			}
		}()
	}
	defer func() { stopQueries(); wg.Wait() }()
	// Both of A's connections wait on the test's locks: the job's, and a
	// query's. (The other queries wait for one of them.)
	eventually(t, time.Minute, "A's pool exhausted", func() bool {
		var n int
		if err := conn.QueryRow(ctx, `SELECT count(*) FROM pg_stat_activity
			WHERE datname = current_database() AND wait_event_type = 'Lock'`).Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n >= 2
	})
	saturated := time.Now()
	for time.Since(saturated) < 3*timeout {
		if m := status(t, b, "DeleteImage", held); m["jobStatus"] != "esriJobExecuting" {
			t.Fatalf("the busy instance's job, %s after its pool was exhausted: %v\n%s",
				time.Since(saturated).Round(time.Millisecond), m["jobStatus"], messages(m))
		}
		var age time.Duration
		if err := conn.QueryRow(ctx, `SELECT now() - heartbeat_at FROM instances WHERE id = $1`, instance).Scan(&age); err != nil {
			t.Fatal(err)
		}
		if age > timeout {
			t.Fatalf("the busy instance's heartbeat is %s old (instance timeout %s)", age, timeout)
		}
		time.Sleep(100 * time.Millisecond)
	}
	answered.Range(func(k, v any) bool {
		t.Errorf("a query answered (%v) while its table was locked: the pool was not saturated", v)
		return false
	})

	// Let go: the delete succeeds, and the queries answer.
	if err := ltx.Rollback(ctx); err != nil {
		t.Fatal(err)
	}
	if m := waitFor(t, b, "DeleteImage", held, "esriJobSucceeded", "esriJobFailed", "esriJobCancelled"); m["jobStatus"] != "esriJobSucceeded" {
		t.Fatalf("the busy instance's job: %v\n%s", m["jobStatus"], messages(m))
	}
	if n := count(t, b, "Held", "1=1"); n != 0 {
		t.Errorf("%d items left after the delete, want 0", n)
	}
	eventually(t, time.Minute, "the queries answer", func() bool {
		n := 0
		answered.Range(func(any, any) bool { n++; return true })
		return n == 6
	})
	stopQueries()
	wg.Wait()
	failed.Range(func(k, v any) bool {
		t.Errorf("query %v: %v", k, v)
		return true
	})
	if n := count(t, a, "Busy", "1=1"); n != 20 {
		t.Errorf("A counts %d items in Busy, want 20", n)
	}
}
