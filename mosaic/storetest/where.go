package storetest

import (
	"strings"
	"testing"

	"github.com/tessera-gis/tessera/mosaic"
)

var whereTests = []test{
	{"OutOfRange", testWhereOutOfRange},
	{"Blank", testWhereBlank},
}

// testWhereOutOfRange runs a where clause that compiles, so that it passes
// DeleteImage's check at submit, but whose value is out of range on the
// catalog's data: for OBJECTID 1, 1 - 9223372036854775807 - 2 is the
// smallest integer, whose absolute value has none (both SQLite and
// PostgreSQL fail on it). Query, count, ids, delete, dry run, purge and
// restore report it as an invalid where clause (EINVALID, never internal),
// and nothing changes.
func testWhereOutOfRange(t *testing.T, open Opener) {
	b := setup(t, open)
	b.add(t, item("/a.tif", rect(0, 0, 10, 10), 5, 1), item("/b.tif", rect(20, 0, 10, 10), 50, 2))
	const where = "ABS(OBJECTID - 9223372036854775807 - 2) > 0"
	check := func(what string, err error) {
		t.Helper()
		wantCode(t, what, err, mosaic.EINVALID)
		if msg := mosaic.ErrorMessage(err); msg != "Invalid where clause." {
			t.Errorf("%s: message %q", what, msg)
		}
		if d := mosaic.ErrorDetails(err); len(d) != 1 || !strings.HasPrefix(d[0], "a value is out of range") {
			t.Errorf("%s: details %q", what, d)
		}
	}
	for _, q := range []mosaic.ItemQuery{{Where: where, OutFields: "*"}, {Where: where, CountOnly: true}, {Where: where, IDsOnly: true}} {
		_, err := b.queryErr(q)
		check("query", err)
	}
	for _, d := range []mosaic.ItemDelete{{Where: where}, {Where: where, DryRun: true}, {Where: where, Purge: true}} {
		_, err := b.delete(d)
		check("delete", err)
	}
	if got := oids(b.items(t, false)); len(got) != 2 {
		t.Fatalf("live items after failed deletes: %v", got)
	}
	b.mustDelete(t, mosaic.ItemDelete{Where: "1=1", JobID: "j1"})
	_, err := b.restore(mosaic.ItemRestore{Where: where})
	check("restore", err)
	if got := oids(b.items(t, true)); len(got) != 2 {
		t.Fatalf("recycled items after a failed restore: %v", got)
	}
}

// testWhereBlank: a blank where (spaces, tabs and line breaks) selects
// everything in a query and is refused by a delete, with a hint to 1=1; a
// vertical tab is no blank but a control character, refused.
func testWhereBlank(t *testing.T, open Opener) {
	b := setup(t, open)
	b.add(t, item("/a.tif", rect(0, 0, 10, 10), 5, 1))
	for _, where := range []string{"", " ", "\t\r\n "} {
		if page, err := b.queryErr(mosaic.ItemQuery{Where: where, CountOnly: true}); err != nil || page.Count != 1 {
			t.Errorf("query %q: %v, %v", where, page, err)
		}
		_, err := b.delete(mosaic.ItemDelete{Where: where})
		wantCode(t, "delete "+where, err, mosaic.EINVALID)
		if d := strings.Join(mosaic.ErrorDetails(err), " "); !strings.Contains(d, "use 1=1") {
			t.Errorf("delete %q: details %q", where, d)
		}
	}
	_, err := b.queryErr(mosaic.ItemQuery{Where: "\v", CountOnly: true})
	wantCode(t, "query with a vertical tab", err, mosaic.EINVALID)
	if got := len(b.items(t, false)); got != 1 {
		t.Errorf("%d items left, want 1", got)
	}
}
