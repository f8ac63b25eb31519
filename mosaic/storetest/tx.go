package storetest

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/tessera-gis/tessera/mosaic"
)

var txTests = []test{
	{"RollbackOnError", testRollback},
	{"RollbackOfFields", testRollbackFields},
	{"RollbackOfDelete", testRollbackDelete},
	{"Cancelled", testCancelled},
	{"Snapshot", testSnapshot},
}

var errRollback = errors.New("storetest: roll back")

// testRollback makes every kind of change in one transaction that fails:
// nothing stays, the new collection's catalog table included.
func testRollback(t *testing.T, open Opener) {
	b := setup(t, open)
	b.grid(t, 2, 2, 1, 0, 1)
	b.createJob(t, newJob("j0", mosaic.JobExecuting))
	err := b.db.Update(b.ctx, func(tx mosaic.Tx) error {
		c := &mosaic.Collection{Name: "New"}
		if err := tx.CreateCollection(c); err != nil {
			return err
		}
		if err := tx.AddFields(c, []mosaic.Field{{Name: "Extra", Type: mosaic.FieldString}}); err != nil {
			return err
		}
		if _, err := tx.AddItems(c, []*mosaic.Item{item("/src/new.tif", rect(0, 0, 5, 5), 1, 1)}, mosaic.AddOptions{}); err != nil {
			return err
		}
		if _, err := tx.AddItems(b.c, []*mosaic.Item{item("/src/more.tif", rect(500, 500, 5, 5), 1, 1)}, mosaic.AddOptions{}); err != nil {
			return err
		}
		if _, err := tx.DeleteItems(b.c, mosaic.ItemDelete{Where: "OBJECTID = 1", JobID: "j0"}); err != nil {
			return err
		}
		if _, err := tx.DeleteItems(b.c, mosaic.ItemDelete{Where: "OBJECTID = 2", Purge: true}); err != nil {
			return err
		}
		if err := tx.CreateJob(newJob("j1", mosaic.JobSubmitted)); err != nil {
			return err
		}
		if _, err := tx.FinishJob("j0", mosaic.JobSucceeded, nil, mosaic.Info("done")); err != nil {
			return err
		}
		if err := tx.Audit(mosaic.AuditEntry{User: "ann", Action: "add", Collection: "New"}); err != nil {
			return err
		}
		return errRollback
	})
	if !errors.Is(err, errRollback) {
		t.Fatalf("Update returned %v, want fn's error", err)
	}
	if errNew := b.db.View(b.ctx, func(tx mosaic.ReadTx) error {
		_, err := tx.Collection(mosaic.CollectionRef{Name: "New"})
		return err
	}); mosaic.ErrorCode(errNew) != mosaic.ENOTFOUND {
		t.Errorf("the rolled-back collection: %v, want ENOTFOUND", errNew)
	}
	if got := oids(b.items(t, false)); !sameIDs(got, ids(1, 4)) {
		t.Errorf("live items %v, want 1–4", got)
	}
	if n := len(b.items(t, true)); n != 0 {
		t.Errorf("%d recycled items", n)
	}
	wantCode(t, "rolled-back job", b.jobErr("j1"), mosaic.ENOTFOUND)
	if j := b.job(t, "j0"); j.State != mosaic.JobExecuting || len(j.Messages) != 0 {
		t.Errorf("j0 = %+v, want it executing without messages", j)
	}
	b.view(t, func(tx mosaic.ReadTx) error {
		log, err := tx.AuditLog(mosaic.AuditFilter{})
		if len(log) != 0 {
			t.Errorf("audit log = %v", log)
		}
		return err
	})
	b.checkBoundary(t)
	// The name is free, and a new collection of that name gets a fresh
	// catalog: the rolled-back one's table and field are gone.
	c := &mosaic.Collection{Name: "New"}
	b.update(t, func(tx mosaic.Tx) error {
		if err := tx.CreateCollection(c); err != nil {
			return err
		}
		return tx.AddFields(c, []mosaic.Field{{Name: "Extra", Type: mosaic.FieldInteger}})
	})
	b.c = c
	b.add(t, &mosaic.Item{Path: "/src/x.tif", Footprint: rect(0, 0, 1, 1), Attributes: map[string]any{"Extra": int64(5)}})
	if got := b.query(t, mosaic.ItemQuery{Where: "Extra = 5", IDsOnly: true}).IDs; !sameIDs(got, []int64{1}) {
		t.Errorf("the new collection's items: %v", got)
	}
}

// testRollbackFields adds a field to an existing collection in a
// transaction that fails: the field is not there afterwards, and can be
// added again with another type.
func testRollbackFields(t *testing.T, open Opener) {
	b := setup(t, open)
	b.add(t, item("/src/a.tif", rect(0, 0, 1, 1), 1, 1))
	n := len(b.c.Fields)
	err := b.db.Update(b.ctx, func(tx mosaic.Tx) error {
		c, err := tx.Collection(mosaic.CollectionRef{Name: "Test"})
		if err != nil {
			return err
		}
		if err := tx.AddFields(c, []mosaic.Field{{Name: "Orbit", Type: mosaic.FieldString}}); err != nil {
			return err
		}
		if _, err := tx.AddItems(c, []*mosaic.Item{{Path: "/src/b.tif", Footprint: rect(0, 0, 1, 1), Attributes: map[string]any{"Orbit": "x"}}}, mosaic.AddOptions{}); err != nil {
			return err
		}
		return errRollback
	})
	if !errors.Is(err, errRollback) {
		t.Fatal(err)
	}
	c := b.collection(t)
	if len(c.Fields) != n {
		t.Fatalf("%d fields after a rolled-back AddFields, want %d", len(c.Fields), n)
	}
	if _, err := b.queryErr(mosaic.ItemQuery{Where: "Orbit IS NULL"}); mosaic.ErrorCode(err) != mosaic.EINVALID {
		t.Errorf("where on a rolled-back field: %v, want EINVALID", err)
	}
	b.c = c
	b.update(t, func(tx mosaic.Tx) error {
		return tx.AddFields(b.c, []mosaic.Field{{Name: "Orbit", Type: mosaic.FieldInteger}})
	})
	b.add(t, &mosaic.Item{Path: "/src/c.tif", Footprint: rect(0, 0, 1, 1), Attributes: map[string]any{"Orbit": int64(3)}})
	if got := b.query(t, mosaic.ItemQuery{Where: "Orbit = 3", IDsOnly: true}).IDs; len(got) != 1 {
		t.Errorf("items with Orbit = 3: %v", got)
	}
}

