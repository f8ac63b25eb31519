package storetest

import (
	"context"
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"
	"time"

	"github.com/paulmach/orb"

	"github.com/tessera-gis/tessera/mosaic"
)

// Tests of adds of many items at once: stores write them in groups
// (SQLite 32 items per statement, PostGIS in batches), so the sizes
// around a group's edge, the duplicate modes that write one at a time,
// and failures in a later group are checked here.

// in returns a bundle on another collection of b's store.
func (b *bundle) in(c *mosaic.Collection) *bundle { return &bundle{ctx: b.ctx, db: b.db, c: c} }

// newCollection creates a collection named name in b's store.
func (b *bundle) newCollection(t *testing.T, name string) *bundle {
	t.Helper()
	c := &mosaic.Collection{Name: name, SRS: mosaic.SpatialRef{WKID: 32633}}
	b.update(t, func(tx mosaic.Tx) error { return tx.CreateCollection(c) })
	return b.in(c)
}

// testInsertGroups adds 0, 1, 31, 32, 33 and 65 items in one call, twice
// each: every item gets the next OID in input order, and its row, its
// spatial index entry and its raster are its own (a group written with
// its values shifted by one would pass a count).
func testInsertGroups(t *testing.T, open Opener) {
	b := setup(t, open)
	for _, n := range []int{0, 1, 31, 32, 33, 65} {
		g := b.newCollection(t, fmt.Sprintf("G%d", n))
		var all []*mosaic.Item
		for round := range 2 {
			items := make([]*mosaic.Item, n)
			for i := range items {
				it := item(fmt.Sprintf("/src/g%d_r%d_%d.tif", n, round, i), rect(float64(i)*100, float64(round)*100, 50, 50), float64(i%100), i)
				it.Raster.Width = 1000*round + i + 1
				items[i] = it
			}
			res, err := g.addErr(items, mosaic.AddOptions{})
			if err != nil {
				t.Fatalf("n=%d round %d: %v", n, round, err)
			}
			want := ids(int64(round*n+1), int64(round*n+n))
			if res.Added != n || !sameIDs(res.OIDs, want) || !sameIDs(itemOIDs(items), want) {
				t.Fatalf("n=%d round %d: added %d, OIDs %v, items' OIDs %v; want %v", n, round, res.Added, res.OIDs, itemOIDs(items), want)
			}
			all = append(all, items...)
		}
		live := g.items(t, false)
		if len(live) != len(all) {
			t.Fatalf("n=%d: %d live items, want %d", n, len(live), len(all))
		}
		for _, in := range all {
			got := live[in.OID]
			if got == nil || got.Path != in.Path || !orb.Equal(got.Footprint, in.Footprint) ||
				got.Attributes[mosaic.FieldNameCloudCover] != in.Attributes[mosaic.FieldNameCloudCover] {
				t.Errorf("n=%d: item %d = %+v, want path %s, footprint %v", n, in.OID, got, in.Path, in.Footprint)
				continue
			}
			g.view(t, func(tx mosaic.ReadTx) error {
				it, err := tx.Item(g.c, in.OID)
				if err == nil && it.Raster.Width != in.Raster.Width {
					t.Errorf("n=%d: item %d has the raster of width %d, want %d", n, in.OID, it.Raster.Width, in.Raster.Width)
				}
				return err
			})
			// A box inside the footprint and no other finds the item alone.
			c := in.Footprint.Bound().Center()
			box := orb.Bound{Min: orb.Point{c[0] - 5, c[1] - 5}, Max: orb.Point{c[0] + 5, c[1] + 5}}
			if ids := g.query(t, mosaic.ItemQuery{Geometry: box, IDsOnly: true}).IDs; !slices.Equal(ids, []int64{in.OID}) {
				t.Errorf("n=%d: spatial query inside item %d's footprint found %v", n, in.OID, ids)
			}
		}
		g.checkBoundary(t)
	}
}

