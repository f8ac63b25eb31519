package sqlite

import (
	"context"
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

// LastOID returns the largest OID c has given, purged items included.
func (tx *Tx) LastOID(c *mosaic.Collection) (int64, error) {
	next, err := tx.nextOID(c)
	return next - 1, err
}

// ReserveOIDs raises c's AUTOINCREMENT sequence to last.
func (tx *Tx) ReserveOIDs(c *mosaic.Collection, last int64) error {
	name := fmt.Sprintf("items_%d", c.ID)
	res, err := tx.exec(`UPDATE sqlite_sequence SET seq = max(seq, ?) WHERE name = ?`, last, name)
	if err != nil {
		return fmt.Errorf("reserve OBJECTIDs: %w", err)
	}
	if n, err := res.RowsAffected(); err != nil || n > 0 {
		return err
	}
	// No item was ever inserted: the sequence has no row yet.
	if _, err := tx.exec(`INSERT INTO sqlite_sequence (name, seq) VALUES (?, ?)`, name, last); err != nil {
		return fmt.Errorf("reserve OBJECTIDs: %w", err)
	}
	return nil
}

// rowsPerInsert is how many new items one INSERT statement adds (and one
// statement each for their R*Tree entries and raster rows): the costs paid
// per statement (the driver's crossing and argument conversion, statement
// reset, AUTOINCREMENT's sequence row) are paid once per group.
const rowsPerInsert = 32

// maxParams is SQLite's bound on a statement's parameters.
const maxParams = 32766

// insertItems adds items, with new OIDs or, when keep is set, with the
// OIDs and recycle-bin state they carry. New OIDs are assigned here, as
// AUTOINCREMENT would (after the largest ever used), so that items go in
// rowsPerInsert at a time; one at a time when each needs its own check
// (duplicates, or an import whose OIDs may clash).
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
	group := rowsPerInsert
	if keep || opts.Duplicates == mosaic.DuplicatesExclude || opts.Duplicates == mosaic.DuplicatesOverwrite {
		group = 1
	}
	enc := storesql.NewEncoder(c, keep, row.cellSize)
	w, err := tx.newItemWriter(c, enc.Fields(), min(group, len(items)))
	if err != nil {
		return res, err
	}
	defer w.close()
	next, err := tx.nextOID(c)
	if err != nil {
		return res, err
	}

	cc := storesql.NewCellChanges()
	pending := make([]pendingItem, 0, w.group)
	flush := func() error {
		if len(pending) == 0 {
			return nil
		}
		if err := w.write(pending); err != nil {
			if se := (sqlite3.Error{}); keep && errors.As(err, &se) && se.Code == sqlite3.ErrConstraint {
				return mosaic.Errorf(mosaic.ECONFLICT, "Item %d is already in %q.", pending[0].oid, c.Name)
			}
			return fmt.Errorf("insert item %q: %w", pending[0].item.Path, err)
		}
		for _, p := range pending {
			it := p.item
			if err := tx.addItemStats(c, p.oid, it.Raster); err != nil {
				return err
			}
			if !p.enc.Recycled {
				cc.Add(p.enc.Cell)
			}
			res.Added++
			res.OIDs = append(res.OIDs, p.oid)
			if c.Summary.BandCount == 0 && it.Raster.Bands > 0 {
				c.Summary.BandCount, c.Summary.PixelType = it.Raster.Bands, it.Raster.PixelType
				if err := tx.saveCollection(c); err != nil {
					return err
				}
			}
		}
		pending = pending[:0]
		return nil
	}
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
		encoded, err := enc.Encode(it)
		if err != nil {
			return res, err
		}
		if !keep {
			if next <= 0 { // past the largest int64: AUTOINCREMENT fails here too
				return res, fmt.Errorf("insert item %q: %q has used every OBJECTID", it.Path, c.Name)
			}
			it.OID = next
			next++
		}
		pending = append(pending, pendingItem{it, it.OID, encoded})
		if len(pending) == w.group {
			if err := flush(); err != nil {
				return res, err
			}
		}
	}
	if err := flush(); err != nil {
		return res, err
	}
	return res, tx.changed(c, cc)
}

// nextOID returns the OBJECTID the next new item of c takes: one more
// than the largest ever used (AUTOINCREMENT's rule, whose sequence SQLite
// advances when an explicit OBJECTID passes it).
func (tx *Tx) nextOID(c *mosaic.Collection) (int64, error) {
	var last int64
	err := tx.tx.QueryRowContext(tx.ctx, fmt.Sprintf(`SELECT max(
		coalesce((SELECT seq FROM sqlite_sequence WHERE name = ?), 0),
		coalesce((SELECT max(%s) FROM %s), 0))`, quote(mosaic.FieldNameOID), itemsTable(c)),
		fmt.Sprintf("items_%d", c.ID)).Scan(&last)
	if err != nil {
		return 0, fmt.Errorf("next OBJECTID: %w", err)
	}
	return last + 1, nil
}

