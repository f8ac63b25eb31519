package main

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"io/fs"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/paulmach/orb"

	"github.com/tessera-gis/tessera/mosaic"
	"github.com/tessera-gis/tessera/mosaic/sqlite"
	"github.com/tessera-gis/tessera/raster"
)

// CatalogSpec describes a synthetic catalog: a time series of image tiles,
// as an archive of satellite scenes on a fixed tiling grid looks.
//
// Tiles sit edge to edge on a square grid in UTM zone 33N (EPSG:32633),
// each TileSize metres wide. Every tile position is revisited Revisits
// times; revisit k of every tile is acquired on day k*RevisitDays after
// 2015-01-01 (plus a per-tile offset smaller than RevisitDays), so a date
// range selects whole revisits and its count is exact (see DateWhere).
// CloudCover is uniform in [0, 100), SensorName cycles through four
// sensors. Items reference a handful of real GeoTIFFs (the demo rasters)
// through Path, so a server can open them; their footprints are synthetic.
type CatalogSpec struct {
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

func (s CatalogSpec) withDefaults() CatalogSpec {
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

// Catalog is a generated tessera database holding one collection. Treat the
// file at Path as read-only: Copy it before changing it.
type Catalog struct {
	Spec       CatalogSpec
	Path       string // the cached database file
	Collection string // the collection's name: "Bench"
	Tiles      int    // tile positions (Items / Revisits)
	Sources    []string
}

// RevisitDays is the spacing of revisits in days.
const RevisitDays = 7

var catalogEpoch = time.Date(2015, 1, 1, 0, 0, 0, 0, time.UTC)

// catalogVersion changes whenever the generator's output changes.
const catalogVersion = 1

// GenerateCatalog returns the catalog that spec describes, generating it
// into env.Cache on first use and reusing it afterwards. The cache key
// covers the spec, the generator version and the store's schema code, so a
// change to either regenerates. Generation goes through the store's own
// AddItems, so the file has exactly the schema, indexes, R*Tree rows and
// boundary cells that a server would have written; about 30 s per million
// items. The output is deterministic.
func GenerateCatalog(ctx context.Context, env *Env, spec CatalogSpec) (*Catalog, error) {
	spec = spec.withDefaults()
	if spec.Items <= 0 {
		return nil, fmt.Errorf("catalog: %d items", spec.Items)
	}
	schema, err := schemaFingerprint()
	if err != nil {
		return nil, err
	}
	key := fmt.Sprintf("catalog-v%d-%d-%d-%g-%g-%d-%s", catalogVersion, spec.Items, spec.Revisits,
		spec.TileSize, spec.Jitter, spec.Seed, schema)
	dir := filepath.Join(env.Cache, "catalogs")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	tiles, err := raster.WriteDemo(filepath.Join(env.Cache, "demo"), 24)
	if err != nil {
		return nil, err
	}
	c := &Catalog{Spec: spec, Path: filepath.Join(dir, key+".db"), Collection: "Bench", Tiles: spec.Items / spec.Revisits}
	for _, t := range tiles {
		c.Sources = append(c.Sources, t.Path)
	}
	if _, err := os.Stat(c.Path); err == nil {
		return c, nil
	}
	env.Logf("generating %d-item catalog (%s)", spec.Items, filepath.Base(c.Path))
	start := time.Now()
	tmp := c.Path + ".tmp"
	os.Remove(tmp)
	os.Remove(tmp + "-wal")
	os.Remove(tmp + "-shm")
	if err := c.generate(ctx, tmp); err != nil {
		os.Remove(tmp)
		return nil, err
	}
	if err := os.Rename(tmp, c.Path); err != nil {
		return nil, err
	}
	env.Logf("generated in %s", time.Since(start).Round(time.Millisecond))
	return c, nil
}

// schemaFingerprint hashes the store's source (schema and write code), so
// that a cached catalog never outlives the code that wrote it.
func schemaFingerprint() (string, error) {
	h := sha256.New()
	root := filepath.Join("mosaic", "sqlite")
	var names []string
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		// query.go only reads: a change there leaves the file as it was.
		if !d.IsDir() && (strings.HasSuffix(path, ".sql") || strings.HasSuffix(path, ".go")) && !strings.HasSuffix(path, "_test.go") &&
			filepath.Base(path) != "query.go" {
			names = append(names, path)
		}
		return nil
	})
	if err != nil {
		return "", fmt.Errorf("catalog: hash store schema (run from the repository root): %w", err)
	}
	sort.Strings(names)
	for _, n := range names {
		b, err := os.ReadFile(n)
		if err != nil {
			return "", err
		}
		h.Write([]byte(n))
		h.Write(b)
	}
	return hex.EncodeToString(h.Sum(nil))[:12], nil
}

