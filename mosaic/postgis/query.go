package postgis

import (
	"encoding/json"
	"fmt"
	"time"

	sq "github.com/Masterminds/squirrel"
	"github.com/jackc/pgx/v5"
	"github.com/paulmach/orb"

	"github.com/tessera-gis/tessera/mosaic"
	"github.com/tessera-gis/tessera/mosaic/internal/storesql"
	"github.com/tessera-gis/tessera/sqlfilter"
)

// QueryItems runs q over c's catalog.
func (tx *Tx) QueryItems(c *mosaic.Collection, q mosaic.ItemQuery) (*mosaic.ItemPage, error) {
	sel, fields, err := tx.itemsSelect(c, q)
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
			minx, miny, maxx, maxy *float64
		)
		if err := tx.queryRow(query, args...).Scan(&n, &minx, &miny, &maxx, &maxy); err != nil {
			return nil, fmt.Errorf("count items: %w", dataError(err))
		}
		page.Count = n
		if n > 0 {
			page.Extent = orb.Bound{Min: orb.Point{*minx, *miny}, Max: orb.Point{*maxx, *maxy}}
		}
		return page, nil
	case q.IDsOnly:
		rows, err := tx.query(query, args...)
		if err != nil {
			return nil, fmt.Errorf("query ids: %w", dataError(err))
		}
		if page.IDs, err = scanInt64s(rows); err != nil {
			return nil, fmt.Errorf("query ids: %w", dataError(err))
		}
		return page, nil
	}
	rows, err := tx.query(query, args...)
	if err != nil {
		return nil, fmt.Errorf("query items: %w", dataError(err))
	}
	defer rows.Close()
	for rows.Next() {
		if q.Limit > 0 && len(page.Items) == q.Limit {
			page.More = true
			break
		}
		it, err := scanItem(rows, page.Fields, q.ReturnGeometry, !q.NoRaster)
		if err != nil {
			return nil, dataError(err)
		}
		page.Items = append(page.Items, it)
	}
	return page, dataError(rows.Err())
}

// itemsSelect builds the statement that answers q.
func (tx *Tx) itemsSelect(c *mosaic.Collection, q mosaic.ItemQuery) (sq.SelectBuilder, []mosaic.Field, error) {
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
	oidCol := storesql.Col(mosaic.FieldNameOID)
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
		cols = append(cols, storesql.Col(f.Name))
	}
	raster := "i._raster"
	if q.NoRaster {
		raster = "NULL::text"
	}
	cols = append(cols, raster, "i._deleted_at", "i._deleted_job")
	if q.ReturnGeometry {
		cols = append(cols, "ST_AsBinary(i."+quote(mosaic.FieldNameShape)+")")
	}
	orders, err := sqlfilter.ParseOrderBy(q.OrderBy, fields)
	if err != nil {
		return none, nil, storesql.InvalidParam(err, "orderByFields")
	}
	sel := sq.Select(cols...).Prefix(fieldsTag(c)).From(from).Where(cond)
	if q.Rank != nil {
		rank, args, err := storesql.RankOrder(c, q.Rank)
		if err != nil {
			return none, nil, err
		}
		sel = sel.OrderByClause(rank, args...)
	}
	sel = sel.OrderBy(append(sqlfilter.OrderBySQL(orders, pg), oidCol)...)
	if q.Limit > 0 {
		sel = sel.Limit(uint64(q.Limit) + 1) // one more tells whether there are more
	}
	if q.Offset > 0 {
		sel = sel.Offset(uint64(q.Offset))
	}
	return sel, selected, nil
}

