package storesql

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/tessera-gis/tessera/mosaic"
)

// DB is one transaction of a SQL store as the code the stores share runs
// it. Statements use ? placeholders, which the PostgreSQL store numbers.
// Each store adapts its own transaction to it: database/sql for SQLite,
// pgx for PostgreSQL. Write methods of a read-only transaction fail.
type DB interface {
	// Exec runs a statement and reports how many rows it changed.
	Exec(query string, args ...any) (int64, error)
	// Query runs a query; the caller closes the rows.
	Query(query string, args ...any) (Rows, error)
	// QueryRow runs a query for its first row; the row's Scan returns
	// ErrNoRows when there is none.
	QueryRow(query string, args ...any) Row
	// Now is the store's clock, in UTC.
	Now() time.Time
}

// Row is the first row of a query: *sql.Row and pgx.Row.
type Row interface {
	Scan(dest ...any) error
}

// Rows are the rows of a query, as both drivers iterate them.
type Rows interface {
	Next() bool
	Scan(dest ...any) error
	Err() error
	Close()
}

// ErrNoRows is what Row.Scan returns when a query found no row, whichever
// the driver.
var ErrNoRows = errors.New("no rows in result set")

// ScanInt64s reads a one-column result of integers and closes rows.
func ScanInt64s(rows Rows) ([]int64, error) {
	defer rows.Close()
	var out []int64
	for rows.Next() {
		var v int64
		if err := rows.Scan(&v); err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	return out, rows.Err()
}

// WrapError returns err, from a transaction run under ctx, as the store
// reports it: application errors (*mosaic.Error) as they are; an ended
// ctx, or an error that interrupted reports (the driver's own "query
// cancelled"), as ECANCELED with ctx's cause; anything else wrapped with
// op ("begin read", "commit"), or unchanged when op is "".
func WrapError(ctx context.Context, op string, err error, interrupted func(error) bool) error {
	var me *mosaic.Error
	if errors.As(err, &me) {
		return err
	}
	if ctx.Err() != nil || errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) || interrupted(err) {
		cause := context.Cause(ctx)
		if cause == nil {
			cause = err
		}
		return &mosaic.Error{Code: mosaic.ECANCELED, Message: "The operation was cancelled.", Err: cause}
	}
	if op == "" {
		return err
	}
	return fmt.Errorf("%s: %w", op, err)
}
