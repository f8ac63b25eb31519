package postgis

import (
	"encoding/json"
	"fmt"
	"sort"
	"strings"
	"time"

	sq "github.com/Masterminds/squirrel"
	"github.com/jackc/pgx/v5"
	"github.com/paulmach/orb/encoding/wkb"

	"github.com/tessera-gis/tessera/mosaic"
	"github.com/tessera-gis/tessera/mosaic/internal/storesql"
)

// CheckWhere compiles a where clause over c's fields without running it.
func (tx *Tx) CheckWhere(c *mosaic.Collection, where string, required bool) error {
	fields, err := storesql.FilterFields(c)
	if err != nil {
		return err
	}
	_, err = storesql.CompileWhere(fields, where, required, pg)
	return err
}

// addBatch is how many inserts AddItems sends to the server at once.
const addBatch = 500

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
	row, err := tx.lockCollection(c)
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
	vals := make([]string, 0, cap(cols))
	cols = append(cols, quote(mosaic.FieldNameOID), quote(mosaic.FieldNameShape))
	vals = append(vals, "?", "ST_GeomFromWKB(?)")
	for _, f := range fields {
		cols, vals = append(cols, quote(f.Name)), append(vals, "?")
	}
	for _, col := range []string{"_raster", "_cell", "_shape_key", "_minx", "_miny", "_maxx", "_maxy", "_deleted_at", "_deleted_job"} {
		cols, vals = append(cols, col), append(vals, "?")
	}
	insert := dollar(fmt.Sprintf(`%sINSERT INTO %s (%s) VALUES (%s)`, fieldsTag(c), itemsTable(c), strings.Join(cols, ", "), strings.Join(vals, ", ")))
	stats := dollar(`INSERT INTO item_stats (collection_id, oid, band, pixels, min, max, mean, std)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (collection_id, oid, band) DO UPDATE
		SET pixels = excluded.pixels, min = excluded.min, max = excluded.max, mean = excluded.mean, std = excluded.std`)

	// Inserts go in batches. Duplicate checks must see the items added
	// before them, so with EXCLUDE or OVERWRITE each item is sent at once.
	batch := &pgx.Batch{}
	flush := func() error {
		if batch.Len() == 0 {
			return nil
		}
		err := tx.tx.SendBatch(tx.ctx, batch).Close()
		batch = &pgx.Batch{}
		if keep && isUniqueViolation(err) {
			return mosaic.Errorf(mosaic.ECONFLICT, "An item's OBJECTID is already in %q.", c.Name)
		}
		if err != nil {
			return fmt.Errorf("insert items: %w", err)
		}
		return nil
	}
	immediate := opts.Duplicates == mosaic.DuplicatesExclude || opts.Duplicates == mosaic.DuplicatesOverwrite
	cc := storesql.NewCellChanges()
	oid, nextOID := row.nextOID, row.nextOID
	for i, it := range items {
		if i%256 == 0 {
			if err := tx.ctx.Err(); err != nil {
				return res, err
			}
		}
		if len(it.Footprint) == 0 || len(it.Footprint[0]) < 4 {
			return res, mosaic.Errorf(mosaic.EINVALID, "Item %q has no footprint.", it.Path)
		}
		if it.Path == "" {
			return res, mosaic.Errorf(mosaic.EINVALID, "An item needs a source path.")
		}
		if keep && it.OID <= 0 {
			return res, mosaic.Errorf(mosaic.EINVALID, "Item %q has no OBJECTID to keep.", it.Path)
		}
		if immediate {
			if err := flush(); err != nil {
				return res, err
			}
			dups, err := tx.liveOIDsWithPath(c, it.Path)
			if err != nil {
				return res, err
			}
			if len(dups) > 0 && opts.Duplicates == mosaic.DuplicatesExclude {
				res.Skipped++
				continue
			}
			if len(dups) > 0 {
				if _, err := tx.purgeOIDs(c, dups, cc); err != nil {
					return res, err
				}
				res.Overwritten += len(dups)
			}
		}
		attrs, err := storesql.NormalizeAttributes(c, it)
		if err != nil {
			return res, err
		}
		shape, err := wkb.Marshal(it.Footprint)
		if err != nil {
			return res, fmt.Errorf("encode footprint: %w", err)
		}
		raster, err := json.Marshal(it.Raster)
		if err != nil {
			return res, err
		}
		b := it.Footprint.Bound()
		ci := storesql.CellItem{Cell: storesql.CellKey(b.Center(), row.cellSize), ShapeKey: storesql.ShapeKey(shape), Bound: b,
			LowPS: attrs[mosaic.FieldNameLowPS], HighPS: attrs[mosaic.FieldNameHighPS]}
		if keep {
			oid = it.OID
		}
		var deletedAt, deletedJob any
		recycled := keep && it.Recycled != nil
		if recycled {
			deletedAt, deletedJob = it.Recycled.At.UnixMilli(), it.Recycled.JobID
		}
		args := make([]any, 0, len(cols))
		args = append(args, oid, shape)
		for _, f := range fields {
			args = append(args, attrs[f.Name])
		}
		args = append(args, string(raster), ci.Cell, ci.ShapeKey, b.Min[0], b.Min[1], b.Max[0], b.Max[1], deletedAt, deletedJob)
		batch.Queue(insert, args...)
		if len(it.Raster.Stats) > 0 {
			pixels := storesql.ItemPixels(it.Raster)
			for band, st := range it.Raster.Stats {
				batch.Queue(stats, c.ID, oid, band, pixels, st.Min, st.Max, st.Mean, st.Std)
			}
		}
		if immediate || batch.Len() >= addBatch {
			if err := flush(); err != nil {
				return res, err
			}
		}
		it.OID = oid
		oid++
		nextOID = max(nextOID, oid)
		if !recycled {
			cc.Add(ci)
		}
		res.Added++
		res.OIDs = append(res.OIDs, it.OID)
		if c.Summary.BandCount == 0 && it.Raster.Bands > 0 {
			c.Summary.BandCount, c.Summary.PixelType = it.Raster.Bands, it.Raster.PixelType
			if err := tx.saveCollection(c); err != nil {
				return res, err
			}
		}
	}
	if err := flush(); err != nil {
		return res, err
	}
	if _, err := tx.exec(`UPDATE collections SET next_oid = ? WHERE id = ?`, nextOID, c.ID); err != nil {
		return res, err
	}
	if err := storesql.ApplyCellChanges(tx.cellDB(c), cc); err != nil {
		return res, err
	}
	return res, tx.loadSummary(c)
}

