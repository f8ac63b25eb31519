package storesql

import (
	"fmt"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/encoding/wkb"

	"github.com/tessera-gis/tessera/mosaic"
)

// RankOrder returns the ORDER BY term of a mosaic rank, with `?`
// placeholders: items without a key last, then the key, ascending unless
// r.Desc. The point distance uses the private columns _minx, _miny, _maxx
// and _maxy (the footprint's extent).
func RankOrder(c *mosaic.Collection, r *mosaic.MosaicRank) (string, []any, error) {
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
		col := Col(f.Name)
		if f.Type == mosaic.FieldOID {
			return col + dir, nil, nil // never NULL
		}
		if r.Base == nil {
			return fmt.Sprintf("%s IS NULL, %s%s", col, col, dir), nil, nil
		}
		if f.Type == mosaic.FieldString {
			return "", nil, mosaic.Errorf(mosaic.EINVALID, "Invalid sort value.").WithDetails(
				fmt.Sprintf("A sort value needs a numeric or date field; %s is a string field.", f.Name))
		}
		return fmt.Sprintf("%s IS NULL, abs(%s - CAST(? AS DOUBLE PRECISION))%s", col, col, dir), []any{*r.Base}, nil
	case r.Point != nil:
		x, y := r.Point[0], r.Point[1]
		return "((i._minx + i._maxx) * 0.5 - ?) * ((i._minx + i._maxx) * 0.5 - ?) + " +
			"((i._miny + i._maxy) * 0.5 - ?) * ((i._miny + i._maxy) * 0.5 - ?)" + dir, []any{x, x, y, y}, nil
	}
	return "", nil, mosaic.Errorf(mosaic.EINVALID, "A mosaic rank needs a point or a field.")
}

// MultiPolygonFromWKB decodes a union of footprints: a polygon, a
// multipolygon, or a collection of them (other parts are dropped). Nil or
// empty input gives nil.
func MultiPolygonFromWKB(b []byte) (orb.MultiPolygon, error) {
	if len(b) == 0 {
		return nil, nil
	}
	g, err := wkb.Unmarshal(b)
	if err != nil {
		return nil, fmt.Errorf("decode boundary: %w", err)
	}
	var mp orb.MultiPolygon
	var walk func(g orb.Geometry)
	walk = func(g orb.Geometry) {
		switch g := g.(type) {
		case orb.Polygon:
			if len(g) > 0 {
				mp = append(mp, g)
			}
		case orb.MultiPolygon:
			for _, p := range g {
				walk(p)
			}
		case orb.Collection:
			for _, part := range g {
				walk(part)
			}
		}
	}
	walk(g)
	return mp, nil
}

// FootprintFromWKB decodes a stored footprint, which is a polygon.
func FootprintFromWKB(b []byte) (orb.Polygon, error) {
	g, err := wkb.Unmarshal(b)
	if err != nil {
		return nil, fmt.Errorf("decode footprint: %w", err)
	}
	p, ok := g.(orb.Polygon)
	if !ok {
		return nil, fmt.Errorf("footprint is a %s, not a polygon", g.GeoJSONType())
	}
	return p, nil
}

// QueryGeometryWKB returns the WKB of a query geometry, a bound as its
// polygon. Geometries that WKB cannot carry return EINVALID.
func QueryGeometryWKB(g orb.Geometry) ([]byte, error) {
	if b, ok := g.(orb.Bound); ok {
		g = b.ToPolygon()
	}
	out, err := wkb.Marshal(g)
	if err != nil {
		return nil, mosaic.Errorf(mosaic.EINVALID, "Invalid query geometry.")
	}
	return out, nil
}
