package main

import (
	"context"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/tessera-gis/tessera/mosaic"
	"github.com/tessera-gis/tessera/mosaic/sqlite"
)

// TestCatalog generates a small catalog twice and checks that it is cached,
// complete, and that DateWhere counts what it selects. BENCH_CATALOG_ITEMS
// overrides the size, to time generation by hand.
func TestCatalog(t *testing.T) {
	if err := os.Chdir(".."); err != nil { // the generator hashes mosaic/sqlite
		t.Fatal(err)
	}
	items := 3000
	if s := os.Getenv("BENCH_CATALOG_ITEMS"); s != "" {
		items, _ = strconv.Atoi(s)
	}
	env := &Env{Cache: t.TempDir(), Logf: t.Logf}
	ctx := context.Background()
	start := time.Now()
	c, err := GenerateCatalog(ctx, env, CatalogSpec{Items: items, Revisits: 30})
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("generated %d items in %s", c.Spec.Items, time.Since(start))
	st, err := os.Stat(c.Path)
	if err != nil {
		t.Fatal(err)
	}
	again, err := GenerateCatalog(ctx, env, CatalogSpec{Items: items, Revisits: 30})
	if err != nil || again.Path != c.Path {
		t.Fatalf("second call: %v, %v", again, err)
	}
	if st2, _ := os.Stat(c.Path); !st2.ModTime().Equal(st.ModTime()) {
		t.Error("catalog was regenerated, want the cached file")
	}
	path, err := c.Copy(filepath.Join(t.TempDir(), "data"))
	if err != nil {
		t.Fatal(err)
	}
	db, err := sqlite.Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	where, want := c.DateWhere(3, 3)
	err = db.View(ctx, func(tx mosaic.ReadTx) error {
		coll, err := tx.Collection(mosaic.CollectionRef{Name: c.Collection})
		if err != nil {
			return err
		}
		if coll.Summary.Count != int64(c.Spec.Items) {
			t.Errorf("count = %d, want %d", coll.Summary.Count, c.Spec.Items)
		}
		page, err := tx.QueryItems(coll, mosaic.ItemQuery{Where: where, CountOnly: true})
		if err != nil {
			return err
		}
		if page.Count != int64(want) || want != 3*c.Tiles {
			t.Errorf("%s: %d items, want %d (= %d)", where, page.Count, want, 3*c.Tiles)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}
