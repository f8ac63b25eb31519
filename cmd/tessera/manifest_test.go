package main_test

import (
	"encoding/json"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/tessera-gis/tessera/raster/rastertest"
)

// variant is one way a manifest writes a column: the JSON member's value
// (omit: no member) and what the catalog must then hold, as ImageServer
// query answers it (numbers as float64, dates as epoch milliseconds). meta
// stands for the raster's metadata value, raster for the item's default.
type variant struct {
	json string // JSON text of the value; "" omits the member
	want any
}

// csvVariant is one way a CSV manifest writes a cell, with what the catalog
// holds under each csvEmpty rule ("quoted", the default; "empty";
// "missing").
type csvVariant struct {
	cell                 string // as written in the file, quotes included
	quoted, empty, missg any
}

const (
	fromMeta   = "\x00meta"   // the raster's metadata value
	fromRaster = "\x00raster" // the item's default (Name: the file name)
)

var (
	metaCloud  = 12.5
	metaDate   = float64(time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC).UnixMilli())
	metaSensor = "meta-sensor"
	june       = float64(time.Date(2021, 6, 1, 10, 0, 0, 0, time.UTC).UnixMilli())
	juneDay    = float64(time.Date(2021, 6, 1, 0, 0, 0, 0, time.UTC).UnixMilli())
)

// manifestColumns are the attribute columns of the trap manifests: four
// standard fields, with metadata in every raster for three of them, and two
// new fields.
var manifestColumns = []string{"Name", "CloudCover", "AcquisitionDate", "SensorName", "Code", "Orbit"}

var jsonTraps = map[string][]variant{
	"Name": {{`"  padded  "`, "  padded  "}, {`""`, ""}, {`null`, nil}, {``, fromRaster},
		{`"ünïcödé 雪 \"q\""`, `ünïcödé 雪 "q"`}, {`"tab\there\n"`, "tab\there\n"}, {`" "`, " "}},
	"CloudCover": {{`null`, nil}, {``, fromMeta}, {`"33.5"`, 33.5}, {`0`, 0.0}, {`" 7 "`, 7.0}, {`""`, nil}},
	"AcquisitionDate": {{`null`, nil}, {``, fromMeta}, {`"2021-06-01T10:00:00Z"`, june}, {`""`, nil},
		{`"2021-06-01"`, juneDay}},
	"SensorName": {{`""`, ""}, {`" S2 "`, " S2 "}, {`null`, nil}, {``, fromMeta}, {`42`, "42"}},
	"Code":       {{`"007"`, "007"}, {`"42"`, "42"}, {`null`, nil}, {``, nil}, {`"-01"`, "-01"}, {`""`, ""}},
	"Orbit":      {{`12`, 12.0}, {`null`, nil}, {``, nil}, {`13`, 13.0}},
}

var csvTraps = map[string][]csvVariant{
	"Name": {{`  padded  `, "  padded  ", "  padded  ", "  padded  "}, {`""`, "", "", fromRaster},
		{``, nil, "", fromRaster}, {`"ünï, ""q"" 雪"`, `ünï, "q" 雪`, `ünï, "q" 雪`, `ünï, "q" 雪`}, {`" "`, " ", " ", fromRaster}},
	"CloudCover": {{``, nil, nil, fromMeta}, {`""`, nil, nil, fromMeta}, {`33.5`, 33.5, 33.5, 33.5},
		{` 7 `, 7.0, 7.0, 7.0}, {`0`, 0.0, 0.0, 0.0}},
	"AcquisitionDate": {{``, nil, nil, fromMeta}, {`2021-06-01`, juneDay, juneDay, juneDay},
		{`"2021-06-01T10:00:00Z"`, june, june, june}},
	"SensorName": {{`""`, "", "", fromMeta}, {` S2 `, " S2 ", " S2 ", " S2 "}, {``, nil, "", fromMeta}, {`42`, "42", "42", "42"}},
	"Code":       {{`007`, "007", "007", "007"}, {`42`, "42", "42", "42"}, {``, nil, "", nil}, {`""`, "", "", nil}},
	"Orbit":      {{`12`, 12.0, 12.0, 12.0}, {``, nil, nil, nil}, {`13`, 13.0, 13.0, 13.0}},
}

