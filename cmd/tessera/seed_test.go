package main_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/paulmach/orb"

	"github.com/tessera-gis/tessera/mosaic"
)

// seedCollection creates a collection of n catalog items in the database
// of data directory dir, through the store as AddImage would commit them
// (the rasters need not exist: nothing here renders). A DeleteImage over
// many items is real slow work for the cancel, priority and crash tests.
func seedCollection(t testing.TB, dir, name string, n int) {
	t.Helper()
	ctx := context.Background()
	db := openCatalog(t, dir)
	defer db.Close()
	srs := mosaic.SpatialRef{WKID: 32633}
	c := &mosaic.Collection{Name: name, Fields: mosaic.StandardFields(), SRS: srs}
	if err := db.Update(ctx, func(tx mosaic.Tx) error { return tx.CreateCollection(c) }); err != nil {
		t.Fatal(err)
	}
	const batch = 5000
	for start := 0; start < n; start += batch {
		var items []*mosaic.Item
		for i := start; i < min(n, start+batch); i++ {
			x, y := 300000+float64(i%300)*100, 5000000+float64(i/300)*100
			items = append(items, &mosaic.Item{
				Path:       fmt.Sprintf("/seed/%s/%06d.tif", name, i),
				Footprint:  orb.Polygon{{{x, y}, {x + 100, y}, {x + 100, y + 100}, {x, y + 100}, {x, y}}},
				Attributes: map[string]any{"Name": fmt.Sprintf("%06d", i), "CloudCover": float64(i % 100)},
				Raster: mosaic.RasterInfo{Width: 10, Height: 10, Bands: 1, PixelType: "U8", SRS: srs,
					GeoTransform: [6]float64{x, 10, 0, y + 100, 0, -10}, CellSizeX: 10, CellSizeY: 10},
			})
		}
		err := db.Update(ctx, func(tx mosaic.Tx) error {
			cur, err := tx.Collection(mosaic.CollectionRef{Name: name})
			if err != nil {
				return err
			}
			_, err = tx.AddItems(cur, items, mosaic.AddOptions{})
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
	}
}
