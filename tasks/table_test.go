package tasks_test

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/tessera-gis/tessera/mosaic"
	"github.com/tessera-gis/tessera/raster/rastertest"
)

func writeFile(t testing.TB, path, text string) string {
	t.Helper()
	if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// TestAddImageTableCSV ingests a CSV manifest: relative paths, new fields
// with inferred types, manifest values winning over the raster's, and
// footprint fields left alone.
func TestAddImageTableCSV(t *testing.T) {
	t.Parallel()
	b := setup(t)
	dir := filepath.Join(b.dir, "data")
	paths := tiles(t, filepath.Join(dir, "tiles"), 4, rastertest.Metadata("CLOUDCOVER", "12.5"))
	manifest := writeFile(t, filepath.Join(dir, "manifest.csv"), "\ufeff"+
		"Raster,Name,CloudCover,Region,Quality,Score,Captured,Blank,Shape_Area,eo:cloud_cover,LowPS\n"+
		"tiles/t000.tif,first,80,north,3,0.5,2024-05-01,,1,,\n"+
		"./tiles/t001.tif,,,\"south, east\",4,1,2024-05-02T10:00:00Z,,,,2.5\n"+
		paths[2]+",third,not-a-number,west,5,2,2024-05-03,,,,\n"+
		",nopath,1,x,6,3,2024-05-04,,,,\n"+
		"tiles/t003.tif,fourth,10,,7,4.25,,,,,\n")
	before := rastertest.Checksums(t, append(paths, manifest)...)
	b.create("Manifest", "")
	j := b.succeed("AddImage", map[string]string{"imageCollection": "Manifest", "inputRasters": manifest,
		"rasterType": "Table"})
	if c := counts(t, j); c != [4]int{5, 3, 0, 2} {
		t.Errorf("counts %v\n%s", c, msgs(j))
	}
	m := msgs(j)
	for _, want := range []string{
		"New fields: Region (text), Quality (integer), Score (number), Captured (date), Blank (text).",
		"Ignored columns: Shape_Area (Shape_Area is computed from the footprint); eo:cloud_cover (column CloudCover already fills CloudCover).",
		"Failed to add row 3 of manifest.csv: Column CloudCover: the value is not a valid number for field CloudCover.",
		"Failed to add row 4 of manifest.csv: The row has no raster path.",
	} {
		if !strings.Contains(m, want) {
			t.Errorf("messages do not say %q:\n%s", want, m)
		}
	}
	c := b.collection("Manifest")
	for name, typ := range map[string]mosaic.FieldType{"Region": mosaic.FieldString, "Quality": mosaic.FieldInteger,
		"Score": mosaic.FieldDouble, "Captured": mosaic.FieldDate} {
		if f, ok := c.Field(name); !ok || f.Type != typ {
			t.Errorf("field %s: %+v, want type %s", name, f, typ)
		}
	}
	items := b.items("Manifest")
	first := itemByName(t, items, "first")
	if first.Path != paths[0] || first.Attributes["CloudCover"] != 80.0 || first.Attributes["Region"] != "north" ||
		first.Attributes["Quality"] != int64(3) || first.Attributes["Score"] != 0.5 ||
		!first.Attributes["Captured"].(time.Time).Equal(time.Date(2024, 5, 1, 0, 0, 0, 0, time.UTC)) ||
		first.Attributes["Shape_Area"] != 640.0*640 || first.Attributes["LowPS"] != 10.0 {
		t.Errorf("first: %v", first.Attributes)
	}
	// Empty cells are NULL (csvEmpty "quoted"), not the raster's values;
	// the manifest's LowPS wins.
	second := items[1]
	if second.Path != paths[1] || second.Attributes["Name"] != nil || second.Attributes["CloudCover"] != nil ||
		second.Attributes["Region"] != "south, east" || second.Attributes["LowPS"] != 2.5 {
		t.Errorf("second: %s %v", second.Path, second.Attributes)
	}
	before.AssertUnchanged(t)
}

// TestAddImageTableSTAC ingests STAC items as JSON lines, with remote
// assets read through /vsicurl/ and STAC names mapped onto the standard
// fields.
func TestAddImageTableSTAC(t *testing.T) {
	t.Parallel()
	b := setup(t)
	dir := filepath.Join(b.dir, "data")
	paths := tiles(t, dir, 2)
	srv := b.fileServer(dir)
	item := func(id, href, date string, cloud float64) string {
		return jsonText(map[string]any{
			"type": "Feature", "stac_version": "1.0.0", "id": id, "collection": "s2",
			"bbox":       []float64{15, 45, 15.1, 45.1},
			"geometry":   map[string]any{"type": "Point", "coordinates": []float64{15, 45}},
			"properties": map[string]any{"datetime": date, "eo:cloud_cover": cloud, "platform": "sentinel-2a", "s2:mgrs_tile": "33TWN"},
			"assets": map[string]any{"visual": map[string]any{"href": href, "type": "image/tiff"},
				"thumbnail": map[string]any{"href": "https://example.com/thumb.png"}},
			"links": []any{},
		})
	}
	manifest := writeFile(t, filepath.Join(b.dir, "items.ndjson"),
		item("S2A_1", srv+"/t000.tif", "2024-05-01T10:00:00Z", 5.5)+"\n"+
			item("S2A_2", "t001.tif", "2024-05-02T10:00:00Z", 60)+"\n")
	// The second href is relative: it resolves against the manifest's
	// directory, which has no t001.tif, so that row fails.
	before := rastertest.Checksums(t, append(paths, manifest)...)
	b.create("Stac", `{"outSR": 4326}`)
	j := b.succeed("AddImage", map[string]string{"imageCollection": "Stac", "inputRasters": manifest,
		"rasterType": `{"rasterTypeName": "Table", "rasterTypeParameters": {"rasterPathField": "assets.visual.href", "fieldMap": {"collection": ""}}}`})
	if c := counts(t, j); c != [4]int{2, 1, 0, 1} {
		t.Errorf("counts %v\n%s", c, msgs(j))
	}
	items := b.items("Stac")
	if len(items) != 1 {
		t.Fatalf("%d items", len(items))
	}
	it := items[0]
	if it.Path != "/vsicurl/"+srv+"/t000.tif" || it.Attributes["CloudCover"] != 5.5 || it.Attributes["SensorName"] != "sentinel-2a" ||
		it.Attributes["id"] != "S2A_1" || it.Attributes["s2_mgrs_tile"] != "33TWN" ||
		!it.Attributes["AcquisitionDate"].(time.Time).Equal(time.Date(2024, 5, 1, 10, 0, 0, 0, time.UTC)) {
		t.Errorf("item %s: %v", it.Path, it.Attributes)
	}
	c := b.collection("Stac")
	for _, f := range []string{"type", "stac_version", "collection", "bbox"} {
		if _, ok := c.Field(f); ok {
			t.Errorf("field %s was added", f)
		}
	}
	before.AssertUnchanged(t)
}

// TestAddImageTableGdaltindex migrates gdaltindex outputs (GeoPackage and
// CSV, with relative paths in the location column).
func TestAddImageTableGdaltindex(t *testing.T) {
	t.Parallel()
	b := setup(t)
	dir := filepath.Join(b.dir, "data")
	paths := tiles(t, dir, 3)
	for _, idx := range []struct{ name, driver string }{{"index.gpkg", "GPKG"}, {"index.csv", "CSV"}} {
		cmd := exec.Command("gdaltindex", "-f", idx.driver, "-lyr_name", "index", "-src_srs_name", "src_srs", idx.name, "t000.tif", "t001.tif", "t002.tif")
		cmd.Dir = dir
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("gdaltindex: %v\n%s", err, out)
		}
	}
	before := rastertest.Checksums(t, append(paths, filepath.Join(dir, "index.gpkg"), filepath.Join(dir, "index.csv"))...)
	for _, idx := range []string{"index.gpkg", "index.csv"} {
		name := strings.ReplaceAll(strings.TrimSuffix(idx, ".gpkg"), ".", "_")
		b.create(name, "")
		j := b.succeed("AddImage", map[string]string{"imageCollection": name, "inputRasters": filepath.Join(dir, idx),
			"rasterType": "Table"})
		if c := counts(t, j); c != [4]int{3, 3, 0, 0} {
			t.Errorf("%s: counts %v\n%s", idx, c, msgs(j))
		}
		for i, it := range b.items(name) {
			if it.Path != paths[i] || it.Attributes["src_srs"] != "EPSG:32633" {
				t.Errorf("%s: item %s %v", idx, it.Path, it.Attributes)
			}
		}
	}
	// A named path column that does not exist fails the job clearly.
	b.create("Missing", "")
	j := b.run("AddImage", map[string]string{"imageCollection": "Missing", "inputRasters": filepath.Join(dir, "index.csv"),
		"rasterType": `{"rasterTypeName":"Table","rasterTypeParameters":{"rasterPathField":"file"}}`})
	if j.State != mosaic.JobFailed || !strings.Contains(msgs(j), `has no column "file" (rasterPathField)`) {
		t.Errorf("%s\n%s", j.State, msgs(j))
	}
	before.AssertUnchanged(t)
}

