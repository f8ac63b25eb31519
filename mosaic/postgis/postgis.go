// Package postgis implements mosaic.Store on PostgreSQL with PostGIS, for
// catalogs that outgrow one machine: the collections, one catalog table
// per collection with its footprints in a GiST-indexed geometry column,
// the boundary cells, the jobs, the audit log and shared secrets.
//
// It keeps the same contract as package mosaic/sqlite (package
// mosaic/storetest checks both) and shares its rules through package
// mosaic/internal/storesql. Where clauses compile with sqlfilter's
// PostgreSQL dialect; spatial filters use PostGIS (&& on the index, then
// ST_Intersects, ST_Within or ST_Contains), and boundary unions are
// computed by ST_Union in the database.
//
// Transactions: Update runs at READ COMMITTED and locks the collection row
// of every collection whose items it changes, so changes to one
// collection's items are serialised (as SQLite serialises all writes) while
// other collections, jobs and reads go on. View runs at REPEATABLE READ,
// READ ONLY: one snapshot. Schema changes (CreateCollection, AddFields)
// are transactional, as everything else.
//
// Open applies the embedded, versioned migrations under a PostgreSQL
// advisory lock, so that servers starting together migrate once.
package postgis

import (
	"context"
	"embed"
	"errors"
	"fmt"
	"hash/fnv"
	"io"
	"io/fs"
	"net"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"time"

	sq "github.com/Masterminds/squirrel"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/tessera-gis/tessera/mosaic"
	"github.com/tessera-gis/tessera/mosaic/internal/storesql"
	"github.com/tessera-gis/tessera/sqlfilter"
)

//go:embed migrations/*.sql
var migrations embed.FS

// migrationLock is the advisory-lock key under which migrations run.
const migrationLock = int64(0x7465737365726d31) // "tesserm1"

// DB is a tessera catalog in a PostgreSQL database. It implements
// mosaic.Store.
type DB struct {
	pool *pgxpool.Pool
	now  func() time.Time
	beat beatConn // the heartbeat connection (instance.go)
}

var _ mosaic.Store = (*DB)(nil)

// Open connects to the database that dsn names (a postgres:// URL or a
// key=value string, as pgx takes; pool_max_conns sets the pool size),
// makes sure PostGIS is installed, and applies migrations.
func Open(ctx context.Context, dsn string) (*DB, error) {
	cfg, err := pgxpool.ParseConfig(dsn)
	if err != nil {
		return nil, fmt.Errorf("postgis: parse connection string: %w", err)
	}
	// A cancelled context makes pgx drop the connection; this setting
	// makes the server notice within a second and stop the statement (a
	// large delete of a cancelled job) rather than run it to its end.
	// (pgx's cancel-request handler would do it without dropping the
	// connection, but it stalls River's LISTEN connection.)
	if _, ok := cfg.ConnConfig.RuntimeParams["client_connection_check_interval"]; !ok {
		cfg.ConnConfig.RuntimeParams["client_connection_check_interval"] = "1000"
	}
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("postgis: connect: %w", err)
	}
	db := &DB{pool: pool, now: time.Now}
	if err := db.migrate(ctx); err != nil {
		pool.Close()
		return nil, err
	}
	if err := db.ensureTimeIndexes(ctx); err != nil {
		pool.Close()
		return nil, fmt.Errorf("postgis: %w", err)
	}
	return db, nil
}

// HasCatalog reports, without changing the database, whether the database
// at dsn holds a tessera catalog (Open has created its tables there): a
// copy from a database without one would create them and copy nothing.
func HasCatalog(ctx context.Context, dsn string) (bool, error) {
	// The pool's parser, which takes pool_max_conns and the other pool_*
	// settings (deploy.md) off the URL.
	cfg, err := pgxpool.ParseConfig(dsn)
	if err != nil {
		return false, fmt.Errorf("postgis: parse connection string: %w", err)
	}
	conn, err := pgx.ConnectConfig(ctx, cfg.ConnConfig)
	if err != nil {
		return false, fmt.Errorf("postgis: connect: %w", err)
	}
	defer conn.Close(context.Background())
	var has bool
	if err := conn.QueryRow(ctx, `SELECT to_regclass('tessera_migrations') IS NOT NULL`).Scan(&has); err != nil {
		return false, fmt.Errorf("postgis: %w", err)
	}
	return has, nil
}

// Pool returns the connection pool, for the job queue that shares the
// database (River's pgx driver).
func (db *DB) Pool() *pgxpool.Pool { return db.pool }

