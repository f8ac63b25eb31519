package main_test

import (
	"context"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/tessera-gis/tessera/internal/pgtest"
	"github.com/tessera-gis/tessera/mosaic"
	"github.com/tessera-gis/tessera/mosaic/sqlite"
)

// TestPostgresRoundTrip runs the binary with --db on a fresh PostGIS
// database: CreateImageCollection, AddImage, DeleteImage and queries; a
// second server on the same database serves the same catalog; and the token secret
// lives in the database, so a token from one server is valid on another
// with a different data directory.
func TestPostgresRoundTrip(t *testing.T) {
	t.Parallel()
	pdb := pgtest.NewDatabase(t, "tessera_e2e")
	_, srcs := sources(t, 6, "pg") // CloudCover 0, 7, 14, 21, 28, 35

	dirA := t.TempDir()
	p := startServer(t, dirA, "--db", pdb.DSN)
	_, job := run(t, p, "CreateImageCollection", url.Values{"imageCollection": {"PG"}, "inputRasters": {jsonText(srcs[:4])}})
	if job["jobStatus"] != "esriJobSucceeded" {
		t.Fatalf("CreateImageCollection: %v\n%s", job, messages(job))
	}
	if n := count(t, p, "PG", "1=1"); n != 4 {
		t.Fatalf("%d items after create, want 4", n)
	}
	_, job = run(t, p, "AddImage", url.Values{"imageCollection": {"PG"}, "inputRasters": {jsonText(srcs[4:])}})
	if job["jobStatus"] != "esriJobSucceeded" {
		t.Fatalf("AddImage: %v\n%s", job, messages(job))
	}
	if n := count(t, p, "PG", "1=1"); n != 6 {
		t.Fatalf("%d items after AddImage, want 6", n)
	}
	_, job = run(t, p, "DeleteImage", url.Values{"imageCollection": {"PG"}, "where": {"CloudCover > 20"}})
	if job["jobStatus"] != "esriJobSucceeded" || !strings.Contains(messages(job), "removed 3 items") {
		t.Fatalf("DeleteImage: %v\n%s", job, messages(job))
	}
	q := getJSON(t, p.Services()+"/PG/ImageServer/query?f=json&outFields=Name,CloudCover&orderByFields=CloudCover&where="+
		url.QueryEscape("CloudCover < 30"))
	feats, _ := q["features"].([]any)
	if len(feats) != 3 {
		t.Fatalf("query: %v", q)
	}
	var clouds []string
	for _, f := range feats {
		attrs := f.(map[string]any)["attributes"].(map[string]any)
		clouds = append(clouds, jsonText(attrs["CloudCover"]))
	}
	if got := strings.Join(clouds, ","); got != "0,7,14" {
		t.Errorf("CloudCover of the items left = %s, want 0,7,14", got)
	}
	// A bad where clause is a 400 envelope, as on SQLite.
	if m := getJSON(t, p.Services()+"/PG/ImageServer/query?f=json&where="+url.QueryEscape("CloudCover >")); errorCode(m) != 400 {
		t.Errorf("bad where: %v", m)
	}
	if _, err := os.Stat(filepath.Join(dirA, "tessera.db")); !os.IsNotExist(err) {
		t.Errorf("with --db the data directory has a tessera.db (%v)", err)
	}
	// Several servers share a database: a second one serves the same
	// catalog. (TestMultiInstance tests them together.)
	p2 := startServer(t, t.TempDir(), "--db", pdb.DSN)
	if n := count(t, p2, "PG", "1=1"); n != 3 {
		t.Errorf("the second server counts %d items, want 3", n)
	}
	p2.Stop()
	p.Stop()

	// Token security: the secret is in the database.
	cmd := newCmd("passwd", "--cost", "4", "ann", "admin")
	cmd.Stdin = strings.NewReader("ann-password\n")
	line, err := cmd.Output()
	if err != nil {
		t.Fatal(err)
	}
	users := filepath.Join(t.TempDir(), "users.conf")
	if err := os.WriteFile(users, line, 0o600); err != nil {
		t.Fatal(err)
	}
	dirB := t.TempDir()
	p = startServer(t, dirB, "--db", pdb.DSN, "--users", users)
	m := postForm(t, p.URL+"/tokens/generateToken", url.Values{"username": {"ann"}, "password": {"ann-password"}})
	tok, _ := m["token"].(string)
	if tok == "" {
		t.Fatalf("generateToken: %v", m)
	}
	p.Stop()
	dirC := t.TempDir()
	p = startServer(t, dirC, "--db", pdb.DSN, "--users", users)
	m = getJSON(t, p.Services()+"/PG/ImageServer/query?f=json&returnCountOnly=true&where=1%3D1&token="+url.QueryEscape(tok))
	if m["count"] != float64(3) {
		t.Errorf("count with a token from another server: %v", m)
	}
	for _, dir := range []string{dirB, dirC} {
		if _, err := os.Stat(filepath.Join(dir, "token.secret")); !os.IsNotExist(err) {
			t.Errorf("with --db, %s has a token.secret (%v)", dir, err)
		}
	}
}

