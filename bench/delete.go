package main

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"time"

	_ "github.com/mattn/go-sqlite3" // the plain driver: the peer runs bare SQL
	"github.com/tessera-gis/tessera/internal/subprocess"
)

func init() { register(Benchmark{Name: "delete", Issue: 5, Run: runDelete}) }

// runDelete measures DeleteImage on a 1,000,000-item catalog (20,000 in
// quick mode):
//   - a delete whose where (a date range) selects 10% of the items, from
//     submit to esriJobSucceeded and to the first boundary read after it,
//     against the bare SQLite DELETE … WHERE (with R*Tree maintenance) on
//     an identical copy of the file;
//   - query latency of a concurrent reader during that delete;
//   - one-item deletes from submit to succeeded, as a polling client sees.
func runDelete(ctx context.Context, env *Env) ([]Measurement, error) {
	// The same 10% delete at three catalog sizes, to show how cost grows;
	// the concurrent reader, one-item deletes and the worst case run on the
	// largest.
	scales := []int{10_000, 100_000, 1_000_000}
	revisits, first, n := 100, 40, 10
	if env.Quick {
		scales, revisits, first, n = []int{2_000, 20_000}, 20, 8, 2
	}
	var out []Measurement
	var cat *Catalog
	var read bigRun
	for i, items := range scales {
		var err error
		cat, err = GenerateCatalog(ctx, env, CatalogSpec{Items: items, Revisits: revisits})
		if err != nil {
			return nil, err
		}
		last := i == len(scales)-1
		ms, r, err := bigDeleteVsBare(ctx, env, cat, first, n, last)
		if err != nil {
			return nil, err
		}
		out = append(out, ms...)
		if last {
			read = r
		}
	}
	out = append(out, Measurement{Name: "query latency during the largest delete (100 items by OBJECTID range)", Unit: "ms",
		Ours: read.during, Peer: "same query before the delete", PeerS: read.before, Target: "readers not blocked",
		Note: fmt.Sprintf("%d queries during a %.1f s delete", len(read.during), read.job.Seconds())})

	// One-item deletes on a fresh copy.
	dir := filepath.Join(env.Work, "delete-one")
	defer os.RemoveAll(dir)
	if _, err := cat.Copy(dir); err != nil {
		return nil, err
	}
	s, err := startBenchServer(ctx, env, dir)
	if err != nil {
		return nil, err
	}
	defer s.Stop()
	count := 60
	if env.Quick {
		count = 10
	}
	var one []float64
	for i := range count + 5 {
		oid := 1 + (i*7919)%cat.Spec.Items
		start := time.Now()
		job, err := s.submit(ctx, "DeleteImage", url.Values{"imageCollection": {cat.Collection}, "where": {fmt.Sprintf("OBJECTID = %d", oid)}})
		if err == nil {
			err = s.waitJob(ctx, "DeleteImage", job, time.Millisecond)
		}
		if err != nil {
			return nil, err
		}
		if i >= 5 { // the first few warm caches
			one = append(one, float64(time.Since(start))/float64(time.Millisecond))
		}
	}
	s.Stop()

	sort.Float64s(one)
	worst, worstScale, err := deleteWorstCase(ctx, env)
	if err != nil {
		return nil, err
	}
	return append(out,
		Measurement{Name: fmt.Sprintf("one-item DeleteImage on %s items, submit → succeeded (polling client, p90 %.1f ms)",
			countLabel(cat.Spec.Items), percentile(one, 0.9)), Unit: "ms", Ours: one, Target: "p50 < 20 ms"},
		Measurement{Name: "worst case for the boundary: DeleteImage " + worstScale + ", every footprint distinct, submit → boundary read back",
			Unit: "s", Ours: worst, Note: "every cell's union is recomputed; shared footprints (above) cost nothing"},
	), nil
}

// bigRun is one big delete as a client sees it.
type bigRun struct {
	job, boundary  time.Duration
	before, during []float64
	rss            int64
}