// Close closes the pool and the heartbeat connection.
func (db *DB) Close() error {
	db.closeBeat()
	db.pool.Close()
	return nil
}

func (db *DB) migrate(ctx context.Context) error {
	conn, err := db.pool.Acquire(ctx)
	if err != nil {
		return fmt.Errorf("postgis: connect: %w", err)
	}
	defer conn.Release()
	if _, err := conn.Exec(ctx, `SELECT pg_advisory_lock($1)`, migrationLock); err != nil {
		return fmt.Errorf("postgis: lock for migrations: %w", err)
	}
	defer conn.Exec(context.WithoutCancel(ctx), `SELECT pg_advisory_unlock($1)`, migrationLock)

	var installed bool
	if err := conn.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM pg_extension WHERE extname = 'postgis')`).Scan(&installed); err != nil {
		return fmt.Errorf("postgis: %w", err)
	}
	if !installed {
		if _, err := conn.Exec(ctx, `CREATE EXTENSION IF NOT EXISTS postgis`); err != nil {
			return fmt.Errorf("postgis: the PostGIS extension is not installed in this database and could not be created "+
				"(install postgresql-15-postgis-3 and run CREATE EXTENSION postgis as a superuser): %w", err)
		}
	}
	if _, err := conn.Exec(ctx, `CREATE TABLE IF NOT EXISTS tessera_migrations (
		version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at BIGINT NOT NULL)`); err != nil {
		return fmt.Errorf("postgis: create migrations table: %w", err)
	}
	names, err := fs.Glob(migrations, "migrations/*.sql")
	if err != nil {
		return err
	}
	sort.Strings(names)
	for _, name := range names {
		if err := db.migrateFile(ctx, conn.Conn(), name); err != nil {
			return fmt.Errorf("postgis: migration %s: %w", name, err)
		}
	}
	return nil
}

func (db *DB) migrateFile(ctx context.Context, conn *pgx.Conn, name string) error {
	base := strings.TrimPrefix(name, "migrations/")
	digits, _, _ := strings.Cut(base, "_")
	version, err := strconv.Atoi(digits)
	if err != nil {
		return fmt.Errorf("migration file name %s does not start with a version number", base)
	}
	var applied bool
	if err := conn.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM tessera_migrations WHERE version = $1)`, version).Scan(&applied); err != nil {
		return err
	}
	if applied {
		return nil
	}
	body, err := fs.ReadFile(migrations, name)
	if err != nil {
		return err
	}
	return pgx.BeginFunc(ctx, conn, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, string(body)); err != nil {
			return err
		}
		_, err := tx.Exec(ctx, `INSERT INTO tessera_migrations (version, name, applied_at) VALUES ($1, $2, $3)`,
			version, base, db.now().UnixMilli())
		return err
	})
}

// View runs fn in a read-only transaction on one snapshot.
func (db *DB) View(ctx context.Context, fn func(tx mosaic.ReadTx) error) error {
	ptx, err := db.begin(ctx, pgx.TxOptions{IsoLevel: pgx.RepeatableRead, AccessMode: pgx.ReadOnly})
	if err != nil {
		return wrapDBError(ctx, "begin read", err)
	}
	defer rollback(ptx)
	if err := fn(db.newTx(ctx, ptx, false)); err != nil {
		return wrapTxError(ctx, ptx, err)
	}
	return nil
}

// Update runs fn in a read-write transaction and commits it if fn returns
// nil.
func (db *DB) Update(ctx context.Context, fn func(tx mosaic.Tx) error) error {
	ptx, err := db.begin(ctx, pgx.TxOptions{IsoLevel: pgx.ReadCommitted})
	if err != nil {
		return wrapDBError(ctx, "begin write", err)
	}
	defer rollback(ptx)
	if err := fn(db.newTx(ctx, ptx, true)); err != nil {
		return wrapTxError(ctx, ptx, err)
	}
	if err := ptx.Commit(ctx); err != nil {
		return wrapDBError(ctx, "commit", err)
	}
	return nil
}

// begin starts a transaction. A pooled connection that the server closed
// while it was idle (a network blip, pg_terminate_backend, a restart)
// fails at BEGIN, before anything was done on it: pgxpool then drops it,
// and begin tries again on another, up to once per connection the pool
// may hold, so that a blip costs no request that had not started.
func (db *DB) begin(ctx context.Context, opts pgx.TxOptions) (pgx.Tx, error) {
	for attempt := int32(0); ; attempt++ {
		ptx, err := db.pool.BeginTx(ctx, opts)
		if err == nil || attempt >= db.pool.Config().MaxConns || ctx.Err() != nil || !deadConn(err) {
			return ptx, err
		}
	}
}

