package server_test

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/tessera-gis/tessera/mosaic"
	"github.com/tessera-gis/tessera/mosaic/sqlite"
	"github.com/tessera-gis/tessera/server"
)

// storeJobs is a JobService over the real store, with the tasks' real
// permissions, for the resources that read jobs. Jobs it is told are
// running report live progress, as the engine's do.
type storeJobs struct {
	store   mosaic.Store
	running map[string]*mosaic.JobProgress
}

func (s *storeJobs) Tasks() []mosaic.TaskInfo {
	return []mosaic.TaskInfo{
		{Name: "AddImage", Permission: mosaic.RolePublisher, Params: []mosaic.ParamInfo{
			{Name: "imageCollection", DataType: "GPString", Direction: mosaic.ParamInput}, {Name: "inputRasters", DataType: "GPString", Direction: mosaic.ParamInput}}},
		{Name: "DeleteImage", Permission: mosaic.RolePublisher, Params: []mosaic.ParamInfo{
			{Name: "imageCollection", DataType: "GPString", Direction: mosaic.ParamInput}, {Name: "where", DataType: "GPString", Direction: mosaic.ParamInput}}},
		{Name: "DeleteImageCollection", Permission: mosaic.RoleAdmin},
	}
}

func (s *storeJobs) Submit(context.Context, string, map[string]string, mosaic.SubmitOptions) (*mosaic.Job, error) {
	return nil, mosaic.Errorf(mosaic.EINVALID, "not in this test")
}

func (s *storeJobs) Execute(context.Context, string, map[string]string, mosaic.SubmitOptions) (*mosaic.Job, error) {
	return nil, mosaic.Errorf(mosaic.EINVALID, "not in this test")
}

func (s *storeJobs) Job(ctx context.Context, id string) (*mosaic.Job, error) {
	var j *mosaic.Job
	err := s.store.View(ctx, func(tx mosaic.ReadTx) (err error) {
		j, err = tx.Job(id)
		return err
	})
	if err == nil && s.running[id] != nil {
		j.Progress = s.running[id]
	}
	return j, err
}

func (s *storeJobs) Cancel(ctx context.Context, id string) (*mosaic.Job, error) {
	return s.Job(ctx, id)
}
func (s *storeJobs) Delete(ctx context.Context, id string) (*mosaic.Job, error) {
	return s.Job(ctx, id)
}

