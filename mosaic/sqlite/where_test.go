package sqlite_test

import (
	"strings"
	"testing"

	"github.com/tessera-gis/tessera/mosaic"
)

// TestWhereOutOfRange runs where clauses whose values go out of range on
// the catalog's data. They compile, so they pass DeleteImage's check at
// submit; SQLite's ABS then fails on OBJECTID 1 (1 - 9223372036854775807 - 2
// is the smallest integer, whose absolute value has none). Query, count,
// ids, delete, dry run and restore must report it as an invalid where
// clause (EINVALID, never internal), and a failed delete removes nothing.
func TestWhereOutOfRange(t *testing.T) {
	b := setup(t)
	b.add(t, item("/a.tif", rect(0, 0, 10, 10), 5, 1), item("/b.tif", rect(20, 0, 10, 10), 50, 2))
	const where = "ABS(OBJECTID - 9223372036854775807 - 2) > 0"
	check := func(what string, err error) {
		t.Helper()
		if code := mosaic.ErrorCode(err); code != mosaic.EINVALID {
			t.Errorf("%s: error %v (code %q), want %s", what, err, code, mosaic.EINVALID)
			return
		}
		if msg := mosaic.ErrorMessage(err); msg != "Invalid where clause." {
			t.Errorf("%s: message %q", what, msg)
		}
		if d := mosaic.ErrorDetails(err); len(d) != 1 || !strings.HasPrefix(d[0], "a value is out of range") {
			t.Errorf("%s: details %q", what, d)
		}
	}
	for _, q := range []mosaic.ItemQuery{
		{Where: where, OutFields: "*"},
		{Where: where, CountOnly: true},
		{Where: where, IDsOnly: true},
	} {
		err := b.db.View(b.ctx, func(tx mosaic.ReadTx) error {
			_, err := tx.QueryItems(b.c, q)
			return err
		})
		check("query", err)
	}
	for _, d := range []mosaic.ItemDelete{{Where: where}, {Where: where, DryRun: true}, {Where: where, Purge: true}} {
		_, err := b.delete(d)
		check("delete", err)
	}
	if got := oids(b.items(t, false)); len(got) != 2 {
		t.Fatalf("live items after failed deletes: %v", got)
	}
	if _, err := b.delete(mosaic.ItemDelete{Where: "1=1", JobID: "j1"}); err != nil {
		t.Fatal(err)
	}
	_, err := b.restore(mosaic.ItemRestore{Where: where})
	check("restore", err)
	if got := oids(b.items(t, true)); len(got) != 2 {
		t.Fatalf("recycled items after a failed restore: %v", got)
	}
}

// TestWhereBlank: a blank where selects everything in a query and is
// refused by a delete; blank means spaces, tabs and line breaks only.
func TestWhereBlank(t *testing.T) {
	b := setup(t)
	b.add(t, item("/a.tif", rect(0, 0, 10, 10), 5, 1))
	for _, where := range []string{"", " ", "\t\r\n "} {
		err := b.db.View(b.ctx, func(tx mosaic.ReadTx) error {
			page, err := tx.QueryItems(b.c, mosaic.ItemQuery{Where: where, CountOnly: true})
			if err == nil && page.Count != 1 {
				t.Errorf("query %q counts %d", where, page.Count)
			}
			return err
		})
		if err != nil {
			t.Errorf("query %q: %v", where, err)
		}
		if _, err := b.delete(mosaic.ItemDelete{Where: where}); mosaic.ErrorCode(err) != mosaic.EINVALID ||
			!strings.Contains(strings.Join(mosaic.ErrorDetails(err), " "), "use 1=1") {
			t.Errorf("delete %q: %v %q", where, err, mosaic.ErrorDetails(err))
		}
	}
	err := b.db.View(b.ctx, func(tx mosaic.ReadTx) error {
		_, err := tx.QueryItems(b.c, mosaic.ItemQuery{Where: "\v", CountOnly: true})
		return err
	})
	if mosaic.ErrorCode(err) != mosaic.EINVALID {
		t.Errorf("query with a vertical tab: %v, want EINVALID", err)
	}
}
