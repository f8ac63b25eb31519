package sqlite_test

import (
	"context"
	"fmt"
	"math"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/paulmach/orb"

	"github.com/tessera-gis/tessera/mosaic"
	"github.com/tessera-gis/tessera/mosaic/sqlite"
)

// queryFixture is a catalog in EPSG:32633 (UTM, so coordinates are large
// enough for the R*Tree's 32-bit floats to round): a 10×10 grid of
// 100 m squares at (x0 + 100·col, y0 + 100·row), OBJECTIDs 1–100 row by
// row, plus item 101, a triangle, and item 102, a square just 1 cm east of
// the grid.
type queryFixture struct {
	db *sqlite.DB
	c  *mosaic.Collection
}

const (
	qx0 = 600000.0
	qy0 = 5300000.0
)

func gridSquare(col, row int) orb.Polygon {
	x, y := qx0+float64(col)*100, qy0+float64(row)*100
	return orb.Bound{Min: orb.Point{x, y}, Max: orb.Point{x + 100, y + 100}}.ToPolygon()
}

func newQueryFixture(t *testing.T) *queryFixture {
	t.Helper()
	ctx := context.Background()
	db, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "tessera.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	c := &mosaic.Collection{Name: "Grid", SRS: mosaic.SpatialRef{WKID: 32633}}
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
		it := &mosaic.Item{Path: fmt.Sprintf("/data/grid_%03d.tif", i), Footprint: gridSquare(i%10, i/10), Attributes: attrs,
			Raster: mosaic.RasterInfo{Width: 10, Height: 10, Bands: 1, PixelType: "U8"}}
		items = append(items, it)
	}
	// 101: the triangle (qx0+1000, qy0) – (qx0+1200, qy0) – (qx0+1000, qy0+200),
	// whose bounding box reaches (qx0+1200, qy0+200) but whose shape does not.
	tri := orb.Polygon{orb.Ring{{qx0 + 1000, qy0}, {qx0 + 1000, qy0 + 200}, {qx0 + 1200, qy0}, {qx0 + 1000, qy0}}}
	items = append(items, &mosaic.Item{Path: "/data/triangle.tif", Footprint: tri, Raster: mosaic.RasterInfo{Width: 1, Height: 1, Bands: 1}})
	// 102: 1 cm east of the grid's east edge (x = qx0+1000): below the
	// R*Tree's resolution there.
	near := orb.Bound{Min: orb.Point{qx0 + 1000.01, qy0 + 500}, Max: orb.Point{qx0 + 1000.5, qy0 + 600}}.ToPolygon()
	items = append(items, &mosaic.Item{Path: "/data/near.tif", Footprint: near, Raster: mosaic.RasterInfo{Width: 1, Height: 1, Bands: 1}})
	err = db.Update(ctx, func(tx mosaic.Tx) error {
		if err := tx.CreateCollection(c); err != nil {
			return err
		}
		_, err := tx.AddItems(c, items, mosaic.AddOptions{})
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return &queryFixture{db: db, c: c}
}

func (f *queryFixture) query(t *testing.T, q mosaic.ItemQuery) *mosaic.ItemPage {
	t.Helper()
	page, err := f.queryErr(q)
	if err != nil {
		t.Fatalf("QueryItems(%+v): %v", q, err)
	}
	return page
}

func (f *queryFixture) queryErr(q mosaic.ItemQuery) (*mosaic.ItemPage, error) {
	var page *mosaic.ItemPage
	err := f.db.View(context.Background(), func(tx mosaic.ReadTx) (err error) {
		page, err = tx.QueryItems(f.c, q)
		return err
	})
	return page, err
}

func itemOIDs(items []*mosaic.Item) []int64 {
	out := make([]int64, 0, len(items))
	for _, it := range items {
		out = append(out, it.OID)
	}
	return out
}

func ids(from, to int64) []int64 {
	var out []int64
	for i := from; i <= to; i++ {
		out = append(out, i)
	}
	return out
}

func TestQueryItemsPaging(t *testing.T) {
	t.Parallel()
	f := newQueryFixture(t)
	var got []int64
	for offset := 0; ; offset += 30 {
		page := f.query(t, mosaic.ItemQuery{Offset: offset, Limit: 30})
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

	page := f.query(t, mosaic.ItemQuery{Where: "SensorName = 'A'", OrderBy: "CloudCover DESC", Limit: 5, OutFields: "CloudCover"})
	var prev = math.Inf(1)
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
}

func TestQueryItemsFieldsAndDates(t *testing.T) {
	t.Parallel()
	f := newQueryFixture(t)
	page := f.query(t, mosaic.ItemQuery{ObjectIDs: []int64{3}, OutFields: "AcquisitionDate,Name", ReturnGeometry: true})
	if len(page.Items) != 1 {
		t.Fatalf("got %d items", len(page.Items))
	}
	var names []string
	for _, fl := range page.Fields {
		names = append(names, fl.Name)
	}
	if want := []string{"OBJECTID", "Name", "AcquisitionDate"}; !slices.Equal(names, want) {
		t.Errorf("fields = %v, want %v (catalog order, OBJECTID first)", names, want)
	}
	it := page.Items[0]
	if got, ok := it.Attributes[mosaic.FieldNameAcquisitionDate].(time.Time); !ok || !got.Equal(time.Date(2024, 1, 3, 0, 0, 0, 0, time.UTC)) {
		t.Errorf("AcquisitionDate = %v, want 2024-01-03", it.Attributes[mosaic.FieldNameAcquisitionDate])
	}
	if got, want := it.Footprint.Bound(), gridSquare(2, 0).Bound(); got != want {
		t.Errorf("footprint bound = %v, want %v", got, want)
	}
	if _, err := f.queryErr(mosaic.ItemQuery{OutFields: "Nope"}); mosaic.ErrorCode(err) != mosaic.EINVALID {
		t.Errorf("unknown outField: %v, want EINVALID", err)
	}
	if _, err := f.queryErr(mosaic.ItemQuery{OrderBy: "Shape"}); mosaic.ErrorCode(err) != mosaic.EINVALID {
		t.Errorf("orderBy Shape: %v, want EINVALID", err)
	}
	if _, err := f.queryErr(mosaic.ItemQuery{Where: "CloudCover >"}); mosaic.ErrorCode(err) != mosaic.EINVALID {
		t.Errorf("bad where: %v, want EINVALID", err)
	}
}

func TestQueryItemsSpatial(t *testing.T) {
	t.Parallel()
	f := newQueryFixture(t)
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
		{"far away", box(-5000, -5000, -4000, -4000), mosaic.SpatialRelIntersects, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			page := f.query(t, mosaic.ItemQuery{Geometry: tt.g, SpatialRel: tt.rel})
			if got := itemOIDs(page.Items); !slices.Equal(got, tt.want) && !(len(got) == 0 && len(tt.want) == 0) {
				t.Errorf("got %v, want %v", got, tt.want)
			}
			n := f.query(t, mosaic.ItemQuery{Geometry: tt.g, SpatialRel: tt.rel, CountOnly: true}).Count
			if n != int64(len(tt.want)) {
				t.Errorf("count = %d, want %d", n, len(tt.want))
			}
			idPage := f.query(t, mosaic.ItemQuery{Geometry: tt.g, SpatialRel: tt.rel, IDsOnly: true})
			if !slices.Equal(idPage.IDs, tt.want) && !(len(idPage.IDs) == 0 && len(tt.want) == 0) {
				t.Errorf("ids = %v, want %v", idPage.IDs, tt.want)
			}
		})
	}
}

