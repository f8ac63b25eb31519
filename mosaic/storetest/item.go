package storetest

import (
	"encoding/json"
	"fmt"
	"math"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/planar"

	"github.com/tessera-gis/tessera/mosaic"
)

var fieldTests = []test{
	{"AddFields", testAddFields},
	{"Values", testFieldValues},
	{"BadValues", testBadValues},
}

var itemTests = []test{
	{"AddAndRead", testAddAndRead},
	{"Invalid", testAddInvalid},
	{"Duplicates", testDuplicates},
	{"OIDsNeverReused", testOIDsNeverReused},
	{"ManyItems", testManyItems},
	{"InsertGroups", testInsertGroups},
	{"OIDsNeverReusedMixes", testOIDsNeverReusedMixes},
	{"DuplicatesInGroups", testDuplicatesInGroups},
	{"FailedGroupAdd", testFailedGroupAdd},
	{"SameItemTwice", testSameItemTwice},
	{"Summary", testSummary},
	{"BandStats", testBandStats},
	{"Import", testImportItems},
	{"ReserveOIDs", testReserveOIDs},
}

func testAddFields(t *testing.T, open Opener) {
	b := setup(t, open)
	b.add(t, item("/src/old.tif", rect(0, 0, 10, 10), 5, 1))
	n := len(b.c.Fields)
	b.update(t, func(tx mosaic.Tx) error {
		return tx.AddFields(b.c, []mosaic.Field{
			{Name: "Sun", Type: mosaic.FieldDouble},
			{Name: "cloudcover", Type: mosaic.FieldInteger}, // exists, in another case: skipped
			{Name: "Orbit", Type: mosaic.FieldInteger},
			{Name: "Platform", Type: mosaic.FieldString, Length: 20},
			{Name: "Processed", Type: mosaic.FieldDate},
		})
	})
	if len(b.c.Fields) != n+4 {
		t.Fatalf("c.Fields has %d fields, want %d", len(b.c.Fields), n+4)
	}
	got := b.collection(t)
	if !slices.Equal(got.Fields, b.c.Fields) {
		t.Errorf("stored fields %v, want %v", got.Fields, b.c.Fields)
	}
	if f, _ := got.Field("CloudCover"); f.Type != mosaic.FieldDouble {
		t.Errorf("CloudCover changed type to %s", f.Type)
	}
	day := time.Date(2023, 5, 6, 7, 8, 9, 10e6, time.UTC)
	b.add(t, &mosaic.Item{Path: "/src/new.tif", Footprint: rect(20, 0, 10, 10), Attributes: map[string]any{
		"Sun": 41.5, "orbit": int64(7), "PLATFORM": "Sentinel-2A", "Processed": day}})
	page := b.query(t, mosaic.ItemQuery{Where: "Orbit = 7 AND Sun > 40 AND Platform LIKE 'Sentinel%' AND Processed = TIMESTAMP '2023-05-06 07:08:09.010'",
		OutFields: "Sun,Orbit,Platform,Processed"})
	if len(page.Items) != 1 {
		t.Fatalf("query on new fields found %d items", len(page.Items))
	}
	a := page.Items[0].Attributes
	if a["Sun"] != 41.5 || a["Orbit"] != int64(7) || a["Platform"] != "Sentinel-2A" || a["Processed"] != day {
		t.Errorf("new fields read back as %v", a)
	}
	old := b.query(t, mosaic.ItemQuery{Where: "Orbit IS NULL", OutFields: "*"}).Items
	if len(old) != 1 || old[0].Path != "/src/old.tif" || old[0].Attributes["Sun"] != nil {
		t.Errorf("the older item has %v", old)
	}
	for _, f := range []mosaic.Field{{Name: "bad name", Type: mosaic.FieldString}, {Name: "X", Type: mosaic.FieldGeometry}, {Name: "Y", Type: "blob"}} {
		err := b.db.Update(b.ctx, func(tx mosaic.Tx) error { return tx.AddFields(b.c, []mosaic.Field{f}) })
		wantCode(t, fmt.Sprintf("AddFields(%+v)", f), err, mosaic.EINVALID)
	}
}