// Item returns the i-th generated item (0-based; OBJECTID i+1). Items are
// generated revisit by revisit: items [k*Tiles, (k+1)*Tiles) are revisit k.
func (c *Catalog) Item(i int) *mosaic.Item {
	s := c.Spec
	k, tile := i/c.Tiles, i%c.Tiles
	cols := int(math.Ceil(math.Sqrt(float64(c.Tiles))))
	row, col := tile/cols, tile%cols
	r := rand.New(rand.NewPCG(s.Seed, uint64(i)))
	x0 := 400000 + float64(col)*s.TileSize
	y0 := 5000000 + float64(row)*s.TileSize
	j := func() float64 { return (r.Float64()*2 - 1) * s.Jitter * s.TileSize }
	ring := orb.Ring{
		{x0 + j(), y0 + j()}, {x0 + s.TileSize + j(), y0 + j()},
		{x0 + s.TileSize + j(), y0 + s.TileSize + j()}, {x0 + j(), y0 + s.TileSize + j()},
	}
	ring = append(ring, ring[0])
	offset := int(mixBits(s.Seed^uint64(tile)) % RevisitDays)
	date := catalogEpoch.AddDate(0, 0, k*RevisitDays+offset)
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
	from := catalogEpoch.AddDate(0, 0, first*RevisitDays)
	to := catalogEpoch.AddDate(0, 0, (first+n)*RevisitDays)
	first, last := max(first, 0), min(first+n, c.Spec.Revisits)
	return fmt.Sprintf("AcquisitionDate >= DATE '%s' AND AcquisitionDate < DATE '%s'",
		from.Format("2006-01-02"), to.Format("2006-01-02")), max(0, last-first) * c.Tiles
}

func (c *Catalog) generate(ctx context.Context, path string) error {
	db, err := sqlite.Open(ctx, path)
	if err != nil {
		return err
	}
	defer db.Close()
	coll := &mosaic.Collection{Name: c.Collection, SRS: mosaic.SpatialRef{WKID: 32633},
		ItemID: fmt.Sprintf("%016x%016x", mixBits(c.Spec.Seed), mixBits(c.Spec.Seed+1))}
	if err := db.Update(ctx, func(tx mosaic.Tx) error { return tx.CreateCollection(coll) }); err != nil {
		return err
	}
	const batch = 20000
	for lo := 0; lo < c.Spec.Items; lo += batch {
		hi := min(lo+batch, c.Spec.Items)
		items := make([]*mosaic.Item, 0, hi-lo)
		for i := lo; i < hi; i++ {
			items = append(items, c.Item(i))
		}
		if err := db.Update(ctx, func(tx mosaic.Tx) error {
			_, err := tx.AddItems(coll, items, mosaic.AddOptions{})
			return err
		}); err != nil {
			return fmt.Errorf("catalog: add items %d–%d: %w", lo, hi, err)
		}
	}
	// Store every cell's boundary, as a running server would have by now.
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

// Copy copies the catalog's database to dir/tessera.db (the file name a
// server's --data directory holds) and returns its path.
func (c *Catalog) Copy(dir string) (string, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", err
	}
	dst := filepath.Join(dir, "tessera.db")
	for _, suffix := range []string{"-wal", "-shm"} {
		os.Remove(dst + suffix)
	}
	in, err := os.Open(c.Path)
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

// mixBits is SplitMix64's finaliser: a cheap deterministic hash.
func mixBits(z uint64) uint64 {
	z += 0x9e3779b97f4a7c15
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9
	z = (z ^ (z >> 27)) * 0x94d049bb133111eb
	return z ^ (z >> 31)
}