// testOIDsNeverReusedMixes: OIDs keep increasing across restores of the
// highest items, purges of the highest (recycled, live, imported, in the
// same transaction as the next add), and in each collection on its own;
// an add rolled back hands out no OID that a later committed add
// repeats... except its own, which nobody saw.
func testOIDsNeverReusedMixes(t *testing.T, open Opener) {
	b := setup(t, open)
	b.grid(t, 8, 5, 1, 0, 1) // 1–40
	next := int64(41)
	addOne := func(what string) {
		t.Helper()
		got := b.add(t, item(fmt.Sprintf("/src/n%d.tif", next), rect(float64(next), 900, 10, 10), 1, 1))
		if !slices.Equal(got, []int64{next}) {
			t.Fatalf("%s: OID %v, want [%d]", what, got, next)
		}
		next++
	}
	// Recycled and restored: the items keep their OIDs, new ones follow.
	b.mustDelete(t, mosaic.ItemDelete{Where: "OBJECTID >= 39", JobID: "jA"})
	if res, err := b.restore(mosaic.ItemRestore{JobID: "jA"}); err != nil || !slices.Equal(res.OIDs, []int64{39, 40}) {
		t.Fatalf("restore: %+v, %v", res, err)
	}
	addOne("after a restore of the highest")
	// The highest recycled, then purged from the recycle bin.
	b.mustDelete(t, mosaic.ItemDelete{Where: fmt.Sprintf("OBJECTID = %d", next-1)})
	if n := b.purge(t, time.Now().Add(time.Hour), 0); n != 1 {
		t.Fatalf("purged %d", n)
	}
	addOne("after purging the highest from the recycle bin")
	// Purged and added in one transaction: a group of 33 after it.
	b.update(t, func(tx mosaic.Tx) error {
		if _, err := tx.DeleteItems(b.c, mosaic.ItemDelete{Where: fmt.Sprintf("OBJECTID = %d", next-1), Purge: true}); err != nil {
			return err
		}
		var items []*mosaic.Item
		for i := range 33 {
			items = append(items, item(fmt.Sprintf("/src/same%d.tif", i), rect(float64(i)*20, 1000, 10, 10), 1, i))
		}
		res, err := tx.AddItems(b.c, items, mosaic.AddOptions{})
		if err == nil && !sameIDs(res.OIDs, ids(next, next+32)) {
			t.Errorf("add after a purge in the same transaction: OIDs %v, want %d…%d", res.OIDs, next, next+32)
		}
		return err
	})
	next += 33
	b.mustDelete(t, mosaic.ItemDelete{Where: fmt.Sprintf("OBJECTID >= %d", next-5), Purge: true})
	addOne("after purging the highest five")
	// Imported items far above, recycled and then purged, still count.
	imp := []*mosaic.Item{item("/src/imp1.tif", rect(0, 2000, 10, 10), 1, 1), item("/src/imp2.tif", rect(20, 2000, 10, 10), 1, 1)}
	imp[0].OID, imp[1].OID = 1000, 1002
	imp[1].Recycled = &mosaic.Recycled{At: time.Now().Add(-time.Minute), JobID: "jImp"}
	b.update(t, func(tx mosaic.Tx) error { return tx.ImportItems(b.c, imp) })
	b.mustDelete(t, mosaic.ItemDelete{Where: "OBJECTID = 1000", Purge: true})
	if n := b.purge(t, time.Now().Add(time.Hour), 0); n != 1 {
		t.Fatalf("purged %d imported items, want 1", n)
	}
	next = 1003
	addOne("after purging imported items")
	// A rolled-back add.
	err := b.db.Update(b.ctx, func(tx mosaic.Tx) error {
		if _, err := tx.AddItems(b.c, []*mosaic.Item{item("/src/lost.tif", rect(0, 0, 1, 1), 1, 1)}, mosaic.AddOptions{}); err != nil {
			return err
		}
		return errRollback
	})
	if err != errRollback {
		t.Fatal(err)
	}
	got := b.add(t, item("/src/after-rollback.tif", rect(0, 0, 1, 1), 1, 1))
	if len(got) != 1 || got[0] < next {
		t.Fatalf("OID after a rolled-back add: %v, want ≥ %d", got, next)
	}
	next = got[0] + 1
	// Another collection counts from 1, and its adds leave this one's
	// OIDs alone.
	o := b.newCollection(t, "Other")
	if got := o.add(t, item("/src/o1.tif", rect(0, 0, 1, 1), 1, 1), item("/src/o2.tif", rect(0, 0, 1, 1), 1, 1)); !slices.Equal(got, []int64{1, 2}) {
		t.Errorf("OIDs of another collection: %v, want [1 2]", got)
	}
	addOne("after adds to another collection")
	b.checkBoundary(t)
}

