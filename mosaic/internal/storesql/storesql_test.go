package storesql_test

import (
	"math"
	"testing"
	"time"

	"github.com/paulmach/orb"

	"github.com/tessera-gis/tessera/mosaic"
	"github.com/tessera-gis/tessera/mosaic/internal/storesql"
)

func TestCellKey(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		a, b orb.Point
		same bool
	}{
		{"one cell", orb.Point{1, 1}, orb.Point{63, 63}, true},
		{"neighbours in x", orb.Point{63, 1}, orb.Point{65, 1}, false},
		{"neighbours in y", orb.Point{1, 63}, orb.Point{1, 65}, false},
		{"negative side", orb.Point{-1, -1}, orb.Point{1, 1}, false},
		{"far beyond the grid clamps", orb.Point{1e300, 0}, orb.Point{math.Inf(1), 0}, true},
		{"NaN goes to cell 0", orb.Point{math.NaN(), 1}, orb.Point{1, 1}, true},
	}
	for _, tt := range tests {
		if got := storesql.CellKey(tt.a, 64) == storesql.CellKey(tt.b, 64); got != tt.same {
			t.Errorf("%s: same cell = %v, want %v", tt.name, got, tt.same)
		}
	}
	if s := storesql.ChooseCellSize(nil); s != 1 {
		t.Errorf("cell size of nothing = %v", s)
	}
	sq := orb.Bound{Max: orb.Point{100, 100}}.ToPolygon()
	if s := storesql.ChooseCellSize([]*mosaic.Item{{Footprint: sq}}); s != 1024 {
		t.Errorf("cell size for 100-unit footprints = %v, want 1024 (a power of two about 8 wide)", s)
	}
}

func TestColumnValue(t *testing.T) {
	t.Parallel()
	integer := mosaic.Field{Name: "N", Type: mosaic.FieldInteger}
	date := mosaic.Field{Name: "D", Type: mosaic.FieldDate}
	tests := []struct {
		f    mosaic.Field
		in   any
		want any // nil with ok false: EINVALID
		ok   bool
	}{
		{integer, 3.0, int64(3), true},
		{integer, -9.223372036854775808e18, int64(math.MinInt64), true},
		{integer, 9.223372036854775808e18, nil, false}, // 2^63 does not fit
		{integer, 1e300, nil, false},
		{integer, " 12 ", int64(12), true},
		{date, 1e300, nil, false},
		{date, math.NaN(), nil, false},
		{date, int64(5), int64(5), true},
	}
	for _, tt := range tests {
		got, err := storesql.ColumnValue(tt.f, tt.in)
		if tt.ok && (err != nil || got != tt.want) || !tt.ok && mosaic.ErrorCode(err) != mosaic.EINVALID {
			t.Errorf("ColumnValue(%s, %v) = %v, %v", tt.f.Type, tt.in, got, err)
		}
	}
}