// itemCondition builds the WHERE of an item query. A spatial filter finds
// its candidates through the GiST index (&&, on single-precision boxes),
// narrows them by the exact extents, and then runs PostGIS's exact test.
func (tx *Tx) itemCondition(c *mosaic.Collection, fields *sqlfilter.Fields, q mosaic.ItemQuery) (sq.And, error) {
	cond := sq.And{sq.Expr("i._deleted_at IS NULL")}
	if q.Recycled {
		cond = sq.And{sq.Expr("i._deleted_at IS NOT NULL")}
	}
	where, err := storesql.CompileWhere(fields, q.Where, false, pg)
	if err != nil {
		return nil, err
	}
	if where != nil {
		cond = append(cond, where)
	}
	if q.ObjectIDs != nil {
		cond = append(cond, inIDs(storesql.Col(mosaic.FieldNameOID), q.ObjectIDs))
	}
	if q.Geometry == nil {
		return cond, nil
	}
	if q.Geometry, err = storesql.QueryGeometry(q.Geometry); err != nil {
		return nil, err
	}
	b := q.Geometry.Bound()
	shape := "i." + quote(mosaic.FieldNameShape)
	cond = append(cond,
		sq.Expr(shape+" && ST_MakeEnvelope(?, ?, ?, ?)", b.Min[0], b.Min[1], b.Max[0], b.Max[1]),
		sq.Expr("i._maxx >= ? AND i._minx <= ? AND i._maxy >= ? AND i._miny <= ?", b.Min[0], b.Max[0], b.Min[1], b.Max[1]))
	var test string
	switch q.SpatialRel {
	case "", mosaic.SpatialRelIntersects:
		test = "ST_Intersects(%s, ST_GeomFromWKB(?))"
	case mosaic.SpatialRelEnvelopeIntersects:
		return cond, nil // the extent test above is the whole test
	case mosaic.SpatialRelContains:
		test = "ST_Within(%s, ST_GeomFromWKB(?))" // the query geometry contains the footprint
	case mosaic.SpatialRelWithin:
		test = "ST_Contains(%s, ST_GeomFromWKB(?))" // the query geometry is within the footprint
	default:
		return nil, mosaic.Errorf(mosaic.EINVALID, "Unsupported spatialRel %q.", q.SpatialRel)
	}
	g, err := storesql.QueryGeometryWKB(q.Geometry)
	if err != nil {
		return nil, err
	}
	return append(cond, sq.Expr(fmt.Sprintf(test, shape), g)), nil
}

// scanItem reads one row of QueryItems.
func scanItem(rows pgx.Rows, fields []mosaic.Field, withShape, withRaster bool) (*mosaic.Item, error) {
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
		raster    *string
		deletedAt *int64
		deletedBy *string
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
	if withRaster && raster != nil {
		if err := json.Unmarshal([]byte(*raster), &it.Raster); err != nil {
			return nil, fmt.Errorf("decode raster info: %w", err)
		}
	}
	if deletedAt != nil {
		it.Recycled = &mosaic.Recycled{At: time.UnixMilli(*deletedAt).UTC()}
		if deletedBy != nil {
			it.Recycled.JobID = *deletedBy
		}
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
	sel, fields, err := tx.itemsSelect(c, q)
	if err != nil {
		return false, err
	}
	query, args, err := sel.ToSql()
	if err != nil {
		return false, fmt.Errorf("build item query: %w", err)
	}
	rows, err := tx.query(query, args...)
	if err != nil {
		return false, fmt.Errorf("query items: %w", dataError(err))
	}
	defer rows.Close()
	if err := head(fields); err != nil {
		return false, err
	}
	n := len(fields) + 3
	if q.ReturnGeometry {
		n++
	}
	vals := make([]any, len(fields))
	dest := make([]any, n)
	for i := range fields {
		dest[i] = &vals[i]
	}
	var (
		raster, deletedBy *string
		deletedAt         *int64
		shape             []byte
	)
	dest[len(fields)], dest[len(fields)+1], dest[len(fields)+2] = &raster, &deletedAt, &deletedBy
	if q.ReturnGeometry {
		dest[len(fields)+3] = &shape
	}
	r := &mosaic.ItemRow{Values: make([]any, len(fields))}
	count := 0
	for rows.Next() {
		if q.Limit > 0 && count == q.Limit {
			return true, nil
		}
		if err := rows.Scan(dest...); err != nil {
			return false, dataError(fmt.Errorf("scan item: %w", err))
		}
		r.OID = 0
		for i, f := range fields {
			v := storesql.FieldValue(f, vals[i])
			if f.Name == mosaic.FieldNameOID {
				r.OID, _ = v.(int64)
			}
			r.Values[i] = v
		}
		r.Footprint = nil
		if q.ReturnGeometry {
			r.Footprint = shape
		}
		if err := row(r); err != nil {
			return false, err
		}
		count++
	}
	if err := rows.Err(); err != nil {
		return false, fmt.Errorf("query items: %w", dataError(err))
	}
	return false, nil
}

var _ mosaic.ItemStreamer = (*Tx)(nil)
