package main_test

import (
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/tessera-gis/tessera/raster/rastertest"
)

// TestIngest drives CreateImageCollection and AddImage through the HTTP
// API of the real binary: a new collection from a directory, its result
// and service listing, a taken name, a Table manifest that adds fields,
// duplicates, a failing raster, and untouched sources.
func TestIngest(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	src := filepath.Join(dir, "rasters")
	if err := os.MkdirAll(src, 0o755); err != nil {
		t.Fatal(err)
	}
	for i := range 6 {
		rastertest.GeoTIFF(t, filepath.Join(src, fmt.Sprintf("scene%d.tif", i)),
			rastertest.GeoTransform([6]float64{500000 + float64(i)*640, 10, 0, 5000000, 0, -10}),
			rastertest.Metadata("CLOUDCOVER", fmt.Sprint(i*10)))
	}
	manifest := filepath.Join(src, "manifest.csv")
	if err := os.WriteFile(manifest, []byte("Raster,Grade,Orbit\nscene0.tif,A,12\nscene1.tif,B,13\nmissing.tif,C,14\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	before := snapshot(t, src)
	p := startServer(t, filepath.Join(dir, "data"))

	id := submit(t, p, "CreateImageCollection", url.Values{
		"imageCollection": {`{"serviceProperties":{"name":"Scenes"}}`},
		"inputRasters":    {filepath.Join(src, "*.tif")},
		"rasterType":      {`{"rasterTypeName":"Raster Dataset","rasterTypeParameters":{"averagezdem":{"url":"https://elevation3d.arcgis.com/arcgis/rest/services/WorldElevation3D/Terrain3D/ImageServer"}}}`},
		"context":         {`{"outSR":{"wkid":4326}}`},
	})
	job := wait(t, p, "CreateImageCollection", id)
	if job["jobStatus"] != "esriJobSucceeded" {
		t.Fatalf("create: %v\n%s", job, messages(job))
	}
	if !strings.Contains(messages(job), "Total 6 rasters: 6 added, 0 skipped as duplicates, 0 failed.") {
		t.Errorf("messages:\n%s", messages(job))
	}
	serviceURL := p.Services() + "/Scenes/ImageServer"
	res := getJSON(t, p.GP("CreateImageCollection")+"/jobs/"+id+"/results/result?f=json")
	value, _ := res["value"].(map[string]any)
	if value["url"] != serviceURL || value["itemId"] == nil || value["itemId"] == "" {
		t.Errorf("result %v", res)
	}
	services := getJSON(t, p.Services()+"?f=json")
	if !strings.Contains(jsonText(services["services"]), `{"name":"Scenes","type":"ImageServer"}`) {
		t.Errorf("services = %v", services["services"])
	}
	info := getJSON(t, serviceURL+"?f=json")
	if sr := jsonText(info["spatialReference"]); !strings.Contains(sr, `"wkid":4326`) {
		t.Errorf("spatialReference %s", sr)
	}
	if info["serviceItemId"] != value["itemId"] {
		t.Errorf("serviceItemId %v, itemId %v", info["serviceItemId"], value["itemId"])
	}
	if n := count(t, p, "Scenes", "CloudCover >= 30"); n != 3 {
		t.Errorf("%d items with CloudCover >= 30, want 3", n)
	}

	// A taken name is a synchronous error envelope.
	m := postForm(t, p.GP("CreateImageCollection")+"/submitJob", url.Values{"imageCollection": {"scenes"}})
	e, _ := m["error"].(map[string]any)
	if e == nil || !strings.Contains(fmt.Sprint(e["message"]), "already exists") {
		t.Errorf("taken name: %v", m)
	}

	// A manifest with two new columns and a failure; EXCLUDE skips the
	// rows whose rasters are already items, so it adds nothing, and no
	// field either.
	id = submit(t, p, "AddImage", url.Values{
		"imageCollection": {`{"url":"` + serviceURL + `"}`},
		"inputRasters":    {`{"uris":["` + manifest + `"]}`},
		"rasterType":      {"Table"},
		"context":         {`{"duplicateItemsAction":"EXCLUDE_DUPLICATES"}`},
	})
	job = wait(t, p, "AddImage", id)
	if job["jobStatus"] != "esriJobSucceeded" {
		t.Fatalf("add: %v\n%s", job, messages(job))
	}
	msgs := messages(job)
	for _, want := range []string{
		"Total 3 rasters: 0 added, 2 skipped as duplicates, 1 failed.",
		"esriJobMessageTypeWarning: Failed to add row 3 of manifest.csv: it is not a readable file inside a registered data store.",
		"New fields: Grade (text), Orbit (integer).",
	} {
		if !strings.Contains(msgs, want) {
			t.Errorf("messages do not say %q:\n%s", want, msgs)
		}
	}
	res = getJSON(t, p.GP("AddImage")+"/jobs/"+id+"/results/result?f=json")
	value, _ = res["value"].(map[string]any)
	if value["url"] != serviceURL || value["total"] != 3.0 || value["added"] != 0.0 || value["skipped"] != 2.0 || value["failed"] != 1.0 {
		t.Errorf("result %v", res)
	}
	if fields := jsonText(getJSON(t, serviceURL+"?f=json")["fields"]); strings.Contains(fields, "Grade") || strings.Contains(fields, "Orbit") {
		t.Errorf("an ingest that added no item added fields: %s", fields)
	}

	// OVERWRITE replaces the two items with the manifest's values.
	id = submit(t, p, "AddImage", url.Values{
		"imageCollection": {"Scenes"}, "inputRasters": {manifest}, "rasterType": {"Table"},
		"context": {`{"duplicateItemsAction":"OVERWRITE"}`},
	})
	if job = wait(t, p, "AddImage", id); job["jobStatus"] != "esriJobSucceeded" {
		t.Fatalf("overwrite: %v\n%s", job, messages(job))
	}
	fields := jsonText(getJSON(t, serviceURL+"?f=json")["fields"])
	if !strings.Contains(fields, `"name":"Grade","type":"esriFieldTypeString"`) || !strings.Contains(fields, `"name":"Orbit","type":"esriFieldTypeInteger"`) {
		t.Errorf("fields %s", fields)
	}
	if n := count(t, p, "Scenes", "Grade = 'B' AND Orbit = 13"); n != 1 {
		t.Errorf("%d items with Grade B", n)
	}
	if n := count(t, p, "Scenes", "1=1"); n != 6 {
		t.Errorf("%d items, want 6", n)
	}
	assertUnchanged(t, src, before)
}

// TestIngestKill kills the server (SIGKILL) while a Table AddImage runs,
// after it has read some batches: after a restart the job is failed with a
// message saying it changed nothing, the collection has no item and none
// of the manifest's new fields, the staged items are gone from disk, and
// the sources are intact.
func TestIngestKill(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	src := filepath.Join(dir, "rasters")
	if err := os.MkdirAll(src, 0o755); err != nil {
		t.Fatal(err)
	}
	const n, batch = 400, 20
	csv := "Raster,Region\n"
	for i := range n {
		name := fmt.Sprintf("k%03d.tif", i)
		rastertest.GeoTIFF(t, filepath.Join(src, name), rastertest.Size(256, 256),
			rastertest.GeoTransform([6]float64{500000 + float64(i%20)*2560, 10, 0, 5000000 - float64(i/20)*2560, 0, -10}),
			rastertest.NoData(0), rastertest.NoDataBorder(5))
		csv += name + ",north\n"
	}
	manifest := filepath.Join(src, "manifest.csv")
	if err := os.WriteFile(manifest, []byte(csv), 0o644); err != nil {
		t.Fatal(err)
	}
	before := snapshot(t, src)
	data := filepath.Join(dir, "data")
	p := startServer(t, data)
	submit(t, p, "CreateImageCollection", url.Values{"imageCollection": {"Killed"}, "context": {`{"outSR":32633}`}})
	fields := func() string { return jsonText(getJSON(t, p.Services()+"/Killed/ImageServer?f=json")["fields"]) }
	deadline := time.Now().Add(time.Minute)
	for !strings.Contains(jsonText(getJSON(t, p.Services()+"?f=json")), "Killed") && time.Now().Before(deadline) {
		time.Sleep(5 * time.Millisecond)
	}
	schema := fields()
	id := submit(t, p, "AddImage", url.Values{"imageCollection": {"Killed"}, "inputRasters": {manifest}, "rasterType": {"Table"},
		"context": {fmt.Sprintf(`{"batchSize": %d, "buildFootprints": true, "computeStatistics": true}`, batch)}})
	deadline = time.Now().Add(2 * time.Minute)
	for time.Now().Before(deadline) {
		m := postForm(t, p.GP("AddImage")+"/jobs/"+id, url.Values{})
		if m["jobStatus"] == "esriJobSucceeded" {
			t.Skip("the job finished before the kill")
		}
		if strings.Contains(messages(m), "Batch 2 read") {
			break
		}
		time.Sleep(5 * time.Millisecond)
	}
	p.Kill()

	p = startServer(t, data)
	job := wait(t, p, "AddImage", id)
	msgs := messages(job)
	if job["jobStatus"] != "esriJobFailed" || !strings.Contains(msgs, "The server stopped while this job was running") ||
		!strings.Contains(msgs, "it changed nothing") || !strings.Contains(msgs, "Batch 2 read") {
		t.Errorf("after restart: %v\n%s", job["jobStatus"], msgs)
	}
	if got := count(t, p, "Killed", "1=1"); got != 0 {
		t.Errorf("%d items after the kill, want 0:\n%s", got, msgs)
	}
	if f := fields(); f != schema || strings.Contains(f, "Region") {
		t.Errorf("fields after the kill:\n%s\nwant\n%s", f, schema)
	}
	if left, _ := filepath.Glob(filepath.Join(os.TempDir(), "tessera-ingest-"+id+"-*")); len(left) > 0 {
		t.Errorf("staged items left after the restart: %v", left)
	}
	assertUnchanged(t, src, before)
}
