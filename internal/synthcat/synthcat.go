// Package synthcat generates the synthetic catalogs that the benchmarks
// (bench) and the reliability suite (reliability) load: a time series of
// image tiles, as an archive of satellite scenes on a fixed tiling grid
// looks, written through a store's own AddItems so that the database has
// exactly the rows, indexes and boundary cells a server would have written.
package synthcat

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
)

// Spec describes a synthetic catalog.
//
// Tiles sit edge to edge on a square grid in UTM zone 33N (EPSG:32633),
// each TileSize metres wide. Every tile position is revisited Revisits
// times; revisit k of every tile is acquired on day k*RevisitDays after
// 2015-01-01 (plus a per-tile offset smaller than RevisitDays), so a date
// range selects whole revisits and its count is exact (see DateWhere).
// CloudCover is uniform in [0, 100), SensorName cycles through four
// sensors. Items reference a handful of real GeoTIFFs (the demo rasters)
// through Path, so a server can open them; their footprints are synthetic.
type Spec struct {
	Items    int     // total items; rounded down to a multiple of Revisits
	Revisits int     // items per tile position; default 100 (or Items if smaller)
	TileSize float64 // metres; default 2560
	// Jitter moves each item's footprint corners by up to this fraction of
	// TileSize, so that no two footprints are identical (the worst case for
	// boundary maintenance). 0 gives every revisit of a tile the same
	// footprint, as tiled products (Sentinel-2 MGRS, Landsat ARD) have.
	Jitter float64
	Seed   uint64 // default 1
}

// WithDefaults fills in the defaults and rounds Items down to a multiple
// of Revisits.
func (s Spec) WithDefaults() Spec {
	if s.Revisits <= 0 {
		s.Revisits = 100
	}
	s.Revisits = min(s.Revisits, max(s.Items, 1))
	if s.TileSize <= 0 {
		s.TileSize = 2560
	}
	if s.Seed == 0 {
		s.Seed = 1
	}
	s.Items -= s.Items % s.Revisits
	return s
}

// RevisitDays is the spacing of revisits in days.
const RevisitDays = 7

// Epoch is the acquisition date of revisit 0.
var Epoch = time.Date(2015, 1, 1, 0, 0, 0, 0, time.UTC)

// Grid origin, in EPSG:32633 metres.
const originX, originY = 400000.0, 5000000.0

// Catalog is the catalog a Spec describes: one collection of Spec.Items
// items, OBJECTIDs 1..Items.
type Catalog struct {
	Spec       Spec
	Collection string   // the collection's name
	Tiles      int      // tile positions (Items / Revisits)
	Cols       int      // tile columns of the square grid
	Sources    []string // the rasters the items reference, in turn
}

// New describes the catalog of spec (after WithDefaults), in collection
// name, whose items reference sources in turn.
func New(spec Spec, name string, sources []string) (*Catalog, error) {
	spec = spec.WithDefaults()
	if spec.Items <= 0 {
		return nil, fmt.Errorf("catalog: %d items", spec.Items)
	}
	if len(sources) == 0 {
		return nil, fmt.Errorf("catalog: no source rasters")
	}
	c := &Catalog{Spec: spec, Collection: name, Tiles: spec.Items / spec.Revisits, Sources: sources}
	c.Cols = int(math.Ceil(math.Sqrt(float64(c.Tiles))))
	return c, nil
}

// Item returns the i-th generated item (0-based; OBJECTID i+1). Items are
// generated revisit by revisit: items [k*Tiles, (k+1)*Tiles) are revisit k.
func (c *Catalog) Item(i int) *mosaic.Item {
	s := c.Spec
	k, tile := i/c.Tiles, i%c.Tiles
	row, col := tile/c.Cols, tile%c.Cols
	r := rand.New(rand.NewPCG(s.Seed, uint64(i)))
	x0 := originX + float64(col)*s.TileSize
	y0 := originY + float64(row)*s.TileSize
	j := func() float64 { return (r.Float64()*2 - 1) * s.Jitter * s.TileSize }
	ring := orb.Ring{
		{x0 + j(), y0 + j()}, {x0 + s.TileSize + j(), y0 + j()},
		{x0 + s.TileSize + j(), y0 + s.TileSize + j()}, {x0 + j(), y0 + s.TileSize + j()},
	}
	ring = append(ring, ring[0])
	offset := int(Mix(s.Seed^uint64(tile)) % RevisitDays)
	date := Epoch.AddDate(0, 0, k*RevisitDays+offset)
	src := c.Sources[i%len(c.Sources)]
	sensors := []string{"Sentinel-2A", "Sentinel-2B", "Landsat-8", "Landsat-9"}
	ps := 10.0
	return &mosaic.Item{
		Path:      src,
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
			Driver: "GTiff", Width: int(s.TileSize / ps), Height: int(s.TileSize / ps), Bands: 3, PixelType: "U8",
			SRS:          mosaic.SpatialRef{WKID: 32633},
			GeoTransform: [6]float64{x0, ps, 0, y0 + s.TileSize, 0, -ps},
			CellSizeX:    ps, CellSizeY: ps,
		},
	}
}

