package sqlite

import (
	"database/sql"
	"encoding/json"
	"fmt"
	"time"

	sq "github.com/Masterminds/squirrel"
	"github.com/paulmach/orb"

	"github.com/tessera-gis/tessera/mosaic"
	"github.com/tessera-gis/tessera/mosaic/internal/storesql"
	"github.com/tessera-gis/tessera/sqlfilter"
)

// QueryItems runs q over c's catalog.
func (tx *Tx) QueryItems(c *mosaic.Collection, q mosaic.ItemQuery) (*mosaic.ItemPage, error) {
	sel, fields, err := tx.itemsSelect(c, q, false)
	if err != nil {
		return nil, err
	}
	query, args, err := sel.ToSql()
	if err != nil {
		return nil, fmt.Errorf("build item query: %w", err)
	}
	page := &mosaic.ItemPage{Fields: fields}
	switch {
	case q.CountOnly || q.ExtentOnly:
		var (
			n                      int64
			minx, miny, maxx, maxy sql.NullFloat64
		)
		if err := tx.queryRow(query, args...).Scan(&n, &minx, &miny, &maxx, &maxy); err != nil {
			return nil, fmt.Errorf("count items: %w", storesql.WhereError(err))
		}
		page.Count = n
		if n > 0 {
			page.Extent = orb.Bound{Min: orb.Point{minx.Float64, miny.Float64}, Max: orb.Point{maxx.Float64, maxy.Float64}}
		}
		return page, nil
	case q.IDsOnly:
		rows, err := tx.query(query, args...)
		if err != nil {
			return nil, fmt.Errorf("query ids: %w", storesql.WhereError(err))
		}
		if page.IDs, err = scanInt64s(rows); err != nil {
			return nil, fmt.Errorf("query ids: %w", storesql.WhereError(err))
		}
		return page, nil
	}
	rows, err := tx.query(query, args...)
	if err != nil {
		return nil, fmt.Errorf("query items: %w", storesql.WhereError(err))
	}
	defer rows.Close()
	for rows.Next() {
		if q.Limit > 0 && len(page.Items) == q.Limit {
			page.More = true
			break
		}
		it, err := scanItem(rows, page.Fields, q.ReturnGeometry, !q.NoRaster)
		if err != nil {
			return nil, err
		}
		page.Items = append(page.Items, it)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("query items: %w", storesql.WhereError(err))
	}
	return page, nil
}

// itemsSelect builds the statement that answers q: the count and extent
// (CountOnly, ExtentOnly), the ordered IDs (IDsOnly), or a page of items
// with the returned fields. A page for StreamItems (stream) selects only
// the fields and the footprint; one for QueryItems adds the raster info and
// the recycle-bin columns.
func (tx *Tx) itemsSelect(c *mosaic.Collection, q mosaic.ItemQuery, stream bool) (sq.SelectBuilder, []mosaic.Field, error) {
	var none sq.SelectBuilder
	fields, err := storesql.FilterFields(c)
	if err != nil {
		return none, nil, err
	}
	cond, err := tx.itemCondition(c, fields, q)
	if err != nil {
		return none, nil, err
	}
	from := itemsTable(c) + " AS i"
	oidCol := "i." + quote(mosaic.FieldNameOID)
	switch {
	case q.CountOnly || q.ExtentOnly:
		return sq.Select("count(*), min(i._minx), min(i._miny), max(i._maxx), max(i._maxy)").From(from).Where(cond), nil, nil
	case q.IDsOnly:
		return sq.Select(oidCol).From(from).Where(cond).OrderBy(oidCol), nil, nil
	}
	out, err := sqlfilter.ParseOutFields(q.OutFields, fields)
	if err != nil {
		return none, nil, storesql.InvalidParam(err, "outFields")
	}
	selected := storesql.SelectedFields(c, out)
	cols := make([]string, 0, len(selected)+4)
	for _, f := range selected {
		cols = append(cols, "i."+quote(f.Name))
	}
	if !stream {
		// The raster info lives in the side table, read only when asked for.
		raster := fmt.Sprintf("COALESCE((SELECT r.raster FROM %s AS r WHERE r.oid = %s), '{}')", rastersTable(c), oidCol)
		if q.NoRaster {
			raster = "NULL"
		}
		cols = append(cols, raster, "i._deleted_at", "i._deleted_job")
	}
	if q.ReturnGeometry {
		cols = append(cols, "i."+quote(mosaic.FieldNameShape))
	}
	orders, err := sqlfilter.ParseOrderBy(q.OrderBy, fields)
	if err != nil {
		return none, nil, storesql.InvalidParam(err, "orderByFields")
	}
	sel := sq.Select(cols...).From(from).Where(cond)
	if q.Rank != nil {
		rank, args, err := storesql.RankOrder(c, q.Rank)
		if err != nil {
			return none, nil, err
		}
		sel = sel.OrderByClause(rank, args...)
	}
	sel = sel.OrderBy(append(sqlfilter.OrderBySQL(orders), oidCol)...)
	if q.Limit > 0 {
		sel = sel.Limit(uint64(q.Limit) + 1) // one more tells whether there are more
	}
	if q.Offset > 0 {
		if q.Limit <= 0 {
			sel = sel.Limit(1<<62 - 1)
		}
		sel = sel.Offset(uint64(q.Offset))
	}
	return sel, selected, nil
}

