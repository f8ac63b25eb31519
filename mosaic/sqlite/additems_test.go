package sqlite_test

import (
	"context"
	"fmt"
	"math"
	"path/filepath"
	"slices"
	"testing"

	"github.com/paulmach/orb"

	"github.com/tessera-gis/tessera/mosaic"
	"github.com/tessera-gis/tessera/mosaic/sqlite"
)

// BenchmarkAddItems measures the insert path (row, R*Tree entry, cell
// refresh, summary) per item, for several batch sizes, on a catalog that
// grows to 20,000 items.
func BenchmarkAddItems(b *testing.B) {
	for _, batch := range []int{100, 500, 2000} {
		b.Run(fmt.Sprintf("batch=%d", batch), func(b *testing.B) {
			ctx := context.Background()
			db, err := sqlite.Open(ctx, filepath.Join(b.TempDir(), "t.db"))
			if err != nil {
				b.Fatal(err)
			}
			defer db.Close()
			c := &mosaic.Collection{Name: "B", SRS: mosaic.SpatialRef{WKID: 32633}}
			if err := db.Update(ctx, func(tx mosaic.Tx) error { return tx.CreateCollection(c) }); err != nil {
				b.Fatal(err)
			}
			const total = 20000
			items := make([]*mosaic.Item, total)
			for i := range items {
				x, y := 300000+float64(i%100)*1000, 5500000-float64(i/100)*1000
				items[i] = &mosaic.Item{
					Path:      fmt.Sprintf("/data/d%03d/small_%05d.tif", i/100, i),
					Footprint: orb.Polygon{{{x, y - 1000}, {x + 1000, y - 1000}, {x + 1000, y}, {x, y}, {x, y - 1000}}},
					Attributes: map[string]any{"Name": fmt.Sprintf("small_%05d", i), "LowPS": 10.0, "HighPS": 10.0,
						"MinPS": 0.0, "MaxPS": 100.0, "Category": int64(1), "Tag": "Dataset", "CenterX": x + 500,
						"CenterY": y - 500, "CloudCover": float64(i % 100)},
					Raster: mosaic.RasterInfo{Driver: "GTiff", Width: 100, Height: 100, Bands: 3, PixelType: "U8",
						SRS: mosaic.SpatialRef{WKID: 32633}, GeoTransform: [6]float64{x, 10, 0, y, 0, -10}, CellSizeX: 10, CellSizeY: 10},
				}
			}
			b.ResetTimer()
			for range b.N {
				for i := 0; i < total; i += batch {
					err := db.Update(ctx, func(tx mosaic.Tx) error {
						cur, err := tx.Collection(mosaic.CollectionRef{ItemID: c.ItemID})
						if err != nil {
							return err
						}
						_, err = tx.AddItems(cur, items[i:min(i+batch, total)], mosaic.AddOptions{})
						return err
					})
					if err != nil {
						b.Fatal(err)
					}
				}
			}
			b.ReportMetric(float64(b.Elapsed().Microseconds())/float64(b.N*total), "µs/item")
		})
	}
}

// TestAddItemsAfterLargestOID: once an import has taken OBJECTIDs up to
// the largest int64, AddItems fails and stores nothing; it never wraps
// around to negative OBJECTIDs (AUTOINCREMENT failed there too).
func TestAddItemsAfterLargestOID(t *testing.T) {
	ctx := context.Background()
	db, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "t.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	c := &mosaic.Collection{Name: "Max", SRS: mosaic.SpatialRef{WKID: 32633}}
	it := func(path string) *mosaic.Item {
		return &mosaic.Item{Path: path, Footprint: orb.Polygon{{{0, 0}, {1, 0}, {1, 1}, {0, 1}, {0, 0}}}}
	}
	imported := it("/src/imported.tif")
	imported.OID = math.MaxInt64 - 1
	if err := db.Update(ctx, func(tx mosaic.Tx) error {
		if err := tx.CreateCollection(c); err != nil {
			return err
		}
		return tx.ImportItems(c, []*mosaic.Item{imported})
	}); err != nil {
		t.Fatal(err)
	}
	add := func(items ...*mosaic.Item) (mosaic.AddResult, error) {
		var res mosaic.AddResult
		err := db.Update(ctx, func(tx mosaic.Tx) (err error) {
			res, err = tx.AddItems(c, items, mosaic.AddOptions{})
			return err
		})
		return res, err
	}
	if res, err := add(it("/src/a.tif"), it("/src/b.tif")); err == nil {
		t.Errorf("two items after OBJECTID %d: %+v, want an error", imported.OID, res)
	}
	if res, err := add(it("/src/a.tif")); err != nil || len(res.OIDs) != 1 || res.OIDs[0] != math.MaxInt64 {
		t.Errorf("the last OBJECTID: %+v, %v", res, err)
	}
	if res, err := add(it("/src/b.tif")); err == nil {
		t.Errorf("an item after the last OBJECTID: %+v, want an error", res)
	}
	var got []int64
	if err := db.View(ctx, func(tx mosaic.ReadTx) error {
		p, err := tx.QueryItems(c, mosaic.ItemQuery{IDsOnly: true})
		if p != nil {
			got = p.IDs
		}
		return err
	}); err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(got, []int64{math.MaxInt64 - 1, math.MaxInt64}) {
		t.Errorf("items %v, want the imported one and the last", got)
	}
}