// DateWhere returns a where clause selecting revisits [first, first+n),
// and how many items it selects.
func (c *Catalog) DateWhere(first, n int) (string, int) {
	from := Epoch.AddDate(0, 0, first*RevisitDays)
	to := Epoch.AddDate(0, 0, (first+n)*RevisitDays)
	first, last := max(first, 0), min(first+n, c.Spec.Revisits)
	return fmt.Sprintf("AcquisitionDate >= DATE '%s' AND AcquisitionDate < DATE '%s'",
		from.Format("2006-01-02"), to.Format("2006-01-02")), max(0, last-first) * c.Tiles
}

// Extent is the catalog's footprint extent (without jitter).
func (c *Catalog) Extent() (xmin, ymin, xmax, ymax float64) {
	rows := (c.Tiles + c.Cols - 1) / c.Cols
	return originX, originY, originX + float64(c.Cols)*c.Spec.TileSize, originY + float64(rows)*c.Spec.TileSize
}

// Create creates the (empty) collection in db.
func (c *Catalog) Create(ctx context.Context, db mosaic.Store) (*mosaic.Collection, error) {
	coll := &mosaic.Collection{Name: c.Collection, SRS: mosaic.SpatialRef{WKID: 32633},
		ItemID: fmt.Sprintf("%016x%016x", Mix(c.Spec.Seed), Mix(c.Spec.Seed+1))}
	err := db.Update(ctx, func(tx mosaic.Tx) error { return tx.CreateCollection(coll) })
	return coll, err
}

// Add adds items [lo, hi) to coll, 20,000 to a transaction.
func (c *Catalog) Add(ctx context.Context, db mosaic.Store, coll *mosaic.Collection, lo, hi int) error {
	const batch = 20000
	for ; lo < hi; lo += batch {
		end := min(lo+batch, hi)
		items := make([]*mosaic.Item, 0, end-lo)
		for i := lo; i < end; i++ {
			items = append(items, c.Item(i))
		}
		if err := db.Update(ctx, func(tx mosaic.Tx) error {
			_, err := tx.AddItems(coll, items, mosaic.AddOptions{})
			return err
		}); err != nil {
			return fmt.Errorf("catalog: add items %d–%d: %w", lo, end, err)
		}
	}
	return nil
}

// StoreBoundary computes and stores every stale boundary cell, as a
// running server would have by now.
func (c *Catalog) StoreBoundary(ctx context.Context, db mosaic.Store, coll *mosaic.Collection) error {
	var patch *mosaic.BoundaryPatch
	err := db.View(ctx, func(tx mosaic.ReadTx) (err error) {
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
	return nil
}

// Write creates the collection in db with all its items and boundary.
func (c *Catalog) Write(ctx context.Context, db mosaic.Store) error {
	coll, err := c.Create(ctx, db)
	if err == nil {
		err = c.Add(ctx, db, coll, 0, c.Spec.Items)
	}
	if err == nil {
		err = c.StoreBoundary(ctx, db, coll)
	}
	return err
}

// Mix is SplitMix64's finaliser: a cheap deterministic hash.
func Mix(z uint64) uint64 {
	z += 0x9e3779b97f4a7c15
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9
	z = (z ^ (z >> 27)) * 0x94d049bb133111eb
	return z ^ (z >> 31)
}

// CopyDB copies the SQLite database file src to dir/tessera.db (the file
// name a server's --data directory holds), removing any WAL left there, and
// returns its path.
func CopyDB(src, dir string) (string, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", err
	}
	dst := filepath.Join(dir, "tessera.db")
	for _, suffix := range []string{"-wal", "-shm"} {
		os.Remove(dst + suffix)
	}
	in, err := os.Open(src)
	if err != nil {
		return "", err
	}
	defer in.Close()
	out, err := os.Create(dst)
	if err != nil {
		return "", err
	}
	if _, err := io.Copy(out, in); err != nil {
		out.Close()
		return "", err
	}
	return dst, out.Close()
}

// WriteSQLite writes the catalog into a new SQLite database at path (the
// layout of a server's tessera.db), checkpointed so that the file alone
// holds it.
func (c *Catalog) WriteSQLite(ctx context.Context, path string) error {
	db, err := sqlite.Open(ctx, path)
	if err != nil {
		return err
	}
	defer db.Close()
	if err := c.Write(ctx, db); err != nil {
		return err
	}
	return db.Checkpoint(ctx)
}
