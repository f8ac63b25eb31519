package sqlite

import (
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"sort"
	"strconv"
	"strings"
	"time"

	sq "github.com/Masterminds/squirrel"
	"github.com/paulmach/orb"
	"github.com/paulmach/orb/encoding/wkb"
	"github.com/paulmach/orb/planar"

	"github.com/tessera-gis/tessera/mosaic"
	"github.com/tessera-gis/tessera/sqlfilter"
)

// filterFields returns the allow-list of c's fields for sqlfilter, with
// columns qualified by the alias "i".
func filterFields(c *mosaic.Collection) (*sqlfilter.Fields, error) {
	fs := make([]sqlfilter.Field, 0, len(c.Fields))
	for _, f := range c.Fields {
		var t sqlfilter.Type
		switch f.Type {
		case mosaic.FieldOID, mosaic.FieldInteger:
			t = sqlfilter.Integer
		case mosaic.FieldDouble:
			t = sqlfilter.Double
		case mosaic.FieldString:
			t = sqlfilter.String
		case mosaic.FieldDate:
			t = sqlfilter.Date
		default:
			continue // geometry cannot appear in a where clause
		}
		fs = append(fs, sqlfilter.Field{Name: f.Name, Column: "i." + quote(f.Name), Type: t})
	}
	return sqlfilter.NewFields(fs...)
}

// compileWhere compiles a where clause over c's fields. A blank clause
// returns nil unless required.
func compileWhere(c *mosaic.Collection, fields *sqlfilter.Fields, where string, required bool) (sq.Sqlizer, error) {
	f, err := sqlfilter.Compile(where, fields)
	switch {
	case errors.Is(err, sqlfilter.ErrEmpty) && !required:
		return nil, nil
	case err != nil:
		return nil, invalidWhere(err)
	}
	return f, nil
}

// whereFailed wraps an error from a statement that holds a compiled where
// clause. A failure that the clause's values caused (a number out of
// range) is the clause's: EINVALID, as if the compiler had found it.
// Anything else stays an internal error.
func whereFailed(err error, what string) error {
	if fe := sqlfilter.RuntimeError(err); fe != nil {
		return invalidWhere(fe)
	}
	return fmt.Errorf("%s: %w", what, err)
}

// CheckWhere compiles a where clause over c's fields without running it.
func (tx *Tx) CheckWhere(c *mosaic.Collection, where string, required bool) error {
	fields, err := filterFields(c)
	if err != nil {
		return err
	}
	_, err = compileWhere(c, fields, where, required)
	return err
}

// invalidWhere wraps a sqlfilter error as EINVALID with client-safe details.
func invalidWhere(err error) error {
	var fe *sqlfilter.Error
	detail := "The where clause is not valid."
	if errors.As(err, &fe) {
		detail = fe.Error()
	}
	if errors.Is(err, sqlfilter.ErrEmpty) {
		detail = "A where clause is required; use 1=1 to select every item."
	}
	return &mosaic.Error{Code: mosaic.EINVALID, Message: "Invalid where clause.", Details: []string{detail}, Err: err}
}

func invalidParam(err error, what string) error {
	var fe *sqlfilter.Error
	detail := "The " + what + " parameter is not valid."
	if errors.As(err, &fe) {
		detail = fe.Error()
	}
	return &mosaic.Error{Code: mosaic.EINVALID, Message: "Invalid " + what + ".", Details: []string{detail}, Err: err}
}

// dataFields are the catalog columns an insert writes, in order.
func dataFields(c *mosaic.Collection) []mosaic.Field {
	out := make([]mosaic.Field, 0, len(c.Fields))
	for _, f := range c.Fields {
		if f.Type != mosaic.FieldOID && f.Type != mosaic.FieldGeometry {
			out = append(out, f)
		}
	}
	return out
}