// testFieldValues stores every field type, NULLs included, and reads it
// back with the Go types the Item documents.
func testFieldValues(t *testing.T, open Opener) {
	b := setup(t, open)
	b.update(t, func(tx mosaic.Tx) error {
		return tx.AddFields(b.c, []mosaic.Field{{Name: "Count", Type: mosaic.FieldInteger}, {Name: "Note", Type: mosaic.FieldString}})
	})
	when := time.Date(1969, 12, 31, 23, 59, 59, 999e6, time.FixedZone("x", 3600))
	nodata := -9999.0
	in := &mosaic.Item{Path: "/vsis3/bucket/a b/ünï.tif", Footprint: rect(10, 20, 30, 40), Attributes: map[string]any{
		mosaic.FieldNameName:            "it's 100% _fun_",
		mosaic.FieldNameCloudCover:      int64(12), // widened to a double
		mosaic.FieldNameAcquisitionDate: when,
		"Count":                         float64(-3), // a whole double into an integer
		"Note":                          "",
		mosaic.FieldNameSensorName:      nil,
		mosaic.FieldNameZOrder:          "  42 ", // text into an integer
		mosaic.FieldNameMinPS:           "0.5",
		mosaic.FieldNameTag:             int64(9), // a number into a string
	}, Raster: mosaic.RasterInfo{Driver: "GTiff", Width: 7, Height: 9, Bands: 3, PixelType: "S16", NoData: &nodata,
		SRS: mosaic.SpatialRef{WKID: 32633, WKT: "PROJCS[...]"}, GeoTransform: [6]float64{10, 1, 0, 60, 0, -1},
		CellSizeX: 1, CellSizeY: 1, Overviews: 2, Stats: []mosaic.BandStats{{Min: 1, Max: 2, Mean: 1.5, Std: 0.5}}}}
	oid := b.add(t, in)[0]
	var got *mosaic.Item
	b.view(t, func(tx mosaic.ReadTx) (err error) {
		got, err = tx.Item(b.c, oid)
		return err
	})
	fp := rect(10, 20, 30, 40)
	want := map[string]any{
		mosaic.FieldNameName: "it's 100% _fun_", mosaic.FieldNameCloudCover: 12.0,
		mosaic.FieldNameAcquisitionDate: when.UTC(), "Count": int64(-3), "Note": "", mosaic.FieldNameSensorName: nil,
		mosaic.FieldNameZOrder: int64(42), mosaic.FieldNameMinPS: 0.5, mosaic.FieldNameTag: "9",
		mosaic.FieldNamePath: in.Path, mosaic.FieldNameCategory: int64(mosaic.CategoryPrimary),
		mosaic.FieldNameCenterX: 25.0, mosaic.FieldNameCenterY: 40.0,
		mosaic.FieldNameShapeArea: planar.Area(fp), mosaic.FieldNameShapeLength: 140.0,
		mosaic.FieldNameMaxPS: nil, mosaic.FieldNameLowPS: nil, mosaic.FieldNameHighPS: nil,
		mosaic.FieldNameGroupName: nil, mosaic.FieldNameProductName: nil,
	}
	if got.OID != oid || got.Path != in.Path || got.Recycled != nil {
		t.Errorf("item = OID %d, path %q, recycled %v", got.OID, got.Path, got.Recycled)
	}
	for k, v := range want {
		if g, ok := got.Attributes[k]; !ok || g != v {
			t.Errorf("%s = %#v (present %v), want %#v", k, g, ok, v)
		}
	}
	if _, ok := got.Attributes[mosaic.FieldNameOID]; ok {
		t.Errorf("OBJECTID is in Attributes; it belongs in Item.OID")
	}
	if !orb.Equal(got.Footprint, fp) {
		t.Errorf("footprint = %v, want %v", got.Footprint, fp)
	}
	if gr, wr := jsonText(got.Raster), jsonText(in.Raster); gr != wr {
		t.Errorf("raster = %+v, want %+v", got.Raster, in.Raster)
	}
	// Only the fields asked for, in catalog order with OBJECTID first;
	// NoRaster leaves the raster empty; no geometry unless asked.
	page := b.query(t, mosaic.ItemQuery{OutFields: "Note, AcquisitionDate,name", NoRaster: true})
	var names []string
	for _, f := range page.Fields {
		names = append(names, f.Name)
	}
	if w := []string{"OBJECTID", "Name", "AcquisitionDate", "Note"}; !slices.Equal(names, w) {
		t.Errorf("fields = %v, want %v", names, w)
	}
	if it := page.Items[0]; len(it.Attributes) != 3 || it.Raster.Bands != 0 || it.Footprint != nil {
		t.Errorf("partial item = %+v", it)
	}
	if _, err := b.queryErr(mosaic.ItemQuery{OutFields: "Nope"}); mosaic.ErrorCode(err) != mosaic.EINVALID {
		t.Errorf("unknown outField: %v, want EINVALID", err)
	}
}

