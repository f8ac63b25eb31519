package tasks_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/tessera-gis/tessera/mosaic"
	"github.com/tessera-gis/tessera/mosaic/sqlite"
	"github.com/tessera-gis/tessera/raster"
	"github.com/tessera-gis/tessera/raster/rastertest"
	"github.com/tessera-gis/tessera/tasks"
	"github.com/tessera-gis/tessera/tasks/jobs"
	"github.com/tessera-gis/tessera/tasks/riverqueue"
)

const servicesURL = "http://tessera.test/arcgis/rest/services"

// testBundle is a store and a running engine in a temporary directory.
type testBundle struct {
	t      testing.TB
	dir    string
	db     *sqlite.DB
	engine *jobs.Engine
	www    *httptest.Server // a registered URL data store
	wwwDir atomic.Value     // the folder www serves (string)
}

var admin = mosaic.SubmitOptions{User: &mosaic.User{Name: "tester", Role: mosaic.RoleAdmin}}

// setup makes a bundle whose data stores are the temporary folder, the
// bundle's file server and extraStores (URL prefixes).
func setup(t testing.TB, extraStores ...string) *testBundle {
	t.Helper()
	ctx := context.Background()
	dir := t.TempDir()
	db, err := sqlite.Open(ctx, filepath.Join(dir, "tessera.db"))
	if err != nil {
		t.Fatal(err)
	}
	q, err := riverqueue.NewSQLite(ctx, db.WriteDB(), riverqueue.Config{Workers: 2})
	if err != nil {
		t.Fatal(err)
	}
	b := &testBundle{t: t, dir: dir, db: db}
	b.www = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		d, _ := b.wwwDir.Load().(string)
		if d == "" {
			http.NotFound(w, r)
			return
		}
		http.FileServer(http.Dir(d)).ServeHTTP(w, r)
	}))
	t.Cleanup(b.www.Close)
	db0 := filepath.Join(dir, "tessera.db")
	stores, err := raster.NewStores(append([]string{os.TempDir(), b.www.URL + "/"}, extraStores...),
		[]string{db0, db0 + "-wal", db0 + "-shm", filepath.Join(dir, "token.secret")}, nil)
	if err != nil {
		t.Fatal(err)
	}
	e := jobs.New(db, q, jobs.Config{ServicesURL: servicesURL, Stores: stores},
		tasks.CreateImageCollection{}, tasks.AddImage{}, tasks.DeleteImage{}, tasks.DeleteImageCollection{})
	if err := e.Start(ctx); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		sctx, cancel := context.WithTimeout(ctx, 30*time.Second)
		defer cancel()
		e.Stop(sctx)
		db.Close()
	})
	b.engine = e
	return b
}

// run executes a task and returns the finished job.
func (b *testBundle) run(task string, in map[string]string) *mosaic.Job {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	j, err := b.engine.Execute(ctx, task, in, admin)
	if err != nil {
		b.t.Fatalf("%s %v: %v", task, in, err)
	}
	return j
}

// succeed runs a task and fails the test unless it succeeded.
func (b *testBundle) succeed(task string, in map[string]string) *mosaic.Job {
	b.t.Helper()
	j := b.run(task, in)
	if j.State != mosaic.JobSucceeded {
		b.t.Fatalf("%s %v: %s\n%s", task, in, j.State, msgs(j))
	}
	return j
}

// create makes an empty collection.
func (b *testBundle) create(name string, ctxJSON string) {
	b.t.Helper()
	in := map[string]string{"imageCollection": name}
	if ctxJSON != "" {
		in["context"] = ctxJSON
	}
	b.succeed("CreateImageCollection", in)
}

// collection reads a collection.
func (b *testBundle) collection(name string) *mosaic.Collection {
	b.t.Helper()
	var c *mosaic.Collection
	err := b.db.View(context.Background(), func(tx mosaic.ReadTx) (err error) {
		c, err = tx.Collection(mosaic.CollectionRef{Name: name})
		return err
	})
	if err != nil {
		b.t.Fatal(err)
	}
	return c
}

// items returns every live item of a collection with all fields and
// footprints, in OBJECTID order.
func (b *testBundle) items(name string) []*mosaic.Item {
	b.t.Helper()
	var page *mosaic.ItemPage
	err := b.db.View(context.Background(), func(tx mosaic.ReadTx) error {
		c, err := tx.Collection(mosaic.CollectionRef{Name: name})
		if err != nil {
			return err
		}
		page, err = tx.QueryItems(c, mosaic.ItemQuery{OutFields: "*", ReturnGeometry: true})
		return err
	})
	if err != nil {
		b.t.Fatal(err)
	}
	return page.Items
}

// itemByName returns the item whose Name is name.
func itemByName(t testing.TB, items []*mosaic.Item, name string) *mosaic.Item {
	t.Helper()
	for _, it := range items {
		if it.Attributes[mosaic.FieldNameName] == name {
			return it
		}
	}
	t.Fatalf("no item named %q", name)
	return nil
}

// msgs joins a job's messages, one a line.
func msgs(j *mosaic.Job) string {
	var b strings.Builder
	for _, m := range j.Messages {
		fmt.Fprintf(&b, "%s: %s\n", m.Type, m.Description)
	}
	return b.String()
}

// result decodes a job's result value.
func result(t testing.TB, j *mosaic.Job) map[string]any {
	t.Helper()
	r, ok := j.Results["result"]
	if !ok {
		t.Fatalf("job has no result: %+v", j.Results)
	}
	var v map[string]any
	if err := json.Unmarshal(r.Value, &v); err != nil {
		t.Fatalf("result %s: %v", r.Value, err)
	}
	return v
}

// counts returns the total/added/skipped/failed counts of a job's result.
func counts(t testing.TB, j *mosaic.Job) [4]int {
	t.Helper()
	v := result(t, j)
	var out [4]int
	for i, k := range []string{"total", "added", "skipped", "failed"} {
		f, ok := v[k].(float64)
		if !ok {
			t.Fatalf("result has no %s: %v", k, v)
		}
		out[i] = int(f)
	}
	return out
}

// tile writes a 64×64 GeoTIFF in EPSG:32633 at column i of a row of tiles.
func tile(t testing.TB, dir, name string, i int, opts ...rastertest.Option) string {
	t.Helper()
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	gt := rastertest.GeoTransform([6]float64{500000 + float64(i)*640, 10, 0, 5000000, 0, -10})
	return rastertest.GeoTIFF(t, filepath.Join(dir, name), append([]rastertest.Option{gt}, opts...)...)
}

// tiles writes n tiles named t000.tif… in dir.
func tiles(t testing.TB, dir string, n int, opts ...rastertest.Option) []string {
	t.Helper()
	out := make([]string, n)
	for i := range out {
		out[i] = tile(t, dir, fmt.Sprintf("t%03d.tif", i), i, opts...)
	}
	return out
}

// fileServer serves dir over HTTP on loopback, with range requests, at
// the bundle's registered URL data store.
func (b *testBundle) fileServer(dir string) string {
	b.wwwDir.Store(dir)
	return b.www.URL
}

func jsonText(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err)
	}
	return string(b)
}
