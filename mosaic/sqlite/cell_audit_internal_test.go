package sqlite

import (
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/paulmach/orb"

	"github.com/tessera-gis/tessera/mosaic"
	"github.com/tessera-gis/tessera/mosaic/internal/storesql"
)

// auditCells compares c's cells and footprint counts with ones computed
// from its live items: every count exact, no row for a cell or footprint
// without live items. It also checks that the R*Tree and the raster table
// hold exactly the items' OBJECTIDs.
func auditCells(t *testing.T, db *DB, c *mosaic.Collection) {
	t.Helper()
	ctx := context.Background()
	type cellAgg struct {
		count                  int64
		minx, miny, maxx, maxy float64
		minPS, maxPS           float64
	}
	wantCells := map[int64]*cellAgg{}
	wantShapes := map[storesql.CellShape]int64{}
	rows, err := db.write.QueryContext(ctx, fmt.Sprintf(`SELECT _cell, "Shape", _minx, _miny, _maxx, _maxy, "LowPS", "HighPS"
		FROM %s WHERE _deleted_at IS NULL`, itemsTable(c)))
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var (
			cell                   int64
			shape                  []byte
			minx, miny, maxx, maxy float64
			low, high              float64
		)
		if err := rows.Scan(&cell, &shape, &minx, &miny, &maxx, &maxy, &low, &high); err != nil {
			t.Fatal(err)
		}
		a := wantCells[cell]
		if a == nil {
			a = &cellAgg{minx: minx, miny: miny, maxx: maxx, maxy: maxy, minPS: low, maxPS: high}
			wantCells[cell] = a
		}
		a.count++
		a.minx, a.miny, a.maxx, a.maxy = min(a.minx, minx), min(a.miny, miny), max(a.maxx, maxx), max(a.maxy, maxy)
		a.minPS, a.maxPS = min(a.minPS, low), max(a.maxPS, high)
		wantShapes[storesql.CellShape{Cell: cell, Key: storesql.ShapeKey(shape)}]++
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	rows.Close()

	rows, err = db.write.QueryContext(ctx, `SELECT cell, count, minx, miny, maxx, maxy, min_psx, min_psy, max_ps FROM cells WHERE collection_id = ?`, c.ID)
	if err != nil {
		t.Fatal(err)
	}
	seen := 0
	for rows.Next() {
		var (
			cell   int64
			g      cellAgg
			minPSy float64
		)
		if err := rows.Scan(&cell, &g.count, &g.minx, &g.miny, &g.maxx, &g.maxy, &g.minPS, &minPSy, &g.maxPS); err != nil {
			t.Fatal(err)
		}
		w := wantCells[cell]
		switch {
		case w == nil:
			t.Errorf("cell %d: stored %+v, but it has no live item", cell, g)
		case g != *w || minPSy != w.minPS:
			t.Errorf("cell %d: stored %+v (min_psy %v), want %+v", cell, g, minPSy, *w)
		}
		seen++
	}
	rows.Close()
	if seen != len(wantCells) {
		t.Errorf("%d cells stored, want %d", seen, len(wantCells))
	}

	rows, err = db.write.QueryContext(ctx, `SELECT cell, shape_key, count FROM cell_shapes WHERE collection_id = ?`, c.ID)
	if err != nil {
		t.Fatal(err)
	}
	seen = 0
	for rows.Next() {
		var (
			k storesql.CellShape
			n int64
		)
		if err := rows.Scan(&k.Cell, &k.Key, &n); err != nil {
			t.Fatal(err)
		}
		if wantShapes[k] != n {
			t.Errorf("footprint %+v: count %d, want %d", k, n, wantShapes[k])
		}
		seen++
	}
	rows.Close()
	if seen != len(wantShapes) {
		t.Errorf("%d footprint counts stored, want %d", seen, len(wantShapes))
	}

	// Every item, live or recycled, has one R*Tree entry and one raster
	// row, with its bounds; nothing else does.
	for _, q := range []string{
		fmt.Sprintf(`SELECT count(*) FROM %s i LEFT JOIN %s r ON r.id = i."OBJECTID"
			WHERE r.id IS NULL OR r.minx > i._minx OR r.maxx < i._maxx OR r.miny > i._miny OR r.maxy < i._maxy`, itemsTable(c), rtreeTable(c)),
		fmt.Sprintf(`SELECT count(*) FROM %s r LEFT JOIN %s i ON r.id = i."OBJECTID" WHERE i."OBJECTID" IS NULL`, rtreeTable(c), itemsTable(c)),
		fmt.Sprintf(`SELECT count(*) FROM %s i LEFT JOIN %s r ON r.oid = i."OBJECTID" WHERE r.oid IS NULL`, itemsTable(c), rastersTable(c)),
		fmt.Sprintf(`SELECT count(*) FROM %s r LEFT JOIN %s i ON r.oid = i."OBJECTID" WHERE i."OBJECTID" IS NULL`, rastersTable(c), itemsTable(c)),
	} {
		var n int
		if err := db.write.QueryRowContext(ctx, q).Scan(&n); err != nil {
			t.Fatal(err)
		}
		if n != 0 {
			t.Errorf("%d rows from %s", n, q)
		}
	}
}