// AddItems adds items to c's catalog in the current transaction.
func (tx *Tx) AddItems(c *mosaic.Collection, items []*mosaic.Item, opts mosaic.AddOptions) (mosaic.AddResult, error) {
	var res mosaic.AddResult
	if len(items) == 0 {
		return res, nil
	}
	row, err := tx.collectionRow(mosaic.CollectionRef{ItemID: c.ItemID})
	if err != nil {
		return res, err
	}
	if row.cellSize == 0 {
		row.cellSize = chooseCellSize(items)
		if _, err := tx.exec(`UPDATE collections SET cell_size = ? WHERE id = ?`, row.cellSize, c.ID); err != nil {
			return res, err
		}
	}
	fields := dataFields(c)
	cols := make([]string, 0, len(fields)+7)
	cols = append(cols, quote(mosaic.FieldNameShape))
	for _, f := range fields {
		cols = append(cols, quote(f.Name))
	}
	cols = append(cols, "_raster", "_cell", "_minx", "_miny", "_maxx", "_maxy")
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

	cc := newCellChanges()
	args := make([]any, len(cols))
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
		switch opts.Duplicates {
		case mosaic.DuplicatesExclude, mosaic.DuplicatesOverwrite:
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
		attrs, err := normalizeAttributes(c, it)
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
		cell := cellKey(b.Center(), row.cellSize)
		args[0] = shape
		for j, f := range fields {
			args[1+j] = attrs[f.Name]
		}
		n := 1 + len(fields)
		args[n], args[n+1] = string(raster), cell
		args[n+2], args[n+3], args[n+4], args[n+5] = b.Min[0], b.Min[1], b.Max[0], b.Max[1]
		r, err := ins.ExecContext(tx.ctx, args...)
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
		it.OID = oid
		if err := tx.addItemStats(c, oid, it.Raster); err != nil {
			return res, err
		}
		cc.add(cell, shape, b, attrs[mosaic.FieldNameLowPS], attrs[mosaic.FieldNameHighPS])
		res.Added++
		res.OIDs = append(res.OIDs, oid)
		if c.Summary.BandCount == 0 && it.Raster.Bands > 0 {
			c.Summary.BandCount, c.Summary.PixelType = it.Raster.Bands, it.Raster.PixelType
			if err := tx.saveCollection(c); err != nil {
				return res, err
			}
		}
	}
	if err := tx.applyCellChanges(c, cc); err != nil {
		return res, err
	}
	return res, tx.loadSummary(c)
}

// normalizeAttributes maps an item's attributes onto c's fields, converts
// them to column values, and fills the fields the catalog maintains.
func normalizeAttributes(c *mosaic.Collection, it *mosaic.Item) (map[string]any, error) {
	out := make(map[string]any, len(c.Fields))
	for k, v := range it.Attributes {
		f, ok := c.Field(k)
		if !ok {
			return nil, mosaic.Errorf(mosaic.EINVALID, "Image collection %q has no field %q.", c.Name, k)
		}
		if f.Type == mosaic.FieldOID || f.Type == mosaic.FieldGeometry {
			continue
		}
		cv, err := columnValue(f, v)
		if err != nil {
			return nil, err
		}
		out[f.Name] = cv
	}
	b := it.Footprint.Bound()
	center := b.Center()
	out[mosaic.FieldNamePath] = it.Path
	out[mosaic.FieldNameShapeArea] = planar.Area(it.Footprint)
	out[mosaic.FieldNameShapeLength] = polygonLength(it.Footprint)
	if out[mosaic.FieldNameCenterX] == nil {
		out[mosaic.FieldNameCenterX] = center[0]
	}
	if out[mosaic.FieldNameCenterY] == nil {
		out[mosaic.FieldNameCenterY] = center[1]
	}
	if out[mosaic.FieldNameCategory] == nil {
		out[mosaic.FieldNameCategory] = int64(mosaic.CategoryPrimary)
	}
	return out, nil
}

func polygonLength(p orb.Polygon) float64 {
	var l float64
	for _, r := range p {
		l += planar.Length(r)
	}
	return l
}

// columnValue converts an attribute value to what the column stores.
func columnValue(f mosaic.Field, v any) (any, error) {
	if v == nil {
		return nil, nil
	}
	bad := func() (any, error) {
		return nil, mosaic.Errorf(mosaic.EINVALID, "Value %v is not valid for %s field %q.", v, f.Type, f.Name)
	}
	switch f.Type {
	case mosaic.FieldInteger:
		switch x := v.(type) {
		case int:
			return int64(x), nil
		case int64:
			return x, nil
		case float64:
			if x != math.Trunc(x) || math.IsInf(x, 0) || math.IsNaN(x) {
				return bad()
			}
			return int64(x), nil
		case string:
			n, err := strconv.ParseInt(strings.TrimSpace(x), 10, 64)
			if err != nil {
				return bad()
			}
			return n, nil
		}
	case mosaic.FieldDouble:
		switch x := v.(type) {
		case int:
			return float64(x), nil
		case int64:
			return float64(x), nil
		case float64:
			if math.IsInf(x, 0) || math.IsNaN(x) {
				return bad()
			}
			return x, nil
		case string:
			n, err := strconv.ParseFloat(strings.TrimSpace(x), 64)
			if err != nil || math.IsInf(n, 0) || math.IsNaN(n) {
				return bad()
			}
			return n, nil
		}
	case mosaic.FieldString:
		switch x := v.(type) {
		case string:
			if f.Length > 0 && len(x) > f.Length {
				return nil, mosaic.Errorf(mosaic.EINVALID, "Value for field %q is longer than %d characters.", f.Name, f.Length)
			}
			return x, nil
		case int64, int, float64:
			return fmt.Sprint(x), nil
		}
	case mosaic.FieldDate:
		switch x := v.(type) {
		case time.Time:
			return x.UnixMilli(), nil
		case int64:
			return x, nil
		case int:
			return int64(x), nil
		case float64:
			return int64(x), nil
		}
	}
	return bad()
}

