package main

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"path/filepath"
	"sync"
	"time"
)

// The render-memory benchmark (issue 11): four concurrent exportImages of
// ArcGIS's largest size (15000×4100, 3 byte bands as PNG) over the export
// benchmark's sources, against a server with the default render budget
// (1 GiB) and one whose budget is too large to bind (the behaviour before
// the budget). It reports the server's peak RSS and the wall time for the
// four; with the budget they take turns instead of adding up.
func init() {
	register(Benchmark{Name: "rendermem", Issue: 11, Run: runRenderMemBench})
}

func runRenderMemBench(ctx context.Context, env *Env) ([]Measurement, error) {
	const concurrent = 4
	w, h := 15000, 4100
	if env.Quick {
		w, h = 3000, 820
	}
	srcDir, err := exportSources(ctx, env, 10)
	if err != nil {
		return nil, err
	}
	dataDir := filepath.Join(env.Work, "rendermem")
	setup, err := StartServer(ctx, env, dataDir)
	if err != nil {
		return nil, err
	}
	if _, _, err := RunJob(ctx, setup, "CreateImageCollection", url.Values{
		"imageCollection": {"Big"}, "inputRasters": {srcDir}}, 100*time.Millisecond); err != nil {
		setup.Stop()
		return nil, err
	}
	setup.Stop()

	hc := &http.Client{Timeout: 10 * time.Minute}
	// One round: a fresh server, the four requests at once.
	round := func(args ...string) (secs float64, rss int64, busy int, err error) {
		s, err := StartServer(ctx, env, dataDir, args...)
		if err != nil {
			return 0, 0, 0, err
		}
		defer s.Stop()
		u := fmt.Sprintf("%s/rest/services/Big/ImageServer/exportImage?f=image&format=png&size=%d,%d&bbox=%f,%f,%f,%f",
			s.URL, w, h, 703800.0, 5204000.0, 706200.0, 5206000.0)
		var (
			wg   sync.WaitGroup
			mu   sync.Mutex
			errs []error
		)
		start := time.Now()
		for range concurrent {
			wg.Go(func() {
				body, err := fetch(ctx, hc, u)
				mu.Lock()
				defer mu.Unlock()
				switch {
				case err != nil:
					errs = append(errs, err)
				case len(body) > 0 && body[0] == '{':
					var m struct {
						Error struct{ Code int } `json:"error"`
					}
					if json.Unmarshal(body, &m) == nil && m.Error.Code == 429 {
						busy++
						return
					}
					errs = append(errs, fmt.Errorf("not an image: %.200s", body))
				}
			})
		}
		wg.Wait()
		secs = time.Since(start).Seconds()
		if len(errs) > 0 {
			return 0, 0, 0, errs[0]
		}
		return secs, s.PeakRSS(), busy, nil
	}
	var out []Measurement
	for _, cfg := range []struct {
		name string
		args []string
	}{
		{"--render-memory 1 GiB (default)", []string{"--render-wait", "10m"}},
		{"--render-memory 64 GiB (unbounded)", []string{"--render-memory", fmt.Sprint(int64(64) << 30)}},
	} {
		var rss int64
		secs, err := repeat(env, func(int) (float64, error) {
			s, r, busy, err := round(cfg.args...)
			if err == nil && busy > 0 {
				err = fmt.Errorf("%d of %d renders refused as busy", busy, concurrent)
			}
			rss = max(rss, r)
			return s, err
		})
		if err != nil {
			return nil, err
		}
		out = append(out, Measurement{
			Name: fmt.Sprintf("%d concurrent exportImage %d×%d PNG (3×U8), %s", concurrent, w, h, cfg.name),
			Unit: "s", Ours: secs, PeakRSS: rss, Target: "peak RSS bounded by the budget",
			Note: "wall time for all four; peak RSS of the server",
		})
	}
	return out, nil
}
