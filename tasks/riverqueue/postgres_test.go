package riverqueue_test

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/tessera-gis/tessera/internal/pgtest"
	"github.com/tessera-gis/tessera/mosaic"
	"github.com/tessera-gis/tessera/mosaic/postgis"
	"github.com/tessera-gis/tessera/mosaic/sqlite"
	"github.com/tessera-gis/tessera/tasks/riverqueue"
)

// The stores' transactions are what the queues take.
var (
	_ riverqueue.SQLiteTx   = (*sqlite.Tx)(nil)
	_ riverqueue.PostgresTx = (*postgis.Tx)(nil)
)

// TestPostgresEnqueueInStoreTransaction checks on PostgreSQL that a job is
// queued if and only if the store transaction that records it commits,
// and that a committed job reaches a worker.
func TestPostgresEnqueueInStoreTransaction(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	pdb := pgtest.NewDatabase(t, "tessera_river_test")
	store, err := postgis.Open(ctx, pdb.DSN)
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()

	// Servers starting together migrate River's tables once.
	queues := make([]*riverqueue.PostgresQueue, 3)
	errs := make([]error, len(queues))
	var wg sync.WaitGroup
	for i := range queues {
		wg.Go(func() { queues[i], errs[i] = riverqueue.NewPostgres(ctx, store.Pool(), riverqueue.Config{Workers: 1}) })
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	q := queues[0]

	enqueue := func(id string, fail error) error {
		return store.Update(ctx, func(tx mosaic.Tx) error {
			if err := tx.CreateJob(&mosaic.Job{ID: id, Task: "T", State: mosaic.JobSubmitted}); err != nil {
				return err
			}
			if err := q.Enqueue(ctx, tx, id, 2); err != nil {
				return err
			}
			return fail
		})
	}
	if err := enqueue("committed", nil); err != nil {
		t.Fatal(err)
	}
	boom := errors.New("boom")
	if err := enqueue("rolledback", boom); !errors.Is(err, boom) {
		t.Fatalf("rolled-back enqueue: %v", err)
	}
	queued := func(id string) int {
		var n int
		if err := store.Pool().QueryRow(ctx, `SELECT count(*) FROM river_job WHERE args->>'job_id' = $1`, id).Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n
	}
	if n := queued("committed"); n != 1 {
		t.Errorf("committed job has %d River rows, want 1", n)
	}
	if n := queued("rolledback"); n != 0 {
		t.Errorf("rolled-back job has %d River rows, want 0", n)
	}
	if err := store.View(ctx, func(tx mosaic.ReadTx) error { _, err := tx.Job("rolledback"); return err }); mosaic.ErrorCode(err) != mosaic.ENOTFOUND {
		t.Errorf("rolled-back job record: %v, want ENOTFOUND", err)
	}
	// A non-PostgreSQL transaction is refused with an error.
	lite, err := sqlite.Open(ctx, t.TempDir()+"/t.db")
	if err != nil {
		t.Fatal(err)
	}
	defer lite.Close()
	if err := lite.Update(ctx, func(tx mosaic.Tx) error { return q.Enqueue(ctx, tx, "x", 2) }); err == nil {
		t.Error("a SQLite transaction was accepted by the PostgreSQL queue")
	}

	got := make(chan string, 4)
	if err := q.Start(ctx, func(ctx context.Context, id string) error { got <- id; return nil }); err != nil {
		t.Fatal(err)
	}
	defer q.Stop(ctx)
	select {
	case id := <-got:
		if id != "committed" {
			t.Errorf("worked %q, want committed", id)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("the committed job did not reach a worker within 30s")
	}
	// A job committed while the queue runs starts too (LISTEN/NOTIFY).
	if err := enqueue("later", nil); err != nil {
		t.Fatal(err)
	}
	select {
	case id := <-got:
		if id != "later" {
			t.Errorf("worked %q, want later", id)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("a job enqueued while running did not reach a worker within 30s")
	}
}

// TestPostgresLost checks which queued jobs Lost reports: those with no
// River job that will run, or whose River job runs on an instance not
// named live, or has run for longer than stale while its job is still
// queued (fetched by River, but the fetch's answer or the snooze was lost
// with a connection); never a waiting one, nor one that started running
// on a live instance just now.
func TestPostgresLost(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	pdb := pgtest.NewDatabase(t, "tessera_river_lost")
	store, err := postgis.Open(ctx, pdb.DSN)
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	q, err := riverqueue.NewPostgres(ctx, store.Pool(), riverqueue.Config{Workers: 1, ID: "alive"})
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		id      string
		enqueue bool
		running string // attempted_by of a running River job
		age     string // how long it has run
		lost    bool
	}{
		{"waiting", true, "", "", false},
		{"none", false, "", "", true},
		{"on-live", true, "alive", "0 s", false},
		{"on-dead", true, "dead", "0 s", true},
		{"stale-on-live", true, "alive", "1 minute", true},
	}
	var ids []string
	err = store.Update(ctx, func(tx mosaic.Tx) error {
		for _, tt := range tests {
			ids = append(ids, tt.id)
			if err := tx.CreateJob(&mosaic.Job{ID: tt.id, Task: "T", State: mosaic.JobSubmitted}); err != nil {
				return err
			}
			if tt.enqueue {
				if err := q.Enqueue(ctx, tx, tt.id, 2); err != nil {
					return err
				}
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	for _, tt := range tests {
		if tt.running != "" {
			if _, err := store.Pool().Exec(ctx, `UPDATE river_job SET state = 'running', attempted_at = now() - $3::interval, attempt = 1,
				attempted_by = ARRAY[$2::text] WHERE args->>'job_id' = $1`, tt.id, tt.running, tt.age); err != nil {
				t.Fatal(err)
			}
		}
	}
	var lost []string
	err = store.Update(ctx, func(tx mosaic.Tx) (err error) {
		lost, err = q.Lost(ctx, tx, ids, []string{"alive"}, 30*time.Second)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]bool{}
	for _, id := range lost {
		got[id] = true
	}
	for _, tt := range tests {
		if got[tt.id] != tt.lost {
			t.Errorf("%s: lost = %v, want %v", tt.id, got[tt.id], tt.lost)
		}
	}
}