// TestGroupsMatchItems checks that recording items by the groups a store
// aggregates in SQL (RemoveGroup, AddGroup) gives the changes that
// recording them one by one gives.
func TestGroupsMatchItems(t *testing.T) {
	t.Parallel()
	ps := func(v float64) any {
		if v == 0 {
			return nil // unknown
		}
		return v
	}
	items := []storesql.CellItem{
		{Cell: 1, ShapeKey: 10, Bound: orb.Bound{Min: orb.Point{0, 0}, Max: orb.Point{1, 1}}, LowPS: ps(2), HighPS: ps(4)},
		{Cell: 1, ShapeKey: 10, Bound: orb.Bound{Min: orb.Point{0, 0}, Max: orb.Point{1, 1}}, LowPS: ps(1), HighPS: ps(8)},
		{Cell: 1, ShapeKey: 11, Bound: orb.Bound{Min: orb.Point{-3, 2}, Max: orb.Point{0.5, 5}}, LowPS: ps(0), HighPS: ps(0)},
		{Cell: 2, ShapeKey: 12, Bound: orb.Bound{Min: orb.Point{9, 9}, Max: orb.Point{10, 12}}, LowPS: ps(0), HighPS: ps(3)},
		{Cell: 2, ShapeKey: 13, Bound: orb.Bound{Min: orb.Point{8, 9.5}, Max: orb.Point{9, 10}}, LowPS: ps(5), HighPS: ps(0)},
		{Cell: 3, ShapeKey: 14, Bound: orb.Bound{Min: orb.Point{20, 20}, Max: orb.Point{21, 21}}, LowPS: ps(0), HighPS: ps(0)},
	}
	byItem, byGroup := storesql.NewCellChanges(), storesql.NewCellChanges()
	groups := map[storesql.CellShape]*storesql.CellGroup{}
	var order []storesql.CellShape
	for _, it := range items {
		byItem.Remove(it)
		byItem.Add(it)
		// What the SQL aggregation returns for the group of it.
		k := storesql.CellShape{Cell: it.Cell, Key: it.ShapeKey}
		g := groups[k]
		if g == nil {
			g = &storesql.CellGroup{Cell: it.Cell, ShapeKey: it.ShapeKey}
			g.Bound = it.Bound
			groups[k] = g
			order = append(order, k)
		}
		g.Count++
		g.Bound = g.Bound.Union(it.Bound)
		if v, ok := it.LowPS.(float64); ok && v > 0 && (g.MinPS == 0 || v < g.MinPS) {
			g.MinPS = v
		}
		if v, ok := it.HighPS.(float64); ok && v > g.MaxPS {
			g.MaxPS = v
		}
	}
	for _, k := range order {
		byGroup.RemoveGroup(*groups[k])
		byGroup.AddGroup(*groups[k])
	}
	for name, pair := range map[string][2]map[int64]*storesql.CellAgg{
		"added": {byItem.Added, byGroup.Added}, "removed": {byItem.Removed, byGroup.Removed}} {
		if len(pair[0]) != len(pair[1]) {
			t.Fatalf("%s: %d cells by item, %d by group", name, len(pair[0]), len(pair[1]))
		}
		for cell, want := range pair[0] {
			if got := pair[1][cell]; got == nil || *got != *want {
				t.Errorf("%s cell %d: by group %+v, by item %+v", name, cell, got, want)
			}
		}
	}
	for k, n := range byItem.Shapes {
		if byGroup.Shapes[k] != n {
			t.Errorf("footprint %v: by group %d, by item %d", k, byGroup.Shapes[k], n)
		}
	}
}

