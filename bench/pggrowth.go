package main

import (
	"context"
	"fmt"
	"net/url"
	"path/filepath"
	"time"

	"github.com/tessera-gis/tessera/internal/subprocess"
)

// The PostGIS growth benchmark (issue 13): how query throughput and
// AddImage into an existing collection change from 1M to 10M items, on the
// catalogs of the pgdelete benchmark (kept template databases: 100
// revisits of 10,000 or 100,000 tiles; TESSERA_BENCH_PG_ITEMS changes the
// sizes, quick mode uses 5k and 20k). Each size runs on a fresh copy of its
// template:
//   - query: CloudCover < 30 and a 10×10-tile box (10,000 items, about 3,000
//     matching), 1,000-feature pages with geometry, 8 keep-alive
//     connections, against one instance and then two instances of the same
//     database with requests alternating;
//   - AddImage of the ingest benchmark's 10,000 small GeoTIFFs into the
//     catalog's own collection (its indexes, boundary and fields as they
//     are at that size), submit → esriJobSucceeded.
//
// The Family/Scale pairs make the runner report the growth from one size to
// the next.
func init() {
	register(Benchmark{Name: "pggrowth", Issue: 13, Run: runPGGrowth})
}

// growthWindow is the query box's side, in tiles.
const growthWindow = 10

func runPGGrowth(ctx context.Context, env *Env) ([]Measurement, error) {
	scales, err := pgScales(env)
	if err != nil {
		return nil, err
	}
	files, duration := 10000, 5*time.Second
	if env.Quick {
		// A smoke test: one size is enough to show that it runs.
		files, duration, scales = 300, time.Second, scales[:1]
	}
	set := &ingestSet{name: "small", count: files}
	if err := generate(ctx, env, set); err != nil {
		return nil, err
	}
	return eachPGTemplate(ctx, env, scales, func(ctx context.Context, env *Env, admin, tmpl string, cat *Catalog) ([]Measurement, error) {
		return pgGrowthAt(ctx, env, admin, tmpl, cat, set, duration)
	})
}

func pgGrowthAt(ctx context.Context, env *Env, admin, tmpl string, cat *Catalog, set *ingestSet, duration time.Duration) ([]Measurement, error) {
	items := cat.Spec.Items
	dsn, drop, err := pgCopy(ctx, admin, tmpl)
	if err != nil {
		return nil, err
	}
	defer drop()
	var srvs []*subprocess.Server
	defer func() {
		for _, s := range srvs {
			s.Stop()
		}
	}()
	for i := range 2 {
		s, err := StartServer(ctx, env, filepath.Join(env.Work, fmt.Sprintf("pggrowth-%d-%d", items, i)), "--db", dsn)
		if err != nil {
			return nil, err
		}
		srvs = append(srvs, s)
	}
	box, window := tileBoxes(cat, growthWindow)
	one, two, lat1, lat2, err := oneAndTwo(ctx, env, srvs, cat, box, duration, wantFullPage(env), func(r1, r2 float64) {
		env.Logf("query at %s: 1 instance %.1f req/s, 2 instances %.1f req/s", countLabel(items), r1, r2)
	})
	if err != nil {
		return nil, err
	}
	// AddImage once into the catalog's collection: each run adds to it, so
	// a repetition would measure a larger catalog.
	job, d, err := RunJob(ctx, srvs[0], "AddImage", url.Values{"imageCollection": {cat.Collection}, "inputRasters": {set.dir}}, 20*time.Millisecond)
	if err != nil {
		return nil, err
	}
	if job["jobStatus"] != "esriJobSucceeded" {
		return nil, fmt.Errorf("AddImage into the %s-item catalog: %v", countLabel(items), job)
	}
	rate := float64(set.count) / d.Seconds()
	env.Logf("AddImage %d small GeoTIFFs into the %s-item catalog: %.2f s = %.0f items/s", set.count, countLabel(items), d.Seconds(), rate)

	q := fmt.Sprintf("query %s items on PostGIS: CloudCover < 30 and a %d×%d-tile bbox, 1,000-feature pages, 8 connections",
		countLabel(items), window, window)
	return []Measurement{
		{Name: q + ", 1 instance", Unit: "req/s", Ours: one, HigherIsBetter: true, PeakRSS: srvs[0].PeakRSS(),
			Family: "pggrowth query, 1 instance", Scale: items,
			Note: fmt.Sprintf("p50 %.1f ms, p99 %.1f ms", ms(latencyPercentile(lat1, 0.5)), ms(latencyPercentile(lat1, 0.99)))},
		{Name: q + ", 2 instances (requests alternate)", Unit: "req/s", Ours: two, Peer: "1 instance, same run", PeerS: one,
			HigherIsBetter: true, PeakRSS: max(srvs[0].PeakRSS(), srvs[1].PeakRSS()),
			Family: "pggrowth query, 2 instances", Scale: items,
			Note: fmt.Sprintf("p50 %.1f ms, p99 %.1f ms", ms(latencyPercentile(lat2, 0.5)), ms(latencyPercentile(lat2, 0.99)))},
		{Name: fmt.Sprintf("AddImage %d small GeoTIFFs into the %s-item PostGIS catalog's collection, submit → esriJobSucceeded", set.count, countLabel(items)),
			Unit: "items/s", Ours: []float64{rate}, HigherIsBetter: true, PeakRSS: srvs[0].PeakRSS(),
			Family: "pggrowth AddImage", Scale: items, Note: "one run per size (each run grows the catalog)"},
	}, nil
}
