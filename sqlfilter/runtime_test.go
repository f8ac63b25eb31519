package sqlfilter_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/tessera-gis/tessera/sqlfilter"
)

// outOfRange is the message of RuntimeError for a value out of range.
const outOfRange = "a value is out of range where the clause was evaluated"

// runtimeCases compile, but a value that some rows of the corpus give them
// is out of range. PostgreSQL fails each of them; SQLite fails those with
// sqliteFails and otherwise selects sqlite, having turned integer overflow
// into a double, a double overflow into an infinity, an underflow into
// zero, a CAST to INT into a saturated integer.
var runtimeCases = []struct {
	where       string
	sqliteFails bool
	sqlite      []int64
}{
	{"ZOrder * 9223372036854775807 > 0", false, ids(3, 5, 7, 8, 9, 10, 12)},
	{"ZOrder * ZOrder * ZOrder * ZOrder * ZOrder * ZOrder * ZOrder * ZOrder * ZOrder * ZOrder > 0", false, except(1, 4, 11)},
	{"ABS(ZOrder - 9223372036854775807 - 1) > 0", true, nil},
	{"-(ZOrder * 0 - 9223372036854775807 - 1) > 0", false, except(4, 11)},
	{"(ZOrder * 0 - 9223372036854775807 - 1) / (ZOrder * 0 - 1) > 0", false, except(4, 11)},
	{"CloudCover * 1e308 > 0", false, ids(1, 3, 6, 7, 8, 9, 11)},
	{`"Sun Elevation" * 1e-323 = 0`, false, ids(5)},
	{"POWER(10, ZOrder * 4) > 0", false, except(4, 11)},
	{"POWER(0.5, ZOrder * 100) >= 0", false, except(4, 11)},
	{"CAST(CloudCover * 1e18 AS INT) > 0", false, ids(1, 3, 6, 7, 8, 9, 11)},
	{"ROUND(CloudCover * 1.7e306, -308) > 0", false, ids(3, 7)},
}

// TestRuntimeErrors runs clauses whose values go out of range on real
// SQLite and PostgreSQL: each either selects rows or fails with an error
// that RuntimeError turns into an *Error, never anything else.
func TestRuntimeErrors(t *testing.T) {
	t.Parallel()
	fields := testFields(t)
	lite := mustOpenSQLite(t)
	pg := tryPostgres(t)
	for _, tc := range runtimeCases {
		got, err := lite.query(tc.where, fields)
		switch {
		case tc.sqliteFails:
			e := sqlfilter.RuntimeError(err)
			if e == nil {
				t.Errorf("SQLite: %q = %v, %v; want a runtime error", tc.where, got, err)
			} else {
				checkRuntimeError(t, tc.where, e, err)
			}
		case err != nil:
			t.Errorf("SQLite: %q: %v", tc.where, err)
		case !sameIDs(got, tc.sqlite):
			t.Errorf("SQLite: %q selects %v, want %v", tc.where, got, tc.sqlite)
		}
		if pg == nil {
			continue
		}
		got, err = pg.query(tc.where, fields)
		if e := sqlfilter.RuntimeError(err); e == nil {
			t.Errorf("PostgreSQL: %q = %v, %v; want a runtime error", tc.where, got, err)
		} else {
			checkRuntimeError(t, tc.where, e, err)
		}
	}
}

func checkRuntimeError(t *testing.T, where string, e *sqlfilter.Error, err error) {
	t.Helper()
	if e.Msg != outOfRange {
		t.Errorf("%q: Msg = %q, want %q", where, e.Msg, outOfRange)
	}
	if e.Pos.Line != 0 || e.Snippet() != "" {
		t.Errorf("%q: a runtime error has a position: %+v", where, e.Pos)
	}
	for _, bad := range []string{"bigint", "SQLSTATE", "integer overflow", "ERROR", "value out of range:"} {
		if strings.Contains(e.Error(), bad) {
			t.Errorf("%q: %q shows the driver's message", where, e.Error())
		}
	}
	if !errors.Is(e, errors.Unwrap(err)) && !errors.Is(e, err) {
		t.Errorf("%q: the *Error does not wrap the driver's error %v", where, err)
	}
}

// TestRuntimeErrorOthers: failures that are not the clause's stay the
// caller's.
func TestRuntimeErrorOthers(t *testing.T) {
	t.Parallel()
	lite := mustOpenSQLite(t)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, ctxErr := lite.db.QueryContext(ctx, "SELECT 1")
	_, noTable := lite.db.Query("SELECT * FROM no_such_table")
	_, syntax := lite.db.Query("SELEC 1")
	errs := []error{nil, context.Canceled, ctxErr, noTable, syntax, errors.New("disk I/O error")}
	if pg := tryPostgres(t); pg != nil {
		_, pgSyntax := pg.db.Query("SELEC 1")
		_, pgNoTable := pg.db.Query("SELECT * FROM no_such_table")
		errs = append(errs, pgSyntax, pgNoTable)
	}
	for _, err := range errs {
		if e := sqlfilter.RuntimeError(err); e != nil {
			t.Errorf("RuntimeError(%v) = %v, want nil", err, e)
		}
	}
}