func (tx *Tx) liveOIDsWithPath(c *mosaic.Collection, path string) ([]int64, error) {
	rows, err := tx.query(fmt.Sprintf(`SELECT %s FROM %s WHERE %s = ? AND _deleted_at IS NULL`,
		quote(mosaic.FieldNameOID), itemsTable(c), quote(mosaic.FieldNamePath)), path)
	if err != nil {
		return nil, err
	}
	return scanInt64s(rows)
}

// purgeOIDs removes items (live or recycled) for good, records the live
// ones in cc, and reports how many it removed.
func (tx *Tx) purgeOIDs(c *mosaic.Collection, oids []int64, cc *storesql.CellChanges) (int64, error) {
	removed, err := tx.changeItems(fmt.Sprintf(`DELETE FROM %s AS i WHERE %s = ANY(?) RETURNING %s`,
		itemsTable(c), quote(mosaic.FieldNameOID), returnedColumns), []any{oids}, func(live bool, ci storesql.CellItem) {
		if live {
			cc.Remove(ci)
		}
	})
	if err != nil {
		return 0, fmt.Errorf("delete items: %w", err)
	}
	return int64(len(removed)), nil
}

// DeleteItems removes the items that d selects.
func (tx *Tx) DeleteItems(c *mosaic.Collection, d mosaic.ItemDelete) (mosaic.DeleteResult, error) {
	var res mosaic.DeleteResult
	fields, err := storesql.FilterFields(c)
	if err != nil {
		return res, err
	}
	where, err := storesql.CompileWhere(fields, d.Where, true, pg)
	if err != nil {
		return res, err
	}
	if !d.DryRun {
		if _, err := tx.lockCollection(c); err != nil {
			return res, err
		}
	}
	cond := sq.And{sq.Expr("i._deleted_at IS NULL"), where}
	oidCol := storesql.Col(mosaic.FieldNameOID)
	if len(d.ObjectIDs) > 0 {
		ids := storesql.UniqueIDs(d.ObjectIDs)
		cond = append(cond, inIDs(oidCol, ids))
		if d.Strict {
			var live int
			q, args, err := sq.Select("count(*)").From(itemsTable(c) + " AS i").
				Where(sq.And{sq.Expr("i._deleted_at IS NULL"), inIDs(oidCol, ids)}).ToSql()
			if err != nil {
				return res, err
			}
			if err := tx.queryRow(q, args...).Scan(&live); err != nil {
				return res, fmt.Errorf("check objectIds: %w", err)
			}
			if live != len(ids) {
				return res, mosaic.Errorf(mosaic.EINVALID, "%d of the %d listed objectIds are not items of %q; nothing was deleted (strict).",
					len(ids)-live, len(ids), c.Name)
			}
		}
	}
	pred, args, err := cond.ToSql()
	if err != nil {
		return res, fmt.Errorf("build delete: %w", err)
	}
	cc := storesql.NewCellChanges()
	switch {
	case d.DryRun:
		rows, err := tx.query(fmt.Sprintf(`SELECT %s FROM %s AS i WHERE %s ORDER BY %s`, oidCol, itemsTable(c), pred, oidCol), args...)
		if err != nil {
			return res, fmt.Errorf("delete items: %w", err)
		}
		if res.OIDs, err = scanInt64s(rows); err != nil {
			return res, fmt.Errorf("delete items: %w", dataError(err))
		}
	case d.Purge:
		res.OIDs, err = tx.changeItems(fmt.Sprintf(`DELETE FROM %s AS i WHERE %s RETURNING %s`, itemsTable(c), pred, returnedColumns),
			args, func(_ bool, ci storesql.CellItem) { cc.Remove(ci) })
	default:
		res.OIDs, err = tx.changeItems(fmt.Sprintf(`UPDATE %s AS i SET _deleted_at = ?, _deleted_job = ? WHERE %s RETURNING %s`,
			itemsTable(c), pred, returnedColumns), append([]any{tx.now().UnixMilli(), d.JobID}, args...),
			func(_ bool, ci storesql.CellItem) { cc.Remove(ci) })
	}
	if err != nil {
		return res, fmt.Errorf("delete items: %w", dataError(err))
	}
	res.Matched = int64(len(res.OIDs))
	if res.Matched == 0 && d.Strict {
		return res, mosaic.Errorf(mosaic.EINVALID, "The where clause matched no items of %q; nothing was deleted (strict).", c.Name)
	}
	if d.DryRun || res.Matched == 0 {
		return res, nil
	}
	res.Removed = res.Matched
	if err := storesql.ApplyCellChanges(tx.cellDB(c), cc); err != nil {
		return res, err
	}
	return res, tx.loadSummary(c)
}

