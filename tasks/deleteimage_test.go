package tasks_test

import (
	"context"
	"encoding/json"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/paulmach/orb"

	"github.com/tessera-gis/tessera/mosaic"
	"github.com/tessera-gis/tessera/mosaic/sqlite"
	"github.com/tessera-gis/tessera/tasks"
	"github.com/tessera-gis/tessera/tasks/jobs"
	"github.com/tessera-gis/tessera/tasks/riverqueue"
)

type deleteBundle struct {
	ctx    context.Context
	db     *sqlite.DB
	engine *jobs.Engine
}

// setupDelete starts an engine with River on a fresh SQLite file holding the
// collection "C": a 10×10 grid of tiles, two revisits each (200 items).
// CloudCover is OBJECTID mod 100.
func setupDelete(t *testing.T) *deleteBundle {
	t.Helper()
	ctx := context.Background()
	db, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "tessera.db"))
	if err != nil {
		t.Fatal(err)
	}
	q, err := riverqueue.NewSQLite(ctx, db.WriteDB(), riverqueue.Config{Workers: 2})
	if err != nil {
		t.Fatal(err)
	}
	e := jobs.New(db, q, jobs.Config{ServicesURL: "http://test/arcgis/rest/services"},
		tasks.DeleteImage{}, tasks.RestoreImage{}, tasks.DeleteImageCollection{})
	if err := e.Start(ctx); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		e.Stop(context.Background())
		db.Close()
	})
	c := &mosaic.Collection{Name: "C", SRS: mosaic.SpatialRef{WKID: 32633}}
	var items []*mosaic.Item
	for i := range 200 {
		x, y := float64(i%10)*100, float64(i/10%10)*100
		items = append(items, &mosaic.Item{Path: fmt.Sprintf("/src/%d.tif", i),
			Footprint:  orb.Polygon{{{x, y}, {x + 100, y}, {x + 100, y + 100}, {x, y + 100}, {x, y}}},
			Attributes: map[string]any{mosaic.FieldNameCloudCover: float64((i + 1) % 100)}})
	}
	err = db.Update(ctx, func(tx mosaic.Tx) error {
		if err := tx.CreateCollection(c); err != nil {
			return err
		}
		_, err := tx.AddItems(c, items, mosaic.AddOptions{})
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return &deleteBundle{ctx: ctx, db: db, engine: e}
}

var publisher = mosaic.SubmitOptions{User: &mosaic.User{Name: "pub", Role: mosaic.RolePublisher}}

func (b *deleteBundle) execute(t *testing.T, task string, in map[string]string) (*mosaic.Job, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, time.Minute)
	defer cancel()
	return b.engine.Execute(ctx, task, in, publisher)
}

func (b *deleteBundle) count(t *testing.T) int64 {
	t.Helper()
	var n int64
	if err := b.db.View(b.ctx, func(tx mosaic.ReadTx) error {
		c, err := tx.Collection(mosaic.CollectionRef{Name: "C"})
		n = c.Summary.Count
		return err
	}); err != nil {
		t.Fatal(err)
	}
	return n
}

func resultValue(t *testing.T, j *mosaic.Job) map[string]any {
	t.Helper()
	var v map[string]any
	if err := json.Unmarshal(j.Results["result"].Value, &v); err != nil {
		t.Fatalf("result of %s: %v", j.ID, err)
	}
	return v
}

func messages(j *mosaic.Job) string {
	var s []string
	for _, m := range j.Messages {
		s = append(s, string(m.Type)+": "+m.Description)
	}
	return strings.Join(s, "\n")
}