// setupJobs is setupAuth with a job service and three jobs: j1 succeeded
// (bob), j2 failed (alice), j3 executing (bob, 50%).
func setupJobs(t *testing.T) (*authBundle, *storeJobs) {
	t.Helper()
	db, err := sqlite.Open(context.Background(), filepath.Join(t.TempDir(), "t.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	users, key := usersFile(t)
	now := time.Now()
	auth, err := server.NewAuth(server.AuthConfig{Users: users, Secret: bytes.Repeat([]byte("k"), 32), LoginsPerMinute: 1000,
		Now: func() time.Time { return now }})
	if err != nil {
		t.Fatal(err)
	}
	jobs := &storeJobs{store: db, running: map[string]*mosaic.JobProgress{"j3": {Message: "Read 5 of 10 rasters", Percentage: 50}}}
	b := &authBundle{srv: server.New(server.Config{Store: db, Auth: auth, Jobs: jobs}), db: db, apiKey: key, now: &now}
	t0 := time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC)
	long := strings.Repeat("é", 400) // 800 bytes
	err = b.db.Update(context.Background(), func(tx mosaic.Tx) error {
		for _, j := range []*mosaic.Job{
			{ID: "j1", Task: "AddImage", State: mosaic.JobSucceeded, Owner: "bob", SubmittedAt: t0,
				Inputs: map[string]string{"imageCollection": "Demo", "inputRasters": long}},
			{ID: "j2", Task: "DeleteImage", State: mosaic.JobFailed, Owner: "alice", SubmittedAt: t0.Add(time.Minute),
				Inputs:   map[string]string{"imageCollection": `{"url":"http://x/arcgis/rest/services/Demo/ImageServer"}`, "where": "CloudCover > 50"},
				Messages: []mosaic.JobMessage{mosaic.Info("Started."), mosaic.ErrorMsg("No items match.")}},
			{ID: "j3", Task: "AddImage", State: mosaic.JobSubmitted, Owner: "bob", SubmittedAt: t0.Add(2 * time.Minute)},
		} {
			if err := tx.CreateJob(j); err != nil {
				return err
			}
		}
		_, err := tx.TransitionJob("j3", []mosaic.JobState{mosaic.JobSubmitted}, mosaic.JobExecuting)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return b, jobs
}

func jobIDs(m map[string]any) []string {
	var out []string
	jobs, _ := m["jobs"].([]any)
	for _, j := range jobs {
		out = append(out, j.(map[string]any)["jobId"].(string))
	}
	return out
}

func TestJobList(t *testing.T) {
	t.Parallel()
	b, _ := setupJobs(t)
	const list = "/arcgis/rest/services/System/RasterAnalysisTools/GPServer/jobs?f=json"
	viewer := []string{"X-Esri-Authorization", "Bearer " + b.apiKey}

	if code := errCode(b.get(t, list)); code != 499 {
		t.Errorf("without a token: code %d, want 499", code)
	}
	for _, tc := range []struct {
		query string
		want  string
	}{
		{"", "j3 j2 j1"},
		{"&limit=2", "j3 j2"},
		{"&task=addimage", "j3 j1"},
		{"&owner=alice", "j2"},
		{"&status=esriJobExecuting,esriJobFailed", "j3 j2"},
		{"&status=esriJobCancelled", ""},
		{"&since=" + "2025-03-01T12:00:30Z", "j3 j2"},
	} {
		m := b.get(t, list+tc.query, viewer...)
		if got := strings.Join(jobIDs(m), " "); got != tc.want {
			t.Errorf("%s: got %q, want %q (%v)", tc.query, got, tc.want, m)
		}
	}
	for _, bad := range []string{"&status=running", "&limit=0", "&limit=1001", "&messages=-1", "&since=yesterday"} {
		if code := errCode(b.get(t, list+bad, viewer...)); code != 400 {
			t.Errorf("%s: code %d, want 400", bad, code)
		}
	}

	// A viewer sees no inputs but the collection, and no messages: they
	// name source files.
	for _, j := range b.get(t, list, viewer...)["jobs"].([]any) {
		in, msgs := j.(map[string]any)["inputs"].(map[string]any), j.(map[string]any)["messages"].([]any)
		if _, ok := in["imageCollection"]; (len(in) > 0 && !ok) || len(in) > 1 || len(msgs) > 0 {
			t.Errorf("a viewer sees inputs %v and messages %v", in, msgs)
		}
	}
	publisher := []string{"X-Esri-Authorization", "Bearer " + b.token(t, "bob", bobPW)}
	m := b.get(t, list+"&messages=1", publisher...)
	jobs := m["jobs"].([]any)
	running, failed, done := jobs[0].(map[string]any), jobs[1].(map[string]any), jobs[2].(map[string]any)
	if running["jobStatus"] != "esriJobExecuting" || running["progress"] == nil ||
		running["progress"].(map[string]any)["percentage"] != 50.0 || running["started"] == nil || running["finished"] != nil {
		t.Errorf("running job: %v", running)
	}
	msgs := failed["messages"].([]any)
	if failed["jobStatus"] != "esriJobFailed" || len(msgs) != 1 ||
		msgs[0].(map[string]any)["description"] != "No items match." || failed["owner"] != "alice" ||
		failed["inputs"].(map[string]any)["where"] != "CloudCover > 50" {
		t.Errorf("failed job: %v", failed)
	}
	in := done["inputs"].(map[string]any)["inputRasters"].(string)
	if !strings.HasSuffix(in, "…") || len(in) > 503 || !strings.HasPrefix(in, "éé") {
		t.Errorf("a long input is not cut at 500 bytes: %d bytes", len(in))
	}
	if done["submitted"] != float64(time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC).UnixMilli()) {
		t.Errorf("submitted = %v", done["submitted"])
	}

	// The HTML page lists them too, linked to each job.
	req := httptest.NewRequest(http.MethodGet, "/arcgis/rest/services/System/RasterAnalysisTools/GPServer/jobs?token="+b.apiKey, nil)
	rec := httptest.NewRecorder()
	b.srv.ServeHTTP(rec, req)
	body, _ := io.ReadAll(rec.Body)
	if rec.Code != 200 || !strings.Contains(string(body), "/GPServer/DeleteImage/jobs/j2?token=") {
		t.Errorf("HTML: %d\n%s", rec.Code, body)
	}
}

func TestSelf(t *testing.T) {
	t.Parallel()
	b, _ := setupJobs(t)
	const self = "/arcgis/rest/self?f=json"
	alice := b.token(t, "alice", alicePW, "expiration", "30")
	bob := b.token(t, "bob", bobPW)
	for _, tc := range []struct {
		name, token, user, role string
		tasks                   map[string]bool
		expires                 bool
	}{
		{"admin", alice, "alice", "admin", map[string]bool{"AddImage": true, "DeleteImage": true, "DeleteImageCollection": true}, true},
		{"publisher", bob, "bob", "publisher", map[string]bool{"AddImage": true, "DeleteImage": true, "DeleteImageCollection": false}, true},
		{"viewer API key", b.apiKey, "script", "viewer", map[string]bool{"AddImage": false, "DeleteImage": false, "DeleteImageCollection": false}, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			m := b.get(t, self, "X-Esri-Authorization", "Bearer "+tc.token)
			if m["user"] != tc.user || m["role"] != tc.role || m["tokenBasedSecurity"] != true {
				t.Errorf("got %v", m)
			}
			for task, want := range tc.tasks {
				if m["tasks"].(map[string]any)[task] != want {
					t.Errorf("tasks[%s] = %v, want %v", task, m["tasks"].(map[string]any)[task], want)
				}
			}
			if _, ok := m["expires"]; ok != tc.expires {
				t.Errorf("expires: %v", m["expires"])
			}
		})
	}
	if m := b.get(t, self, "X-Esri-Authorization", "Bearer "+alice); m["expires"] != float64(b.now.Add(30*time.Minute).UnixMilli()) {
		t.Errorf("expires = %v, want the token's expiry", m["expires"])
	}
	if code := errCode(b.get(t, self)); code != 499 {
		t.Errorf("without a token: %d, want 499", code)
	}
	if code := errCode(b.get(t, self, "X-Esri-Authorization", "Bearer v1.forged.token")); code != 498 {
		t.Errorf("forged token: %d, want 498", code)
	}

	open := server.New(server.Config{Store: b.db, Jobs: &storeJobs{store: b.db}})
	rec := httptest.NewRecorder()
	req := httptest.NewRequest(http.MethodGet, self, nil)
	req.Host = "localhost:8080" // open mode answers loopback names only
	open.ServeHTTP(rec, req)
	if body := rec.Body.String(); !strings.Contains(body, `"role":"admin"`) || !strings.Contains(body, `"tokenBasedSecurity":false`) ||
		!strings.Contains(body, `"DeleteImageCollection":true`) {
		t.Errorf("open server: %s", body)
	}
}

// TestWebMapPages checks that the pages are served under /arcgis/webmap/
// and that every ImageServer page links to its map.
func TestWebMapPages(t *testing.T) {
	t.Parallel()
	f := newImageFixture(t, server.Config{})
	for _, p := range []string{"/arcgis/webmap/", "/arcgis/webmap/map.html", "/arcgis/webmap/jobs.html"} {
		resp, err := http.Get(f.srv.URL + p)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != 200 || resp.Header.Get("Content-Security-Policy") == "" {
			t.Errorf("%s: %d, CSP %q", p, resp.StatusCode, resp.Header.Get("Content-Security-Policy"))
		}
	}
	body, _ := get(t, f.IS()+"?f=html")
	if want := `<a href="/arcgis/webmap/map.html?url=%2Farcgis%2Frest%2Fservices%2FGolden%2FImageServer">View in map</a>`; !strings.Contains(string(body), want) {
		t.Errorf("the ImageServer page has no %s:\n%s", want, body)
	}
}
