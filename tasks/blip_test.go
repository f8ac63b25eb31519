package tasks_test

import (
	"context"
	"errors"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/tessera-gis/tessera/mosaic"
	"github.com/tessera-gis/tessera/mosaic/postgis"
	"github.com/tessera-gis/tessera/tasks/jobs"
)

// blippyStore is a PostgreSQL store whose writes fail while down is set,
// as they do while a network blip has cut the pool's connections.
type blippyStore struct {
	*postgis.DB
	down atomic.Bool
}

var errBlip = errors.New("FATAL: terminating connection due to administrator command (SQLSTATE 57P01)")

func (s *blippyStore) Update(ctx context.Context, fn func(tx mosaic.Tx) error) error {
	if s.down.Load() {
		return errBlip
	}
	return s.DB.Update(ctx, fn)
}

// blipTask fails, as a job does whose connection was cut, and leaves the
// store down for a moment, so that the write recording the failure fails
// too.
type blipTask struct{ store *blippyStore }

func (blipTask) Info() mosaic.TaskInfo { return mosaic.TaskInfo{Name: "Blip", DisplayName: "Blip"} }

func (blipTask) Validate(context.Context, mosaic.ReadTx, map[string]string) error { return nil }

func (b blipTask) Run(ctx context.Context, r *jobs.Run) error {
	b.store.down.Store(true)
	time.AfterFunc(500*time.Millisecond, func() { b.store.down.Store(false) })
	return errBlip
}

// TestClusterBlips checks that a job whose instance lives on reaches a
// terminal state however a blip cut its writes: when the write recording
// its failure fails too (the instance retries it), and when the instance
// claimed the job but does not run it (a claim whose commit was reported
// failed, though it committed: the instance fails it).
func TestClusterBlips(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db := clusterStore(t, "tessera_cluster_blip")
	store := &blippyStore{DB: db}
	e := startInstance(t, store, db.Pool(), "a", 2, jobs.Config{InstanceTimeout: time.Second}, blipTask{store})
	waitTerminal := func(id string) *mosaic.Job {
		t.Helper()
		deadline := time.Now().Add(20 * time.Second)
		for {
			j, err := e.Job(ctx, id)
			if err == nil && j.State.Terminal() {
				return j
			}
			if time.Now().After(deadline) {
				t.Fatalf("job %s on a live instance is still %s (%v) after 20 s:\n%s", id, j.State, err, msgs(j))
			}
			time.Sleep(20 * time.Millisecond)
		}
	}

	// The failure's record fails once: it is written again.
	j, err := e.Submit(ctx, "Blip", nil, gateAdmin)
	if err != nil {
		t.Fatal(err)
	}
	if j = waitTerminal(j.ID); j.State != mosaic.JobFailed {
		t.Errorf("job whose failure's record failed: %s\n%s", j.State, msgs(j))
	}

	// A job claimed by this instance that no worker here runs.
	err = db.Update(ctx, func(tx mosaic.Tx) error {
		j = &mosaic.Job{ID: mosaic.NewJobID(), Task: "Blip", State: mosaic.JobSubmitted, Inputs: map[string]string{},
			Priority: 2, Owner: "t", SubmittedAt: time.Now().UTC()}
		if err := tx.CreateJob(j); err != nil {
			return err
		}
		if _, err := tx.TransitionJob(j.ID, []mosaic.JobState{mosaic.JobSubmitted}, mosaic.JobExecuting); err != nil {
			return err
		}
		return tx.(jobs.ClusterTx).ClaimJob(j.ID, "a")
	})
	if err != nil {
		t.Fatal(err)
	}
	j = waitTerminal(j.ID)
	if j.State != mosaic.JobFailed || !strings.Contains(msgs(j), "changed nothing") {
		t.Errorf("job claimed here but not running: %s\n%s", j.State, msgs(j))
	}
}
