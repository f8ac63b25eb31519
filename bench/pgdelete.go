package main

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/tessera-gis/tessera/mosaic"
	"github.com/tessera-gis/tessera/mosaic/postgis"
)

func init() { register(Benchmark{Name: "pgdelete", Issue: 13, Run: runPGDelete}) }

// runPGDelete measures DeleteImage on the PostGIS store: 10% of a catalog
// of 1M and 10M items (TESSERA_BENCH_PG_ITEMS, a comma list, changes the
// sizes; quick mode uses 5k and 20k), selected by a date range, from submit
// to esriJobSucceeded, against the bare "DELETE … WHERE" in PostgreSQL on
// an identical copy of the database (CREATE DATABASE … TEMPLATE). The
// catalogs are generated once through the store's own AddItems into
// template databases named tessera_bench_<items>_<hash of the store's code>
// and kept for later runs (drop them with DROP DATABASE when done; quick
// mode drops its own).
//
// It needs the PostgreSQL server of TESSERA_POSTGRES_DSN (default
// postgres://postgres@127.0.0.1:5432/test) with PostGIS.
func runPGDelete(ctx context.Context, env *Env) ([]Measurement, error) {
	scales, err := pgScales(env)
	if err != nil {
		return nil, err
	}
	return eachPGTemplate(ctx, env, scales, pgDeleteVsBare)
}

// eachPGTemplate runs measure on the template database of each size's
// catalog (100 revisits; see pgTemplate) and gathers its measurements.
func eachPGTemplate(ctx context.Context, env *Env, scales []int,
	measure func(ctx context.Context, env *Env, admin, tmpl string, cat *Catalog) ([]Measurement, error)) ([]Measurement, error) {
	admin := pgAdminDSN()
	var out []Measurement
	for _, items := range scales {
		cat, err := newCatalog(env, CatalogSpec{Items: items, Revisits: 100})
		if err != nil {
			return nil, err
		}
		tmpl, err := pgTemplate(ctx, env, admin, cat)
		if err != nil {
			return nil, err
		}
		if env.Quick {
			// Quick mode (CI) leaves no database behind; the full sizes
			// keep theirs for the next run.
			defer pgDropDatabase(context.WithoutCancel(ctx), admin, tmpl)
		}
		ms, err := measure(ctx, env, admin, tmpl, cat)
		if err != nil {
			return nil, err
		}
		out = append(out, ms...)
	}
	return out, nil
}

// pgScales returns the catalog sizes of the PostGIS benchmarks: 1M and
// 10M items, TESSERA_BENCH_PG_ITEMS (a comma list) if set, 5k and 20k in
// quick mode.
func pgScales(env *Env) ([]int, error) {
	if env.Quick {
		return []int{5_000, 20_000}, nil
	}
	s := os.Getenv("TESSERA_BENCH_PG_ITEMS")
	if s == "" {
		return []int{1_000_000, 10_000_000}, nil
	}
	var scales []int
	for _, f := range strings.Split(s, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(f))
		if err != nil || n <= 0 {
			return nil, fmt.Errorf("TESSERA_BENCH_PG_ITEMS=%q: want a comma list of item counts", s)
		}
		scales = append(scales, n)
	}
	return scales, nil
}

// pgDropDatabase drops database name, if it exists, on admin's server.
func pgDropDatabase(ctx context.Context, admin, name string) error {
	return pgExec(ctx, admin, "DROP DATABASE IF EXISTS "+pgx.Identifier{name}.Sanitize()+" WITH (FORCE)")
}

