package storecopy_test

import (
	"context"
	"encoding/json"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/paulmach/orb"

	"github.com/tessera-gis/tessera/internal/pgtest"
	"github.com/tessera-gis/tessera/mosaic"
	"github.com/tessera-gis/tessera/mosaic/postgis"
	"github.com/tessera-gis/tessera/mosaic/sqlite"
	"github.com/tessera-gis/tessera/mosaic/storecopy"
)

func openSQLite(t *testing.T) *sqlite.DB {
	t.Helper()
	db, err := sqlite.Open(t.Context(), filepath.Join(t.TempDir(), "tessera.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

// fill makes a source catalog: two collections, one with an extra field,
// items with every kind of value, a recycle bin from two jobs, a purge
// that leaves a gap in the OBJECTIDs, and audit entries.
func fill(t *testing.T, db mosaic.Store) {
	t.Helper()
	err := db.Update(t.Context(), func(tx mosaic.Tx) error {
		a := &mosaic.Collection{Name: "Alpha", SRS: mosaic.SpatialRef{WKID: 32633}}
		b := &mosaic.Collection{Name: "beta", ItemID: "00112233445566778899aabbccddeeff", SRS: mosaic.SpatialRef{WKT: `LOCAL_CS["x"]`}}
		for _, c := range []*mosaic.Collection{a, b} {
			if err := tx.CreateCollection(c); err != nil {
				return err
			}
		}
		if err := tx.AddFields(b, []mosaic.Field{{Name: "Orbit", Type: mosaic.FieldInteger}}); err != nil {
			return err
		}
		for ci, c := range []*mosaic.Collection{a, b} {
			var items []*mosaic.Item
			for i := range 40 {
				x := float64(i%8) * 100
				attrs := map[string]any{mosaic.FieldNameCloudCover: float64(i), mosaic.FieldNameName: fmt.Sprintf("n%d", i),
					mosaic.FieldNameAcquisitionDate: time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC).AddDate(0, 0, i),
					mosaic.FieldNameLowPS:           10.0, mosaic.FieldNameHighPS: 20.0 + float64(i%3)}
				if ci == 1 {
					attrs["Orbit"] = int64(i * 3)
				}
				if i%7 == 0 {
					delete(attrs, mosaic.FieldNameCloudCover)
				}
				items = append(items, &mosaic.Item{Path: fmt.Sprintf("/src/%s/%d.tif", c.Name, i),
					Footprint:  orb.Bound{Min: orb.Point{x, float64(i/8) * 100}, Max: orb.Point{x + 120, float64(i/8)*100 + 120}}.ToPolygon(),
					Attributes: attrs,
					Raster: mosaic.RasterInfo{Driver: "GTiff", Width: 10, Height: 10, Bands: 2, PixelType: "U16",
						Stats: []mosaic.BandStats{{Min: 0, Max: float64(i), Mean: float64(i) / 2, Std: 1}}}})
			}
			if _, err := tx.AddItems(c, items, mosaic.AddOptions{}); err != nil {
				return err
			}
			for _, d := range []mosaic.ItemDelete{{Where: "CloudCover < 5", JobID: "j1"}, {Where: "OBJECTID > 35", JobID: "j2"},
				{Where: "OBJECTID = 20", Purge: true}} {
				if _, err := tx.DeleteItems(c, d); err != nil {
					return err
				}
			}
		}
		for i, action := range []string{"create-collection", "add", "delete"} {
			if err := tx.Audit(mosaic.AuditEntry{Time: time.Date(2024, 1, 1, 0, i, 0, 0, time.UTC), User: "ann", Action: action,
				Collection: "Alpha", JobID: fmt.Sprint("j", i), Where: "1=1", Count: int64(i), Detail: "d"}); err != nil {
				return err
			}
		}
		return tx.CreateJob(&mosaic.Job{ID: "jdone", Task: "DeleteImage", State: mosaic.JobSucceeded})
	})
	if err != nil {
		t.Fatal(err)
	}
}

// dump renders everything Copy promises to copy, for comparison.
func dump(t *testing.T, db mosaic.Store) string {
	t.Helper()
	var out []any
	err := db.View(t.Context(), func(tx mosaic.ReadTx) error {
		cs, err := tx.Collections()
		if err != nil {
			return err
		}
		for _, c := range cs {
			out = append(out, c.Name, c.ItemID, c.SRS, c.Fields, c.Summary)
			for _, recycled := range []bool{false, true} {
				page, err := tx.QueryItems(c, mosaic.ItemQuery{OutFields: "*", ReturnGeometry: true, Recycled: recycled})
				if err != nil {
					return err
				}
				out = append(out, page.Items)
			}
			st, err := tx.BandStats(c)
			if err != nil {
				return err
			}
			out = append(out, st)
		}
		log, err := tx.AuditLog(mosaic.AuditFilter{})
		out = append(out, log)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	b, err := json.Marshal(out)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// targets opens an empty store of each kind.
var targets = map[string]func(t *testing.T) mosaic.Store{
	"sqlite": func(t *testing.T) mosaic.Store { return openSQLite(t) },
	"postgis": func(t *testing.T) mosaic.Store {
		pdb := pgtest.NewDatabase(t, "tessera_copy_test")
		db, err := postgis.Open(t.Context(), pdb.DSN)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { db.Close() })
		return db
	},
}

func TestCopy(t *testing.T) {
	t.Parallel()
	src := openSQLite(t)
	fill(t, src)
	want := dump(t, src)

	for name, open := range targets {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			dst := open(t)
			st, err := storecopy.Copy(t.Context(), src, dst, storecopy.Options{Batch: 7})
			if err != nil {
				t.Fatal(err)
			}
			if st.Collections != 2 || st.Items != 2*(40-5-4-1) || st.Recycled != 2*9 || st.Audit != 3 {
				t.Errorf("stats = %+v", st)
			}
			if got := dump(t, dst); got != want {
				t.Errorf("the copy differs from the source:\n got %.2000s\nwant %.2000s", got, want)
			}
			// New items continue after the copied OBJECTIDs (40 was the last).
			err = dst.Update(t.Context(), func(tx mosaic.Tx) error {
				c, err := tx.Collection(mosaic.CollectionRef{Name: "alpha"})
				if err != nil {
					return err
				}
				res, err := tx.AddItems(c, []*mosaic.Item{{Path: "/src/new.tif", Footprint: orb.Bound{Max: orb.Point{1, 1}}.ToPolygon()}}, mosaic.AddOptions{})
				if err == nil && res.OIDs[0] != 41 {
					t.Errorf("new item's OID = %d, want 41", res.OIDs[0])
				}
				return err
			})
			if err != nil {
				t.Fatal(err)
			}
			// A second copy into the same target is refused and changes nothing.
			before := dump(t, dst)
			if _, err := storecopy.Copy(t.Context(), src, dst, storecopy.Options{}); mosaic.ErrorCode(err) != mosaic.ECONFLICT {
				t.Errorf("copy into a non-empty target: %v, want ECONFLICT", err)
			}
			if dump(t, dst) != before {
				t.Error("a refused copy changed the target")
			}
		})
	}
}

// TestCopyRefusesUnfinishedJobs: queued jobs cannot move, so the copy
// waits for them to finish.
func TestCopyRefusesUnfinishedJobs(t *testing.T) {
	t.Parallel()
	src, dst := openSQLite(t), openSQLite(t)
	fill(t, src)
	if err := src.Update(context.Background(), func(tx mosaic.Tx) error {
		return tx.CreateJob(&mosaic.Job{ID: "jq", Task: "AddImage", State: mosaic.JobSubmitted})
	}); err != nil {
		t.Fatal(err)
	}
	_, err := storecopy.Copy(t.Context(), src, dst, storecopy.Options{})
	if mosaic.ErrorCode(err) != mosaic.ECONFLICT {
		t.Fatalf("copy with a queued job: %v, want ECONFLICT", err)
	}
	if got := dump(t, dst); got != `[[]]` && got != `[null]` {
		t.Errorf("the target changed: %s", got)
	}
}

// TestCopyKeepsPurgedOIDs: OBJECTIDs are never reused, so the OIDs of
// purged items, the highest ones included, stay used in the copy: in a
// collection whose last item was purged and in one whose items all were.
func TestCopyKeepsPurgedOIDs(t *testing.T) {
	t.Parallel()
	add := func(t *testing.T, tx mosaic.Tx, c *mosaic.Collection, n int) []int64 {
		t.Helper()
		items := make([]*mosaic.Item, n)
		for i := range items {
			items[i] = &mosaic.Item{Path: fmt.Sprintf("/src/%d.tif", i), Footprint: orb.Bound{Max: orb.Point{1, 1}}.ToPolygon()}
		}
		res, err := tx.AddItems(c, items, mosaic.AddOptions{})
		if err != nil {
			t.Fatal(err)
		}
		return res.OIDs
	}
	src := openSQLite(t)
	err := src.Update(t.Context(), func(tx mosaic.Tx) error {
		for _, name := range []string{"Top", "All"} {
			c := &mosaic.Collection{Name: name, SRS: mosaic.SpatialRef{WKID: 3857}}
			if err := tx.CreateCollection(c); err != nil {
				return err
			}
			add(t, tx, c, 5)
			where := "OBJECTID > 3"
			if name == "All" {
				where = "1=1"
			}
			if _, err := tx.DeleteItems(c, mosaic.ItemDelete{Where: where, Purge: true}); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	for name, open := range targets {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			dst := open(t)
			if _, err := storecopy.Copy(t.Context(), src, dst, storecopy.Options{}); err != nil {
				t.Fatal(err)
			}
			err := dst.Update(t.Context(), func(tx mosaic.Tx) error {
				for _, name := range []string{"Top", "All"} {
					c, err := tx.Collection(mosaic.CollectionRef{Name: name})
					if err != nil {
						return err
					}
					if oids := add(t, tx, c, 1); oids[0] != 6 {
						t.Errorf("%s: a new item's OBJECTID = %d, want 6 (1 to 5 were used in the source)", name, oids[0])
					}
				}
				return nil
			})
			if err != nil {
				t.Fatal(err)
			}
		})
	}
}

// TestCopyOddText: SQLite keeps strings as the bytes ingest gave it, NUL
// and invalid UTF-8 (a Latin-1 manifest) included, which PostgreSQL's
// TEXT refuses; the copy stores each such byte as U+FFFD, as the JSON
// answers of the source already show it. A path cannot change (it would
// not be read): an odd one is refused by name.
func TestCopyOddText(t *testing.T) {
	t.Parallel()
	const odd, shown = "caf\xe9\xe9 a\x00b", "caf\uFFFD\uFFFD a\uFFFDb"
	src := openSQLite(t)
	err := src.Update(t.Context(), func(tx mosaic.Tx) error {
		c := &mosaic.Collection{Name: "Odd", SRS: mosaic.SpatialRef{WKID: 3857}}
		if err := tx.CreateCollection(c); err != nil {
			return err
		}
		_, err := tx.AddItems(c, []*mosaic.Item{{Path: "/src/odd.tif", Footprint: orb.Bound{Max: orb.Point{1, 1}}.ToPolygon(),
			Attributes: map[string]any{mosaic.FieldNameName: odd}}}, mosaic.AddOptions{})
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	badPath := openSQLite(t)
	err = badPath.Update(t.Context(), func(tx mosaic.Tx) error {
		c := &mosaic.Collection{Name: "Odd", SRS: mosaic.SpatialRef{WKID: 3857}}
		if err := tx.CreateCollection(c); err != nil {
			return err
		}
		_, err := tx.AddItems(c, []*mosaic.Item{{Path: "/src/caf\xe9.tif", Footprint: orb.Bound{Max: orb.Point{1, 1}}.ToPolygon()}}, mosaic.AddOptions{})
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	for name, open := range targets {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			dst := open(t)
			if _, err := storecopy.Copy(t.Context(), src, dst, storecopy.Options{}); err != nil {
				t.Fatal(err)
			}
			_, err := storecopy.Copy(t.Context(), badPath, open(t), storecopy.Options{})
			if (err == nil) != (name == "sqlite") || err != nil &&
				(mosaic.ErrorCode(err) != mosaic.EINVALID || !strings.Contains(err.Error(), `caf\xe9.tif`)) {
				t.Errorf("copy of a path that is not UTF-8: %v, want EINVALID naming it on PostgreSQL", err)
			}
			err = dst.View(t.Context(), func(tx mosaic.ReadTx) error {
				c, err := tx.Collection(mosaic.CollectionRef{Name: "Odd"})
				if err != nil {
					return err
				}
				it, err := tx.Item(c, 1)
				if err != nil {
					return err
				}
				if got := it.Attributes[mosaic.FieldNameName]; got != odd && got != shown {
					t.Errorf("Name = %q, want %q or %q", got, odd, shown)
				}
				return nil
			})
			if err != nil {
				t.Fatal(err)
			}
		})
	}
}