// TestCellsExactAfterMixes: after random adds in groups of every size
// (revisits with identical footprints, EXCLUDE and OVERWRITE with paths
// repeated inside an add), imports, deletes, restores and purges, and
// failed adds, the cells and footprint counts are exactly those of the
// live items, and the R*Tree and raster table match the items table.
// TESSERA_CELLS_SEED=n runs it with another random sequence.
func TestCellsExactAfterMixes(t *testing.T) {
	ctx := context.Background()
	db, c := openWithCollection(t, "M")
	seed := uint64(11)
	if s := os.Getenv("TESSERA_CELLS_SEED"); s != "" {
		fmt.Sscan(s, &seed)
	}
	r := rand.New(rand.NewPCG(seed, 12))
	mk := func(path string, tile int) *mosaic.Item {
		x, y := float64(tile%6)*100, float64(tile/6)*100
		if r.IntN(5) == 0 { // a footprint of its own
			x += float64(r.IntN(20))
		}
		return &mosaic.Item{Path: path, Footprint: orb.Polygon{{{x, y}, {x + 100, y}, {x + 100, y + 100}, {x, y + 100}, {x, y}}},
			Attributes: map[string]any{mosaic.FieldNameCloudCover: float64(r.IntN(100)),
				mosaic.FieldNameLowPS: 1 + float64(r.IntN(20)), mosaic.FieldNameHighPS: 30 + float64(r.IntN(20))},
			Raster: mosaic.RasterInfo{Width: 1 + r.IntN(50), Height: 1, Bands: 1, PixelType: "U8"}}
	}
	update := func(fn func(tx mosaic.Tx) error) error { return db.Update(ctx, fn) }
	var jobs []string
	nextImport := int64(100000)
	for step := range 60 {
		var err error
		switch op := r.IntN(8); op {
		case 0, 1, 2: // add
			n := []int{1, 2, 31, 32, 33, 64, 65, 100}[r.IntN(8)]
			items := make([]*mosaic.Item, n)
			for i := range items {
				items[i] = mk(fmt.Sprintf("/p%d.tif", r.IntN(60)), r.IntN(24))
			}
			dup := []mosaic.DuplicateAction{mosaic.DuplicatesAllow, mosaic.DuplicatesExclude, mosaic.DuplicatesOverwrite}[r.IntN(3)]
			fail := r.IntN(5) == 0
			if fail {
				items[r.IntN(n)].Attributes[mosaic.FieldNameCloudCover] = "bad"
			}
			err = update(func(tx mosaic.Tx) error {
				_, err := tx.AddItems(c, items, mosaic.AddOptions{Duplicates: dup})
				return err
			})
			if fail && mosaic.ErrorCode(err) == mosaic.EINVALID {
				err = nil
			}
		case 3: // import above every OID, some straight to the recycle bin
			var top int64
			if err := db.write.QueryRowContext(ctx, fmt.Sprintf(`SELECT coalesce(max("OBJECTID"), 0) FROM %s`, itemsTable(c))).Scan(&top); err != nil {
				t.Fatal(err)
			}
			nextImport = max(nextImport, top+1)
			items := make([]*mosaic.Item, 1+r.IntN(40))
			for i := range items {
				items[i] = mk(fmt.Sprintf("/imp%d.tif", nextImport), r.IntN(24))
				items[i].OID = nextImport
				nextImport += 1 + int64(r.IntN(3))
				if r.IntN(3) == 0 {
					items[i].Recycled = &mosaic.Recycled{At: time.Now().Add(-time.Minute), JobID: "imported"}
				}
			}
			err = update(func(tx mosaic.Tx) error { return tx.ImportItems(c, items) })
			jobs = append(jobs, "imported")
		case 4: // delete
			job := fmt.Sprintf("j%d", step)
			jobs = append(jobs, job)
			err = update(func(tx mosaic.Tx) error {
				_, err := tx.DeleteItems(c, mosaic.ItemDelete{Where: fmt.Sprintf("CloudCover < %d", r.IntN(60)), JobID: job, Purge: r.IntN(3) == 0})
				return err
			})
		case 5: // restore
			if len(jobs) > 0 {
				job := jobs[r.IntN(len(jobs))]
				err = update(func(tx mosaic.Tx) error {
					_, err := tx.RestoreItems(c, mosaic.ItemRestore{JobID: job})
					return err
				})
			}
		case 6: // purge
			err = update(func(tx mosaic.Tx) error {
				_, err := tx.PurgeRecycled(time.Now().Add(time.Hour), r.IntN(30))
				return err
			})
		case 7: // refresh the stale unions
			var p *mosaic.BoundaryPatch
			if err = db.View(ctx, func(tx mosaic.ReadTx) (err error) {
				p, err = tx.StaleBoundary(c)
				return err
			}); err == nil {
				err = update(func(tx mosaic.Tx) error {
					_, err := tx.UpdateBoundary(c, p)
					return err
				})
			}
		}
		if err != nil {
			t.Fatalf("step %d: %v", step, err)
		}
		auditCells(t, db, c)
		if t.Failed() {
			t.Fatalf("after step %d", step)
		}
	}
}

