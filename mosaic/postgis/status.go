package postgis

import (
	"context"
	"fmt"
	"io/fs"

	"github.com/tessera-gis/tessera/mosaic"
)

var _ mosaic.StoreStatus = (*DB)(nil)

// Ready returns nil when the database answers and every embedded migration
// is recorded as applied (another server may be migrating it).
func (db *DB) Ready(ctx context.Context) error {
	names, err := fs.Glob(migrations, "migrations/*.sql")
	if err != nil {
		return err
	}
	var n int
	if err := db.pool.QueryRow(ctx, `SELECT count(*) FROM tessera_migrations`).Scan(&n); err != nil {
		return fmt.Errorf("postgis: check migrations: %w", err)
	}
	if n < len(names) {
		return fmt.Errorf("postgis: %d of %d migrations applied", n, len(names))
	}
	return nil
}

// Size returns pg_database_size of the database and the size of the
// cluster's write-ahead log, which is shared by every database of the
// cluster and readable only with the pg_monitor role (-1 without it).
func (db *DB) Size(ctx context.Context) (size, wal int64, err error) {
	if err := db.pool.QueryRow(ctx, `SELECT pg_database_size(current_database())`).Scan(&size); err != nil {
		return 0, 0, fmt.Errorf("postgis: database size: %w", err)
	}
	if err := db.pool.QueryRow(ctx, `SELECT COALESCE(sum(size), 0)::bigint FROM pg_ls_waldir()`).Scan(&wal); err != nil {
		wal = -1
	}
	return size, wal, nil
}