// pgDeleteVsBare deletes revisits [40, 50) — 10% of the items — with
// DeleteImage and with the bare statement, each on its own fresh copy of
// the template, alternating.
func pgDeleteVsBare(ctx context.Context, env *Env, admin, tmpl string, cat *Catalog) ([]Measurement, error) {
	first, n := 40, 10
	if env.Quick {
		first, n = 8, 2
	}
	where, selected := cat.DateWhere(first, n)
	from := catalogEpoch.AddDate(0, 0, first*RevisitDays).UnixMilli()
	to := catalogEpoch.AddDate(0, 0, (first+n)*RevisitDays).UnixMilli()
	reps := env.Reps
	if cat.Spec.Items >= 5_000_000 {
		reps = min(reps, 2) // each repetition copies the whole database twice
	} else if !env.Quick {
		reps = min(reps, 3)
	}
	var ours, purge, bare, soft []float64
	var rss int64
	oursRun := func(i int, purgeItems bool) (float64, error) {
		dsn, drop, err := pgCopy(ctx, admin, tmpl)
		if err != nil {
			return 0, err
		}
		defer drop()
		dir := filepath.Join(env.Work, fmt.Sprintf("pgdelete-%d", i))
		defer os.RemoveAll(dir)
		s, err := startBenchServer(ctx, env, dir, "--db", dsn)
		if err != nil {
			return 0, err
		}
		defer s.Stop()
		// The first request opens the store's caches, as a server that
		// has been up for a while has.
		if _, err := s.get(ctx, "/rest/services/"+cat.Collection+"/ImageServer?f=json"); err != nil {
			return 0, err
		}
		form := url.Values{"imageCollection": {cat.Collection}, "where": {where}}
		if purgeItems {
			form.Set("purge", "true")
		}
		start := time.Now()
		job, err := s.submit(ctx, "DeleteImage", form)
		if err == nil {
			err = s.waitJob(ctx, "DeleteImage", job, 5*time.Millisecond)
		}
		seen := time.Now()
		d := seen.Sub(start).Seconds()
		if err != nil {
			return 0, err
		}
		if err := pgJobTimes(ctx, env, dsn, job, start, seen); err != nil {
			return 0, err
		}
		b, err := s.get(ctx, "/rest/services/"+cat.Collection+"/ImageServer/query?f=json&returnCountOnly=true&where=1%3D1")
		if err != nil {
			return 0, err
		}
		if want := fmt.Sprintf(`"count":%d`, cat.Spec.Items-selected); !strings.Contains(string(b), want) {
			return 0, fmt.Errorf("after DeleteImage: %s, want %s", b, want)
		}
		rss = max(rss, s.PeakRSS())
		return d, nil
	}
	bareRun := func(stmt string) (float64, error) {
		dsn, drop, err := pgCopy(ctx, admin, tmpl)
		if err != nil {
			return 0, err
		}
		defer drop()
		d, removed, err := pgBareDelete(ctx, dsn, cat.Collection, stmt, from, to)
		if err == nil && removed != int64(selected) {
			err = fmt.Errorf("bare statement changed %d rows, want %d", removed, selected)
		}
		return d.Seconds(), err
	}
	for i := range reps {
		for _, run := range []struct {
			into *[]float64
			f    func() (float64, error)
		}{
			{&ours, func() (float64, error) { return oursRun(i, false) }},
			{&soft, func() (float64, error) {
				return bareRun(`UPDATE %s SET _deleted_at = 1, _deleted_job = 'bench' WHERE _deleted_at IS NULL AND "AcquisitionDate" >= $1 AND "AcquisitionDate" < $2`)
			}},
			{&purge, func() (float64, error) { return oursRun(i, true) }},
			{&bare, func() (float64, error) {
				return bareRun(`DELETE FROM %s WHERE "AcquisitionDate" >= $1 AND "AcquisitionDate" < $2`)
			}},
		} {
			d, err := run.f()
			if err != nil {
				return nil, err
			}
			*run.into = append(*run.into, d)
		}
		env.Logf("pgdelete %d items, rep %d: recycle %.2f s (bare UPDATE %.2f s), purge %.2f s (bare DELETE %.2f s)",
			cat.Spec.Items, i+1, ours[i], soft[i], purge[i], bare[i])
	}
	scale := countLabel(selected) + " of " + countLabel(cat.Spec.Items) + " items"
	return []Measurement{{
		Name: "PostGIS: DeleteImage purge=true " + scale + " (date range), submit → esriJobSucceeded",
		Unit: "s", Ours: purge, Peer: "bare PostgreSQL DELETE … WHERE, same data", PeerS: bare,
		Target: "≤ 1.2× peer", PeakRSS: rss, Family: "pgdelete-purge", Scale: cat.Spec.Items,
	}, {
		Name: "PostGIS: DeleteImage " + scale + " to the recycle bin (the default), submit → esriJobSucceeded",
		Unit: "s", Ours: ours, Peer: "bare UPDATE … SET _deleted_at WHERE (the same soft delete), same data", PeerS: soft,
		Family: "pgdelete", Scale: cat.Spec.Items,
		Note: "restorable: each row is rewritten; the bare DELETE of the row above is the floor of a delete that keeps nothing",
	}}, nil
}