// pendingItem is an item encoded and given its OID, not yet written. The
// OID is kept here, not only in the Item: one *Item may come several times
// in an add, each time with its own OID.
type pendingItem struct {
	item *mosaic.Item
	oid  int64
	enc  storesql.ItemRow
}

// itemWriter writes items to a catalog's three tables (row, R*Tree entry,
// raster row), group items per statement, and single items for the
// remainder.
type itemWriter struct {
	group int
	// full and one are the statements for group items and for one.
	full, one [3]*sql.Stmt
	args      []any
	ctx       context.Context
}

func (tx *Tx) newItemWriter(c *mosaic.Collection, fields []mosaic.Field, group int) (*itemWriter, error) {
	cols := make([]string, 0, len(fields)+10)
	cols = append(cols, quote(mosaic.FieldNameOID), quote(mosaic.FieldNameShape))
	for _, f := range fields {
		cols = append(cols, quote(f.Name))
	}
	cols = append(cols, "_cell", "_minx", "_miny", "_maxx", "_maxy", "_deleted_at", "_deleted_job")
	// SQLite binds at most 32,766 parameters per statement.
	group = max(1, min(group, maxParams/len(cols)))
	// The statements run without cancellation (the driver starts a
	// goroutine per statement for a context that can end); insertItems
	// checks tx.ctx every 256 items instead.
	w := &itemWriter{group: group, ctx: context.WithoutCancel(tx.ctx)}
	prepare := func(n int) ([3]*sql.Stmt, error) {
		var out [3]*sql.Stmt
		texts := [3]string{
			fmt.Sprintf(`INSERT INTO %s (%s) VALUES %s`, itemsTable(c), strings.Join(cols, ", "), valueRows(n, len(cols))),
			fmt.Sprintf(`INSERT INTO %s (id, minx, maxx, miny, maxy) VALUES %s`, rtreeTable(c), valueRows(n, 5)),
			fmt.Sprintf(`INSERT INTO %s (oid, raster) VALUES %s`, rastersTable(c), valueRows(n, 2)),
		}
		for i, q := range texts {
			st, err := tx.tx.PrepareContext(tx.ctx, q)
			if err != nil {
				closeStmts(out[:i])
				return out, fmt.Errorf("prepare insert: %w", err)
			}
			out[i] = st
		}
		return out, nil
	}
	var err error
	if w.one, err = prepare(1); err != nil {
		return nil, err
	}
	if group > 1 {
		if w.full, err = prepare(group); err != nil {
			w.close()
			return nil, err
		}
	}
	return w, nil
}

// write inserts the pending items: group of them with the grouped
// statements, fewer one by one.
func (w *itemWriter) write(pending []pendingItem) error {
	if len(pending) == w.group && w.group > 1 {
		return w.exec(w.full, pending)
	}
	for i := range pending {
		if err := w.exec(w.one, pending[i:i+1]); err != nil {
			return err
		}
	}
	return nil
}

func (w *itemWriter) exec(st [3]*sql.Stmt, pending []pendingItem) error {
	args := w.args[:0]
	for _, p := range pending {
		args = append(args, p.oid, p.enc.Shape)
		args = append(args, p.enc.Values...)
		b := p.enc.Cell.Bound
		args = append(args, p.enc.Cell.Cell, b.Min[0], b.Min[1], b.Max[0], b.Max[1], p.enc.DeletedAt, p.enc.DeletedJob)
	}
	if _, err := st[0].ExecContext(w.ctx, args...); err != nil {
		return err
	}
	args = args[:0]
	for _, p := range pending {
		b := p.enc.Cell.Bound
		args = append(args, p.oid, b.Min[0], b.Max[0], b.Min[1], b.Max[1])
	}
	if _, err := st[1].ExecContext(w.ctx, args...); err != nil {
		return fmt.Errorf("index: %w", err)
	}
	args = args[:0]
	for _, p := range pending {
		args = append(args, p.oid, p.enc.Raster)
	}
	if _, err := st[2].ExecContext(w.ctx, args...); err != nil {
		return fmt.Errorf("raster: %w", err)
	}
	w.args = args[:0]
	return nil
}

func (w *itemWriter) close() {
	closeStmts(w.one[:])
	closeStmts(w.full[:])
}

func closeStmts(l []*sql.Stmt) {
	for _, st := range l {
		if st != nil {
			st.Close()
		}
	}
}

// valueRows is n rows of cols placeholders for a VALUES clause.
func valueRows(n, cols int) string {
	row := "(" + placeholders(cols) + ")"
	return strings.Repeat(row+",", n-1) + row
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
