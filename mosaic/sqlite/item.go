package sqlite

import (
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	sq "github.com/Masterminds/squirrel"
	sqlite3 "github.com/mattn/go-sqlite3"

	"github.com/tessera-gis/tessera/mosaic"
	"github.com/tessera-gis/tessera/mosaic/internal/storesql"
)

// CheckWhere compiles a where clause over c's fields without running it.
func (tx *Tx) CheckWhere(c *mosaic.Collection, where string, required bool) error {
	fields, err := storesql.FilterFields(c)
	if err != nil {
		return err
	}
	_, err = storesql.CompileWhere(fields, where, required)
	return err
}

// AddItems adds items to c's catalog in the current transaction.
func (tx *Tx) AddItems(c *mosaic.Collection, items []*mosaic.Item, opts mosaic.AddOptions) (mosaic.AddResult, error) {
	return tx.insertItems(c, items, opts, false)
}

// ImportItems adds items with their OIDs and recycle-bin state.
func (tx *Tx) ImportItems(c *mosaic.Collection, items []*mosaic.Item) error {
	_, err := tx.insertItems(c, items, mosaic.AddOptions{}, true)
	return err
}

// insertItems adds items, with new OIDs or, when keep is set, with the
// OIDs and recycle-bin state they carry.
func (tx *Tx) insertItems(c *mosaic.Collection, items []*mosaic.Item, opts mosaic.AddOptions, keep bool) (mosaic.AddResult, error) {
	var res mosaic.AddResult
	if len(items) == 0 {
		return res, nil
	}
	row, err := tx.collectionRow(mosaic.CollectionRef{ItemID: c.ItemID})
	if err != nil {
		return res, err
	}
	if row.cellSize == 0 {
		row.cellSize = storesql.ChooseCellSize(items)
		if _, err := tx.exec(`UPDATE collections SET cell_size = ? WHERE id = ?`, row.cellSize, c.ID); err != nil {
			return res, err
		}
	}
	fields := storesql.DataFields(c)
	cols := make([]string, 0, len(fields)+10)
	cols = append(cols, quote(mosaic.FieldNameOID), quote(mosaic.FieldNameShape))
	for _, f := range fields {
		cols = append(cols, quote(f.Name))
	}
	cols = append(cols, "_cell", "_minx", "_miny", "_maxx", "_maxy", "_deleted_at", "_deleted_job")
	ins, err := tx.tx.PrepareContext(tx.ctx, fmt.Sprintf(`INSERT INTO %s (%s) VALUES (%s)`,
		itemsTable(c), strings.Join(cols, ", "), placeholders(len(cols))))
	if err != nil {
		return res, fmt.Errorf("prepare insert: %w", err)
	}
	defer ins.Close()
	rtree, err := tx.tx.PrepareContext(tx.ctx, fmt.Sprintf(`INSERT INTO %s (id, minx, maxx, miny, maxy) VALUES (?, ?, ?, ?, ?)`, rtreeTable(c)))
	if err != nil {
		return res, fmt.Errorf("prepare rtree insert: %w", err)
	}
	defer rtree.Close()
	rasters, err := tx.tx.PrepareContext(tx.ctx, fmt.Sprintf(`INSERT INTO %s (oid, raster) VALUES (?, ?)`, rastersTable(c)))
	if err != nil {
		return res, fmt.Errorf("prepare raster insert: %w", err)
	}
	defer rasters.Close()

	cc := storesql.NewCellChanges()
	args := make([]any, len(cols))
	for i, it := range items {
		if i%256 == 0 {
			if err := tx.ctx.Err(); err != nil {
				return res, err
			}
		}
		if err := storesql.CheckItem(it, keep); err != nil {
			return res, err
		}
		if skip, err := tx.items().Dedupe(c, it, opts, cc, &res); err != nil || skip {
			if err != nil {
				return res, err
			}
			continue
		}
		enc, err := storesql.EncodeItem(c, it, keep, row.cellSize)
		if err != nil {
			return res, err
		}
		args[0], args[1] = nil, enc.Shape // a NULL OBJECTID takes the next one
		if keep {
			args[0] = it.OID
		}
		for j, f := range fields {
			args[2+j] = enc.Attrs[f.Name]
		}
		n := 2 + len(fields)
		b := enc.Cell.Bound
		args[n] = enc.Cell.Cell
		args[n+1], args[n+2], args[n+3], args[n+4] = b.Min[0], b.Min[1], b.Max[0], b.Max[1]
		args[n+5], args[n+6] = enc.DeletedAt, enc.DeletedJob
		r, err := ins.ExecContext(tx.ctx, args...)
		var se sqlite3.Error
		if keep && errors.As(err, &se) && se.Code == sqlite3.ErrConstraint {
			return res, mosaic.Errorf(mosaic.ECONFLICT, "Item %d is already in %q.", it.OID, c.Name)
		}
		if err != nil {
			return res, fmt.Errorf("insert item %q: %w", it.Path, err)
		}
		oid, err := r.LastInsertId()
		if err != nil {
			return res, err
		}
		if _, err := rtree.ExecContext(tx.ctx, oid, b.Min[0], b.Max[0], b.Min[1], b.Max[1]); err != nil {
			return res, fmt.Errorf("index item %q: %w", it.Path, err)
		}
		if _, err := rasters.ExecContext(tx.ctx, oid, enc.Raster); err != nil {
			return res, fmt.Errorf("insert raster of item %q: %w", it.Path, err)
		}
		it.OID = oid
		if err := tx.addItemStats(c, oid, it.Raster); err != nil {
			return res, err
		}
		if !enc.Recycled {
			cc.Add(enc.Cell)
		}
		res.Added++
		res.OIDs = append(res.OIDs, oid)
		if c.Summary.BandCount == 0 && it.Raster.Bands > 0 {
			c.Summary.BandCount, c.Summary.PixelType = it.Raster.Bands, it.Raster.PixelType
			if err := tx.saveCollection(c); err != nil {
				return res, err
			}
		}
	}
	return res, tx.changed(c, cc)
}

