package sqlfilter_test

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/Masterminds/squirrel"
	_ "github.com/jackc/pgx/v5/stdlib"
	"github.com/mattn/go-sqlite3"

	"github.com/tessera-gis/tessera/sqlfilter"
)

// sqliteDriver is a go-sqlite3 driver with the sqlfilter functions
// registered on every connection, as the store does it.
const sqliteDriver = "sqlite3_sqlfilter_test"

var registerOnce sync.Once

func registerSQLite() {
	registerOnce.Do(func() {
		sql.Register(sqliteDriver, &sqlite3.SQLiteDriver{
			ConnectHook: func(conn *sqlite3.SQLiteConn) error {
				for _, f := range sqlfilter.SQLiteFunctions() {
					if err := conn.RegisterFunc(f.Name, f.Impl, f.Pure); err != nil {
						return fmt.Errorf("register %s: %w", f.Name, err)
					}
				}
				return nil
			},
		})
	})
}

// testFields is the allow-list of the test catalog. "Date" shares a column
// with AcquisitionDate to test a field named like a keyword; "Sun Elevation"
// needs double quotes.
func testFields(tb testing.TB) *sqlfilter.Fields {
	tb.Helper()
	fs, err := sqlfilter.NewFields(
		sqlfilter.Field{Name: "OBJECTID", Column: `"OBJECTID"`, Type: sqlfilter.Integer},
		sqlfilter.Field{Name: "Name", Column: `"Name"`, Type: sqlfilter.String},
		sqlfilter.Field{Name: "CloudCover", Column: `"CloudCover"`, Type: sqlfilter.Double},
		sqlfilter.Field{Name: "AcquisitionDate", Column: `"AcquisitionDate"`, Type: sqlfilter.Date},
		sqlfilter.Field{Name: "Category", Column: `"Category"`, Type: sqlfilter.Integer},
		sqlfilter.Field{Name: "Tag", Column: `"Tag"`, Type: sqlfilter.String},
		sqlfilter.Field{Name: "ZOrder", Column: `"ZOrder"`, Type: sqlfilter.Integer},
		sqlfilter.Field{Name: "Sun Elevation", Column: `"sun_elev"`, Type: sqlfilter.Double},
		sqlfilter.Field{Name: "Date", Column: `"AcquisitionDate"`, Type: sqlfilter.Date},
	)
	if err != nil {
		tb.Fatal(err)
	}
	return fs
}

// row is one item of the test catalog. A nil pointer is NULL.
type row struct {
	oid      int64
	name     *string
	cloud    *float64
	date     *int64
	category *int64
	tag      *string
	zorder   *int64
	sun      *float64
}

func sp(v string) *string   { return &v }
func fp(v float64) *float64 { return &v }
func ip(v int64) *int64     { return &v }

// ms returns the epoch milliseconds of an RFC 3339 UTC time.
func ms(v string) *int64 {
	t, err := time.Parse(time.RFC3339Nano, v)
	if err != nil {
		panic(err)
	}
	return ip(t.UnixMilli())
}

