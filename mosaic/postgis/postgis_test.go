package postgis_test

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/paulmach/orb"

	"github.com/tessera-gis/tessera/mosaic"
	"github.com/tessera-gis/tessera/mosaic/postgis"
)

// TestMigrateConcurrently opens one empty schema from several servers at
// once: the advisory lock lets one migrate, and every Open succeeds.
func TestMigrateConcurrently(t *testing.T) {
	t.Parallel()
	first := openStore(t) // skips without PostgreSQL
	first.Close()
	dsn := testDB.NewSchema(t, "m")
	const n = 4
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			db, err := postgis.Open(t.Context(), dsn)
			if err == nil {
				db.Close()
			}
			errs[i] = err
		})
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	db, err := postgis.Open(t.Context(), dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var versions []int
	rows, err := db.Pool().Query(t.Context(), `SELECT version FROM tessera_migrations ORDER BY version`)
	if err != nil {
		t.Fatal(err)
	}
	versions, err = pgx.CollectRows(rows, pgx.RowTo[int])
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(versions, []int{1, 2, 3, 4, 5}) {
		t.Errorf("applied migrations %v, want [1 2 3 4 5], each once", versions)
	}
}

// TestConcurrentAdds adds to one collection from several transactions at
// once: the collection lock serialises them, and OBJECTIDs stay unique
// and dense.
func TestConcurrentAdds(t *testing.T) {
	t.Parallel()
	db := openStore(t)
	ctx := t.Context()
	c := &mosaic.Collection{Name: "C"}
	if err := db.Update(ctx, func(tx mosaic.Tx) error { return tx.CreateCollection(c) }); err != nil {
		t.Fatal(err)
	}
	const writers, each = 4, 50
	var wg sync.WaitGroup
	errs := make([]error, writers)
	for w := range writers {
		wg.Go(func() {
			var items []*mosaic.Item
			for i := range each {
				x := float64(w*each+i) * 10
				items = append(items, &mosaic.Item{Path: fmt.Sprintf("/src/%d_%d.tif", w, i),
					Footprint: orb.Bound{Min: orb.Point{x, 0}, Max: orb.Point{x + 10, 10}}.ToPolygon()})
			}
			errs[w] = db.Update(ctx, func(tx mosaic.Tx) error {
				_, err := tx.AddItems(c, items, mosaic.AddOptions{})
				return err
			})
		})
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	var page *mosaic.ItemPage
	if err := db.View(ctx, func(tx mosaic.ReadTx) (err error) {
		page, err = tx.QueryItems(c, mosaic.ItemQuery{IDsOnly: true})
		return err
	}); err != nil {
		t.Fatal(err)
	}
	want := make([]int64, writers*each)
	for i := range want {
		want[i] = int64(i + 1)
	}
	if !slices.Equal(page.IDs, want) {
		t.Errorf("OBJECTIDs %v, want 1–%d", page.IDs, writers*each)
	}
	var got *mosaic.Collection
	if err := db.View(ctx, func(tx mosaic.ReadTx) (err error) {
		got, err = tx.Collection(mosaic.CollectionRef{Name: "C"})
		return err
	}); err != nil {
		t.Fatal(err)
	}
	if got.Summary.Count != writers*each || got.Summary.Extent.Max[0] != writers*each*10 {
		t.Errorf("summary = %+v", got.Summary)
	}
}

// TestQueryPlanUsesGiST checks with EXPLAIN that spatial item queries find
// their candidates through the GiST index on the footprints, on a catalog
// with statistics (ANALYZE) that make a scan tempting.
func TestQueryPlanUsesGiST(t *testing.T) {
	t.Parallel()
	db := openStore(t)
	ctx := t.Context()
	c := &mosaic.Collection{Name: "Plan", SRS: mosaic.SpatialRef{WKID: 32633}}
	err := db.Update(ctx, func(tx mosaic.Tx) error {
		if err := tx.CreateCollection(c); err != nil {
			return err
		}
		items := make([]*mosaic.Item, 0, 20000)
		for i := range cap(items) {
			x, y := float64(i%200)*100, float64(i/200)*100
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
	table := fmt.Sprintf("items_%d", c.ID)
	if _, err := db.Pool().Exec(ctx, "ANALYZE "+table); err != nil {
		t.Fatal(err)
	}
	box := orb.Bound{Min: orb.Point{1000, 1000}, Max: orb.Point{1500, 1500}}
	for name, q := range map[string]mosaic.ItemQuery{
		"page":     {Where: "CloudCover < 50", Geometry: box, OutFields: "*", ReturnGeometry: true, Limit: 100},
		"count":    {Geometry: box, CountOnly: true},
		"envelope": {Geometry: box, SpatialRel: mosaic.SpatialRelEnvelopeIntersects, IDsOnly: true},
		"point":    {Geometry: orb.Point{1234, 1234}, SpatialRel: mosaic.SpatialRelWithin, IDsOnly: true},
	} {
		plan := explain(t, db, c, q)
		if !strings.Contains(plan, table+"_shape") {
			t.Errorf("%s: the plan does not use the GiST index:\n%s", name, plan)
		}
	}
}

func explain(t *testing.T, db *postgis.DB, c *mosaic.Collection, q mosaic.ItemQuery) string {
	t.Helper()
	var plan []string
	err := db.View(context.Background(), func(rtx mosaic.ReadTx) error {
		query, args, err := postgis.ItemsSQL(rtx, c, q)
		if err != nil {
			return err
		}
		rows, err := rtx.(*postgis.Tx).PgxTx().Query(context.Background(), "EXPLAIN "+query, args...)
		if err != nil {
			return err
		}
		plan, err = pgx.CollectRows(rows, pgx.RowTo[string])
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return strings.Join(plan, "\n")
}

// TestCancelStopsTheStatement cancels a transaction during a long
// statement: Update returns ECANCELED at once, and the server stops the
// statement rather than run it to its end.
func TestCancelStopsTheStatement(t *testing.T) {
	t.Parallel()
	db := openStore(t)
	ctx, cancel := context.WithCancel(t.Context())
	start := time.Now()
	err := db.Update(ctx, func(tx mosaic.Tx) error {
		time.AfterFunc(200*time.Millisecond, cancel)
		_, err := tx.(*postgis.Tx).PgxTx().Exec(ctx, `SELECT pg_sleep(60)`)
		return err
	})
	if mosaic.ErrorCode(err) != mosaic.ECANCELED {
		t.Fatalf("Update = %v, want ECANCELED", err)
	}
	if d := time.Since(start); d > 30*time.Second {
		t.Errorf("Update returned after %v: the statement was not cancelled", d)
	}
	// The server notices the dropped connection within a second.
	for deadline := time.Now().Add(20 * time.Second); ; {
		var n int
		if err := db.Pool().QueryRow(t.Context(), `SELECT count(*) FROM pg_stat_activity
			WHERE query = 'SELECT pg_sleep(60)' AND state = 'active' AND datname = current_database()`).Scan(&n); err != nil {
			t.Fatal(err)
		}
		if n == 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d cancelled statements still run in the server after 20s", n)
		}
		time.Sleep(50 * time.Millisecond)
	}
}