// TestMigrate copies a SQLite data directory into a fresh PostgreSQL
// database with "tessera migrate", serves it with --db (the recycle bin
// came along: RestoreImage by the deleting job's ID brings items back with
// their OBJECTIDs), and copies it back into a new data directory.
func TestMigrate(t *testing.T) {
	t.Parallel()
	sqliteOnly(t)
	pdb := pgtest.NewDatabase(t, "tessera_migrate")
	_, srcs := sources(t, 2, "mig")
	dir := t.TempDir()
	seedCatalog(t, dir, "Seeded", 300, srcs...)
	ctx := context.Background()
	lite, err := sqlite.Open(ctx, filepath.Join(dir, "tessera.db"))
	if err != nil {
		t.Fatal(err)
	}
	err = lite.Update(ctx, func(tx mosaic.Tx) error {
		c, err := tx.Collection(mosaic.CollectionRef{Name: "Seeded"})
		if err != nil {
			return err
		}
		if _, err := tx.DeleteItems(c, mosaic.ItemDelete{Where: "CloudCover < 10", JobID: "jdel"}); err != nil {
			return err
		}
		return tx.Audit(mosaic.AuditEntry{User: "ann", Action: "delete", Collection: "Seeded", JobID: "jdel", Count: 30})
	})
	lite.Close()
	if err != nil {
		t.Fatal(err)
	}

	out, err := newCmd("migrate", "--from", dir, "--to", pdb.DSN, "--batch", "64").CombinedOutput()
	if err != nil || !strings.Contains(string(out), "copied 1 collections, 270 items and 30 recycle-bin entries") {
		t.Fatalf("tessera migrate: %v\n%s", err, out)
	}
	// Again: the target is no longer empty, and nothing changes.
	if out, err := newCmd("migrate", "--from", dir, "--to", pdb.DSN).CombinedOutput(); err == nil ||
		!strings.Contains(string(out), "already has 1 collections") {
		t.Errorf("second migrate: %v\n%s", err, out)
	}

	p := startServer(t, t.TempDir(), "--db", pdb.DSN)
	if n := count(t, p, "Seeded", "1=1"); n != 270 {
		t.Fatalf("%d items after migrate, want 270", n)
	}
	q := getJSON(t, p.Services()+"/Seeded/ImageServer/query?f=json&outFields=Name&where="+url.QueryEscape("OBJECTID = 123"))
	if !strings.Contains(jsonText(q["features"]), `"Name":"seed123"`) {
		t.Errorf("OBJECTID 123 after migrate: %v", q["features"])
	}
	_, job := run(t, p, "RestoreImage", url.Values{"imageCollection": {"Seeded"}, "jobId": {"jdel"}})
	if job["jobStatus"] != "esriJobSucceeded" {
		t.Fatalf("RestoreImage: %v\n%s", job, messages(job))
	}
	if n := count(t, p, "Seeded", "1=1"); n != 300 {
		t.Errorf("%d items after restoring the migrated recycle bin, want 300", n)
	}
	if n := count(t, p, "Seeded", "OBJECTID <= 300"); n != 300 {
		t.Errorf("restored items did not keep their OBJECTIDs: %d of 300 in 1–300", n)
	}
	// Not while a server runs on the database (its heartbeat is live).
	if out, err := newCmd("migrate", "--from", pdb.DSN, "--to", t.TempDir()).CombinedOutput(); err == nil ||
		!strings.Contains(string(out), "in use by 1 running tessera servers") {
		t.Errorf("migrate from a served database: %v\n%s", err, out)
	}
	p.Stop()

	// And back into a new data directory, from the URL as servers are
	// given it (deploy.md: with pool settings).
	back := t.TempDir()
	if out, err := newCmd("migrate", "--from", withParam(pdb.DSN, "pool_max_conns", "8"), "--to", back).CombinedOutput(); err != nil {
		t.Fatalf("tessera migrate back: %v\n%s", err, out)
	}
	p = startServer(t, back)
	if n := count(t, p, "Seeded", "1=1"); n != 300 {
		t.Errorf("%d items after migrating back, want 300", n)
	}
}

// TestMigrateRefusesWhatIsNoCatalog: a --from database that holds no
// tessera catalog is refused without creating tessera's tables in it, and
// a URL that is not postgres:// is refused rather than taken for a data
// directory named after it.
func TestMigrateRefusesWhatIsNoCatalog(t *testing.T) {
	t.Parallel()
	pdb := pgtest.NewDatabase(t, "tessera_migrate_none")
	out, err := newCmd("migrate", "--from", pdb.DSN, "--to", t.TempDir()).CombinedOutput()
	if err == nil || !strings.Contains(string(out), "holds no tessera catalog") {
		t.Errorf("migrate from a database without a catalog: %v\n%s", err, out)
	}
	conn, err := pgx.Connect(t.Context(), pdb.DSN)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(context.Background())
	var tables int
	if err := conn.QueryRow(t.Context(), `SELECT count(*) FROM pg_tables WHERE schemaname = 'public' AND tablename <> 'spatial_ref_sys'`).Scan(&tables); err != nil {
		t.Fatal(err)
	}
	if tables != 0 {
		t.Errorf("the refused source now has %d tables", tables)
	}

	dir := t.TempDir()
	seedCatalog(t, dir, "Seeded", 3, "/src/a.tif")
	for _, to := range []string{"mysql://u@db/x", "Postgres://u@db/x", "postgis://u@db/x"} {
		cmd := newCmd("migrate", "--from", dir, "--to", to)
		cmd.Dir = t.TempDir()
		out, err := cmd.CombinedOutput()
		if err == nil || !strings.Contains(string(out), "postgres://") {
			t.Errorf("migrate --to %s: %v\n%s", to, err, out)
		}
		if made, _ := os.ReadDir(cmd.Dir); len(made) > 0 {
			t.Errorf("migrate --to %s made %s", to, made[0].Name())
		}
	}
}