// corpus is awkward data: NULLs in every field, apostrophes, % and _ in
// values, dates at midnight and one millisecond before it, before 1970,
// negative and fractional numbers, non-ASCII text.
var corpus = []row{
	{1, sp("Landsat 8"), fp(10.5), ms("2020-01-01T00:00:00Z"), ip(1), sp("a_b"), ip(0), fp(45)},
	{2, sp("O'Brien's scene"), fp(0), ms("2020-01-01T23:59:59.999Z"), ip(2), sp("100%"), ip(-1), fp(-12.25)},
	{3, sp("landsat 7"), fp(99.9), ms("2019-12-31T23:59:59.999Z"), ip(1), sp("a%b"), ip(5), nil},
	{4, nil, nil, nil, nil, nil, nil, nil},
	{5, sp("Sentinel-2A"), fp(-0.5), ms("1969-12-31T23:59:59.999Z"), ip(3), sp("axb"), ip(10), fp(0.001)},
	{6, sp(""), fp(2.675), ms("2020-02-29T12:30:45.250Z"), ip(0), sp("_"), ip(-7), fp(89.75)},
	{7, sp("SENTINEL-2B"), fp(50), ms("2000-01-01T00:00:00Z"), ip(-3), sp("%"), ip(3), fp(30)},
	{8, sp("  padded  "), fp(0.285), ms("1970-01-01T00:00:00Z"), ip(7), sp(`a\b`), ip(100), fp(12.5)},
	{9, sp("Ünïcödé élan"), fp(3.14159), ms("2021-06-15T06:07:08.009Z"), ip(2), sp("[x]*?"), ip(2), fp(-90)},
	{10, sp("a_b"), nil, ms("1900-03-01T00:00:00Z"), ip(1), sp("A_B"), ip(4), fp(60)},
	{11, sp("x%y"), fp(12), ms("2038-01-19T03:14:08Z"), nil, sp("it's"), nil, nil},
	{12, sp("it's 100% _fun_"), nil, ms("2020-01-02T00:00:00Z"), ip(5), nil, ip(9), fp(5.5)},
}

func allOIDs() []int64 {
	out := make([]int64, len(corpus))
	for i, r := range corpus {
		out[i] = r.oid
	}
	return out
}

// catalog is a database loaded with the corpus.
type catalog struct {
	db      *sql.DB
	table   string
	dialect sqlfilter.Dialect
}

const createSQLite = `CREATE TABLE items (
	"OBJECTID" INTEGER PRIMARY KEY,
	"Name" TEXT,
	"CloudCover" REAL,
	"AcquisitionDate" INTEGER,
	"Category" INTEGER,
	"Tag" TEXT,
	"ZOrder" INTEGER,
	"sun_elev" REAL
) STRICT`

// mustOpenSQLite returns the corpus in an SQLite file in a temporary
// directory.
func mustOpenSQLite(tb testing.TB) *catalog {
	tb.Helper()
	registerSQLite()
	db, err := sql.Open(sqliteDriver, filepath.Join(tb.TempDir(), "catalog.db"))
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { db.Close() })
	if _, err := db.Exec(createSQLite); err != nil {
		tb.Fatal(err)
	}
	c := &catalog{db: db, table: "items", dialect: sqlfilter.SQLite}
	c.load(tb)
	return c
}

// mustOpenPostgres returns the corpus in a fresh schema of the test
// database on 127.0.0.1:5432; the schema is dropped at the end. Without a
// server the test is skipped, unless TESSERA_REQUIRE_POSTGRES=1.
func mustOpenPostgres(tb testing.TB) *catalog {
	tb.Helper()
	c, err := openPostgres(tb)
	if err != nil {
		tb.Skipf("PostgreSQL not reachable, skipping (set TESSERA_REQUIRE_POSTGRES=1 to fail instead): %v", err)
	}
	return c
}

// tryPostgres is mustOpenPostgres for tests that also run without
// PostgreSQL: it returns nil instead of skipping.
func tryPostgres(tb testing.TB) *catalog {
	tb.Helper()
	c, err := openPostgres(tb)
	if err != nil {
		tb.Logf("PostgreSQL not reachable, testing SQLite only: %v", err)
		return nil
	}
	return c
}

