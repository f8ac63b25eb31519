package storetest

import (
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/paulmach/orb"

	"github.com/tessera-gis/tessera/mosaic"
)

var deleteTests = []test{
	{"DeleteItems", testDeleteItems},
	{"RecycledLeaveSpatialQueries", testDeleteSpatial},
	{"Restore", testRestoreItems},
	{"PurgeRecycled", testPurgeRecycled},
}

func testDeleteItems(t *testing.T, open Opener) {
	type want struct {
		code    string // error code, "" for success
		matched int64
		removed int64
		left    int // live items afterwards
	}
	tests := []struct {
		name string
		d    mosaic.ItemDelete
		want want
	}{
		{"where missing", mosaic.ItemDelete{}, want{code: mosaic.EINVALID, left: 12}},
		{"where blank", mosaic.ItemDelete{Where: "  "}, want{code: mosaic.EINVALID, left: 12}},
		{"unknown field", mosaic.ItemDelete{Where: "Nope = 1"}, want{code: mosaic.EINVALID, left: 12}},
		{"malformed where", mosaic.ItemDelete{Where: "CloudCover >"}, want{code: mosaic.EINVALID, left: 12}},
		{"1=1 removes every item", mosaic.ItemDelete{Where: "1=1"}, want{matched: 12, removed: 12}},
		{"where", mosaic.ItemDelete{Where: "OBJECTID <= 5"}, want{matched: 5, removed: 5, left: 7}},
		{"no match", mosaic.ItemDelete{Where: "OBJECTID > 100"}, want{left: 12}},
		{"strict, no match", mosaic.ItemDelete{Where: "OBJECTID > 100", Strict: true}, want{code: mosaic.EINVALID, left: 12}},
		{"objectIds AND where", mosaic.ItemDelete{Where: "OBJECTID > 2", ObjectIDs: []int64{1, 2, 3, 4}}, want{matched: 2, removed: 2, left: 10}},
		{"objectIds repeated", mosaic.ItemDelete{Where: "1=1", ObjectIDs: []int64{3, 3, 4}}, want{matched: 2, removed: 2, left: 10}},
		{"objectIds, one missing", mosaic.ItemDelete{Where: "1=1", ObjectIDs: []int64{1, 99}}, want{matched: 1, removed: 1, left: 11}},
		{"strict, one objectId missing", mosaic.ItemDelete{Where: "1=1", ObjectIDs: []int64{1, 99}, Strict: true}, want{code: mosaic.EINVALID, left: 12}},
		{"strict, all present", mosaic.ItemDelete{Where: "1=1", ObjectIDs: []int64{1, 2}, Strict: true}, want{matched: 2, removed: 2, left: 10}},
		{"dry run", mosaic.ItemDelete{Where: "OBJECTID <= 5", DryRun: true}, want{matched: 5, left: 12}},
		{"dry run, strict, no match", mosaic.ItemDelete{Where: "OBJECTID > 100", DryRun: true, Strict: true}, want{code: mosaic.EINVALID, left: 12}},
		{"purge", mosaic.ItemDelete{Where: "OBJECTID <= 5", Purge: true}, want{matched: 5, removed: 5, left: 7}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			b := setup(t, open)
			b.grid(t, 4, 3, 1, 0, 1)
			before := b.items(t, false)
			res, err := b.delete(tt.d)
			if got := mosaic.ErrorCode(err); got != tt.want.code {
				t.Fatalf("error %v (code %q), want code %q", err, got, tt.want.code)
			}
			if err == nil && (res.Matched != tt.want.matched || res.Removed != tt.want.removed || len(res.OIDs) != int(tt.want.matched)) {
				t.Errorf("result = %+v, want matched %d removed %d", res, tt.want.matched, tt.want.removed)
			}
			if !slices.IsSorted(res.OIDs) {
				t.Errorf("OIDs %v are not in order", res.OIDs)
			}
			after := b.items(t, false)
			if len(after) != tt.want.left {
				t.Errorf("%d live items left, want %d", len(after), tt.want.left)
			}
			recycled := b.items(t, true)
			switch {
			case err != nil || tt.d.DryRun || tt.d.Purge:
				if len(recycled) != 0 {
					t.Errorf("recycle bin has %d items, want none", len(recycled))
				}
			default:
				if len(recycled) != int(res.Removed) || !sameIDs(oids(recycled), res.OIDs) {
					t.Errorf("recycle bin holds %v, want %v", oids(recycled), res.OIDs)
				}
				for oid, it := range recycled {
					if it.Recycled == nil || it.Path != before[oid].Path {
						t.Errorf("recycled item %d = %+v", oid, it)
					}
				}
			}
			if err == nil && !tt.d.DryRun {
				for _, oid := range res.OIDs {
					if _, ok := after[oid]; ok {
						t.Errorf("item %d was reported removed but is live", oid)
					}
				}
			}
			b.view(t, func(tx mosaic.ReadTx) error {
				_, err := tx.Collection(mosaic.CollectionRef{Name: "Test"})
				return err
			})
			b.checkBoundary(t)
		})
	}
}

