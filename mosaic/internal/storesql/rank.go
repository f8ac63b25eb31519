package storesql

import (
	"fmt"
	"math"

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
	if err := CheckQueryGeometry(g); err != nil {
		return nil, err
	}
	if b, ok := g.(orb.Bound); ok {
		g = b.ToPolygon()
	}
	out, err := wkb.Marshal(g)
	if err != nil {
		return nil, mosaic.Errorf(mosaic.EINVALID, "Invalid query geometry.")
	}
	return out, nil
}

// MaxCoordinate bounds the coordinates of a query geometry: beyond it (no
// spatial reference reaches 1e15) sums and differences of coordinates lose
// their meaning, and geometry libraries fail (simplefeatures panicked on an
// envelope as wide as the float range).
const MaxCoordinate = 1e15

// QueryGeometry returns the query geometry that both stores test: an
// envelope reaching beyond ±MaxCoordinate is clamped to it (it selects
// the same items), and CheckQueryGeometry refuses the rest. Both stores
// call it before the geometry reaches SQL, whatever the spatial relation.
func QueryGeometry(g orb.Geometry) (orb.Geometry, error) {
	if b, ok := g.(orb.Bound); ok {
		clamp := func(v float64) float64 { return math.Max(-MaxCoordinate, math.Min(MaxCoordinate, v)) }
		for i := range 2 {
			if !math.IsNaN(b.Min[i]) && !math.IsNaN(b.Max[i]) {
				b.Min[i], b.Max[i] = clamp(b.Min[i]), clamp(b.Max[i])
			}
		}
		g = b
	}
	if err := CheckQueryGeometry(g); err != nil {
		return nil, err
	}
	return g, nil
}

func CheckQueryGeometry(g orb.Geometry) error {
	bad := func(why string) error {
		return mosaic.Errorf(mosaic.EINVALID, "Invalid query geometry.").WithDetails(why)
	}
	point := func(p orb.Point) error {
		for _, v := range p {
			if math.IsNaN(v) || math.IsInf(v, 0) || math.Abs(v) > MaxCoordinate {
				return bad(fmt.Sprintf("Coordinates must be finite numbers within ±%g.", MaxCoordinate))
			}
		}
		return nil
	}
	line := func(ls []orb.Point) error {
		if len(ls) < 2 {
			return bad("A path needs at least 2 vertices.")
		}
		for _, p := range ls {
			if err := point(p); err != nil {
				return err
			}
		}
		return nil
	}
	ring := func(r orb.Ring) error {
		if len(r) < 4 || r[0] != r[len(r)-1] {
			return bad("A ring needs at least 3 distinct vertices and must be closed.")
		}
		return line(r)
	}
	polygon := func(p orb.Polygon) error {
		for _, r := range p {
			if err := ring(r); err != nil {
				return err
			}
		}
		return nil
	}
	switch g := g.(type) {
	case nil:
		return nil
	case orb.Point:
		return point(g)
	case orb.MultiPoint:
		for _, p := range g {
			if err := point(p); err != nil {
				return err
			}
		}
	case orb.Bound:
		if err := point(g.Min); err != nil {
			return err
		}
		return point(g.Max)
	case orb.LineString:
		return line(g)
	case orb.MultiLineString:
		for _, ls := range g {
			if err := line(ls); err != nil {
				return err
			}
		}
	case orb.Ring:
		return ring(g)
	case orb.Polygon:
		return polygon(g)
	case orb.MultiPolygon:
		for _, p := range g {
			if err := polygon(p); err != nil {
				return err
			}
		}
	case orb.Collection:
		for _, c := range g {
			if err := CheckQueryGeometry(c); err != nil {
				return err
			}
		}
	default:
		return bad(fmt.Sprintf("Unsupported geometry %T.", g))
	}
	return nil
}
