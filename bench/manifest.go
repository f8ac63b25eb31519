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
	var peaks, afters, rates []float64
	reps := 1 // each run takes minutes; one is enough for memory
	for rep := range reps {
		peak, after, rate, err := manifestOnce(ctx, env, manifest, rows, rep)
		if err != nil {
			return nil, err
		}
		peaks, afters, rates = append(peaks, peak), append(afters, after), append(rates, rate)
	}
	what := fmt.Sprintf("AddImage of a %s-row Table manifest (%s rasters × %d rows), 2 clients querying",
		countLabel(rows), countLabel(rasters), perRaster)
	return []Measurement{
		{Name: what + ": peak RSS during the job", Unit: "MiB", Ours: peaks, Target: "≤ 400 MiB",
			Note: fmt.Sprintf("%.0f rows/s; VmHWM of the server", median(rates))},
		{Name: what + ": RSS 5 s after the job, queries still running", Unit: "MiB", Ours: afters, Target: "memory given back",
			Note: "VmRSS of the server"},
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
// returns its peak RSS and its RSS after the job (MiB), and rows/s.
func manifestOnce(ctx context.Context, env *Env, manifest string, rows, rep int) (float64, float64, float64, error) {
	data := filepath.Join(env.Work, fmt.Sprintf("manifest-%d", rep+1))
	defer os.RemoveAll(data)
	srv, err := StartServer(ctx, env, data)
	if err != nil {
		return 0, 0, 0, err
	}
	defer srv.Stop()
	if _, _, err := RunJob(ctx, srv, "CreateImageCollection", url.Values{"imageCollection": {"Manifest"},
		"context": {`{"outSR": {"wkid": 32633}}`}}, 20*time.Millisecond); err != nil {
		return 0, 0, 0, err
	}
	// Two clients query the collection until the end.
	qctx, stop := context.WithCancel(ctx)
	var wg sync.WaitGroup
	var queries, failures atomic.Int64
	q := srv.URL + "/rest/services/Manifest/ImageServer/query?" + url.Values{"where": {"CloudCover < 30"},
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
	job, d, err := RunJob(ctx, srv, "AddImage", url.Values{"imageCollection": {"Manifest"}, "inputRasters": {manifest},
		"rasterType": {"Table"}}, 200*time.Millisecond)
	if err != nil {
		return 0, 0, 0, err
	}
	if job["jobStatus"] != "esriJobSucceeded" {
		return 0, 0, 0, fmt.Errorf("AddImage: %v", job)
	}
	peak := srv.PeakRSS()
	select {
	case <-ctx.Done():
		return 0, 0, 0, ctx.Err()
	case <-time.After(5 * time.Second):
	}
	after := rssOf(srv.Pid())
	if n := failures.Load(); n > 0 {
		return 0, 0, 0, fmt.Errorf("%d of %d queries failed", n, queries.Load())
	}
	rate := float64(rows) / d.Seconds()
	env.Logf("manifest #%d: %d rows in %.1f s = %.0f rows/s; peak RSS %.0f MiB, %.0f MiB 5 s after; %d queries meanwhile",
		rep+1, rows, d.Seconds(), rate, float64(peak)/(1<<20), float64(after)/(1<<20), queries.Load())
	return float64(peak) / (1 << 20), float64(after) / (1 << 20), rate, nil
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
