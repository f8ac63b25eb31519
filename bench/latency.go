package main

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"path/filepath"
	"sort"
	"strconv"
	"time"
)

// latency measures a one-item DeleteImage from submit to succeeded, as a
// client that polls tightly sees it (issue 6: p50 under 20 ms; issue 17:
// under 5 ms on a quiet machine), against a
// bare HTTP round trip on loopback in the same run: the floor that any
// request/poll protocol pays.
func init() {
	register(Benchmark{Name: "latency", Issue: 6, Run: runLatency})
}

func runLatency(ctx context.Context, env *Env) ([]Measurement, error) {
	n := 300
	if env.Quick {
		n = 20
	}
	cat, err := GenerateCatalog(ctx, env, CatalogSpec{Items: 1000, Revisits: 10})
	if err != nil {
		return nil, err
	}
	dir := filepath.Join(env.Work, "latency")
	if _, err := cat.Copy(dir); err != nil {
		return nil, err
	}
	srv, err := StartServer(ctx, env, dir)
	if err != nil {
		return nil, err
	}
	defer srv.Stop()

	bare, stop, err := bareServer()
	if err != nil {
		return nil, err
	}
	defer stop()

	// Warm up both paths.
	for i := range 10 {
		if _, err := roundTrip(ctx, bare); err != nil {
			return nil, err
		}
		if _, _, err := RunJob(ctx, srv, "DeleteImage", deleteOne(cat, 1000-i), 0); err != nil {
			return nil, err
		}
	}
	var jobs, trips []float64
	cpu0 := cpuSeconds(srv.Pid())
	for i := range n {
		_, d, err := RunJob(ctx, srv, "DeleteImage", deleteOne(cat, i+1), 0)
		if err != nil {
			return nil, err
		}
		jobs = append(jobs, ms(d))
		d, err = roundTrip(ctx, bare)
		if err != nil {
			return nil, err
		}
		trips = append(trips, ms(d))
	}
	// The server's CPU per job (serving the submit and the polls, and
	// running the job) and, after the jobs, its CPU while idle: figures
	// that a loaded machine changes less than it changes latency.
	jobCPU := (cpuSeconds(srv.Pid()) - cpu0) * 1000 / float64(n)
	idle := 5 * time.Second
	if env.Quick {
		idle = time.Second
	}
	if err := sleepCtx(ctx, time.Second); err != nil { // the boundary refresh after the last job
		return nil, err
	}
	cpu0 = cpuSeconds(srv.Pid())
	if err := sleepCtx(ctx, idle); err != nil {
		return nil, err
	}
	idleCPU := (cpuSeconds(srv.Pid()) - cpu0) / idle.Seconds() * 100
	p50, p99 := pctl(jobs, 50), pctl(jobs, 99)
	env.Logf("latency: one-item DeleteImage p50 %.2f ms, p99 %.2f ms; bare round trip p50 %.3f ms, p99 %.3f ms (%d samples); server CPU %.2f ms per job, %.1f%% of a core idle",
		p50, p99, pctl(trips, 50), pctl(trips, 99), n, jobCPU, idleCPU)
	return []Measurement{{
		Name: "one-item DeleteImage, submit to succeeded (client polls without pause)", Unit: "ms",
		Ours: jobs, Peer: "bare HTTP round trip on loopback", PeerS: trips, Target: "p50 < 5 ms (quiet machine)",
		PeakRSS: srv.PeakRSS(),
		Note: fmt.Sprintf("p50 %.2f ms, p99 %.2f ms over %d jobs; bare round trip p50 %.3f ms, p99 %.3f ms; server CPU %.2f ms per job (polls included), %.1f%% of a core when idle",
			p50, p99, n, pctl(trips, 50), pctl(trips, 99), jobCPU, idleCPU),
	}}, nil
}

// deleteOne is a DeleteImage of the item with OBJECTID oid.
func deleteOne(cat *Catalog, oid int) url.Values {
	return url.Values{"imageCollection": {cat.Collection}, "where": {"OBJECTID = " + strconv.Itoa(oid)}}
}

// bareServer serves a fixed small JSON body on loopback.
func bareServer() (string, func(), error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", nil, err
	}
	s := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		r.ParseForm()
		w.Header().Set("Content-Type", "application/json")
		io.WriteString(w, `{"jobId":"j0","jobStatus":"esriJobSucceeded"}`)
	})}
	go s.Serve(ln)
	return "http://" + ln.Addr().String() + "/", func() { s.Close() }, nil
}

// roundTrip POSTs a small form to u, as a job poll does.
func roundTrip(ctx context.Context, u string) (time.Duration, error) {
	start := time.Now()
	_, err := PostJSON(ctx, u, url.Values{"returnMessages": {"false"}})
	return time.Since(start), err
}

// percentile returns the p-th percentile (nearest rank) of xs.
func pctl(xs []float64, p float64) float64 {
	if len(xs) == 0 {
		return 0
	}
	s := append([]float64(nil), xs...)
	sort.Float64s(s)
	i := int(float64(len(s))*p/100+0.5) - 1
	return s[max(0, min(len(s)-1, i))]
}

// sleepCtx waits for d or until ctx ends.
func sleepCtx(ctx context.Context, d time.Duration) error {
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-time.After(d):
		return nil
	}
}