// TestManifestRoundTrip loads 40-row JSON-lines and CSV manifests full of
// traps (explicit nulls where the rasters have metadata, "", surrounding
// spaces, unicode, numbers as strings, codes with leading zeros, missing
// members) and checks, through ImageServer query, that every cell holds
// exactly what the manifest says.
func TestManifestRoundTrip(t *testing.T) {
	t.Parallel()
	const rows, tiles = 40, 4
	dir := t.TempDir()
	src := filepath.Join(dir, "rasters")
	if err := os.MkdirAll(src, 0o755); err != nil {
		t.Fatal(err)
	}
	for i := range tiles {
		rastertest.GeoTIFF(t, filepath.Join(src, fmt.Sprintf("r%d.tif", i)),
			rastertest.GeoTransform([6]float64{500000 + float64(i)*640, 10, 0, 5000000, 0, -10}),
			rastertest.Metadata("CLOUDCOVER", "12.5"), rastertest.Metadata("ACQUISITIONDATE", "2020-01-01"),
			rastertest.Metadata("SENSORNAME", metaSensor))
	}
	// Row i takes variant i mod n of each column: the moduli differ, so
	// the 40 rows mix them.
	var jsonl strings.Builder
	wantJSON := make([]map[string]any, rows)
	csvText := "Raster," + strings.Join(manifestColumns, ",") + "\n"
	wantCSV := map[string][]map[string]any{"quoted": make([]map[string]any, rows), "empty": make([]map[string]any, rows),
		"missing": make([]map[string]any, rows)}
	for i := range rows {
		raster := fmt.Sprintf("r%d.tif", i%tiles)
		members := []string{`"Raster":"` + raster + `"`}
		cells := []string{raster}
		wantJSON[i] = map[string]any{}
		for rule := range wantCSV {
			wantCSV[rule][i] = map[string]any{}
		}
		for _, col := range manifestColumns {
			v := jsonTraps[col][i%len(jsonTraps[col])]
			if v.json != "" {
				members = append(members, fmt.Sprintf("%q:%s", col, v.json))
			}
			wantJSON[i][col] = resolve(v.want, col, i%tiles)
			c := csvTraps[col][i%len(csvTraps[col])]
			cells = append(cells, c.cell)
			wantCSV["quoted"][i][col] = resolve(c.quoted, col, i%tiles)
			wantCSV["empty"][i][col] = resolve(c.empty, col, i%tiles)
			wantCSV["missing"][i][col] = resolve(c.missg, col, i%tiles)
		}
		jsonl.WriteString("{" + strings.Join(members, ",") + "}\n")
		csvText += strings.Join(cells, ",") + "\r\n"
	}
	jsonManifest := filepath.Join(src, "traps.jsonl")
	csvManifest := filepath.Join(src, "traps.csv")
	for name, text := range map[string]string{jsonManifest: jsonl.String(), csvManifest: csvText} {
		if err := os.WriteFile(name, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	before := snapshot(t, src)
	p := startServer(t, filepath.Join(dir, "data"))

	for _, tc := range []struct {
		name, manifest, csvEmpty string
		want                     []map[string]any
		types                    map[string]string
	}{
		{"FromJSON", jsonManifest, "", wantJSON, map[string]string{"Code": "esriFieldTypeString", "Orbit": "esriFieldTypeInteger"}},
		{"FromCSV", csvManifest, "", wantCSV["quoted"], map[string]string{"Code": "esriFieldTypeString", "Orbit": "esriFieldTypeInteger"}},
		{"CSVEmpty", csvManifest, "empty", wantCSV["empty"], nil},
		{"CSVMissing", csvManifest, "missing", wantCSV["missing"], nil},
	} {
		_, job := run(t, p, "CreateImageCollection", url.Values{"imageCollection": {tc.name}})
		if job["jobStatus"] != "esriJobSucceeded" {
			t.Fatalf("%s: create: %s", tc.name, messages(job))
		}
		rt := map[string]any{"rasterTypeName": "Table"}
		if tc.csvEmpty != "" {
			rt["rasterTypeParameters"] = map[string]any{"csvEmpty": tc.csvEmpty}
		}
		_, job = run(t, p, "AddImage", url.Values{"imageCollection": {tc.name}, "inputRasters": {tc.manifest},
			"rasterType": {jsonText(rt)}})
		if job["jobStatus"] != "esriJobSucceeded" || !strings.Contains(messages(job), fmt.Sprintf("Total %d rasters: %d added", rows, rows)) {
			t.Fatalf("%s: add: %v\n%s", tc.name, job["jobStatus"], messages(job))
		}
		fields := map[string]string{}
		info := getJSON(t, p.Services()+"/"+tc.name+"/ImageServer?f=json")
		fs, _ := info["fields"].([]any)
		for _, f := range fs {
			f, _ := f.(map[string]any)
			fields[fmt.Sprint(f["name"])] = fmt.Sprint(f["type"])
		}
		for name, typ := range tc.types {
			if fields[name] != typ {
				t.Errorf("%s: field %s is %q, want %s", tc.name, name, fields[name], typ)
			}
		}
		items := liveItems(t, p, tc.name)
		if len(items) != rows {
			t.Fatalf("%s: %d items, want %d", tc.name, len(items), rows)
		}
		changed := 0
		for i := range rows {
			// OBJECTIDs follow the manifest's order.
			f := items[int64(i+1)]
			attrs, _ := f["attributes"].(map[string]any)
			for _, col := range manifestColumns {
				got, want := attrs[col], tc.want[i][col]
				if g, ok := got.(json.Number); ok {
					got, _ = g.Float64()
				}
				if got != want {
					changed++
					t.Errorf("%s: row %d, %s = %#v, want %#v", tc.name, i+1, col, got, want)
				}
			}
		}
		if changed > 0 {
			t.Errorf("%s: %d cells changed", tc.name, changed)
		}
	}
	assertUnchanged(t, src, before)
}

// resolve turns fromMeta and fromRaster into the values they stand for.
func resolve(v any, col string, tile int) any {
	switch v {
	case fromRaster:
		return fmt.Sprintf("r%d", tile)
	case fromMeta:
		return map[string]any{"CloudCover": metaCloud, "AcquisitionDate": metaDate, "SensorName": metaSensor}[col]
	}
	return v
}
