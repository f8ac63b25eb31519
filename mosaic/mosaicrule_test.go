package mosaic_test

import (
	"fmt"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/paulmach/orb"

	"github.com/tessera-gis/tessera/mosaic"
)

// TestMosaicRuleQuery checks the catalog query each mosaic method asks
// for: what it ranks by, in which direction, and which items take part.
func TestMosaicRuleQuery(t *testing.T) {
	t.Parallel()
	c := &mosaic.Collection{Name: "Golden", Fields: mosaic.StandardFields(),
		Summary: mosaic.Summary{Count: 3, Extent: orb.Bound{Min: orb.Point{0, -50}, Max: orb.Point{1100, 1100}}}}
	view := orb.Bound{Min: orb.Point{0, 0}, Max: orb.Point{200, 200}}
	pt := func(x, y float64) *orb.Point { return &orb.Point{x, y} }
	num := func(f float64) *float64 { return &f }
	tests := []struct {
		name string
		rule mosaic.MosaicRule
		want mosaic.ItemQuery // Geometry, SpatialRel and OutFields are checked for every case
	}{
		{"default is north-west", mosaic.MosaicRule{},
			mosaic.ItemQuery{Limit: 64, Rank: &mosaic.MosaicRank{Point: pt(0, 1100)}}},
		{"north-west descending, where, fids", mosaic.MosaicRule{Method: mosaic.MosaicNorthWest, Descending: true,
			Where: "SensorName = 'A'", FIDs: []int64{2, 1}},
			mosaic.ItemQuery{Limit: 64, Where: "SensorName = 'A'", ObjectIDs: []int64{2, 1},
				Rank: &mosaic.MosaicRank{Point: pt(0, 1100), Desc: true}}},
		{"empty fids select every item", mosaic.MosaicRule{FIDs: []int64{}},
			mosaic.ItemQuery{Limit: 64, Rank: &mosaic.MosaicRank{Point: pt(0, 1100)}}},
		{"center", mosaic.MosaicRule{Method: mosaic.MosaicCenter, Point: pt(100, 100)},
			mosaic.ItemQuery{Limit: 64, Rank: &mosaic.MosaicRank{Point: pt(100, 100)}}},
		{"viewpoint", mosaic.MosaicRule{Method: mosaic.MosaicViewpoint, Point: pt(200, 0)},
			mosaic.ItemQuery{Limit: 64, Rank: &mosaic.MosaicRank{Point: pt(200, 0)}}},
		{"attribute, field named in any case", mosaic.MosaicRule{Method: mosaic.MosaicAttribute, SortField: "cloudcover"},
			mosaic.ItemQuery{Limit: 64, Rank: &mosaic.MosaicRank{Field: "CloudCover"}}},
		{"attribute near a number", mosaic.MosaicRule{Method: mosaic.MosaicAttribute, SortField: "CloudCover", SortValue: 85.0},
			mosaic.ItemQuery{Limit: 64, Rank: &mosaic.MosaicRank{Field: "CloudCover", Base: num(85)}}},
		{"attribute near a number as text", mosaic.MosaicRule{Method: mosaic.MosaicAttribute, SortField: "CloudCover", SortValue: " 12.5 "},
			mosaic.ItemQuery{Limit: 64, Rank: &mosaic.MosaicRank{Field: "CloudCover", Base: num(12.5)}}},
		{"attribute near a date", mosaic.MosaicRule{Method: mosaic.MosaicAttribute, SortField: "AcquisitionDate", SortValue: "2024/03/01",
			Descending: true},
			mosaic.ItemQuery{Limit: 64, Rank: &mosaic.MosaicRank{Field: "AcquisitionDate", Desc: true,
				Base: num(float64(time.Date(2024, 3, 1, 0, 0, 0, 0, time.UTC).UnixMilli()))}}},
		{"none", mosaic.MosaicRule{Method: mosaic.MosaicNone},
			mosaic.ItemQuery{Limit: 64, Rank: &mosaic.MosaicRank{Field: "OBJECTID"}}},
		{"lock raster: the listed items, unranked and unlimited", mosaic.MosaicRule{Method: mosaic.MosaicLockRaster, LockRasterIDs: []int64{3, 1}},
			mosaic.ItemQuery{ObjectIDs: []int64{3, 1}}},
		{"lock raster within fids", mosaic.MosaicRule{Method: mosaic.MosaicLockRaster, LockRasterIDs: []int64{3, 1, 2}, FIDs: []int64{2, 3}},
			mosaic.ItemQuery{ObjectIDs: []int64{3, 2}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			q, ok, err := tt.rule.Query(c, view, 64)
			if err != nil || !ok {
				t.Fatalf("Query: %v, %v", ok, err)
			}
			if q.Geometry != orb.Geometry(view) || q.SpatialRel != mosaic.SpatialRelIntersects || q.OutFields != mosaic.FieldNamePath {
				t.Errorf("Query selects %v %v %q, want the view, intersects, Path", q.Geometry, q.SpatialRel, q.OutFields)
			}
			q.Geometry, q.SpatialRel, q.OutFields = nil, "", ""
			if !reflect.DeepEqual(q, tt.want) {
				t.Errorf("Query =\n%s\nwant\n%s", describe(q), describe(tt.want))
			}
		})
	}

	if _, ok, err := (mosaic.MosaicRule{Method: mosaic.MosaicLockRaster, LockRasterIDs: []int64{5}, FIDs: []int64{1}}).Query(c, view, 64); ok || err != nil {
		t.Errorf("lock raster outside fids: ok %v, err %v; want nothing to draw", ok, err)
	}

	bad := []struct {
		name string
		rule mosaic.MosaicRule
		want string
	}{
		{"unknown method", mosaic.MosaicRule{Method: "Seamline"}, "Seamline"},
		{"center without a point", mosaic.MosaicRule{Method: mosaic.MosaicCenter}, "point"},
		{"unknown sort field", mosaic.MosaicRule{Method: mosaic.MosaicAttribute, SortField: "Nope"}, `sortField "Nope" is not a field of Golden`},
		{"geometry sort field", mosaic.MosaicRule{Method: mosaic.MosaicAttribute, SortField: "Shape"}, "sortField"},
		{"sort value not a number", mosaic.MosaicRule{Method: mosaic.MosaicAttribute, SortField: "CloudCover", SortValue: "soon"}, "sortValue"},
		{"sort value a date for a number field", mosaic.MosaicRule{Method: mosaic.MosaicAttribute, SortField: "CloudCover", SortValue: "2024/03/01"}, "sortValue"},
		{"sort value of another type", mosaic.MosaicRule{Method: mosaic.MosaicAttribute, SortField: "CloudCover", SortValue: true}, "sortValue"},
		{"lock raster without ids", mosaic.MosaicRule{Method: mosaic.MosaicLockRaster}, "lockRasterIds"},
	}
	for _, tt := range bad {
		if _, _, err := tt.rule.Query(c, view, 64); mosaic.ErrorCode(err) != mosaic.EINVALID || !strings.Contains(mosaic.ErrorMessage(err), tt.want) {
			t.Errorf("%s: %v, want EINVALID %q", tt.name, err, tt.want)
		}
	}
}

