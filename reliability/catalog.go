package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/tessera-gis/tessera/internal/synthcat"
	"github.com/tessera-gis/tessera/raster"
)

// Collection is the name of the collection the suite loads.
const Collection = "Rel"

// Catalog is a generated database of Items items (OBJECTIDs 1..Items), the
// synthetic catalog the benchmarks use too (internal/synthcat): a time
// series of tiles on a square grid in EPSG:32633, 100 items per tile
// position, added through the store's own AddItems, referencing the demo
// GeoTIFFs so that exportImage draws real pixels.
type Catalog struct {
	*synthcat.Catalog
	Items int
	Path  string // cached database file: copy before use
}

// GenerateCatalog writes (or reuses) an items-item catalog under env.Cache.
func GenerateCatalog(ctx context.Context, env *Env, items int) (*Catalog, error) {
	tiles, err := raster.WriteDemo(env.Demo(), 24)
	if err != nil {
		return nil, err
	}
	var sources []string
	for _, t := range tiles {
		sources = append(sources, t.Path)
	}
	sc, err := synthcat.New(synthcat.Spec{Items: items, Revisits: 100}, Collection, sources)
	if err != nil {
		return nil, err
	}
	c := &Catalog{Catalog: sc, Items: sc.Spec.Items}
	// v3: SQLite migration 006 (raster info out of the catalog rows). An
	// older cached file would still work, but every server started on a
	// copy would first migrate it (tens of seconds at 1M items).
	c.Path = filepath.Join(env.Cache, fmt.Sprintf("catalog-v3-%d.db", c.Items))
	if _, err := os.Stat(c.Path); err == nil {
		return c, nil
	}
	env.Logf("generating a %d-item catalog", c.Items)
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

func (c *Catalog) generate(ctx context.Context, path string) error {
	return c.WriteSQLite(ctx, path)
}

// Copy copies the catalog into dir as the server's tessera.db.
func (c *Catalog) Copy(dir string) error {
	_, err := synthcat.CopyDB(c.Path, dir)
	return err
}
