package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/tessera-gis/tessera/mosaic"
)

// A commit leaves the write-ahead log to the background checkpointer: the
// database file grows only when the checkpointer copies the log, and it
// then copies all of it.
func TestCheckpointInBackground(t *testing.T) {
	ctx := context.Background()
	db, path := openTestDB(t, `CREATE TABLE big (b BLOB) STRICT`)

	var pages int
	if err := db.write.QueryRowContext(ctx, `PRAGMA wal_autocheckpoint`).Scan(&pages); err != nil {
		t.Fatal(err)
	}
	if pages != walFallbackPages {
		t.Fatalf("the writer's wal_autocheckpoint is %d pages, want %d", pages, walFallbackPages)
	}

	// No checkpoint may run in the background while the commit is checked.
	db.ckpt.close()
	db.ckpt = nil
	before := fileSize(t, path)
	const blob = 8 << 20 // 2,048 pages: twice the mark at which SQLite checkpointed in the commit
	if err := db.Update(ctx, func(mtx mosaic.Tx) error {
		_, err := mtx.(*Tx).exec(`INSERT INTO big (b) VALUES (zeroblob(?))`, blob)
		return err
	}); err != nil {
		t.Fatal(err)
	}
	if got := fileSize(t, path); got > before+blob/4 {
		t.Fatalf("the commit copied the log into the database file (%d → %d bytes): it should be left to the checkpointer", before, got)
	}
	if wal := fileSize(t, path+"-wal"); wal < blob {
		t.Fatalf("the log holds %d bytes, want the %d-byte blob", wal, blob)
	}

	// Started again, the checkpointer copies the log when a commit kicks it.
	db.ckpt = newCheckpointer(db.write, 0)
	if err := db.Update(ctx, func(mtx mosaic.Tx) error {
		_, err := mtx.(*Tx).exec(`INSERT INTO big (b) VALUES (x'00')`)
		return err
	}); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(30 * time.Second)
	for fileSize(t, path) < before+blob && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	if got := fileSize(t, path); got < before+blob {
		t.Fatalf("after 30 s the database file holds %d bytes: the checkpointer did not copy the log", got)
	}
	log, copied, err := db.ckpt.checkpoint(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if log != copied {
		t.Fatalf("%d of the log's %d pages are in the database file", copied, log)
	}

	// Close stops it; the file then holds everything on its own.
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(path + "-wal"); err == nil || !strings.Contains(err.Error(), "no such file") {
		t.Fatalf("after Close the log remains (%v)", err)
	}
}

// openTestDB opens a new database in a temporary directory, closed when
// the test ends, with one table that create makes.
func openTestDB(t *testing.T, create string) (*DB, string) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "t.db")
	db, err := Open(context.Background(), path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	if err := db.Update(context.Background(), func(mtx mosaic.Tx) error {
		_, err := mtx.(*Tx).exec(create)
		return err
	}); err != nil {
		t.Fatal(err)
	}
	return db, path
}

func fileSize(t *testing.T, path string) int64 {
	t.Helper()
	st, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	return st.Size()
}

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
	db, path := openTestDB(t, `CREATE TABLE w (id INTEGER PRIMARY KEY, v BLOB)`)
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
	db, path := openTestDB(t, `CREATE TABLE big (b BLOB)`)
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

// Stopping the checkpointer does not wait for a write transaction that
// holds the writing connection the checkpointer is waiting for.
func TestCheckpointerStopsWhileWriterBusy(t *testing.T) {
	ctx := context.Background()
	db, _ := openTestDB(t, `CREATE TABLE t (x)`)
	held, release := make(chan struct{}), make(chan struct{})
	updated := make(chan error, 1)
	go func() {
		updated <- db.Update(ctx, func(mosaic.Tx) error {
			close(held)
			<-release
			return nil
		})
	}()
	<-held
	db.ckpt.notify() // it now waits for the connection
	time.Sleep(50 * time.Millisecond)
	stopped := make(chan struct{})
	go func() {
		db.ckpt.close()
		close(stopped)
	}()
	select {
	case <-stopped:
	case <-time.After(10 * time.Second):
		t.Error("stopping the checkpointer waited for the write transaction")
	}
	close(release)
	if err := <-updated; err != nil {
		t.Fatal(err)
	}
	<-stopped
}

