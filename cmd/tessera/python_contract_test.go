package main_test

import (
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/tessera-gis/tessera/mosaic"
	"github.com/tessera-gis/tessera/server"
)

// pyClient replays what the ArcGIS API for Python (arcgis 1.x and 2.0.x,
// clients/NOTES.md §3) sends: form POSTs with JSON-encoded values written
// by json.dumps (", " and ": " separators), a standalone-server token sent
// as X-Esri-Authorization with "referer: http", job polling by GET (2.x)
// or POST (1.x), and result reads through each result's paramUrl. PyPI is
// not reachable here, so the request sequence is replayed from the
// library's source.
type pyClient struct {
	t     *testing.T
	root  string // .../arcgis
	token string
	post  bool // poll like 1.x (POST) instead of 2.x (GET)
}

func (c *pyClient) ra() string { return c.root + "/rest/services/System/RasterAnalysisTools/GPServer" }

// pyDumps is json.dumps with Python's default separators.
func pyDumps(v any) string {
	b, _ := json.Marshal(v)
	var out strings.Builder
	inStr := false
	for i := 0; i < len(b); i++ {
		ch := b[i]
		out.WriteByte(ch)
		switch {
		case ch == '"' && (i == 0 || b[i-1] != '\\'):
			inStr = !inStr
		case !inStr && (ch == ',' || ch == ':'):
			out.WriteByte(' ')
		}
	}
	return out.String()
}

