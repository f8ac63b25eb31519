package storesql

import (
	"encoding/json"
	"errors"
	"fmt"
	"slices"

	sq "github.com/Masterminds/squirrel"
	"github.com/paulmach/orb"
	"github.com/paulmach/orb/encoding/wkb"

	"github.com/tessera-gis/tessera/mosaic"
	"github.com/tessera-gis/tessera/sqlfilter"
)

// Items makes the item changes that both stores make with the same SQL:
// deleting, restoring and purging items, with the boundary-cell
// bookkeeping that goes with them. A store builds one per transaction,
// with its dialect and the steps that are its own (locks, indexes beside
// the items table).
type Items struct {
	DB DB
	// ReadOnly refuses every change, for a read transaction.
	ReadOnly bool
	// Filter is the store's where-clause dialect.
	Filter []sqlfilter.Option
	// Returned are the columns ChangeItems reads from a RETURNING clause:
	// the OBJECTID, whether the item is live (_deleted_at IS NULL), _cell,
	// the footprint's key (or, with ShapeWKB, the footprint as WKB, hashed
	// with ShapeKey), _minx, _miny, _maxx, _maxy, LowPS and HighPS. Unused
	// with GroupFunc.
	Returned string
	ShapeWKB bool
	// GroupFunc, when set, aggregates a change in SQL instead (PostgreSQL,
	// with a data-modifying statement in WITH): it returns a query that
	// runs change (an UPDATE or DELETE of the items table aliased i,
	// without RETURNING) and returns one row per (live, _cell, _shape_key)
	// of the items it changed: live, _cell, _shape_key, count, the least
	// _minx and _miny, the greatest _maxx and _maxy, the least positive
	// LowPS and greatest positive HighPS (0 when none) and NULL; and one
	// more row, NULL but for its last column, the OBJECTIDs as an array
	// (NULL when none). Only these rows, not one per item, come back to Go.
	GroupFunc func(change string) string
	// TableFunc returns the quoted name of c's items table.
	TableFunc func(c *mosaic.Collection) string
	// InIDsFunc returns the condition "col is one of ids".
	InIDsFunc func(col string, ids []int64) sq.Sqlizer
	// LockFunc, when set, serialises changes to c's items until the end
	// of the transaction; it runs before each change.
	LockFunc func(c *mosaic.Collection) error
	// UnindexFunc, when set, removes purged items from an index the store
	// keeps beside the items table.
	UnindexFunc func(c *mosaic.Collection, oids []int64) error
	// ChangedFunc brings c's boundary cells and Summary up to date after
	// the changes cc records.
	ChangedFunc func(c *mosaic.Collection, cc *CellChanges) error
}

