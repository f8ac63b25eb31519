package sqlite_test

import (
	"context"
	"database/sql"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	_ "github.com/mattn/go-sqlite3"
	"github.com/paulmach/orb"

	"github.com/tessera-gis/tessera/mosaic"
	"github.com/tessera-gis/tessera/mosaic/sqlite"
)

// stressDuration returns how long an opt-in stress test runs
// (TESSERA_STRESS, in seconds), skipping the test when it is not set.
func stressDuration(t *testing.T) time.Duration {
	t.Helper()
	n, err := strconv.Atoi(os.Getenv("TESSERA_STRESS"))
	if err != nil || n <= 0 {
		t.Skip("opt-in: TESSERA_STRESS=seconds")
	}
	return time.Duration(n) * time.Second
}

// TestStoreStress hammers the store with concurrent reads cancelled
// at random moments, schema changes (new collections) and writes, and
// ReleaseMemory, to shake out memory errors in the driver's statement
// cache. Opt-in: TESSERA_STRESS=seconds (also worth running with -asan).
func TestStoreStress(t *testing.T) {
	d := stressDuration(t)
	ctx := context.Background()
	db, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "t.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	mkItems := func(from, n int) []*mosaic.Item {
		items := make([]*mosaic.Item, n)
		for i := range items {
			x, y := 300000+float64((from+i)%100)*1000, 5500000-float64((from+i)/100)*1000
			items[i] = &mosaic.Item{Path: fmt.Sprintf("/data/m_%05d.tif", from+i),
				Footprint:  orb.Polygon{{{x, y - 1000}, {x + 1000, y - 1000}, {x + 1000, y}, {x, y}, {x, y - 1000}}},
				Attributes: map[string]any{"Name": fmt.Sprintf("m_%05d_%s", from+i, string(make([]byte, (from+i)%300)))},
				Raster: mosaic.RasterInfo{Driver: "GTiff", Width: 100, Height: 100, Bands: 1, PixelType: "U8",
					SRS: mosaic.SpatialRef{WKID: 32633}, GeoTransform: [6]float64{x, 10, 0, y, 0, -10}, CellSizeX: 10, CellSizeY: 10}}
		}
		return items
	}
	var names sync.Map
	var ncoll atomic.Int64
	create := func(wctx context.Context) error {
		n := ncoll.Add(1)
		c := &mosaic.Collection{Name: fmt.Sprintf("C%d", n), SRS: mosaic.SpatialRef{WKID: 32633}}
		err := db.Update(wctx, func(tx mosaic.Tx) error { return tx.CreateCollection(c) })
		if err == nil {
			names.Store(c.Name, true)
		}
		return err
	}
	if err := create(ctx); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(d)
	var wg sync.WaitGroup
	var reads, cancels, writes atomic.Int64
	for r := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			rng := rand.New(rand.NewPCG(uint64(r), 1))
			for time.Now().Before(deadline) {
				name := fmt.Sprintf("C%d", 1+rng.IntN(int(ncoll.Load())))
				if _, ok := names.Load(name); !ok {
					continue
				}
				rctx, cancel := context.WithTimeout(ctx, time.Duration(rng.IntN(3000))*time.Microsecond)
				if rng.IntN(4) == 0 {
					cancel()
					rctx, cancel = context.WithCancel(ctx)
				}
				err := db.View(rctx, func(tx mosaic.ReadTx) error {
					c, err := tx.Collection(mosaic.CollectionRef{Name: name})
					if err != nil {
						return err
					}
					var q mosaic.ItemQuery
					switch rng.IntN(5) {
					case 0:
						q = mosaic.ItemQuery{CountOnly: true, Where: "1=1"}
					case 1:
						q = mosaic.ItemQuery{OutFields: "*", ReturnGeometry: true, Limit: 50}
					case 2:
						q = mosaic.ItemQuery{ObjectIDs: []int64{1, 2, 3, int64(rng.IntN(100))}, OutFields: "*"}
					case 3:
						q = mosaic.ItemQuery{Where: fmt.Sprintf("Name LIKE 'm_%03d%%'", rng.IntN(100)), OutFields: "Name"}
					case 4:
						q = mosaic.ItemQuery{IDsOnly: true, Geometry: orb.Bound{Min: orb.Point{300000, 5400000}, Max: orb.Point{300000 + float64(rng.IntN(100000)), 5500000}}}
					}
					_, err = tx.QueryItems(c, q)
					return err
				})
				if err != nil {
					cancels.Add(1)
				}
				cancel()
				reads.Add(1)
			}
		}()
	}
	wg.Add(1)
	go func() {
		defer wg.Done()
		rng := rand.New(rand.NewPCG(99, 1))
		from := 0
		for time.Now().Before(deadline) {
			wctx, cancel := context.WithTimeout(ctx, time.Duration(1+rng.IntN(50))*time.Millisecond)
			switch rng.IntN(10) {
			case 0:
				create(wctx)
			case 1:
				db.ReleaseMemory(ctx)
			default:
				name := fmt.Sprintf("C%d", 1+rng.IntN(int(ncoll.Load())))
				n := 1 + rng.IntN(200)
				db.Update(wctx, func(tx mosaic.Tx) error {
					c, err := tx.Collection(mosaic.CollectionRef{Name: name})
					if err != nil {
						return err
					}
					_, err = tx.AddItems(c, mkItems(from, n), mosaic.AddOptions{})
					return err
				})
				from += n
			}
			cancel()
			writes.Add(1)
		}
	}()
	wg.Wait()
	t.Logf("reads %d (errors %d), writes %d, collections %d", reads.Load(), cancels.Load(), writes.Load(), ncoll.Load())
}