// send makes a request like arcgis' Connection: it ignores the HTTP
// status and turns a JSON error (without "messages") into a failure.
func (c *pyClient) send(method, u string, form url.Values) (map[string]any, error) {
	c.t.Helper()
	form.Set("f", "json")
	var req *http.Request
	var err error
	if method == http.MethodGet {
		req, err = http.NewRequest(method, u+"?"+form.Encode(), nil)
	} else {
		req, err = http.NewRequest(method, u, strings.NewReader(form.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	if err != nil {
		return nil, err
	}
	req.Header.Set("referer", "http")
	req.Header.Set("User-Agent", "Geosaurus/2.0.1")
	if c.token != "" {
		req.Header.Set("X-Esri-Authorization", "Bearer "+c.token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		return nil, err
	}
	if ct := resp.Header.Get("Content-Type"); !strings.HasPrefix(ct, "application/json") && !strings.HasPrefix(ct, "text/plain") {
		c.t.Fatalf("%s %s: Content-Type %q; Python saves such a body to a file", method, u, ct)
	}
	var m map[string]any
	if err := json.Unmarshal(body, &m); err != nil {
		c.t.Fatalf("%s %s: not JSON: %.300s", method, u, body)
	}
	if e, ok := m["error"].(map[string]any); ok {
		if _, hasMsgs := m["messages"]; hasMsgs {
			c.t.Fatalf("%s %s: an error body with messages is returned as data by Python: %v", method, u, m)
		}
		return nil, &pyError{e}
	}
	return m, nil
}

type pyError struct{ e map[string]any }

func (e *pyError) Error() string { b, _ := json.Marshal(e.e); return string(b) }

// signIn follows EsriGenTokenAuth: the first authInfo.tokenServicesUrl
// among <root>/info, <root>/rest/info and <root>/sharing/rest/info, then a
// POST with referer=http and client=referer.
func (c *pyClient) signIn(user, password string) {
	c.t.Helper()
	var tokenURL string
	for _, p := range []string{"/info", "/rest/info", "/sharing/rest/info"} {
		m, err := c.send(http.MethodGet, c.root+p, url.Values{})
		if err != nil {
			continue
		}
		if ai, ok := m["authInfo"].(map[string]any); ok {
			tokenURL, _ = ai["tokenServicesUrl"].(string)
			break
		}
	}
	if tokenURL == "" {
		c.t.Fatal("no authInfo.tokenServicesUrl in <root>/info, rest/info or sharing/rest/info")
	}
	m, err := c.send(http.MethodPost, tokenURL, url.Values{"username": {user}, "password": {password},
		"referer": {"http"}, "client": {"referer"}, "expiration": {"60"}})
	if err != nil {
		c.t.Fatalf("generateToken: %v", err)
	}
	tok, _ := m["token"].(string)
	exp, _ := m["expires"].(float64)
	if tok == "" || int64(exp) < time.Now().UnixMilli() {
		c.t.Fatalf("generateToken answered %v", m)
	}
	c.token = tok
}

// run submits a task and returns its result values, as analytics._execute_task does.
func (c *pyClient) run(task string, params map[string]any) (map[string]any, error) {
	c.t.Helper()
	form := url.Values{}
	for k, v := range params {
		switch v := v.(type) {
		case string:
			form.Set(k, v)
		case bool:
			form.Set(k, map[bool]string{true: "true", false: "false"}[v])
		default:
			form.Set(k, pyDumps(v))
		}
	}
	m, err := c.send(http.MethodPost, c.ra()+"/"+task+"/submitJob", form)
	if err != nil {
		return nil, err
	}
	id, ok := m["jobId"].(string)
	if !ok {
		c.t.Fatalf("submitJob: no jobId (KeyError in Python): %v", m)
	}
	jobURL := c.ra() + "/" + task + "/jobs/" + id
	method := http.MethodGet
	if c.post {
		method = http.MethodPost
	}
	deadline := time.Now().Add(2 * time.Minute)
	for {
		m, err = c.send(method, jobURL, url.Values{})
		if err != nil {
			return nil, err
		}
		for _, x := range m["messages"].([]any) {
			msg := x.(map[string]any)
			switch msg["type"] {
			case "esriJobMessageTypeInformative", "esriJobMessageTypeWarning", "esriJobMessageTypeError":
			default:
				c.t.Errorf("message type %v is not one Python logs", msg["type"])
			}
			if _, ok := msg["description"].(string); !ok {
				c.t.Errorf("message without description: %v", msg)
			}
		}
		st, ok := m["jobStatus"].(string)
		if !ok {
			c.t.Fatalf("no jobStatus (Python: No job results.): %v", m)
		}
		switch st {
		case "esriJobSucceeded":
		case "esriJobFailed", "esriJobCancelled", "esriJobTimedOut":
			return nil, &pyError{map[string]any{"jobStatus": st, "messages": m["messages"]}}
		default:
			if time.Now().After(deadline) {
				c.t.Fatalf("job %s still %s: Python would poll forever", id, st)
			}
			time.Sleep(20 * time.Millisecond)
			continue
		}
		break
	}
	results, ok := m["results"].(map[string]any)
	if !ok {
		c.t.Fatalf("succeeded job without results (Python: No job results.): %v", m)
	}
	values := map[string]any{}
	for name, r := range results {
		paramURL, _ := r.(map[string]any)["paramUrl"].(string)
		if paramURL == "" {
			continue
		}
		res, err := c.send(method, c.ra()+"/"+task+"/jobs/"+id+"/"+paramURL,
			url.Values{"env:outSR": {"3857"}, "returnZ": {"false"}, "returnM": {"false"}})
		if err != nil {
			c.t.Fatalf("result %s: %v", paramURL, err)
		}
		values[name] = res["value"]
	}
	return values, nil
}

// TestPythonContract drives every RasterAnalysisTools task the way
// arcgis.raster.analytics does, with a token, polling both ways.
func TestPythonContract(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	line, err := server.PasswordLine("py", mosaic.RoleAdmin, "py-password", 4)
	if err != nil {
		t.Fatal(err)
	}
	users := filepath.Join(dir, "users.conf")
	if err := os.WriteFile(users, []byte(line+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	// Anonymous callers may read (the test's count helper does), not submit.
	p := startServer(t, dir, "--demo", "--users", users, "--anonymous", "viewer")
	c := &pyClient{t: t, root: p.URL}
	if _, err := c.send(http.MethodPost, c.ra()+"/DeleteImage/submitJob", url.Values{"imageCollection": {"Demo"}, "where": {"1=0"}}); err == nil || !strings.Contains(err.Error(), "499") {
		t.Fatalf("submitJob without a token: %v, want a 499 error", err)
	}
	c.signIn("py", "py-password")

	// Toolbox: hard key access on the service root and every parameter.
	root, err := c.send(http.MethodPost, c.ra(), url.Values{})
	if err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"tasks", "executionType", "resultMapServerName"} {
		if _, ok := root[k]; !ok {
			t.Errorf("service root lacks %s: %v", k, root)
		}
	}
	for _, task := range root["tasks"].([]any) {
		info, err := c.send(http.MethodPost, c.ra()+"/"+task.(string), url.Values{})
		if err != nil {
			t.Fatal(err)
		}
		for _, prm := range info["parameters"].([]any) {
			for _, k := range []string{"name", "dataType", "defaultValue", "direction", "parameterType", "displayName"} {
				if _, ok := prm.(map[string]any)[k]; !ok {
					t.Errorf("%s parameter %v lacks %s (KeyError in Toolbox)", task, prm, k)
				}
			}
		}
	}

	serviceURL := p.Services() + "/Demo/ImageServer"
	// Python rewrites http:// to https://; the collection is found by name either way.
	https := strings.Replace(serviceURL, "http://", "https://", 1)
	cloudy := count(t, p, "Demo", "CloudCover > 50")
	v, err := c.run("DeleteImage", map[string]any{"imageCollection": map[string]any{"url": https}, "where": "CloudCover > 50"})
	if err != nil {
		t.Fatalf("delete_image: %v", err)
	}
	if u := v["result"].(map[string]any)["url"]; u != serviceURL {
		t.Errorf("delete_image returned url %v, want %s", u, serviceURL)
	}
	if got := count(t, p, "Demo", "CloudCover > 50"); cloudy == 0 || got != 0 {
		t.Errorf("%d cloudy items before, %d after", cloudy, got)
	}
	// The audit log says who deleted what, with which where, in which job.
	audit, err := c.send(http.MethodGet, p.URL+"/rest/admin/audit", url.Values{"action": {"delete"}, "collection": {"Demo"}})
	if err != nil {
		t.Fatalf("audit log: %v", err)
	}
	entries, _ := audit["entries"].([]any)
	if len(entries) != 1 {
		t.Fatalf("audit entries for the delete: %v", audit)
	}
	if e := entries[0].(map[string]any); e["user"] != "py" || e["where"] != "CloudCover > 50" ||
		e["count"] != float64(cloudy) || !strings.HasPrefix(e["jobId"].(string), "j") || e["time"].(float64) <= 0 {
		t.Errorf("audit entry = %v", e)
	}

	// 1.x polls and reads results by POST.
	c.post = true
	rasters, _ := filepath.Glob(filepath.Join(dir, "demo", "*.tif"))
	rasterType := map[string]any{"rasterTypeName": "Raster Dataset", "rasterTypeParameters": map[string]any{
		"averagezdem": map[string]any{"url": "https://elevation3d.arcgis.com/arcgis/rest/services/WorldElevation3D/Terrain3D/ImageServer"}}}
	v, err = c.run("CreateImageCollection", map[string]any{
		"imageCollection": map[string]any{"serviceProperties": map[string]any{"name": "PyCollection"}},
		"inputRasters":    map[string]any{"uris": rasters[:3]},
		"rasterType":      rasterType,
		"context":         map[string]any{"outSR": map[string]any{"wkid": 32633}},
	})
	if err != nil {
		t.Fatalf("create_image_collection: %v", err)
	}
	itemID, _ := v["result"].(map[string]any)["itemId"].(string)
	if itemID == "" {
		t.Fatalf("create_image_collection result has no itemId: %v", v)
	}
	c.post = false
	v, err = c.run("AddImage", map[string]any{
		"imageCollection": map[string]any{"itemId": itemID},
		"inputRasters":    map[string]any{"uris": rasters[3:5], "byref": true},
		"rasterType":      rasterType,
	})
	if err != nil {
		t.Fatalf("add_image: %v", err)
	}
	if u := v["result"].(map[string]any)["url"]; u != p.Services()+"/PyCollection/ImageServer" {
		t.Errorf("add_image url = %v", u)
	}
	if got := count(t, p, "PyCollection", "1=1"); got != 5 {
		t.Errorf("PyCollection has %d items, want 5", got)
	}

	// A bad where is a synchronous error with code, message and details.
	_, err = c.run("DeleteImage", map[string]any{"imageCollection": map[string]any{"itemId": itemID}, "where": "CloudCovr > 5"})
	var pe *pyError
	if !asPyError(err, &pe) || pe.e["code"] != float64(400) || pe.e["message"] == "" || len(pe.e["details"].([]any)) == 0 {
		t.Errorf("bad where: %v", err)
	}
	// A job that fails says why in an error message.
	_, err = c.run("DeleteImage", map[string]any{"imageCollection": map[string]any{"itemId": itemID},
		"where": "1=1", "objectIds": "424242", "strict": true})
	if !asPyError(err, &pe) || pe.e["jobStatus"] != "esriJobFailed" || !strings.Contains(jsonText(pe.e["messages"]), "esriJobMessageTypeError") {
		t.Errorf("failing job: %v", err)
	}

	v, err = c.run("DeleteImageCollection", map[string]any{"imageCollection": map[string]any{"itemId": itemID}})
	if err != nil {
		t.Fatalf("delete_image_collection: %v", err)
	}
	if v["result"] != true {
		t.Errorf("delete_image_collection returned %v, want true", v["result"])
	}
}

func asPyError(err error, pe **pyError) bool {
	e, ok := err.(*pyError)
	if ok {
		*pe = e
	}
	return ok
}