func TestQueryItemsCountExtentAndRecycled(t *testing.T) {
	t.Parallel()
	f := newQueryFixture(t)
	page := f.query(t, mosaic.ItemQuery{Where: "OBJECTID <= 100", ExtentOnly: true})
	want := orb.Bound{Min: orb.Point{qx0, qy0}, Max: orb.Point{qx0 + 1000, qy0 + 1000}}
	if page.Count != 100 || page.Extent != want {
		t.Errorf("count, extent = %d, %v; want 100, %v", page.Count, page.Extent, want)
	}
	err := f.db.Update(context.Background(), func(tx mosaic.Tx) error {
		_, err := tx.DeleteItems(f.c, mosaic.ItemDelete{Where: "OBJECTID > 90"})
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	page = f.query(t, mosaic.ItemQuery{ExtentOnly: true})
	want = orb.Bound{Min: orb.Point{qx0, qy0}, Max: orb.Point{qx0 + 1000, qy0 + 900}}
	if page.Count != 90 || page.Extent != want {
		t.Errorf("after delete: count, extent = %d, %v; want 90, %v", page.Count, page.Extent, want)
	}
	// Recycled items stay in the R*Tree but no spatial query finds them.
	page = f.query(t, mosaic.ItemQuery{Geometry: orb.Point{qx0 + 50, qy0 + 950}})
	if len(page.Items) != 0 {
		t.Errorf("a recycled item was found: %v", itemOIDs(page.Items))
	}
	page = f.query(t, mosaic.ItemQuery{Geometry: orb.Point{qx0 + 50, qy0 + 950}, Recycled: true})
	if got := itemOIDs(page.Items); !slices.Equal(got, []int64{91}) {
		t.Errorf("recycle bin: %v, want [91]", got)
	}
	if n := f.query(t, mosaic.ItemQuery{Where: "1=0", CountOnly: true}).Count; n != 0 {
		t.Errorf("count of nothing = %d", n)
	}
}

func TestQueryItemsRank(t *testing.T) {
	t.Parallel()
	f := newQueryFixture(t)
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
		// CloudCover = 37·i mod 100 for OBJECTID i+1, NULL for every tenth:
		// OBJECTIDs 1–10 have 0, 37, 74, 11, 48, 85, 22, 59, 96, NULL.
		{"attribute, nulls last", "OBJECTID <= 10", mosaic.MosaicRank{Field: "CloudCover"}, 10, []int64{1, 4, 7, 2, 5, 8, 3, 6, 9, 10}},
		{"attribute descending, nulls last", "OBJECTID <= 10", mosaic.MosaicRank{Field: "CloudCover", Desc: true}, 10, []int64{9, 6, 3, 8, 5, 2, 7, 4, 1, 10}},
		{"attribute around a value", "OBJECTID <= 10", mosaic.MosaicRank{Field: "CloudCover", Base: num(50)}, 3, []int64{5, 8, 2}},
		{"date around a day", "", mosaic.MosaicRank{Field: "AcquisitionDate", Base: ms(time.Date(2024, 2, 1, 0, 0, 0, 0, time.UTC))}, 3, []int64{32, 31, 33}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := tt.rank
			page := f.query(t, mosaic.ItemQuery{Where: tt.where, Geometry: grid, SpatialRel: mosaic.SpatialRelEnvelopeIntersects,
				Rank: &r, Limit: tt.limit})
			if got := itemOIDs(page.Items); !slices.Equal(got, tt.want) {
				t.Errorf("got %v, want %v", got, tt.want)
			}
		})
	}
	for _, r := range []mosaic.MosaicRank{{}, {Field: "Nope"}, {Field: "SensorName", Base: num(1)}} {
		if _, err := f.queryErr(mosaic.ItemQuery{Rank: &r}); mosaic.ErrorCode(err) != mosaic.EINVALID {
			t.Errorf("rank %+v: %v, want EINVALID", r, err)
		}
	}
}