func testBadValues(t *testing.T, open Opener) {
	b := setup(t, open)
	long := strings.Repeat("x", 201)
	for _, attrs := range []map[string]any{
		{"Nope": 1},
		{mosaic.FieldNameCloudCover: "cloudy"},
		{mosaic.FieldNameCloudCover: math.NaN()},
		{mosaic.FieldNameCloudCover: math.Inf(1)},
		{mosaic.FieldNameZOrder: 1.5},
		{mosaic.FieldNameZOrder: 1e300},
		{mosaic.FieldNameZOrder: "7x"},
		{mosaic.FieldNameName: long},
		{mosaic.FieldNameAcquisitionDate: "yesterday"},
		{mosaic.FieldNameName: []byte("x")},
	} {
		it := &mosaic.Item{Path: "/src/x.tif", Footprint: rect(0, 0, 1, 1), Attributes: attrs}
		_, err := b.addErr([]*mosaic.Item{item("/src/ok.tif", rect(0, 0, 1, 1), 1, 1), it}, mosaic.AddOptions{})
		wantCode(t, fmt.Sprintf("attributes %.40v", attrs), err, mosaic.EINVALID)
	}
	if n := len(b.items(t, false)); n != 0 {
		t.Errorf("%d items stored by failed adds", n)
	}
}

