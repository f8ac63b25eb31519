package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"testing"

	"github.com/paulmach/orb"

	"github.com/tessera-gis/tessera/mosaic"
)

// testdata/catalog-005.db was written by the store as it was before
// migration 006 (commit 6a947fa): collection Alpha with 15 items, a field
// added after the first 12, items 2 and 3 in the recycle bin, items 14 and
// 15 purged; collection Empty with none. catalog-005.json holds what
// QueryItems returned from it then (live items, then the recycle bin).
func TestMigrateRastersOutOfRows(t *testing.T) {
	ctx := context.Background()
	path := catalog005(t)
	var want map[string][]*mosaic.Item
	js, err := os.ReadFile(filepath.Join("testdata", "catalog-005.json"))
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(js, &want); err != nil {
		t.Fatal(err)
	}
	db, err := Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()

	var a, empty *mosaic.Collection
	err = db.View(ctx, func(tx mosaic.ReadTx) error {
		if a, err = tx.Collection(mosaic.CollectionRef{Name: "Alpha"}); err != nil {
			return err
		}
		if empty, err = tx.Collection(mosaic.CollectionRef{Name: "Empty"}); err != nil {
			return err
		}
		for _, rec := range []bool{false, true} {
			p, err := tx.QueryItems(a, mosaic.ItemQuery{OutFields: "*", ReturnGeometry: true, Recycled: rec})
			if err != nil {
				return err
			}
			// Compare as JSON, as the fixture was written.
			got, _ := json.Marshal(p.Items)
			exp, _ := json.Marshal(want[fmt.Sprint(rec)])
			if string(got) != string(exp) {
				t.Errorf("recycled=%v: items after the migration differ\n got %s\nwant %s", rec, got, exp)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(want["false"]) != 11 || len(want["true"]) != 2 || want["false"][0].Raster.Bands == 0 {
		t.Fatalf("fixture: %d live, %d recycled items", len(want["false"]), len(want["true"]))
	}

	// The schema: no _raster column, the rasters in the side table, the
	// indexes back, nothing left of the rebuild.
	for _, q := range []struct {
		sql  string
		want any
	}{
		{`SELECT count(*) FROM pragma_table_info('items_1') WHERE name = '_raster'`, 0},
		{`SELECT count(*) FROM pragma_table_info('items_2') WHERE name = '_raster'`, 0},
		{`SELECT count(*) FROM pragma_table_info('items_1') WHERE name = 'Extra'`, 1},
		{`SELECT count(*) FROM rasters_1`, 13},
		{`SELECT count(*) FROM rasters_2`, 0},
		{`SELECT group_concat(name, ',') FROM (SELECT name FROM sqlite_schema WHERE type = 'index' AND tbl_name = 'items_1' AND sql IS NOT NULL ORDER BY name)`,
			"items_1_cell,items_1_path,items_1_recycled,items_1_time"},
		{`SELECT count(*) FROM sqlite_schema WHERE name LIKE '%rebuild%'`, 0},
		{`SELECT seq FROM sqlite_sequence WHERE name = 'items_1'`, 15},
		{`SELECT count(*) FROM tessera_migrations WHERE name = 'migrations/006_item_rasters.sql'`, 1},
		{`PRAGMA integrity_check`, "ok"},
		{`PRAGMA foreign_key_check`, nil},
	} {
		var got any
		err := db.write.QueryRowContext(ctx, q.sql).Scan(&got)
		if q.want == nil {
			if err == nil {
				t.Errorf("%s: got a row %v", q.sql, got)
			}
			continue
		}
		if err != nil {
			t.Fatalf("%s: %v", q.sql, err)
		}
		if fmt.Sprint(got) != fmt.Sprint(q.want) {
			t.Errorf("%s = %v, want %v", q.sql, got, q.want)
		}
	}

	// Writes after the migration: OBJECTIDs of purged items are not
	// reused, rasters go to the side table, purges remove them there.
	it := &mosaic.Item{Path: "/data/new.tif", Footprint: orb.Polygon{{{0, 0}, {1, 0}, {1, 1}, {0, 1}, {0, 0}}},
		Raster: mosaic.RasterInfo{Width: 7, Height: 9, Bands: 2, PixelType: "U16"}}
	err = db.Update(ctx, func(tx mosaic.Tx) error {
		res, err := tx.AddItems(a, []*mosaic.Item{it}, mosaic.AddOptions{})
		if err != nil {
			return err
		}
		if !reflect.DeepEqual(res.OIDs, []int64{16}) {
			t.Errorf("new item's OID %v, want [16]", res.OIDs)
		}
		got, err := tx.Item(a, 16)
		if err != nil {
			return err
		}
		if got.Raster.Width != 7 || got.Raster.PixelType != "U16" {
			t.Errorf("new item's raster %+v", got.Raster)
		}
		if _, err := tx.DeleteItems(a, mosaic.ItemDelete{Where: "1=1", ObjectIDs: []int64{16, 4}, Purge: true}); err != nil {
			return err
		}
		_, err = tx.AddItems(empty, []*mosaic.Item{it}, mosaic.AddOptions{})
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	var n int
	if err := db.write.QueryRowContext(ctx, `SELECT count(*) FROM rasters_1 WHERE oid IN (4, 16)`).Scan(&n); err != nil || n != 0 {
		t.Errorf("rasters of purged items: %d left (%v)", n, err)
	}

	// A second open finds the migration done.
	db.Close()
	db2, err := Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	db2.Close()
}

// TestMigrateRastersEmptiedCatalog: a catalog whose items were all purged
// before migration 006 has no row to copy into its rebuilt table; its
// AUTOINCREMENT counter is carried over all the same, so the next item
// does not take an OBJECTID that a purged one had.
func TestMigrateRastersEmptiedCatalog(t *testing.T) {
	ctx := context.Background()
	path := catalog005(t)
	raw, err := sql.Open("sqlite3", path)
	if err != nil {
		t.Fatal(err)
	}
	_, err = raw.ExecContext(ctx, `DELETE FROM items_1; DELETE FROM rtree_1; DELETE FROM cells; DELETE FROM cell_shapes`)
	raw.Close()
	if err != nil {
		t.Fatal(err)
	}
	db, err := Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	err = db.Update(ctx, func(tx mosaic.Tx) error {
		a, err := tx.Collection(mosaic.CollectionRef{Name: "Alpha"})
		if err != nil {
			return err
		}
		res, err := tx.AddItems(a, []*mosaic.Item{{Path: "/data/new.tif", Footprint: orb.Polygon{{{0, 0}, {1, 0}, {1, 1}, {0, 1}, {0, 0}}}}}, mosaic.AddOptions{})
		if err == nil && !reflect.DeepEqual(res.OIDs, []int64{16}) {
			t.Errorf("first item after the migration of an emptied catalog: OID %v, want [16]", res.OIDs)
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
}

// catalog005 copies testdata/catalog-005.db (see TestMigrateRastersOutOfRows)
// into a new folder and returns the copy's path.
func catalog005(t *testing.T) string {
	t.Helper()
	src, err := os.ReadFile(filepath.Join("testdata", "catalog-005.db"))
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "tessera.db")
	if err := os.WriteFile(path, src, 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}
