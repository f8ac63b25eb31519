package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"math"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"sort"
	"sync"
	"time"
)

// The query benchmark (issue 7): ImageServer query on a 1,000,000-item
// catalog with an attribute filter and a bounding box, returning pages of
// 1,000 features with every field and the footprints as Esri JSON, under
// concurrent load from 1, 8 and 64 keep-alive connections. It reports
// requests per second (one sample per repetition) with the p50 and p99
// latency over every request of the level.
func init() {
	register(Benchmark{Name: "query", Issue: 7, Run: runQueryBench})
}

// queryWindow is the side of the request's bounding box, in catalog tiles:
// 60×60 tiles are 3,600 candidates, of which the filter keeps about 1,080,
// so every answer is a full page of 1,000 with exceededTransferLimit.
const queryWindow = 60

func runQueryBench(ctx context.Context, env *Env) ([]Measurement, error) {
	// Throughput at 8 connections on three catalog sizes shows how the cost
	// of a request grows with the catalog (the R*Tree should keep it flat);
	// the largest also runs at 1 and 64 connections.
	type scale struct {
		items  int
		levels []int
	}
	scales := []scale{{10_000, []int{8}}, {100_000, []int{8}}, {1_000_000, []int{1, 8, 64}}}
	if len(env.QueryItems) > 0 {
		scales = nil
		for _, n := range env.QueryItems {
			scales = append(scales, scale{n, []int{1, 8, 64}})
		}
	}
	if env.Quick {
		scales = []scale{{2_000, []int{8}}, {20_000, []int{1, 8, 64}}}
	}
	var out []Measurement
	for _, sc := range scales {
		ms, err := queryAt(ctx, env, sc.items, sc.levels)
		if err != nil {
			return nil, err
		}
		out = append(out, ms...)
	}
	return out, nil
}