func (tx *Tx) liveOIDsWithPath(c *mosaic.Collection, path string) ([]int64, error) {
	rows, err := tx.query(fmt.Sprintf(`SELECT %s FROM %s WHERE %s = ? AND _deleted_at IS NULL`,
		quote(mosaic.FieldNameOID), itemsTable(c), quote(mosaic.FieldNamePath)), path)
	if err != nil {
		return nil, err
	}
	return scanInt64s(rows)
}

func scanInt64s(rows *sql.Rows) ([]int64, error) {
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

// purgeOIDs removes items (live or recycled) for good, with their R*Tree
// entries, records the live ones in cc, and reports how many it removed.
func (tx *Tx) purgeOIDs(c *mosaic.Collection, oids []int64, cc *cellChanges) (int64, error) {
	ids, _ := json.Marshal(oids)
	rows, err := tx.query(fmt.Sprintf(`DELETE FROM %s WHERE %s IN (SELECT value FROM json_each(?)) RETURNING _deleted_at IS NULL, %s`,
		itemsTable(c), quote(mosaic.FieldNameOID), cellColumns), string(ids))
	if err != nil {
		return 0, fmt.Errorf("delete items: %w", err)
	}
	var n int64
	for rows.Next() {
		var (
			live bool
			ci   cellItem
		)
		if err := rows.Scan(append([]any{&live}, ci.dest()...)...); err != nil {
			rows.Close()
			return n, err
		}
		if live {
			cc.remove(ci.cell, ci.shape, ci.bound, ci.low(), ci.high())
		}
		n++
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return n, fmt.Errorf("delete items: %w", err)
	}
	if _, err := tx.exec(fmt.Sprintf(`DELETE FROM %s WHERE id IN (SELECT value FROM json_each(?))`, rtreeTable(c)), string(ids)); err != nil {
		return n, fmt.Errorf("unindex items: %w", err)
	}
	return n, nil
}

// DeleteItems removes the items that d selects.
func (tx *Tx) DeleteItems(c *mosaic.Collection, d mosaic.ItemDelete) (mosaic.DeleteResult, error) {
	var res mosaic.DeleteResult
	fields, err := filterFields(c)
	if err != nil {
		return res, err
	}
	where, err := compileWhere(c, fields, d.Where, true)
	if err != nil {
		return res, err
	}
	cond := sq.And{sq.Expr("i._deleted_at IS NULL"), where}
	oidCol := "i." + quote(mosaic.FieldNameOID)
	if len(d.ObjectIDs) > 0 {
		ids := uniqueIDs(d.ObjectIDs)
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
	var query string
	switch {
	case d.DryRun:
		query = fmt.Sprintf(`SELECT %s FROM %s AS i WHERE %s ORDER BY %s`, oidCol, itemsTable(c), pred, oidCol)
	case d.Purge:
		query = fmt.Sprintf(`DELETE FROM %s AS i WHERE %s RETURNING %s, %s`, itemsTable(c), pred,
			quote(mosaic.FieldNameOID), cellColumns)
	default:
		query = fmt.Sprintf(`UPDATE %s AS i SET _deleted_at = ?, _deleted_job = ? WHERE %s RETURNING %s, %s`,
			itemsTable(c), pred, quote(mosaic.FieldNameOID), cellColumns)
		args = append([]any{tx.now().UnixMilli(), d.JobID}, args...)
	}
	rows, err := tx.query(query, args...)
	if err != nil {
		return res, whereFailed(err, "delete items")
	}
	cc := newCellChanges()
	for rows.Next() {
		var (
			oid int64
			ci  cellItem
		)
		if d.DryRun {
			err = rows.Scan(&oid)
		} else {
			err = rows.Scan(append([]any{&oid}, ci.dest()...)...)
		}
		if err != nil {
			rows.Close()
			return res, whereFailed(err, "delete items")
		}
		res.OIDs = append(res.OIDs, oid)
		if !d.DryRun {
			cc.remove(ci.cell, ci.shape, ci.bound, ci.low(), ci.high())
		}
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return res, whereFailed(err, "delete items")
	}
	sort.Slice(res.OIDs, func(i, j int) bool { return res.OIDs[i] < res.OIDs[j] })
	res.Matched = int64(len(res.OIDs))
	if res.Matched == 0 && d.Strict {
		return res, mosaic.Errorf(mosaic.EINVALID, "The where clause matched no items of %q; nothing was deleted (strict).", c.Name)
	}
	if d.DryRun || res.Matched == 0 {
		return res, nil
	}
	if d.Purge {
		ids, _ := json.Marshal(res.OIDs)
		if _, err := tx.exec(fmt.Sprintf(`DELETE FROM %s WHERE id IN (SELECT value FROM json_each(?))`, rtreeTable(c)), string(ids)); err != nil {
			return res, fmt.Errorf("unindex items: %w", err)
		}
	}
	res.Removed = res.Matched
	if err := tx.applyCellChanges(c, cc); err != nil {
		return res, err
	}
	return res, tx.loadSummary(c)
}

// cellColumns are the columns of an item that the boundary cells need,
// scanned by cellItem.
var cellColumns = fmt.Sprintf("_cell, %s, _minx, _miny, _maxx, _maxy, %s, %s",
	quote(mosaic.FieldNameShape), quote(mosaic.FieldNameLowPS), quote(mosaic.FieldNameHighPS))

// cellItem is an item's cellColumns.
type cellItem struct {
	cell          int64
	shape         []byte
	bound         orb.Bound
	lowPS, highPS sql.NullFloat64
}

func (ci *cellItem) dest() []any {
	return []any{&ci.cell, &ci.shape, &ci.bound.Min[0], &ci.bound.Min[1], &ci.bound.Max[0], &ci.bound.Max[1], &ci.lowPS, &ci.highPS}
}

func (ci *cellItem) low() any  { return nullable(ci.lowPS) }
func (ci *cellItem) high() any { return nullable(ci.highPS) }

func nullable(v sql.NullFloat64) any {
	if v.Valid {
		return v.Float64
	}
	return nil
}

// inIDs is "col IN (ids)" with the IDs bound as one JSON array, so that long
// lists never hit SQLite's limit on parameters.
func inIDs(col string, ids []int64) sq.Sqlizer {
	b, _ := json.Marshal(ids)
	return sq.Expr(col+" IN (SELECT value FROM json_each(?))", string(b))
}

func uniqueIDs(ids []int64) []int64 {
	seen := make(map[int64]bool, len(ids))
	out := make([]int64, 0, len(ids))
	for _, id := range ids {
		if !seen[id] {
			seen[id] = true
			out = append(out, id)
		}
	}
	return out
}

// RestoreItems puts recycled items back with their original OIDs.
func (tx *Tx) RestoreItems(c *mosaic.Collection, r mosaic.ItemRestore) (mosaic.RestoreResult, error) {
	var res mosaic.RestoreResult
	fields, err := filterFields(c)
	if err != nil {
		return res, err
	}
	where, err := compileWhere(c, fields, r.Where, r.JobID == "")
	if err != nil {
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
	rows, err := tx.query(fmt.Sprintf(`UPDATE %s AS i SET _deleted_at = NULL, _deleted_job = NULL WHERE %s RETURNING %s, %s`,
		itemsTable(c), pred, quote(mosaic.FieldNameOID), cellColumns), args...)
	if err != nil {
		return res, whereFailed(err, "restore items")
	}
	cc := newCellChanges()
	for rows.Next() {
		var (
			oid int64
			ci  cellItem
		)
		if err := rows.Scan(append([]any{&oid}, ci.dest()...)...); err != nil {
			rows.Close()
			return res, whereFailed(err, "restore items")
		}
		res.OIDs = append(res.OIDs, oid)
		cc.add(ci.cell, ci.shape, ci.bound, ci.low(), ci.high())
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return res, whereFailed(err, "restore items")
	}
	sort.Slice(res.OIDs, func(i, j int) bool { return res.OIDs[i] < res.OIDs[j] })
	res.Restored = int64(len(res.OIDs))
	if err := tx.applyCellChanges(c, cc); err != nil {
		return res, err
	}
	return res, tx.loadSummary(c)
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
		n, err := tx.purgeOIDs(c, oids, newCellChanges())
		total += n
		if err != nil {
			return total, err
		}
	}
	return total, nil
}