// itemCondition builds the WHERE of an item query.
func (tx *Tx) itemCondition(c *mosaic.Collection, fields *sqlfilter.Fields, q mosaic.ItemQuery) (sq.And, error) {
	cond := sq.And{sq.Expr("i._deleted_at IS NULL")}
	if q.Recycled {
		cond = sq.And{sq.Expr("i._deleted_at IS NOT NULL")}
	}
	where, err := storesql.CompileWhere(fields, q.Where, false)
	if err != nil {
		return nil, err
	}
	if where != nil {
		cond = append(cond, where)
	}
	oidCol := "i." + quote(mosaic.FieldNameOID)
	if q.ObjectIDs != nil {
		cond = append(cond, inIDs(oidCol, q.ObjectIDs))
	}
	if q.Geometry != nil {
		if q.Geometry, err = storesql.QueryGeometry(q.Geometry); err != nil {
			return nil, err
		}
		// The R*Tree finds the candidates; it stores 32-bit floats rounded
		// outwards, so the exact extents narrow them before the exact test.
		b := q.Geometry.Bound()
		cond = append(cond, sq.Expr(fmt.Sprintf(`%s IN (SELECT id FROM %s WHERE maxx >= ? AND minx <= ? AND maxy >= ? AND miny <= ?)`,
			oidCol, rtreeTable(c)), b.Min[0], b.Max[0], b.Min[1], b.Max[1]),
			sq.Expr("i._maxx >= ? AND i._minx <= ? AND i._maxy >= ? AND i._miny <= ?", b.Min[0], b.Max[0], b.Min[1], b.Max[1]))
		fn := ""
		switch q.SpatialRel {
		case "", mosaic.SpatialRelIntersects:
			fn = "tessera_intersects"
		case mosaic.SpatialRelEnvelopeIntersects:
			// The R*Tree test above is the whole test.
		case mosaic.SpatialRelContains:
			// The query geometry contains the footprint.
			fn = "tessera_within"
		case mosaic.SpatialRelWithin:
			// The query geometry is within the footprint.
			fn = "tessera_contains"
		default:
			return nil, mosaic.Errorf(mosaic.EINVALID, "Unsupported spatialRel %q.", q.SpatialRel)
		}
		if fn != "" {
			bd, isBox := q.Geometry.(orb.Bound)
			qb, err := storesql.QueryGeometryWKB(q.Geometry)
			if err != nil {
				return nil, err
			}
			exact := sq.Expr(fmt.Sprintf("%s(i.%s, ?)", fn, quote(mosaic.FieldNameShape)), qb)
			// A footprint whose extent lies inside a query box intersects
			// it and is contained by it; one whose extent does not is not
			// contained. Only the rest need the exact test.
			inside := sq.Expr("i._minx >= ? AND i._maxx <= ? AND i._miny >= ? AND i._maxy <= ?", bd.Min[0], bd.Max[0], bd.Min[1], bd.Max[1])
			switch {
			case isBox && fn == "tessera_intersects":
				cond = append(cond, sq.Or{inside, exact})
			case isBox && fn == "tessera_within":
				cond = append(cond, inside)
			default:
				cond = append(cond, exact)
			}
		}
	}
	return cond, nil
}

