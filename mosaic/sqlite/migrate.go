package sqlite

import (
	"context"
	"database/sql"
	"fmt"
	"strings"

	"github.com/tessera-gis/tessera/mosaic"
)

// migrationFuncs are the Go parts of migrations, keyed by the migration's
// file name; each runs after the file's SQL, in the same transaction, so a
// migration applies as a whole or not at all.
var migrationFuncs = map[string]func(context.Context, *sql.Tx) error{
	"migrations/006_item_rasters.sql": moveRasters,
}

// rasterTableDDL creates the side table that holds the RasterInfo JSON of
// each item of collection id (see migrations/006_item_rasters.sql).
func rasterTableDDL(id int64) string {
	return fmt.Sprintf(`CREATE TABLE %s (oid INTEGER PRIMARY KEY, raster TEXT NOT NULL) STRICT`, rasterTableName(id))
}

func rasterTableName(id int64) string { return quote(fmt.Sprintf("rasters_%d", id)) }

// rastersTable is the quoted name of c's raster side table.
func rastersTable(c *mosaic.Collection) string { return rasterTableName(c.ID) }

// moveRasters moves every catalog's _raster column into its side table
// and rebuilds the catalog table without it.
//
// The table is rebuilt (a new table, the rows copied in OBJECTID order, the
// old one dropped, the new one renamed, its indexes made again) rather than
// altered: ALTER TABLE … DROP COLUMN shrinks the rows where they are and
// leaves every page half empty, so queries would read as many pages as
// before. The AUTOINCREMENT counter is carried over, so OBJECTIDs of purged
// items are never reused.
func moveRasters(ctx context.Context, tx *sql.Tx) error {
	ids, err := queryInt64s(ctx, tx, `SELECT id FROM collections ORDER BY id`)
	if err != nil {
		return err
	}
	for _, id := range ids {
		if err := rebuildWithoutRaster(ctx, tx, id); err != nil {
			return fmt.Errorf("collection %d: %w", id, err)
		}
	}
	return nil
}

func rebuildWithoutRaster(ctx context.Context, tx *sql.Tx, id int64) error {
	name := fmt.Sprintf("items_%d", id)
	items, tmp := quote(name), quote(name+"_rebuild")
	type column struct {
		name, typ string
		notNull   bool
		dflt      sql.NullString
		pk        bool
	}
	rows, err := tx.QueryContext(ctx, `SELECT name, type, "notnull", dflt_value, pk FROM pragma_table_info(?) ORDER BY cid`, name)
	if err != nil {
		return err
	}
	var cols []column
	hasRaster := false
	for rows.Next() {
		var c column
		if err := rows.Scan(&c.name, &c.typ, &c.notNull, &c.dflt, &c.pk); err != nil {
			rows.Close()
			return err
		}
		if c.name == "_raster" {
			hasRaster = true
			continue
		}
		cols = append(cols, c)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return err
	}
	if !hasRaster {
		return fmt.Errorf("%s has no _raster column", name)
	}
	var defs, names []string
	for _, c := range cols {
		def := quote(c.name) + " " + c.typ
		switch {
		case c.pk:
			def += " PRIMARY KEY AUTOINCREMENT"
		case c.notNull:
			def += " NOT NULL"
		}
		if c.dflt.Valid {
			def += " DEFAULT " + c.dflt.String
		}
		defs = append(defs, def)
		names = append(names, quote(c.name))
	}
	var indexes []string
	rows, err = tx.QueryContext(ctx, `SELECT sql FROM sqlite_schema WHERE type = 'index' AND tbl_name = ? AND sql IS NOT NULL ORDER BY name`, name)
	if err != nil {
		return err
	}
	for rows.Next() {
		var s string
		if err := rows.Scan(&s); err != nil {
			rows.Close()
			return err
		}
		indexes = append(indexes, s)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return err
	}
	var seq sql.NullInt64
	if err := tx.QueryRowContext(ctx, `SELECT max(seq) FROM sqlite_sequence WHERE name = ?`, name).Scan(&seq); err != nil {
		return err
	}
	oid := quote(mosaic.FieldNameOID)
	list := strings.Join(names, ", ")
	stmts := []string{
		rasterTableDDL(id),
		fmt.Sprintf(`INSERT INTO %s (oid, raster) SELECT %s, _raster FROM %s ORDER BY %[2]s`, rasterTableName(id), oid, items),
		fmt.Sprintf(`CREATE TABLE %s (%s) STRICT`, tmp, strings.Join(defs, ", ")),
		fmt.Sprintf(`INSERT INTO %s (%s) SELECT %[2]s FROM %s ORDER BY %s`, tmp, list, items, oid),
		`DROP TABLE ` + items,
		fmt.Sprintf(`ALTER TABLE %s RENAME TO %s`, tmp, items),
	}
	stmts = append(stmts, indexes...)
	for _, stmt := range stmts {
		if _, err := tx.ExecContext(ctx, stmt); err != nil {
			return err
		}
	}
	if seq.Valid {
		if _, err := tx.ExecContext(ctx, `UPDATE sqlite_sequence SET seq = ? WHERE name = ?`, seq.Int64, name); err != nil {
			return err
		}
	}
	return nil
}

func queryInt64s(ctx context.Context, tx *sql.Tx, query string, args ...any) ([]int64, error) {
	rows, err := tx.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	return scanInt64s(rows)
}
