package postgis_test

import (
	"slices"
	"testing"
	"time"

	"github.com/tessera-gis/tessera/mosaic"
	"github.com/tessera-gis/tessera/mosaic/postgis"
	"github.com/tessera-gis/tessera/tasks/jobs"
)

var _ jobs.ClusterTx = (*postgis.Tx)(nil)

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
	update(func(tx jobs.ClusterTx) error {
		for _, id := range []string{"live", "stale", "left"} {
			if err := tx.Heartbeat(id, "127.0.0.1:1"); err != nil {
				return err
			}
		}
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
		return tx.LeaveCluster("left")
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
		// A heartbeat brings an instance back.
		if err := tx.Heartbeat("stale", ""); err != nil {
			return err
		}
		jobs, _, err = tx.OrphanedJobs(30 * time.Second)
		if len(jobs) != 2 {
			t.Errorf("%d orphaned jobs after stale's heartbeat, want 2", len(jobs))
		}
		return err
	})
}
