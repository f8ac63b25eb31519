package main

import (
	"context"
	"fmt"
	"os"

	"github.com/jackc/pgx/v5"
)

// The ingest-pg benchmark (issue 13) runs AddImage of the ingest
// benchmark's 10,000 small GeoTIFFs into a PostGIS catalog (a fresh
// database each time, on the PostgreSQL of TESSERA_BENCH_PG, by default
// postgres://postgres@127.0.0.1:5432/postgres) and into SQLite, in turns.
func init() {
	register(Benchmark{Name: "ingest-pg", Issue: 13, Run: runIngestPG})
}

func runIngestPG(ctx context.Context, env *Env) ([]Measurement, error) {
	admin := os.Getenv("TESSERA_BENCH_PG")
	if admin == "" {
		admin = "postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable"
	}
	count := 10000
	if env.Quick {
		count = 300
	}
	set := &ingestSet{name: "small", count: count}
	if err := generate(ctx, env, set); err != nil {
		return nil, err
	}
	var pg, lite []float64
	var rss int64
	_, err := repeat(env, func(i int) (float64, error) {
		name := fmt.Sprintf("tessera_bench_ingest_%d_%d", os.Getpid(), i+1)
		dbURL, drop, err := freshDatabase(ctx, admin, name)
		if err != nil {
			return 0, err
		}
		defer drop()
		p, peak, _, err := addImageOnce(ctx, env, set, i, "--db", dbURL)
		if err != nil {
			return 0, fmt.Errorf("AddImage into PostGIS: %w", err)
		}
		l, _, _, err := addImageOnce(ctx, env, set, i)
		if err != nil {
			return 0, fmt.Errorf("AddImage into SQLite: %w", err)
		}
		env.Logf("AddImage %d small GeoTIFFs #%d: PostGIS %.0f items/s, SQLite %.0f items/s (%.0f%%)", count, i+1, p, l, 100*p/l)
		if i >= 0 {
			pg, lite, rss = append(pg, p), append(lite, l), max(rss, peak)
		}
		return p, nil
	})
	if err != nil {
		return nil, err
	}
	return []Measurement{{
		Name: fmt.Sprintf("AddImage %d small GeoTIFFs into PostGIS (--db), submit → esriJobSucceeded", count), Unit: "items/s",
		Ours: pg, Peer: "the same into SQLite (the default), measured in turns", PeerS: lite, HigherIsBetter: true, PeakRSS: rss,
		Note: "a fresh database per run; PostgreSQL 15 + PostGIS on the same machine",
	}}, nil
}

// freshDatabase creates a database on the server of admin and returns its
// URL and a function that drops it.
func freshDatabase(ctx context.Context, admin, name string) (string, func(), error) {
	conn, err := pgx.Connect(ctx, admin)
	if err != nil {
		return "", nil, fmt.Errorf("PostgreSQL: %w", err)
	}
	defer conn.Close(ctx)
	if _, err := conn.Exec(ctx, "CREATE DATABASE "+pgx.Identifier{name}.Sanitize()); err != nil {
		return "", nil, err
	}
	cfg, err := pgx.ParseConfig(admin)
	if err != nil {
		return "", nil, err
	}
	url := fmt.Sprintf("postgres://%s@%s:%d/%s?sslmode=disable", cfg.User, cfg.Host, cfg.Port, name)
	drop := func() {
		if c, err := pgx.Connect(context.Background(), admin); err == nil {
			_, _ = c.Exec(context.Background(), "DROP DATABASE IF EXISTS "+pgx.Identifier{name}.Sanitize()+" WITH (FORCE)")
			c.Close(context.Background())
		}
	}
	return url, drop, nil
}