// testDuplicatesInGroups adds more items than a group with EXCLUDE and
// OVERWRITE, with paths repeated within the add as well as paths already
// live: each later item sees the ones before it.
func testDuplicatesInGroups(t *testing.T, open Opener) {
	b := setup(t, open)
	var first []*mosaic.Item
	for i := range 40 {
		first = append(first, item(fmt.Sprintf("/src/p%d.tif", i), rect(float64(i%8)*100, float64(i/8)*100, 100, 100), 1, i))
	}
	b.add(t, first...)
	// EXCLUDE: p20–p39 are live, p50 comes three times: 50 of 73 added.
	var more []*mosaic.Item
	for i := 20; i < 90; i++ {
		more = append(more, item(fmt.Sprintf("/src/p%d.tif", i), rect(float64(i%8)*100, float64(i/8)*100, 100, 100), 2, i))
		if i == 50 || i == 70 {
			more = append(more, item("/src/p50.tif", rect(900, 900, 10, 10), 3, i))
		}
	}
	res, err := b.addErr(more, mosaic.AddOptions{Duplicates: mosaic.DuplicatesExclude})
	if err != nil || res.Added != 50 || res.Skipped != 22 || !sameIDs(res.OIDs, ids(41, 90)) {
		t.Fatalf("EXCLUDE: added %d, skipped %d, OIDs %v, %v; want 50 added as 41…90, 22 skipped", res.Added, res.Skipped, res.OIDs, err)
	}
	if n := b.query(t, mosaic.ItemQuery{Where: "Path = '/src/p50.tif'", CountOnly: true}).Count; n != 1 {
		t.Errorf("EXCLUDE: %d items with path p50, want 1", n)
	}
	b.checkBoundary(t)
	// OVERWRITE: p0–p39 again, each twice in a row with the same
	// footprint, and p5 once more at the end with another one.
	var again []*mosaic.Item
	for i := range 40 {
		for k := range 2 {
			again = append(again, item(fmt.Sprintf("/src/p%d.tif", i), rect(float64(i%8)*100+5, float64(i/8)*100, 100, 100), float64(10+k), i))
		}
	}
	again = append(again, item("/src/p5.tif", rect(5000, 5000, 100, 100), 50, 1))
	res, err = b.addErr(again, mosaic.AddOptions{Duplicates: mosaic.DuplicatesOverwrite})
	if err != nil || res.Added != 81 || res.Overwritten != 81 || !sameIDs(res.OIDs, ids(91, 171)) {
		t.Fatalf("OVERWRITE: added %d, overwritten %d, OIDs %v, %v; want 81 and 81 as 91…171", res.Added, res.Overwritten, res.OIDs, err)
	}
	live := b.items(t, false)
	if len(live) != 90 {
		t.Errorf("%d live items after OVERWRITE, want 90 (one per path)", len(live))
	}
	paths := map[string]*mosaic.Item{}
	for _, it := range live {
		if paths[it.Path] != nil {
			t.Errorf("path %s is live twice", it.Path)
		}
		paths[it.Path] = it
	}
	if it := paths["/src/p5.tif"]; it == nil || it.OID != 171 || it.Attributes[mosaic.FieldNameCloudCover] != 50.0 {
		t.Errorf("p5 = %+v, want the last one, OID 171", it)
	}
	if it := paths["/src/p6.tif"]; it == nil || it.Attributes[mosaic.FieldNameCloudCover] != 11.0 {
		t.Errorf("p6 = %+v, want the second of its pair", it)
	}
	if n := len(b.items(t, true)); n != 0 {
		t.Errorf("OVERWRITE left %d items in the recycle bin", n)
	}
	b.checkBoundary(t)
	b.refresh(t)
	b.checkBoundary(t)
}

