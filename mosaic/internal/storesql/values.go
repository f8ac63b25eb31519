package storesql

import (
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/planar"

	"github.com/tessera-gis/tessera/mosaic"
)

// NormalizeAttributes maps an item's attributes onto c's fields, converts
// them to column values (int64, float64, string, epoch milliseconds or
// nil), and fills the fields the catalog maintains: Path, Shape_Area,
// Shape_Length, and CenterX, CenterY and Category unless given.
func NormalizeAttributes(c *mosaic.Collection, it *mosaic.Item) (map[string]any, error) {
	out := make(map[string]any, len(c.Fields))
	for k, v := range it.Attributes {
		f, ok := c.Field(k)
		if !ok {
			return nil, mosaic.Errorf(mosaic.EINVALID, "Image collection %q has no field %q.", c.Name, k)
		}
		if f.Type == mosaic.FieldOID || f.Type == mosaic.FieldGeometry {
			continue
		}
		cv, err := ColumnValue(f, v)
		if err != nil {
			return nil, err
		}
		out[f.Name] = cv
	}
	b := it.Footprint.Bound()
	center := b.Center()
	out[mosaic.FieldNamePath] = it.Path
	out[mosaic.FieldNameShapeArea] = planar.Area(it.Footprint)
	out[mosaic.FieldNameShapeLength] = PolygonLength(it.Footprint)
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

// PolygonLength is the perimeter of p, holes included.
func PolygonLength(p orb.Polygon) float64 {
	var l float64
	for _, r := range p {
		l += planar.Length(r)
	}
	return l
}

// ColumnValue converts an attribute value to what the column stores:
// int64 for integers and dates (epoch milliseconds), float64, string, or
// nil. A value the field cannot hold returns EINVALID.
func ColumnValue(f mosaic.Field, v any) (any, error) {
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
			if x != math.Trunc(x) || math.IsInf(x, 0) || math.IsNaN(x) || x < -(1<<63) || x >= 1<<63 {
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
			if math.IsInf(x, 0) || math.IsNaN(x) || x < -(1<<63) || x >= 1<<63 {
				return bad()
			}
			return int64(x), nil
		}
	}
	return bad()
}

// FieldValue converts a scanned column value to the attribute's Go type:
// int64, float64, string, time.Time (UTC) or nil.
func FieldValue(f mosaic.Field, v any) any {
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
			return v // already boxed: no allocation
		}
	case mosaic.FieldInteger, mosaic.FieldOID:
		switch x := v.(type) {
		case int64:
			return v
		case float64:
			return int64(x)
		}
	case mosaic.FieldString:
		switch x := v.(type) {
		case string:
			return v
		case []byte:
			return string(x)
		}
	}
	return v
}
