// Package storetest is the contract test suite of mosaic.Store. It is
// written once and run against every store:
//
//	func TestContract(t *testing.T) {
//		storetest.Run(t, func(t *testing.T) mosaic.Store { return openEmptyStore(t) })
//	}
//
// Each subtest of Run covers one piece of the store interface
// (mosaic.CatalogReader and CatalogWriter, BoundaryReader and
// BoundaryWriter, JobReader and JobWriter, AuditReader and AuditWriter,
// Secrets) and the transactions themselves (atomicity, snapshots,
// cancellation), so that a new store can be brought up piece by piece with
// go test -run 'TestContract/Jobs'. The tests check only what the
// interfaces document, never a store's internals.
package storetest

import (
	"context"
	"fmt"
	"math"
	"slices"
	"testing"
	"time"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/planar"

	"github.com/tessera-gis/tessera/mosaic"
)

// Opener returns a new, empty store for one test, closed when the test
// ends.
type Opener func(t *testing.T) mosaic.Store

// Run runs the contract suite against the stores that open returns. Every
// subtest opens its own store and runs in parallel with the others.
func Run(t *testing.T, open Opener) {
	for _, g := range []struct {
		name  string
		tests []test
	}{
		{"Collections", collectionTests},
		{"Fields", fieldTests},
		{"Items", itemTests},
		{"Query", queryTests},
		{"Delete", deleteTests},
		{"Where", whereTests},
		{"Boundary", boundaryTests},
		{"Jobs", jobTests},
		{"Audit", auditTests},
		{"Secrets", secretTests},
		{"Transactions", txTests},
		{"Status", statusTests},
	} {
		t.Run(g.name, func(t *testing.T) {
			t.Parallel()
			for _, tt := range g.tests {
				t.Run(tt.name, func(t *testing.T) {
					t.Parallel()
					tt.fn(t, open)
				})
			}
		})
	}
}

type test struct {
	name string
	fn   func(t *testing.T, open Opener)
}

// bundle is an open store with one collection.
type bundle struct {
	ctx context.Context
	db  mosaic.Store
	c   *mosaic.Collection
}

// setup opens a store with a collection "Test" in EPSG:32633.
func setup(t *testing.T, open Opener) *bundle {
	t.Helper()
	b := &bundle{ctx: context.Background(), db: open(t)}
	b.c = &mosaic.Collection{Name: "Test", SRS: mosaic.SpatialRef{WKID: 32633}}
	b.update(t, func(tx mosaic.Tx) error { return tx.CreateCollection(b.c) })
	return b
}

func (b *bundle) update(t *testing.T, fn func(tx mosaic.Tx) error) {
	t.Helper()
	if err := b.db.Update(b.ctx, fn); err != nil {
		t.Fatal(err)
	}
}

func (b *bundle) view(t *testing.T, fn func(tx mosaic.ReadTx) error) {
	t.Helper()
	if err := b.db.View(b.ctx, fn); err != nil {
		t.Fatal(err)
	}
}

// collection rereads b.c, with its current summary and fields.
func (b *bundle) collection(t *testing.T) *mosaic.Collection {
	t.Helper()
	var c *mosaic.Collection
	b.view(t, func(tx mosaic.ReadTx) (err error) {
		c, err = tx.Collection(mosaic.CollectionRef{ItemID: b.c.ItemID})
		return err
	})
	return c
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
	}, Raster: mosaic.RasterInfo{Width: 100, Height: 100, Bands: 1, PixelType: "U8"}}
}

func (b *bundle) addErr(items []*mosaic.Item, opts mosaic.AddOptions) (mosaic.AddResult, error) {
	var res mosaic.AddResult
	err := b.db.Update(b.ctx, func(tx mosaic.Tx) (err error) {
		res, err = tx.AddItems(b.c, items, opts)
		return err
	})
	return res, err
}

func (b *bundle) add(t *testing.T, items ...*mosaic.Item) []int64 {
	t.Helper()
	res, err := b.addErr(items, mosaic.AddOptions{})
	if err != nil {
		t.Fatal(err)
	}
	return res.OIDs
}

func (b *bundle) delete(d mosaic.ItemDelete) (mosaic.DeleteResult, error) {
	var res mosaic.DeleteResult
	err := b.db.Update(b.ctx, func(tx mosaic.Tx) (err error) {
		res, err = tx.DeleteItems(b.c, d)
		return err
	})
	return res, err
}

