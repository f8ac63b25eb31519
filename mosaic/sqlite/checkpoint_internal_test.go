package sqlite

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/tessera-gis/tessera/mosaic"
)

// A commit leaves the write-ahead log to the background checkpointer: the
// database file grows only when the checkpointer copies the log, and it
// then copies all of it.
func TestCheckpointInBackground(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "t.db")
	db, err := Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()

	var pages int
	if err := db.write.QueryRowContext(ctx, `PRAGMA wal_autocheckpoint`).Scan(&pages); err != nil {
		t.Fatal(err)
	}
	if pages != walFallbackPages {
		t.Fatalf("the writer's wal_autocheckpoint is %d pages, want %d", pages, walFallbackPages)
	}

	// No checkpoint may run in the background while the commit is checked.
	if err := db.ckpt.close(); err != nil {
		t.Fatal(err)
	}
	db.ckpt = nil
	before := fileSize(t, path)
	const blob = 8 << 20 // 2,048 pages: twice the mark at which SQLite checkpointed in the commit
	if err := db.Update(ctx, func(mtx mosaic.Tx) error {
		tx := mtx.(*Tx)
		if _, err := tx.exec(`CREATE TABLE big (b BLOB) STRICT`); err != nil {
			return err
		}
		_, err := tx.exec(`INSERT INTO big (b) VALUES (zeroblob(?))`, blob)
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

func fileSize(t *testing.T, path string) int64 {
	t.Helper()
	st, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	return st.Size()
}