// ChangeItems runs change, a statement that changes items (an UPDATE or
// DELETE of the items table aliased i, without RETURNING), calls fn for
// the changed items of each cell and footprint with whether they were
// live (as RETURNING sees the row), and returns the items' OBJECTIDs in
// increasing order.
func (s Items) ChangeItems(change string, args []any, fn func(live bool, g CellGroup)) ([]int64, error) {
	if s.ReadOnly {
		return nil, errors.New("write in a read-only transaction")
	}
	if s.GroupFunc != nil {
		return s.changeGrouped(change, args, fn)
	}
	rows, err := s.DB.Query(change+" RETURNING "+s.Returned, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var oids []int64
	for rows.Next() {
		var (
			oid           int64
			live          bool
			ci            CellItem
			wkb           []byte
			lowPS, highPS *float64
		)
		shape := any(&ci.ShapeKey)
		if s.ShapeWKB {
			shape = &wkb
		}
		b := &ci.Bound
		if err := rows.Scan(&oid, &live, &ci.Cell, shape, &b.Min[0], &b.Min[1], &b.Max[0], &b.Max[1], &lowPS, &highPS); err != nil {
			return nil, err
		}
		if s.ShapeWKB {
			ci.ShapeKey = ShapeKey(wkb)
		}
		g := CellGroup{Cell: ci.Cell, ShapeKey: ci.ShapeKey}
		g.include(ci.Bound, nullable(lowPS), nullable(highPS))
		fn(live, g)
		oids = append(oids, oid)
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	slices.Sort(oids)
	return oids, nil
}

// changeGrouped is ChangeItems with the aggregation done by the database
// (GroupFunc).
func (s Items) changeGrouped(change string, args []any, fn func(live bool, g CellGroup)) ([]int64, error) {
	rows, err := s.DB.Query(s.GroupFunc(change), args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var oids []int64
	for rows.Next() {
		var (
			live                   *bool
			cell, key, n           *int64
			minx, miny, maxx, maxy *float64
			minPS, maxPS           *float64
			ids                    []int64
		)
		if err := rows.Scan(&live, &cell, &key, &n, &minx, &miny, &maxx, &maxy, &minPS, &maxPS, &ids); err != nil {
			return nil, err
		}
		if live == nil {
			oids = append(oids, ids...) // the row of OBJECTIDs
			continue
		}
		if cell == nil || key == nil || n == nil || minx == nil || miny == nil || maxx == nil || maxy == nil || minPS == nil || maxPS == nil {
			return nil, errors.New("changed items: a group without its aggregates")
		}
		g := CellGroup{Cell: *cell, ShapeKey: *key, CellAgg: CellAgg{Count: *n,
			Bound: orb.Bound{Min: orb.Point{*minx, *miny}, Max: orb.Point{*maxx, *maxy}}, MinPS: *minPS, MaxPS: *maxPS}}
		fn(*live, g)
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	slices.Sort(oids)
	return oids, nil
}

func nullable(v *float64) any {
	if v != nil {
		return *v
	}
	return nil
}

// PurgeOIDs removes items (live or recycled) for good, records the live
// ones in cc, and reports how many it removed.
func (s Items) PurgeOIDs(c *mosaic.Collection, oids []int64, cc *CellChanges) (int64, error) {
	pred, args, err := s.InIDsFunc(Col(mosaic.FieldNameOID), oids).ToSql()
	if err != nil {
		return 0, err
	}
	removed, err := s.ChangeItems(fmt.Sprintf(`DELETE FROM %s AS i WHERE %s`, s.TableFunc(c), pred),
		args, func(live bool, g CellGroup) {
			if live {
				cc.RemoveGroup(g)
			}
		})
	if err != nil {
		return 0, fmt.Errorf("delete items: %w", err)
	}
	if err := s.unindex(c, oids); err != nil {
		return 0, err
	}
	return int64(len(removed)), nil
}

func (s Items) unindex(c *mosaic.Collection, oids []int64) error {
	if s.UnindexFunc == nil {
		return nil
	}
	if err := s.UnindexFunc(c, oids); err != nil {
		return fmt.Errorf("unindex items: %w", err)
	}
	return nil
}

// DeleteItems removes the items that d selects; see mosaic.CatalogWriter.
func (s Items) DeleteItems(c *mosaic.Collection, d mosaic.ItemDelete) (mosaic.DeleteResult, error) {
	var res mosaic.DeleteResult
	fields, err := FilterFields(c)
	if err != nil {
		return res, err
	}
	where, err := CompileWhere(fields, d.Where, true, s.Filter...)
	if err != nil {
		return res, err
	}
	if !d.DryRun && s.LockFunc != nil {
		if err := s.LockFunc(c); err != nil {
			return res, err
		}
	}
	table := s.TableFunc(c)
	cond := sq.And{sq.Expr("i._deleted_at IS NULL"), where}
	oidCol := Col(mosaic.FieldNameOID)
	if len(d.ObjectIDs) > 0 {
		ids := UniqueIDs(d.ObjectIDs)
		cond = append(cond, s.InIDsFunc(oidCol, ids))
		if d.Strict {
			var live int
			q, args, err := sq.Select("count(*)").From(table + " AS i").
				Where(sq.And{sq.Expr("i._deleted_at IS NULL"), s.InIDsFunc(oidCol, ids)}).ToSql()
			if err != nil {
				return res, err
			}
			if err := s.DB.QueryRow(q, args...).Scan(&live); err != nil {
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
	cc := NewCellChanges()
	remove := func(_ bool, g CellGroup) { cc.RemoveGroup(g) }
	switch {
	case d.DryRun:
		var rows Rows
		rows, err = s.DB.Query(fmt.Sprintf(`SELECT %s FROM %s AS i WHERE %s ORDER BY %s`, oidCol, table, pred, oidCol), args...)
		if err == nil {
			res.OIDs, err = ScanInt64s(rows)
		}
	case d.Purge:
		res.OIDs, err = s.ChangeItems(fmt.Sprintf(`DELETE FROM %s AS i WHERE %s`, table, pred), args, remove)
	default:
		res.OIDs, err = s.ChangeItems(fmt.Sprintf(`UPDATE %s AS i SET _deleted_at = ?, _deleted_job = ? WHERE %s`,
			table, pred), append([]any{s.DB.Now().UnixMilli(), d.JobID}, args...), remove)
	}
	if err != nil {
		return res, fmt.Errorf("delete items: %w", WhereError(err))
	}
	res.Matched = int64(len(res.OIDs))
	if res.Matched == 0 && d.Strict {
		return res, mosaic.Errorf(mosaic.EINVALID, "The where clause matched no items of %q; nothing was deleted (strict).", c.Name)
	}
	if d.DryRun || res.Matched == 0 {
		return res, nil
	}
	if d.Purge {
		if err := s.unindex(c, res.OIDs); err != nil {
			return res, err
		}
	}
	res.Removed = res.Matched
	return res, s.ChangedFunc(c, cc)
}

// RestoreItems puts recycled items back with their original OIDs; see
// mosaic.CatalogWriter.
func (s Items) RestoreItems(c *mosaic.Collection, r mosaic.ItemRestore) (mosaic.RestoreResult, error) {
	var res mosaic.RestoreResult
	fields, err := FilterFields(c)
	if err != nil {
		return res, err
	}
	where, err := CompileWhere(fields, r.Where, r.JobID == "", s.Filter...)
	if err != nil {
		return res, err
	}
	if s.LockFunc != nil {
		if err := s.LockFunc(c); err != nil {
			return res, err
		}
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
	cc := NewCellChanges()
	res.OIDs, err = s.ChangeItems(fmt.Sprintf(`UPDATE %s AS i SET _deleted_at = NULL, _deleted_job = NULL WHERE %s`,
		s.TableFunc(c), pred), args, func(_ bool, g CellGroup) { cc.AddGroup(g) })
	if err != nil {
		return res, fmt.Errorf("restore items: %w", WhereError(err))
	}
	res.Restored = int64(len(res.OIDs))
	return res, s.ChangedFunc(c, cc)
}

// LiveOIDsWithPath returns the OBJECTIDs of c's live items whose Path is
// path.
func (s Items) LiveOIDsWithPath(c *mosaic.Collection, path string) ([]int64, error) {
	rows, err := s.DB.Query(fmt.Sprintf(`SELECT %s FROM %s WHERE %s = ? AND _deleted_at IS NULL`,
		Quote(mosaic.FieldNameOID), s.TableFunc(c), Quote(mosaic.FieldNamePath)), path)
	if err != nil {
		return nil, err
	}
	return ScanInt64s(rows)
}

// CheckItem checks what every item needs before it is stored: a
// footprint, a source path and, when keep (an import), an OBJECTID.
func CheckItem(it *mosaic.Item, keep bool) error {
	if len(it.Footprint) == 0 || len(it.Footprint[0]) < 4 {
		return mosaic.Errorf(mosaic.EINVALID, "Item %q has no footprint.", it.Path)
	}
	if it.Path == "" {
		return mosaic.Errorf(mosaic.EINVALID, "An item needs a source path.")
	}
	if keep && it.OID <= 0 {
		return mosaic.Errorf(mosaic.EINVALID, "Item %q has no OBJECTID to keep.", it.Path)
	}
	return nil
}

// Dedupe applies opts.Duplicates to an item about to be added: skip
// reports that EXCLUDE leaves it out because a live item has its path;
// OVERWRITE purges the live items with its path (recording them in cc
// and res). ALLOW does nothing.
func (s Items) Dedupe(c *mosaic.Collection, it *mosaic.Item, opts mosaic.AddOptions, cc *CellChanges, res *mosaic.AddResult) (skip bool, err error) {
	if opts.Duplicates != mosaic.DuplicatesExclude && opts.Duplicates != mosaic.DuplicatesOverwrite {
		return false, nil
	}
	dups, err := s.LiveOIDsWithPath(c, it.Path)
	if err != nil || len(dups) == 0 {
		return false, err
	}
	if opts.Duplicates == mosaic.DuplicatesExclude {
		res.Skipped++
		return true, nil
	}
	if _, err := s.PurgeOIDs(c, dups, cc); err != nil {
		return false, err
	}
	res.Overwritten += len(dups)
	return false, nil
}

// ItemRow is an item encoded for the items table, as both stores insert
// it.
type ItemRow struct {
	// Values are the values of the collection's data fields, in the order
	// of the Encoder's Fields.
	Values []any
	// Shape is the footprint as WKB; Raster the RasterInfo as JSON.
	Shape  []byte
	Raster string
	// Cell is what the boundary cells need: the item's cell, shape key,
	// bound and cell sizes.
	Cell CellItem
	// Recycled is set for an imported item that goes straight to the
	// recycle bin; DeletedAt and DeletedJob are its _deleted_at and
	// _deleted_job (NULL unless Recycled).
	Recycled              bool
	DeletedAt, DeletedJob any
}

// Encode encodes it for the collection's items table.
func (e *Encoder) Encode(it *mosaic.Item) (ItemRow, error) {
	var r ItemRow
	values, err := e.values(it)
	if err != nil {
		return r, err
	}
	shape, err := wkb.Marshal(it.Footprint)
	if err != nil {
		return r, fmt.Errorf("encode footprint: %w", err)
	}
	raster, err := json.Marshal(it.Raster)
	if err != nil {
		return r, err
	}
	b := it.Footprint.Bound()
	r = ItemRow{Values: values, Shape: shape, Raster: string(raster),
		Cell: CellItem{Cell: CellKey(b.Center(), e.cellSize), ShapeKey: ShapeKey(shape), Bound: b,
			LowPS: value(values, e.lowPS), HighPS: value(values, e.highPS)}}
	if e.keep && it.Recycled != nil {
		r.Recycled, r.DeletedAt, r.DeletedJob = true, it.Recycled.At.UnixMilli(), it.Recycled.JobID
	}
	return r, nil
}
