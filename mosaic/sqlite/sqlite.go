// Package sqlite implements mosaic.Store on one SQLite file in WAL mode: the
// collections, one catalog table (plus an R*Tree) per collection, the jobs,
// and the audit log.
//
// Writes go through a single connection that begins every transaction with
// BEGIN IMMEDIATE, so writers queue instead of failing with SQLITE_BUSY, and
// a transaction commits or rolls back as a whole. Reads use a separate pool
// of query-only connections and never wait for writers.
package sqlite

import (
	"context"
	"database/sql"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"net/url"
	"runtime"
	"sort"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	sqlite3 "github.com/mattn/go-sqlite3"

	"github.com/tessera-gis/tessera/mosaic"
	"github.com/tessera-gis/tessera/mosaic/internal/storesql"
	"github.com/tessera-gis/tessera/sqlfilter"
)

//go:embed migrations/*.sql
var migrations embed.FS

// DriverName is the database/sql driver that Open uses: mattn/go-sqlite3
// with the SQL functions that compiled where clauses and spatial filters
// call.
const DriverName = "tessera_sqlite3"

var registerOnce sync.Once

// writerDriverName is DriverName for the writing connection, which
// checkpoints in its commits only past walFallbackPages (see checkpoint.go).
const writerDriverName = "tessera_sqlite3_writer"

func registerDriver() {
	registerOnce.Do(func() {
		sql.Register(DriverName, &sqlite3.SQLiteDriver{ConnectHook: registerFunctions})
		sql.Register(writerDriverName, &sqlite3.SQLiteDriver{ConnectHook: func(conn *sqlite3.SQLiteConn) error {
			if err := registerFunctions(conn); err != nil {
				return err
			}
			if _, err := conn.Exec(fmt.Sprintf("PRAGMA wal_autocheckpoint = %d", walFallbackPages), nil); err != nil {
				return fmt.Errorf("wal_autocheckpoint: %w", err)
			}
			return nil
		}})
	})
}

// registerFunctions adds the SQL functions that compiled where clauses
// and spatial filters call to a new connection.
func registerFunctions(conn *sqlite3.SQLiteConn) error {
	for _, f := range sqlfilter.SQLiteFunctions() {
		if err := conn.RegisterFunc(f.Name, f.Impl, f.Pure); err != nil {
			return fmt.Errorf("register %s: %w", f.Name, err)
		}
	}
	for name, impl := range spatialFunctions {
		if err := conn.RegisterFunc(name, impl, true); err != nil {
			return fmt.Errorf("register %s: %w", name, err)
		}
	}
	return nil
}

// DB is a tessera database file. It implements mosaic.Store.
type DB struct {
	path  string
	write *sql.DB // one connection, BEGIN IMMEDIATE
	read  *sql.DB // query-only connections
	ckpt  *checkpointer
	now   func() time.Time

	// RecycleRetention is how long removed items stay restorable.
	RecycleRetention time.Duration
}

var _ mosaic.Store = (*DB)(nil)