// testFailedGroupAdd: an add that fails in its third group of items, or
// is cancelled after an add of hundreds in the same transaction, or fails
// after OVERWRITE replaced items, keeps nothing: no items, no OIDs taken,
// the boundary as before.
func testFailedGroupAdd(t *testing.T, open Opener) {
	b := setup(t, open)
	a := item("/src/a.tif", rect(0, 0, 100, 100), 1, 1)
	b.add(t, a, item("/src/b.tif", rect(100, 0, 100, 100), 1, 2))
	b.refresh(t)
	many := func(n int, prefix string) []*mosaic.Item {
		var out []*mosaic.Item
		for i := range n {
			out = append(out, item(fmt.Sprintf("/src/%s%d.tif", prefix, i), rect(float64(i%30)*100, 1000+float64(i/30)*100, 100, 100), 1, i))
		}
		return out
	}
	bad := many(70, "x")
	bad[66].Attributes[mosaic.FieldNameCloudCover] = "cloudy"
	_, err := b.addErr(bad, mosaic.AddOptions{})
	wantCode(t, "add failing at item 67", err, mosaic.EINVALID)
	// OVERWRITE of a and b, then a failure.
	over := []*mosaic.Item{item("/src/a.tif", rect(500, 500, 10, 10), 9, 1), item("/src/b.tif", rect(500, 500, 10, 10), 9, 1), {Path: "/src/nofootprint.tif"}}
	_, err = b.addErr(over, mosaic.AddOptions{Duplicates: mosaic.DuplicatesOverwrite})
	wantCode(t, "OVERWRITE then a failure", err, mosaic.EINVALID)
	// Cancelled between two adds of 300.
	ctx, cancel := context.WithCancel(b.ctx)
	defer cancel()
	err = b.db.Update(ctx, func(tx mosaic.Tx) error {
		if _, err := tx.AddItems(b.c, many(300, "y"), mosaic.AddOptions{}); err != nil {
			return err
		}
		cancel()
		_, err := tx.AddItems(b.c, many(300, "z"), mosaic.AddOptions{})
		return err
	})
	wantCode(t, "cancelled add", err, mosaic.ECANCELED)
	live := b.items(t, false)
	if !slices.Equal(oids(live), []int64{1, 2}) || live[1].Path != "/src/a.tif" || !orb.Equal(live[1].Footprint, a.Footprint) {
		t.Errorf("live items after failed adds: %v", oids(live))
	}
	if n := len(b.items(t, true)); n != 0 {
		t.Errorf("%d items in the recycle bin after failed adds", n)
	}
	b.view(t, func(tx mosaic.ReadTx) error {
		p, err := tx.StaleBoundary(b.c)
		if err == nil && len(p.Cells) != 0 {
			t.Errorf("failed adds left stale boundary cells %v", p.Cells)
		}
		return err
	})
	b.checkBoundary(t)
	if got := b.add(t, item("/src/c.tif", rect(0, 0, 1, 1), 1, 1)); !slices.Equal(got, []int64{3}) {
		t.Errorf("OID after failed adds: %v, want [3]", got)
	}
}