// TestAddImageTableNoContents names text, JSON, XML and binary files that
// hold a secret as manifests (and as rasters), in every way that used to
// echo a file's contents: wrong columns, rasterPathField set to the first
// line, a fieldMap onto a numeric field, malformed JSON, a binary file. No
// job message may contain the secret.
func TestAddImageTableNoContents(t *testing.T) {
	t.Parallel()
	b := setup(t)
	dir := filepath.Join(b.dir, "data")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	const secret = "S3CR3T-t0ken"
	binary := []byte("\x00\x01\xff\xfeGIF8" + secret + "\x00\n" + secret + ",\x00\"\n")
	files := map[string]string{
		"notes.txt":      secret + "\nuser " + secret + "\n" + secret + ";" + secret + "\n",
		"one.csv":        secret + "\n" + secret + "2\n",
		"two.csv":        "Raster,Val\nmissing.tif," + secret + "\n",
		"bad.json":       `{"Raster": "x.tif", "a": ` + secret + `}`,
		"keys.json":      `{"` + secret + `": "` + secret + `"}` + "\n",
		"notobj.json":    `"` + secret + `"`,
		"quote.csv":      "Raster,x\n\"a\"" + secret + "\"\n",
		"secret.xml":     "<" + secret + "><a>" + secret + "</a>",
		"secret.gpkg":    string(binary),
		"secret.bin":     string(binary),
		"binary.csv":     string(binary),
		"secret.vrt":     "<VRTDataset><" + secret + ">" + secret,
		"secret.tif":     string(binary),
		"secret.geojson": `{"type":"FeatureCollection","features":[{"type":"Feature","properties":{"` + secret + `":1}}]}`,
	}
	for name, text := range files {
		writeFile(t, filepath.Join(dir, name), text)
	}
	b.create("Secret", "")
	table := func(params string) string {
		return `{"rasterTypeName":"Table","rasterTypeParameters":` + params + `}`
	}
	cases := []struct{ input, rasterType string }{
		{"notes.txt", "Table"},
		{"notes.txt", table(`{"rasterPathField":"` + secret + `"}`)},
		{"one.csv", table(`{"rasterPathField":"` + secret + `"}`)},
		{"one.csv", "Table"},
		{"two.csv", table(`{"fieldMap":{"Val":"CloudCover"}}`)},
		{"two.csv", table(`{"fieldMap":{"Val":"AcquisitionDate"}}`)},
		{"two.csv", table(`{"rasterPathField":"Val"}`)},
		{"bad.json", "Table"},
		{"keys.json", "Table"},
		{"keys.json", table(`{"rasterPathField":"assets.x.href"}`)},
		{"keys.json", table(`{"rasterPathField":"` + secret + `"}`)},
		{"notobj.json", "Table"},
		{"quote.csv", "Table"},
		{"secret.xml", "Table"},
		{"secret.gpkg", "Table"},
		{"secret.bin", "Table"},
		{"binary.csv", "Table"},
		{"binary.csv", table(`{"rasterPathField":"` + secret + `"}`)},
		{"secret.geojson", table(`{"rasterPathField":"a.b"}`)},
		{"secret.vrt", "Raster Dataset"},
		{"secret.tif", "Raster Dataset"},
		{"secret.xml", "Raster Dataset"},
	}
	for _, c := range cases {
		j := b.run("AddImage", map[string]string{"imageCollection": "Secret", "inputRasters": filepath.Join(dir, c.input),
			"rasterType": c.rasterType})
		if m := msgs(j); strings.Contains(m, secret) || strings.Contains(m, "t0ken") {
			t.Errorf("%s as %s: the messages quote the file:\n%s", c.input, c.rasterType, m)
		}
		if j.State == mosaic.JobSucceeded && counts(t, j)[1] > 0 {
			t.Errorf("%s as %s: added items:\n%s", c.input, c.rasterType, msgs(j))
		}
	}
	if n := len(b.items("Secret")); n != 0 {
		t.Errorf("%d items", n)
	}
}

