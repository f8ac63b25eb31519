package main

import (
	"bufio"
	"context"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// The manifest benchmark (issue 17) runs AddImage with the Table raster
// type on a 1M-row CSV manifest: 10,000 distinct small GeoTIFFs (the
// ingest benchmark's), 100 rows each, grouped by raster, each row with
// attributes of its own (a new text field and an integer field, and
// CloudCover). Two clients query the collection all along. It reports the
// server's peak RSS during the job, and its RSS once the job has ended,
// with the queries still running: ingest must stream, and give memory
// back.
func init() {
	register(Benchmark{Name: "manifest", Issue: 17, Run: runManifest})
}

func runManifest(ctx context.Context, env *Env) ([]Measurement, error) {
	rasters, perRaster := 10000, 100
	if env.Quick {
		rasters, perRaster = 300, 10
		settle = 5 * time.Second
	}
	if v := os.Getenv("TESSERA_BENCH_MANIFEST"); v != "" {
		// A smaller manifest for development, e.g. 2000x100 (200k rows,
		// about a fifth of the time). The figures in BENCHMARKS.md are
		// for the default, 10000x100.
		if _, err := fmt.Sscanf(v, "%dx%d", &rasters, &perRaster); err != nil || rasters <= 0 || perRaster <= 0 {
			return nil, fmt.Errorf("TESSERA_BENCH_MANIFEST=%q: want RASTERSxROWS, e.g. 2000x100", v)
		}
	}
	set := &ingestSet{name: "small", count: rasters}
	if err := generate(ctx, env, set); err != nil {
		return nil, err
	}
	manifest, err := writeManifest(env, set, perRaster)
	if err != nil {
		return nil, err
	}
	rows := rasters * perRaster
	var peaks, afters, freshes, rates []float64
	reps := 1 // each run takes minutes; one is enough for memory
	for rep := range reps {
		peak, after, fresh, rate, err := manifestOnce(ctx, env, manifest, rows, rep)
		if err != nil {
			return nil, err
		}
		peaks, afters, freshes, rates = append(peaks, peak), append(afters, after), append(freshes, fresh), append(rates, rate)
	}
	what := fmt.Sprintf("AddImage of a %s-row Table manifest (%s rasters × %d rows), 2 clients querying",
		countLabel(rows), countLabel(rasters), perRaster)
	return []Measurement{
		{Name: what + ": peak RSS during the job", Unit: "MiB", Ours: peaks, Target: "≤ 400 MiB",
			Note: fmt.Sprintf("%.0f rows/s; VmHWM of the server", median(rates))},
		{Name: what + fmt.Sprintf(": RSS %s after the job, queries still running", settle), Unit: "MiB", Ours: afters, Target: "memory given back",
			Peer: fmt.Sprintf("a fresh server on the same catalog, same queries for %s", settle), PeerS: freshes, Note: "VmRSS of the server"},
	}, nil
}

// writeManifest writes the manifest once under env.Cache: rows grouped by
// raster, relative paths.
func writeManifest(env *Env, set *ingestSet, perRaster int) (string, error) {
	path := filepath.Join(set.dir, fmt.Sprintf("manifest-%d.csv", perRaster))
	if _, err := os.Stat(path); err == nil {
		return path, nil
	}
	env.Logf("writing %s", path)
	tmp := path + ".tmp"
	f, err := os.Create(tmp)
	if err != nil {
		return "", err
	}
	w := bufio.NewWriterSize(f, 1<<20)
	fmt.Fprintln(w, "Raster,Name,Scene,Seq,CloudCover")
	for i, file := range set.files {
		rel, err := filepath.Rel(set.dir, file)
		if err != nil {
			return "", err
		}
		for j := range perRaster {
			fmt.Fprintf(w, "%s,%s_%03d,S%07d,%d,%d\n", rel, strings.TrimSuffix(filepath.Base(file), ".tif"), j, i*perRaster+j, j, (i+j)%100)
		}
	}
	if err := w.Flush(); err != nil {
		return "", err
	}
	if err := f.Close(); err != nil {
		return "", err
	}
	return path, os.Rename(tmp, path)
}

// manifestOnce runs one AddImage of the manifest on a fresh server and
// returns its peak RSS, its RSS after the job, the RSS of a fresh server on
// the catalog it made, under the same queries (MiB), and rows/s.
func manifestOnce(ctx context.Context, env *Env, manifest string, rows, rep int) (peak, after, fresh, rate float64, err error) {
	data := filepath.Join(env.Work, fmt.Sprintf("manifest-%d", rep+1))
	defer os.RemoveAll(data)
	srv, err := StartServer(ctx, env, data)
	if err != nil {
		return 0, 0, 0, 0, err
	}
	defer srv.Stop()
	if _, _, err := RunJob(ctx, srv, "CreateImageCollection", url.Values{"imageCollection": {"Manifest"},
		"context": {`{"outSR": {"wkid": 32633}}`}}, 20*time.Millisecond); err != nil {
		return 0, 0, 0, 0, err
	}
	job, d, err := withQueries(ctx, srv.URL, func() (map[string]any, time.Duration, error) {
		return RunJob(ctx, srv, "AddImage", url.Values{"imageCollection": {"Manifest"}, "inputRasters": {manifest},
			"rasterType": {"Table"}}, 200*time.Millisecond)
	}, func() int64 { return srv.PeakRSS() }, func() int64 { return rssOf(srv.Pid()) }, &peak, &after,
		func() { env.Logf("manifest #%d 5 s after the job: %s", rep+1, memoryOf(srv.Pid(), srv.URL)) })
	if err != nil {
		return 0, 0, 0, 0, err
	}
	if job["jobStatus"] != "esriJobSucceeded" {
		return 0, 0, 0, 0, fmt.Errorf("AddImage: %v", job)
	}
	rate = float64(rows) / d.Seconds()
	env.Logf("manifest #%d %s after the job: %s", rep+1, settle, memoryOf(srv.Pid(), srv.URL))
	if err := srv.Stop(); err != nil {
		return 0, 0, 0, 0, err
	}
	// The peer: a fresh server on the same catalog, the same queries.
	srv2, err := StartServer(ctx, env, data)
	if err != nil {
		return 0, 0, 0, 0, err
	}
	defer srv2.Stop()
	var unused float64
	if _, _, err := withQueries(ctx, srv2.URL, func() (map[string]any, time.Duration, error) { return nil, 0, nil },
		func() int64 { return 0 }, func() int64 { return rssOf(srv2.Pid()) }, &unused, &fresh, func() {}); err != nil {
		return 0, 0, 0, 0, err
	}
	env.Logf("manifest #%d fresh server: %s", rep+1, memoryOf(srv2.Pid(), srv2.URL))
	env.Logf("manifest #%d: %d rows in %.1f s = %.0f rows/s; peak RSS %.0f MiB, %.0f MiB %s after (a fresh server on the same catalog: %.0f MiB)",
		rep+1, rows, d.Seconds(), rate, peak, after, settle, fresh)
	return peak, after, fresh, rate, nil
}

// settle is how long after the job the RSS is read, queries still
// running. The job is reported succeeded as soon as its transaction
// commits; the server frees its caches only after the commit returns
// (which, for a 1M-row commit, includes checkpointing its WAL: seconds
// under load), so 5 s caught it before that once (bench logs where the
// memory is at 5 s too).
// In quick mode (scripts/test) it is 5 s: the quick manifest is too
// small to be released anyway.
var settle = 30 * time.Second

// withQueries runs job while two clients query the Manifest collection of
// the server at base, then settle more; it sets peak (MiB) from peakRSS
// when job ends and after (MiB) from rss settle later, and calls at5 5 s
// after the job.
func withQueries(ctx context.Context, base string, job func() (map[string]any, time.Duration, error), peakRSS, rss func() int64,
	peak, after *float64, at5 func()) (map[string]any, time.Duration, error) {
	qctx, stop := context.WithCancel(ctx)
	var wg sync.WaitGroup
	var queries, failures atomic.Int64
	q := base + "/rest/services/Manifest/ImageServer/query?" + url.Values{"where": {"CloudCover < 30"},
		"outFields": {"*"}, "resultRecordCount": {"100"}, "f": {"json"}}.Encode()
	for range 2 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for qctx.Err() == nil {
				if _, err := fetch(qctx, client, q); err != nil && qctx.Err() == nil {
					failures.Add(1)
				}
				queries.Add(1)
				select {
				case <-qctx.Done():
				case <-time.After(10 * time.Millisecond):
				}
			}
		}()
	}
	defer func() { stop(); wg.Wait() }()
	j, d, err := job()
	if err != nil {
		return nil, 0, err
	}
	*peak = float64(peakRSS()) / (1 << 20)
	select {
	case <-ctx.Done():
		return nil, 0, ctx.Err()
	case <-time.After(5 * time.Second):
	}
	at5()
	if settle > 5*time.Second {
		select {
		case <-ctx.Done():
			return nil, 0, ctx.Err()
		case <-time.After(settle - 5*time.Second):
		}
	}
	*after = float64(rss()) / (1 << 20)
	if n := failures.Load(); n > 0 {
		return nil, 0, fmt.Errorf("%d of %d queries failed", n, queries.Load())
	}
	return j, d, nil
}

// rssOf returns a process's resident set size (VmRSS) in bytes.
func rssOf(pid int) int64 {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(b), "\n") {
		if f := strings.Fields(line); len(f) >= 2 && f[0] == "VmRSS:" {
			kb, _ := strconv.ParseInt(f[1], 10, 64)
			return kb << 10
		}
	}
	return 0
}

// memoryOf says where a server's RSS is: anonymous memory against file
// pages (the binary, GDAL's libraries), Go's heap, the C heap (GDAL, PROJ,
// SQLite) in use and freed but kept by glibc, GDAL's block cache, and the
// OS threads. base is the server's /arcgis URL (its /metrics is open
// without --users).
func memoryOf(pid int, base string) string {
	st := map[string]int64{}
	if b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid)); err == nil {
		for _, line := range strings.Split(string(b), "\n") {
			if f := strings.Fields(line); len(f) >= 2 {
				n, _ := strconv.ParseInt(f[1], 10, 64)
				st[strings.TrimSuffix(f[0], ":")] = n
			}
		}
	}
	m := map[string]float64{}
	if body, err := fetch(context.Background(), client, strings.TrimSuffix(base, "/arcgis")+"/metrics"); err == nil {
		for _, line := range strings.Split(string(body), "\n") {
			if f := strings.Fields(line); len(f) == 2 {
				v, _ := strconv.ParseFloat(f[1], 64)
				m[f[0]] = v
			}
		}
	}
	mib := func(v float64) float64 { return v / (1 << 20) }
	return fmt.Sprintf("RSS %.0f MiB (anonymous %.0f, file %.0f); Go heap in use %.0f MiB, Go runtime total %.0f MiB; C heap in use %.0f MiB, free in glibc %.0f MiB; GDAL block cache %.0f MiB; %d threads",
		float64(st["VmRSS"])/1024, float64(st["RssAnon"])/1024, float64(st["RssFile"]+st["RssShmem"])/1024,
		mib(m["go_memstats_heap_inuse_bytes"]), mib(m["go_memstats_sys_bytes"]),
		mib(m["tessera_c_heap_inuse_bytes"]), mib(m["tessera_c_heap_free_bytes"]), mib(m["tessera_gdal_block_cache_bytes"]), st["Threads"])
}