// scanItem reads one row of QueryItems.
func scanItem(rows *sql.Rows, fields []mosaic.Field, withShape, withRaster bool) (*mosaic.Item, error) {
	n := len(fields) + 3
	if withShape {
		n++
	}
	dest := make([]any, n)
	vals := make([]any, len(fields))
	for i := range fields {
		dest[i] = &vals[i]
	}
	var (
		raster    sql.RawBytes
		deletedAt sql.NullInt64
		deletedBy sql.NullString
		shape     []byte
	)
	dest[len(fields)], dest[len(fields)+1], dest[len(fields)+2] = &raster, &deletedAt, &deletedBy
	if withShape {
		dest[len(fields)+3] = &shape
	}
	if err := rows.Scan(dest...); err != nil {
		return nil, fmt.Errorf("scan item: %w", err)
	}
	it := &mosaic.Item{Attributes: make(map[string]any, len(fields))}
	for i, f := range fields {
		v := storesql.FieldValue(f, vals[i])
		switch f.Name {
		case mosaic.FieldNameOID:
			it.OID, _ = v.(int64)
			continue
		case mosaic.FieldNamePath:
			it.Path, _ = v.(string)
		}
		it.Attributes[f.Name] = v
	}
	if withRaster {
		if err := json.Unmarshal(raster, &it.Raster); err != nil {
			return nil, fmt.Errorf("decode raster info: %w", err)
		}
	}
	if deletedAt.Valid {
		it.Recycled = &mosaic.Recycled{At: time.UnixMilli(deletedAt.Int64).UTC(), JobID: deletedBy.String}
	}
	if withShape {
		p, err := storesql.FootprintFromWKB(shape)
		if err != nil {
			return nil, err
		}
		it.Footprint = p
	}
	return it, nil
}

// Item returns one live item of c, with its footprint and every field.
func (tx *Tx) Item(c *mosaic.Collection, oid int64) (*mosaic.Item, error) {
	page, err := tx.QueryItems(c, mosaic.ItemQuery{ObjectIDs: []int64{oid}, OutFields: "*", ReturnGeometry: true})
	if err != nil {
		return nil, err
	}
	if len(page.Items) == 0 {
		return nil, mosaic.Errorf(mosaic.ENOTFOUND, "Item %d does not exist in %q.", oid, c.Name)
	}
	return page.Items[0], nil
}

// StreamItems runs q over c like QueryItems and hands each row to row
// without building an Item (mosaic.ItemStreamer).
func (tx *Tx) StreamItems(c *mosaic.Collection, q mosaic.ItemQuery, head func([]mosaic.Field) error, row func(*mosaic.ItemRow) error) (bool, error) {
	if q.IDsOnly || q.CountOnly || q.ExtentOnly {
		return false, mosaic.Errorf(mosaic.EINVALID, "StreamItems answers page queries only.")
	}
	q.NoRaster = true
	sel, fields, err := tx.itemsSelect(c, q, true)
	if err != nil {
		return false, err
	}
	query, args, err := sel.ToSql()
	if err != nil {
		return false, fmt.Errorf("build item query: %w", err)
	}
	rows, err := tx.query(query, args...)
	if err != nil {
		return false, fmt.Errorf("query items: %w", storesql.WhereError(err))
	}
	defer rows.Close()
	if err := head(fields); err != nil {
		return false, err
	}
	// The columns: the fields, then the shape. Each is scanned as the
	// driver returned it.
	n := len(fields)
	if q.ReturnGeometry {
		n++
	}
	cols := make([]rawColumn, n)
	dest := make([]any, n)
	for i := range cols {
		dest[i] = &cols[i]
	}
	r := &mosaic.ItemRow{Values: make([]any, len(fields))}
	count := 0
	for rows.Next() {
		if q.Limit > 0 && count == q.Limit {
			return true, nil
		}
		if err := rows.Scan(dest...); err != nil {
			return false, fmt.Errorf("scan item: %w", err)
		}
		r.OID = 0
		for i, f := range fields {
			v := storesql.FieldValue(f, cols[i].v)
			if f.Name == mosaic.FieldNameOID {
				r.OID, _ = v.(int64)
			}
			r.Values[i] = v
		}
		r.Footprint = nil
		if q.ReturnGeometry {
			r.Footprint, _ = cols[n-1].v.([]byte)
		}
		if err := row(r); err != nil {
			return false, err
		}
		count++
	}
	if err := rows.Err(); err != nil {
		return false, fmt.Errorf("query items: %w", storesql.WhereError(err))
	}
	return false, nil
}

var _ mosaic.ItemStreamer = (*Tx)(nil)

// rawColumn scans a column as the driver returned it, without the copy
// that scanning a blob into *any makes.
type rawColumn struct{ v any }

func (c *rawColumn) Scan(src any) error { c.v = src; return nil }
