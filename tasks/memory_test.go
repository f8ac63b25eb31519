package tasks

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/tessera-gis/tessera/mosaic"
	"github.com/tessera-gis/tessera/mosaic/sqlite"
)

// releaseMemory frees the store's caches and the heaps, leaves the store
// working, and does so even with a cancelled context (it runs after the
// job's outcome is committed).
func TestReleaseMemoryAfterJob(t *testing.T) {
	db, err := sqlite.Open(context.Background(), filepath.Join(t.TempDir(), "t.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	releaseMemory(ctx, db)
	if err := db.Update(context.Background(), func(tx mosaic.Tx) error {
		return tx.CreateCollection(&mosaic.Collection{Name: "After", SRS: mosaic.SpatialRef{WKID: 32633}})
	}); err != nil {
		t.Fatalf("store after releaseMemory: %v", err)
	}
}
