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

// Encoder encodes items for one collection's items table: their
// attributes as the values of DataFields(c), in that order, and the rest
// of an ItemRow. It looks each field up once, not once per item.
type Encoder struct {
	c        *mosaic.Collection
	fields   []mosaic.Field
	index    map[string]int // a data field's name, as given and lower-cased → its position
	keep     bool
	cellSize float64
	// The positions of the fields the catalog maintains, or -1.
	path, area, length, centerX, centerY, category, lowPS, highPS int
}

// NewEncoder returns an Encoder for c's items table, whose boundary cells
// are cellSize wide; keep (an import) keeps each item's recycle-bin state.
func NewEncoder(c *mosaic.Collection, keep bool, cellSize float64) *Encoder {
	e := &Encoder{c: c, fields: DataFields(c), keep: keep, cellSize: cellSize}
	e.index = make(map[string]int, 2*len(e.fields))
	for i := len(e.fields) - 1; i >= 0; i-- { // the first of two names that differ in case wins, as c.Field
		e.index[e.fields[i].Name] = i
		e.index[strings.ToLower(e.fields[i].Name)] = i
	}
	for _, f := range []struct {
		at   *int
		name string
	}{{&e.path, mosaic.FieldNamePath}, {&e.area, mosaic.FieldNameShapeArea}, {&e.length, mosaic.FieldNameShapeLength},
		{&e.centerX, mosaic.FieldNameCenterX}, {&e.centerY, mosaic.FieldNameCenterY}, {&e.category, mosaic.FieldNameCategory},
		{&e.lowPS, mosaic.FieldNameLowPS}, {&e.highPS, mosaic.FieldNameHighPS}} {
		*f.at = e.field(f.name)
	}
	return e
}

// Fields are the data fields whose values Encode returns, in order.
func (e *Encoder) Fields() []mosaic.Field { return e.fields }

// field is the position of the data field named name (case-insensitively),
// or -1.
func (e *Encoder) field(name string) int {
	if i, ok := e.index[name]; ok {
		return i
	}
	// Lower-casing is not folding: "İ" lower-cases to "i" but does not
	// fold to it, so a hit must also match as c.Field does.
	if i, ok := e.index[strings.ToLower(name)]; ok && strings.EqualFold(e.fields[i].Name, name) {
		return i
	}
	for i, f := range e.fields { // names equal under Unicode case folding only
		if strings.EqualFold(f.Name, name) {
			return i
		}
	}
	return -1
}

// values maps an item's attributes onto the data fields, converts them
// to column values (int64, float64, string, epoch milliseconds or nil),
// and fills the fields the catalog maintains: Path, Shape_Area,
// Shape_Length, and CenterX, CenterY and Category unless given.
func (e *Encoder) values(it *mosaic.Item) ([]any, error) {
	out := make([]any, len(e.fields))
	for k, v := range it.Attributes {
		i := e.field(k)
		if i < 0 {
			if _, ok := e.c.Field(k); ok {
				continue // OBJECTID or the geometry: never set from attributes
			}
			return nil, mosaic.Errorf(mosaic.EINVALID, "Image collection %q has no field %q.", e.c.Name, k)
		}
		cv, err := ColumnValue(e.fields[i], v)
		if err != nil {
			return nil, err
		}
		out[i] = cv
	}
	set := func(i int, v any, always bool) {
		if i >= 0 && (always || out[i] == nil) {
			out[i] = v
		}
	}
	b := it.Footprint.Bound()
	center := b.Center()
	set(e.path, it.Path, true)
	set(e.area, planar.Area(it.Footprint), true)
	set(e.length, PolygonLength(it.Footprint), true)
	set(e.centerX, center[0], false)
	set(e.centerY, center[1], false)
	set(e.category, int64(mosaic.CategoryPrimary), false)
	return out, nil
}

// value is the value at position i of values, or nil for -1.
func value(values []any, i int) any {
	if i < 0 {
		return nil
	}
	return values[i]
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
