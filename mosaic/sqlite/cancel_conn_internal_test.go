package sqlite

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/paulmach/orb"

	"github.com/tessera-gis/tessera/mosaic"
)

// openFiles counts this process's file descriptors open on path (the
// database, its WAL and shared memory).
func openFiles(t *testing.T, path string) int {
	t.Helper()
	ents, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		t.Skip("no /proc/self/fd")
	}
	n := 0
	for _, e := range ents {
		if l, err := os.Readlink(filepath.Join("/proc/self/fd", e.Name())); err == nil && strings.HasPrefix(l, path) {
			n++
		}
	}
	return n
}

// TestAddItemsCancelledKeepsConnection: an add cancelled while its
// statements are prepared must not leave the writing connection to
// database/sql's asynchronous rollback, which discards the connection
// (mattn's SQLiteConn is no SessionResetter) under the item writer's
// driver statements: sqlite3_close_v2 then leaves a zombie handle, its
// files open and its memory held, for every cancelled ingest.
func TestAddItemsCancelledKeepsConnection(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "t.db")
	db, err := Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	c := &mosaic.Collection{Name: "C", SRS: mosaic.SpatialRef{WKID: 32633}}
	if err := db.Update(ctx, func(tx mosaic.Tx) error { return tx.CreateCollection(c) }); err != nil {
		t.Fatal(err)
	}
	items := make([]*mosaic.Item, 4000)
	for i := range items {
		x, y := float64(i%40)*100, float64(i/40)*100
		items[i] = &mosaic.Item{Path: fmt.Sprintf("/%d.tif", i),
			Footprint: orb.Polygon{{{x, y}, {x + 100, y}, {x + 100, y + 100}, {x, y + 100}, {x, y}}}}
	}
	// Warm up: the connections the pools keep.
	if err := db.View(ctx, func(tx mosaic.ReadTx) error { return nil }); err != nil {
		t.Fatal(err)
	}
	base := openFiles(t, path)
	cancelled := 0
	for round := 0; cancelled < 10 && round < 200; round++ {
		cctx, cancel := context.WithCancel(ctx)
		started := make(chan struct{})
		go func() { <-started; time.Sleep(time.Duration(round%7) * time.Millisecond); cancel() }()
		err := db.Update(cctx, func(tx mosaic.Tx) error {
			close(started)
			_, err := tx.AddItems(c, items, mosaic.AddOptions{})
			return err
		})
		cancel()
		switch {
		case err == nil:
			t.Fatalf("round %d: add not cancelled", round)
		case mosaic.ErrorCode(err) == mosaic.ECANCELED:
			cancelled++
		default:
			t.Fatalf("round %d: %v", round, err)
		}
	}
	var n int64
	if err := db.write.QueryRowContext(ctx, fmt.Sprintf(`SELECT count(*) FROM %s`, itemsTable(c))).Scan(&n); err != nil {
		t.Fatal(err)
	}
	if n != 0 {
		t.Errorf("%d items after cancelled adds, want 0", n)
	}
	if got := openFiles(t, path); got > base+2 {
		t.Errorf("%d files open on the database after %d cancelled adds, %d before: leaked connections", got, cancelled, base)
	}
}