func testAddAndRead(t *testing.T, open Opener) {
	b := setup(t, open)
	var items []*mosaic.Item
	for i := range 5 {
		items = append(items, item(fmt.Sprintf("/src/%d.tif", i), rect(float64(i)*10, 0, 10, 10), float64(i), i))
	}
	res, err := b.addErr(items, mosaic.AddOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if res.Added != 5 || !slices.Equal(res.OIDs, ids(1, 5)) {
		t.Errorf("AddItems = %+v, want 5 added with OIDs 1–5", res)
	}
	for i, it := range items {
		if it.OID != int64(i+1) {
			t.Errorf("item %d has OID %d", i, it.OID)
		}
	}
	b.view(t, func(tx mosaic.ReadTx) error {
		got, err := tx.Item(b.c, 3)
		if err != nil {
			return err
		}
		if got.Path != "/src/2.tif" || got.Attributes[mosaic.FieldNameCloudCover] != 2.0 {
			t.Errorf("item 3 = %+v", got)
		}
		_, err = tx.Item(b.c, 99)
		wantCode(t, "Item(99)", err, mosaic.ENOTFOUND)
		return nil
	})
	b.mustDelete(t, mosaic.ItemDelete{Where: "OBJECTID = 3"})
	b.view(t, func(tx mosaic.ReadTx) error {
		_, err := tx.Item(b.c, 3)
		wantCode(t, "Item of a recycled item", err, mosaic.ENOTFOUND)
		return nil
	})
	// Adding nothing changes nothing.
	if res, err := b.addErr(nil, mosaic.AddOptions{}); err != nil || res.Added != 0 {
		t.Errorf("adding nothing: %+v, %v", res, err)
	}
}

func testAddInvalid(t *testing.T, open Opener) {
	b := setup(t, open)
	for name, it := range map[string]*mosaic.Item{
		"no path":      {Footprint: rect(0, 0, 1, 1)},
		"no footprint": {Path: "/src/a.tif"},
		"empty ring":   {Path: "/src/a.tif", Footprint: orb.Polygon{{}}},
	} {
		_, err := b.addErr([]*mosaic.Item{item("/src/ok.tif", rect(0, 0, 1, 1), 1, 1), it}, mosaic.AddOptions{})
		wantCode(t, name, err, mosaic.EINVALID)
	}
	if n := len(b.items(t, false)); n != 0 {
		t.Errorf("%d items stored by failed adds", n)
	}
	b.checkBoundary(t)
}

func testDuplicates(t *testing.T, open Opener) {
	b := setup(t, open)
	b.add(t, item("/src/a.tif", rect(0, 0, 10, 10), 1, 1), item("/src/b.tif", rect(10, 0, 10, 10), 2, 1))
	res, err := b.addErr([]*mosaic.Item{item("/src/a.tif", rect(0, 0, 10, 10), 3, 1), item("/src/c.tif", rect(20, 0, 10, 10), 4, 1)},
		mosaic.AddOptions{Duplicates: mosaic.DuplicatesExclude})
	if err != nil || res.Added != 1 || res.Skipped != 1 || !slices.Equal(res.OIDs, []int64{3}) {
		t.Errorf("EXCLUDE: %+v, %v; want c added as 3, a skipped", res, err)
	}
	// OVERWRITE replaces the live item with a new OID and new values; the
	// old one is gone for good, not recycled.
	res, err = b.addErr([]*mosaic.Item{item("/src/b.tif", rect(10, 0, 20, 20), 9, 2)}, mosaic.AddOptions{Duplicates: mosaic.DuplicatesOverwrite})
	if err != nil || res.Added != 1 || res.Overwritten != 1 || !slices.Equal(res.OIDs, []int64{4}) {
		t.Errorf("OVERWRITE: %+v, %v; want b replaced by 4", res, err)
	}
	live := b.items(t, false)
	if got := oids(live); !slices.Equal(got, []int64{1, 3, 4}) {
		t.Errorf("live items %v, want [1 3 4]", got)
	}
	if live[4].Attributes[mosaic.FieldNameCloudCover] != 9.0 {
		t.Errorf("overwritten item has %v", live[4].Attributes)
	}
	if n := len(b.items(t, true)); n != 0 {
		t.Errorf("OVERWRITE left %d items in the recycle bin", n)
	}
	// ALLOW (the default) adds a second item with the same path.
	res, err = b.addErr([]*mosaic.Item{item("/src/a.tif", rect(0, 0, 10, 10), 1, 1)}, mosaic.AddOptions{})
	if err != nil || res.Added != 1 {
		t.Errorf("ALLOW: %+v, %v", res, err)
	}
	if n := b.query(t, mosaic.ItemQuery{Where: "Path = '/src/a.tif'", CountOnly: true}).Count; n != 2 {
		t.Errorf("%d items with path a, want 2", n)
	}
	b.checkBoundary(t)
}

func testOIDsNeverReused(t *testing.T, open Opener) {
	b := setup(t, open)
	b.grid(t, 3, 1, 1, 0, 1)
	b.mustDelete(t, mosaic.ItemDelete{Where: "OBJECTID = 3", Purge: true})
	b.mustDelete(t, mosaic.ItemDelete{Where: "OBJECTID = 2"})
	b.purge(t, time.Now().Add(time.Hour), 0)
	if got := b.add(t, item("/src/new.tif", rect(0, 0, 1, 1), 1, 1)); !slices.Equal(got, []int64{4}) {
		t.Errorf("OID after purges = %v, want [4]", got)
	}
	// A failed add takes no OIDs.
	_, err := b.addErr([]*mosaic.Item{item("/src/x.tif", rect(0, 0, 1, 1), 1, 1), {Path: "/src/bad.tif"}}, mosaic.AddOptions{})
	wantCode(t, "bad add", err, mosaic.EINVALID)
	if got := b.add(t, item("/src/y.tif", rect(0, 0, 1, 1), 1, 1)); !slices.Equal(got, []int64{5}) {
		t.Errorf("OID after a failed add = %v, want [5]", got)
	}
}

// testManyItems: an add larger than a store's insert groups (SQLite
// writes 32 items per statement) gives every item its own OID in input
// order, stores each item's own path, footprint and fields, keeps the
// boundary right, and still never reuses an OID after the highest are
// purged.
func testManyItems(t *testing.T, open Opener) {
	b := setup(t, open)
	const n = 101 // three full groups of 32 and five more
	got := b.grid(t, 20, 5, 1, 3, 7)
	got = append(got, b.add(t, item("/src/last.tif", rect(0, 0, 1, 1), 5, 1))...)
	if !slices.Equal(got, ids(1, n)) {
		t.Fatalf("OIDs = %v, want 1…%d", got, n)
	}
	live := b.items(t, false)
	if len(live) != n {
		t.Fatalf("%d items, want %d", len(live), n)
	}
	for i := range 100 {
		it := live[int64(i+1)]
		if want := fmt.Sprintf("/src/t%d_0.tif", i); it.Path != want {
			t.Errorf("item %d: path %q, want %q", i+1, it.Path, want)
		}
		x, y := float64(i%20)*100, float64(i/20)*100
		if c := it.Footprint.Bound().Center(); math.Abs(c[0]-x-50) > 5 || math.Abs(c[1]-y-50) > 5 {
			t.Errorf("item %d (%s): footprint centred at %v, want near (%g, %g)", i+1, it.Path, c, x+50, y+50)
		}
	}
	b.checkBoundary(t)
	b.mustDelete(t, mosaic.ItemDelete{Where: "OBJECTID > 95", Purge: true})
	if got := b.add(t, item("/src/again.tif", rect(0, 0, 1, 1), 1, 1)); !slices.Equal(got, []int64{n + 1}) {
		t.Errorf("OID after purging the highest = %v, want [%d]", got, n+1)
	}
	b.checkBoundary(t)
}

func testSummary(t *testing.T, open Opener) {
	b := setup(t, open)
	if s := b.collection(t).Summary; s.Count != 0 || s.BandCount != 0 {
		t.Errorf("empty summary = %+v", s)
	}
	a := item("/src/a.tif", rect(0, 0, 10, 10), 1, 0) // LowPS 10, HighPS 40
	a.Raster = mosaic.RasterInfo{Bands: 3, PixelType: "U16", Width: 1, Height: 1}
	c := item("/src/c.tif", rect(-5, 20, 10, 10), 1, 4) // LowPS 11, HighPS 44
	c.Raster = mosaic.RasterInfo{Bands: 1, PixelType: "F32", Width: 1, Height: 1}
	b.add(t, a, c)
	s := b.collection(t).Summary
	want := mosaic.Summary{Count: 2, Extent: orb.Bound{Min: orb.Point{-5, 0}, Max: orb.Point{10, 30}},
		MinCellX: 10, MinCellY: 10, MaxCell: 44, BandCount: 3, PixelType: "U16"}
	if s != want {
		t.Errorf("summary = %+v, want %+v (band count and pixel type of the first item)", s, want)
	}
	if b.c.Summary.Count != 2 {
		t.Errorf("AddItems left c.Summary.Count at %d", b.c.Summary.Count)
	}
	b.mustDelete(t, mosaic.ItemDelete{Where: "OBJECTID = 2"})
	want.Count, want.Extent, want.MaxCell = 1, orb.Bound{Min: orb.Point{0, 0}, Max: orb.Point{10, 10}}, 40
	if s := b.collection(t).Summary; s != want {
		t.Errorf("after delete: summary = %+v, want %+v", s, want)
	}
	if b.c.Summary.Count != 1 {
		t.Errorf("DeleteItems left c.Summary.Count at %d", b.c.Summary.Count)
	}
	b.checkBoundary(t)
}

func testBandStats(t *testing.T, open Opener) {
	b := setup(t, open)
	stats := func() []mosaic.BandStats {
		var out []mosaic.BandStats
		b.view(t, func(tx mosaic.ReadTx) (err error) {
			out, err = tx.BandStats(b.c)
			return err
		})
		return out
	}
	b.add(t, item("/src/none.tif", rect(0, 0, 1, 1), 1, 1))
	if got := stats(); got != nil {
		t.Fatalf("no item has statistics, got %v", got)
	}
	// Two items: one band of 100 pixels, mean 10, std 0 in [10, 10]; and two
	// bands of 300 pixels, band 1 mean 20 std 2 in [0, 50].
	add := func(path string, w int, st ...mosaic.BandStats) {
		t.Helper()
		b.add(t, &mosaic.Item{Path: path, Footprint: rect(0, 0, 1, 1), Raster: mosaic.RasterInfo{Width: w, Height: 10, Bands: len(st), Stats: st}})
	}
	add("/data/s1.tif", 10, mosaic.BandStats{Min: 10, Max: 10, Mean: 10, Std: 0})
	add("/data/s2.tif", 30, mosaic.BandStats{Min: 0, Max: 50, Mean: 20, Std: 2}, mosaic.BandStats{Min: 1, Max: 2, Mean: 1.5, Std: 0.5})
	got := stats()
	if len(got) != 2 {
		t.Fatalf("got %d bands, want 2: %v", len(got), got)
	}
	// Pooled: mean = (100·10 + 300·20)/400 = 17.5; E[x²] = (100·100 + 300·(4+400))/400 = 328.
	want0 := mosaic.BandStats{Min: 0, Max: 50, Mean: 17.5, Std: math.Sqrt(328 - 17.5*17.5)}
	if got[0].Min != want0.Min || got[0].Max != want0.Max || math.Abs(got[0].Mean-want0.Mean) > 1e-9 || math.Abs(got[0].Std-want0.Std) > 1e-9 {
		t.Errorf("band 1 = %+v, want %+v", got[0], want0)
	}
	if want1 := (mosaic.BandStats{Min: 1, Max: 2, Mean: 1.5, Std: 0.5}); math.Abs(got[1].Mean-want1.Mean) > 1e-9 ||
		math.Abs(got[1].Std-want1.Std) > 1e-9 || got[1].Min != want1.Min || got[1].Max != want1.Max {
		t.Errorf("band 2 = %+v, want %+v", got[1], want1)
	}
	// Recycled items do not count; restored ones count again.
	b.mustDelete(t, mosaic.ItemDelete{Where: "Path = '/data/s2.tif'", JobID: "j1"})
	if got, want := stats(), []mosaic.BandStats{{Min: 10, Max: 10, Mean: 10, Std: 0}}; !slices.Equal(got, want) {
		t.Errorf("after delete: %v, want %v", got, want)
	}
	if _, err := b.restore(mosaic.ItemRestore{JobID: "j1"}); err != nil {
		t.Fatal(err)
	}
	if got := stats(); len(got) != 2 {
		t.Errorf("after restore: %v, want 2 bands", got)
	}
	b.mustDelete(t, mosaic.ItemDelete{Where: "1=1", Purge: true})
	if got := stats(); got != nil {
		t.Errorf("after purging everything: %v", got)
	}
}

func jsonText(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}

func testImportItems(t *testing.T, open Opener) {
	b := setup(t, open)
	at := time.Date(2024, 2, 3, 4, 5, 6, 7e6, time.UTC)
	in := []*mosaic.Item{
		item("/src/5.tif", rect(0, 0, 10, 10), 5, 1),
		item("/src/9.tif", rect(20, 0, 10, 10), 9, 2),
		item("/src/7.tif", rect(40, 0, 10, 10), 7, 3),
	}
	in[0].OID, in[1].OID, in[2].OID = 5, 9, 7
	in[2].Recycled = &mosaic.Recycled{At: at, JobID: "jOld"}
	in[1].Raster.Stats = []mosaic.BandStats{{Min: 1, Max: 3, Mean: 2, Std: 1}}
	b.update(t, func(tx mosaic.Tx) error { return tx.ImportItems(b.c, in) })
	if got := oids(b.items(t, false)); !slices.Equal(got, []int64{5, 9}) {
		t.Errorf("live items %v, want [5 9]", got)
	}
	bin := b.items(t, true)
	if got := oids(bin); !slices.Equal(got, []int64{7}) {
		t.Fatalf("recycle bin %v, want [7]", got)
	}
	if r := bin[7].Recycled; r == nil || !r.At.Equal(at) || r.JobID != "jOld" {
		t.Errorf("recycled item 7 carries %+v", r)
	}
	if live := b.items(t, false); live[9].Attributes[mosaic.FieldNameCloudCover] != 9.0 || live[9].Path != "/src/9.tif" {
		t.Errorf("item 9 = %+v", live[9])
	}
	b.checkBoundary(t)
	b.view(t, func(tx mosaic.ReadTx) error {
		st, err := tx.BandStats(b.c)
		if err == nil && (len(st) != 1 || st[0].Mean != 2) {
			t.Errorf("band statistics of the imported items: %v", st)
		}
		return err
	})
	// The recycle bin works on imported items; new items come after them.
	if res, err := b.restore(mosaic.ItemRestore{JobID: "jOld"}); err != nil || !slices.Equal(res.OIDs, []int64{7}) {
		t.Errorf("restore of an imported recycled item: %+v, %v", res, err)
	}
	if got := b.add(t, item("/src/new.tif", rect(60, 0, 10, 10), 1, 1)); !slices.Equal(got, []int64{10}) {
		t.Errorf("OID after an import up to 9 = %v, want [10]", got)
	}
	b.checkBoundary(t)
	again := item("/src/again.tif", rect(0, 0, 1, 1), 1, 1)
	again.OID = 9
	err := b.db.Update(b.ctx, func(tx mosaic.Tx) error { return tx.ImportItems(b.c, []*mosaic.Item{again}) })
	if err == nil {
		t.Error("an OBJECTID that is taken was imported again")
	}
	err = b.db.Update(b.ctx, func(tx mosaic.Tx) error {
		return tx.ImportItems(b.c, []*mosaic.Item{item("/src/none.tif", rect(0, 0, 1, 1), 1, 1)})
	})
	wantCode(t, "import without an OID", err, mosaic.EINVALID)
	if got := oids(b.items(t, false)); !slices.Equal(got, []int64{5, 7, 9, 10}) {
		t.Errorf("after failed imports: %v", got)
	}
}

// testReserveOIDs: LastOID counts purged items; ReserveOIDs raises the
// mark, never lowers it, and works before any item was added.
func testReserveOIDs(t *testing.T, open Opener) {
	b := setup(t, open)
	last := func() int64 {
		t.Helper()
		var n int64
		b.view(t, func(tx mosaic.ReadTx) (err error) {
			n, err = tx.LastOID(b.c)
			return err
		})
		return n
	}
	reserve := func(n int64) {
		t.Helper()
		b.update(t, func(tx mosaic.Tx) error { return tx.ReserveOIDs(b.c, n) })
	}
	if got := last(); got != 0 {
		t.Errorf("LastOID of a new collection = %d, want 0", got)
	}
	reserve(4)
	if got := last(); got != 4 {
		t.Errorf("LastOID after ReserveOIDs(4) = %d", got)
	}
	if got := b.add(t, item("/src/a.tif", rect(0, 0, 1, 1), 1, 1)); !slices.Equal(got, []int64{5}) {
		t.Errorf("OID after ReserveOIDs(4) = %v, want [5]", got)
	}
	reserve(2)
	if _, err := b.delete(mosaic.ItemDelete{Where: "1=1", Purge: true}); err != nil {
		t.Fatal(err)
	}
	if got := last(); got != 5 {
		t.Errorf("LastOID after a lower ReserveOIDs and a purge = %d, want 5", got)
	}
	if got := b.add(t, item("/src/b.tif", rect(0, 0, 1, 1), 1, 1)); !slices.Equal(got, []int64{6}) {
		t.Errorf("OID after a purge of 5 = %v, want [6]", got)
	}
}