// openPostgres connects to PostgreSQL and loads the corpus. It returns an
// error only if the server is unreachable; other failures, and an
// unreachable server under TESSERA_REQUIRE_POSTGRES=1, fail tb.
func openPostgres(tb testing.TB) (*catalog, error) {
	tb.Helper()
	dsn := os.Getenv("TESSERA_POSTGRES_DSN")
	if dsn == "" {
		dsn = "postgres://postgres@127.0.0.1:5432/test?sslmode=disable"
	}
	db, err := sql.Open("pgx", dsn)
	if err == nil {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		err = db.PingContext(ctx)
		cancel()
	}
	if err != nil {
		if db != nil {
			db.Close()
		}
		if os.Getenv("TESSERA_REQUIRE_POSTGRES") == "1" {
			tb.Fatalf("PostgreSQL is required (TESSERA_REQUIRE_POSTGRES=1) but unreachable: %v", err)
		}
		return nil, err
	}
	var b [6]byte
	_, _ = rand.Read(b[:])
	schema := "sqlfilter_test_" + hex.EncodeToString(b[:])
	if _, err := db.Exec("CREATE SCHEMA " + schema); err != nil {
		db.Close()
		tb.Fatal(err)
	}
	tb.Cleanup(func() {
		if _, err := db.Exec("DROP SCHEMA " + schema + " CASCADE"); err != nil {
			tb.Errorf("drop schema: %v", err)
		}
		db.Close()
	})
	table := schema + ".items"
	if _, err := db.Exec(`CREATE TABLE ` + table + ` (
		"OBJECTID" BIGINT PRIMARY KEY,
		"Name" TEXT,
		"CloudCover" DOUBLE PRECISION,
		"AcquisitionDate" BIGINT,
		"Category" BIGINT,
		"Tag" TEXT,
		"ZOrder" BIGINT,
		"sun_elev" DOUBLE PRECISION
	)`); err != nil {
		tb.Fatal(err)
	}
	c := &catalog{db: db, table: table, dialect: sqlfilter.Postgres}
	c.load(tb)
	return c, nil
}

func (c *catalog) load(tb testing.TB) {
	tb.Helper()
	q := squirrel.Insert(c.table).Columns(`"OBJECTID"`, `"Name"`, `"CloudCover"`, `"AcquisitionDate"`,
		`"Category"`, `"Tag"`, `"ZOrder"`, `"sun_elev"`)
	for _, r := range corpus {
		q = q.Values(r.oid, r.name, r.cloud, r.date, r.category, r.tag, r.zorder, r.sun)
	}
	if c.dialect == sqlfilter.Postgres {
		q = q.PlaceholderFormat(squirrel.Dollar)
	}
	if _, err := q.RunWith(c.db).Exec(); err != nil {
		tb.Fatal(err)
	}
}

// query compiles where for c's dialect and returns the OBJECTIDs it selects.
func (c *catalog) query(where string, fields *sqlfilter.Fields, opts ...sqlfilter.Option) ([]int64, error) {
	flt, err := sqlfilter.Compile(where, fields, append(opts, sqlfilter.WithDialect(c.dialect))...)
	if err != nil {
		return nil, err
	}
	return c.run(flt)
}

func (c *catalog) run(flt squirrel.Sqlizer) ([]int64, error) {
	q := squirrel.Select(`"OBJECTID"`).From(c.table).Where(flt).OrderBy(`"OBJECTID"`)
	if c.dialect == sqlfilter.Postgres {
		q = q.PlaceholderFormat(squirrel.Dollar)
	}
	rows, err := q.RunWith(c.db).Query()
	if err != nil {
		return nil, fmt.Errorf("%s: %w", c.dialect, err)
	}
	defer rows.Close()
	out := []int64{}
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			return nil, err
		}
		out = append(out, id)
	}
	return out, rows.Err()
}

func sameIDs(a, b []int64) bool {
	a, b = slices.Clone(a), slices.Clone(b)
	slices.Sort(a)
	slices.Sort(b)
	return slices.Equal(a, b)
}

// userError returns err as an *sqlfilter.Error, or nil.
func userError(err error) *sqlfilter.Error {
	var e *sqlfilter.Error
	if errors.As(err, &e) {
		return e
	}
	return nil
}

// loadCorpus returns the clauses of testdata/where/name, one per line;
// blank lines and lines starting with # are skipped.
func loadCorpus(tb testing.TB, name string) []string {
	tb.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", "where", name))
	if err != nil {
		tb.Fatal(err)
	}
	var out []string
	for _, line := range strings.Split(string(b), "\n") {
		line = strings.TrimRight(line, "\r")
		if strings.TrimSpace(line) == "" || strings.HasPrefix(line, "#") {
			continue
		}
		out = append(out, line)
	}
	return out
}
