package storesql_test

import (
	"math"
	"testing"

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
