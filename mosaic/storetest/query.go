package storetest

import (
	"fmt"
	"math"
	"slices"
	"testing"
	"time"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/encoding/wkb"

	"github.com/tessera-gis/tessera/mosaic"
)

var queryTests = []test{
	{"Paging", testQueryPaging},
	{"Where", testQueryWhere},
	{"OrderBy", testQueryOrderBy},
	{"Spatial", testQuerySpatial},
	{"CountExtentAndRecycled", testQueryCountExtentAndRecycled},
	{"Rank", testQueryRank},
	{"Stream", testQueryStream},
}

// The query fixture is a catalog in EPSG:32633 (UTM, so coordinates are
// large enough for single-precision spatial indexes to round): a 10×10 grid
// of 100 m squares at (qx0 + 100·col, qy0 + 100·row), OBJECTIDs 1–100 row
// by row, plus item 101, a triangle, and item 102, a square just 1 cm east
// of the grid. CloudCover is 37·i mod 100 for OBJECTID i+1, NULL for every
// tenth; AcquisitionDate is 2024-01-01 plus i days; SensorName cycles A, B, C.
const (
	qx0 = 600000.0
	qy0 = 5300000.0
)

func gridSquare(col, row int) orb.Polygon {
	x, y := qx0+float64(col)*100, qy0+float64(row)*100
	return orb.Bound{Min: orb.Point{x, y}, Max: orb.Point{x + 100, y + 100}}.ToPolygon()
}

func queryFixture(t *testing.T, open Opener) *bundle {
	t.Helper()
	b := &bundle{ctx: t.Context(), db: open(t)}
	b.c = &mosaic.Collection{Name: "Grid", SRS: mosaic.SpatialRef{WKID: 32633}}
	base := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)
	var items []*mosaic.Item
	for i := range 100 {
		attrs := map[string]any{
			mosaic.FieldNameCloudCover:      float64((i * 37) % 100),
			mosaic.FieldNameAcquisitionDate: base.AddDate(0, 0, i),
			mosaic.FieldNameSensorName:      []string{"A", "B", "C"}[i%3],
		}
		if i%10 == 9 {
			delete(attrs, mosaic.FieldNameCloudCover) // NULL
		}
		items = append(items, &mosaic.Item{Path: fmt.Sprintf("/data/grid_%03d.tif", i), Footprint: gridSquare(i%10, i/10), Attributes: attrs,
			Raster: mosaic.RasterInfo{Width: 10, Height: 10, Bands: 1, PixelType: "U8"}})
	}
	// 101: the triangle (qx0+1000, qy0) – (qx0+1200, qy0) – (qx0+1000, qy0+200),
	// whose bounding box reaches (qx0+1200, qy0+200) but whose shape does not.
	tri := orb.Polygon{orb.Ring{{qx0 + 1000, qy0}, {qx0 + 1000, qy0 + 200}, {qx0 + 1200, qy0}, {qx0 + 1000, qy0}}}
	items = append(items, &mosaic.Item{Path: "/data/triangle.tif", Footprint: tri, Raster: mosaic.RasterInfo{Width: 1, Height: 1, Bands: 1}})
	// 102: 1 cm east of the grid's east edge (x = qx0+1000).
	near := orb.Bound{Min: orb.Point{qx0 + 1000.01, qy0 + 500}, Max: orb.Point{qx0 + 1000.5, qy0 + 600}}.ToPolygon()
	items = append(items, &mosaic.Item{Path: "/data/near.tif", Footprint: near, Raster: mosaic.RasterInfo{Width: 1, Height: 1, Bands: 1}})
	b.update(t, func(tx mosaic.Tx) error {
		if err := tx.CreateCollection(b.c); err != nil {
			return err
		}
		_, err := tx.AddItems(b.c, items, mosaic.AddOptions{})
		return err
	})
	return b
}

