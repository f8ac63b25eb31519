package storetest

import (
	"fmt"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/paulmach/orb"

	"github.com/tessera-gis/tessera/mosaic"
)

var boundaryTests = []test{
	{"OverlappingRectangles", testOverlappingRectangles},
	{"TracksChanges", testBoundaryTracksChanges},
	{"GroupMixes", testBoundaryGroupMixes},
	{"UnknownPixelSizes", testUnknownPixelSizes},
	{"UpdateSkipsChangedParts", testUpdateBoundarySkipsChanged},
	{"Empty", testEmptyBoundary},
}

// refresh stores the stale parts as the engine does in the background and
// reports how many it stored.
func (b *bundle) refresh(t *testing.T) int {
	t.Helper()
	var p *mosaic.BoundaryPatch
	b.view(t, func(tx mosaic.ReadTx) (err error) {
		p, err = tx.StaleBoundary(b.c)
		return err
	})
	var n int
	b.update(t, func(tx mosaic.Tx) (err error) {
		n, err = tx.UpdateBoundary(b.c, p)
		return err
	})
	return n
}

func testOverlappingRectangles(t *testing.T, open Opener) {
	b := setup(t, open)
	r := rand.New(rand.NewPCG(1, 2)) // a case where simplefeatures' UnionMany leaves spurious holes
	var items []*mosaic.Item
	for i := range 32 {
		items = append(items, item(fmt.Sprintf("/src/%d.tif", i),
			rect(r.Float64()*200, r.Float64()*200, 50+r.Float64()*50, 50+r.Float64()*50), 1, 1))
	}
	b.add(t, items...)
	b.checkBoundary(t)
	b.refresh(t)
	b.checkBoundary(t)
}

// testBoundaryTracksChanges runs random deletes, restores, purges and adds
// and checks boundary, extent and cell sizes against brute force after
// each, with and without refreshes, for catalogs whose revisits share
// footprints and catalogs whose footprints all differ.
func testBoundaryTracksChanges(t *testing.T, open Opener) {
	for _, tc := range []struct {
		name   string
		jitter float64
	}{{"shared footprints", 0}, {"distinct footprints", 20}} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			b := setup(t, open)
			b.grid(t, 10, 8, 3, tc.jitter, 2)
			b.checkBoundary(t)
			r := rand.New(rand.NewPCG(3, 4))
			var jobs []string
			for step := range 12 {
				if step%2 == 0 {
					b.refresh(t)
				}
				switch op := r.IntN(5); op {
				case 0, 1: // delete a random selection, sometimes a whole region
					where := fmt.Sprintf("CloudCover < %d", r.IntN(60))
					if op == 1 {
						where = fmt.Sprintf("CenterX < %d AND CenterY > %d", r.IntN(1200), r.IntN(900))
					}
					job := fmt.Sprintf("job%d", step)
					b.mustDelete(t, mosaic.ItemDelete{Where: where, JobID: job, Purge: r.IntN(4) == 0})
					jobs = append(jobs, job)
				case 2: // restore one job, or by where
					r2 := mosaic.ItemRestore{Where: fmt.Sprintf("CloudCover > %d", r.IntN(100))}
					if len(jobs) > 0 && r.IntN(2) == 0 {
						r2 = mosaic.ItemRestore{JobID: jobs[r.IntN(len(jobs))]}
					}
					if _, err := b.restore(r2); err != nil {
						t.Fatal(err)
					}
				case 3: // add new tiles beside and over the grid
					x := float64(r.IntN(1400)) - 100
					b.add(t, item(fmt.Sprintf("/src/new%d.tif", step), rect(x, float64(r.IntN(900)), 150, 80), 5, step))
				case 4: // purge the whole recycle bin
					b.purge(t, time.Now().Add(time.Hour), 0)
				}
				b.checkBoundary(t)
			}
			b.mustDelete(t, mosaic.ItemDelete{Where: "1=1"})
			b.checkBoundary(t)
		})
	}
}

