package sqlite

import (
	"context"
	"math"
	"path/filepath"
	"testing"

	"github.com/tessera-gis/tessera/mosaic"
	"github.com/tessera-gis/tessera/mosaic/internal/storesql"
)

// TestShapeCountsExtremeKeys: footprint keys are 64-bit hashes, passed to
// SQLite in a JSON array; the extremes of int64 come back exact, new
// footprints mark their cells stale, and counts that reach zero go.
func TestShapeCountsExtremeKeys(t *testing.T) {
	ctx := context.Background()
	db, err := Open(ctx, filepath.Join(t.TempDir(), "t.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	c := &mosaic.Collection{Name: "K", SRS: mosaic.SpatialRef{WKID: 32633}}
	if err := db.Update(ctx, func(tx mosaic.Tx) error { return tx.CreateCollection(c) }); err != nil {
		t.Fatal(err)
	}
	keys := []storesql.CellShape{{Cell: math.MinInt64, Key: math.MinInt64}, {Cell: math.MaxInt64, Key: math.MaxInt64},
		{Cell: -1, Key: math.MaxInt64 - 1}, {Cell: 0, Key: math.MinInt64 + 1}, {Cell: 1 << 53, Key: 1<<53 + 1}}
	apply := func(deltas map[storesql.CellShape]int64) map[int64]bool {
		t.Helper()
		var stale map[int64]bool
		if err := db.Update(ctx, func(tx mosaic.Tx) (err error) {
			stale, err = tx.(*Tx).cellDB(c).ApplyShapeCounts(deltas)
			return err
		}); err != nil {
			t.Fatal(err)
		}
		return stale
	}
	counts := func() map[storesql.CellShape]int64 {
		t.Helper()
		out := map[storesql.CellShape]int64{}
		rows, err := db.write.QueryContext(ctx, `SELECT cell, shape_key, count FROM cell_shapes WHERE collection_id = ?`, c.ID)
		if err != nil {
			t.Fatal(err)
		}
		defer rows.Close()
		for rows.Next() {
			var k storesql.CellShape
			var n int64
			if err := rows.Scan(&k.Cell, &k.Key, &n); err != nil {
				t.Fatal(err)
			}
			out[k] = n
		}
		return out
	}
	first := map[storesql.CellShape]int64{}
	for i, k := range keys {
		first[k] = int64(i + 1)
	}
	if stale := apply(first); len(stale) != len(keys) {
		t.Errorf("new footprints: stale cells %v, want all %d", stale, len(keys))
	}
	if got := counts(); len(got) != len(keys) {
		t.Fatalf("counts %v, want %v", got, first)
	} else {
		for k, n := range first {
			if got[k] != n {
				t.Errorf("count of %+v = %d, want %d", k, got[k], n)
			}
		}
	}
	// Adding to known footprints marks nothing; taking all of one away
	// marks its cell and drops its row.
	if stale := apply(map[storesql.CellShape]int64{keys[0]: 2, keys[1]: -1}); len(stale) != 0 {
		t.Errorf("known footprints: stale cells %v, want none", stale)
	}
	if stale := apply(map[storesql.CellShape]int64{keys[1]: -1}); !stale[keys[1].Cell] || len(stale) != 1 {
		t.Errorf("emptied footprint: stale cells %v, want {%d}", stale, keys[1].Cell)
	}
	got := counts()
	if _, ok := got[keys[1]]; ok || got[keys[0]] != 3 || len(got) != len(keys)-1 {
		t.Errorf("counts after changes %v", got)
	}
}
