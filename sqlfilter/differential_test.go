package sqlfilter_test

import (
	"testing"

	"github.com/tessera-gis/tessera/sqlfilter"
)

// FuzzDifferential compiles any text for both dialects and runs what
// compiles on SQLite and on PostgreSQL. Either engine may fail only with an
// error that RuntimeError types (so that no clause can become an internal
// error), and where both succeed they select the same rows. PostgreSQL may
// fail with "out of range" where SQLite succeeds: SQLite turns integer
// overflow into doubles and double overflow into infinities (a documented
// difference). Without PostgreSQL it is skipped, unless
// TESSERA_REQUIRE_POSTGRES=1.
func FuzzDifferential(f *testing.F) {
	for _, name := range []string{"valid.txt", "invalid.txt"} {
		for _, where := range loadCorpus(f, name) {
			f.Add(where)
		}
	}
	for _, tc := range semanticCases {
		f.Add(tc.where)
	}
	for _, tc := range runtimeCases {
		f.Add(tc.where)
	}
	pg := mustOpenPostgres(f)
	lite := mustOpenSQLite(f)
	fields := testFields(f)

	f.Fuzz(func(t *testing.T, where string) {
		flt, err := sqlfilter.Compile(where, fields, sqlfilter.WithNow(testNow))
		if err != nil {
			if userError(err) == nil {
				t.Fatalf("Compile(%q) = %v, not an *Error", where, err)
			}
			return
		}
		want, liteErr := lite.run(flt)
		if liteErr != nil && sqlfilter.RuntimeError(liteErr) == nil {
			t.Fatalf("SQLite: %q: %v", where, liteErr)
		}
		got, pgErr := pg.query(where, fields, sqlfilter.WithNow(testNow))
		switch {
		case pgErr != nil && userError(pgErr) != nil && sqlfilter.RuntimeError(pgErr) == nil:
			t.Fatalf("PostgreSQL compile fails where SQLite's succeeds: %q: %v", where, pgErr)
		case pgErr != nil && sqlfilter.RuntimeError(pgErr) == nil:
			t.Fatalf("PostgreSQL: %q: %v", where, pgErr)
		case liteErr != nil && pgErr == nil:
			t.Fatalf("SQLite fails (%v) where PostgreSQL selects %v: %q", liteErr, got, where)
		case pgErr != nil && liteErr == nil:
			if e := sqlfilter.RuntimeError(pgErr); e.Msg != outOfRange {
				t.Fatalf("PostgreSQL fails (%v) where SQLite selects %v: %q", pgErr, want, where)
			}
		case pgErr == nil && !sameIDs(got, want):
			t.Fatalf("%q: PostgreSQL selects %v, SQLite %v", where, got, want)
		}
	})
}
