package main

import (
	"context"
	"fmt"
	"os/exec"
	"path/filepath"
	"time"

	"github.com/tessera-gis/tessera/internal/pgtest"
	"github.com/tessera-gis/tessera/internal/subprocess"
)

// The PostGIS query benchmark (issue 13): the query benchmark's request
// (CloudCover < 30, a 60×60-tile box, 1,000-feature pages with geometry)
// against one PostGIS database holding a catalog copied from SQLite with
// "tessera migrate", served by one tessera instance and then by two, with
// the same 8 keep-alive connections spread over them.
func init() {
	register(Benchmark{Name: "querypg", Issue: 13, Run: runQueryPGBench})
}

func runQueryPGBench(ctx context.Context, env *Env) ([]Measurement, error) {
	items, duration := 100_000, 5*time.Second
	if len(env.QueryItems) > 0 {
		items = env.QueryItems[0]
	}
	if env.Quick {
		items, duration = 2_000, 1500*time.Millisecond
	}
	if err := pgtest.Reachable(ctx); err != nil {
		return nil, fmt.Errorf("PostgreSQL at %s: %w", pgtest.AdminDSN(), err)
	}
	cat, err := GenerateCatalog(ctx, env, CatalogSpec{Items: items, Revisits: 1})
	if err != nil {
		return nil, err
	}
	src := filepath.Join(env.Work, fmt.Sprintf("querypg-src-%d", items))
	if _, err := cat.Copy(src); err != nil {
		return nil, err
	}
	db, err := pgtest.CreateDatabase(ctx, "tessera_bench")
	if err != nil {
		return nil, err
	}
	defer db.Drop(context.Background())
	start := time.Now()
	mig := exec.CommandContext(ctx, env.Binary, "migrate", "--from", src, "--to", db.DSN)
	if out, err := mig.CombinedOutput(); err != nil {
		return nil, fmt.Errorf("migrate: %v: %s", err, out)
	}
	env.Logf("migrated %d items to PostGIS in %s", items, time.Since(start).Round(time.Millisecond))
	var srvs []*subprocess.Server
	defer func() {
		for _, s := range srvs {
			s.Stop()
		}
	}()
	for i := range 2 {
		s, err := StartServer(ctx, env, filepath.Join(env.Work, fmt.Sprintf("querypg-%d", i)), "--db", db.DSN)
		if err != nil {
			return nil, err
		}
		srvs = append(srvs, s)
	}
	win := queryWindow
	if env.Quick {
		win = 30
	}
	box, window := tileBoxes(cat, win)
	one, two, lat1, lat2, err := oneAndTwo(ctx, env, srvs, cat, box, duration, wantFullPage(env), func(r1, r2 float64) {})
	if err != nil {
		return nil, err
	}
	name := fmt.Sprintf("query %s items on PostGIS: CloudCover < 30 and a %d×%d-tile bbox, 1,000-feature pages, 8 connections",
		countLabel(items), window, window)
	peak := max(srvs[0].PeakRSS(), srvs[1].PeakRSS())
	return []Measurement{
		{Name: name + ", 1 instance", Unit: "req/s", Ours: one, HigherIsBetter: true, PeakRSS: srvs[0].PeakRSS(),
			Note: fmt.Sprintf("p50 %.1f ms, p99 %.1f ms", ms(latencyPercentile(lat1, 0.5)), ms(latencyPercentile(lat1, 0.99)))},
		{Name: name + ", 2 instances (requests alternate)", Unit: "req/s", Ours: two, Peer: "1 instance, same run", PeerS: one,
			HigherIsBetter: true, PeakRSS: peak,
			Note: fmt.Sprintf("p50 %.1f ms, p99 %.1f ms; PostgreSQL, both instances and the load generator share the machine's cores",
				ms(latencyPercentile(lat2, 0.5)), ms(latencyPercentile(lat2, 0.99)))},
	}, nil
}

// wantFullPage is the page size the PostGIS query benchmarks check their
// request returns: a full page, or anything in quick mode.
func wantFullPage(env *Env) int {
	if env.Quick {
		return 0
	}
	return 1000
}

// oneAndTwo runs the query benchmarks' request for box(i) with 8
// connections against the first server of srvs, then against both with
// requests alternating, repeat times (after a warm-up), and returns the
// rates and latencies of each. It calls each with the rates of every
// repetition, for the log.
func oneAndTwo(ctx context.Context, env *Env, srvs []*subprocess.Server, cat *Catalog, box func(int) [4]float64, duration time.Duration,
	wantPage int, each func(r1, r2 float64)) (one, two []float64, lat1, lat2 []time.Duration, err error) {
	// Request i goes to instance i mod n.
	requestURL := func(n int) func(i int) string {
		return func(i int) string {
			return srvs[i%n].URL + "/rest/services/" + cat.Collection + "/ImageServer/query?" + boxQuery(box(i))
		}
	}
	for n := 1; n <= 2; n++ {
		if err := checkQueryPage(ctx, requestURL(n)(n-1), wantPage); err != nil {
			return nil, nil, nil, nil, err
		}
	}
	if _, err := loadTest(ctx, 8, time.Second, requestURL(2)); err != nil {
		return nil, nil, nil, nil, err
	}
	_, err = repeat(env, func(rep int) (float64, error) {
		r1, err := loadTest(ctx, 8, duration, requestURL(1))
		if err != nil {
			return 0, err
		}
		r2, err := loadTest(ctx, 8, duration, requestURL(2))
		if err != nil {
			return 0, err
		}
		each(r1.rate, r2.rate)
		if rep >= 0 {
			one, two = append(one, r1.rate), append(two, r2.rate)
			lat1, lat2 = append(lat1, r1.latencies...), append(lat2, r2.latencies...)
		}
		return r1.rate, nil
	})
	return one, two, lat1, lat2, err
}