// bigDeleteVsBare times a DeleteImage whose where selects revisits
// [first, first+n) of cat, from submit to esriJobSucceeded and to the first
// boundary read after it, against the bare SQLite DELETE … WHERE (with
// R*Tree maintenance) on an identical copy. With reader, one more run
// measures a concurrent reader's latency.
func bigDeleteVsBare(ctx context.Context, env *Env, cat *Catalog, first, n int, reader bool) ([]Measurement, bigRun, error) {
	where, selected := cat.DateWhere(first, n)
	scale := countLabel(selected) + " of " + countLabel(cat.Spec.Items) + " items"
	reps := env
	if !env.Quick && env.Reps > 3 {
		r := *env
		r.Reps = 3 // each repetition copies the whole catalog twice
		reps = &r
	}
	bigDelete := func(name string, withReader bool) (bigRun, error) {
		var r bigRun
		dir := filepath.Join(env.Work, name)
		defer os.RemoveAll(dir)
		if _, err := cat.Copy(dir); err != nil {
			return r, err
		}
		s, err := startBenchServer(ctx, env, dir)
		if err != nil {
			return r, err
		}
		defer s.Stop()
		stopReader := make(chan struct{})
		var wg sync.WaitGroup
		if withReader {
			if r.before, err = s.readLatencies(ctx, cat.Collection, 50); err != nil {
				return r, err
			}
			wg.Go(func() { r.during = s.readUntil(ctx, cat.Collection, stopReader) })
		}
		start := time.Now()
		job, err := s.submit(ctx, "DeleteImage", url.Values{"imageCollection": {cat.Collection}, "where": {where}})
		if err == nil {
			err = s.waitJob(ctx, "DeleteImage", job, 10*time.Millisecond) // 1 ms polls would steal a core from the delete
		}
		r.job = time.Since(start)
		if err == nil {
			_, err = s.get(ctx, "/rest/services/"+cat.Collection+"/ImageServer/boundary?f=json")
		}
		r.boundary = time.Since(start)
		close(stopReader)
		wg.Wait()
		if err != nil {
			return r, err
		}
		var res struct {
			Value struct{ Removed int } `json:"value"`
		}
		if b, err := s.get(ctx, "/rest/services/System/RasterAnalysisTools/GPServer/DeleteImage/jobs/"+job+"/results/result?f=json"); err != nil {
			return r, err
		} else if err := json.Unmarshal(b, &res); err != nil || res.Value.Removed != selected {
			return r, fmt.Errorf("delete removed %d items, want %d (%v)", res.Value.Removed, selected, err)
		}
		r.rss = s.PeakRSS()
		env.Logf("delete %s: succeeded after %s, boundary read after %s; %d reads during it",
			scale, r.job.Round(time.Millisecond), r.boundary.Round(time.Millisecond), len(r.during))
		return r, nil
	}
	var (
		boundarySamples []float64
		rss             int64
		read            bigRun
	)
	ours, err := repeat(reps, func(i int) (float64, error) {
		r, err := bigDelete(fmt.Sprintf("delete-big-%d", i+1), false)
		if i >= 0 {
			boundarySamples = append(boundarySamples, r.boundary.Seconds())
			rss = max(rss, r.rss)
		}
		return r.job.Seconds(), err
	})
	if err != nil {
		return nil, read, err
	}
	if reader {
		if read, err = bigDelete("delete-read", true); err != nil {
			return nil, read, err
		}
	}
	bare, err := repeat(reps, func(i int) (float64, error) {
		dir := filepath.Join(env.Work, fmt.Sprintf("delete-bare-%d", i+1))
		defer os.RemoveAll(dir)
		path, err := cat.Copy(dir)
		if err != nil {
			return 0, err
		}
		from := catalogEpoch.AddDate(0, 0, first*RevisitDays).UnixMilli()
		to := catalogEpoch.AddDate(0, 0, (first+n)*RevisitDays).UnixMilli()
		d, removed, err := bareDelete(ctx, path, from, to)
		if err == nil && removed != int64(selected) {
			err = fmt.Errorf("bare delete removed %d rows, want %d", removed, selected)
		}
		env.Logf("bare DELETE %s: %s", scale, d.Round(time.Millisecond))
		return d.Seconds(), err
	})
	if err != nil {
		return nil, read, err
	}
	return []Measurement{
		{Name: "DeleteImage " + scale + " (date range), submit → esriJobSucceeded", Unit: "s", Ours: ours,
			Peer: "bare SQLite DELETE … WHERE + R*Tree and raster rows, same file", PeerS: bare, Target: "≤ 1.5× peer",
			PeakRSS: rss, Family: "delete 10%", Scale: cat.Spec.Items},
		{Name: "DeleteImage " + scale + ", submit → boundary read back", Unit: "s", Ours: boundarySamples,
			Peer: "bare SQLite DELETE … WHERE", PeerS: bare, Family: "delete 10% + boundary", Scale: cat.Spec.Items,
			Note: "includes the first /boundary read after the job"},
	}, read, nil
}

// deleteWorstCase times a 10% delete on a catalog whose footprints all
// differ (jittered), up to the first boundary read after it: every cell's
// union must be recomputed.
func deleteWorstCase(ctx context.Context, env *Env) ([]float64, string, error) {
	spec, first, n := CatalogSpec{Items: 100_000, Revisits: 10, Jitter: 0.05}, 4, 1
	if env.Quick {
		spec = CatalogSpec{Items: 5_000, Revisits: 10, Jitter: 0.05}
	}
	cat, err := GenerateCatalog(ctx, env, spec)
	if err != nil {
		return nil, "", err
	}
	where, selected := cat.DateWhere(first, n)
	dir := filepath.Join(env.Work, "delete-worst")
	defer os.RemoveAll(dir)
	if _, err := cat.Copy(dir); err != nil {
		return nil, "", err
	}
	s, err := startBenchServer(ctx, env, dir)
	if err != nil {
		return nil, "", err
	}
	defer s.Stop()
	start := time.Now()
	job, err := s.submit(ctx, "DeleteImage", url.Values{"imageCollection": {cat.Collection}, "where": {where}})
	if err == nil {
		err = s.waitJob(ctx, "DeleteImage", job, 10*time.Millisecond)
	}
	jobTime := time.Since(start)
	if err == nil {
		_, err = s.get(ctx, "/rest/services/"+cat.Collection+"/ImageServer/boundary?f=json")
	}
	if err != nil {
		return nil, "", err
	}
	d := time.Since(start)
	scale := countLabel(selected) + " of " + countLabel(cat.Spec.Items) + " items"
	env.Logf("worst case %s: succeeded after %s, boundary read after %s", scale, jobTime.Round(time.Millisecond), d.Round(time.Millisecond))
	return []float64{d.Seconds()}, scale, nil
}

// countLabel writes 100000 as 100k and 1000000 as 1M.
func countLabel(n int) string {
	switch {
	case n >= 1_000_000 && n%1_000_000 == 0:
		return fmt.Sprintf("%dM", n/1_000_000)
	case n >= 1000 && n%1000 == 0:
		return fmt.Sprintf("%dk", n/1000)
	}
	return fmt.Sprint(n)
}

func percentile(sorted []float64, p float64) float64 {
	if len(sorted) == 0 {
		return 0
	}
	return sorted[min(len(sorted)-1, int(p*float64(len(sorted))))]
}