// TestAddItemsCancelledMidway cancels adds of 1,500 items at random
// moments from another goroutine: each either commits every item or
// returns ECANCELED and keeps none, and the cells, footprint counts,
// R*Tree and raster rows match the items afterwards.
func TestAddItemsCancelledMidway(t *testing.T) {
	ctx := context.Background()
	db, c := openWithCollection(t, "C")
	count := func() int64 {
		var n int64
		if err := db.write.QueryRowContext(ctx, fmt.Sprintf(`SELECT count(*) FROM %s`, itemsTable(c))).Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n
	}
	r := rand.New(rand.NewPCG(5, 6))
	var committed, cancelled int
	for round := range 12 {
		items := gridItems(round, 1500)
		before := count()
		cctx, cancel := context.WithCancel(ctx)
		timer := time.AfterFunc(time.Duration(r.IntN(300))*time.Millisecond, cancel)
		err := db.Update(cctx, func(tx mosaic.Tx) error {
			cur, err := tx.Collection(mosaic.CollectionRef{ItemID: c.ItemID})
			if err != nil {
				return err
			}
			_, err = tx.AddItems(cur, items, mosaic.AddOptions{Duplicates: []mosaic.DuplicateAction{mosaic.DuplicatesAllow, mosaic.DuplicatesOverwrite}[round%2]})
			return err
		})
		timer.Stop()
		cancel()
		switch after := count(); {
		case err == nil:
			committed++
			if after != before+int64(len(items)) {
				t.Errorf("round %d committed: %d items, want %d", round, after, before+int64(len(items)))
			}
		case mosaic.ErrorCode(err) == mosaic.ECANCELED:
			cancelled++
			if after != before {
				t.Errorf("round %d cancelled: %d items, want %d", round, after, before)
			}
		default:
			t.Fatalf("round %d: %v", round, err)
		}
		auditCells(t, db, c)
	}
	t.Logf("%d adds committed, %d cancelled", committed, cancelled)
}

// openWithCollection opens a new database with an empty collection named
// name in EPSG:32633; it is closed when the test ends.
func openWithCollection(t *testing.T, name string) (*DB, *mosaic.Collection) {
	t.Helper()
	ctx := context.Background()
	db, err := Open(ctx, filepath.Join(t.TempDir(), "t.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	c := &mosaic.Collection{Name: name, SRS: mosaic.SpatialRef{WKID: 32633}}
	if err := db.Update(ctx, func(tx mosaic.Tx) error { return tx.CreateCollection(c) }); err != nil {
		t.Fatal(err)
	}
	return db, c
}

// gridItems are n 100×100 items on a grid 40 wide, their paths numbered
// under /r<round>/.
func gridItems(round, n int) []*mosaic.Item {
	out := make([]*mosaic.Item, n)
	for i := range out {
		x, y := float64(i%40)*100, float64(i/40)*100
		out[i] = &mosaic.Item{Path: fmt.Sprintf("/r%d/%d.tif", round, i),
			Footprint:  orb.Polygon{{{x, y}, {x + 100, y}, {x + 100, y + 100}, {x, y + 100}, {x, y}}},
			Attributes: map[string]any{mosaic.FieldNameLowPS: 1.0, mosaic.FieldNameHighPS: 2.0}}
	}
	return out
}