// scanInt64s reads a one-column result of integers.
func scanInt64s(rows *sql.Rows) ([]int64, error) { return storesql.ScanInt64s(sqlRows{rows}) }

// returnedColumns are what storesql.Items.ChangeItems scans from a RETURNING clause: the
// OBJECTID, whether the item is live, and what the boundary cells need.
var returnedColumns = fmt.Sprintf("%s, _deleted_at IS NULL, _cell, %s, _minx, _miny, _maxx, _maxy, %s, %s",
	quote(mosaic.FieldNameOID), quote(mosaic.FieldNameShape), quote(mosaic.FieldNameLowPS), quote(mosaic.FieldNameHighPS))

// items returns the item changes this store shares with the other.
func (tx *Tx) items() storesql.Items {
	return storesql.Items{
		DB:        tx.conn(),
		ReadOnly:  !tx.writable,
		Returned:  returnedColumns,
		ShapeWKB:  true,
		TableFunc: itemsTable,
		InIDsFunc: inIDs,
		// Purged items leave the R*Tree and the raster table.
		UnindexFunc: func(c *mosaic.Collection, oids []int64) error {
			ids := jsonIDs(oids)
			if _, err := tx.exec(fmt.Sprintf(`DELETE FROM %s WHERE id IN (SELECT value FROM json_each(?))`, rtreeTable(c)), ids); err != nil {
				return err
			}
			_, err := tx.exec(fmt.Sprintf(`DELETE FROM %s WHERE oid IN (SELECT value FROM json_each(?))`, rastersTable(c)), ids)
			return err
		},
		ChangedFunc: tx.changed,
	}
}

// DeleteItems removes the items that d selects.
func (tx *Tx) DeleteItems(c *mosaic.Collection, d mosaic.ItemDelete) (mosaic.DeleteResult, error) {
	return tx.items().DeleteItems(c, d)
}

// RestoreItems puts recycled items back with their original OIDs.
func (tx *Tx) RestoreItems(c *mosaic.Collection, r mosaic.ItemRestore) (mosaic.RestoreResult, error) {
	return tx.items().RestoreItems(c, r)
}

// changed brings c's boundary cells and Summary up to date after cc.
func (tx *Tx) changed(c *mosaic.Collection, cc *storesql.CellChanges) error {
	if err := storesql.ApplyCellChanges(tx.cellDB(c), cc); err != nil {
		return err
	}
	return tx.loadSummary(c)
}

// inIDs is "col IN (ids)" with the IDs bound as one JSON array, so that long
// lists never hit SQLite's limit on parameters.
func inIDs(col string, ids []int64) sq.Sqlizer {
	return sq.Expr(col+" IN (SELECT value FROM json_each(?))", jsonIDs(ids))
}

// PurgeRecycled removes at most limit recycle-bin entries (all if limit ≤
// 0) of every collection recycled before t, oldest first.
func (tx *Tx) PurgeRecycled(before time.Time, limit int) (int64, error) {
	cs, err := tx.Collections()
	if err != nil {
		return 0, err
	}
	var total int64
	for _, c := range cs {
		q := fmt.Sprintf(`SELECT %s FROM %s WHERE _deleted_at IS NOT NULL AND _deleted_at < ? ORDER BY _deleted_at`,
			quote(mosaic.FieldNameOID), itemsTable(c))
		args := []any{before.UnixMilli()}
		if limit > 0 {
			if total >= int64(limit) {
				break
			}
			q += ` LIMIT ?`
			args = append(args, int64(limit)-total)
		}
		rows, err := tx.query(q, args...)
		if err != nil {
			return total, err
		}
		oids, err := scanInt64s(rows)
		if err != nil {
			return total, err
		}
		if len(oids) == 0 {
			continue
		}
		n, err := tx.items().PurgeOIDs(c, oids, storesql.NewCellChanges())
		total += n
		if err != nil {
			return total, err
		}
	}
	return total, nil
}
