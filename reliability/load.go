package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// Load is the mixed load: Clients goroutines that, until Duration has
// passed, each pick an operation at random — DeleteImage of a small
// OBJECTID range, AddImage of a tiny GeoTIFF of its own, a query, an
// exportImage, a read of the services directory — wait Think on average
// between operations, and poll the jobs they submit until they end. It
// keeps a model of what the committed jobs must have done to the catalog,
// which Check compares with the catalog item by item.
type Load struct {
	Env      *Env
	Srv      *Server
	Cat      *Catalog
	Clients  int
	Duration time.Duration
	Think    time.Duration // mean pause between a client's operations
	// Mix in percent: deletes, adds; the rest is split between queries
	// (60%), exports (20%) and the directory (20%).
	DeletePct, AddPct int
	DeleteWidth       int // OBJECTIDs per DeleteImage
	// NoInfo leaves the ImageServer resource (the collection's info) out of
	// the directory reads: at 1M items it scans the whole table for the
	// time extent on every request (see docs/reliability.md).
	NoInfo bool
	// PollEvery is the pause between polls of a job (default 250 ms;
	// ArcGIS REST JS polls every 2 s, the ArcGIS API for Python backs off
	// from 0.1 s).
	PollEvery time.Duration

	hc        *http.Client
	start     time.Time
	elapsed   time.Duration
	end       atomic.Int64 // UnixNano when the clients stop
	ranges    []int        // permutation of delete-range indexes
	nextRange atomic.Int64 // next index into ranges
	nextAdd   atomic.Int64
	epoch     atomic.Int64 // bumped by every fault that breaks requests (a kill)
	down      atomic.Bool  // the server is being killed or restarted

	mu    sync.Mutex
	jobs  []*Job
	stats map[string]*OpStats
}

// Job is one submitted (or attempted) job and what the client learnt.
type Job struct {
	Task   string
	ID     string // "" if the submit's answer never arrived
	Lo, Hi int    // DeleteImage: OBJECTIDs [Lo, Hi)
	Name   string // AddImage: the item's name (its file's base name)
	Status string // last status the client saw; "unknown" if the submit failed during a fault
	Note   string
}

// OpStats collects one kind of operation's latencies and errors.
type OpStats struct {
	Lat       []time.Duration
	Errors    int // failures not explained by a fault
	FaultErrs int // failures while the server was being killed or restarted
	Samples   []string
}

// Result is what a run of the load measured and checked.
type Result struct {
	Ops          map[string]*OpStats
	Jobs         map[string]int // final status → count
	Problems     []string       // errors, lost or duplicated jobs, model mismatches
	Items        int            // items in the catalog at the end
	Deleted      int            // OBJECTIDs the succeeded deletes removed
	Added        int            // items the succeeded adds made
	Elapsed      time.Duration
	IntegrityOK  bool
	IntegrityMsg string
}

func (l *Load) init() {
	if l.DeleteWidth == 0 {
		l.DeleteWidth = 10
	}
	if l.PollEvery == 0 {
		l.PollEvery = 250 * time.Millisecond
	}
	if l.hc == nil {
		l.hc = &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 256}, Timeout: 2 * time.Minute}
	}
	if l.stats == nil {
		l.stats = map[string]*OpStats{}
		n := l.Cat.Items / l.DeleteWidth
		l.ranges = rand.New(rand.NewPCG(3, 4)).Perm(n)
		os.MkdirAll(filepath.Join(l.Env.Store, "add"), 0o755)
	}
}

// Run runs the load until Duration has passed or ctx ends, then waits for
// the clients' jobs to end (at most two minutes).
func (l *Load) Run(ctx context.Context) {
	l.init()
	l.start = time.Now()
	l.end.Store(l.start.Add(l.Duration).UnixNano())
	var wg sync.WaitGroup
	for c := range l.Clients {
		wg.Go(func() { l.client(ctx, c) })
	}
	wg.Wait()
	l.elapsed = time.Since(l.start)
}