// Open opens or creates the database at path and applies migrations.
func Open(ctx context.Context, path string) (*DB, error) {
	registerDriver()
	q := url.Values{}
	q.Set("_busy_timeout", "60000")
	q.Set("_journal_mode", "WAL")
	q.Set("_synchronous", "NORMAL")
	q.Set("_foreign_keys", "on")
	q.Set("_cache_size", strconv.Itoa(writerCache))
	// Each connection keeps its most recently used statements prepared
	// (mattn/go-sqlite3's statement cache, reset before reuse): a job runs
	// the same few dozen statements, the store's and River's (whose SQL is
	// long), and preparing them again took about a sixth of the CPU of a
	// one-item job. Read connections keep fewer (see below).
	q.Set("_stmt_cache_size", "64")
	wq := url.Values{}
	for k, v := range q {
		wq[k] = v
	}
	wq.Set("_txlock", "immediate")
	write, err := sql.Open(writerDriverName, "file:"+path+"?"+wq.Encode())
	if err != nil {
		return nil, fmt.Errorf("open %s: %w", path, err)
	}
	write.SetMaxOpenConns(1)
	write.SetConnMaxIdleTime(0)
	db := &DB{path: path, write: write, now: time.Now, RecycleRetention: 7 * 24 * time.Hour}
	if err := db.migrate(ctx); err != nil {
		write.Close()
		return nil, err
	}
	if err := db.ensureTimeIndexes(ctx); err != nil {
		write.Close()
		return nil, err
	}
	q.Set("_query_only", "true")
	// Readers share the OS page cache; a small private cache each keeps
	// memory bounded under many concurrent queries. A 1,000-feature page
	// of a 1M-item catalog reads about 600 pages; 8 MiB (2,048 pages)
	// keeps the R*Tree's and the table's upper levels, and the rest comes
	// from the OS cache (the query benchmark in BENCHMARKS.md).
	q.Set("_cache_size", "-8192")
	q.Set("_stmt_cache_size", "16")
	read, err := sql.Open(DriverName, "file:"+path+"?"+q.Encode())
	if err != nil {
		write.Close()
		return nil, fmt.Errorf("open %s: %w", path, err)
	}
	read.SetMaxOpenConns(readConns())
	read.SetMaxIdleConns(readConns())
	db.read = read
	db.ckpt = newCheckpointer(write, checkpointEvery)
	return db, nil
}

// readConns is the size of the read pool.
func readConns() int { return 2*runtime.GOMAXPROCS(0) + 2 }

// ReleaseMemory frees the page cache of the write connection (up to
// 64 MiB, filled by a large ingest or delete and otherwise kept for the
// connection's life) with PRAGMA shrink_memory, and closes the idle read
// connections, whose caches go with them (they reopen on demand). It
// implements mosaic.MemoryReleaser.
func (db *DB) ReleaseMemory(ctx context.Context) error {
	db.read.SetMaxIdleConns(0)
	db.read.SetMaxIdleConns(readConns())
	if _, err := db.write.ExecContext(ctx, `PRAGMA shrink_memory`); err != nil {
		return wrapDBError(ctx, "shrink memory", err)
	}
	return nil
}

// WriteDB returns the single-connection write pool, for the job queue that
// shares this file (River's SQLite driver).
func (db *DB) WriteDB() *sql.DB { return db.write }

// Path returns the database file name.
func (db *DB) Path() string { return db.path }

// Close stops the background checkpoints, copies the log into the
// database file, and closes both pools. The last checkpoint is Close's
// own: SQLite's, at the close of the last connection, would come after
// Close returned when a connection was still busy (a background
// checkpoint that close interrupted is released a moment later), and a
// copy of the file made in between would miss the last commits. A write
// transaction that still runs holds it back for at most five seconds.
func (db *DB) Close() error {
	db.ckpt.close()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	_, _ = db.write.ExecContext(ctx, `PRAGMA wal_checkpoint(TRUNCATE)`)
	cancel()
	return errors.Join(db.read.Close(), db.write.Close())
}