// testUpdateBoundarySkipsChanged checks that parts computed before a
// change are not stored over it.
func testUpdateBoundarySkipsChanged(t *testing.T, open Opener) {
	b := setup(t, open)
	b.grid(t, 10, 10, 1, 0, 1)
	var p *mosaic.BoundaryPatch
	b.view(t, func(tx mosaic.ReadTx) (err error) {
		p, err = tx.StaleBoundary(b.c)
		return err
	})
	if len(p.Cells) == 0 {
		t.Fatal("nothing stale after adding items")
	}
	b.mustDelete(t, mosaic.ItemDelete{Where: "CenterX < 300", Purge: true})
	var stored int
	b.update(t, func(tx mosaic.Tx) (err error) {
		stored, err = tx.UpdateBoundary(b.c, p)
		return err
	})
	if stored >= len(p.Cells) {
		t.Errorf("stored %d of %d parts, want the changed ones skipped", stored, len(p.Cells))
	}
	b.checkBoundary(t)
	// Storing the same patch again stores nothing; a fresh one finishes.
	b.update(t, func(tx mosaic.Tx) (err error) {
		stored, err = tx.UpdateBoundary(b.c, p)
		return err
	})
	if stored != 0 {
		t.Errorf("stored %d parts of a patch twice", stored)
	}
	b.refresh(t)
	if n := b.refresh(t); n != 0 {
		t.Errorf("a second refresh stored %d parts, want 0", n)
	}
	b.checkBoundary(t)
	// A patch of another collection is ignored.
	other := &mosaic.Collection{Name: "Other"}
	b.update(t, func(tx mosaic.Tx) (err error) {
		if err := tx.CreateCollection(other); err != nil {
			return err
		}
		stored, err = tx.UpdateBoundary(other, p)
		return err
	})
	if stored != 0 {
		t.Errorf("stored %d parts of another collection's patch", stored)
	}
}

func testEmptyBoundary(t *testing.T, open Opener) {
	b := setup(t, open)
	b.checkBoundary(t)
	b.view(t, func(tx mosaic.ReadTx) error {
		p, err := tx.StaleBoundary(b.c)
		if err == nil && len(p.Cells) != 0 {
			t.Errorf("stale parts of an empty collection: %v", p.Cells)
		}
		return err
	})
	b.grid(t, 2, 2, 1, 0, 1)
	b.refresh(t)
	b.mustDelete(t, mosaic.ItemDelete{Where: "1=1", Purge: true})
	b.checkBoundary(t)
}

// testUnknownPixelSizes: a LowPS or HighPS of 0 is unknown and counts for
// nothing in the summary's cell sizes, whether a cell's sizes were merged
// from added items or recomputed after a removal (here of an item on the
// cell's edge, beside one with LowPS 0).
func testUnknownPixelSizes(t *testing.T, open Opener) {
	b := setup(t, open)
	a := item("/src/a.tif", rect(0, 0, 10, 10), 1, 1) // LowPS 11, HighPS 41
	z := item("/src/z.tif", rect(0, 0, 10, 10), 1, 1)
	z.Attributes[mosaic.FieldNameLowPS], z.Attributes[mosaic.FieldNameHighPS] = 0.0, 0.0
	e := item("/src/e.tif", rect(0, 0, 12, 12), 1, 2) // LowPS 12, HighPS 42, on the cell's edges
	b.add(t, a, z, e)
	want := mosaic.Summary{Count: 3, Extent: orb.Bound{Max: orb.Point{12, 12}}, MinCellX: 11, MinCellY: 11, MaxCell: 42, BandCount: 1, PixelType: "U8"}
	if s := b.collection(t).Summary; s != want {
		t.Errorf("after adding: summary %+v, want %+v", s, want)
	}
	b.mustDelete(t, mosaic.ItemDelete{Where: "Path = '/src/e.tif'"})
	want.Count, want.Extent, want.MaxCell = 2, orb.Bound{Max: orb.Point{10, 10}}, 41
	if s := b.collection(t).Summary; s != want {
		t.Errorf("after deleting the item on the edges: summary %+v, want %+v", s, want)
	}
	// An item without pixel sizes alone in its cell: that cell's sizes are
	// unknown, not 0, and the collection's stay those of the others.
	far := item("/src/far.tif", rect(100000, 100000, 10, 10), 1, 1)
	far.Attributes[mosaic.FieldNameLowPS], far.Attributes[mosaic.FieldNameHighPS] = 0.0, 0.0
	b.add(t, far)
	want.Count, want.Extent = 3, orb.Bound{Max: orb.Point{100010, 100010}}
	if s := b.collection(t).Summary; s != want {
		t.Errorf("after adding an item without pixel sizes in a cell of its own: summary %+v, want %+v", s, want)
	}
}
