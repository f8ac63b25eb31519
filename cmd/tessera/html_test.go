package main_test

import (
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
)

// TestHTMLDirectory browses the services directory the way a person does:
// HTML is the default format, every page links onward, a task page has a
// form that submits a job, and the job page shows its status and messages.
func TestHTMLDirectory(t *testing.T) {
	t.Parallel()
	p := startServer(t, t.TempDir(), "--demo")
	page := func(u string, want ...string) string {
		t.Helper()
		resp, err := http.Get(u)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		if resp.StatusCode != 200 || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/html") {
			t.Fatalf("GET %s: %d %s\n%.300s", u, resp.StatusCode, resp.Header.Get("Content-Type"), b)
		}
		for _, w := range want {
			if !strings.Contains(string(b), w) {
				t.Errorf("GET %s lacks %q", u, w)
			}
		}
		return string(b)
	}
	gp := "/arcgis/rest/services/System/RasterAnalysisTools/GPServer"
	page(p.Services(), `href="/arcgis/rest/services/System"`, `href="/arcgis/rest/services/Demo/ImageServer"`, "?f=json")
	page(p.Services()+"/System", `href="`+gp+`"`)
	page(p.GP(""), `href="`+gp+`/DeleteImage"`, "esriExecutionTypeAsynchronous")
	task := page(p.GP("DeleteImage"), `action="`+gp+`/DeleteImage/submitJob"`, `name="where"`, `formaction="`+gp+`/DeleteImage/execute"`, "GPString")
	if !strings.Contains(task, "esriGPParameterDirectionOutput") {
		t.Error("the task page does not show its JSON")
	}
	// Submitting the form redirects to the job page.
	resp, err := http.PostForm(p.GP("DeleteImage")+"/submitJob", url.Values{"imageCollection": {"Demo"}, "where": {"1=0"}, "f": {"html"}})
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 || !strings.Contains(resp.Request.URL.Path, "/DeleteImage/jobs/j") {
		t.Fatalf("form submit ended at %d %s", resp.StatusCode, resp.Request.URL)
	}
	id := resp.Request.URL.Path[strings.LastIndex(resp.Request.URL.Path, "/")+1:]
	wait(t, p, "DeleteImage", id)
	page(p.GP("DeleteImage")+"/jobs/"+id, "esriJobSucceeded", "Messages", `href="`+gp+`/DeleteImage/jobs/`+id+`/results/result"`, "Delete Job")
	page(p.URL+"/rest/info", "currentVersion")
	// An error page has the matching HTTP status.
	if resp, err := http.Get(p.Services() + "/NoSuch/ImageServer"); err != nil || resp.StatusCode != 404 {
		t.Errorf("unknown service page: %v %v", resp.StatusCode, err)
	}
}