// The Encoder maps attributes onto the data fields case-insensitively,
// converts them, fills the fields the catalog maintains (Path, Shape_Area
// and Shape_Length always; CenterX, CenterY and Category unless given),
// skips OBJECTID and the geometry, and refuses a field the collection
// lacks.
func TestEncoderValues(t *testing.T) {
	t.Parallel()
	c := &mosaic.Collection{Name: "c", Fields: append(mosaic.StandardFields(),
		mosaic.Field{Name: "CloudCover", Type: mosaic.FieldDouble},
		mosaic.Field{Name: "AcquisitionDate", Type: mosaic.FieldDate})}
	fp := orb.Polygon{{{0, 0}, {4, 0}, {4, 2}, {0, 2}, {0, 0}}}
	enc := storesql.NewEncoder(c, false, 64)
	at := func(values []any, name string) any {
		for i, f := range enc.Fields() {
			if f.Name == name {
				return values[i]
			}
		}
		t.Fatalf("no data field %s", name)
		return nil
	}
	tests := []struct {
		name  string
		attrs map[string]any
		want  map[string]any
		err   bool
	}{
		{name: "computed", attrs: map[string]any{"Name": "a"},
			want: map[string]any{"Name": "a", "Path": "/x/a.tif", "Shape_Area": 8.0, "Shape_Length": 12.0,
				"CenterX": 2.0, "CenterY": 1.0, "Category": int64(mosaic.CategoryPrimary), "CloudCover": nil}},
		{name: "case-insensitive names, converted", attrs: map[string]any{"cloudcover": 12, "ACQUISITIONDATE": time.Date(2024, 5, 1, 0, 0, 0, 0, time.UTC)},
			want: map[string]any{"CloudCover": 12.0, "AcquisitionDate": int64(1714521600000)}},
		{name: "given centre and category kept", attrs: map[string]any{"CenterX": 7.5, "centery": 8.5, "Category": 2},
			want: map[string]any{"CenterX": 7.5, "CenterY": 8.5, "Category": int64(2)}},
		{name: "path and area always computed", attrs: map[string]any{"Path": "/elsewhere", "Shape_Area": 1.0},
			want: map[string]any{"Path": "/x/a.tif", "Shape_Area": 8.0}},
		{name: "OBJECTID and the geometry skipped", attrs: map[string]any{"OBJECTID": 5, "shape": "x"},
			want: map[string]any{"Path": "/x/a.tif"}},
		{name: "unknown field", attrs: map[string]any{"Nope": 1}, err: true},
		{name: "bad value", attrs: map[string]any{"CloudCover": "cloudy"}, err: true},
	}
	for _, tt := range tests {
		row, err := enc.Encode(&mosaic.Item{Path: "/x/a.tif", Footprint: fp, Attributes: tt.attrs})
		if tt.err {
			if err == nil {
				t.Errorf("%s: no error", tt.name)
			}
			continue
		}
		if err != nil {
			t.Errorf("%s: %v", tt.name, err)
			continue
		}
		if len(row.Values) != len(enc.Fields()) {
			t.Fatalf("%s: %d values for %d fields", tt.name, len(row.Values), len(enc.Fields()))
		}
		for name, want := range tt.want {
			if got := at(row.Values, name); got != want {
				t.Errorf("%s: %s = %#v, want %#v", tt.name, name, got, want)
			}
		}
	}
}

// The Encoder matches an attribute to a field as c.Field does: under
// Unicode case folding (strings.EqualFold), not by lower-casing. "İ"
// (U+0130) lower-cases to "i" but does not fold to it, so "KİND" names no
// field; "K" (the Kelvin sign, U+212A) folds to "k", so "KIND" with it
// names Kind.
func TestEncoderUnicodeNames(t *testing.T) {
	t.Parallel()
	c := &mosaic.Collection{Name: "c", Fields: append(mosaic.StandardFields(),
		mosaic.Field{Name: "Kind", Type: mosaic.FieldString, Length: 20})}
	fp := orb.Polygon{{{0, 0}, {4, 0}, {4, 2}, {0, 2}, {0, 0}}}
	enc := storesql.NewEncoder(c, false, 64)
	kind := -1
	for i, f := range enc.Fields() {
		if f.Name == "Kind" {
			kind = i
		}
	}
	tests := []struct {
		key  string
		want any    // the value of Kind, when err is ""
		err  string // the error text, as NormalizeAttributes gave it
	}{
		{key: "KIND", want: "x"},
		{key: "\u212Aind", want: "x"}, // Kelvin sign: folds to k
		{key: "K\u0130ND", err: `Image collection "c" has no field "KİND".`}, // İ: lower-cases to i, does not fold
		{key: "k\u0131nd", err: `Image collection "c" has no field "kınd".`}, // dotless ı: upper-cases to I, does not fold
	}
	for _, tt := range tests {
		_, ok := c.Field(tt.key)
		if ok != (tt.err == "") {
			t.Fatalf("%q: c.Field found %v; the table disagrees", tt.key, ok)
		}
		row, err := enc.Encode(&mosaic.Item{Path: "/x/a.tif", Footprint: fp, Attributes: map[string]any{tt.key: "x"}})
		if tt.err != "" {
			if err == nil || err.Error() != tt.err {
				t.Errorf("%q: error %v, want %q (Kind = %#v)", tt.key, err, tt.err, row.Values[kind])
			}
			continue
		}
		if err != nil {
			t.Errorf("%q: %v", tt.key, err)
			continue
		}
		if got := row.Values[kind]; got != tt.want {
			t.Errorf("%q: Kind = %#v, want %#v", tt.key, got, tt.want)
		}
	}
}
