package main_test

import (
	"net/url"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

// TestWalkthrough follows the README's walkthrough against the real binary:
// discover the services, delete cloudy items with DeleteImage, read the job
// and its result, check the catalog shrank and the source rasters did not
// change, and put one raster back with AddImage.
func TestWalkthrough(t *testing.T) {
	dir := t.TempDir()
	p := startServer(t, dir, "--demo")
	walkthrough(t, p, filepath.Join(dir, "demo"))
}

// walkthrough follows the README's walkthrough through p, whose demo
// rasters are in demo.
func walkthrough(t *testing.T, p *proc, demo string) {
	t.Helper()
	before := snapshot(t, demo)
	if len(before) < 24 {
		t.Fatalf("demo has %d files, want at least 24", len(before))
	}

	info := getJSON(t, p.URL+"/rest/info?f=json")
	if v, ok := info["currentVersion"].(float64); !ok || v < 10 {
		t.Errorf("rest/info currentVersion = %v", info["currentVersion"])
	}

	services := getJSON(t, p.Services()+"?f=json")
	if !strings.Contains(jsonText(services["folders"]), `"System"`) ||
		!strings.Contains(jsonText(services["services"]), `{"name":"Demo","type":"ImageServer"}`) {
		t.Errorf("services = %v", services)
	}

	total := count(t, p, "Demo", "1=1")
	cloudy := count(t, p, "Demo", "CloudCover > 50")
	if total < 24 || cloudy == 0 || cloudy == total {
		t.Fatalf("demo has %d items, %d cloudy: want ≥24 with some but not all cloudy", total, cloudy)
	}

	serviceURL := p.Services() + "/Demo/ImageServer"
	id := submit(t, p, "DeleteImage", url.Values{
		"imageCollection": {`{"url":"` + serviceURL + `"}`},
		"where":           {"CloudCover > 50"},
	})
	if !regexp.MustCompile(`^j[0-9a-f]{32}$`).MatchString(id) {
		t.Errorf("jobId %q does not look like an ArcGIS job ID", id)
	}
	job := wait(t, p, "DeleteImage", id)
	if job["jobStatus"] != "esriJobSucceeded" {
		t.Fatalf("job: %v", job)
	}
	if got := jsonText(job["results"]); got != `{"result":{"paramUrl":"results/result"}}` {
		t.Errorf("results = %s", got)
	}
	if msgs := messages(job); !strings.Contains(msgs, "removed "+strconv.Itoa(cloudy)+" items") {
		t.Errorf("messages do not say %d items were removed:\n%s", cloudy, msgs)
	}

	result := getJSON(t, p.GP("DeleteImage")+"/jobs/"+id+"/results/result?f=json")
	if result["paramName"] != "result" || result["dataType"] != "GPString" {
		t.Errorf("result = %v", result)
	}
	if v, _ := result["value"].(map[string]any); v["url"] != serviceURL {
		t.Errorf("result value url = %v, want %s", v["url"], serviceURL)
	}

	if got := count(t, p, "Demo", "1=1"); got != total-cloudy {
		t.Errorf("after delete: %d items, want %d", got, total-cloudy)
	}
	assertUnchanged(t, demo, before)

	// The other imageCollection forms: item ID and bare name.
	svc := getJSON(t, serviceURL+"?f=json")
	itemID, _ := svc["serviceItemId"].(string)
	for _, ic := range []string{`{"itemId":"` + itemID + `"}`, "Demo"} {
		id := submit(t, p, "DeleteImage", url.Values{"imageCollection": {ic}, "where": {"OBJECTID < 0"}})
		if job := wait(t, p, "DeleteImage", id); job["jobStatus"] != "esriJobSucceeded" {
			t.Errorf("imageCollection=%s: %v", ic, job)
		}
	}

	// AddImage puts one of the removed rasters back as a new item.
	var removed string
	for path := range before {
		if strings.HasSuffix(path, ".tif") {
			q := getJSON(t, serviceURL+"/query?f=json&outFields=Path&where="+url.QueryEscape("Path = '"+path+"'"))
			if feats, _ := q["features"].([]any); len(feats) == 0 {
				removed = path
				break
			}
		}
	}
	if removed == "" {
		t.Fatal("found no removed raster to add back")
	}
	id = submit(t, p, "AddImage", url.Values{"imageCollection": {"Demo"}, "inputRasters": {removed}})
	if job := wait(t, p, "AddImage", id); job["jobStatus"] != "esriJobSucceeded" {
		t.Fatalf("AddImage: %v\n%s", job, messages(job))
	}
	if got := count(t, p, "Demo", "1=1"); got != total-cloudy+1 {
		t.Errorf("after AddImage: %d items, want %d", got, total-cloudy+1)
	}
	if got := count(t, p, "Demo", "Path = '"+strings.ReplaceAll(removed, "'", "''")+"'"); got != 1 {
		t.Errorf("added raster appears %d times", got)
	}
	assertUnchanged(t, demo, before)
}
