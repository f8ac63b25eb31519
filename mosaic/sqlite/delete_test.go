package sqlite_test

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/planar"

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

func (b *testBundle) restore(r mosaic.ItemRestore) (mosaic.RestoreResult, error) {
	var res mosaic.RestoreResult
	err := b.db.Update(b.ctx, func(tx mosaic.Tx) (err error) {
		res, err = tx.RestoreItems(b.c, r)
		return err
	})
	return res, err
}

// items returns every item, live or recycled, by OID.
func (b *testBundle) items(t *testing.T, recycled bool) map[int64]*mosaic.Item {
	t.Helper()
	out := map[int64]*mosaic.Item{}
	err := b.db.View(b.ctx, func(tx mosaic.ReadTx) error {
		page, err := tx.QueryItems(b.c, mosaic.ItemQuery{OutFields: "*", ReturnGeometry: true, Recycled: recycled})
		if err != nil {
			return err
		}
		for _, it := range page.Items {
			out[it.OID] = it
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func oids(m map[int64]*mosaic.Item) []int64 {
	var out []int64
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}

// checkBoundary compares the store's boundary, extent, count and cell sizes
// with ones computed by brute force from the live items.
func (b *testBundle) checkBoundary(t *testing.T) {
	t.Helper()
	live := b.items(t, false)
	var (
		extent orb.Bound
		minPS  = math.Inf(1)
		maxPS  float64
	)
	for _, it := range live {
		if extent.IsZero() {
			extent = it.Footprint.Bound()
		} else {
			extent = extent.Union(it.Footprint.Bound())
		}
		minPS = math.Min(minPS, it.Attributes[mosaic.FieldNameLowPS].(float64))
		maxPS = math.Max(maxPS, it.Attributes[mosaic.FieldNameHighPS].(float64))
	}
	var (
		c   *mosaic.Collection
		got orb.MultiPolygon
	)
	err := b.db.View(b.ctx, func(tx mosaic.ReadTx) (err error) {
		if c, err = tx.Collection(mosaic.CollectionRef{Name: b.c.Name}); err != nil {
			return err
		}
		got, err = tx.Boundary(c)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	if c.Summary.Count != int64(len(live)) {
		t.Errorf("summary count = %d, want %d", c.Summary.Count, len(live))
	}
	if len(live) == 0 {
		if len(got) != 0 {
			t.Errorf("boundary of an empty collection = %v", got)
		}
		return
	}
	if c.Summary.Extent != extent {
		t.Errorf("extent = %v, want %v", c.Summary.Extent, extent)
	}
	if c.Summary.MinCellX != minPS || c.Summary.MaxCell != maxPS {
		t.Errorf("cell sizes = %v..%v, want %v..%v", c.Summary.MinCellX, c.Summary.MaxCell, minPS, maxPS)
	}
	if bad := compareCoverage(live, got, extent); bad != "" {
		t.Error(bad)
	}
}

// compareCoverage samples a grid of points over extent and reports the
// first point where boundary and the union of the live footprints
// disagree, by planar containment: an oracle independent of the geometry
// library the store uses.
func compareCoverage(live map[int64]*mosaic.Item, boundary orb.MultiPolygon, extent orb.Bound) string {
	const n = 60
	w, h := extent.Max[0]-extent.Min[0], extent.Max[1]-extent.Min[1]
	for i := range n {
		for j := range n {
			// Irrational offsets keep samples off the footprints' edges.
			p := orb.Point{extent.Min[0] + w*(float64(i)+0.5+0.1*math.Sqrt2)/n, extent.Min[1] + h*(float64(j)+0.5-0.1*math.Pi/4)/n}
			in := false
			for _, it := range live {
				if it.Footprint.Bound().Contains(p) && planar.PolygonContains(it.Footprint, p) {
					in = true
					break
				}
			}
			if got := planar.MultiPolygonContains(boundary, p); got != in {
				return fmt.Sprintf("point %v: in boundary %v, in a live footprint %v", p, got, in)
			}
		}
	}
	return ""
}

// TestUnionOfOverlappingRectangles is the case where simplefeatures'
// UnionMany returns spurious holes; the store's boundary must not.
func TestUnionOfOverlappingRectangles(t *testing.T) {
	t.Parallel()
	b := setup(t)
	r := rand.New(rand.NewPCG(1, 2))
	var items []*mosaic.Item
	for i := range 32 {
		items = append(items, item(fmt.Sprintf("/src/%d.tif", i),
			rect(r.Float64()*200, r.Float64()*200, 50+r.Float64()*50, 50+r.Float64()*50), 1, 1))
	}
	b.add(t, items...)
	b.checkBoundary(t)
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

func TestDeleteItems(t *testing.T) {
	t.Parallel()
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
			b := setup(t)
			b.grid(t, 4, 3, 1, 0, 1)
			before := b.items(t, false)
			res, err := b.delete(tt.d)
			if got := mosaic.ErrorCode(err); got != tt.want.code {
				t.Fatalf("error %v (code %q), want code %q", err, got, tt.want.code)
			}
			if err == nil && (res.Matched != tt.want.matched || res.Removed != tt.want.removed || len(res.OIDs) != int(tt.want.matched)) {
				t.Errorf("result = %+v, want matched %d removed %d", res, tt.want.matched, tt.want.removed)
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
				if len(recycled) != int(res.Removed) || !slices.Equal(oids(recycled), res.OIDs) {
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
			// The collection itself always stays.
			if err := b.db.View(b.ctx, func(tx mosaic.ReadTx) error {
				_, err := tx.Collection(mosaic.CollectionRef{Name: "Test"})
				return err
			}); err != nil {
				t.Errorf("collection: %v", err)
			}
			b.checkBoundary(t)
		})
	}
}

// TestDeleteSpatialIndex checks that purged items leave the R*Tree and that
// recycled ones never match a spatial query.
func TestDeleteSpatialIndex(t *testing.T) {
	t.Parallel()
	b := setup(t)
	b.grid(t, 4, 3, 1, 0, 1)
	if _, err := b.delete(mosaic.ItemDelete{Where: "OBJECTID IN (1, 2)"}); err != nil {
		t.Fatal(err)
	}
	if _, err := b.delete(mosaic.ItemDelete{Where: "OBJECTID IN (3, 4)", Purge: true}); err != nil {
		t.Fatal(err)
	}
	err := b.db.View(b.ctx, func(tx mosaic.ReadTx) error {
		page, err := tx.QueryItems(b.c, mosaic.ItemQuery{Geometry: orb.Bound{Min: orb.Point{0, 0}, Max: orb.Point{400, 50}}, IDsOnly: true})
		if err != nil {
			return err
		}
		if len(page.IDs) != 0 {
			t.Errorf("spatial query over removed items found %v", page.IDs)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if got := len(b.items(t, true)); got != 2 {
		t.Errorf("recycle bin has %d items, want 2 (purged items are gone)", got)
	}
}

// TestBoundaryTracksChanges runs random deletes, restores, purges and adds
// and checks boundary, extent and cell sizes against brute force after
// each, with and without background refreshes, for catalogs whose revisits
// share footprints and catalogs whose footprints all differ.
func TestBoundaryTracksChanges(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name   string
		jitter float64
	}{{"shared footprints", 0}, {"distinct footprints", 20}} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			b := setup(t)
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
					if _, err := b.delete(mosaic.ItemDelete{Where: where, JobID: job, Purge: r.IntN(4) == 0}); err != nil {
						t.Fatal(err)
					}
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
					if err := b.db.Update(b.ctx, func(tx mosaic.Tx) error {
						_, err := tx.PurgeRecycled(time.Now().Add(time.Hour), 0)
						return err
					}); err != nil {
						t.Fatal(err)
					}
				}
				b.checkBoundary(t)
			}
			if _, err := b.delete(mosaic.ItemDelete{Where: "1=1"}); err != nil {
				t.Fatal(err)
			}
			b.checkBoundary(t)
		})
	}
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
	b.checkBoundary(t)
	// Deleting the last revisits of some tiles does change it.
	if _, err := b.delete(mosaic.ItemDelete{Where: "CenterX < 200"}); err != nil {
		t.Fatal(err)
	}
	if n := b.refresh(t); n == 0 {
		t.Error("no cell union recomputed after removing whole tiles")
	}
	b.checkBoundary(t)
}

// TestUpdateBoundarySkipsChangedCells checks that unions computed before a
// change are not stored over it.
func TestUpdateBoundarySkipsChangedCells(t *testing.T) {
	t.Parallel()
	b := setup(t)
	b.grid(t, 10, 10, 1, 0, 1)
	var p *mosaic.BoundaryPatch
	if err := b.db.View(b.ctx, func(tx mosaic.ReadTx) (err error) {
		p, err = tx.StaleBoundary(b.c)
		return err
	}); err != nil {
		t.Fatal(err)
	}
	if len(p.Cells) == 0 {
		t.Fatal("no stale cells after adding items")
	}
	if _, err := b.delete(mosaic.ItemDelete{Where: "CenterX < 300", Purge: true}); err != nil {
		t.Fatal(err)
	}
	var stored int
	if err := b.db.Update(b.ctx, func(tx mosaic.Tx) (err error) {
		stored, err = tx.UpdateBoundary(b.c, p)
		return err
	}); err != nil {
		t.Fatal(err)
	}
	if stored >= len(p.Cells) {
		t.Errorf("stored %d of %d unions, want the changed cells skipped", stored, len(p.Cells))
	}
	b.checkBoundary(t)
}

func TestRestoreItems(t *testing.T) {
	t.Parallel()
	b := setup(t)
	b.grid(t, 5, 4, 2, 5, 1)
	b.refresh(t)
	before := b.items(t, false)
	d1, err := b.delete(mosaic.ItemDelete{Where: "CenterX < 200", JobID: "jobA"})
	if err != nil {
		t.Fatal(err)
	}
	d2, err := b.delete(mosaic.ItemDelete{Where: "CenterY > 250", JobID: "jobB"})
	if err != nil {
		t.Fatal(err)
	}
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
	if !slices.Equal(res.OIDs, d1.OIDs) {
		t.Errorf("restored %v, want jobA's %v", res.OIDs, d1.OIDs)
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
	b.checkBoundary(t)
}

func TestPurgeRecycled(t *testing.T) {
	t.Parallel()
	b := setup(t)
	b.grid(t, 5, 4, 1, 0, 1)
	if _, err := b.delete(mosaic.ItemDelete{Where: "OBJECTID <= 10"}); err != nil {
		t.Fatal(err)
	}
	purge := func(before time.Time, limit int) int64 {
		var n int64
		if err := b.db.Update(b.ctx, func(tx mosaic.Tx) (err error) {
			n, err = tx.PurgeRecycled(before, limit)
			return err
		}); err != nil {
			t.Fatal(err)
		}
		return n
	}
	if n := purge(time.Now().Add(-time.Hour), 0); n != 0 {
		t.Errorf("purged %d entries younger than the cut-off", n)
	}
	if n := purge(time.Now().Add(time.Hour), 4); n != 4 {
		t.Errorf("purged %d, want the limit 4", n)
	}
	if n := purge(time.Now().Add(time.Hour), 0); n != 6 {
		t.Errorf("purged %d, want the other 6", n)
	}
	if got := len(b.items(t, true)); got != 0 {
		t.Errorf("recycle bin has %d items", got)
	}
	if got := len(b.items(t, false)); got != 10 {
		t.Errorf("%d live items, want 10 (purge touches only the recycle bin)", got)
	}
	b.checkBoundary(t)
}

func TestDeleteCollection(t *testing.T) {
	t.Parallel()
	b := setup(t)
	b.grid(t, 5, 4, 2, 0, 1)
	if _, err := b.delete(mosaic.ItemDelete{Where: "OBJECTID <= 10"}); err != nil {
		t.Fatal(err)
	}
	if err := b.db.Update(b.ctx, func(tx mosaic.Tx) error { return tx.DeleteCollection(b.c) }); err != nil {
		t.Fatal(err)
	}
	err := b.db.View(b.ctx, func(tx mosaic.ReadTx) error {
		_, err := tx.Collection(mosaic.CollectionRef{Name: "Test"})
		return err
	})
	if mosaic.ErrorCode(err) != mosaic.ENOTFOUND {
		t.Errorf("collection after delete: %v, want ENOTFOUND", err)
	}
	// A new collection of the same name starts empty.
	c := &mosaic.Collection{Name: "Test"}
	if err := b.db.Update(b.ctx, func(tx mosaic.Tx) error { return tx.CreateCollection(c) }); err != nil {
		t.Fatal(err)
	}
	b.c = c
	b.checkBoundary(t)
}