// queryAt load-tests query on an items-sized catalog at each number of
// connections in levels.
func queryAt(ctx context.Context, env *Env, items int, levels []int) ([]Measurement, error) {
	// One item per tile position: every footprint distinct, the hardest
	// case for the spatial filter.
	spec := CatalogSpec{Items: items, Revisits: 1}
	window, duration := queryWindow, 5*time.Second
	if env.Quick {
		window, duration = 30, 1500*time.Millisecond
	}
	cat, err := GenerateCatalog(ctx, env, spec)
	if err != nil {
		return nil, err
	}
	dir := filepath.Join(env.Work, fmt.Sprintf("query-%d", items))
	if _, err := cat.Copy(dir); err != nil {
		return nil, err
	}
	// TESSERA_BENCH_PPROF=DIR profiles the server under the 8-connection
	// load: a CPU profile of the first repetition, then its allocations
	// and heap (go tool pprof DIR/cpu-1000000.pprof).
	profDir := os.Getenv("TESSERA_BENCH_PPROF")
	const pprofAddr = "127.0.0.1:6064"
	if profDir != "" {
		os.Setenv("TESSERA_PPROF_ADDR", pprofAddr)
		defer os.Unsetenv("TESSERA_PPROF_ADDR")
	}
	srv, err := StartServer(ctx, env, dir)
	if err != nil {
		return nil, err
	}
	defer srv.Stop()
	base := srv.URL + "/rest/services/" + cat.Collection + "/ImageServer/query"
	box, window := tileBoxes(cat, window)
	requestURL := func(i int) string { return base + "?" + boxQuery(box(i)) }
	// The request's box, rounded as the URL writes it.
	limitBox := func(i int) [4]float64 {
		b := box(i)
		for k := range b {
			b[k] = math.Round(b[k]*1000) / 1000
		}
		return b
	}
	// Check one answer in full, then warm the server up.
	wantPage := 1000
	if env.Quick {
		wantPage = 0 // the quick catalog is too small for full pages
	}
	if err := checkQueryPage(ctx, requestURL(0), wantPage); err != nil {
		return nil, err
	}
	if _, err := loadTest(ctx, 8, time.Second, requestURL); err != nil {
		return nil, err
	}
	// The limit reads a copy of the same file, so that its connections
	// and the server's share nothing but the OS page cache.
	limitDir := filepath.Join(env.Work, fmt.Sprintf("query-limit-%d", items))
	limitPath, err := cat.Copy(limitDir)
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(limitDir)

	var out []Measurement
	for _, conns := range levels {
		lim, err := openQueryLimit(ctx, limitPath, conns)
		if err != nil {
			return nil, err
		}
		if _, err := lim.load(ctx, conns, time.Second, limitBox); err != nil { // warm up
			lim.Close()
			return nil, err
		}
		var all, limAll []time.Duration
		var p50s, limP50s, limRates []float64
		samples, err := repeat(env, func(rep int) (float64, error) {
			var prof chan error
			if profDir != "" && rep == 0 && conns == 8 {
				prof = make(chan error, 1)
				go func() {
					prof <- savePprof(ctx, "http://"+pprofAddr+"/debug/pprof/profile?seconds=4",
						filepath.Join(profDir, fmt.Sprintf("cpu-%d.pprof", items)))
				}()
			}
			res, err := loadTest(ctx, conns, duration, requestURL)
			if err != nil {
				return 0, err
			}
			if prof != nil {
				if err := <-prof; err != nil {
					return 0, err
				}
				for _, p := range []string{"allocs", "heap"} {
					if err := savePprof(ctx, "http://"+pprofAddr+"/debug/pprof/"+p,
						filepath.Join(profDir, fmt.Sprintf("%s-%d.pprof", p, items))); err != nil {
						return 0, err
					}
				}
			}
			lres, err := lim.load(ctx, conns, duration, limitBox)
			if err != nil {
				return 0, err
			}
			if rep >= 0 {
				all = append(all, res.latencies...)
				limAll = append(limAll, lres.latencies...)
				p50s = append(p50s, ms(latencyPercentile(res.latencies, 0.5)))
				limP50s = append(limP50s, ms(latencyPercentile(lres.latencies, 0.5)))
				limRates = append(limRates, lres.rate)
			}
			return res.rate, nil
		})
		lim.Close()
		if err != nil {
			return nil, err
		}
		p50, p99 := latencyPercentile(all, 0.50), latencyPercentile(all, 0.99)
		lp50 := latencyPercentile(limAll, 0.50)
		env.Logf("%2d connections: %.1f req/s, p50 %s, p99 %s; limit %.1f req/s, p50 %s", conns, median(samples), p50, p99,
			median(limRates), lp50)
		name := fmt.Sprintf("query %s items: CloudCover < 30 and a %d×%d-tile bbox, 1,000-feature pages, %d connections",
			countLabel(cat.Spec.Items), window, window, conns)
		const peer = "limit: the bare SQLite statement + encoding its rows, in-process, same file and connections"
		target := ""
		if items == 1_000_000 && conns == 8 {
			target = "≥ 200 req/s; peak RSS ≤ 200 MiB"
		}
		out = append(out, Measurement{
			Name: name, Unit: "req/s", Ours: samples, Peer: peer, PeerS: limRates, Target: target,
			HigherIsBetter: true, PeakRSS: srv.PeakRSS(), Family: family(conns), Scale: items,
			Note: fmt.Sprintf("p50 %.1f ms, p99 %.1f ms over %d requests (limit p50 %.1f ms); load generator on the same machine",
				ms(p50), ms(p99), len(all), ms(lp50)),
		})
		if conns == 1 {
			target := ""
			if items == 1_000_000 {
				target = "p50 < 10 ms"
			}
			out = append(out, Measurement{
				Name: fmt.Sprintf("query %s items, same, 1 connection: p50 latency", countLabel(cat.Spec.Items)),
				Unit: "ms", Ours: p50s, Peer: peer, PeerS: limP50s, Target: target,
				Note: "one p50 per repetition",
			})
		}
	}
	return out, nil
}

// savePprof saves the profile at u (the server's loopback profiler) to file.
func savePprof(ctx context.Context, u, file string) error {
	body, err := fetch(ctx, http.DefaultClient, u)
	if err != nil {
		return fmt.Errorf("profile: %w", err)
	}
	if err := os.MkdirAll(filepath.Dir(file), 0o755); err != nil {
		return err
	}
	return os.WriteFile(file, body, 0o644)
}

