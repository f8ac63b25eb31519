package sqlite_test

import (
	"path/filepath"
	"testing"

	"github.com/tessera-gis/tessera/mosaic"
	"github.com/tessera-gis/tessera/mosaic/sqlite"
	"github.com/tessera-gis/tessera/mosaic/storetest"
)

// TestContract runs the store contract suite on SQLite, a new file per
// subtest.
func TestContract(t *testing.T) {
	storetest.Run(t, func(t *testing.T) mosaic.Store {
		db, err := sqlite.Open(t.Context(), filepath.Join(t.TempDir(), "tessera.db"))
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { db.Close() })
		return db
	})
}