func testQueryPaging(t *testing.T, open Opener) {
	b := queryFixture(t, open)
	var got []int64
	for offset := 0; ; offset += 30 {
		page := b.query(t, mosaic.ItemQuery{Offset: offset, Limit: 30})
		got = append(got, itemOIDs(page.Items)...)
		if wantMore := offset+30 < 102; page.More != wantMore {
			t.Fatalf("offset %d: More = %v, want %v", offset, page.More, wantMore)
		}
		if !page.More {
			break
		}
	}
	if want := ids(1, 102); !slices.Equal(got, want) {
		t.Errorf("pages = %v, want %v", got, want)
	}
	if page := b.query(t, mosaic.ItemQuery{Offset: 100}); !slices.Equal(itemOIDs(page.Items), []int64{101, 102}) || page.More {
		t.Errorf("offset without limit: %v, more %v", itemOIDs(page.Items), page.More)
	}
	if page := b.query(t, mosaic.ItemQuery{Limit: 102}); len(page.Items) != 102 || page.More {
		t.Errorf("limit = total: %d items, more %v", len(page.Items), page.More)
	}
	page := b.query(t, mosaic.ItemQuery{Where: "SensorName = 'A'", OrderBy: "CloudCover DESC", Limit: 5, OutFields: "CloudCover"})
	prev := math.Inf(1)
	for _, it := range page.Items {
		cc, ok := it.Attributes[mosaic.FieldNameCloudCover].(float64)
		if !ok || cc > prev {
			t.Fatalf("CloudCover DESC: %v after %v", it.Attributes[mosaic.FieldNameCloudCover], prev)
		}
		prev = cc
	}
	if !page.More || len(page.Items) != 5 {
		t.Errorf("got %d items, More = %v; want 5 and more", len(page.Items), page.More)
	}
	// IDsOnly ignores paging and returns every match in OBJECTID order.
	if p := b.query(t, mosaic.ItemQuery{Where: "OBJECTID > 95", IDsOnly: true}); !slices.Equal(p.IDs, ids(96, 102)) {
		t.Errorf("ids = %v", p.IDs)
	}
}