// TestAddImageRemoteFailuresReadAlike adds URLs that fail in different
// ways (404, 403, a server that answers with a secret, a closed port): each
// is one warning, and all give the same reason, which quotes nothing.
func TestAddImageRemoteFailuresReadAlike(t *testing.T) {
	t.Parallel()
	const secret = "S3CR3T-answer"
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/forbidden.tif":
			http.Error(w, secret, http.StatusForbidden)
		case "/text.tif":
			fmt.Fprintln(w, secret)
		default:
			http.Error(w, secret, http.StatusNotFound)
		}
	}))
	t.Cleanup(srv.Close)
	closed := httptest.NewServer(http.NotFoundHandler())
	closedURL := closed.URL + "/x.tif"
	closed.Close()
	b := setup(t, srv.URL+"/", closed.URL+"/")
	b.create("Remote", `{"outSR": 32633}`)
	urls := []string{srv.URL + "/missing.tif", srv.URL + "/forbidden.tif", closedURL}
	// Every raster fails, so the job fails, each reason a warning.
	j := b.run("AddImage", map[string]string{"imageCollection": "Remote", "inputRasters": jsonText(append(urls, srv.URL+"/text.tif"))})
	m := msgs(j)
	if j.State != mosaic.JobFailed {
		t.Errorf("every raster failing: %s", j.State)
	}
	if strings.Contains(m, secret) {
		t.Errorf("the messages quote an answer:\n%s", m)
	}
	for _, u := range urls {
		if want := "warning: Failed to add /vsicurl/" + u + ": GDAL cannot read it as a raster: it does not exist or cannot be reached."; !strings.Contains(m, want) {
			t.Errorf("no %q:\n%s", want, m)
		}
	}
}