// stopAt moves the end of the load to t.
func (l *Load) stopAt(t time.Time) { l.end.Store(t.UnixNano()) }

func (l *Load) client(ctx context.Context, c int) {
	r := rand.New(rand.NewPCG(uint64(c), uint64(time.Now().UnixNano())))
	for ctx.Err() == nil && time.Now().UnixNano() < l.end.Load() {
		p := r.IntN(100)
		switch {
		case p < l.DeletePct:
			l.deleteImage(ctx, r)
		case p < l.DeletePct+l.AddPct:
			l.addImage(ctx, c)
		default:
			switch q := r.IntN(10); {
			case q < 6:
				l.query(ctx, r)
			case q < 8:
				l.export(ctx, r)
			default:
				l.directory(ctx, r)
			}
		}
		if l.Think > 0 {
			sleep(ctx, time.Duration(r.Int64N(int64(2*l.Think))))
		}
	}
}

func sleep(ctx context.Context, d time.Duration) {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
	case <-t.C:
	}
}

// do sends one request and returns the body of a 200 answer that is not
// an Esri error envelope (for JSON). It records latency and errors under
// op; an error while a fault is under way is counted as a fault error.
func (l *Load) do(ctx context.Context, op, method, u string, form url.Values, wantJSON bool) ([]byte, error) {
	epoch, wasDown := l.epoch.Load(), l.down.Load()
	var body io.Reader
	if method == http.MethodPost {
		body = strings.NewReader(form.Encode())
	} else if form != nil {
		u += "?" + form.Encode()
	}
	req, err := http.NewRequestWithContext(ctx, method, u, body)
	if err != nil {
		return nil, err
	}
	if method == http.MethodPost {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	t0 := time.Now()
	resp, err := l.hc.Do(req)
	var data []byte
	if err == nil {
		data, err = io.ReadAll(resp.Body)
		resp.Body.Close()
		if err == nil && resp.StatusCode != http.StatusOK {
			err = fmt.Errorf("HTTP %d: %.300s", resp.StatusCode, data)
		}
	}
	if err == nil && wantJSON {
		var m struct {
			Error any `json:"error"`
		}
		if jerr := json.Unmarshal(data, &m); jerr != nil {
			err = fmt.Errorf("not JSON: %.200s", data)
		} else if m.Error != nil {
			err = fmt.Errorf("Esri error: %.300s", data)
		}
	}
	lat := time.Since(t0)
	l.mu.Lock()
	defer l.mu.Unlock()
	s := l.stats[op]
	if s == nil {
		s = &OpStats{}
		l.stats[op] = s
	}
	switch {
	case err == nil:
		s.Lat = append(s.Lat, lat)
	case ctx.Err() != nil:
		// the run ended
	case wasDown || l.down.Load() || l.epoch.Load() != epoch:
		s.FaultErrs++
	default:
		s.Errors++
		if len(s.Samples) < 5 {
			s.Samples = append(s.Samples, fmt.Sprintf("%s %s: %v", method, u, err))
		}
	}
	return data, err
}

// faulty reports whether a fault is under way (or happened since epoch).
func (l *Load) faulty(epoch int64) bool { return l.down.Load() || l.epoch.Load() != epoch }

func (l *Load) services() string { return l.Srv.Base() + "/rest/services" }
func (l *Load) gp(task string) string {
	return l.services() + "/System/RasterAnalysisTools/GPServer/" + task
}

func (l *Load) deleteImage(ctx context.Context, r *rand.Rand) {
	k := int(l.nextRange.Add(1) - 1)
	if k >= len(l.ranges) {
		l.query(ctx, r) // every range is taken: the catalog is used up
		return
	}
	lo := 1 + l.ranges[k]*l.DeleteWidth
	j := &Job{Task: "DeleteImage", Lo: lo, Hi: lo + l.DeleteWidth}
	l.runJob(ctx, j, url.Values{"imageCollection": {Collection},
		"where": {fmt.Sprintf("OBJECTID >= %d AND OBJECTID < %d", j.Lo, j.Hi)}})
}

func (l *Load) addImage(ctx context.Context, c int) {
	n := l.nextAdd.Add(1)
	name := fmt.Sprintf("add%d_%d", c, n)
	path := filepath.Join(l.Env.Store, "add", name+".tif")
	if err := copyFile(l.Env.Template(), path); err != nil {
		l.mu.Lock()
		l.stats["add-setup"] = &OpStats{Errors: 1, Samples: []string{err.Error()}}
		l.mu.Unlock()
		return
	}
	j := &Job{Task: "AddImage", Name: name}
	l.runJob(ctx, j, url.Values{"imageCollection": {Collection}, "inputRasters": {path}})
}

func copyFile(src, dst string) error {
	b, err := os.ReadFile(src)
	if err != nil {
		return err
	}
	return os.WriteFile(dst, b, 0o644)
}

var terminal = map[string]bool{"esriJobSucceeded": true, "esriJobFailed": true, "esriJobCancelled": true, "esriJobTimedOut": true}

// runJob submits a job, then polls it until it ends. Jobs are polled to
// the end even after the load's time is up (for at most two minutes).
func (l *Load) runJob(ctx context.Context, j *Job, form url.Values) {
	l.mu.Lock()
	l.jobs = append(l.jobs, j)
	l.mu.Unlock()
	form.Set("f", "json")
	epoch := l.epoch.Load()
	t0 := time.Now()
	body, err := l.do(ctx, "submit", http.MethodPost, l.gp(j.Task)+"/submitJob", form, true)
	if err != nil {
		l.setStatus(j, "unknown", fmt.Sprintf("submit: %v (fault: %v)", err, l.faulty(epoch)))
		return
	}
	var m struct {
		JobID string `json:"jobId"`
	}
	json.Unmarshal(body, &m)
	l.mu.Lock()
	j.ID = m.JobID
	j.Status = "esriJobSubmitted"
	l.mu.Unlock()
	deadline := time.Now().Add(2 * time.Minute)
	for ctx.Err() == nil && time.Now().Before(deadline) {
		sleep(ctx, l.PollEvery)
		body, err := l.do(ctx, "poll", http.MethodGet, l.gp(j.Task)+"/jobs/"+j.ID,
			url.Values{"f": {"json"}, "returnMessages": {"false"}}, true)
		if err != nil {
			continue // counted; the job is polled again
		}
		var st struct {
			JobStatus string `json:"jobStatus"`
		}
		json.Unmarshal(body, &st)
		l.setStatus(j, st.JobStatus, "")
		if terminal[st.JobStatus] {
			l.mu.Lock()
			s := l.stats["job"]
			if s == nil {
				s = &OpStats{}
				l.stats["job"] = s
			}
			s.Lat = append(s.Lat, time.Since(t0))
			l.mu.Unlock()
			return
		}
	}
}

func (l *Load) setStatus(j *Job, status, note string) {
	l.mu.Lock()
	j.Status = status
	if note != "" {
		j.Note = note
	}
	l.mu.Unlock()
}

// window returns a random bbox of w×w tiles inside the catalog.
func (l *Load) window(r *rand.Rand, w int) string {
	rows := (l.Cat.Tiles + l.Cat.Cols - 1) / l.Cat.Cols
	c0, r0 := r.IntN(max(1, l.Cat.Cols-w+1)), r.IntN(max(1, rows-w+1))
	tileSize := l.Cat.Spec.TileSize
	ox, oy, _, _ := l.Cat.Extent()
	x0, y0 := ox+float64(c0)*tileSize, oy+float64(r0)*tileSize
	d := float64(w) * tileSize
	return fmt.Sprintf("%g,%g,%g,%g", x0+10, y0+10, x0+d-10, y0+d-10)
}

func (l *Load) query(ctx context.Context, r *rand.Rand) {
	where := fmt.Sprintf("CloudCover < %d", 10+r.IntN(40))
	if r.IntN(4) == 0 {
		where += " AND SensorName = 'Landsat-8'"
	}
	l.do(ctx, "query", http.MethodGet, l.services()+"/"+Collection+"/ImageServer/query", url.Values{
		"f": {"json"}, "where": {where}, "geometry": {l.window(r, 2)}, "geometryType": {"esriGeometryEnvelope"},
		"spatialRel": {"esriSpatialRelIntersects"}, "outFields": {"OBJECTID,Name,CloudCover,AcquisitionDate"},
		"returnGeometry": {"true"}, "resultRecordCount": {"200"}, "orderByFields": {"AcquisitionDate DESC"},
	}, true)
}

func (l *Load) export(ctx context.Context, r *rand.Rand) {
	l.do(ctx, "export", http.MethodGet, l.services()+"/"+Collection+"/ImageServer/exportImage", url.Values{
		"f": {"image"}, "bbox": {l.window(r, 1)}, "bboxSR": {"32633"}, "size": {"128,128"}, "format": {"png"},
		"mosaicRule": {`{"mosaicMethod":"esriMosaicAttribute","sortField":"AcquisitionDate","where":"CloudCover < 20"}`},
	}, false)
}

func (l *Load) directory(ctx context.Context, r *rand.Rand) {
	urls := []string{l.services(), l.services() + "/System/RasterAnalysisTools/GPServer", l.services() + "/" + Collection + "/ImageServer"}
	if l.NoInfo {
		urls = urls[:2]
	}
	u := urls[r.IntN(len(urls))]
	l.do(ctx, "directory", http.MethodGet, u, url.Values{"f": {"json"}}, true)
}

// Check waits for every job the clients submitted to end, compares the
// statuses with what the clients saw, and compares the catalog with the
// model item by item. Call it with the server up.
func (l *Load) Check(ctx context.Context) *Result {
	res := &Result{Ops: l.stats, Jobs: map[string]int{}, Elapsed: l.elapsed}
	problem := func(f string, a ...any) {
		if len(res.Problems) < 40 {
			res.Problems = append(res.Problems, fmt.Sprintf(f, a...))
		}
	}
	for op, s := range l.stats {
		if s.Errors > 0 {
			problem("%s: %d errors, e.g. %s", op, s.Errors, strings.Join(s.Samples, " | "))
		}
	}
	// Every job has a true terminal status now, the one the client saw.
	for _, j := range l.jobs {
		if j.ID == "" {
			res.Jobs["unknown (submit interrupted)"]++
			continue
		}
		final, runs := l.finalStatus(ctx, j)
		res.Jobs[final]++
		if runs > 1 {
			problem("job %s (%s) started executing %d times", j.ID, j.Task, runs)
		}
		switch {
		case !terminal[final]:
			problem("job %s (%s) is %s at the end: lost", j.ID, j.Task, final)
		case terminal[j.Status] && j.Status != final:
			problem("job %s (%s): the client saw %s, the server now says %s", j.ID, j.Task, j.Status, final)
		}
		j.Status = final
	}
	// The catalog, item by item.
	present, err := l.ids(ctx, fmt.Sprintf("OBJECTID <= %d", l.Cat.Items))
	if err != nil {
		problem("list items: %v", err)
		return res
	}
	inRange := make([]bool, l.Cat.Items+1)
	for _, j := range l.jobs {
		if j.Task != "DeleteImage" {
			continue
		}
		n := 0
		for id := j.Lo; id < j.Hi; id++ {
			inRange[id] = true
			if present[id] {
				n++
			}
		}
		w := j.Hi - j.Lo
		switch {
		case j.Status == "esriJobSucceeded" && n != 0:
			problem("DeleteImage %s [%d,%d) succeeded but %d of its items remain", j.ID, j.Lo, j.Hi, n)
		case j.Status == "esriJobSucceeded":
			res.Deleted += w
		case j.Status == "unknown" || j.ID == "":
			if n != 0 && n != w {
				problem("DeleteImage [%d,%d) (submit interrupted): %d of %d items remain: not all or nothing", j.Lo, j.Hi, n, w)
			}
			if n == 0 {
				res.Deleted += w
			}
		case n != w:
			problem("DeleteImage %s [%d,%d) ended %s but removed %d items", j.ID, j.Lo, j.Hi, j.Status, w-n)
		}
	}
	for id := 1; id <= l.Cat.Items; id++ {
		if !inRange[id] && !present[id] {
			problem("item %d was deleted by no job", id)
		}
	}
	// Added items: each succeeded add made exactly one, the others none.
	names, err := l.addedNames(ctx)
	if err != nil {
		problem("list added items: %v", err)
		return res
	}
	for name := range names {
		if strings.HasPrefix(name, "fault_") {
			delete(names, name) // added by a fault scenario, which checks its own
		}
	}
	want := map[string]*Job{}
	for _, j := range l.jobs {
		if j.Task == "AddImage" {
			want[j.Name] = j
		}
	}
	for name, n := range names {
		j := want[name]
		switch {
		case j == nil:
			problem("item %q was added by no job", name)
		case n > 1:
			problem("AddImage %s (%s) added %d items: run twice?", j.ID, name, n)
		case j.Status != "esriJobSucceeded" && j.Status != "unknown" && j.ID != "":
			problem("AddImage %s (%s) ended %s but its item is there", j.ID, name, j.Status)
		}
	}
	for name, j := range want {
		if j.Status == "esriJobSucceeded" {
			if names[name] == 0 {
				problem("AddImage %s (%s) succeeded but its item is missing", j.ID, name)
			}
			res.Added++
		} else if names[name] == 1 {
			res.Added++
		}
	}
	res.Items = len(present)
	for _, n := range names {
		res.Items += n
	}
	if want := l.Cat.Items - res.Deleted + res.Added; res.Items != want {
		problem("catalog has %d items, the model %d", res.Items, want)
	}
	return res
}

// finalStatus polls a job until it is terminal (for at most two minutes)
// and returns its status and how many times its messages say it started
// executing (a job run twice says so twice).
func (l *Load) finalStatus(ctx context.Context, j *Job) (string, int) {
	deadline := time.Now().Add(2 * time.Minute)
	for {
		var st struct {
			JobStatus string `json:"jobStatus"`
			Messages  []struct {
				Description string `json:"description"`
			} `json:"messages"`
		}
		err := getJSON(ctx, l.hc, l.gp(j.Task)+"/jobs/"+j.ID+"?f=json", &st)
		if err == nil && (terminal[st.JobStatus] || time.Now().After(deadline)) {
			runs := 0
			for _, m := range st.Messages {
				if m.Description == "Executing..." {
					runs++
				}
			}
			return st.JobStatus, runs
		}
		if err != nil && time.Now().After(deadline) {
			return "missing: " + err.Error(), 0
		}
		sleep(ctx, 100*time.Millisecond)
	}
}

// httpClient is for requests outside the load.
var httpClient = http.Client{Timeout: 2 * time.Minute}

func postJSON(ctx context.Context, u string, form url.Values, v any) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, u, strings.NewReader(form.Encode()))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	return doJSON(&httpClient, req, v)
}