func TestDeleteImageInputs(t *testing.T) {
	t.Parallel()
	b := setupDelete(t)
	tests := []struct {
		name  string
		in    map[string]string
		code  string // synchronous error code
		state mosaic.JobState
		left  int64
		msg   string // in the messages
	}{
		{name: "where missing", in: map[string]string{"imageCollection": "C"}, code: mosaic.EINVALID, left: 200},
		{name: "where empty JSON string", in: map[string]string{"imageCollection": "C", "where": `""`}, code: mosaic.EINVALID, left: 200},
		{name: "unknown field", in: map[string]string{"imageCollection": "C", "where": "Foo = 1"}, code: mosaic.EINVALID, left: 200},
		{name: "unknown collection", in: map[string]string{"imageCollection": `{"url":"http://x/arcgis/rest/services/Nope/ImageServer"}`, "where": "1=1"}, code: mosaic.ENOTFOUND, left: 200},
		{name: "bad strict", in: map[string]string{"imageCollection": "C", "where": "1=1", "strict": "sure"}, code: mosaic.EINVALID, left: 200},
		{name: "strict, nothing matches", in: map[string]string{"imageCollection": "C", "where": "CloudCover > 100", "strict": "true"},
			state: mosaic.JobFailed, left: 200, msg: "matched no items"},
		{name: "strict, objectId missing", in: map[string]string{"imageCollection": "C", "where": "1=1", "objectIds": "[1, 2, 5000]", "strict": "1"},
			state: mosaic.JobFailed, left: 200, msg: "1 of the 3 listed objectIds"},
		{name: "no match", in: map[string]string{"imageCollection": "C", "where": "CloudCover > 100"},
			state: mosaic.JobSucceeded, left: 200, msg: "matched no items"},
		{name: "dry run", in: map[string]string{"imageCollection": "C", "where": `"CloudCover < 3"`, "dryRun": "yes"},
			state: mosaic.JobSucceeded, left: 200, msg: "Dry run: 6 items"},
		{name: "quoted where and objectIds", in: map[string]string{"imageCollection": "C", "where": `"OBJECTID <= 10"`, "objectIds": "9,10,11"},
			state: mosaic.JobSucceeded, left: 198, msg: "Matched 2 items, removed 2 items"},
	}
	for _, tt := range tests { // sequential: each case sees the previous ones' effect
		j, err := b.execute(t, "DeleteImage", tt.in)
		if got := mosaic.ErrorCode(err); got != tt.code {
			t.Errorf("%s: error %v, want code %q", tt.name, err, tt.code)
			continue
		}
		if err == nil {
			if j.State != tt.state || !strings.Contains(messages(j), tt.msg) {
				t.Errorf("%s: %s\n%s\nwant %s with %q", tt.name, j.State, messages(j), tt.state, tt.msg)
			}
		}
		if got := b.count(t); got != tt.left {
			t.Errorf("%s: %d items left, want %d", tt.name, got, tt.left)
		}
	}
}

func TestDeleteImageResultAndAudit(t *testing.T) {
	t.Parallel()
	b := setupDelete(t)
	j, err := b.execute(t, "DeleteImage", map[string]string{"imageCollection": "C", "where": "CloudCover < 3", "dryRun": "true"})
	if err != nil || j.State != mosaic.JobSucceeded {
		t.Fatalf("dry run: %v %v", j, err)
	}
	v := resultValue(t, j)
	if v["url"] != "http://test/arcgis/rest/services/C/ImageServer" || v["matched"] != 6.0 || v["removed"] != 0.0 ||
		v["dryRun"] != true || fmt.Sprint(v["objectIds"]) != "[1 2 100 101 102 200]" {
		t.Errorf("dry run result = %v", v)
	}
	j, err = b.execute(t, "DeleteImage", map[string]string{"imageCollection": "C", "where": "CloudCover < 3", "purge": "true"})
	if err != nil || j.State != mosaic.JobSucceeded {
		t.Fatalf("purge: %v %v", j, err)
	}
	if v := resultValue(t, j); v["removed"] != 6.0 || v["objectIds"] != nil {
		t.Errorf("purge result = %v", v)
	}
	if !strings.Contains(messages(j), "purged") || !strings.Contains(messages(j), "now has 194 items") {
		t.Errorf("purge messages:\n%s", messages(j))
	}
	var audit []mosaic.AuditEntry
	if err := b.db.View(b.ctx, func(tx mosaic.ReadTx) (err error) {
		audit, err = tx.AuditLog(mosaic.AuditFilter{Limit: 10})
		return err
	}); err != nil {
		t.Fatal(err)
	}
	if len(audit) != 1 || audit[0].Action != "delete-purge" || audit[0].Count != 6 || audit[0].JobID != j.ID ||
		audit[0].User != "pub" || audit[0].Where != "CloudCover < 3" {
		t.Errorf("audit log = %+v, want one delete-purge entry (dry runs are not audited)", audit)
	}
}

