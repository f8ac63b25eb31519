package riverqueue_test

import (
	"context"
	"path/filepath"
	"sync/atomic"
	"testing"
	"time"

	"github.com/tessera-gis/tessera/mosaic"
	"github.com/tessera-gis/tessera/mosaic/sqlite"
	"github.com/tessera-gis/tessera/tasks/jobs"
	"github.com/tessera-gis/tessera/tasks/riverqueue"
)

// TestCommittedWakesTheQueue: with a poll interval of a minute, a job
// enqueued in a store transaction starts at once only because Committed
// wakes River's fetch loop.
func TestCommittedWakesTheQueue(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "t.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	q, err := riverqueue.NewSQLite(ctx, db.WriteDB(), riverqueue.Config{Workers: 1,
		FetchCooldown: time.Millisecond, FetchPollInterval: time.Minute})
	if err != nil {
		t.Fatal(err)
	}
	got := make(chan string, 4)
	if err := q.Start(ctx, func(ctx context.Context, id string) error { got <- id; return nil }); err != nil {
		t.Fatal(err)
	}
	defer q.Stop(ctx)
	// A first job, taken by River's startup fetch or by the wake-up: once
	// it is worked, the startup fetch has passed.
	if err := db.Update(ctx, func(tx mosaic.Tx) error { return q.Enqueue(ctx, tx, "j0", 2) }); err != nil {
		t.Fatal(err)
	}
	q.Committed()
	select {
	case <-got:
	case <-time.After(time.Minute):
		t.Fatal("the first job did not start")
	}

	for _, id := range []string{"ja", "jb"} {
		start := time.Now()
		err := db.Update(ctx, func(tx mosaic.Tx) error { return q.Enqueue(ctx, tx, id, 2) })
		if err != nil {
			t.Fatal(err)
		}
		q.Committed()
		select {
		case w := <-got:
			if w != id {
				t.Fatalf("worked %s, want %s", w, id)
			}
			if d := time.Since(start); d > 2*time.Second {
				t.Errorf("job %s started after %v", id, d)
			}
		case <-time.After(10 * time.Second):
			t.Fatalf("job %s did not start within 10s of Committed (poll interval 1m)", id)
		}
	}
}

// TestLaterWakesTheQueue: with a poll interval of a minute, a job held
// back (jobs.Later) is offered again soon after its delay, because the
// queue wakes River's fetch loop when it is due.
func TestLaterWakesTheQueue(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "t.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	q, err := riverqueue.NewSQLite(ctx, db.WriteDB(), riverqueue.Config{Workers: 1,
		FetchCooldown: time.Millisecond, FetchPollInterval: time.Minute})
	if err != nil {
		t.Fatal(err)
	}
	offers := make(chan time.Time, 4)
	var n atomic.Int32
	if err := q.Start(ctx, func(ctx context.Context, id string) error {
		offers <- time.Now()
		if n.Add(1) == 1 {
			return &jobs.Later{After: 50 * time.Millisecond}
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	defer q.Stop(ctx)
	if err := db.Update(ctx, func(tx mosaic.Tx) error { return q.Enqueue(ctx, tx, "j0", 2) }); err != nil {
		t.Fatal(err)
	}
	q.Committed()
	var first time.Time
	select {
	case first = <-offers:
	case <-time.After(time.Minute):
		t.Fatal("the job did not start")
	}
	select {
	case again := <-offers:
		if d := again.Sub(first); d < 50*time.Millisecond {
			t.Errorf("offered again after %v, before its delay of 50ms", d)
		}
	case <-time.After(20 * time.Second):
		t.Fatal("the held-back job was not offered again within 20s (poll interval 1m)")
	}
}