func getJSON(ctx context.Context, hc *http.Client, u string, v any) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return err
	}
	return doJSON(hc, req, v)
}

func doJSON(hc *http.Client, req *http.Request, v any) error {
	u := req.URL.String()
	resp, err := hc.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		return err
	}
	if resp.StatusCode != 200 {
		return fmt.Errorf("HTTP %d: %.300s", resp.StatusCode, b)
	}
	var e struct {
		Error any `json:"error"`
	}
	if json.Unmarshal(b, &e) == nil && e.Error != nil {
		return fmt.Errorf("%s: %.300s", u, b)
	}
	return json.Unmarshal(b, v)
}

// ids returns the OBJECTIDs the where clause selects.
func (l *Load) ids(ctx context.Context, where string) (map[int]bool, error) {
	var m struct {
		ObjectIDs []int `json:"objectIds"`
	}
	u := l.services() + "/" + Collection + "/ImageServer/query?" + url.Values{"f": {"json"}, "where": {where}, "returnIdsOnly": {"true"}}.Encode()
	if err := getJSON(ctx, l.hc, u, &m); err != nil {
		return nil, err
	}
	out := make(map[int]bool, len(m.ObjectIDs))
	for _, id := range m.ObjectIDs {
		if out[id] {
			return nil, fmt.Errorf("OBJECTID %d listed twice", id)
		}
		out[id] = true
	}
	return out, nil
}

