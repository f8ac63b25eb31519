package main

import (
	"context"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"time"

	"github.com/paulmach/orb"

	"github.com/tessera-gis/tessera/mosaic"
	"github.com/tessera-gis/tessera/mosaic/sqlite"
	"github.com/tessera-gis/tessera/raster"
)

// The synthetic catalog follows bench/catalog.go (which is in package main
// of the bench command, so it cannot be imported): a time series of tiles
// on a square grid in EPSG:32633, Revisits items per tile position, items
// generated revisit by revisit and added through the store's own AddItems,
// referencing the demo GeoTIFFs so that exportImage draws real pixels.

// Collection is the name of the collection the suite loads.
const Collection = "Rel"

const (
	revisits = 100
	tileSize = 2560.0
	originX  = 400000.0
	originY  = 5000000.0
)

// Catalog is a generated database of Items items (OBJECTIDs 1..Items).
type Catalog struct {
	Items   int
	Tiles   int
	Cols    int
	Path    string // cached database file: copy before use
	Sources []string
}

// GenerateCatalog writes (or reuses) an items-item catalog under env.Cache.
func GenerateCatalog(ctx context.Context, env *Env, items int) (*Catalog, error) {
	items -= items % revisits
	if items <= 0 {
		return nil, fmt.Errorf("catalog: want at least %d items", revisits)
	}
	tiles, err := raster.WriteDemo(env.Demo(), 24)
	if err != nil {
		return nil, err
	}
	c := &Catalog{Items: items, Tiles: items / revisits}
	c.Cols = int(math.Ceil(math.Sqrt(float64(c.Tiles))))
	for _, t := range tiles {
		c.Sources = append(c.Sources, t.Path)
	}
	c.Path = filepath.Join(env.Cache, fmt.Sprintf("catalog-v1-%d.db", items))
	if _, err := os.Stat(c.Path); err == nil {
		return c, nil
	}
	env.Logf("generating a %d-item catalog", items)
	start := time.Now()
	tmp := c.Path + ".tmp"
	for _, s := range []string{"", "-wal", "-shm"} {
		os.Remove(tmp + s)
	}
	if err := c.generate(ctx, tmp); err != nil {
		return nil, err
	}
	if err := os.Rename(tmp, c.Path); err != nil {
		return nil, err
	}
	env.Logf("generated in %s", time.Since(start).Round(time.Millisecond))
	return c, nil
}

// item returns the i-th item (OBJECTID i+1).
func (c *Catalog) item(i int) *mosaic.Item {
	k, tile := i/c.Tiles, i%c.Tiles
	row, col := tile/c.Cols, tile%c.Cols
	r := rand.New(rand.NewPCG(1, uint64(i)))
	x0, y0 := originX+float64(col)*tileSize, originY+float64(row)*tileSize
	ring := orb.Ring{{x0, y0}, {x0 + tileSize, y0}, {x0 + tileSize, y0 + tileSize}, {x0, y0 + tileSize}, {x0, y0}}
	date := time.Date(2015, 1, 1, 0, 0, 0, 0, time.UTC).AddDate(0, 0, k*7+int(mix(uint64(tile))%7))
	sensors := []string{"Sentinel-2A", "Sentinel-2B", "Landsat-8", "Landsat-9"}
	const ps = 10.0
	return &mosaic.Item{
		Path:      c.Sources[i%len(c.Sources)],
		Footprint: orb.Polygon{ring},
		Attributes: map[string]any{
			mosaic.FieldNameName:            fmt.Sprintf("T%05d_%s", tile, date.Format("20060102")),
			mosaic.FieldNameAcquisitionDate: date,
			mosaic.FieldNameCloudCover:      math.Floor(r.Float64()*1000) / 10,
			mosaic.FieldNameSensorName:      sensors[(tile+k)%len(sensors)],
			mosaic.FieldNameProductName:     "L2A",
			mosaic.FieldNameMinPS:           0.0,
			mosaic.FieldNameMaxPS:           ps * 4,
			mosaic.FieldNameLowPS:           ps,
			mosaic.FieldNameHighPS:          ps,
			mosaic.FieldNameZOrder:          int64(0),
		},
		Raster: mosaic.RasterInfo{
			Driver: "GTiff", Width: int(tileSize / ps), Height: int(tileSize / ps), Bands: 3, PixelType: "U8",
			SRS:          mosaic.SpatialRef{WKID: 32633},
			GeoTransform: [6]float64{x0, ps, 0, y0 + tileSize, 0, -ps},
			CellSizeX:    ps, CellSizeY: ps,
		},
	}
}

func (c *Catalog) generate(ctx context.Context, path string) error {
	db, err := sqlite.Open(ctx, path)
	if err != nil {
		return err
	}
	defer db.Close()
	coll := &mosaic.Collection{Name: Collection, SRS: mosaic.SpatialRef{WKID: 32633}, ItemID: fmt.Sprintf("%016x%016x", mix(7), mix(8))}
	if err := db.Update(ctx, func(tx mosaic.Tx) error { return tx.CreateCollection(coll) }); err != nil {
		return err
	}
	const batch = 20000
	for lo := 0; lo < c.Items; lo += batch {
		hi := min(lo+batch, c.Items)
		items := make([]*mosaic.Item, 0, hi-lo)
		for i := lo; i < hi; i++ {
			items = append(items, c.item(i))
		}
		if err := db.Update(ctx, func(tx mosaic.Tx) error {
			_, err := tx.AddItems(coll, items, mosaic.AddOptions{})
			return err
		}); err != nil {
			return fmt.Errorf("catalog: add items %d–%d: %w", lo, hi, err)
		}
	}
	var patch *mosaic.BoundaryPatch
	err = db.View(ctx, func(tx mosaic.ReadTx) (err error) {
		patch, err = tx.StaleBoundary(coll)
		return err
	})
	if err == nil {
		err = db.Update(ctx, func(tx mosaic.Tx) error {
			_, err := tx.UpdateBoundary(coll, patch)
			return err
		})
	}
	if err != nil {
		return fmt.Errorf("catalog: boundary: %w", err)
	}
	return db.Checkpoint(ctx)
}

// Copy copies the catalog into dir as the server's tessera.db.
func (c *Catalog) Copy(dir string) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	in, err := os.Open(c.Path)
	if err != nil {
		return err
	}
	defer in.Close()
	out, err := os.Create(filepath.Join(dir, "tessera.db"))
	if err != nil {
		return err
	}
	if _, err := io.Copy(out, in); err != nil {
		out.Close()
		return err
	}
	return out.Close()
}

// Extent is the catalog's footprint extent.
func (c *Catalog) Extent() (xmin, ymin, xmax, ymax float64) {
	rows := (c.Tiles + c.Cols - 1) / c.Cols
	return originX, originY, originX + float64(c.Cols)*tileSize, originY + float64(rows)*tileSize
}

// mix is SplitMix64's finaliser.
func mix(z uint64) uint64 {
	z += 0x9e3779b97f4a7c15
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9
	z = (z ^ (z >> 27)) * 0x94d049bb133111eb
	return z ^ (z >> 31)
}
