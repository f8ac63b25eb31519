// Command bench measures tessera against its peers and its targets, on data
// it generates deterministically and caches in bench/.cache.
//
//	go run ./bench            # full suite; writes bench/out/results.md
//	go run ./bench -quick     # smoke test (CI): small data, one repetition
//	go run ./bench -only delete
//
// Each benchmark registers itself in an init function of its own file
// (ingest.go, delete.go, …) and returns Measurements, each pairing our
// figure with the peer's, measured in the same run on the same data.
package main

import (
	"context"
	"fmt"
	"sort"
	"time"
)

// Env is what a benchmark gets from the runner.
type Env struct {
	Quick  bool   // small data, one repetition: checks that it runs
	Cache  string // directory for generated data, kept between runs
	Work   string // scratch directory, removed after the run
	Binary string // the tessera binary under test
	Reps   int    // repetitions after one warm-up (1 in quick mode)
	// QueryItems, when set, are the catalog sizes the query benchmark
	// runs at (-query-items), each at 1, 8 and 64 connections.
	QueryItems []int
	Logf       func(format string, args ...any)
}

// Measurement is one row of the results table.
type Measurement struct {
	Name   string    // what was measured, with its scale: "delete 100k of 1M items"
	Unit   string    // unit of the samples: "s", "ms", "items/s", "req/s"
	Ours   []float64 // one sample per repetition
	Peer   string    // the comparison: "bare SQLite DELETE … WHERE"
	PeerS  []float64 // the peer's samples, same unit
	Target string    // the issue's target, e.g. "≤ 1.5× peer"
	// HigherIsBetter is true for throughputs.
	HigherIsBetter bool
	PeakRSS        int64 // bytes, of the server during the measurement; 0 if n/a
	// Family groups measurements of one operation at several scales
	// (catalog sizes); the runner flags growth faster than linear.
	Family string
	Scale  int // catalog size or item count within the family
	Note   string
}

// Benchmark is one registered benchmark.
type Benchmark struct {
	Name  string // short name for -only
	Issue int    // the issue whose target it measures
	Run   func(ctx context.Context, env *Env) ([]Measurement, error)
}

var registry []Benchmark

func register(b Benchmark) { registry = append(registry, b) }

func benchmarks() []Benchmark {
	out := append([]Benchmark(nil), registry...)
	sort.SliceStable(out, func(i, j int) bool { return out[i].Issue < out[j].Issue })
	return out
}

// median returns the median of xs.
func median(xs []float64) float64 {
	if len(xs) == 0 {
		return 0
	}
	s := append([]float64(nil), xs...)
	sort.Float64s(s)
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}

func minMax(xs []float64) (float64, float64) {
	if len(xs) == 0 {
		return 0, 0
	}
	lo, hi := xs[0], xs[0]
	for _, x := range xs {
		lo, hi = min(lo, x), max(hi, x)
	}
	return lo, hi
}

// repeat runs f once to warm up, then env.Reps times, returning the
// samples f reports.
func repeat(env *Env, f func(i int) (float64, error)) ([]float64, error) {
	if !env.Quick {
		if _, err := f(-1); err != nil {
			return nil, err
		}
	}
	var out []float64
	for i := range env.Reps {
		v, err := f(i)
		if err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	return out, nil
}

// timeIt returns how long f took, in the given unit.
func timeIt(unit time.Duration, f func() error) (float64, error) {
	start := time.Now()
	err := f()
	return float64(time.Since(start)) / float64(unit), err
}

func fmtNum(x float64) string {
	switch {
	case x == 0:
		return "0"
	case x >= 1000:
		return fmt.Sprintf("%.0f", x)
	case x >= 10:
		return fmt.Sprintf("%.1f", x)
	default:
		return fmt.Sprintf("%.3g", x)
	}
}