// addedNames counts the names of the items beyond the generated catalog.
func (l *Load) addedNames(ctx context.Context) (map[string]int, error) {
	out := map[string]int{}
	for offset := 0; ; offset += 1000 {
		var m struct {
			Features []struct {
				Attributes map[string]any `json:"attributes"`
			} `json:"features"`
			Exceeded bool `json:"exceededTransferLimit"`
		}
		u := l.services() + "/" + Collection + "/ImageServer/query?" + url.Values{"f": {"json"},
			"where": {fmt.Sprintf("OBJECTID > %d", l.Cat.Items)}, "outFields": {"OBJECTID,Name"}, "returnGeometry": {"false"},
			"orderByFields": {"OBJECTID"}, "resultOffset": {fmt.Sprint(offset)}, "resultRecordCount": {"1000"}}.Encode()
		if err := getJSON(ctx, l.hc, u, &m); err != nil {
			return nil, err
		}
		for _, f := range m.Features {
			name, _ := f.Attributes["Name"].(string)
			out[name]++
		}
		if len(m.Features) < 1000 && !m.Exceeded {
			return out, nil
		}
	}
}

// Percentile returns the p-th percentile (0–100) of ds.
func Percentile(ds []time.Duration, p float64) time.Duration {
	if len(ds) == 0 {
		return 0
	}
	s := slices.Clone(ds)
	sort.Slice(s, func(i, j int) bool { return s[i] < s[j] })
	i := int(float64(len(s)-1) * p / 100)
	return s[i]
}