func testQueryWhere(t *testing.T, open Opener) {
	b := queryFixture(t, open)
	tests := []struct {
		where string
		oids  []int64
		want  []int64
	}{
		{"OBJECTID <= 3", nil, []int64{1, 2, 3}},
		{"CloudCover IS NULL AND OBJECTID < 50", nil, []int64{10, 20, 30, 40}},
		{"CloudCover = 37", nil, []int64{2}},
		{"SensorName IN ('B', 'C') AND OBJECTID <= 4", nil, []int64{2, 3}},
		{"AcquisitionDate = DATE '2024-01-03'", nil, []int64{3}},
		{"AcquisitionDate >= TIMESTAMP '2024-04-09 00:00:00'", nil, []int64{100}},
		{"EXTRACT(MONTH FROM AcquisitionDate) = 4 AND EXTRACT(DAY FROM AcquisitionDate) > 8", nil, []int64{100}},
		{"Path LIKE '%grid\\_00_.tif' ESCAPE '\\'", nil, ids(1, 10)},
		{"UPPER(Path) LIKE '%TRIANGLE%'", nil, []int64{101}},
		{"Path LIKE '%TRIANGLE%'", nil, nil}, // LIKE is case-sensitive
		{"", []int64{5, 3, 200}, []int64{3, 5}},
		{"OBJECTID > 4", []int64{3, 4, 5, 6}, []int64{5, 6}},
		{"1=1", []int64{}, nil}, // an empty list selects nothing
		{"CloudCover / 0 IS NULL AND OBJECTID = 1", nil, []int64{1}},
	}
	for _, tt := range tests {
		page, err := b.queryErr(mosaic.ItemQuery{Where: tt.where, ObjectIDs: tt.oids, IDsOnly: true})
		if err != nil {
			t.Errorf("%q: %v", tt.where, err)
			continue
		}
		if !sameIDs(page.IDs, tt.want) {
			t.Errorf("%q, objectIds %v: %v, want %v", tt.where, tt.oids, page.IDs, tt.want)
		}
	}
	for _, where := range []string{"CloudCover >", "Nope = 1", "Shape IS NULL", "1", "OBJECTID = 'x'", "DROP TABLE x", "OBJECTID = 1; DELETE"} {
		_, err := b.queryErr(mosaic.ItemQuery{Where: where})
		wantCode(t, fmt.Sprintf("where %q", where), err, mosaic.EINVALID)
		err = b.db.View(b.ctx, func(tx mosaic.ReadTx) error { return tx.CheckWhere(b.c, where, false) })
		wantCode(t, fmt.Sprintf("CheckWhere %q", where), err, mosaic.EINVALID)
	}
	// Arithmetic that overflows while it runs selects (SQLite computes
	// doubles) or is refused as EINVALID (PostgreSQL), in queries and in
	// deletes; it never fails the store.
	for _, where := range []string{"OBJECTID * 9223372036854775807 > 0", "POWER(10.0, 400) > 1", "CloudCover * 1e308 * 10 > 0"} {
		_, err := b.queryErr(mosaic.ItemQuery{Where: where, IDsOnly: true})
		if code := mosaic.ErrorCode(err); code != "" && code != mosaic.EINVALID {
			t.Errorf("query where %q: %v (code %s), want success or EINVALID", where, err, code)
		}
		_, err = b.delete(mosaic.ItemDelete{Where: where, DryRun: true})
		if code := mosaic.ErrorCode(err); code != "" && code != mosaic.EINVALID {
			t.Errorf("delete where %q: %v (code %s), want success or EINVALID", where, err, code)
		}
	}
	b.view(t, func(tx mosaic.ReadTx) error {
		wantCode(t, "CheckWhere blank, optional", tx.CheckWhere(b.c, " ", false), "")
		wantCode(t, "CheckWhere blank, required", tx.CheckWhere(b.c, " ", true), mosaic.EINVALID)
		wantCode(t, "CheckWhere valid", tx.CheckWhere(b.c, "CloudCover < 10", true), "")
		return nil
	})
}

func testQueryOrderBy(t *testing.T, open Opener) {
	b := setup(t, open)
	for i, name := range []string{"b", "B", "a", "", "é", "A", "ab"} {
		it := item(fmt.Sprintf("/src/%d.tif", i), rect(0, 0, 1, 1), 1, 1)
		it.Attributes[mosaic.FieldNameName] = name
		b.add(t, it)
	}
	b.add(t, item("/src/null.tif", rect(0, 0, 1, 1), 1, 1)) // OID 8, Name NULL
	names := func(orderBy string) []int64 {
		return itemOIDs(b.query(t, mosaic.ItemQuery{OrderBy: orderBy}).Items)
	}
	// Strings sort by code point, NULLs first in ascending order.
	if got, want := names("Name"), []int64{8, 4, 6, 2, 3, 7, 1, 5}; !slices.Equal(got, want) {
		t.Errorf("Name ASC: %v, want %v", got, want)
	}
	if got, want := names("name DESC, OBJECTID DESC"), []int64{5, 1, 7, 3, 2, 6, 4, 8}; !slices.Equal(got, want) {
		t.Errorf("Name DESC: %v, want %v", got, want)
	}
	for _, orderBy := range []string{"Shape", "Nope", "Name UP"} {
		_, err := b.queryErr(mosaic.ItemQuery{OrderBy: orderBy})
		wantCode(t, "orderBy "+orderBy, err, mosaic.EINVALID)
	}
}

