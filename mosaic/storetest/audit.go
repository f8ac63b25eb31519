package storetest

import (
	"bytes"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/tessera-gis/tessera/mosaic"
)

var auditTests = []test{
	{"Log", testAuditLog},
}

var secretTests = []test{
	{"Secret", testSecret},
	{"Concurrent", testSecretConcurrent},
}

func testAuditLog(t *testing.T, open Opener) {
	b := &bundle{ctx: t.Context(), db: open(t)}
	base := time.Date(2024, 3, 1, 12, 0, 0, 0, time.UTC)
	entries := []mosaic.AuditEntry{
		{Time: base, User: "ann", Action: "create-collection", Collection: "A", JobID: "j1"},
		{Time: base.Add(time.Minute), User: "bob", Action: "add", Collection: "A", JobID: "j2", Count: 12, Detail: "12 rasters"},
		{Time: base.Add(2 * time.Minute), User: "ann", Action: "delete", Collection: "A", JobID: "j3", Where: "CloudCover > 50", Count: 4},
		{Time: base.Add(3 * time.Minute), User: "ann", Action: "delete", Collection: "B", JobID: "j4", Where: "1=1", Count: 0},
	}
	for _, e := range entries {
		b.update(t, func(tx mosaic.Tx) error { return tx.Audit(e) })
	}
	log := func(f mosaic.AuditFilter) []mosaic.AuditEntry {
		var out []mosaic.AuditEntry
		b.view(t, func(tx mosaic.ReadTx) (err error) {
			out, err = tx.AuditLog(f)
			return err
		})
		return out
	}
	jobs := func(es []mosaic.AuditEntry) string {
		var s string
		for _, e := range es {
			s += e.JobID + " "
		}
		return s
	}
	all := log(mosaic.AuditFilter{})
	if got := jobs(all); got != "j4 j3 j2 j1 " {
		t.Errorf("log = %s, want newest first", got)
	}
	for i, e := range all {
		want := entries[len(entries)-1-i]
		if !e.Time.Equal(want.Time) || e.User != want.User || e.Action != want.Action || e.Collection != want.Collection ||
			e.Where != want.Where || e.Count != want.Count || e.Detail != want.Detail {
			t.Errorf("entry %d = %+v, want %+v", i, e, want)
		}
	}
	for _, tt := range []struct {
		f    mosaic.AuditFilter
		want string
	}{
		{mosaic.AuditFilter{User: "ann"}, "j4 j3 j1 "},
		{mosaic.AuditFilter{Action: "delete"}, "j4 j3 "},
		{mosaic.AuditFilter{Collection: "A", User: "ann"}, "j3 j1 "},
		{mosaic.AuditFilter{JobID: "j2"}, "j2 "},
		{mosaic.AuditFilter{Since: base.Add(time.Minute)}, "j4 j3 j2 "},
		{mosaic.AuditFilter{Limit: 2}, "j4 j3 "},
		{mosaic.AuditFilter{User: "nobody"}, ""},
	} {
		if got := jobs(log(tt.f)); got != tt.want {
			t.Errorf("AuditLog(%+v) = %q, want %q", tt.f, got, tt.want)
		}
	}
	// A zero time means now; the default limit is 100.
	b.update(t, func(tx mosaic.Tx) error {
		for i := range 120 {
			if err := tx.Audit(mosaic.AuditEntry{User: "bulk", Action: "add", Collection: "C", JobID: fmt.Sprint(i)}); err != nil {
				return err
			}
		}
		return nil
	})
	bulk := log(mosaic.AuditFilter{User: "bulk"})
	if len(bulk) != 100 || bulk[0].JobID != "119" || time.Since(bulk[0].Time) > time.Hour {
		t.Errorf("default limit: %d entries, first %+v", len(bulk), bulk[0])
	}
}

func testSecret(t *testing.T, open Opener) {
	b := &bundle{ctx: t.Context(), db: open(t)}
	var s1, s2, other []byte
	b.update(t, func(tx mosaic.Tx) (err error) {
		s1, err = tx.Secret("token", 32)
		return err
	})
	if len(s1) != 32 || bytes.Equal(s1, make([]byte, 32)) {
		t.Fatalf("secret = %x", s1)
	}
	b.update(t, func(tx mosaic.Tx) (err error) {
		if s2, err = tx.Secret("token", 64); err != nil {
			return err
		}
		other, err = tx.Secret("other", 16)
		return err
	})
	if !bytes.Equal(s1, s2) {
		t.Errorf("the secret changed from %x to %x", s1, s2)
	}
	if len(other) != 16 || bytes.Equal(other, s1[:16]) {
		t.Errorf("another secret = %x", other)
	}
	// A secret created in a transaction that rolls back is not kept.
	var lost, kept []byte
	err := b.db.Update(b.ctx, func(tx mosaic.Tx) (err error) {
		lost, err = tx.Secret("lost", 32)
		if err == nil {
			err = errRollback
		}
		return err
	})
	if err != errRollback {
		t.Fatal(err)
	}
	b.update(t, func(tx mosaic.Tx) (err error) {
		kept, err = tx.Secret("lost", 32)
		return err
	})
	if bytes.Equal(lost, kept) {
		t.Error("a secret from a rolled-back transaction was kept")
	}
}

// testSecretConcurrent creates one secret from many transactions at once:
// they must all get the same value.
func testSecretConcurrent(t *testing.T, open Opener) {
	b := &bundle{ctx: t.Context(), db: open(t)}
	const n = 8
	got := make([][]byte, n)
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			errs[i] = b.db.Update(b.ctx, func(tx mosaic.Tx) (err error) {
				got[i], err = tx.Secret("shared", 32)
				return err
			})
		})
	}
	wg.Wait()
	for i := range n {
		if errs[i] != nil {
			t.Fatal(errs[i])
		}
		if !bytes.Equal(got[i], got[0]) {
			t.Errorf("caller %d got %x, caller 0 %x", i, got[i], got[0])
		}
	}
}