// Summary renders the result as a few lines of text.
func (r *Result) Summary() string {
	var b strings.Builder
	ops := []string{"query", "poll", "submit", "export", "directory", "job"}
	for _, op := range ops {
		s := r.Ops[op]
		if s == nil {
			continue
		}
		secs := r.Elapsed.Seconds()
		fmt.Fprintf(&b, "  %-9s n=%-6d %6.1f/s  p50 %6.1f ms  p99 %7.1f ms  max %7.1f ms  errors %d  fault-window failures %d\n",
			op, len(s.Lat), float64(len(s.Lat))/secs, ms(Percentile(s.Lat, 50)), ms(Percentile(s.Lat, 99)),
			ms(Percentile(s.Lat, 100)), s.Errors, s.FaultErrs)
	}
	var st []string
	for k, v := range r.Jobs {
		st = append(st, fmt.Sprintf("%s %d", k, v))
	}
	sort.Strings(st)
	fmt.Fprintf(&b, "  jobs: %s\n", strings.Join(st, ", "))
	fmt.Fprintf(&b, "  catalog: %d items at the end (%d removed by deletes, %d added)\n", r.Items, r.Deleted, r.Added)
	if r.IntegrityMsg != "" {
		fmt.Fprintf(&b, "  PRAGMA integrity_check: %s\n", r.IntegrityMsg)
	}
	if len(r.Problems) == 0 {
		b.WriteString("  model check: catalog equals the model, no job lost or run twice, no errors\n")
	}
	for _, p := range r.Problems {
		fmt.Fprintf(&b, "  PROBLEM: %s\n", p)
	}
	return b.String()
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }
