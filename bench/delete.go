package main

import (
	"bufio"
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"sync"
	"syscall"
	"time"

	_ "github.com/mattn/go-sqlite3" // the plain driver: the peer runs bare SQL
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
	spec := CatalogSpec{Items: 1_000_000, Revisits: 100}
	first, n := 40, 10
	if env.Quick {
		spec, first, n = CatalogSpec{Items: 20_000, Revisits: 20}, 8, 2
	}
	cat, err := GenerateCatalog(ctx, env, spec)
	if err != nil {
		return nil, err
	}
	where, selected := cat.DateWhere(first, n)
	scale := fmt.Sprintf("%dk of %dk items", selected/1000, cat.Spec.Items/1000)
	reps := env
	if !env.Quick && env.Reps > 3 {
		r := *env
		r.Reps = 3 // each repetition copies the whole catalog twice
		reps = &r
	}

	var (
		boundarySamples []float64
		readDuring      []float64
		readBefore      []float64
		rss             int64
	)
	ours, err := repeat(reps, func(i int) (float64, error) {
		dir := filepath.Join(env.Work, fmt.Sprintf("delete-big-%d", i+1))
		defer os.RemoveAll(dir)
		if _, err := cat.Copy(dir); err != nil {
			return 0, err
		}
		s, err := startBenchServer(ctx, env, dir)
		if err != nil {
			return 0, err
		}
		defer s.stop()
		before, err := s.readLatencies(ctx, cat.Collection, 30)
		if err != nil {
			return 0, err
		}
		stopReader := make(chan struct{})
		var during []float64
		var wg sync.WaitGroup
		wg.Go(func() { during = s.readUntil(ctx, cat.Collection, stopReader) })
		start := time.Now()
		job, err := s.submit(ctx, "DeleteImage", url.Values{"imageCollection": {cat.Collection}, "where": {where}})
		if err == nil {
			err = s.waitJob(ctx, "DeleteImage", job, time.Millisecond)
		}
		jobTime := time.Since(start)
		if err == nil {
			_, err = s.get(ctx, "/rest/services/"+cat.Collection+"/ImageServer/boundary?f=json")
		}
		boundaryTime := time.Since(start)
		close(stopReader)
		wg.Wait()
		if err != nil {
			return 0, err
		}
		var res struct {
			Value struct{ Removed int } `json:"value"`
		}
		if b, err := s.get(ctx, "/rest/services/System/RasterAnalysisTools/GPServer/DeleteImage/jobs/"+job+"/results/result?f=json"); err != nil {
			return 0, err
		} else if err := json.Unmarshal(b, &res); err != nil || res.Value.Removed != selected {
			return 0, fmt.Errorf("delete removed %d items, want %d (%v)", res.Value.Removed, selected, err)
		}
		if i >= 0 {
			boundarySamples = append(boundarySamples, boundaryTime.Seconds())
			readBefore = append(readBefore, before...)
			readDuring = append(readDuring, during...)
			rss = max(rss, s.peakRSS())
		}
		env.Logf("delete %s: succeeded after %s, boundary read after %s; %d reads during it",
			scale, jobTime.Round(time.Millisecond), boundaryTime.Round(time.Millisecond), len(during))
		return jobTime.Seconds(), nil
	})
	if err != nil {
		return nil, err
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
		return nil, err
	}

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
	defer s.stop()
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
	s.stop()

	sort.Float64s(one)
	return []Measurement{
		{Name: "DeleteImage " + scale + " (date range), submit → esriJobSucceeded", Unit: "s", Ours: ours,
			Peer: "bare SQLite DELETE … WHERE + R*Tree rows, same file", PeerS: bare, Target: "≤ 1.5× peer",
			PeakRSS: rss, Scale: cat.Spec.Items},
		{Name: "DeleteImage " + scale + ", submit → boundary read back", Unit: "s", Ours: boundarySamples,
			Peer: "bare SQLite DELETE … WHERE", PeerS: bare, Scale: cat.Spec.Items,
			Note: "includes the first /boundary read after the job"},
		{Name: "query latency during that delete (count by where)", Unit: "ms", Ours: readDuring,
			Peer: "same query before the delete", PeerS: readBefore, Target: "readers not blocked"},
		{Name: fmt.Sprintf("one-item DeleteImage, submit → succeeded (polling client, p90 %.1f ms)", percentile(one, 0.9)), Unit: "ms", Ours: one,
			Target: "p50 < 20 ms", Scale: cat.Spec.Items},
	}, nil
}

func percentile(sorted []float64, p float64) float64 {
	if len(sorted) == 0 {
		return 0
	}
	return sorted[min(len(sorted)-1, int(p*float64(len(sorted))))]
}

// bareDelete runs the peer: one transaction that deletes the R*Tree rows
// and the catalog rows a date range selects, with the store's pragmas.
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
	if _, err := tx.ExecContext(ctx, fmt.Sprintf(`DELETE FROM rtree_%d WHERE id IN (SELECT "OBJECTID" FROM items_%d WHERE %s)`, id, id, pred), from, to); err != nil {
		return 0, 0, err
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

// benchServer is a tessera server process on a data directory.
type benchServer struct {
	cmd  *exec.Cmd
	base string // http://host:port/arcgis
	done chan struct{}
	once sync.Once
}

var benchServingRE = regexp.MustCompile(`url=(http://\S+)/rest/services`)

func startBenchServer(ctx context.Context, env *Env, dir string) (*benchServer, error) {
	cmd := exec.Command(env.Binary, "serve", "--addr", "127.0.0.1:0", "--data", dir)
	stderr, err := cmd.StderrPipe()
	if err != nil {
		return nil, err
	}
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	s := &benchServer{cmd: cmd, done: make(chan struct{})}
	urlc := make(chan string, 1)
	go func() {
		defer close(s.done)
		sc := bufio.NewScanner(stderr)
		for sc.Scan() {
			if m := benchServingRE.FindStringSubmatch(sc.Text()); m != nil {
				select {
				case urlc <- m[1]:
				default:
				}
			}
		}
		cmd.Wait()
	}()
	select {
	case s.base = <-urlc:
		return s, nil
	case <-s.done:
		return nil, fmt.Errorf("tessera exited before serving")
	case <-time.After(2 * time.Minute):
		s.stop()
		return nil, fmt.Errorf("tessera did not start")
	case <-ctx.Done():
		s.stop()
		return nil, ctx.Err()
	}
}

func (s *benchServer) stop() {
	s.once.Do(func() {
		s.cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-s.done:
		case <-time.After(time.Minute):
			s.cmd.Process.Kill()
			<-s.done
		}
	})
}

// peakRSS returns the server's peak resident set size so far.
func (s *benchServer) peakRSS() int64 {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", s.cmd.Process.Pid))
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(b), "\n") {
		if strings.HasPrefix(line, "VmHWM:") {
			var kb int64
			fmt.Sscan(strings.TrimSpace(strings.TrimSuffix(strings.TrimPrefix(line, "VmHWM:"), "kB")), &kb)
			return kb << 10
		}
	}
	return 0
}

func (s *benchServer) get(ctx context.Context, path string) ([]byte, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, s.base+path, nil)
	if err != nil {
		return nil, err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err == nil && strings.Contains(string(b[:min(len(b), 12)]), `"error"`) {
		err = fmt.Errorf("%s: %s", path, b)
	}
	return b, err
}

func (s *benchServer) submit(ctx context.Context, task string, form url.Values) (string, error) {
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
func (s *benchServer) waitJob(ctx context.Context, task, id string, interval time.Duration) error {
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

// readQuery is what the concurrent reader asks: a count by where, which
// scans the catalog in SQLite like a typical filtered query.
func readQuery(name string) string {
	return "/rest/services/" + name + "/ImageServer/query?f=json&returnCountOnly=true&where=" +
		url.QueryEscape("CloudCover < 1 AND SensorName = 'Landsat-8'")
}

func (s *benchServer) readLatencies(ctx context.Context, name string, n int) ([]float64, error) {
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

func (s *benchServer) readUntil(ctx context.Context, name string, stop <-chan struct{}) []float64 {
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
