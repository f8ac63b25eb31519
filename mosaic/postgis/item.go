package postgis

import (
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	sq "github.com/Masterminds/squirrel"
	"github.com/jackc/pgx/v5"

	"github.com/tessera-gis/tessera/mosaic"
	"github.com/tessera-gis/tessera/mosaic/internal/storesql"
	"github.com/tessera-gis/tessera/sqlfilter"
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

// LastOID returns the largest OID c has given, purged items included.
func (tx *Tx) LastOID(c *mosaic.Collection) (int64, error) {
	row, err := tx.collectionDefinition(mosaic.CollectionRef{ItemID: c.ItemID}, false)
	if err != nil {
		return 0, err
	}
	return row.nextOID - 1, nil
}

// ReserveOIDs raises c's next_oid above last.
func (tx *Tx) ReserveOIDs(c *mosaic.Collection, last int64) error {
	if _, err := tx.lockCollection(c); err != nil {
		return err
	}
	if _, err := tx.exec(`UPDATE collections SET next_oid = greatest(next_oid, ?::bigint + 1) WHERE id = ?`, last, c.ID); err != nil {
		return fmt.Errorf("reserve OBJECTIDs: %w", err)
	}
	return nil
}

// textValue returns s as a TEXT column can hold it: NUL and each byte
// that is not UTF-8 become U+FFFD, as encoding/json shows them. (SQLite
// stores such strings, from a Latin-1 manifest say, and a copy brings
// them here.)
func textValue(s string) string {
	if utf8.ValidString(s) && !strings.Contains(s, "\x00") {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); {
		r, n := utf8.DecodeRuneInString(s[i:]) // U+FFFD for a byte that is not UTF-8
		if r == 0 {
			r = utf8.RuneError
		}
		b.WriteRune(r)
		i += n
	}
	return b.String()
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
	encoder := storesql.NewEncoder(c, keep, row.cellSize)
	fields := encoder.Fields()
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
		if err := storesql.CheckItem(it, keep); err != nil {
			return res, err
		}
		if textValue(it.Path) != it.Path {
			// Unlike an attribute, a path must stay as it is to be read.
			return res, mosaic.Errorf(mosaic.EINVALID, "The path %q is not UTF-8 text, which PostgreSQL cannot store.", it.Path)
		}
		if immediate {
			if err := flush(); err != nil {
				return res, err
			}
			if skip, err := tx.items().Dedupe(c, it, opts, cc, &res); err != nil || skip {
				if err != nil {
					return res, err
				}
				continue
			}
		}
		enc, err := encoder.Encode(it)
		if err != nil {
			return res, err
		}
		for i, v := range enc.Values {
			if s, ok := v.(string); ok {
				enc.Values[i] = textValue(s)
			}
		}
		if keep {
			oid = it.OID
		}
		args := make([]any, 0, len(cols))
		args = append(args, oid, enc.Shape)
		args = append(args, enc.Values...)
		b := enc.Cell.Bound
		args = append(args, enc.Raster, enc.Cell.Cell, enc.Cell.ShapeKey, b.Min[0], b.Min[1], b.Max[0], b.Max[1], enc.DeletedAt, enc.DeletedJob)
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
		if !enc.Recycled {
			cc.Add(enc.Cell)
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
	return res, tx.changed(c, cc)
}

// groupedChange wraps a change to items (storesql.Items.GroupFunc) so that
// PostgreSQL aggregates what the boundary cells need: one row per cell and
// footprint comes back rather than one per item, and the OBJECTIDs as one
// array in a last row of their own (an array per group would cost each
// group an aggregate state, and the planner a sort). The least LowPS and
// greatest HighPS count positive values only, as storesql.CellAgg does
// (NaN, which PostgreSQL orders above every number, is left out as Go
// leaves it).
func groupedChange(change string) string {
	return fmt.Sprintf(`WITH d AS (%[1]s RETURNING i.%[2]s AS oid, i._deleted_at IS NULL AS live, i._cell AS cell,
			i._shape_key AS shape_key, i._minx AS minx, i._miny AS miny, i._maxx AS maxx, i._maxy AS maxy,
			i.%[3]s AS low_ps, i.%[4]s AS high_ps)
		SELECT live, cell, shape_key, count(*), min(minx), min(miny), max(maxx), max(maxy),
			coalesce(min(low_ps) FILTER (WHERE low_ps > 0 AND low_ps <> 'NaN'), 0),
			coalesce(max(high_ps) FILTER (WHERE high_ps > 0 AND high_ps <> 'NaN'), 0), NULL::bigint[]
		FROM d GROUP BY live, cell, shape_key
		UNION ALL
		SELECT NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, array_agg(oid) FROM d`,
		change, quote(mosaic.FieldNameOID), quote(mosaic.FieldNameLowPS), quote(mosaic.FieldNameHighPS))
}

// items returns the item changes this store shares with the other.
func (tx *Tx) items() storesql.Items {
	return storesql.Items{
		DB:        tx.conn(),
		ReadOnly:  !tx.writable,
		Filter:    []sqlfilter.Option{pg},
		GroupFunc: groupedChange, // instead of Returned
		TableFunc: itemsTable,
		InIDsFunc: inIDs,
		LockFunc: func(c *mosaic.Collection) error {
			_, err := tx.lockCollection(c)
			return err
		},
		ChangedFunc: tx.changed,
	}
}

// DeleteItems removes the items that d selects.
func (tx *Tx) DeleteItems(c *mosaic.Collection, d mosaic.ItemDelete) (mosaic.DeleteResult, error) {
	if err := tx.bulkChange(); err != nil {
		return mosaic.DeleteResult{}, err
	}
	return tx.items().DeleteItems(c, d)
}

// RestoreItems puts recycled items back with their original OIDs.
func (tx *Tx) RestoreItems(c *mosaic.Collection, r mosaic.ItemRestore) (mosaic.RestoreResult, error) {
	if err := tx.bulkChange(); err != nil {
		return mosaic.RestoreResult{}, err
	}
	return tx.items().RestoreItems(c, r)
}

// bulkWorkMem is the work_mem of a transaction that deletes or restores
// items by where clause: a fixed bound, whatever the number of items.
const bulkWorkMem = "64MB"

// bulkChange sets, until the end of the transaction, the work_mem that a
// change of many items by where clause needs: the grouping of the changed
// rows by cell and footprint (100k groups for 1M of 10M items in the
// benchmark) then stays in memory (a hash aggregate may use twice
// work_mem: hash_mem_multiplier). At the default 4MB it spilled to disk in
// 5 batches, and the statement took 10.5–12.9 s against 7.2–8.9 s at 64MB,
// beside 7.0–9.6 s for the bare DELETE (same copy, alternating, loaded
// machine; see BENCHMARKS.md).
func (tx *Tx) bulkChange() error {
	if _, err := tx.tx.Exec(tx.ctx, `SELECT set_config('work_mem', $1, true)`, bulkWorkMem); err != nil {
		return fmt.Errorf("set up the change: %w", err)
	}
	return nil
}

// changed brings c's boundary cells and Summary up to date after cc.
func (tx *Tx) changed(c *mosaic.Collection, cc *storesql.CellChanges) error {
	if err := storesql.ApplyCellChanges(tx.cellDB(c), cc); err != nil {
		return err
	}
	return tx.loadSummary(c)
}

// inIDs is "col = ANY(ids)", the IDs bound as one array.
func inIDs(col string, ids []int64) sq.Sqlizer {
	if ids == nil {
		ids = []int64{}
	}
	return sq.Expr(col+" = ANY(?)", ids)
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
