package main_test

import (
	"context"
	"fmt"
	"math"
	"net/url"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/planar"

	"github.com/tessera-gis/tessera/mosaic"
	"github.com/tessera-gis/tessera/mosaic/sqlite"
	"github.com/tessera-gis/tessera/raster/rastertest"
)

// seedCatalog writes a collection of n items straight into dir/tessera.db,
// before a server starts on dir: tiles of a 100-column grid whose items
// cycle through sources (which every test checks are never changed).
// CloudCover is OBJECTID mod 100; Name is "seed<OBJECTID>".
func seedCatalog(t *testing.T, dir, name string, n int, sources ...string) {
	t.Helper()
	ctx := context.Background()
	db, err := sqlite.Open(ctx, filepath.Join(dir, "tessera.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	c := &mosaic.Collection{Name: name, SRS: mosaic.SpatialRef{WKID: 32633}}
	if err := db.Update(ctx, func(tx mosaic.Tx) error { return tx.CreateCollection(c) }); err != nil {
		t.Fatal(err)
	}
	const batch = 20000
	for lo := 0; lo < n; lo += batch {
		var items []*mosaic.Item
		for i := lo; i < min(lo+batch, n); i++ {
			x, y := 500000+float64(i%100)*640, 5000000+float64(i/100%100)*640
			items = append(items, &mosaic.Item{
				Path:      sources[i%len(sources)],
				Footprint: orb.Polygon{{{x, y}, {x + 640, y}, {x + 640, y + 640}, {x, y + 640}, {x, y}}},
				Attributes: map[string]any{
					mosaic.FieldNameCloudCover: float64((i + 1) % 100),
					mosaic.FieldNameName:       fmt.Sprintf("seed%d", i+1),
					mosaic.FieldNameLowPS:      10.0, mosaic.FieldNameHighPS: 10.0,
				},
				Raster: mosaic.RasterInfo{Driver: "GTiff", Width: 64, Height: 64, Bands: 1, PixelType: "U8",
					SRS: mosaic.SpatialRef{WKID: 32633}, GeoTransform: [6]float64{x, 10, 0, y + 640, 0, -10}, CellSizeX: 10, CellSizeY: 10},
			})
		}
		if err := db.Update(ctx, func(tx mosaic.Tx) error {
			_, err := tx.AddItems(c, items, mosaic.AddOptions{})
			return err
		}); err != nil {
			t.Fatal(err)
		}
	}
}

// sources writes n small GeoTIFFs into a new directory.
func sources(t *testing.T, n int, prefix string) (string, []string) {
	t.Helper()
	dir := t.TempDir()
	var out []string
	for i := range n {
		out = append(out, rastertest.GeoTIFF(t, filepath.Join(dir, fmt.Sprintf("%s%02d.tif", prefix, i)),
			rastertest.GeoTransform([6]float64{500000 + float64(i)*640, 10, 0, 5100000, 0, -10}),
			rastertest.Metadata("CLOUDCOVER", fmt.Sprint(i*7%100))))
	}
	return dir, out
}

// errorCode returns the code of an Esri error envelope, or 0.
func errorCode(m map[string]any) int {
	e, _ := m["error"].(map[string]any)
	c, _ := e["code"].(float64)
	return int(c)
}

// result returns a succeeded job's result value.
func result(t *testing.T, p *proc, task, id string) any {
	t.Helper()
	return getJSON(t, p.GP(task)+"/jobs/"+id+"/results/result?f=json")["value"]
}

// run submits a job and waits for it.
func run(t *testing.T, p *proc, task string, form url.Values) (string, map[string]any) {
	t.Helper()
	id := submit(t, p, task, form)
	return id, wait(t, p, task, id)
}

// liveItems returns the collection's items with footprints, by OBJECTID.
func liveItems(t *testing.T, p *proc, name string) map[int64]map[string]any {
	t.Helper()
	out := map[int64]map[string]any{}
	for offset := 0; ; offset += 1000 {
		m := getJSON(t, p.Services()+"/"+name+"/ImageServer/query?f=json&where=1%3D1&outFields=*&returnGeometry=true&resultRecordCount=1000&resultOffset="+fmt.Sprint(offset))
		feats, ok := m["features"].([]any)
		if !ok {
			t.Fatalf("query: %v", m)
		}
		for _, f := range feats {
			f := f.(map[string]any)
			attrs := f["attributes"].(map[string]any)
			out[int64(attrs["OBJECTID"].(float64))] = f
		}
		if len(feats) < 1000 {
			return out
		}
	}
}

func rings(g any) orb.Polygon {
	var p orb.Polygon
	gm, _ := g.(map[string]any)
	rs, _ := gm["rings"].([]any)
	for _, r := range rs {
		var ring orb.Ring
		for _, pt := range r.([]any) {
			xy := pt.([]any)
			ring = append(ring, orb.Point{xy[0].(float64), xy[1].(float64)})
		}
		p = append(p, ring)
	}
	return p
}

// checkExtentAndBoundary compares the ImageServer's extent, item count and
// boundary with the live items it lists, computed by brute force.
func checkExtentAndBoundary(t *testing.T, p *proc, name string) {
	t.Helper()
	live := liveItems(t, p, name)
	info := getJSON(t, p.Services()+"/"+name+"/ImageServer?f=json")
	if got := int(info["itemCount"].(float64)); got != len(live) {
		t.Errorf("itemCount = %d, query lists %d", got, len(live))
	}
	var (
		fps    []orb.Polygon
		extent orb.Bound
	)
	for _, f := range live {
		fp := rings(f["geometry"])
		fps = append(fps, fp)
		if extent.IsZero() {
			extent = fp.Bound()
		} else {
			extent = extent.Union(fp.Bound())
		}
	}
	bm := getJSON(t, p.Services()+"/"+name+"/ImageServer/boundary?f=json")
	var boundary orb.MultiPolygon
	if g, ok := bm["geometry"].(map[string]any); ok {
		// Esri rings: outer rings clockwise, holes counter-clockwise.
		for _, r := range rings(g) {
			if r.Orientation() == orb.CW || len(boundary) == 0 {
				boundary = append(boundary, orb.Polygon{r})
			} else {
				boundary[len(boundary)-1] = append(boundary[len(boundary)-1], r)
			}
		}
	} else {
		t.Fatalf("boundary: %v", bm)
	}
	if len(live) == 0 {
		if len(boundary) != 0 {
			t.Errorf("empty collection has boundary %v", boundary)
		}
		return
	}
	e := info["extent"].(map[string]any)
	got := orb.Bound{Min: orb.Point{e["xmin"].(float64), e["ymin"].(float64)}, Max: orb.Point{e["xmax"].(float64), e["ymax"].(float64)}}
	if math.Abs(got.Min[0]-extent.Min[0])+math.Abs(got.Min[1]-extent.Min[1])+math.Abs(got.Max[0]-extent.Max[0])+math.Abs(got.Max[1]-extent.Max[1]) > 1e-6 {
		t.Errorf("extent = %v, live items span %v", got, extent)
	}
	const n = 60
	w, h := extent.Max[0]-extent.Min[0], extent.Max[1]-extent.Min[1]
	for i := range n {
		for j := range n {
			pt := orb.Point{extent.Min[0] + w*(float64(i)+0.5+0.1*math.Sqrt2)/n, extent.Min[1] + h*(float64(j)+0.5-0.07)/n}
			in := slices.ContainsFunc(fps, func(fp orb.Polygon) bool { return planar.PolygonContains(fp, pt) })
			if got := planar.MultiPolygonContains(boundary, pt); got != in {
				t.Fatalf("boundary at %v: %v, live footprints: %v", pt, got, in)
			}
		}
	}
}

// TestDeleteImage covers DeleteImage's parameters and failure paths against
// the real server: every bad input is a synchronous error envelope or a
// failed job that changed nothing; every job leaves extent and boundary
// exact; sources never change.
func TestDeleteImage(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	srcDir, srcs := sources(t, 4, "src")
	seedCatalog(t, dir, "Cat", 300, srcs...)
	before := snapshot(t, srcDir)
	p := startServer(t, dir)
	gp := func(task string) string { return p.GP(task) + "/submitJob" }

	// Synchronous validation: 400 or 404 envelopes, no job.
	for _, tc := range []struct {
		name string
		form url.Values
		code int
	}{
		{"where missing", url.Values{"imageCollection": {"Cat"}}, 400},
		{"where empty", url.Values{"imageCollection": {"Cat"}, "where": {""}}, 400},
		{"where blank", url.Values{"imageCollection": {"Cat"}, "where": {"   "}}, 400},
		{"unknown field", url.Values{"imageCollection": {"Cat"}, "where": {"Nope > 1"}}, 400},
		{"malformed where", url.Values{"imageCollection": {"Cat"}, "where": {"CloudCover >"}}, 400},
		{"bad objectIds", url.Values{"imageCollection": {"Cat"}, "where": {"1=1"}, "objectIds": {"1,x"}}, 400},
		{"bad boolean", url.Values{"imageCollection": {"Cat"}, "where": {"1=1"}, "dryRun": {"maybe"}}, 400},
		{"unknown collection", url.Values{"imageCollection": {"Nope"}, "where": {"1=1"}}, 404},
		{"collection missing", url.Values{"where": {"1=1"}}, 400},
	} {
		m := postForm(t, gp("DeleteImage"), tc.form)
		if got := errorCode(m); got != tc.code {
			t.Errorf("%s: %v, want error code %d", tc.name, m, tc.code)
		}
		if msgs, _ := m["error"].(map[string]any)["details"].([]any); tc.code == 400 && len(msgs) == 0 {
			t.Errorf("%s: no details in %v", tc.name, m)
		}
	}
	if got := count(t, p, "Cat", "1=1"); got != 300 {
		t.Fatalf("after rejected requests: %d items, want 300", got)
	}

	// strict: nothing matched, or a listed objectId missing → failed job, nothing removed.
	for _, form := range []url.Values{
		{"imageCollection": {"Cat"}, "where": {"OBJECTID > 1000"}, "strict": {"true"}},
		{"imageCollection": {"Cat"}, "where": {"1=1"}, "objectIds": {"1,2,999"}, "strict": {"true"}},
	} {
		_, job := run(t, p, "DeleteImage", form)
		if job["jobStatus"] != "esriJobFailed" || !strings.Contains(messages(job), "nothing was deleted") {
			t.Errorf("strict %v: %v\n%s", form, job["jobStatus"], messages(job))
		}
	}
	if got := count(t, p, "Cat", "1=1"); got != 300 {
		t.Fatalf("after strict failures: %d items, want 300", got)
	}

	// dryRun reports, changes nothing.
	id, job := run(t, p, "DeleteImage", url.Values{"imageCollection": {"Cat"}, "where": {"CloudCover < 5"}, "dryRun": {"true"}})
	if job["jobStatus"] != "esriJobSucceeded" {
		t.Fatalf("dry run: %v", job)
	}
	v := result(t, p, "DeleteImage", id).(map[string]any)
	ids, _ := v["objectIds"].([]any)
	if v["dryRun"] != true || v["matched"] != float64(15) || v["removed"] != float64(0) || len(ids) != 15 {
		t.Errorf("dry run result = %v", v)
	}
	if got := count(t, p, "Cat", "1=1"); got != 300 {
		t.Fatalf("after dry run: %d items, want 300", got)
	}

	// Recycle (default) and purge, each with objectIds AND where.
	id, job = run(t, p, "DeleteImage", url.Values{"imageCollection": {"Cat"}, "where": {"CloudCover < 10"}, "objectIds": {"1,2,3,4,5,50,150"}})
	v = result(t, p, "DeleteImage", id).(map[string]any)
	if job["jobStatus"] != "esriJobSucceeded" || v["matched"] != float64(5) || v["removed"] != float64(5) ||
		v["url"] != p.Services()+"/Cat/ImageServer" || v["elapsedMs"] == nil {
		t.Errorf("recycle: %v %v", job["jobStatus"], v)
	}
	if msgs := messages(job); !strings.Contains(msgs, "Matched 5 items, removed 5 items") || !strings.Contains(msgs, "Elapsed Time") {
		t.Errorf("messages:\n%s", msgs)
	}
	checkExtentAndBoundary(t, p, "Cat")
	purgeID, job := run(t, p, "DeleteImage", url.Values{"imageCollection": {"Cat"}, "where": {"CloudCover >= 90"}, "purge": {"true"}})
	if v := result(t, p, "DeleteImage", purgeID).(map[string]any); job["jobStatus"] != "esriJobSucceeded" || v["removed"] != float64(30) {
		t.Errorf("purge: %v %v", job["jobStatus"], v)
	}
	checkExtentAndBoundary(t, p, "Cat")
	// A whole column of tiles: the boundary shrinks.
	_, job = run(t, p, "DeleteImage", url.Values{"imageCollection": {"Cat"}, "where": {"CenterX > 563000"}})
	if job["jobStatus"] != "esriJobSucceeded" {
		t.Fatalf("delete a column: %v", job)
	}
	checkExtentAndBoundary(t, p, "Cat")
	left := count(t, p, "Cat", "1=1")

	// Restoring a purge job finds nothing; restoring the recycle job puts
	// its items back.
	_, job = run(t, p, "RestoreImage", url.Values{"imageCollection": {"Cat"}, "jobId": {purgeID}})
	if job["jobStatus"] != "esriJobSucceeded" || !strings.Contains(messages(job), "Restored 0 items") {
		t.Errorf("restore of a purge: %v\n%s", job["jobStatus"], messages(job))
	}
	if got := count(t, p, "Cat", "1=1"); got != left {
		t.Errorf("restore of a purge changed the count: %d → %d", left, got)
	}
	_, job = run(t, p, "RestoreImage", url.Values{"imageCollection": {"Cat"}, "jobId": {id}})
	if got := count(t, p, "Cat", "1=1"); job["jobStatus"] != "esriJobSucceeded" || got != left+5 {
		t.Errorf("restore: %v, %d items, want %d", job["jobStatus"], got, left+5)
	}
	checkExtentAndBoundary(t, p, "Cat")

	// 1=1 removes every item and keeps the collection.
	_, job = run(t, p, "DeleteImage", url.Values{"imageCollection": {"Cat"}, "where": {"1=1"}})
	if job["jobStatus"] != "esriJobSucceeded" {
		t.Fatalf("1=1: %v", job)
	}
	info := getJSON(t, p.Services()+"/Cat/ImageServer?f=json")
	if info["name"] != "Cat" || info["itemCount"] != float64(0) {
		t.Errorf("after 1=1: %v", info)
	}
	checkExtentAndBoundary(t, p, "Cat")
	// A strict delete of an empty collection fails; a plain one succeeds.
	_, job = run(t, p, "DeleteImage", url.Values{"imageCollection": {"Cat"}, "where": {"1=1"}, "strict": {"yes"}})
	if job["jobStatus"] != "esriJobFailed" {
		t.Errorf("strict delete of nothing: %v", job)
	}
	assertUnchanged(t, srcDir, before)
}

// TestRestoreImage deletes by where, then restores by where and by jobId,
// and checks that items come back with their original OBJECTIDs,
// attributes and footprints, and the boundary with them.
func TestRestoreImage(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	srcDir, srcs := sources(t, 3, "r")
	seedCatalog(t, dir, "Undo", 200, srcs...)
	before := snapshot(t, srcDir)
	p := startServer(t, dir)
	orig := liveItems(t, p, "Undo")

	for _, form := range []url.Values{
		{"imageCollection": {"Undo"}},
		{"imageCollection": {"Undo"}, "where": {"Bogus = 2"}},
		{"imageCollection": {"Nope"}, "jobId": {"jx"}},
	} {
		if m := postForm(t, p.GP("RestoreImage")+"/submitJob", form); errorCode(m) == 0 {
			t.Errorf("RestoreImage %v: %v, want an error envelope", form, m)
		}
	}

	id1, _ := run(t, p, "DeleteImage", url.Values{"imageCollection": {"Undo"}, "where": {"CenterX < 502000"}})
	_, _ = run(t, p, "DeleteImage", url.Values{"imageCollection": {"Undo"}, "where": {"CloudCover > 80"}})
	recycled := 200 - count(t, p, "Undo", "1=1")
	if recycled == 0 {
		t.Fatal("deletes removed nothing")
	}
	checkExtentAndBoundary(t, p, "Undo")

	_, job := run(t, p, "RestoreImage", url.Values{"imageCollection": {"Undo"}, "jobId": {id1}})
	if job["jobStatus"] != "esriJobSucceeded" {
		t.Fatalf("restore by jobId: %v", job)
	}
	checkExtentAndBoundary(t, p, "Undo")
	rid, job := run(t, p, "RestoreImage", url.Values{"imageCollection": {"Undo"}, "where": {"CloudCover > 80"}})
	if v := result(t, p, "RestoreImage", rid).(map[string]any); job["jobStatus"] != "esriJobSucceeded" || v["restored"] == float64(0) {
		t.Fatalf("restore by where: %v %v", job["jobStatus"], v)
	}
	checkExtentAndBoundary(t, p, "Undo")
	got := liveItems(t, p, "Undo")
	if len(got) != len(orig) {
		t.Fatalf("%d items after restoring everything, want %d", len(got), len(orig))
	}
	for oid, f := range orig {
		if jsonText(got[oid]) != jsonText(f) {
			t.Errorf("item %d restored as\n%s\nwant\n%s", oid, jsonText(got[oid]), jsonText(f))
		}
	}
	assertUnchanged(t, srcDir, before)
}

// TestDeleteImageCollection checks the boolean result, the 404-style
// envelope for the service afterwards, and that sources stay.
func TestDeleteImageCollection(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	srcDir, srcs := sources(t, 2, "c")
	seedCatalog(t, dir, "Gone", 50, srcs...)
	before := snapshot(t, srcDir)
	p := startServer(t, dir)
	if m := postForm(t, p.GP("DeleteImageCollection")+"/submitJob", url.Values{"imageCollection": {"Nope"}}); errorCode(m) != 404 {
		t.Errorf("unknown collection: %v", m)
	}
	id, job := run(t, p, "DeleteImageCollection", url.Values{"imageCollection": {p.Services() + "/Gone/ImageServer"}})
	if job["jobStatus"] != "esriJobSucceeded" {
		t.Fatalf("job: %v", job)
	}
	r := getJSON(t, p.GP("DeleteImageCollection")+"/jobs/"+id+"/results/result?f=json")
	if r["value"] != true || r["dataType"] != "GPBoolean" {
		t.Errorf("result = %v, want value true", r)
	}
	for _, u := range []string{"/Gone/ImageServer?f=json", "/Gone/ImageServer/query?where=1%3D1&f=json", "/Gone/ImageServer/boundary?f=json"} {
		if m := getJSON(t, p.Services()+u); errorCode(m) != 404 {
			t.Errorf("%s after delete: %v", u, m)
		}
	}
	if m := postForm(t, p.GP("DeleteImage")+"/submitJob", url.Values{"imageCollection": {"Gone"}, "where": {"1=1"}}); errorCode(m) != 404 {
		t.Errorf("DeleteImage on a deleted collection: %v", m)
	}
	assertUnchanged(t, srcDir, before)
}

// TestConcurrentAddAndDelete runs AddImage and DeleteImage jobs on one
// collection at once. Deletes target seeded items only; adds bring new
// rasters. No added item may be lost, and the recycle bin may hold only
// items that a delete's where matched.
func TestConcurrentAddAndDelete(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	seedDir, seeds := sources(t, 2, "seed")
	addDir, adds := sources(t, 24, "add")
	seedCatalog(t, dir, "Busy", 2000, seeds...)
	before, beforeAdd := snapshot(t, seedDir), snapshot(t, addDir)
	p := startServer(t, dir)

	var wg sync.WaitGroup
	errs := make(chan string, 64)
	for i := range 6 { // add 4 rasters per job
		wg.Go(func() {
			_, job := run(t, p, "AddImage", url.Values{"imageCollection": {"Busy"}, "inputRasters": {jsonText(adds[i*4 : i*4+4])}})
			if job["jobStatus"] != "esriJobSucceeded" {
				errs <- fmt.Sprintf("AddImage %d: %v\n%s", i, job["jobStatus"], messages(job))
			}
		})
	}
	for i := range 8 { // delete seeded items in OBJECTID ranges
		wg.Go(func() {
			where := fmt.Sprintf("Name LIKE 'seed%%' AND OBJECTID > %d AND OBJECTID <= %d", i*250, i*250+125)
			_, job := run(t, p, "DeleteImage", url.Values{"imageCollection": {"Busy"}, "where": {where}})
			if job["jobStatus"] != "esriJobSucceeded" {
				errs <- fmt.Sprintf("DeleteImage %q: %v\n%s", where, job["jobStatus"], messages(job))
			}
		})
	}
	wg.Wait()
	close(errs)
	for e := range errs {
		t.Error(e)
	}
	if got := count(t, p, "Busy", "Name LIKE 'seed%'"); got != 1000 {
		t.Errorf("%d seeded items left, want 1000", got)
	}
	if got := count(t, p, "Busy", "Path LIKE '%add%'"); got != len(adds) {
		t.Errorf("%d added items, want %d: an add was lost", got, len(adds))
	}
	// What the deletes removed is exactly what their wheres matched.
	ids := getJSON(t, p.Services()+"/Busy/ImageServer/query?f=json&returnIdsOnly=true&where="+url.QueryEscape("Name LIKE 'seed%'"))
	for _, x := range ids["objectIds"].([]any) {
		oid := int(x.(float64))
		if (oid-1)%250 < 125 {
			t.Errorf("item %d should have been deleted", oid)
			break
		}
	}
	checkExtentAndBoundary(t, p, "Busy")
	assertUnchanged(t, seedDir, before)
	assertUnchanged(t, addDir, beforeAdd)
}

// TestDeleteAtomicity kills the server with SIGKILL in the middle of a
// large delete, restarts it, and checks that every item is still there and
// the job reports failure; then cancels a large delete and checks that it
// reports esriJobCancelled and removed nothing.
func TestDeleteAtomicity(t *testing.T) {
	t.Parallel()
	const n = 100000
	dir := t.TempDir()
	srcDir, srcs := sources(t, 2, "big")
	seedCatalog(t, dir, "Big", n, srcs...)
	before := snapshot(t, srcDir)

	// waitExecuting polls until the job executes, and returns how long it
	// took to get there.
	waitExecuting := func(p *proc, id string) {
		t.Helper()
		deadline := time.Now().Add(time.Minute)
		for time.Now().Before(deadline) {
			m := postForm(t, p.GP("DeleteImage")+"/jobs/"+id, url.Values{"returnMessages": {"false"}})
			switch m["jobStatus"] {
			case "esriJobExecuting":
				return
			case "esriJobSubmitted", "esriJobWaiting", "esriJobNew":
				time.Sleep(2 * time.Millisecond)
				continue
			}
			t.Fatalf("job %s reached %v before it could be interrupted; make the catalog larger", id, m["jobStatus"])
		}
		t.Fatalf("job %s never executed", id)
	}

	p := startServer(t, dir)
	id := submit(t, p, "DeleteImage", url.Values{"imageCollection": {"Big"}, "where": {"1=1"}})
	waitExecuting(p, id)
	time.Sleep(50 * time.Millisecond) // well inside the statement
	p.Kill()

	p = startServer(t, dir)
	job := wait(t, p, "DeleteImage", id)
	if job["jobStatus"] != "esriJobFailed" || !strings.Contains(messages(job), "stopped while this job was running") {
		t.Errorf("after kill -9: %v\n%s", job["jobStatus"], messages(job))
	}
	if got := count(t, p, "Big", "1=1"); got != n {
		t.Errorf("after kill -9: %d items, want all %d", got, n)
	}
	if got := count(t, p, "Big", "OBJECTID >= 1 AND OBJECTID <= 100000"); got != n {
		t.Errorf("after kill -9: %d of the original OBJECTIDs, want %d", got, n)
	}

	// Cancel in the middle.
	id = submit(t, p, "DeleteImage", url.Values{"imageCollection": {"Big"}, "where": {"CloudCover >= 0"}})
	waitExecuting(p, id)
	m := postForm(t, p.GP("DeleteImage")+"/jobs/"+id+"/cancel", url.Values{})
	if s := m["jobStatus"]; s != "esriJobCancelling" && s != "esriJobCancelled" {
		t.Fatalf("cancel: %v", m)
	}
	job = wait(t, p, "DeleteImage", id)
	if job["jobStatus"] != "esriJobCancelled" {
		t.Errorf("after cancel: %v\n%s", job["jobStatus"], messages(job))
	}
	if got := count(t, p, "Big", "1=1"); got != n {
		t.Errorf("after cancel: %d items, want all %d", got, n)
	}
	if m := getJSON(t, p.Services()+"/Big/ImageServer?f=json"); m["itemCount"] != float64(n) {
		t.Errorf("itemCount after cancel = %v", m["itemCount"])
	}
	assertUnchanged(t, srcDir, before)
}