// pgJobTimes logs where a job's time went: submit → claimed (started_at),
// claimed → the final statement of its transaction (finished_at, written
// just before the commit) and from there to the poll that saw it succeed
// (the commit, and the status read).
func pgJobTimes(ctx context.Context, env *Env, dsn, job string, submitted, seen time.Time) error {
	conn, err := pgx.Connect(ctx, dsn)
	if err != nil {
		return err
	}
	defer conn.Close(ctx)
	var started, finished int64
	if err := conn.QueryRow(ctx, `SELECT started_at, finished_at FROM jobs WHERE id = $1`, job).Scan(&started, &finished); err != nil {
		return fmt.Errorf("job %s: %w", job, err)
	}
	ms := func(t time.Time) int64 { return t.UnixMilli() }
	env.Logf("    job %s: submit → start %d ms, start → finish %d ms, finish → seen %d ms",
		job, started-ms(submitted), finished-started, ms(seen)-finished)
	return nil
}

// pgBareDelete runs a peer: one transaction running stmt, whose %s is the
// catalog table and whose $1 and $2 are the date range.
func pgBareDelete(ctx context.Context, dsn, collection, stmt string, from, to int64) (time.Duration, int64, error) {
	conn, err := pgx.Connect(ctx, dsn)
	if err != nil {
		return 0, 0, err
	}
	defer conn.Close(ctx)
	var id int64
	if err := conn.QueryRow(ctx, `SELECT id FROM collections WHERE name = $1`, collection).Scan(&id); err != nil {
		return 0, 0, err
	}
	start := time.Now()
	tx, err := conn.Begin(ctx)
	if err != nil {
		return 0, 0, err
	}
	defer tx.Rollback(ctx)
	tag, err := tx.Exec(ctx, fmt.Sprintf(stmt, fmt.Sprintf("items_%d", id)), from, to)
	if err != nil {
		return 0, 0, err
	}
	if err := tx.Commit(ctx); err != nil {
		return 0, 0, err
	}
	return time.Since(start), tag.RowsAffected(), nil
}