func testQuerySpatial(t *testing.T, open Opener) {
	b := queryFixture(t, open)
	box := func(x0, y0, x1, y1 float64) orb.Bound {
		return orb.Bound{Min: orb.Point{qx0 + x0, qy0 + y0}, Max: orb.Point{qx0 + x1, qy0 + y1}}
	}
	tests := []struct {
		name string
		g    orb.Geometry
		rel  mosaic.SpatialRel
		want []int64
	}{
		{"point inside one square", orb.Point{qx0 + 150, qy0 + 50}, mosaic.SpatialRelIntersects, []int64{2}},
		{"box over four squares", box(150, 150, 250, 250), "", []int64{12, 13, 22, 23}},
		{"box touching edges", box(100, 100, 200, 200), mosaic.SpatialRelIntersects, []int64{1, 2, 3, 11, 12, 13, 21, 22, 23}},
		{"triangle's empty corner: envelope", box(1150, 150, 1190, 190), mosaic.SpatialRelEnvelopeIntersects, []int64{101}},
		{"triangle's empty corner: intersects", box(1150, 150, 1190, 190), mosaic.SpatialRelIntersects, nil},
		{"1 cm gap: envelope", box(999, 500, 1000, 600), mosaic.SpatialRelEnvelopeIntersects, []int64{50, 60, 70}},
		{"1 cm gap: intersects", box(999, 500, 1000, 600), mosaic.SpatialRelIntersects, []int64{50, 60, 70}},
		{"contains squares", box(-1, -1, 201, 101), mosaic.SpatialRelContains, []int64{1, 2}},
		{"within a square", box(10, 10, 20, 20), mosaic.SpatialRelWithin, []int64{1}},
		{"polygon", orb.Polygon{orb.Ring{{qx0 + 50, qy0 + 50}, {qx0 + 50, qy0 + 250}, {qx0 + 60, qy0 + 50}, {qx0 + 50, qy0 + 50}}},
			mosaic.SpatialRelIntersects, []int64{1, 11, 21}},
		{"polygon contains", orb.Polygon{orb.Ring{{qx0 - 10, qy0 - 10}, {qx0 + 110, qy0 - 10}, {qx0 + 110, qy0 + 110}, {qx0 - 10, qy0 + 110}, {qx0 - 10, qy0 - 10}}},
			mosaic.SpatialRelContains, []int64{1}},
		{"multipoint", orb.MultiPoint{{qx0 + 50, qy0 + 50}, {qx0 + 950, qy0 + 950}}, "", []int64{1, 100}},
		{"line", orb.LineString{{qx0 + 50, qy0 + 50}, {qx0 + 250, qy0 + 50}}, "", []int64{1, 2, 3}},
		{"far away", box(-5000, -5000, -4000, -4000), mosaic.SpatialRelIntersects, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			page := b.query(t, mosaic.ItemQuery{Geometry: tt.g, SpatialRel: tt.rel})
			if got := itemOIDs(page.Items); !sameIDs(got, tt.want) {
				t.Errorf("got %v, want %v", got, tt.want)
			}
			n := b.query(t, mosaic.ItemQuery{Geometry: tt.g, SpatialRel: tt.rel, CountOnly: true}).Count
			if n != int64(len(tt.want)) {
				t.Errorf("count = %d, want %d", n, len(tt.want))
			}
			idPage := b.query(t, mosaic.ItemQuery{Geometry: tt.g, SpatialRel: tt.rel, IDsOnly: true})
			if !sameIDs(idPage.IDs, tt.want) {
				t.Errorf("ids = %v, want %v", idPage.IDs, tt.want)
			}
		})
	}
	_, err := b.queryErr(mosaic.ItemQuery{Geometry: orb.Point{qx0, qy0}, SpatialRel: "esriSpatialRelTouches"})
	wantCode(t, "unsupported spatialRel", err, mosaic.EINVALID)
	// An envelope beyond ±1e15 (as wide as the float range, on which
	// simplefeatures, SQLite's, panicked) reaches as far as one at ±1e15.
	huge := math.MaxFloat64
	for _, env := range []orb.Bound{
		{Min: orb.Point{-huge, -huge}, Max: orb.Point{huge, huge}},
		{Min: orb.Point{-1e300, qy0 - 50}, Max: orb.Point{qx0 + 50, qy0 + 50}},
	} {
		for _, rel := range []mosaic.SpatialRel{mosaic.SpatialRelIntersects, mosaic.SpatialRelWithin, mosaic.SpatialRelContains, mosaic.SpatialRelEnvelopeIntersects} {
			clamped := orb.Bound{Min: orb.Point{max(env.Min[0], -1e15), max(env.Min[1], -1e15)}, Max: orb.Point{min(env.Max[0], 1e15), min(env.Max[1], 1e15)}}
			got, err := b.queryErr(mosaic.ItemQuery{Geometry: env, SpatialRel: rel, IDsOnly: true})
			if err != nil {
				t.Errorf("envelope %v %s: %v", env, rel, err)
				continue
			}
			if want := b.query(t, mosaic.ItemQuery{Geometry: clamped, SpatialRel: rel, IDsOnly: true}); !sameIDs(got.IDs, want.IDs) {
				t.Errorf("envelope %v %s: %v, want %v", env, rel, got.IDs, want.IDs)
			}
		}
	}
	// Geometries no store can test (PostGIS refuses a one-vertex path)
	// are refused alike, whatever the relation.
	for _, bad := range []struct {
		name string
		g    orb.Geometry
	}{
		{"one-vertex path", orb.MultiLineString{{{qx0, qy0}}}},
		{"one-vertex line", orb.LineString{{qx0, qy0}}},
		{"two-vertex ring", orb.Polygon{{{qx0, qy0}, {qx0 + 1, qy0}, {qx0, qy0}}}},
		{"float-range polygon", orb.Polygon{{{-huge, -huge}, {huge, -huge}, {huge, huge}, {-huge, -huge}}}},
		{"huge point", orb.Point{1e300, 1e300}},
		{"NaN point", orb.Point{math.NaN(), qy0}},
		{"infinite vertex", orb.Polygon{{{qx0, qy0}, {math.Inf(1), qy0}, {qx0, qy0 + 1}, {qx0, qy0}}}},
	} {
		for _, rel := range []mosaic.SpatialRel{"", mosaic.SpatialRelIntersects, mosaic.SpatialRelWithin, mosaic.SpatialRelContains, mosaic.SpatialRelEnvelopeIntersects} {
			_, err := b.queryErr(mosaic.ItemQuery{Geometry: bad.g, SpatialRel: rel, CountOnly: true})
			wantCode(t, bad.name+" "+string(rel), err, mosaic.EINVALID)
		}
	}
	// Geometry and where combine by AND.
	page := b.query(t, mosaic.ItemQuery{Geometry: box(150, 150, 250, 250), Where: "OBJECTID > 13", IDsOnly: true})
	if !slices.Equal(page.IDs, []int64{22, 23}) {
		t.Errorf("geometry AND where: %v", page.IDs)
	}
}