// TestDeleteImageRefreshesBoundary checks that a delete leaves no stale
// boundary cells once background work is done, and that
// updateBoundary=false leaves them for the next read, which is still
// correct.
func TestDeleteImageRefreshesBoundary(t *testing.T) {
	t.Parallel()
	b := setupDelete(t)
	stale := func() int {
		var n int
		if err := b.db.View(b.ctx, func(tx mosaic.ReadTx) error {
			c, err := tx.Collection(mosaic.CollectionRef{Name: "C"})
			if err != nil {
				return err
			}
			p, err := tx.StaleBoundary(c)
			n = len(p.Cells)
			return err
		}); err != nil {
			t.Fatal(err)
		}
		return n
	}
	if err := b.engine.UpdateBoundary(b.ctx, "C"); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		update    string
		wantStale bool
	}{{"false", true}, {"true", false}} {
		// Removing both revisits of the left column changes the boundary.
		where := "CenterX < 100"
		if tc.update == "true" {
			where = "CenterX > 900"
		}
		j, err := b.execute(t, "DeleteImage", map[string]string{"imageCollection": "C", "where": where, "updateBoundary": tc.update})
		if err != nil || j.State != mosaic.JobSucceeded {
			t.Fatalf("delete: %v %v", j, err)
		}
		b.engine.WaitIdle()
		if got := stale(); (got > 0) != tc.wantStale {
			t.Errorf("updateBoundary=%s: %d stale cells", tc.update, got)
		}
		var mp orb.MultiPolygon
		if err := b.db.View(b.ctx, func(tx mosaic.ReadTx) error {
			c, err := tx.Collection(mosaic.CollectionRef{Name: "C"})
			if err != nil {
				return err
			}
			mp, err = tx.Boundary(c)
			return err
		}); err != nil {
			t.Fatal(err)
		}
		want := orb.Bound{Min: orb.Point{100, 0}, Max: orb.Point{1000, 1000}}
		if tc.update == "true" {
			want.Max[0] = 900
		}
		if got := mp.Bound(); got != want || len(mp) != 1 {
			t.Errorf("updateBoundary=%s: boundary %v (%d parts), want the rectangle %v", tc.update, got, len(mp), want)
		}
	}
}

func TestRestoreImageByJob(t *testing.T) {
	t.Parallel()
	b := setupDelete(t)
	del, err := b.execute(t, "DeleteImage", map[string]string{"imageCollection": "C", "where": "CloudCover >= 50"})
	if err != nil || del.State != mosaic.JobSucceeded {
		t.Fatalf("delete: %v %v", del, err)
	}
	if _, err := b.execute(t, "RestoreImage", map[string]string{"imageCollection": "C"}); mosaic.ErrorCode(err) != mosaic.EINVALID {
		t.Errorf("restore with neither where nor jobId: %v", err)
	}
	j, err := b.execute(t, "RestoreImage", map[string]string{"imageCollection": "C", "jobId": del.ID})
	if err != nil || j.State != mosaic.JobSucceeded {
		t.Fatalf("restore: %v %v", j, err)
	}
	if v := resultValue(t, j); v["restored"] != 100.0 {
		t.Errorf("restore result = %v", v)
	}
	if got := b.count(t); got != 200 {
		t.Errorf("%d items after restore, want 200", got)
	}
}

