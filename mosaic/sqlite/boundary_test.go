package sqlite_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"path/filepath"
	"testing"
	"time"

	"github.com/paulmach/orb"

	"github.com/tessera-gis/tessera/mosaic"
	"github.com/tessera-gis/tessera/mosaic/sqlite"
)

// testBundle is an open store with one collection.
type testBundle struct {
	ctx context.Context
	db  *sqlite.DB
	c   *mosaic.Collection
}

func setup(t *testing.T) *testBundle {
	t.Helper()
	ctx := context.Background()
	db, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "tessera.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	c := &mosaic.Collection{Name: "Test", SRS: mosaic.SpatialRef{WKID: 32633}}
	if err := db.Update(ctx, func(tx mosaic.Tx) error { return tx.CreateCollection(c) }); err != nil {
		t.Fatal(err)
	}
	return &testBundle{ctx: ctx, db: db, c: c}
}

// rect returns a w×h rectangle with its lower-left corner at (x, y).
func rect(x, y, w, h float64) orb.Polygon {
	return orb.Polygon{{{x, y}, {x + w, y}, {x + w, y + h}, {x, y + h}, {x, y}}}
}

// item returns an item with footprint fp and attribute values.
func item(path string, fp orb.Polygon, cloud float64, day int) *mosaic.Item {
	return &mosaic.Item{Path: path, Footprint: fp, Attributes: map[string]any{
		mosaic.FieldNameCloudCover:      cloud,
		mosaic.FieldNameAcquisitionDate: time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC).AddDate(0, 0, day),
		mosaic.FieldNameLowPS:           10.0 + float64(day%3),
		mosaic.FieldNameHighPS:          40.0 + float64(day%5),
	}}
}

func (b *testBundle) add(t *testing.T, items ...*mosaic.Item) []int64 {
	t.Helper()
	var res mosaic.AddResult
	err := b.db.Update(b.ctx, func(tx mosaic.Tx) (err error) {
		res, err = tx.AddItems(b.c, items, mosaic.AddOptions{})
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return res.OIDs
}

func (b *testBundle) delete(d mosaic.ItemDelete) (mosaic.DeleteResult, error) {
	var res mosaic.DeleteResult
	err := b.db.Update(b.ctx, func(tx mosaic.Tx) (err error) {
		res, err = tx.DeleteItems(b.c, d)
		return err
	})
	return res, err
}

// refresh stores the stale unions as the engine does in the background.
func (b *testBundle) refresh(t *testing.T) int {
	t.Helper()
	var p *mosaic.BoundaryPatch
	if err := b.db.View(b.ctx, func(tx mosaic.ReadTx) (err error) {
		p, err = tx.StaleBoundary(b.c)
		return err
	}); err != nil {
		t.Fatal(err)
	}
	var n int
	if err := b.db.Update(b.ctx, func(tx mosaic.Tx) (err error) {
		n, err = tx.UpdateBoundary(b.c, p)
		return err
	}); err != nil {
		t.Fatal(err)
	}
	return n
}

// grid adds a cols×rows grid of 100-unit tiles, revisits times each: the
// revisits of a tile share its footprint; jitter makes every footprint
// distinct.
func (b *testBundle) grid(t *testing.T, cols, rows, revisits int, jitter float64, seed uint64) []int64 {
	t.Helper()
	r := rand.New(rand.NewPCG(seed, 7))
	var items []*mosaic.Item
	for k := range revisits {
		for i := range cols * rows {
			x, y := float64(i%cols)*100, float64(i/cols)*100
			j := func() float64 { return (r.Float64()*2 - 1) * jitter }
			items = append(items, item(fmt.Sprintf("/src/t%d_%d.tif", i, k),
				rect(x+j(), y+j(), 100+j(), 100+j()), float64(r.IntN(100)), k))
		}
	}
	return b.add(t, items...)
}

// TestDeleteOfRevisitKeepsBoundary checks that deleting some revisits of a
// tile leaves its cell's stored union in place: nothing to recompute.
func TestDeleteOfRevisitKeepsBoundary(t *testing.T) {
	t.Parallel()
	b := setup(t)
	b.grid(t, 10, 10, 4, 0, 1)
	if n := b.refresh(t); n == 0 {
		t.Fatal("no cell unions stored")
	}
	if _, err := b.delete(mosaic.ItemDelete{Where: "AcquisitionDate < DATE '2024-01-03'"}); err != nil {
		t.Fatal(err)
	}
	if n := b.refresh(t); n != 0 {
		t.Errorf("%d cell unions recomputed after deleting revisits, want 0", n)
	}
	// Deleting the last revisits of some tiles does change it.
	if _, err := b.delete(mosaic.ItemDelete{Where: "CenterX < 200"}); err != nil {
		t.Fatal(err)
	}
	if n := b.refresh(t); n == 0 {
		t.Error("no cell union recomputed after removing whole tiles")
	}
}