// returnedColumns are what changeItems scans from a RETURNING clause: the
// OBJECTID, whether the item is live, and what the boundary cells need.
var returnedColumns = fmt.Sprintf("i.%s, i._deleted_at IS NULL, i._cell, i._shape_key, i._minx, i._miny, i._maxx, i._maxy, i.%s, i.%s",
	quote(mosaic.FieldNameOID), quote(mosaic.FieldNameLowPS), quote(mosaic.FieldNameHighPS))

// changeItems runs a statement that changes items and returns their
// returnedColumns, calls fn for each item with whether the row returned is
// live, and returns the items' OBJECTIDs in increasing order.
func (tx *Tx) changeItems(query string, args []any, fn func(live bool, ci storesql.CellItem)) ([]int64, error) {
	if !tx.writable {
		return nil, fmt.Errorf("write in a read-only transaction")
	}
	rows, err := tx.query(query, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var oids []int64
	for rows.Next() {
		var (
			oid           int64
			live          bool
			ci            storesql.CellItem
			lowPS, highPS *float64
		)
		b := &ci.Bound
		if err := rows.Scan(&oid, &live, &ci.Cell, &ci.ShapeKey, &b.Min[0], &b.Min[1], &b.Max[0], &b.Max[1], &lowPS, &highPS); err != nil {
			return nil, err
		}
		ci.LowPS, ci.HighPS = nullable(lowPS), nullable(highPS)
		fn(live, ci)
		oids = append(oids, oid)
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	sort.Slice(oids, func(i, j int) bool { return oids[i] < oids[j] })
	return oids, nil
}

func nullable(v *float64) any {
	if v != nil {
		return *v
	}
	return nil
}

// inIDs is "col = ANY(ids)", the IDs bound as one array.
func inIDs(col string, ids []int64) sq.Sqlizer {
	if ids == nil {
		ids = []int64{}
	}
	return sq.Expr(col+" = ANY(?)", ids)
}

// RestoreItems puts recycled items back with their original OIDs.
func (tx *Tx) RestoreItems(c *mosaic.Collection, r mosaic.ItemRestore) (mosaic.RestoreResult, error) {
	var res mosaic.RestoreResult
	fields, err := storesql.FilterFields(c)
	if err != nil {
		return res, err
	}
	where, err := storesql.CompileWhere(fields, r.Where, r.JobID == "", pg)
	if err != nil {
		return res, err
	}
	if _, err := tx.lockCollection(c); err != nil {
		return res, err
	}
	cond := sq.And{sq.Expr("i._deleted_at IS NOT NULL")}
	if where != nil {
		cond = append(cond, where)
	}
	if r.JobID != "" {
		cond = append(cond, sq.Eq{"i._deleted_job": r.JobID})
	}
	pred, args, err := cond.ToSql()
	if err != nil {
		return res, err
	}
	cc := storesql.NewCellChanges()
	res.OIDs, err = tx.changeItems(fmt.Sprintf(`UPDATE %s AS i SET _deleted_at = NULL, _deleted_job = NULL WHERE %s RETURNING %s`,
		itemsTable(c), pred, returnedColumns), args, func(_ bool, ci storesql.CellItem) { cc.Add(ci) })
	if err != nil {
		return res, fmt.Errorf("restore items: %w", dataError(err))
	}
	res.Restored = int64(len(res.OIDs))
	if err := storesql.ApplyCellChanges(tx.cellDB(c), cc); err != nil {
		return res, err
	}
	return res, tx.loadSummary(c)
}

// PurgeRecycled removes at most limit recycle-bin entries (all if limit ≤
// 0) of every collection recycled before t, oldest first in each. Recycled
// items are not in the boundary cells, so this takes no collection lock;
// the delete checks again that each item is still recycled.
func (tx *Tx) PurgeRecycled(before time.Time, limit int) (int64, error) {
	cs, err := tx.Collections()
	if err != nil {
		return 0, err
	}
	var total int64
	for _, c := range cs {
		if limit > 0 && total >= int64(limit) {
			break
		}
		pick := fmt.Sprintf(`SELECT %[1]s FROM %[2]s WHERE _deleted_at IS NOT NULL AND _deleted_at < ? ORDER BY _deleted_at, %[1]s`,
			quote(mosaic.FieldNameOID), itemsTable(c))
		args := []any{before.UnixMilli()}
		if limit > 0 {
			pick += ` LIMIT ?`
			args = append(args, int64(limit)-total)
		}
		tag, err := tx.exec(fmt.Sprintf(`DELETE FROM %s WHERE %s IN (%s) AND _deleted_at IS NOT NULL`,
			itemsTable(c), quote(mosaic.FieldNameOID), pick), args...)
		if err != nil {
			return total, fmt.Errorf("purge recycle bin of %s: %w", c.Name, err)
		}
		total += tag.RowsAffected()
	}
	return total, nil
}
