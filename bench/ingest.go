package main

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/tessera-gis/tessera/raster"
	"github.com/tessera-gis/tessera/raster/rastertest"
)

// The ingest benchmark (issue 4) times AddImage from submit to the moment
// a polling client sees esriJobSucceeded, on 10,000 small GeoTIFFs and on
// 1,000 larger COGs, against gdaltindex building a GeoPackage index of the
// same files, and against the bare cost of GDAL header reads with the same
// number of workers (a raster.Inspect pool). Peak RSS is the server's
// VmHWM.
func init() {
	register(Benchmark{Name: "ingest", Issue: 4, Run: runIngest})
}

// ingestSet is one generated data set.
type ingestSet struct {
	name  string // "small", "cog"
	count int
	dir   string
	files []string
}

func runIngest(ctx context.Context, env *Env) ([]Measurement, error) {
	small, cogs := 10000, 1000
	if env.Quick {
		small, cogs = 300, 40
	}
	sets := []*ingestSet{
		{name: "small", count: small},
		{name: "cog", count: cogs},
	}
	if os.Getenv("TESSERA_BENCH_INGEST") == "small" {
		sets = sets[:1] // TESSERA_BENCH_INGEST=small: the small GeoTIFFs only
	}
	var out []Measurement
	for _, s := range sets {
		if err := generate(ctx, env, s); err != nil {
			return nil, err
		}
		ms, err := measureSet(ctx, env, s)
		if err != nil {
			return nil, err
		}
		out = append(out, ms...)
	}
	return out, nil
}