// deadConn reports whether err says that an established connection was
// closed by the server or lost (not that a new one could not be opened).
func deadConn(err error) bool {
	var ce *pgconn.ConnectError
	if errors.As(err, &ce) {
		return false
	}
	return connLost(err)
}

// connLost reports whether err comes from a lost connection to the server.
func connLost(err error) bool {
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		// connection_exception (but protocol_violation, a bug),
		// admin_shutdown, crash_shutdown, cannot_connect_now
		return strings.HasPrefix(pe.Code, "08") && pe.Code != "08P01" || pe.Code == "57P01" || pe.Code == "57P02" || pe.Code == "57P03"
	}
	var ce *pgconn.ConnectError
	var ne net.Error
	return errors.As(err, &ce) || errors.As(err, &ne) || errors.Is(err, pgconn.ErrConnClosed) ||
		errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) ||
		errors.Is(err, syscall.ECONNRESET) || errors.Is(err, syscall.EPIPE)
}

// rollback ends a transaction that was not committed, even when its
// context is done (pgx then closes the connection instead).
func rollback(tx pgx.Tx) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	_ = tx.Rollback(ctx)
}

// wrapDBError turns context errors, and queries PostgreSQL cancelled,
// into ECANCELED (see storesql.WrapError).
// A lost connection is marked mosaic.ErrConnectionLost.
func wrapDBError(ctx context.Context, op string, err error) error {
	err = storesql.WrapError(ctx, op, err, queryCanceled)
	if mosaic.ErrorCode(err) == mosaic.EINTERNAL && connLost(err) {
		return fmt.Errorf("%w: %w", mosaic.ErrConnectionLost, err)
	}
	return badText(err)
}

// badText turns PostgreSQL's refusal of a text value (a NUL character, or
// bytes that are not UTF-8, in a name or value a request gave: SQLite
// keeps them and finds nothing) into EINVALID.
func badText(err error) error {
	var pe *pgconn.PgError
	if mosaic.ErrorCode(err) == mosaic.EINTERNAL && errors.As(err, &pe) && (pe.Code == "22021" || pe.Code == "22P05") {
		return &mosaic.Error{Code: mosaic.EINVALID, Message: "The request holds text that is not valid UTF-8, or a NUL character.", Err: err}
	}
	return err
}

// wrapTxError wraps the error of a transaction's function as wrapDBError
// does, but marks a lost connection only if the transaction's connection
// is closed: an io.EOF or a network error of the function's own (a
// truncated stage file, an HTTP source) is not the database's.
func wrapTxError(ctx context.Context, ptx pgx.Tx, err error) error {
	err = storesql.WrapError(ctx, "", err, queryCanceled)
	if mosaic.ErrorCode(err) == mosaic.EINTERNAL && ptx.Conn().IsClosed() && connLost(err) {
		return fmt.Errorf("%w: %w", mosaic.ErrConnectionLost, err)
	}
	return badText(err)
}

// queryCanceled reports whether PostgreSQL cancelled err's statement.
func queryCanceled(err error) bool {
	var pe *pgconn.PgError
	return errors.As(err, &pe) && pe.Code == "57014" // query_canceled
}

// Tx is a transaction on a DB. It implements mosaic.Tx; read-only
// transactions (from View) return an error from every write method.
type Tx struct {
	// JobTx runs the job, audit and secret SQL this store shares with
	// the other.
	storesql.JobTx

	ctx      context.Context
	tx       pgx.Tx
	db       *DB
	writable bool
}

var _ mosaic.Tx = (*Tx)(nil)

// newTx wraps a transaction of the database.
func (db *DB) newTx(ctx context.Context, ptx pgx.Tx, writable bool) *Tx {
	tx := &Tx{ctx: ctx, tx: ptx, db: db, writable: writable}
	tx.JobTx = storesql.NewJobTx(conn{tx}, "id", "submitted_at, id")
	return tx
}

// PgxTx returns the underlying transaction, for the job queue to insert its
// rows atomically with a job record.
func (tx *Tx) PgxTx() pgx.Tx { return tx.tx }

// The store writes its SQL with ? placeholders, as sqlfilter and squirrel
// do, and numbers them for PostgreSQL here.
func dollar(query string) string {
	q, err := sq.Dollar.ReplacePlaceholders(query)
	if err != nil {
		return query // only on malformed ?? escapes, which the store never writes
	}
	return q
}

