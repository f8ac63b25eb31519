package sqlite

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"

	"github.com/tessera-gis/tessera/mosaic"
)

var _ mosaic.StoreStatus = (*DB)(nil)

// Ready returns nil when the database answers a query on a reader
// connection and every embedded migration is recorded as applied.
func (db *DB) Ready(ctx context.Context) error {
	names, err := fs.Glob(migrations, "migrations/*.sql")
	if err != nil {
		return err
	}
	var n int
	if err := db.read.QueryRowContext(ctx, `SELECT count(*) FROM tessera_migrations`).Scan(&n); err != nil {
		return wrapDBError(ctx, "check migrations", err)
	}
	if n < len(names) {
		return fmt.Errorf("sqlite: %d of %d migrations applied", n, len(names))
	}
	return nil
}

// Size returns the sizes of the database file and of its write-ahead log
// (0 when there is none: it is removed when the last connection closes).
func (db *DB) Size(ctx context.Context) (size, wal int64, err error) {
	fi, err := os.Stat(db.path)
	if err != nil {
		return 0, 0, err
	}
	if wi, err := os.Stat(db.path + "-wal"); err == nil {
		wal = wi.Size()
	} else if !errors.Is(err, fs.ErrNotExist) {
		return 0, 0, err
	}
	return fi.Size(), wal, nil
}
