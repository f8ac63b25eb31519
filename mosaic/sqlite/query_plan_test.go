package sqlite

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"testing"

	"github.com/paulmach/orb"

	"github.com/tessera-gis/tessera/mosaic"
)

// TestQueryPlanUsesRTree checks with EXPLAIN QUERY PLAN that every mode of
// a spatial item query finds its candidates through the collection's
// R*Tree and reads items by OBJECTID, never by scanning the catalog, on a
// catalog with statistics (ANALYZE) that make a scan tempting.
func TestQueryPlanUsesRTree(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db, err := Open(ctx, filepath.Join(t.TempDir(), "tessera.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	c := &mosaic.Collection{Name: "Plan", SRS: mosaic.SpatialRef{WKID: 32633}}
	err = db.Update(ctx, func(tx mosaic.Tx) error {
		if err := tx.CreateCollection(c); err != nil {
			return err
		}
		items := make([]*mosaic.Item, 0, 4000)
		for i := range cap(items) {
			x, y := float64(i%64)*100, float64(i/64)*100
			items = append(items, &mosaic.Item{Path: fmt.Sprintf("/data/%d.tif", i),
				Footprint:  orb.Bound{Min: orb.Point{x, y}, Max: orb.Point{x + 150, y + 150}}.ToPolygon(),
				Attributes: map[string]any{mosaic.FieldNameCloudCover: float64(i % 100)}})
		}
		_, err := tx.AddItems(c, items, mosaic.AddOptions{})
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.write.ExecContext(ctx, "ANALYZE"); err != nil {
		t.Fatal(err)
	}
	box := orb.Bound{Min: orb.Point{1000, 1000}, Max: orb.Point{3000, 3000}}
	nw := orb.Point{0, 6400}
	tests := map[string]mosaic.ItemQuery{
		"page":         {Where: "CloudCover < 20", Geometry: box, OutFields: "*", ReturnGeometry: true, Limit: 1000},
		"ordered page": {Where: "CloudCover < 20", Geometry: box, OrderBy: "CloudCover DESC", Offset: 10, Limit: 100},
		"count":        {Where: "CloudCover < 20", Geometry: box, CountOnly: true},
		"extent":       {Geometry: box, SpatialRel: mosaic.SpatialRelEnvelopeIntersects, ExtentOnly: true},
		"ids":          {Geometry: orb.Point{1234, 2345}, SpatialRel: mosaic.SpatialRelWithin, IDsOnly: true},
		"mosaic":       {Geometry: box.ToPolygon(), Rank: &mosaic.MosaicRank{Point: &nw}, OutFields: "Path", Limit: 64},
	}
	for name, q := range tests {
		t.Run(name, func(t *testing.T) {
			plan := explain(t, db, c, q)
			if !strings.Contains(plan, "SCAN rtree_") || !strings.Contains(plan, "VIRTUAL TABLE INDEX") {
				t.Errorf("the plan does not search the R*Tree:\n%s", plan)
			}
			if !strings.Contains(plan, "SEARCH i USING INTEGER PRIMARY KEY") {
				t.Errorf("the plan does not read items by OBJECTID:\n%s", plan)
			}
			if strings.Contains(plan, "SCAN i") {
				t.Errorf("the plan scans the catalog:\n%s", plan)
			}
			page := !q.CountOnly && !q.ExtentOnly && !q.IDsOnly
			if strings.Contains(plan, "SCAN r\n") || page && !strings.Contains(plan, "SEARCH r USING INTEGER PRIMARY KEY") {
				t.Errorf("the plan does not read each item's raster by OBJECTID:\n%s", plan)
			}
		})
	}
}

// explain returns the EXPLAIN QUERY PLAN lines of the statement that
// QueryItems runs for q.
func explain(t *testing.T, db *DB, c *mosaic.Collection, q mosaic.ItemQuery) string {
	t.Helper()
	var b strings.Builder
	err := db.View(context.Background(), func(rt mosaic.ReadTx) error {
		tx := rt.(*Tx)
		sel, _, err := tx.itemsSelect(c, q, false)
		if err != nil {
			return err
		}
		query, args, err := sel.ToSql()
		if err != nil {
			return err
		}
		rows, err := tx.query("EXPLAIN QUERY PLAN "+query, args...)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var id, parent, unused int
			var detail string
			if err := rows.Scan(&id, &parent, &unused, &detail); err != nil {
				return err
			}
			fmt.Fprintf(&b, "%d %d %s\n", id, parent, detail)
		}
		return rows.Err()
	})
	if err != nil {
		t.Fatal(err)
	}
	return b.String()
}