func (tx *Tx) exec(query string, args ...any) (pgconn.CommandTag, error) {
	if !tx.writable {
		return pgconn.CommandTag{}, errors.New("write in a read-only transaction")
	}
	return tx.tx.Exec(tx.ctx, dollar(query), args...)
}

func (tx *Tx) query(query string, args ...any) (pgx.Rows, error) {
	return tx.tx.Query(tx.ctx, dollar(query), args...)
}

func (tx *Tx) queryRow(query string, args ...any) pgx.Row {
	return tx.tx.QueryRow(tx.ctx, dollar(query), args...)
}

func (tx *Tx) now() time.Time { return tx.db.now().UTC() }

// conn adapts a Tx to storesql.DB, for the code the stores share.
type conn struct{ tx *Tx }

func (tx *Tx) conn() storesql.DB { return conn{tx} }

func (c conn) Exec(query string, args ...any) (int64, error) {
	tag, err := c.tx.exec(query, args...)
	return tag.RowsAffected(), err
}

func (c conn) Query(query string, args ...any) (storesql.Rows, error) {
	rows, err := c.tx.query(query, args...)
	if err != nil {
		return nil, err
	}
	return rows, nil
}

func (c conn) QueryRow(query string, args ...any) storesql.Row {
	return pgxRow{c.tx.queryRow(query, args...)}
}

func (c conn) Now() time.Time { return c.tx.now() }

type pgxRow struct{ pgx.Row }

func (r pgxRow) Scan(dest ...any) error {
	err := r.Row.Scan(dest...)
	if errors.Is(err, pgx.ErrNoRows) {
		return storesql.ErrNoRows
	}
	return err
}

// quote quotes an identifier that trusted code built.
func quote(name string) string { return sqlfilter.QuoteIdent(name) }

func itemsTable(c *mosaic.Collection) string { return quote(fmt.Sprintf("items_%d", c.ID)) }

// fieldsTag is a comment naming c's field list. pgx caches prepared
// statements by their text with their parameter and column types; a
// statement whose types depend on the fields carries the tag, so that a
// field added again with another type (after a rolled-back AddFields)
// gets a new statement rather than a stale one.
func fieldsTag(c *mosaic.Collection) string {
	h := fnv.New64a()
	for _, f := range c.Fields {
		fmt.Fprintf(h, "%s\x00%s\x00", f.Name, f.Type)
	}
	return fmt.Sprintf("/* fields %x */ ", h.Sum64())
}

// pg is the sqlfilter option for PostgreSQL.
var pg = sqlfilter.WithDialect(sqlfilter.Postgres)

// dataError turns PostgreSQL's data exceptions (SQLSTATE class 22: a value
// out of range), which only a where clause's arithmetic can cause, into
// EINVALID; other errors pass through. SQLite computes most such values as
// doubles or infinities instead (see package sqlfilter).
func dataError(err error) error { return storesql.WhereError(err) }

// isUniqueViolation reports whether err is PostgreSQL's unique_violation.
func isUniqueViolation(err error) bool {
	var pe *pgconn.PgError
	return errors.As(err, &pe) && pe.Code == "23505"
}

// scanInt64s reads a one-column result of integers.
func scanInt64s(rows pgx.Rows) ([]int64, error) { return storesql.ScanInt64s(rows) }

// String names the database without its password, for logs:
// postgres://user@host:port/database.
func (db *DB) String() string {
	c := db.pool.Config().ConnConfig
	return fmt.Sprintf("postgres://%s@%s:%d/%s", c.User, c.Host, c.Port, c.Database)
}

// instanceLock is the advisory-lock key that LockInstance takes.
const instanceLock = int64(0x7465737365726931) // "tesseri1"

// LockInstance takes a session advisory lock on the database, held on a
// connection of its own until release is called or the process dies, so
// that one tessera migrate at a time runs on the database. (Servers do not
// take it: several may share a database, each with a heartbeat in the
// table instances.) It fails at once if another process holds it.
func (db *DB) LockInstance(ctx context.Context) (release func(), err error) {
	conn, err := pgx.ConnectConfig(ctx, db.pool.Config().ConnConfig.Copy())
	if err != nil {
		return nil, fmt.Errorf("postgis: connect: %w", err)
	}
	var ok bool
	if err := conn.QueryRow(ctx, `SELECT pg_try_advisory_lock($1)`, instanceLock).Scan(&ok); err != nil {
		conn.Close(ctx)
		return nil, fmt.Errorf("postgis: lock the database: %w", err)
	}
	if !ok {
		conn.Close(ctx)
		return nil, fmt.Errorf("database %s is in use by another tessera process", db)
	}
	return func() { conn.Close(context.Background()) }, nil
}