func testQueryCountExtentAndRecycled(t *testing.T, open Opener) {
	b := queryFixture(t, open)
	page := b.query(t, mosaic.ItemQuery{Where: "OBJECTID <= 100", ExtentOnly: true})
	want := orb.Bound{Min: orb.Point{qx0, qy0}, Max: orb.Point{qx0 + 1000, qy0 + 1000}}
	if page.Count != 100 || page.Extent != want {
		t.Errorf("count, extent = %d, %v; want 100, %v", page.Count, page.Extent, want)
	}
	b.mustDelete(t, mosaic.ItemDelete{Where: "OBJECTID > 90", JobID: "j1"})
	page = b.query(t, mosaic.ItemQuery{ExtentOnly: true})
	want = orb.Bound{Min: orb.Point{qx0, qy0}, Max: orb.Point{qx0 + 1000, qy0 + 900}}
	if page.Count != 90 || page.Extent != want {
		t.Errorf("after delete: count, extent = %d, %v; want 90, %v", page.Count, page.Extent, want)
	}
	// No spatial query finds a recycled item; a query of the recycle bin does.
	page = b.query(t, mosaic.ItemQuery{Geometry: orb.Point{qx0 + 50, qy0 + 950}})
	if len(page.Items) != 0 {
		t.Errorf("a recycled item was found: %v", itemOIDs(page.Items))
	}
	page = b.query(t, mosaic.ItemQuery{Geometry: orb.Point{qx0 + 50, qy0 + 950}, Recycled: true, OutFields: "*"})
	if got := itemOIDs(page.Items); !slices.Equal(got, []int64{91}) {
		t.Fatalf("recycle bin: %v, want [91]", got)
	}
	if r := page.Items[0].Recycled; r == nil || r.JobID != "j1" || time.Since(r.At) > time.Hour || r.At.Location() != time.UTC {
		t.Errorf("recycled item carries %+v, want job j1 and a recent UTC time", r)
	}
	if n := b.query(t, mosaic.ItemQuery{Recycled: true, CountOnly: true}).Count; n != 12 {
		t.Errorf("recycle bin count = %d, want 12", n)
	}
	if p := b.query(t, mosaic.ItemQuery{Where: "1=0", ExtentOnly: true}); p.Count != 0 {
		t.Errorf("count of nothing = %d", p.Count)
	}
}

