package sqlfilter_test

import (
	"strings"
	"testing"

	"github.com/tessera-gis/tessera/sqlfilter"
)

// FuzzDifferential runs every clause that compiles on both SQLite and
// PostgreSQL and requires the same rows. PostgreSQL may instead fail with
// an out-of-range error, a documented difference (SQLite overflows into
// doubles or infinities). Without PostgreSQL it is skipped.
func FuzzDifferential(f *testing.F) {
	for _, name := range []string{"valid.txt", "invalid.txt"} {
		for _, where := range loadCorpus(f, name) {
			f.Add(where)
		}
	}
	for _, tc := range semanticCases {
		f.Add(tc.where)
	}
	pg := mustOpenPostgres(f)
	lite := mustOpenSQLite(f)
	fields := testFields(f)

	f.Fuzz(func(t *testing.T, where string) {
		want, err := lite.query(where, fields, sqlfilter.WithNow(testNow))
		if err != nil {
			if userError(err) == nil && !strings.Contains(err.Error(), "integer overflow") {
				t.Fatalf("SQLite: %q: %v", where, err)
			}
			return
		}
		got, err := pg.query(where, fields, sqlfilter.WithNow(testNow))
		if err != nil {
			if strings.Contains(err.Error(), "out of range") {
				return
			}
			t.Fatalf("PostgreSQL fails where SQLite selects %v: %q: %v", want, where, err)
		}
		if !sameIDs(got, want) {
			t.Fatalf("%q: PostgreSQL selects %v, SQLite %v", where, got, want)
		}
	})
}