// generate writes the data set once under env.Cache, deterministically:
// tiles on a grid in EPSG:32633, 100 to a directory. Small files are
// 100×100×3 U8 stripped GeoTIFFs; COGs are 2048×2048×3 DEFLATE COGs with
// overviews.
func generate(ctx context.Context, env *Env, s *ingestSet) error {
	s.dir = filepath.Join(env.Cache, "ingest", fmt.Sprintf("%s-%d", s.name, s.count))
	s.files = make([]string, s.count)
	size := 100
	if s.name == "cog" {
		size = 2048
	}
	for i := range s.files {
		s.files[i] = filepath.Join(s.dir, fmt.Sprintf("d%03d", i/100), fmt.Sprintf("%s_%05d.tif", s.name, i))
	}
	done := filepath.Join(s.dir, "complete")
	if _, err := os.Stat(done); err == nil {
		return nil
	}
	env.Logf("generating %d %s rasters in %s", s.count, s.name, s.dir)
	start := time.Now()
	origin := func(i int) (float64, float64) {
		step := float64(size) * 10
		return 300000 + float64(i%100)*step, 5500000 - float64(i/100)*step
	}
	// COGs are copies of one template whose tiepoint (the origin, two
	// doubles in the ModelTiepointTag) is patched per file: writing each
	// 2048² COG with GDAL would take minutes.
	var template []byte
	var at int
	if s.name == "cog" {
		tpl := filepath.Join(env.Work, "template-cog.tif")
		if err := rastertest.Write(tpl, rastertest.Size(size, size), rastertest.Bands(3), rastertest.COG(),
			rastertest.GeoTransform([6]float64{300000, 10, 0, 5500000, 0, -10}),
			rastertest.Metadata("CLOUDCOVER", "25"), rastertest.Metadata("ACQUISITIONDATE", "2024-05-01")); err != nil {
			return err
		}
		var err error
		if template, err = os.ReadFile(tpl); err != nil {
			return err
		}
		pattern := binary.LittleEndian.AppendUint64(binary.LittleEndian.AppendUint64(nil, math.Float64bits(300000)), math.Float64bits(5500000))
		at = bytes.Index(template, pattern)
		if at < 0 || bytes.Count(template, pattern) != 1 {
			return errors.New("cannot find the COG template's tiepoint")
		}
	}
	var next atomic.Int64
	var wg sync.WaitGroup
	errs := make(chan error, runtime.GOMAXPROCS(0))
	for range runtime.GOMAXPROCS(0) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			buf := append([]byte(nil), template...)
			for {
				i := int(next.Add(1) - 1)
				if i >= s.count || ctx.Err() != nil {
					return
				}
				p := s.files[i]
				if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
					errs <- err
					return
				}
				x, y := origin(i)
				var err error
				if s.name == "cog" {
					binary.LittleEndian.PutUint64(buf[at:], math.Float64bits(x))
					binary.LittleEndian.PutUint64(buf[at+8:], math.Float64bits(y))
					err = os.WriteFile(p, buf, 0o644)
				} else {
					err = rastertest.Write(p, rastertest.Size(size, size), rastertest.Bands(3),
						rastertest.GeoTransform([6]float64{x, 10, 0, y, 0, -10}),
						rastertest.Metadata("CLOUDCOVER", strconv.Itoa(i%100)),
						rastertest.Metadata("ACQUISITIONDATE", fmt.Sprintf("2024-%02d-%02d", i%12+1, i%28+1)))
				}
				if err != nil {
					errs <- err
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	if err := <-errs; err != nil {
		return err
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	env.Logf("generated in %s", time.Since(start).Round(time.Millisecond))
	return os.WriteFile(done, nil, 0o644)
}

// measureSet times AddImage and the bare header reads in turns (one of
// each per repetition, so that both see the same load on a shared
// machine), then gdaltindex.
func measureSet(ctx context.Context, env *Env, s *ingestSet) ([]Measurement, error) {
	var rss int64
	var cpuPerItem, inspect, inspectCPU, ratios []float64
	ours, err := repeat(env, func(i int) (float64, error) {
		r, peak, secs, err := addImageOnce(ctx, env, s, i)
		if err != nil {
			return 0, fmt.Errorf("AddImage %s: %w", s.name, err)
		}
		rss = max(rss, peak)
		ir, icpu, err := inspectPool(ctx, s.files)
		if err != nil {
			return 0, fmt.Errorf("inspect %s: %w", s.name, err)
		}
		env.Logf("inspect pool %s #%d: %.0f files/s, CPU %.3f ms/file; AddImage/inspect %.0f%%", s.name, i+1, ir, icpu, 100*r/ir)
		if i >= 0 {
			cpuPerItem = append(cpuPerItem, secs)
			inspect, inspectCPU, ratios = append(inspect, ir), append(inspectCPU, icpu), append(ratios, r/ir)
		}
		return r, nil
	})
	if err != nil {
		return nil, err
	}
	var peer []float64
	if os.Getenv("TESSERA_BENCH_NOPEER") == "" { // set: skip gdaltindex
		if peer, err = repeat(env, func(i int) (float64, error) { return gdaltindexOnce(ctx, env, s, i) }); err != nil {
			return nil, fmt.Errorf("gdaltindex %s: %w", s.name, err)
		}
	}
	what := fmt.Sprintf("%d small GeoTIFFs (100×100×3)", s.count)
	if s.name == "cog" {
		what = fmt.Sprintf("%d COGs (2048×2048×3, DEFLATE, 2 overviews)", s.count)
	}
	workers := runtime.GOMAXPROCS(0)
	return []Measurement{
		{
			Name: "AddImage " + what + ", submit → esriJobSucceeded", Unit: "items/s", Ours: ours,
			Peer: "gdaltindex -f GPKG, same files", PeerS: peer, HigherIsBetter: true, PeakRSS: rss, Scale: s.count,
			Target: "≥ 2× gdaltindex; ≥ 1,500 items/s header-only on 2 cores",
			Note: fmt.Sprintf("server CPU %.3f ms/item (median), i.e. %.0f items/s when CPU-bound on %d cores; "+
				"%.0f%% of the Inspect pool's rate, measured in turns (median of %d)",
				median(cpuPerItem), float64(workers)*1000/median(cpuPerItem), workers, 100*median(ratios), len(ratios)),
		},
		{
			Name: fmt.Sprintf("raster.Inspect pool (%d workers), %s", workers, what), Unit: "files/s", Ours: inspect,
			HigherIsBetter: true, Scale: s.count,
			Note: fmt.Sprintf("GDAL header reads alone: the ceiling for header-only ingest; CPU %.3f ms/file (median)", median(inspectCPU)),
		},
	}, nil
}

// addImageOnce runs one AddImage of the whole set into a new collection on
// a fresh server, returning items/s, the server's peak RSS and the job's
// wall time.
func addImageOnce(ctx context.Context, env *Env, s *ingestSet, rep int, args ...string) (float64, int64, float64, error) {
	data := filepath.Join(env.Work, fmt.Sprintf("ingest-%s-%d", s.name, rep+1))
	defer os.RemoveAll(data)
	srv, err := StartServer(ctx, env, data, args...)
	if err != nil {
		return 0, 0, 0, err
	}
	defer srv.Stop()
	if _, _, err := RunJob(ctx, srv, "CreateImageCollection", url.Values{"imageCollection": {"Bench"},
		"context": {`{"outSR": {"wkid": 32633}}`}}, 20*time.Millisecond); err != nil {
		return 0, 0, 0, err
	}
	cpu0 := cpuSeconds(srv.Pid())
	job, d, err := RunJob(ctx, srv, "AddImage", url.Values{"imageCollection": {"Bench"}, "inputRasters": {s.dir}}, 20*time.Millisecond)
	cpu := cpuSeconds(srv.Pid()) - cpu0
	if err != nil {
		return 0, 0, 0, err
	}
	if job["jobStatus"] != "esriJobSucceeded" {
		return 0, 0, 0, fmt.Errorf("AddImage: %v", job)
	}
	rate := float64(s.count) / d.Seconds()
	env.Logf("AddImage %s #%d: %d items in %.2f s = %.0f items/s; server CPU %.3f ms/item (%.0f items/s if CPU-bound on %d cores)",
		s.name, rep+1, s.count, d.Seconds(), rate, cpu*1000/float64(s.count), float64(s.count)*float64(runtime.GOMAXPROCS(0))/cpu,
		runtime.GOMAXPROCS(0))
	return rate, srv.PeakRSS(), cpu * 1000 / float64(s.count), nil
}

// gdaltindexOnce builds a GeoPackage index of the set and returns files/s.
func gdaltindexOnce(ctx context.Context, env *Env, s *ingestSet, rep int) (float64, error) {
	list := filepath.Join(env.Work, "gdaltindex-"+s.name+".txt")
	if err := os.WriteFile(list, []byte(strings.Join(s.files, "\n")+"\n"), 0o644); err != nil {
		return 0, err
	}
	out := filepath.Join(env.Work, fmt.Sprintf("index-%s-%d.gpkg", s.name, rep+1))
	defer os.Remove(out)
	d, err := timeIt(time.Second, func() error {
		cmd := exec.CommandContext(ctx, "gdaltindex", "-f", "GPKG", "-lyr_name", "index", out, "--optfile", list)
		if b, err := cmd.CombinedOutput(); err != nil {
			return fmt.Errorf("%w: %s", err, b)
		}
		return nil
	})
	if err != nil {
		return 0, err
	}
	env.Logf("gdaltindex %s #%d: %.2f s = %.0f files/s", s.name, rep+1, d, float64(s.count)/d)
	return float64(s.count) / d, nil
}

// inspectPool reads every header with GOMAXPROCS raster.Inspect workers,
// in this process, and returns files/s and the CPU time per file (ms).
func inspectPool(ctx context.Context, files []string) (float64, float64, error) {
	var next atomic.Int64
	var failed atomic.Value
	var dirs []string
	seen := map[string]bool{}
	for _, f := range files {
		if d := filepath.Dir(f); !seen[d] {
			seen[d] = true
			dirs = append(dirs, d)
		}
	}
	stores, err := raster.NewStores(dirs, nil, nil)
	if err != nil {
		return 0, 0, err
	}
	ctx = raster.WithStores(ctx, stores)
	cpu0 := cpuSeconds(os.Getpid())
	d, _ := timeIt(time.Second, func() error {
		var wg sync.WaitGroup
		for range runtime.GOMAXPROCS(0) {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for ctx.Err() == nil {
					i := int(next.Add(1) - 1)
					if i >= len(files) {
						return
					}
					if _, err := raster.Inspect(ctx, files[i]); err != nil {
						failed.Store(err)
						return
					}
				}
			}()
		}
		wg.Wait()
		return nil
	})
	cpu := cpuSeconds(os.Getpid()) - cpu0
	if err, ok := failed.Load().(error); ok {
		return 0, 0, err
	}
	return float64(len(files)) / d, cpu * 1000 / float64(len(files)), ctx.Err()
}

// cpuSeconds returns a process's user+system CPU time so far.
func cpuSeconds(pid int) float64 {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0
	}
	// Fields after the command name, which is in parentheses.
	f := strings.Fields(string(b[bytes.LastIndexByte(b, ')')+2:]))
	if len(f) < 13 {
		return 0
	}
	ut, _ := strconv.ParseFloat(f[11], 64)
	st, _ := strconv.ParseFloat(f[12], 64)
	return (ut + st) / 100 // clock ticks; 100 Hz on Linux
}