func testQueryRank(t *testing.T, open Opener) {
	b := queryFixture(t, open)
	grid := orb.Bound{Min: orb.Point{qx0, qy0}, Max: orb.Point{qx0 + 1000, qy0 + 1000}}
	nw := orb.Point{qx0, qy0 + 1000}
	ms := func(d time.Time) *float64 { v := float64(d.UnixMilli()); return &v }
	num := func(v float64) *float64 { return &v }
	tests := []struct {
		name  string
		where string
		rank  mosaic.MosaicRank
		limit int
		want  []int64
	}{
		// Squares by their centres' distance to the grid's north-west
		// corner; equal distances by OBJECTID.
		{"north-west", "", mosaic.MosaicRank{Point: &nw}, 6, []int64{91, 81, 92, 82, 71, 93}},
		{"north-west descending", "OBJECTID <= 100", mosaic.MosaicRank{Point: &nw, Desc: true}, 3, []int64{10, 9, 20}},
		{"OBJECTID", "OBJECTID > 50", mosaic.MosaicRank{Field: "OBJECTID"}, 3, []int64{51, 52, 53}},
		{"OBJECTID descending", "OBJECTID <= 100", mosaic.MosaicRank{Field: "objectid", Desc: true}, 3, []int64{100, 99, 98}},
		// OBJECTIDs 1–10 have CloudCover 0, 37, 74, 11, 48, 85, 22, 59, 96, NULL.
		{"attribute, nulls last", "OBJECTID <= 10", mosaic.MosaicRank{Field: "CloudCover"}, 10, []int64{1, 4, 7, 2, 5, 8, 3, 6, 9, 10}},
		{"attribute descending, nulls last", "OBJECTID <= 10", mosaic.MosaicRank{Field: "CloudCover", Desc: true}, 10, []int64{9, 6, 3, 8, 5, 2, 7, 4, 1, 10}},
		{"attribute around a value", "OBJECTID <= 10", mosaic.MosaicRank{Field: "CloudCover", Base: num(50)}, 3, []int64{5, 8, 2}},
		{"date around a day", "", mosaic.MosaicRank{Field: "AcquisitionDate", Base: ms(time.Date(2024, 2, 1, 0, 0, 0, 0, time.UTC))}, 3, []int64{32, 31, 33}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := tt.rank
			page := b.query(t, mosaic.ItemQuery{Where: tt.where, Geometry: grid, SpatialRel: mosaic.SpatialRelEnvelopeIntersects,
				Rank: &r, Limit: tt.limit})
			if got := itemOIDs(page.Items); !slices.Equal(got, tt.want) {
				t.Errorf("got %v, want %v", got, tt.want)
			}
		})
	}
	for _, r := range []mosaic.MosaicRank{{}, {Field: "Nope"}, {Field: "SensorName", Base: num(1)}, {Field: "Shape"}} {
		if _, err := b.queryErr(mosaic.ItemQuery{Rank: &r}); mosaic.ErrorCode(err) != mosaic.EINVALID {
			t.Errorf("rank %+v: %v, want EINVALID", r, err)
		}
	}
}

