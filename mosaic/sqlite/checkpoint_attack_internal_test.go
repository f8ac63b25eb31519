package sqlite

import (
	"context"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/tessera-gis/tessera/mosaic"
)

func walSize(path string) int64 {
	st, err := os.Stat(path + "-wal")
	if err != nil {
		return 0
	}
	return st.Size()
}

// Many small commits back to back, with a reader now and then, keep the
// write-ahead log small, as SQLite's 1,000-page autocheckpoint did (the
// parent of 27618e2: 3.9 MiB with no readers, 13.8 MiB with two). A
// checkpoint on another connection seldom finishes between two commits,
// so the writer never finds the log fully copied at its next transaction
// and never starts it over: the log grows to walFallbackPages (64 MiB)
// and the file stays that large.
func TestWALStaysSmallUnderSustainedCommits(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "t.db")
	db, err := Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if err := db.Update(ctx, func(mtx mosaic.Tx) error {
		_, err := mtx.(*Tx).exec(`CREATE TABLE w (id INTEGER PRIMARY KEY, v BLOB)`)
		return err
	}); err != nil {
		t.Fatal(err)
	}
	stop := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() { // a reader with gaps: it never holds a snapshot for long
		defer wg.Done()
		for {
			select {
			case <-stop:
				return
			case <-time.After(2 * time.Millisecond):
			}
			_ = db.View(ctx, func(mtx mosaic.ReadTx) error {
				var n int
				return mtx.(*Tx).queryRow(`SELECT count(*) FROM w`).Scan(&n)
			})
		}
	}()
	const commits = 30000
	var maxWAL int64
	start := time.Now()
	for i := 0; i < commits; i++ {
		if err := db.Update(ctx, func(mtx mosaic.Tx) error {
			_, err := mtx.(*Tx).exec(`INSERT OR REPLACE INTO w (id, v) VALUES (?, randomblob(200))`, i%5000)
			return err
		}); err != nil {
			t.Fatal(err)
		}
		if s := walSize(path); s > maxWAL {
			maxWAL = s
		}
	}
	close(stop)
	wg.Wait()
	t.Logf("%d commits in %v: the log reached %.1f MiB", commits, time.Since(start).Round(time.Millisecond), float64(maxWAL)/(1<<20))
	if maxWAL > 24<<20 {
		t.Fatalf("the write-ahead log reached %d bytes (%.1f MiB) under %d small commits", maxWAL, float64(maxWAL)/(1<<20), commits)
	}
}

// Checkpoint leaves the file alone holding every commit (the log
// truncated), also right after a commit, when the background checkpointer
// runs: a TRUNCATE checkpoint that finds another connection checkpointing
// gets SQLITE_BUSY without waiting, which PRAGMA wal_checkpoint reports in
// its result row, not as an error, so Checkpoint returned nil with the
// log in place.
func TestCheckpointAfterCommitTruncatesLog(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "t.db")
	db, err := Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if err := db.Update(ctx, func(mtx mosaic.Tx) error {
		_, err := mtx.(*Tx).exec(`CREATE TABLE big (b BLOB)`)
		return err
	}); err != nil {
		t.Fatal(err)
	}
	failed := 0
	const rounds = 40
	for i := 0; i < rounds; i++ {
		if err := db.Update(ctx, func(mtx mosaic.Tx) error {
			_, err := mtx.(*Tx).exec(`INSERT INTO big (b) VALUES (randomblob(8 << 20))`)
			return err
		}); err != nil {
			t.Fatal(err)
		}
		// Let the checkpointer the commit kicked start, as a caller
		// doing anything in between would.
		time.Sleep(time.Duration(i%4) * 500 * time.Microsecond)
		if err := db.Checkpoint(ctx); err != nil {
			t.Logf("round %d: %v", i, err)
			failed++
			continue
		}
		if s := walSize(path); s != 0 {
			t.Logf("round %d: Checkpoint returned nil with a %d-byte log", i, s)
			failed++
		}
	}
	if failed > 0 {
		t.Fatalf("%d of %d Checkpoints right after a commit left the log in place", failed, rounds)
	}
}
