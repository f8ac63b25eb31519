package tasks_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/tessera-gis/tessera/internal/pgtest"
	"github.com/tessera-gis/tessera/mosaic"
	"github.com/tessera-gis/tessera/mosaic/postgis"
	"github.com/tessera-gis/tessera/tasks/jobs"
	"github.com/tessera-gis/tessera/tasks/riverqueue"
)

// TestClusterEngines runs two engines (instances a and b) on one PostgreSQL
// store, in one process: a job submitted through either runs on one of
// them; its progress and state read alike through both; a cancel through
// the instance not running it stops it; a job that another instance
// finished (having taken its instance for dead) is stopped where it runs,
// and its recorded outcome is kept; a clean stop removes the heartbeat.
// (Killed processes are TestMultiInstance's, in cmd/tessera.)
func TestClusterEngines(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	store := clusterStore(t, "tessera_cluster")
	names := []string{"a", "b"}
	bundles := map[string]*engineBundle{}
	for _, name := range names {
		g := &gate{release: make(chan struct{})}
		e := startInstance(t, store, store.Pool(), name, 2, jobs.Config{InstanceTimeout: time.Second}, g)
		bundles[name] = &engineBundle{engine: e, gate: g}
	}
	// runningOn waits until job id executes and returns the bundles
	// running it and not running it.
	runningOn := func(id string) (on, other *engineBundle) {
		t.Helper()
		deadline := time.Now().Add(20 * time.Second)
		for {
			var instance *string
			err := store.Pool().QueryRow(ctx, `SELECT instance FROM jobs WHERE id = $1 AND state = 'executing'`, id).Scan(&instance)
			if err == nil && instance != nil {
				for _, n := range names {
					if n != *instance {
						return bundles[*instance], bundles[n]
					}
				}
			}
			if time.Now().After(deadline) {
				t.Fatalf("job %s does not execute (%v)", id, err)
			}
			time.Sleep(5 * time.Millisecond)
		}
	}

	// Progress and cancel through the other instance.
	id := bundles["a"].submit(t, "one", 2)
	on, other := runningOn(id)
	deadline := time.Now().Add(20 * time.Second)
	for {
		j, err := other.engine.Job(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		if j.Progress != nil && j.Progress.Message == "Waiting at the gate" && j.Progress.Percentage == 50 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("progress through the other instance: %+v", j.Progress)
		}
		time.Sleep(10 * time.Millisecond)
	}
	if _, err := other.engine.Cancel(ctx, id); err != nil {
		t.Fatal(err)
	}
	j := other.waitState(t, id, mosaic.JobCancelled)
	if !strings.Contains(msgs(j), "Cancelled; uncommitted changes were rolled back") {
		t.Errorf("cancelled through the other instance: %s", msgs(j))
	}
	if j2, err := on.engine.Job(ctx, id); err != nil || j2.State != mosaic.JobCancelled {
		t.Errorf("the running instance reads %v (%v)", j2.State, err)
	}

	// Finished elsewhere: the run stops and the recorded outcome stays.
	id = bundles["b"].submit(t, "two", 2)
	on, _ = runningOn(id)
	err := store.Update(ctx, func(tx mosaic.Tx) error {
		_, err := tx.FinishJob(id, mosaic.JobFailed, nil, mosaic.ErrorMsg("taken over"))
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	deadline = time.Now().Add(20 * time.Second)
	for {
		on.gate.mu.Lock()
		running := on.gate.running
		on.gate.mu.Unlock()
		if running == 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("a job finished elsewhere still runs")
		}
		time.Sleep(5 * time.Millisecond)
	}
	j, err = on.engine.Job(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	if j.State != mosaic.JobFailed || !strings.HasSuffix(strings.TrimSpace(msgs(j)), "taken over") {
		t.Errorf("job finished elsewhere: %s\n%s", j.State, msgs(j))
	}

	// Delete through the other instance: its cancel reaches the running
	// instance, whose end reaches the deleting one (both signals between
	// instances), and the record goes.
	id = bundles["a"].submit(t, "three", 2)
	on, other = runningOn(id)
	if j, err := other.engine.Delete(ctx, id); err != nil || j.State != mosaic.JobDeleted {
		t.Fatalf("delete through the other instance: %v %v", j, err)
	}
	if _, err := on.engine.Job(ctx, id); mosaic.ErrorCode(err) != mosaic.ENOTFOUND {
		t.Errorf("the running instance still reads the deleted job: %v", err)
	}

	// A clean stop removes the heartbeat.
	stopCtx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	if err := bundles["a"].engine.Stop(stopCtx); err != nil {
		t.Fatal(err)
	}
	err = store.View(ctx, func(tx mosaic.ReadTx) error {
		live, err := tx.(jobs.ClusterTx).LiveInstances(time.Minute)
		if err == nil && strings.Join(live, ",") != "b" {
			t.Errorf("live instances after a stopped: %v", live)
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
}

// TestClusterJobsPerUserDefault: with --jobs-per-user not given, one
// user's limit is its default (half of the workers, here 1) for each live
// instance, so that one user's jobs spread over the instances a cluster
// adds: three instances run three of one user's six jobs at once, never
// more; the others wait and all finish.
func TestClusterJobsPerUserDefault(t *testing.T) {
	t.Parallel()
	store := clusterStore(t, "tessera_peruser")
	g := &gate{release: make(chan struct{})} // shared: its counts are the cluster's
	var bundles []*engineBundle
	for _, name := range []string{"a", "b", "c"} {
		e := startInstance(t, store, store.Pool(), name, 2, jobs.Config{InstanceTimeout: 5 * time.Second, Workers: 2,
			UserWait: 20 * time.Millisecond}, g)
		bundles = append(bundles, &engineBundle{engine: e, gate: g})
	}
	// Every instance has written its heartbeat (at Start): three live.
	var ids []string
	for i := range 6 {
		ids = append(ids, bundles[i%3].submitAs(t, nil, fmt.Sprint("j", i), 0))
	}
	deadline := time.Now().Add(20 * time.Second)
	for {
		g.mu.Lock()
		running := g.running
		g.mu.Unlock()
		if running == 3 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d of one user's jobs run on three instances, want 3", running)
		}
		time.Sleep(10 * time.Millisecond)
	}
	time.Sleep(300 * time.Millisecond) // time for a fourth to start, were it allowed
	close(g.release)
	for _, id := range ids {
		if j := bundles[0].waitState(t, id, mosaic.JobSucceeded, mosaic.JobFailed); j.State != mosaic.JobSucceeded {
			t.Errorf("%s: %s %v", id, j.State, j.Messages)
		}
	}
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.peak != 3 {
		t.Errorf("peak %d of one user's jobs at once, want 3 (1 per instance)", g.peak)
	}
}

// clusterStore opens a fresh PostgreSQL database (dropped when the test
// ends) as the store several engines share.
func clusterStore(t *testing.T, prefix string) *postgis.DB {
	t.Helper()
	pdb := pgtest.NewDatabase(t, prefix)
	store, err := postgis.Open(t.Context(), pdb.DSN)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { store.Close() }) // after the engines stop
	return store
}

// startInstance starts an engine, instance name, on store with cfg and
// tasks, on a River queue of workers on pool, and stops it when the test
// ends.
func startInstance(t *testing.T, store mosaic.Store, pool *pgxpool.Pool, name string, workers int, cfg jobs.Config, tasks ...jobs.Task) *jobs.Engine {
	t.Helper()
	ctx := context.Background()
	q, err := riverqueue.NewPostgres(ctx, pool, riverqueue.Config{Workers: workers, ID: name})
	if err != nil {
		t.Fatal(err)
	}
	cfg.Instance = name
	e := jobs.New(store, q, cfg, tasks...)
	if err := e.Start(ctx); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		e.Stop(ctx)
	})
	return e
}