// pgTemplate returns the name of a database holding cat, generating it
// through the store the first time. A database left half-made by an
// interrupted run has no bench_complete table and is made again.
func pgTemplate(ctx context.Context, env *Env, admin string, cat *Catalog) (string, error) {
	fp, err := storeFingerprint("mosaic/postgis")
	if err != nil {
		return "", err
	}
	name := fmt.Sprintf("tessera_bench_%d_%s", cat.Spec.Items, fp[:10])
	dsn := pgWithDatabase(admin, name)
	if conn, err := pgx.Connect(ctx, dsn); err == nil {
		var ok bool
		err := conn.QueryRow(ctx, `SELECT to_regclass('bench_complete') IS NOT NULL`).Scan(&ok)
		conn.Close(ctx)
		if err == nil && ok {
			return name, nil
		}
	}
	if err := pgExec(ctx, admin, "DROP DATABASE IF EXISTS "+pgx.Identifier{name}.Sanitize()+" WITH (FORCE)"); err != nil {
		return "", err
	}
	if err := pgExec(ctx, admin, "CREATE DATABASE "+pgx.Identifier{name}.Sanitize()); err != nil {
		return "", err
	}
	if err := pgExec(ctx, dsn, "CREATE EXTENSION IF NOT EXISTS postgis"); err != nil {
		return "", err
	}
	env.Logf("generating a %d-item PostGIS catalog (database %s)", cat.Spec.Items, name)
	start := time.Now()
	db, err := postgis.Open(ctx, dsn)
	if err != nil {
		return "", err
	}
	defer db.Close()
	// One revisit goes through the store; the others are copies of it
	// made in SQL (see pgReplicate).
	coll, err := cat.Create(ctx, db)
	if err != nil {
		return "", err
	}
	if err := cat.Add(ctx, db, coll, 0, cat.Tiles); err != nil {
		return "", fmt.Errorf("pgdelete: %w", err)
	}
	env.Logf("  revisit 0 (%d items) through the store in %s", cat.Tiles, time.Since(start).Round(time.Second))
	if err := pgReplicate(ctx, dsn, coll.ID, cat); err != nil {
		return "", fmt.Errorf("pgdelete: replicate revisits: %w", err)
	}
	env.Logf("  revisits 1–%d copied in SQL (%s)", cat.Spec.Revisits-1, time.Since(start).Round(time.Second))
	if err := cat.StoreBoundary(ctx, db, coll); err != nil {
		return "", fmt.Errorf("pgdelete: %w", err)
	}
	if err := pgExec(ctx, dsn, "VACUUM ANALYZE"); err != nil {
		return "", err
	}
	if err := pgExec(ctx, dsn, "CREATE TABLE bench_complete ()"); err != nil {
		return "", err
	}
	env.Logf("generated in %s", time.Since(start).Round(time.Millisecond))
	return name, nil
}

// pgReplicate makes revisits 1…Revisits-1 of cat from revisit 0 in one
// INSERT … SELECT, as Catalog.Item would have made them: OBJECTID +
// k·Tiles, AcquisitionDate + k·7 days, the same footprint (so the same
// boundary cell and shape key), Name and SensorName as Item gives them, and
// a uniform CloudCover (from PostgreSQL's random(), not Item's generator).
// The boundary's item counts are scaled to match and next_oid moved on.
// Generating 10M items through AddItems takes over an hour on a 2-core
// machine; this takes minutes.
func pgReplicate(ctx context.Context, dsn string, collID int64, cat *Catalog) error {
	if cat.Spec.Revisits <= 1 {
		return nil
	}
	conn, err := pgx.Connect(ctx, dsn)
	if err != nil {
		return err
	}
	defer conn.Close(ctx)
	table := fmt.Sprintf("items_%d", collID)
	rows, err := conn.Query(ctx, `SELECT column_name FROM information_schema.columns
		WHERE table_name = $1 AND table_schema = current_schema() ORDER BY ordinal_position`, table)
	if err != nil {
		return err
	}
	cols, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		return err
	}
	const day = int64(24 * time.Hour / time.Millisecond)
	tiles := int64(cat.Tiles)
	override := map[string]string{
		mosaic.FieldNameOID:             fmt.Sprintf(`i."OBJECTID" + k * %d`, tiles),
		mosaic.FieldNameAcquisitionDate: fmt.Sprintf(`i."AcquisitionDate" + k * %d`, RevisitDays*day),
		mosaic.FieldNameName: fmt.Sprintf(`'T' || lpad(((i."OBJECTID" - 1) %% %d)::text, 5, '0') || '_' ||
			to_char(to_timestamp((i."AcquisitionDate" + k * %d) / 1000.0) AT TIME ZONE 'UTC', 'YYYYMMDD')`, tiles, RevisitDays*day),
		mosaic.FieldNameCloudCover: `floor(random() * 1000) / 10`,
		mosaic.FieldNameSensorName: fmt.Sprintf(`(ARRAY['Sentinel-2A','Sentinel-2B','Landsat-8','Landsat-9'])[((i."OBJECTID" - 1) %% %d + k) %% 4 + 1]`, tiles),
	}
	sel := make([]string, len(cols))
	quoted := make([]string, len(cols))
	for j, c := range cols {
		quoted[j] = pgx.Identifier{c}.Sanitize()
		if e, ok := override[c]; ok {
			sel[j] = e
		} else {
			sel[j] = "i." + quoted[j]
		}
	}
	stmts := []string{
		fmt.Sprintf(`INSERT INTO %s (%s) SELECT %s FROM %s AS i CROSS JOIN generate_series(1::bigint, %d) AS k WHERE i."OBJECTID" <= %d`,
			table, strings.Join(quoted, ", "), strings.Join(sel, ", "), table, cat.Spec.Revisits-1, tiles),
		fmt.Sprintf(`UPDATE cells SET count = count * %d WHERE collection_id = %d`, cat.Spec.Revisits, collID),
		fmt.Sprintf(`UPDATE cell_shapes SET count = count * %d WHERE collection_id = %d`, cat.Spec.Revisits, collID),
		fmt.Sprintf(`UPDATE collections SET next_oid = %d WHERE id = %d`, cat.Spec.Items+1, collID),
	}
	tx, err := conn.Begin(ctx)
	if err != nil {
		return err
	}
	defer tx.Rollback(ctx)
	for _, q := range stmts {
		if _, err := tx.Exec(ctx, q); err != nil {
			return fmt.Errorf("%.80s…: %w", q, err)
		}
	}
	return tx.Commit(ctx)
}