func (b *bundle) mustDelete(t *testing.T, d mosaic.ItemDelete) mosaic.DeleteResult {
	t.Helper()
	res, err := b.delete(d)
	if err != nil {
		t.Fatal(err)
	}
	return res
}

func (b *bundle) restore(r mosaic.ItemRestore) (mosaic.RestoreResult, error) {
	var res mosaic.RestoreResult
	err := b.db.Update(b.ctx, func(tx mosaic.Tx) (err error) {
		res, err = tx.RestoreItems(b.c, r)
		return err
	})
	return res, err
}

func (b *bundle) purge(t *testing.T, before time.Time, limit int) int64 {
	t.Helper()
	var n int64
	b.update(t, func(tx mosaic.Tx) (err error) {
		n, err = tx.PurgeRecycled(before, limit)
		return err
	})
	return n
}

func (b *bundle) queryErr(q mosaic.ItemQuery) (*mosaic.ItemPage, error) {
	var page *mosaic.ItemPage
	err := b.db.View(b.ctx, func(tx mosaic.ReadTx) (err error) {
		page, err = tx.QueryItems(b.c, q)
		return err
	})
	return page, err
}

func (b *bundle) query(t *testing.T, q mosaic.ItemQuery) *mosaic.ItemPage {
	t.Helper()
	page, err := b.queryErr(q)
	if err != nil {
		t.Fatalf("QueryItems(%+v): %v", q, err)
	}
	return page
}

// items returns every item, live or recycled, by OID, with every field
// and its footprint.
func (b *bundle) items(t *testing.T, recycled bool) map[int64]*mosaic.Item {
	t.Helper()
	out := map[int64]*mosaic.Item{}
	for _, it := range b.query(t, mosaic.ItemQuery{OutFields: "*", ReturnGeometry: true, Recycled: recycled}).Items {
		out[it.OID] = it
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

func itemOIDs(items []*mosaic.Item) []int64 {
	out := make([]int64, 0, len(items))
	for _, it := range items {
		out = append(out, it.OID)
	}
	return out
}

func ids(from, to int64) []int64 {
	var out []int64
	for i := from; i <= to; i++ {
		out = append(out, i)
	}
	return out
}

// sameIDs compares ID lists, treating nil and empty alike.
func sameIDs(a, b []int64) bool { return len(a) == 0 && len(b) == 0 || slices.Equal(a, b) }

// wantCode fails unless err has the given code ("" for nil).
func wantCode(t *testing.T, what string, err error, code string) {
	t.Helper()
	if got := mosaic.ErrorCode(err); got != code {
		t.Errorf("%s: error %v (code %q), want code %q", what, err, got, code)
	}
}

// grid adds a cols×rows grid of 100-unit tiles, revisits times each: the
// revisits of a tile share its footprint; jitter makes every footprint
// distinct. The random source is seeded, so a grid is the same on every
// store.
func (b *bundle) grid(t *testing.T, cols, rows, revisits int, jitter float64, seed uint64) []int64 {
	t.Helper()
	r := newRand(seed)
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

// checkBoundary compares the store's boundary, extent, count and cell sizes
// with ones computed by brute force from the live items.
func (b *bundle) checkBoundary(t *testing.T) {
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
		// A pixel size of 0 is unknown and counts for nothing.
		if v, ok := it.Attributes[mosaic.FieldNameLowPS].(float64); ok && v > 0 {
			minPS = math.Min(minPS, v)
		}
		if v, ok := it.Attributes[mosaic.FieldNameHighPS].(float64); ok && v > 0 {
			maxPS = math.Max(maxPS, v)
		}
	}
	var (
		c   *mosaic.Collection
		got orb.MultiPolygon
	)
	b.view(t, func(tx mosaic.ReadTx) (err error) {
		if c, err = tx.Collection(mosaic.CollectionRef{Name: b.c.Name}); err != nil {
			return err
		}
		got, err = tx.Boundary(c)
		return err
	})
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
	if !math.IsInf(minPS, 1) && (c.Summary.MinCellX != minPS || c.Summary.MaxCell != maxPS) {
		t.Errorf("cell sizes = %v..%v, want %v..%v", c.Summary.MinCellX, c.Summary.MaxCell, minPS, maxPS)
	}
	if bad := compareCoverage(live, got, extent); bad != "" {
		t.Error(bad)
	}
}

// compareCoverage samples a grid of points over extent and reports the
// first point where boundary and the union of the live footprints
// disagree, by planar containment: an oracle independent of the geometry
// library a store uses.
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