// testQueryStream checks that StreamItems, when the store has it, returns
// what QueryItems does: the same fields, rows, values, footprints and
// paging, and the same errors.
func testQueryStream(t *testing.T, open Opener) {
	b := queryFixture(t, open)
	stream := func(q mosaic.ItemQuery) (fields []mosaic.Field, items []*mosaic.Item, more bool, err error) {
		err = b.db.View(b.ctx, func(tx mosaic.ReadTx) error {
			st, ok := tx.(mosaic.ItemStreamer)
			if !ok {
				t.Skip("the store has no ItemStreamer")
			}
			heads := 0
			more, err = st.StreamItems(b.c, q, func(fs []mosaic.Field) error {
				heads++
				fields = fs
				return nil
			}, func(r *mosaic.ItemRow) error {
				if heads != 1 {
					t.Fatalf("row before head (%d heads)", heads)
				}
				it := &mosaic.Item{OID: r.OID, Attributes: map[string]any{}}
				for i, f := range fields {
					if f.Name == mosaic.FieldNameOID {
						continue
					}
					if f.Name == mosaic.FieldNamePath {
						it.Path, _ = r.Values[i].(string)
					}
					it.Attributes[f.Name] = r.Values[i]
				}
				if r.Footprint != nil {
					g, err := wkb.Unmarshal(r.Footprint)
					if err != nil {
						return err
					}
					it.Footprint, _ = g.(orb.Polygon)
				}
				items = append(items, it)
				return nil
			})
			return err
		})
		return
	}
	queries := []mosaic.ItemQuery{
		{OutFields: "*", ReturnGeometry: true, Limit: 30},
		{OutFields: "*", ReturnGeometry: true, Limit: 30, Offset: 90},
		{OutFields: "*", Offset: 100},
		{Where: "SensorName = 'A'", OrderBy: "CloudCover DESC", Limit: 5, OutFields: "CloudCover,AcquisitionDate"},
		{Where: "CloudCover < 30", Geometry: orb.Bound{Min: orb.Point{qx0 + 150, qy0 + 150}, Max: orb.Point{qx0 + 1100, qy0 + 550}},
			OutFields: "*", ReturnGeometry: true, Limit: 1000},
		{ObjectIDs: []int64{101, 3}, OutFields: "Name", ReturnGeometry: true},
	}
	for _, q := range queries {
		fields, items, more, err := stream(q)
		if err != nil {
			t.Fatalf("StreamItems(%+v): %v", q, err)
		}
		q.NoRaster = true
		page := b.query(t, q)
		if !slices.EqualFunc(fields, page.Fields, func(a, b mosaic.Field) bool { return a.Name == b.Name && a.Type == b.Type }) {
			t.Errorf("%+v: fields %v, want %v", q, fields, page.Fields)
		}
		if more != page.More || len(items) != len(page.Items) {
			t.Fatalf("%+v: %d items, more %v; QueryItems: %d, more %v", q, len(items), more, len(page.Items), page.More)
		}
		for i, it := range items {
			want := page.Items[i]
			if it.OID != want.OID || it.Path != want.Path || fmt.Sprint(it.Attributes) != fmt.Sprint(want.Attributes) ||
				!orb.Equal(it.Footprint, want.Footprint) && !(len(it.Footprint) == 0 && len(want.Footprint) == 0) {
				t.Errorf("%+v: item %d = %+v, QueryItems %+v", q, i, it, want)
			}
		}
	}
	if _, _, _, err := stream(mosaic.ItemQuery{Where: "NoSuch = 1"}); mosaic.ErrorCode(err) != mosaic.EINVALID {
		t.Errorf("bad where: %v, want EINVALID", err)
	}
}