// TestBulkAdd: an Update marked by mosaic.WithBulkAdd runs with the small
// page cache and temporary data in memory, and leaves the connection as
// it was, whether it commits or fails; other Updates keep the defaults.
func TestBulkAdd(t *testing.T) {
	ctx := context.Background()
	db, c := openWithCollection(t, "C")
	type querier interface {
		QueryRow(string, ...any) *sql.Row
	}
	pragmas := func(q querier) (cache, temp int) {
		if err := q.QueryRow(`PRAGMA cache_size`).Scan(&cache); err != nil {
			t.Fatal(err)
		}
		if err := q.QueryRow(`PRAGMA temp_store`).Scan(&temp); err != nil {
			t.Fatal(err)
		}
		return cache, temp
	}
	failed := errors.New("fails after adding")
	for round, tc := range []struct{ bulk, fail bool }{{true, false}, {true, true}, {false, false}} {
		uctx := ctx
		if tc.bulk {
			uctx = mosaic.WithBulkAdd(ctx)
		}
		err := db.Update(uctx, func(mtx mosaic.Tx) error {
			tx := mtx.(*Tx)
			if _, err := tx.AddItems(c, gridItems(round, 500), mosaic.AddOptions{}); err != nil {
				return err
			}
			cache, temp := pragmas(tx.tx)
			if want := [2]int{writerCache, 0}; tc.bulk {
				want = [2]int{-4096, 2}
				if [2]int{cache, temp} != want {
					t.Errorf("round %d: cache_size %d, temp_store %d in a bulk add; want %v", round, cache, temp, want)
				}
			} else if [2]int{cache, temp} != want {
				t.Errorf("round %d: cache_size %d, temp_store %d; want %v", round, cache, temp, want)
			}
			if tc.fail {
				return failed
			}
			return nil
		})
		if tc.fail != errors.Is(err, failed) {
			t.Fatalf("round %d: %v", round, err)
		}
		if cache, temp := pragmas(db.write); cache != writerCache || temp != 0 {
			t.Errorf("round %d: after: cache_size %d, temp_store %d; want %d, 0", round, cache, temp, writerCache)
		}
	}
	// A bulk add cancelled midway keeps nothing, as a failed one did
	// (round 1), and the next writer finds the defaults.
	cctx, cancel := context.WithCancel(mosaic.WithBulkAdd(ctx))
	err := db.Update(cctx, func(mtx mosaic.Tx) error {
		if _, err := mtx.AddItems(c, gridItems(3, 500), mosaic.AddOptions{}); err != nil {
			return err
		}
		cancel()
		_, err := mtx.AddItems(c, gridItems(4, 500), mosaic.AddOptions{})
		return err
	})
	cancel()
	if mosaic.ErrorCode(err) != mosaic.ECANCELED {
		t.Fatalf("cancelled bulk add: %v, want ECANCELED", err)
	}
	var n int
	if err := db.write.QueryRow(fmt.Sprintf(`SELECT count(*) FROM %s`, itemsTable(c))).Scan(&n); err != nil {
		t.Fatal(err)
	}
	if n != 1000 { // rounds 0 and 2 committed 500 each
		t.Errorf("%d items after a failed and a cancelled bulk add, want 1000", n)
	}
	if cache, temp := pragmas(db.write); cache != writerCache || temp != 0 {
		t.Errorf("after a cancelled bulk add: cache_size %d, temp_store %d; want %d, 0", cache, temp, writerCache)
	}
}

// When Close returns, the database file alone holds every commit, even
// with a background checkpoint interrupted by the close: a copy of the file
// (without its log) made right after Close has every row.
func TestCloseLeavesCompleteFile(t *testing.T) {
	ctx := context.Background()
	for round := range 5 {
		db, path := openTestDB(t, `CREATE TABLE t (x)`)
		for i := range 200 {
			if err := db.Update(ctx, func(mtx mosaic.Tx) error {
				_, err := mtx.(*Tx).exec(`INSERT INTO t VALUES (?)`, i)
				return err
			}); err != nil {
				t.Fatal(err)
			}
		}
		db.ckpt.notify() // a checkpoint under way as Close starts
		if err := db.Close(); err != nil {
			t.Fatal(err)
		}
		b, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		cp := filepath.Join(t.TempDir(), "copy.db")
		if err := os.WriteFile(cp, b, 0o600); err != nil {
			t.Fatal(err)
		}
		c, err := Open(ctx, cp)
		if err != nil {
			t.Fatal(err)
		}
		var n int
		err = c.read.QueryRowContext(ctx, `SELECT count(*) FROM t`).Scan(&n)
		c.Close()
		if err != nil || n != 200 {
			t.Fatalf("round %d: the file copied after Close has %d of 200 rows (%v)", round, n, err)
		}
	}
}
