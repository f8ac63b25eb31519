package sqlite_test

import (
	"context"
	"fmt"
	"path/filepath"
	"testing"

	"github.com/paulmach/orb"

	"github.com/tessera-gis/tessera/mosaic"
	"github.com/tessera-gis/tessera/mosaic/sqlite"
)

// TestReleaseMemory: freeing the caches after a large write leaves the
// store working, for writes and reads, and can be repeated.
func TestReleaseMemory(t *testing.T) {
	ctx := context.Background()
	db, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "t.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var _ mosaic.MemoryReleaser = db
	c := &mosaic.Collection{Name: "M", SRS: mosaic.SpatialRef{WKID: 32633}}
	if err := db.Update(ctx, func(tx mosaic.Tx) error { return tx.CreateCollection(c) }); err != nil {
		t.Fatal(err)
	}
	add := func(from, n int) {
		t.Helper()
		items := make([]*mosaic.Item, n)
		for i := range items {
			x, y := 300000+float64((from+i)%100)*1000, 5500000-float64((from+i)/100)*1000
			items[i] = &mosaic.Item{Path: fmt.Sprintf("/data/m_%05d.tif", from+i),
				Footprint:  orb.Polygon{{{x, y - 1000}, {x + 1000, y - 1000}, {x + 1000, y}, {x, y}, {x, y - 1000}}},
				Attributes: map[string]any{"Name": fmt.Sprintf("m_%05d", from+i)},
				Raster: mosaic.RasterInfo{Driver: "GTiff", Width: 100, Height: 100, Bands: 1, PixelType: "U8",
					SRS: mosaic.SpatialRef{WKID: 32633}, GeoTransform: [6]float64{x, 10, 0, y, 0, -10}, CellSizeX: 10, CellSizeY: 10}}
		}
		if err := db.Update(ctx, func(tx mosaic.Tx) error {
			cur, err := tx.Collection(mosaic.CollectionRef{ItemID: c.ItemID})
			if err != nil {
				return err
			}
			_, err = tx.AddItems(cur, items, mosaic.AddOptions{})
			return err
		}); err != nil {
			t.Fatal(err)
		}
	}
	count := func() int64 {
		t.Helper()
		var n int64
		if err := db.View(ctx, func(tx mosaic.ReadTx) error {
			cur, err := tx.Collection(mosaic.CollectionRef{ItemID: c.ItemID})
			if err != nil {
				return err
			}
			res, err := tx.QueryItems(cur, mosaic.ItemQuery{CountOnly: true})
			if err != nil {
				return err
			}
			n = res.Count
			return nil
		}); err != nil {
			t.Fatal(err)
		}
		return n
	}
	add(0, 3000)
	if n := count(); n != 3000 {
		t.Fatalf("count = %d, want 3000", n)
	}
	for range 2 {
		if err := db.ReleaseMemory(ctx); err != nil {
			t.Fatalf("ReleaseMemory: %v", err)
		}
	}
	add(3000, 10)
	if n := count(); n != 3010 {
		t.Errorf("count after ReleaseMemory = %d, want 3010", n)
	}
}