func TestBandStats(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	f := newQueryFixture(t)
	stats := func() []mosaic.BandStats {
		var out []mosaic.BandStats
		if err := f.db.View(ctx, func(tx mosaic.ReadTx) (err error) {
			out, err = tx.BandStats(f.c)
			return err
		}); err != nil {
			t.Fatal(err)
		}
		return out
	}
	if got := stats(); got != nil {
		t.Fatalf("no item has statistics, got %v", got)
	}
	// Two items: one band of 100 pixels, mean 10, std 0 in [10, 10]; and two
	// bands of 300 pixels, band 1 mean 20 std 2 in [0, 50].
	add := func(path string, w int, st ...mosaic.BandStats) {
		t.Helper()
		it := &mosaic.Item{Path: path, Footprint: gridSquare(20, 20), Raster: mosaic.RasterInfo{Width: w, Height: 10, Bands: len(st), Stats: st}}
		if err := f.db.Update(ctx, func(tx mosaic.Tx) error {
			_, err := tx.AddItems(f.c, []*mosaic.Item{it}, mosaic.AddOptions{})
			return err
		}); err != nil {
			t.Fatal(err)
		}
	}
	add("/data/s1.tif", 10, mosaic.BandStats{Min: 10, Max: 10, Mean: 10, Std: 0})
	add("/data/s2.tif", 30, mosaic.BandStats{Min: 0, Max: 50, Mean: 20, Std: 2}, mosaic.BandStats{Min: 1, Max: 2, Mean: 1.5, Std: 0.5})
	got := stats()
	if len(got) != 2 {
		t.Fatalf("got %d bands, want 2: %v", len(got), got)
	}
	// Pooled: mean = (100·10 + 300·20)/400 = 17.5; E[x²] = (100·100 + 300·(4+400))/400 = 328; var = 328 − 306.25.
	want0 := mosaic.BandStats{Min: 0, Max: 50, Mean: 17.5, Std: math.Sqrt(328 - 17.5*17.5)}
	if d := math.Abs(got[0].Std - want0.Std); got[0].Min != want0.Min || got[0].Max != want0.Max || got[0].Mean != want0.Mean || d > 1e-9 {
		t.Errorf("band 1 = %+v, want %+v", got[0], want0)
	}
	if want1 := (mosaic.BandStats{Min: 1, Max: 2, Mean: 1.5, Std: 0.5}); got[1] != want1 {
		t.Errorf("band 2 = %+v, want %+v", got[1], want1)
	}
	// Removing the second item leaves the first one's statistics.
	if err := f.db.Update(ctx, func(tx mosaic.Tx) error {
		_, err := tx.DeleteItems(f.c, mosaic.ItemDelete{Where: "Path = '/data/s2.tif'"})
		return err
	}); err != nil {
		t.Fatal(err)
	}
	if got, want := stats(), []mosaic.BandStats{{Min: 10, Max: 10, Mean: 10, Std: 0}}; !slices.Equal(got, want) {
		t.Errorf("after delete: %v, want %v", got, want)
	}
}