// testRollbackDelete fails a transaction after a large delete and a
// restore: every item, the recycle bin and the boundary are as before.
func testRollbackDelete(t *testing.T, open Opener) {
	b := setup(t, open)
	b.grid(t, 10, 10, 2, 3, 5)
	b.mustDelete(t, mosaic.ItemDelete{Where: "OBJECTID <= 20", JobID: "j0"})
	b.refresh(t)
	live, bin := b.items(t, false), b.items(t, true)
	before := b.collection(t).Summary
	err := b.db.Update(b.ctx, func(tx mosaic.Tx) error {
		if _, err := tx.DeleteItems(b.c, mosaic.ItemDelete{Where: "CloudCover < 70", JobID: "j1"}); err != nil {
			return err
		}
		if _, err := tx.RestoreItems(b.c, mosaic.ItemRestore{JobID: "j0"}); err != nil {
			return err
		}
		if _, err := tx.PurgeRecycled(time.Now().Add(time.Hour), 0); err != nil {
			return err
		}
		return errRollback
	})
	if !errors.Is(err, errRollback) {
		t.Fatal(err)
	}
	if got := oids(b.items(t, false)); !sameIDs(got, oids(live)) {
		t.Errorf("live items changed: %d, want %d", len(got), len(live))
	}
	if got := oids(b.items(t, true)); !sameIDs(got, oids(bin)) {
		t.Errorf("recycle bin changed: %v, want %v", got, oids(bin))
	}
	if after := b.collection(t).Summary; after != before {
		t.Errorf("summary %+v, want %+v", after, before)
	}
	b.checkBoundary(t)
}

// testCancelled checks that a cancelled context stops a transaction with
// ECANCELED and keeps nothing.
func testCancelled(t *testing.T, open Opener) {
	b := setup(t, open)
	ctx, cancel := context.WithCancel(b.ctx)
	cancel()
	err := b.db.Update(ctx, func(tx mosaic.Tx) error { return tx.CreateCollection(&mosaic.Collection{Name: "Never"}) })
	wantCode(t, "Update with a cancelled context", err, mosaic.ECANCELED)
	err = b.db.View(ctx, func(tx mosaic.ReadTx) error {
		_, err := tx.Collections()
		return err
	})
	wantCode(t, "View with a cancelled context", err, mosaic.ECANCELED)

	ctx, cancel = context.WithCancel(b.ctx)
	defer cancel()
	err = b.db.Update(ctx, func(tx mosaic.Tx) error {
		if err := tx.CreateCollection(&mosaic.Collection{Name: "Never"}); err != nil {
			return err
		}
		cancel()
		_, err := tx.AddItems(b.c, []*mosaic.Item{item("/src/a.tif", rect(0, 0, 1, 1), 1, 1)}, mosaic.AddOptions{})
		return err
	})
	wantCode(t, "Update cancelled midway", err, mosaic.ECANCELED)
	b.view(t, func(tx mosaic.ReadTx) error {
		_, err := tx.Collection(mosaic.CollectionRef{Name: "Never"})
		wantCode(t, "collection of a cancelled transaction", err, mosaic.ENOTFOUND)
		return nil
	})
	if n := len(b.items(t, false)); n != 0 {
		t.Errorf("%d items from a cancelled transaction", n)
	}
}

// testSnapshot checks that a View sees one consistent state while a
// change commits.
func testSnapshot(t *testing.T, open Opener) {
	b := setup(t, open)
	b.grid(t, 3, 3, 1, 0, 1)
	b.view(t, func(tx mosaic.ReadTx) error {
		first, err := tx.QueryItems(b.c, mosaic.ItemQuery{CountOnly: true})
		if err != nil {
			return err
		}
		done := make(chan error, 1)
		go func() {
			done <- b.db.Update(b.ctx, func(tx mosaic.Tx) error {
				_, err := tx.DeleteItems(b.c, mosaic.ItemDelete{Where: "1=1"})
				return err
			})
		}()
		if err := <-done; err != nil {
			return err
		}
		again, err := tx.QueryItems(b.c, mosaic.ItemQuery{CountOnly: true})
		if err != nil {
			return err
		}
		c, err := tx.Collection(mosaic.CollectionRef{Name: "Test"})
		if err != nil {
			return err
		}
		if first.Count != 9 || again.Count != 9 || c.Summary.Count != 9 {
			t.Errorf("counts in one view: %d, then %d (summary %d) after another transaction deleted everything; want 9 throughout",
				first.Count, again.Count, c.Summary.Count)
		}
		return nil
	})
	if n := b.query(t, mosaic.ItemQuery{CountOnly: true}).Count; n != 0 {
		t.Errorf("after the view: %d items, want 0", n)
	}
}