// TestDriverStmtCacheHammer drives mattn/go-sqlite3's statement cache
// directly: readers with random cancellation, argument sizes that regrow
// the statement's argument buffer, LIKE parameters (re-prepared from the
// bound value), SELECT * over a table whose columns a writer keeps adding
// (re-prepare with more columns: row buffer regrown), prepared statements
// in transactions, and idle connections closed under load. Opt-in:
// TESSERA_STRESS=seconds.
func TestDriverStmtCacheHammer(t *testing.T) {
	d := stressDuration(t)
	path := filepath.Join(t.TempDir(), "h.db")
	base := "file:" + path + "?_busy_timeout=60000&_journal_mode=WAL&_synchronous=NORMAL"
	w, err := sql.Open("sqlite3", base+"&_stmt_cache_size=8&_txlock=immediate")
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	w.SetMaxOpenConns(1)
	r, err := sql.Open("sqlite3", base+"&_stmt_cache_size=4&_query_only=true")
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	r.SetMaxOpenConns(6)
	r.SetMaxIdleConns(6)
	ctx := context.Background()
	if _, err := w.ExecContext(ctx, `CREATE TABLE t (id INTEGER PRIMARY KEY, name TEXT, b BLOB, c0 INTEGER)`); err != nil {
		t.Fatal(err)
	}
	for i := range 2000 {
		if _, err := w.ExecContext(ctx, `INSERT INTO t (name, b, c0) VALUES (?, ?, ?)`, fmt.Sprintf("n%05d%s", i, strings.Repeat("x", i%97)), []byte(strings.Repeat("b", i%50)), i); err != nil {
			t.Fatal(err)
		}
	}
	deadline := time.Now().Add(d)
	var cols atomic.Int64
	cols.Store(1)
	var wg sync.WaitGroup
	var nq, nerr atomic.Int64
	queries := []string{
		`SELECT * FROM t WHERE name LIKE ? LIMIT 20`,
		`SELECT * FROM t WHERE name = ? OR b = ?`,
		`SELECT count(*) FROM t WHERE name > ?`,
		`SELECT id, name, b FROM t WHERE id > ? ORDER BY id LIMIT 50`,
		`SELECT * FROM t WHERE id BETWEEN ? AND ?`,
		`SELECT name FROM t WHERE name GLOB ?`,
	}
	for g := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			rng := rand.New(rand.NewPCG(uint64(g), 3))
			for time.Now().Before(deadline) {
				var qctx context.Context
				var cancel context.CancelFunc
				if rng.IntN(3) == 0 {
					qctx, cancel = context.WithCancel(ctx)
				} else {
					qctx, cancel = context.WithTimeout(ctx, time.Duration(rng.IntN(2000))*time.Microsecond)
				}
				long := strings.Repeat("z", rng.IntN(5000))
				var args []any
				qi := rng.IntN(len(queries))
				switch qi {
				case 0:
					args = []any{fmt.Sprintf("n%03d%%%s", rng.IntN(200), long[:rng.IntN(len(long)+1)])}
				case 1:
					args = []any{"n00001" + long, []byte(long)}
				case 2:
					args = []any{long}
				case 3:
					args = []any{int64(rng.IntN(2000))}
				case 4:
					args = []any{int64(rng.IntN(2000)), int64(rng.IntN(2000))}
				case 5:
					args = []any{fmt.Sprintf("n%02d*%s", rng.IntN(100), long[:rng.IntN(len(long)+1)])}
				}
				run := func(q interface {
					QueryContext(context.Context, string, ...any) (*sql.Rows, error)
				}) error {
					rows, err := q.QueryContext(qctx, queries[qi], args...)
					if err != nil {
						return err
					}
					defer rows.Close()
					n := 0
					for rows.Next() {
						cs, _ := rows.Columns()
						vals := make([]any, len(cs))
						ptrs := make([]any, len(cs))
						for i := range vals {
							ptrs[i] = &vals[i]
						}
						if err := rows.Scan(ptrs...); err != nil {
							return err
						}
						n++
						if n > 5 && rng.IntN(4) == 0 {
							break // leave the statement mid-way
						}
					}
					return rows.Err()
				}
				var err error
				switch rng.IntN(3) {
				case 0:
					err = run(r)
				case 1:
					tx, e := r.BeginTx(qctx, &sql.TxOptions{ReadOnly: true})
					if e != nil {
						err = e
						break
					}
					err = run(tx)
					if err == nil {
						err = run(tx)
					}
					tx.Rollback()
				case 2:
					tx, e := r.BeginTx(qctx, &sql.TxOptions{ReadOnly: true})
					if e != nil {
						err = e
						break
					}
					st, e := tx.PrepareContext(qctx, queries[qi])
					if e == nil {
						for range 3 {
							rows, e := st.QueryContext(qctx, args...)
							if e != nil {
								break
							}
							for rows.Next() {
							}
							rows.Close()
						}
						st.Close()
					}
					tx.Rollback()
				}
				if err != nil {
					nerr.Add(1)
				}
				cancel()
				nq.Add(1)
			}
		}()
	}
	wg.Add(1)
	go func() {
		defer wg.Done()
		rng := rand.New(rand.NewPCG(77, 3))
		for time.Now().Before(deadline) {
			wctx, cancel := context.WithTimeout(ctx, time.Duration(1+rng.IntN(20))*time.Millisecond)
			switch rng.IntN(6) {
			case 0:
				if c := cols.Load(); c < 60 {
					if _, err := w.ExecContext(wctx, fmt.Sprintf(`ALTER TABLE t ADD COLUMN c%d TEXT DEFAULT 'v%d'`, c, c)); err == nil {
						cols.Add(1)
					}
				}
			case 1:
				r.SetMaxIdleConns(0)
				r.SetMaxIdleConns(6)
			case 2:
				w.ExecContext(wctx, fmt.Sprintf(`CREATE TABLE IF NOT EXISTS x%d (a)`, rng.IntN(1000)))
			default:
				tx, err := w.BeginTx(wctx, nil)
				if err == nil {
					tx.ExecContext(wctx, `UPDATE t SET name = ? WHERE id = ?`, fmt.Sprintf("n%05d%s", rng.IntN(2000), strings.Repeat("u", rng.IntN(300))), int64(rng.IntN(2000)))
					rows, err := tx.QueryContext(wctx, `SELECT * FROM t WHERE id > ? LIMIT 3`, int64(rng.IntN(2000)))
					if err == nil {
						for rows.Next() {
						}
						rows.Close()
					}
					tx.Commit()
				}
			}
			cancel()
		}
	}()
	wg.Wait()
	t.Logf("queries %d (errors %d), columns added %d", nq.Load(), nerr.Load(), cols.Load()-1)
}