// testBoundaryGroupMixes runs random adds of up to 70 items (revisits
// with identical footprints, sometimes with EXCLUDE or OVERWRITE),
// deletes, restores and purges, and checks the boundary, extent, count
// and cell sizes after each.
func testBoundaryGroupMixes(t *testing.T, open Opener) {
	b := setup(t, open)
	r := rand.New(rand.NewPCG(7, 8))
	var jobs []string
	serial := 0
	for step := range 24 {
		if step%3 == 0 {
			b.refresh(t)
		}
		switch op := r.IntN(6); op {
		case 0, 1: // add: tiles of a 6×4 grid, identical footprints per tile
			n := []int{1, 31, 32, 33, 70}[r.IntN(5)]
			var items []*mosaic.Item
			for range n {
				tile := r.IntN(24)
				path := fmt.Sprintf("/src/tile%d_%d.tif", tile, r.IntN(3)) // paths repeat
				if r.IntN(4) == 0 {
					serial++
					path = fmt.Sprintf("/src/u%d.tif", serial)
				}
				items = append(items, item(path, rect(float64(tile%6)*100, float64(tile/6)*100, 100, 100), float64(r.IntN(100)), r.IntN(9)))
			}
			opts := mosaic.AddOptions{Duplicates: []mosaic.DuplicateAction{mosaic.DuplicatesAllow, mosaic.DuplicatesExclude, mosaic.DuplicatesOverwrite}[r.IntN(3)]}
			if _, err := b.addErr(items, opts); err != nil {
				t.Fatalf("step %d: add %d (%v): %v", step, n, opts.Duplicates, err)
			}
		case 2: // delete
			job := fmt.Sprintf("job%d", step)
			b.mustDelete(t, mosaic.ItemDelete{Where: fmt.Sprintf("CloudCover < %d", r.IntN(50)), JobID: job, Purge: r.IntN(3) == 0})
			jobs = append(jobs, job)
		case 3: // restore
			if len(jobs) > 0 {
				if _, err := b.restore(mosaic.ItemRestore{JobID: jobs[r.IntN(len(jobs))]}); err != nil {
					t.Fatal(err)
				}
			}
		case 4: // purge the recycle bin
			b.purge(t, time.Now().Add(time.Hour), 0)
		case 5: // delete one tile's items
			tile := r.IntN(24)
			b.mustDelete(t, mosaic.ItemDelete{Where: fmt.Sprintf("CenterX = %d AND CenterY = %d", tile%6*100+50, tile/6*100+50), JobID: fmt.Sprintf("tile%d", step)})
			jobs = append(jobs, fmt.Sprintf("tile%d", step))
		}
		b.checkBoundary(t)
	}
	b.refresh(t)
	b.checkBoundary(t)
	b.mustDelete(t, mosaic.ItemDelete{Where: "1=1"})
	b.checkBoundary(t)
}

// testSameItemTwice adds one *Item several times in a call, as a caller
// retrying part of a list might: each occurrence is an item of its own
// with the next OID, and the Item ends with the last one's.
func testSameItemTwice(t *testing.T, open Opener) {
	b := setup(t, open)
	a := item("/src/a.tif", rect(0, 0, 10, 10), 1, 1)
	res, err := b.addErr([]*mosaic.Item{a, a}, mosaic.AddOptions{})
	if err != nil || res.Added != 2 || !slices.Equal(res.OIDs, []int64{1, 2}) || a.OID != 2 {
		t.Fatalf("the same item twice: %+v, %v, its OID %d; want OIDs 1 and 2", res, err, a.OID)
	}
	// Across a group's edge: 40 times one item, then another.
	var many []*mosaic.Item
	for range 40 {
		many = append(many, a)
	}
	z := item("/src/z.tif", rect(20, 0, 10, 10), 1, 1)
	many = append(many, z)
	res, err = b.addErr(many, mosaic.AddOptions{})
	if err != nil || res.Added != 41 || !slices.Equal(res.OIDs, ids(3, 43)) || a.OID != 42 || z.OID != 43 {
		t.Fatalf("one item 40 times: added %d, OIDs %v, %v; its OID %d, the next's %d", res.Added, res.OIDs, err, a.OID, z.OID)
	}
	live := b.items(t, false)
	if len(live) != 43 || live[43].Path != "/src/z.tif" || live[42].Path != "/src/a.tif" {
		t.Errorf("%d live items, 42 = %v, 43 = %v", len(live), live[42], live[43])
	}
	b.checkBoundary(t)
}