// family groups the 8-connection runs across catalog sizes.
func family(conns int) string {
	if conns == 8 {
		return "query, 8 connections"
	}
	return ""
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

// checkQueryPage fetches u and checks it is a feature set with want
// features (any number when want is 0), each with geometry.
func checkQueryPage(ctx context.Context, u string, want int) error {
	body, err := fetch(ctx, http.DefaultClient, u)
	if err != nil {
		return err
	}
	var fs struct {
		Features []struct {
			Attributes map[string]any  `json:"attributes"`
			Geometry   json.RawMessage `json:"geometry"`
		} `json:"features"`
		Exceeded bool            `json:"exceededTransferLimit"`
		Error    json.RawMessage `json:"error"`
	}
	if err := json.Unmarshal(body, &fs); err != nil || fs.Error != nil {
		return fmt.Errorf("query: %v %.300s", err, body)
	}
	if want > 0 && (len(fs.Features) != want || !fs.Exceeded) {
		return fmt.Errorf("query: %d features (exceeded %v), want a full page of %d", len(fs.Features), fs.Exceeded, want)
	}
	if len(fs.Features) == 0 || len(fs.Features[0].Geometry) == 0 || len(fs.Features[0].Attributes) < 10 {
		return fmt.Errorf("query: features without attributes or geometry: %.300s", body)
	}
	return nil
}

// loadResult is one load test: completed requests per second and each
// request's latency.
type loadResult struct {
	rate      float64
	latencies []time.Duration
}

// loadTest runs conns clients, each sending requests one after another on
// its own keep-alive connection, for d, and checks every answer is a 200
// feature set.
func loadTest(ctx context.Context, conns int, d time.Duration, requestURL func(i int) string) (loadResult, error) {
	tr := &http.Transport{MaxIdleConnsPerHost: conns, MaxConnsPerHost: conns}
	defer tr.CloseIdleConnections()
	hc := &http.Client{Transport: tr, Timeout: 5 * time.Minute}
	return runLoad(ctx, conns, d, func() func(ctx context.Context, i int) error {
		return func(ctx context.Context, i int) error {
			body, err := fetch(ctx, hc, requestURL(i))
			if err == nil && !bytes.HasPrefix(body, []byte(`{"objectIdFieldName":`)) {
				err = fmt.Errorf("query: %.300s", body)
			}
			return err
		}
	})
}

// runLoad runs conns workers, each made by worker and running operation
// i, i+1, … (a counter shared by all) one after another for d. It times
// every operation and stops them all at the first error, which it returns.
func runLoad(ctx context.Context, conns int, d time.Duration, worker func() func(ctx context.Context, i int) error) (loadResult, error) {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var (
		mu    sync.Mutex
		lats  []time.Duration
		first error
		next  int
		wg    sync.WaitGroup
	)
	start := time.Now()
	deadline := start.Add(d)
	for range conns {
		wg.Add(1)
		op := worker()
		go func() {
			defer wg.Done()
			for time.Now().Before(deadline) && ctx.Err() == nil {
				mu.Lock()
				i := next
				next++
				mu.Unlock()
				t0 := time.Now()
				err := op(ctx, i)
				lat := time.Since(t0)
				mu.Lock()
				if err != nil && first == nil {
					first = err
					cancel()
				}
				lats = append(lats, lat)
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	elapsed := time.Since(start)
	if first != nil {
		return loadResult{}, first
	}
	return loadResult{rate: float64(len(lats)) / elapsed.Seconds(), latencies: lats}, nil
}

// latencyPercentile returns the p-quantile of ds (nearest rank).
func latencyPercentile(ds []time.Duration, p float64) time.Duration {
	if len(ds) == 0 {
		return 0
	}
	s := append([]time.Duration(nil), ds...)
	sort.Slice(s, func(i, j int) bool { return s[i] < s[j] })
	i := int(p*float64(len(s))+0.5) - 1
	return s[max(0, min(i, len(s)-1))]
}

// tileBoxes returns the boxes of the query benchmarks on cat's grid of
// tiles: box i is window×window tiles (at most the grid's size, the window
// returned) at a pseudo-random tile drawn from i.
func tileBoxes(cat *Catalog, window int) (func(i int) [4]float64, int) {
	cols := 1
	for cols*cols < cat.Tiles {
		cols++
	}
	rows := (cat.Tiles + cols - 1) / cols
	window = min(window, cols, rows)
	return func(i int) [4]float64 {
		h := mixBits(uint64(i))
		c0, r0 := int(h%uint64(cols-window+1)), int((h>>32)%uint64(rows-window+1))
		ts := cat.Spec.TileSize
		x0, y0 := 400000+float64(c0)*ts+1, 5000000+float64(r0)*ts+1
		return [4]float64{x0, y0, x0 + float64(window)*ts - 2, y0 + float64(window)*ts - 2}
	}, window
}

// boxQuery is the query string of the query benchmarks' request for box
// b: CloudCover < 30 within b, 1,000-feature pages with every field and
// the geometry.
func boxQuery(b [4]float64) string {
	return url.Values{
		"where":             {"CloudCover < 30"},
		"geometry":          {fmt.Sprintf("%.3f,%.3f,%.3f,%.3f", b[0], b[1], b[2], b[3])},
		"geometryType":      {"esriGeometryEnvelope"},
		"spatialRel":        {"esriSpatialRelIntersects"},
		"outFields":         {"*"},
		"returnGeometry":    {"true"},
		"resultRecordCount": {"1000"},
		"f":                 {"json"},
	}.Encode()
}