// pgCopy makes a fresh copy of database tmpl and returns its connection
// string and a function that drops it.
func pgCopy(ctx context.Context, admin, tmpl string) (string, func(), error) {
	name := fmt.Sprintf("tessera_bench_run_%d", time.Now().UnixNano())
	if err := pgExec(ctx, admin, "CREATE DATABASE "+pgx.Identifier{name}.Sanitize()+" TEMPLATE "+pgx.Identifier{tmpl}.Sanitize()); err != nil {
		return "", nil, err
	}
	drop := func() {
		_ = pgExec(context.Background(), admin, "DROP DATABASE IF EXISTS "+pgx.Identifier{name}.Sanitize()+" WITH (FORCE)")
	}
	return pgWithDatabase(admin, name), drop, nil
}

func pgExec(ctx context.Context, dsn, sql string) error {
	conn, err := pgx.Connect(ctx, dsn)
	if err != nil {
		return fmt.Errorf("PostgreSQL (TESSERA_POSTGRES_DSN): %w", err)
	}
	defer conn.Close(ctx)
	_, err = conn.Exec(ctx, sql)
	return err
}

// pgAdminDSN is the maintenance database's connection string.
func pgAdminDSN() string {
	if dsn := os.Getenv("TESSERA_POSTGRES_DSN"); dsn != "" {
		return dsn
	}
	return "postgres://postgres@127.0.0.1:5432/test?sslmode=disable"
}

func pgWithDatabase(dsn, name string) string {
	u, err := url.Parse(dsn)
	if err != nil || u.Scheme == "" {
		return strings.TrimSpace(dsn) + " dbname=" + name
	}
	u.Path = "/" + name
	return u.String()
}

// storeFingerprint hashes a store's source, so that a cached catalog never
// outlives the code that wrote it.
func storeFingerprint(root string) (string, error) {
	h := sha256.New()
	var names []string
	err := filepath.WalkDir(root, func(path string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		// query.go only reads: a change there leaves the data as it was.
		if !d.IsDir() && (strings.HasSuffix(path, ".sql") || strings.HasSuffix(path, ".go")) && !strings.HasSuffix(path, "_test.go") &&
			filepath.Base(path) != "query.go" {
			names = append(names, path)
		}
		return nil
	})
	if err != nil {
		return "", fmt.Errorf("hash store code (run from the repository root): %w", err)
	}
	sort.Strings(names)
	for _, n := range names {
		b, err := os.ReadFile(n)
		if err != nil {
			return "", err
		}
		h.Write([]byte(n))
		h.Write(b)
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}