// testDeleteSpatial checks that neither recycled nor purged items match a
// live spatial query, and that purged items leave the recycle bin too.
func testDeleteSpatial(t *testing.T, open Opener) {
	b := setup(t, open)
	b.grid(t, 4, 3, 1, 0, 1)
	b.mustDelete(t, mosaic.ItemDelete{Where: "OBJECTID IN (1, 2)"})
	b.mustDelete(t, mosaic.ItemDelete{Where: "OBJECTID IN (3, 4)", Purge: true})
	page := b.query(t, mosaic.ItemQuery{Geometry: orb.Bound{Min: orb.Point{0, 0}, Max: orb.Point{400, 50}}, IDsOnly: true})
	if len(page.IDs) != 0 {
		t.Errorf("spatial query over removed items found %v", page.IDs)
	}
	page = b.query(t, mosaic.ItemQuery{Geometry: orb.Bound{Min: orb.Point{0, 0}, Max: orb.Point{400, 50}}, IDsOnly: true, Recycled: true})
	if !slices.Equal(page.IDs, []int64{1, 2}) {
		t.Errorf("spatial query over the recycle bin found %v, want [1 2]", page.IDs)
	}
	// Deleting recycled items again matches nothing.
	if res := b.mustDelete(t, mosaic.ItemDelete{Where: "OBJECTID IN (1, 2)"}); res.Matched != 0 {
		t.Errorf("deleting recycled items again matched %d", res.Matched)
	}
}

func testRestoreItems(t *testing.T, open Opener) {
	b := setup(t, open)
	b.grid(t, 5, 4, 2, 5, 1)
	before := b.items(t, false)
	d1 := b.mustDelete(t, mosaic.ItemDelete{Where: "CenterX < 200", JobID: "jobA"})
	d2 := b.mustDelete(t, mosaic.ItemDelete{Where: "CenterY > 250", JobID: "jobB"})
	if d1.Removed == 0 || d2.Removed == 0 {
		t.Fatalf("deletes removed %d and %d items", d1.Removed, d2.Removed)
	}
	b.checkBoundary(t)
	if _, err := b.restore(mosaic.ItemRestore{}); mosaic.ErrorCode(err) != mosaic.EINVALID {
		t.Errorf("restore without where or jobId: %v, want EINVALID", err)
	}
	if _, err := b.restore(mosaic.ItemRestore{Where: "Bogus = 1"}); mosaic.ErrorCode(err) != mosaic.EINVALID {
		t.Errorf("restore with a bad where: %v, want EINVALID", err)
	}
	res, err := b.restore(mosaic.ItemRestore{JobID: "jobA"})
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(res.OIDs, d1.OIDs) || res.Restored != int64(len(d1.OIDs)) {
		t.Errorf("restored %+v, want jobA's %v", res, d1.OIDs)
	}
	b.checkBoundary(t)
	res, err = b.restore(mosaic.ItemRestore{Where: "1=1", JobID: "jobA"})
	if err != nil || res.Restored != 0 {
		t.Errorf("restoring jobA again: %+v, %v; want nothing", res, err)
	}
	res, err = b.restore(mosaic.ItemRestore{Where: fmt.Sprintf("OBJECTID = %d", d2.OIDs[0])})
	if err != nil || !slices.Equal(res.OIDs, d2.OIDs[:1]) {
		t.Errorf("restore by where: %+v, %v", res, err)
	}
	b.checkBoundary(t)
	if _, err := b.restore(mosaic.ItemRestore{JobID: "jobB"}); err != nil {
		t.Fatal(err)
	}
	after := b.items(t, false)
	if !slices.Equal(oids(after), oids(before)) {
		t.Fatalf("after restoring everything: OIDs %v, want %v", oids(after), oids(before))
	}
	for oid, it := range before {
		got := after[oid]
		if got.Path != it.Path || fmt.Sprint(got.Attributes) != fmt.Sprint(it.Attributes) || !orb.Equal(got.Footprint, it.Footprint) {
			t.Errorf("item %d restored as %+v, want %+v", oid, got, it)
		}
		if got.Recycled != nil {
			t.Errorf("item %d still marked recycled", oid)
		}
	}
	if n := len(b.items(t, true)); n != 0 {
		t.Errorf("%d items left in the recycle bin", n)
	}
	b.checkBoundary(t)
}

func testPurgeRecycled(t *testing.T, open Opener) {
	b := setup(t, open)
	b.grid(t, 5, 4, 1, 0, 1)
	other := &mosaic.Collection{Name: "Other"}
	b.update(t, func(tx mosaic.Tx) error {
		if err := tx.CreateCollection(other); err != nil {
			return err
		}
		_, err := tx.AddItems(other, []*mosaic.Item{item("/src/o1.tif", rect(0, 0, 1, 1), 1, 1), item("/src/o2.tif", rect(0, 0, 1, 1), 1, 1)}, mosaic.AddOptions{})
		if err != nil {
			return err
		}
		_, err = tx.DeleteItems(other, mosaic.ItemDelete{Where: "1=1"})
		return err
	})
	b.mustDelete(t, mosaic.ItemDelete{Where: "OBJECTID <= 10"})
	if n := b.purge(t, time.Now().Add(-time.Hour), 0); n != 0 {
		t.Errorf("purged %d entries younger than the cut-off", n)
	}
	if n := b.purge(t, time.Now().Add(time.Hour), 4); n != 4 {
		t.Errorf("purged %d, want the limit 4", n)
	}
	if n := b.purge(t, time.Now().Add(time.Hour), 0); n != 8 {
		t.Errorf("purged %d, want the other 8", n)
	}
	if got := len(b.items(t, true)); got != 0 {
		t.Errorf("recycle bin has %d items", got)
	}
	if got := len(b.items(t, false)); got != 10 {
		t.Errorf("%d live items, want 10 (purge touches only the recycle bin)", got)
	}
	if _, err := b.restore(mosaic.ItemRestore{Where: "1=1"}); err != nil {
		t.Fatal(err)
	}
	if got := len(b.items(t, false)); got != 10 {
		t.Errorf("restore after purge brought back items: %d live", got)
	}
	b.checkBoundary(t)
}
