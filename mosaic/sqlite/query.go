package sqlite

import (
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	sq "github.com/Masterminds/squirrel"
	"github.com/paulmach/orb"
	"github.com/paulmach/orb/encoding/wkb"

	"github.com/tessera-gis/tessera/mosaic"
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
			minx, miny, maxx, maxy sql.NullFloat64
		)
		if err := tx.queryRow(query, args...).Scan(&n, &minx, &miny, &maxx, &maxy); err != nil {
			return nil, whereFailed(err, "count items")
		}
		page.Count = n
		if n > 0 {
			page.Extent = orb.Bound{Min: orb.Point{minx.Float64, miny.Float64}, Max: orb.Point{maxx.Float64, maxy.Float64}}
		}
		return page, nil
	case q.IDsOnly:
		rows, err := tx.query(query, args...)
		if err != nil {
			return nil, whereFailed(err, "query ids")
		}
		if page.IDs, err = scanInt64s(rows); err != nil {
			return nil, whereFailed(err, "query ids")
		}
		return page, nil
	}
	rows, err := tx.query(query, args...)
	if err != nil {
		return nil, whereFailed(err, "query items")
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
		return nil, whereFailed(err, "query items")
	}
	return page, nil
}

// itemsSelect builds the statement that answers q: the count and extent
// (CountOnly, ExtentOnly), the ordered IDs (IDsOnly), or a page of items
// with the returned fields.
func (tx *Tx) itemsSelect(c *mosaic.Collection, q mosaic.ItemQuery) (sq.SelectBuilder, []mosaic.Field, error) {
	var none sq.SelectBuilder
	fields, err := filterFields(c)
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
		return none, nil, invalidParam(err, "outFields")
	}
	selected := selectedFields(c, out)
	cols := make([]string, 0, len(selected)+4)
	for _, f := range selected {
		cols = append(cols, "i."+quote(f.Name))
	}
	raster := "i._raster"
	if q.NoRaster {
		raster = "NULL"
	}
	cols = append(cols, raster, "i._deleted_at", "i._deleted_job")
	if q.ReturnGeometry {
		cols = append(cols, "i."+quote(mosaic.FieldNameShape))
	}
	orders, err := sqlfilter.ParseOrderBy(q.OrderBy, fields)
	if err != nil {
		return none, nil, invalidParam(err, "orderByFields")
	}
	sel := sq.Select(cols...).From(from).Where(cond)
	if q.Rank != nil {
		rank, args, err := rankOrder(c, q.Rank)
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

// rankOrder returns the ORDER BY term of a mosaic rank: items without a
// key last, then the key, ascending unless r.Desc.
func rankOrder(c *mosaic.Collection, r *mosaic.MosaicRank) (string, []any, error) {
	dir := " ASC"
	if r.Desc {
		dir = " DESC"
	}
	switch {
	case r.Field != "":
		f, ok := c.Field(r.Field)
		if !ok || f.Type == mosaic.FieldGeometry {
			return "", nil, mosaic.Errorf(mosaic.EINVALID, "Invalid sort field.").WithDetails(
				fmt.Sprintf("%q is not a field of %s.", r.Field, c.Name))
		}
		col := "i." + quote(f.Name)
		if f.Type == mosaic.FieldOID {
			return col + dir, nil, nil // never NULL; the rowid order needs no sorting
		}
		if r.Base == nil {
			return fmt.Sprintf("%s IS NULL, %s%s", col, col, dir), nil, nil
		}
		if f.Type == mosaic.FieldString {
			return "", nil, mosaic.Errorf(mosaic.EINVALID, "Invalid sort value.").WithDetails(
				fmt.Sprintf("A sort value needs a numeric or date field; %s is a string field.", f.Name))
		}
		return fmt.Sprintf("%s IS NULL, abs(%s - ?)%s", col, col, dir), []any{*r.Base}, nil
	case r.Point != nil:
		x, y := r.Point[0], r.Point[1]
		return "((i._minx + i._maxx) * 0.5 - ?) * ((i._minx + i._maxx) * 0.5 - ?) + " +
			"((i._miny + i._maxy) * 0.5 - ?) * ((i._miny + i._maxy) * 0.5 - ?)" + dir, []any{x, x, y, y}, nil
	}
	return "", nil, mosaic.Errorf(mosaic.EINVALID, "A mosaic rank needs a point or a field.")
}

// selectedFields returns c's fields named in out, in catalog order, always
// with OBJECTID and never the geometry.
func selectedFields(c *mosaic.Collection, out []sqlfilter.Field) []mosaic.Field {
	want := map[string]bool{strings.ToLower(mosaic.FieldNameOID): true}
	for _, f := range out {
		want[strings.ToLower(f.Name)] = true
	}
	var fs []mosaic.Field
	for _, f := range c.Fields {
		if f.Type != mosaic.FieldGeometry && want[strings.ToLower(f.Name)] {
			fs = append(fs, f)
		}
	}
	return fs
}

// itemCondition builds the WHERE of an item query.
func (tx *Tx) itemCondition(c *mosaic.Collection, fields *sqlfilter.Fields, q mosaic.ItemQuery) (sq.And, error) {
	cond := sq.And{sq.Expr("i._deleted_at IS NULL")}
	if q.Recycled {
		cond = sq.And{sq.Expr("i._deleted_at IS NOT NULL")}
	}
	where, err := compileWhere(c, fields, q.Where, false)
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
			g := q.Geometry
			bd, isBox := g.(orb.Bound)
			if isBox {
				g = bd.ToPolygon()
			}
			qb, err := wkb.Marshal(g)
			if err != nil {
				return nil, mosaic.Errorf(mosaic.EINVALID, "Invalid query geometry.")
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
		v := fieldValue(f, vals[i])
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
		g, err := wkb.Unmarshal(shape)
		if err != nil {
			return nil, fmt.Errorf("decode footprint: %w", err)
		}
		p, ok := g.(orb.Polygon)
		if !ok {
			return nil, errors.New("footprint is not a polygon")
		}
		it.Footprint = p
	}
	return it, nil
}

// fieldValue converts a scanned column value to the attribute's Go type.
func fieldValue(f mosaic.Field, v any) any {
	if v == nil {
		return nil
	}
	switch f.Type {
	case mosaic.FieldDate:
		switch x := v.(type) {
		case int64:
			return time.UnixMilli(x).UTC()
		case float64:
			return time.UnixMilli(int64(x)).UTC()
		}
	case mosaic.FieldDouble:
		switch x := v.(type) {
		case int64:
			return float64(x)
		case float64:
			return x
		}
	case mosaic.FieldInteger, mosaic.FieldOID:
		switch x := v.(type) {
		case int64:
			return x
		case float64:
			return int64(x)
		}
	case mosaic.FieldString:
		switch x := v.(type) {
		case string:
			return x
		case []byte:
			return string(x)
		}
	}
	return v
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