func TestDeleteImageCollectionResult(t *testing.T) {
	t.Parallel()
	b := setupDelete(t)
	admin := mosaic.SubmitOptions{User: &mosaic.User{Name: "adm", Role: mosaic.RoleAdmin}}
	if _, err := b.engine.Execute(b.ctx, "DeleteImageCollection", map[string]string{"imageCollection": "C"}, publisher); mosaic.ErrorCode(err) != mosaic.EFORBIDDEN {
		t.Errorf("publisher deleting a collection: %v, want EFORBIDDEN", err)
	}
	j, err := b.engine.Execute(b.ctx, "DeleteImageCollection", map[string]string{"imageCollection": "C"}, admin)
	if err != nil || j.State != mosaic.JobSucceeded || string(j.Results["result"].Value) != "true" {
		t.Fatalf("delete collection: %+v %v", j, err)
	}
	if _, err := b.engine.Execute(b.ctx, "DeleteImage", map[string]string{"imageCollection": "C", "where": "1=1"}, publisher); mosaic.ErrorCode(err) != mosaic.ENOTFOUND {
		t.Errorf("DeleteImage after the collection is gone: %v, want ENOTFOUND", err)
	}
}

// TestRecycleBinExpires restarts the engine with a short retention and
// checks that its maintenance purges expired entries, and only those.
func TestRecycleBinExpires(t *testing.T) {
	t.Parallel()
	b := setupDelete(t)
	old, err := b.execute(t, "DeleteImage", map[string]string{"imageCollection": "C", "where": "CloudCover < 10"})
	if err != nil || old.State != mosaic.JobSucceeded {
		t.Fatalf("delete: %v %v", old, err)
	}
	time.Sleep(3500 * time.Millisecond)
	young, err := b.execute(t, "DeleteImage", map[string]string{"imageCollection": "C", "where": "CloudCover >= 90"})
	if err != nil || young.State != mosaic.JobSucceeded {
		t.Fatalf("delete: %v %v", young, err)
	}
	if err := b.engine.Stop(b.ctx); err != nil {
		t.Fatal(err)
	}
	q, err := riverqueue.NewSQLite(b.ctx, b.db.WriteDB(), riverqueue.Config{Workers: 1})
	if err != nil {
		t.Fatal(err)
	}
	e := jobs.New(b.db, q, jobs.Config{RecycleRetention: 3 * time.Second}, tasks.RestoreImage{})
	if err := e.Start(b.ctx); err != nil { // maintenance runs at once
		t.Fatal(err)
	}
	defer e.Stop(b.ctx)
	recycled := func() (n int64) {
		b.db.View(b.ctx, func(tx mosaic.ReadTx) error {
			c, err := tx.Collection(mosaic.CollectionRef{Name: "C"})
			if err != nil {
				return err
			}
			p, err := tx.QueryItems(c, mosaic.ItemQuery{Recycled: true, CountOnly: true})
			if err == nil {
				n = p.Count
			}
			return err
		})
		return n
	}
	deadline := time.Now().Add(10 * time.Second)
	for recycled() != 20 && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
	}
	if got := recycled(); got != 20 {
		t.Fatalf("%d items in the recycle bin, want the 20 younger ones", got)
	}
	j, err := e.Execute(b.ctx, "RestoreImage", map[string]string{"imageCollection": "C", "jobId": old.ID}, publisher)
	if err != nil || j.State != mosaic.JobSucceeded || !strings.Contains(messages(j), "Nothing in the recycle bin matched") {
		t.Errorf("restoring a purged job: %v %v", j, err)
	}
	if got := b.count(t); got != 160 {
		t.Errorf("%d live items, want 160", got)
	}
}
