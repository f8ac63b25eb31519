package postgis_test

import (
	"context"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/tessera-gis/tessera/mosaic"
	"github.com/tessera-gis/tessera/mosaic/postgis"
	"github.com/tessera-gis/tessera/tasks/jobs"
)

var (
	_ jobs.ClusterTx   = (*postgis.Tx)(nil)
	_ jobs.Heartbeater = (*postgis.DB)(nil)
)

// TestInstances checks the heartbeats of servers sharing a database: an
// executing job is orphaned when its instance's heartbeat is older than
// the timeout, or its instance is gone or unknown, and never while the
// instance is live.
func TestInstances(t *testing.T) {
	t.Parallel()
	db := openStore(t)
	ctx := t.Context()
	update := func(fn func(tx jobs.ClusterTx) error) {
		t.Helper()
		if err := db.Update(ctx, func(tx mosaic.Tx) error { return fn(tx.(jobs.ClusterTx)) }); err != nil {
			t.Fatal(err)
		}
	}
	for _, id := range []string{"live", "stale", "left"} {
		if err := db.Heartbeat(ctx, id, "127.0.0.1:1"); err != nil {
			t.Fatal(err)
		}
	}
	if err := db.LeaveCluster(ctx, "left"); err != nil {
		t.Fatal(err)
	}
	update(func(tx jobs.ClusterTx) error {
		for _, j := range []struct{ id, on string }{{"j-live", "live"}, {"j-stale", "stale"}, {"j-left", "left"}, {"j-unclaimed", ""}, {"j-queued", "stale"}} {
			if err := tx.CreateJob(&mosaic.Job{ID: j.id, Task: "T", State: mosaic.JobSubmitted}); err != nil {
				return err
			}
			if j.id == "j-queued" {
				continue
			}
			if _, err := tx.TransitionJob(j.id, []mosaic.JobState{mosaic.JobSubmitted}, mosaic.JobExecuting); err != nil {
				return err
			}
			if j.on != "" {
				if err := tx.ClaimJob(j.id, j.on); err != nil {
					return err
				}
			}
		}
		return nil
	})
	if _, err := db.Pool().Exec(ctx, `UPDATE instances SET heartbeat_at = now() - interval '1 minute' WHERE id = 'stale'`); err != nil {
		t.Fatal(err)
	}
	update(func(tx jobs.ClusterTx) error {
		live, err := tx.LiveInstances(30 * time.Second)
		if err != nil {
			return err
		}
		if !slices.Equal(live, []string{"live"}) {
			t.Errorf("live instances %v, want [live]", live)
		}
		jobs, owners, err := tx.OrphanedJobs(30 * time.Second)
		if err != nil {
			return err
		}
		var got []string
		for i, j := range jobs {
			got = append(got, j.ID+"@"+owners[i])
		}
		slices.Sort(got)
		if want := []string{"j-left@left", "j-stale@stale", "j-unclaimed@"}; !slices.Equal(got, want) {
			t.Errorf("orphaned jobs %v, want %v", got, want)
		}
		// The jobs an instance claimed, whatever its heartbeat.
		for on, want := range map[string]string{"live": "j-live", "stale": "j-stale", "nobody": ""} {
			claimed, err := tx.ClaimedJobs(on)
			if err != nil {
				return err
			}
			var ids []string
			for _, j := range claimed {
				ids = append(ids, j.ID)
			}
			if strings.Join(ids, ",") != want {
				t.Errorf("jobs claimed by %s: %v, want %q", on, ids, want)
			}
		}
		return nil
	})
	// A heartbeat brings an instance back.
	if err := db.Heartbeat(ctx, "stale", ""); err != nil {
		t.Fatal(err)
	}
	update(func(tx jobs.ClusterTx) error {
		jobs, _, err := tx.OrphanedJobs(30 * time.Second)
		if len(jobs) != 2 {
			t.Errorf("%d orphaned jobs after stale's heartbeat, want 2", len(jobs))
		}
		return err
	})
}

// TestHeartbeatOwnConnection checks that heartbeats do not depend on the
// connection pool: with every connection of the pool taken (by statements
// that run for a minute), a heartbeat still gets through at once; and
// when its connection is cut (pg_terminate_backend), the next heartbeat
// reconnects.
func TestHeartbeatOwnConnection(t *testing.T) {
	t.Parallel()
	db := openStoreWith(t, "pool_max_conns", "2")
	ctx := t.Context()
	if err := db.Heartbeat(ctx, "busy", ""); err != nil {
		t.Fatal(err)
	}
	// Exhaust the pool with long statements.
	var wg sync.WaitGroup
	sctx, stop := context.WithCancel(ctx)
	for range 2 {
		conn, err := db.Pool().Acquire(ctx)
		if err != nil {
			t.Fatal(err)
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer conn.Release()
			conn.Exec(sctx, `SELECT pg_sleep(60)`)
		}()
	}
	defer func() { stop(); wg.Wait() }()
	actx, cancel := context.WithTimeout(ctx, 200*time.Millisecond)
	if _, err := db.Pool().Acquire(actx); err == nil {
		t.Fatal("the pool should be exhausted")
	}
	cancel()
	// Heartbeats go through, on their own connection.
	beat := func(what string) {
		t.Helper()
		hctx, cancel := context.WithTimeout(ctx, 10*time.Second)
		defer cancel()
		start := time.Now()
		if err := db.Heartbeat(hctx, "busy", what); err != nil {
			t.Fatalf("heartbeat %s: %v", what, err)
		}
		t.Logf("heartbeat %s: %s", what, time.Since(start).Round(time.Millisecond))
	}
	beat("with the pool exhausted")
	// Cut the heartbeat connection: the next heartbeat reconnects.
	admin, err := pgx.ConnectConfig(ctx, db.Pool().Config().ConnConfig.Copy())
	if err != nil {
		t.Fatal(err)
	}
	defer admin.Close(ctx)
	var app string
	if err := admin.QueryRow(ctx, `SELECT application_name FROM pg_stat_activity WHERE pid = $1`, postgis.HeartbeatPID(db)).Scan(&app); err != nil || app != "tessera heartbeat" {
		t.Fatalf("heartbeat connection: application_name %q (%v), want %q", app, err, "tessera heartbeat")
	}
	var cut bool
	if err := admin.QueryRow(ctx, `SELECT pg_terminate_backend($1)`, postgis.HeartbeatPID(db)).Scan(&cut); err != nil || !cut {
		t.Fatalf("terminate the heartbeat connection: %v %v", cut, err)
	}
	beat("after its connection was cut")
	var info string
	var age time.Duration
	if err := admin.QueryRow(ctx, `SELECT info, now() - heartbeat_at FROM instances WHERE id = 'busy'`).Scan(&info, &age); err != nil {
		t.Fatal(err)
	}
	if info != "after its connection was cut" || age > 5*time.Second {
		t.Errorf("instance row: info %q, heartbeat %s old", info, age)
	}
}