func (db *DB) migrate(ctx context.Context) error {
	if _, err := db.write.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS tessera_migrations (
		name TEXT PRIMARY KEY, applied_at INTEGER NOT NULL)`); err != nil {
		return fmt.Errorf("create migrations table: %w", err)
	}
	names, err := fs.Glob(migrations, "migrations/*.sql")
	if err != nil {
		return err
	}
	sort.Strings(names)
	for _, name := range names {
		if err := db.migrateFile(ctx, name); err != nil {
			return fmt.Errorf("migration %s: %w", name, err)
		}
	}
	return nil
}

func (db *DB) migrateFile(ctx context.Context, name string) error {
	tx, err := db.write.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	var n int
	if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM tessera_migrations WHERE name = ?`, name).Scan(&n); err != nil {
		return err
	}
	if n > 0 {
		return nil
	}
	body, err := fs.ReadFile(migrations, name)
	if err != nil {
		return err
	}
	if _, err := tx.ExecContext(ctx, string(body)); err != nil {
		return err
	}
	if fn := migrationFuncs[name]; fn != nil {
		if err := fn(ctx, tx); err != nil {
			return err
		}
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO tessera_migrations (name, applied_at) VALUES (?, ?)`,
		name, db.now().UnixMilli()); err != nil {
		return err
	}
	return tx.Commit()
}

// View runs fn in a read-only transaction on a consistent snapshot.
func (db *DB) View(ctx context.Context, fn func(tx mosaic.ReadTx) error) error {
	sqlTx, err := db.read.BeginTx(ctx, &sql.TxOptions{ReadOnly: true})
	if err != nil {
		return wrapDBError(ctx, "begin read", err)
	}
	defer sqlTx.Rollback()
	return fn(db.newTx(ctx, sqlTx, false))
}

// Update runs fn in a write transaction and commits it if fn returns nil.
// A transaction marked by mosaic.WithBulkAdd runs on a connection
// prepared for it (see bulkPragmas).
func (db *DB) Update(ctx context.Context, fn func(tx mosaic.Tx) error) error {
	begin := db.write.BeginTx
	if mosaic.IsBulkAdd(ctx) {
		conn, err := db.write.Conn(ctx)
		if err != nil {
			return wrapDBError(ctx, "begin write", err)
		}
		defer conn.Close()
		// Best effort: a connection that refuses them runs the
		// transaction as any other. They are put back after the
		// transaction, before the connection goes back to the pool; a
		// connection database/sql threw away after a cancel is gone, and
		// a new one starts with the defaults.
		_ = setPragmas(ctx, conn, bulkPragmas)
		defer setPragmas(context.WithoutCancel(ctx), conn, writerPragmas) //nolint:errcheck // see above
		begin = conn.BeginTx
	}
	sqlTx, err := begin(ctx, nil)
	if err != nil {
		return wrapDBError(ctx, "begin write", err)
	}
	defer sqlTx.Rollback()
	tx := db.newTx(ctx, sqlTx, true)
	if err := fn(tx); err != nil {
		return wrapDBError(ctx, "", err)
	}
	if err := sqlTx.Commit(); err != nil {
		return wrapDBError(ctx, "commit", err)
	}
	db.ckpt.notify()
	return nil
}

// bulkPragmas prepare the write connection for a transaction that adds
// many items, and writerPragmas put it back.
//
//   - A 4 MiB page cache instead of 64: the pages the transaction changes
//     reach the log as it goes, while an ingest still reads rasters, rather
//     than all at its commit (7 MB of log per 10,000 items, about 15 ms on
//     one core after the last read).
//   - Temporary data in memory: each statement keeps the pages it changes
//     in a statement journal, to undo itself, and SQLite spills it to a
//     temporary file past 64 KiB. An ingest's 32-row inserts (the row,
//     three indexes, the R*Tree, the raster row) went past it at every
//     statement: 27,000 writes per 10,000 items, a twentieth of the job's
//     CPU. A journal lasts one statement, and these statements are small;
//     other transactions keep the default, so that a statement that
//     changes much of a large catalog (a DeleteImage) spills as before.
//     The setting applies to transactions begun after it.
var (
	bulkPragmas   = []string{`PRAGMA cache_size = -4096`, `PRAGMA temp_store = MEMORY`}
	writerPragmas = []string{fmt.Sprintf(`PRAGMA cache_size = %d`, writerCache), `PRAGMA temp_store = DEFAULT`}
)

func setPragmas(ctx context.Context, conn *sql.Conn, pragmas []string) error {
	for _, p := range pragmas {
		if _, err := conn.ExecContext(ctx, p); err != nil {
			return err
		}
	}
	return nil
}

// writerCache is the write connection's page cache (PRAGMA cache_size,
// in KiB when negative): 64 MiB.
const writerCache = -65536

// wrapDBError turns context errors, and statements SQLite interrupted,
// into ECANCELED (see storesql.WrapError).
func wrapDBError(ctx context.Context, op string, err error) error {
	var se sqlite3.Error
	if errors.As(err, &se) && se.Code == sqlite3.ErrFull {
		// The disk is full: say so (mosaic.ErrorMessage), not "internal".
		err = fmt.Errorf("%w (%w)", err, syscall.ENOSPC)
	}
	return storesql.WrapError(ctx, op, err, func(err error) bool { return errors.Is(err, sqlite3.ErrInterrupt) })
}

// Tx is a transaction on a DB. It implements mosaic.Tx; read-only
// transactions (from View) return an error from every write method.
type Tx struct {
	// JobTx runs the job, audit and secret SQL this store shares with
	// the other.
	storesql.JobTx

	ctx      context.Context
	tx       *sql.Tx
	db       *DB
	writable bool
}

var _ mosaic.Tx = (*Tx)(nil)

// newTx wraps a transaction of the database.
func (db *DB) newTx(ctx context.Context, sqlTx *sql.Tx, writable bool) *Tx {
	tx := &Tx{ctx: ctx, tx: sqlTx, db: db, writable: writable}
	tx.JobTx = storesql.NewJobTx(conn{tx}, "seq", "submitted_at")
	return tx
}

// SQLTx returns the underlying transaction, for the job queue to insert its
// rows atomically with a job record.
func (tx *Tx) SQLTx() *sql.Tx { return tx.tx }

func (tx *Tx) exec(query string, args ...any) (sql.Result, error) {
	if !tx.writable {
		return nil, errors.New("write in a read-only transaction")
	}
	return tx.tx.ExecContext(tx.ctx, query, args...)
}

func (tx *Tx) query(query string, args ...any) (*sql.Rows, error) {
	return tx.tx.QueryContext(tx.ctx, query, args...)
}

func (tx *Tx) queryRow(query string, args ...any) *sql.Row {
	return tx.tx.QueryRowContext(tx.ctx, query, args...)
}

func (tx *Tx) now() time.Time { return tx.db.now().UTC() }

// quote quotes an identifier that trusted code built.
func quote(name string) string { return sqlfilter.QuoteIdent(name) }

func itemsTable(c *mosaic.Collection) string { return quote(fmt.Sprintf("items_%d", c.ID)) }
func rtreeTable(c *mosaic.Collection) string { return quote(fmt.Sprintf("rtree_%d", c.ID)) }

func placeholders(n int) string {
	if n == 0 {
		return ""
	}
	return strings.Repeat("?,", n-1) + "?"
}

// Checkpoint copies the write-ahead log into the database file and
// truncates it, so that the file alone holds every committed change.
func (db *DB) Checkpoint(ctx context.Context) error {
	// A checkpoint that cannot finish (a reader past the busy timeout, a
	// checkpoint on another connection) is reported in the result row,
	// not as an error.
	var busy, log, copied int64
	if err := db.write.QueryRowContext(ctx, `PRAGMA wal_checkpoint(TRUNCATE)`).Scan(&busy, &log, &copied); err != nil {
		return fmt.Errorf("checkpoint: %w", err)
	}
	if busy != 0 {
		return fmt.Errorf("checkpoint: %w (%d of %d pages of the log copied)", sqlite3.ErrBusy, copied, log)
	}
	return nil
}

// conn adapts a Tx to storesql.DB, for the code the stores share.
type conn struct{ tx *Tx }

func (tx *Tx) conn() storesql.DB { return conn{tx} }

func (c conn) Exec(query string, args ...any) (int64, error) {
	res, err := c.tx.exec(query, args...)
	if err != nil {
		return 0, err
	}
	return res.RowsAffected()
}

func (c conn) Query(query string, args ...any) (storesql.Rows, error) {
	rows, err := c.tx.query(query, args...)
	if err != nil {
		return nil, err
	}
	return sqlRows{rows}, nil
}

func (c conn) QueryRow(query string, args ...any) storesql.Row {
	return sqlRow{c.tx.queryRow(query, args...)}
}

func (c conn) Now() time.Time { return c.tx.now() }

type sqlRows struct{ *sql.Rows }

func (r sqlRows) Close() { r.Rows.Close() }

type sqlRow struct{ *sql.Row }

func (r sqlRow) Scan(dest ...any) error {
	err := r.Row.Scan(dest...)
	if errors.Is(err, sql.ErrNoRows) {
		return storesql.ErrNoRows
	}
	return err
}