// TestMosaicRuleSources checks the drawing order of what the query found:
// bottom first, so the first ranked is drawn on top unless the rule says
// Last, and locked rasters in list order.
func TestMosaicRuleSources(t *testing.T) {
	t.Parallel()
	items := func(oids ...int64) []*mosaic.Item {
		out := make([]*mosaic.Item, len(oids))
		for i, id := range oids {
			out[i] = &mosaic.Item{OID: id, Path: "/data/" + string(rune('a'+id)) + ".tif"}
		}
		return out
	}
	lock := []int64{3, 1, 2}
	tests := []struct {
		name  string
		rule  mosaic.MosaicRule
		found []*mosaic.Item // best ranked first, as the store returns them
		limit int
		want  []int64 // bottom first
	}{
		{"first ranked on top", mosaic.MosaicRule{}, items(3, 1, 2), 64, []int64{2, 1, 3}},
		{"MT_LAST: first ranked at the bottom", mosaic.MosaicRule{Last: true}, items(3, 1, 2), 64, []int64{3, 1, 2}},
		{"nothing found", mosaic.MosaicRule{}, nil, 64, []int64{}},
		{"lock raster in list order", mosaic.MosaicRule{Method: mosaic.MosaicLockRaster, LockRasterIDs: lock}, items(1, 2, 3), 64, []int64{2, 1, 3}},
		{"lock raster descending", mosaic.MosaicRule{Method: mosaic.MosaicLockRaster, LockRasterIDs: lock, Descending: true}, items(1, 2, 3), 64, []int64{3, 1, 2}},
		{"lock raster, listed twice", mosaic.MosaicRule{Method: mosaic.MosaicLockRaster, LockRasterIDs: []int64{2, 1, 2}}, items(1, 2), 64, []int64{1, 2}},
		{"lock raster capped after ranking", mosaic.MosaicRule{Method: mosaic.MosaicLockRaster, LockRasterIDs: lock, Last: true}, items(1, 2, 3), 2, []int64{3, 1}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := tt.rule.Sources(tt.found, tt.limit)
			oids := []int64{}
			for _, s := range got {
				oids = append(oids, s.OID)
				if s.Path != "/data/"+string(rune('a'+s.OID))+".tif" {
					t.Errorf("source %d has path %q", s.OID, s.Path)
				}
			}
			if !slices.Equal(oids, tt.want) {
				t.Errorf("Sources = %v, want %v", oids, tt.want)
			}
		})
	}
}

// describe prints a query with its rank's pointers followed.
func describe(q mosaic.ItemQuery) string {
	s := fmt.Sprintf("%+v", q)
	if r := q.Rank; r != nil {
		s += fmt.Sprintf("\nrank %+v", *r)
		if r.Point != nil {
			s += fmt.Sprintf(" point %v", *r.Point)
		}
		if r.Base != nil {
			s += fmt.Sprintf(" base %v", *r.Base)
		}
	}
	return s
}
