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

// CatalogSpec describes a synthetic catalog (see synthcat.Spec).
type CatalogSpec = synthcat.Spec

// Catalog is a generated tessera database holding one collection,
// "Bench". Treat the file at Path as read-only: Copy it before changing it.
type Catalog struct {
	*synthcat.Catalog
	Path string // the cached database file
}

// RevisitDays is the spacing of revisits in days.
const RevisitDays = synthcat.RevisitDays

var catalogEpoch = synthcat.Epoch

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
	c, err := newCatalog(env, spec)
	if err != nil {
		return nil, err
	}
	schema, err := schemaFingerprint()
	if err != nil {
		return nil, err
	}
	spec = c.Spec
	key := fmt.Sprintf("catalog-v%d-%d-%d-%g-%g-%d-%s", catalogVersion, spec.Items, spec.Revisits,
		spec.TileSize, spec.Jitter, spec.Seed, schema)
	dir := filepath.Join(env.Cache, "catalogs")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	c.Path = filepath.Join(dir, key+".db")
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

// newCatalog describes the catalog of spec, with its source rasters
// written, but generates no database (Path is empty).
func newCatalog(env *Env, spec CatalogSpec) (*Catalog, error) {
	tiles, err := raster.WriteDemo(filepath.Join(env.Cache, "demo"), 24)
	if err != nil {
		return nil, err
	}
	var sources []string
	for _, t := range tiles {
		sources = append(sources, t.Path)
	}
	c, err := synthcat.New(spec, "Bench", sources)
	if err != nil {
		return nil, err
	}
	return &Catalog{Catalog: c}, nil
}

// schemaFingerprint hashes the store's source (schema, migrations and
// write code, including what it shares with the other store in
// mosaic/internal/storesql), so that a cached catalog never outlives the
// code that wrote it: a new migration or a new row layout makes a new file.
func schemaFingerprint() (string, error) {
	fp, err := storeFingerprint(filepath.Join("mosaic", "sqlite"))
	if err != nil {
		return "", fmt.Errorf("catalog: %w", err)
	}
	shared, err := storeFingerprint(filepath.Join("mosaic", "internal", "storesql"))
	if err != nil {
		return "", fmt.Errorf("catalog: %w", err)
	}
	return fp[:6] + shared[:6], nil
}

func (c *Catalog) generate(ctx context.Context, path string) error {
	return c.WriteSQLite(ctx, path)
}

// Copy copies the catalog's database to dir/tessera.db (the file name a
// server's --data directory holds) and returns its path.
func (c *Catalog) Copy(dir string) (string, error) { return synthcat.CopyDB(c.Path, dir) }

// mixBits is SplitMix64's finaliser: a cheap deterministic hash.
func mixBits(z uint64) uint64 { return synthcat.Mix(z) }