// bareDelete runs the peer: one transaction that deletes the R*Tree rows,
// the raster rows and the catalog rows a date range selects, with the
// store's pragmas.
func bareDelete(ctx context.Context, path string, from, to int64) (time.Duration, int64, error) {
	db, err := sql.Open("sqlite3", "file:"+path+"?_journal_mode=WAL&_synchronous=NORMAL&_cache_size=-65536&_txlock=immediate")
	if err != nil {
		return 0, 0, err
	}
	defer db.Close()
	db.SetMaxOpenConns(1)
	if err := db.PingContext(ctx); err != nil {
		return 0, 0, err
	}
	var id int64
	if err := db.QueryRowContext(ctx, `SELECT id FROM collections WHERE name = 'Bench'`).Scan(&id); err != nil {
		return 0, 0, err
	}
	pred := `"AcquisitionDate" >= ? AND "AcquisitionDate" < ?`
	start := time.Now()
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		return 0, 0, err
	}
	defer tx.Rollback()
	for _, index := range []string{`DELETE FROM rtree_%d WHERE id IN (SELECT "OBJECTID" FROM items_%d WHERE %s)`,
		`DELETE FROM rasters_%d WHERE oid IN (SELECT "OBJECTID" FROM items_%d WHERE %s)`} {
		if _, err := tx.ExecContext(ctx, fmt.Sprintf(index, id, id, pred), from, to); err != nil {
			return 0, 0, err
		}
	}
	res, err := tx.ExecContext(ctx, fmt.Sprintf(`DELETE FROM items_%d WHERE %s`, id, pred), from, to)
	if err != nil {
		return 0, 0, err
	}
	if err := tx.Commit(); err != nil {
		return 0, 0, err
	}
	d := time.Since(start)
	n, _ := res.RowsAffected()
	return d, n, nil
}

// benchServer is a tessera server process with the few requests the
// delete benchmark makes.
type benchServer struct{ *subprocess.Server }

func startBenchServer(ctx context.Context, env *Env, dir string, args ...string) (benchServer, error) {
	s, err := StartServer(ctx, env, dir, args...)
	return benchServer{s}, err
}

func (s benchServer) get(ctx context.Context, path string) ([]byte, error) {
	b, err := fetch(ctx, http.DefaultClient, s.URL+path)
	if err == nil && strings.Contains(string(b[:min(len(b), 12)]), `"error"`) {
		err = fmt.Errorf("%s: %s", path, b)
	}
	return b, err
}

func (s benchServer) submit(ctx context.Context, task string, form url.Values) (string, error) {
	form.Set("f", "json")
	b, err := s.get(ctx, "/rest/services/System/RasterAnalysisTools/GPServer/"+task+"/submitJob?"+form.Encode())
	if err != nil {
		return "", err
	}
	var m struct {
		JobID string `json:"jobId"`
	}
	if err := json.Unmarshal(b, &m); err != nil || m.JobID == "" {
		return "", fmt.Errorf("submit %s: %s", task, b)
	}
	return m.JobID, nil
}

// waitJob polls a job every interval until it succeeds; any other final
// state is an error.
func (s benchServer) waitJob(ctx context.Context, task, id string, interval time.Duration) error {
	for {
		b, err := s.get(ctx, "/rest/services/System/RasterAnalysisTools/GPServer/"+task+"/jobs/"+id+"?f=json&returnMessages=false")
		if err != nil {
			return err
		}
		var m struct {
			JobStatus string `json:"jobStatus"`
		}
		if err := json.Unmarshal(b, &m); err != nil {
			return err
		}
		switch m.JobStatus {
		case "esriJobSucceeded":
			return nil
		case "esriJobFailed", "esriJobCancelled", "esriJobTimedOut", "esriJobDeleted":
			return fmt.Errorf("job %s: %s", id, m.JobStatus)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(interval):
		}
	}
}

// readQuery is what the concurrent reader asks: a page of 100 items with
// attributes, as a client browsing the catalog does.
func readQuery(name string) string {
	return "/rest/services/" + name + "/ImageServer/query?f=json&returnGeometry=false&outFields=Name,CloudCover,AcquisitionDate&where=" +
		url.QueryEscape("OBJECTID > 500 AND OBJECTID <= 600")
}

func (s benchServer) readLatencies(ctx context.Context, name string, n int) ([]float64, error) {
	var out []float64
	for range n {
		start := time.Now()
		if _, err := s.get(ctx, readQuery(name)); err != nil {
			return nil, err
		}
		out = append(out, float64(time.Since(start))/float64(time.Millisecond))
	}
	return out, nil
}

func (s benchServer) readUntil(ctx context.Context, name string, stop <-chan struct{}) []float64 {
	var out []float64
	for {
		select {
		case <-stop:
			return out
		default:
		}
		start := time.Now()
		if _, err := s.get(ctx, readQuery(name)); err != nil {
			return out
		}
		out = append(out, float64(time.Since(start))/float64(time.Millisecond))
	}
}
