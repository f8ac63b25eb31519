package sqlfilter_test

import (
	"slices"
	"strings"
	"testing"

	"github.com/Masterminds/squirrel"

	"github.com/tessera-gis/tessera/sqlfilter"
)

// fuzzFields are testFields with columns qualified by an alias that error
// messages must never show.
func fuzzFields(tb testing.TB) *sqlfilter.Fields {
	tb.Helper()
	var fs []sqlfilter.Field
	for _, f := range testFields(tb).All() {
		f.Column = "q0." + f.Column
		fs = append(fs, f)
	}
	out, err := sqlfilter.NewFields(fs...)
	if err != nil {
		tb.Fatal(err)
	}
	return out
}

// FuzzCompile checks, for any text: Compile does not panic; it fails only
// with an *Error, the same in both dialects; accepted clauses compile to SQL
// whose identifiers are allow-listed columns, SQL keywords and the functions
// the package emits, with one argument per placeholder; and the SQLite SQL
// runs on the corpus, or fails only with an error that RuntimeError types.
// FuzzDifferential runs the PostgreSQL SQL.
func FuzzCompile(f *testing.F) {
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
	fields := fuzzFields(f)
	var columns []string
	for _, fd := range fields.All() {
		columns = append(columns, fd.Column)
	}
	slices.SortFunc(columns, func(a, b string) int { return len(b) - len(a) })
	cat := mustOpenSQLite(f)

	f.Fuzz(func(t *testing.T, where string) {
		var errText string
		for _, d := range []sqlfilter.Dialect{sqlfilter.SQLite, sqlfilter.Postgres} {
			flt, err := sqlfilter.Compile(where, fields, sqlfilter.WithDialect(d), sqlfilter.WithNow(testNow))
			if err != nil {
				e := userError(err)
				if e == nil {
					t.Fatalf("%s: Compile(%q) = %v, not an *Error", d, where, err)
				}
				if d == sqlfilter.Postgres && err.Error() != errText {
					t.Fatalf("Compile(%q): SQLite says %q, PostgreSQL %q", where, errText, err)
				}
				errText = err.Error()
				checkErrorText(t, where, e)
				continue
			}
			if d == sqlfilter.Postgres && errText != "" {
				t.Fatalf("Compile(%q): SQLite says %q, PostgreSQL accepts it", where, errText)
			}
			sql, args, err := flt.ToSql()
			if err != nil {
				t.Fatal(err)
			}
			checkSQL(t, where, sql, len(args), d, columns)
			if d != sqlfilter.SQLite {
				continue
			}
			q := squirrel.Select(`q0."OBJECTID"`).From("items AS q0").Where(flt)
			rows, err := q.RunWith(cat.db).Query()
			if err == nil {
				for rows.Next() {
				}
				err = rows.Err()
				rows.Close()
			}
			if err != nil {
				if e := sqlfilter.RuntimeError(err); e == nil {
					t.Fatalf("Compile(%q) gives SQL that fails on SQLite: %v\nSQL: %s\nargs: %#v", where, err, sql, args)
				} else {
					checkErrorText(t, where, e)
				}
			}
		}
	})
}

// checkErrorText fails if an error shows generated SQL.
func checkErrorText(t *testing.T, where string, e *sqlfilter.Error) {
	t.Helper()
	msg := e.Error() + e.Snippet()
	// Snippets show control characters as spaces.
	shown := strings.Map(func(r rune) rune {
		if r < 0x20 || r == 0x7f {
			return ' '
		}
		return r
	}, where)
	for _, bad := range []string{"q0", "GLOB", "sqlfilter_", "COLLATE", "BIGINT", "DOUBLE PRECISION",
		"strftime", "TO_TIMESTAMP", "AS TEXT", "int8larger", "items"} {
		if strings.Contains(msg, bad) && !strings.Contains(where, bad) && !strings.Contains(shown, bad) {
			t.Fatalf("error for %q shows %q: %s", where, bad, msg)
		}
	}
}

// sqlWords are the words that compiled SQL may contain besides columns.
var sqlWords = map[string]bool{}

func init() {
	for _, w := range strings.Fields(`AND OR NOT NULL IS IN BETWEEN LIKE GLOB ESCAPE CAST AS BIGINT
		DOUBLE PRECISION TEXT BOOLEAN INTEGER REAL NUMERIC COLLATE NULLIF COALESCE LOWER UPPER LENGTH
		CHAR_LENGTH TRIM LTRIM RTRIM BTRIM SUBSTR SUBSTRING FROM FOR INSTR POSITION ABS CEIL FLOOR ROUND
		TRUNC POWER LN LOG GREATEST LEAST int8larger int8smaller CASE WHEN THEN END EXTRACT YEAR MONTH
		DAY TO_TIMESTAMP AT TIME ZONE strftime`) {
		sqlWords[w] = true
	}
	for _, fn := range sqlfilter.SQLiteFunctions() {
		sqlWords[fn.Name] = true
	}
}

// sqlStrings are the only string literals compiled SQL may contain; values
// from the user are always placeholders.
var sqlStrings = map[string]bool{"''": true, "'%Y'": true, "'%m'": true, "'%d'": true, "'unixepoch'": true, "'UTC'": true}

// checkSQL tokenizes compiled SQL and fails on anything but allow-listed
// columns, known words, numbers, operators, known string literals and
// placeholders, or if placeholders and arguments differ in number.
func checkSQL(t *testing.T, where, sql string, nargs int, d sqlfilter.Dialect, columns []string) {
	t.Helper()
	fail := func(format string, args ...any) {
		t.Helper()
		t.Fatalf("%s: Compile(%q):\nSQL: %s\n"+format, append([]any{d, where, sql}, args...)...)
	}
	rest := sql
	for _, c := range columns {
		rest = strings.ReplaceAll(rest, c, " ")
	}
	if strings.Contains(rest, "--") || strings.Contains(rest, "/*") || strings.Contains(rest, ";") {
		fail("comment or statement separator in SQL")
	}
	placeholders := 0
	prev := ""
	for i := 0; i < len(rest); {
		c := rest[i]
		switch {
		case c == ' ':
			i++
			continue
		case c == '?':
			placeholders++
			i++
		case c == '_' || 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z':
			j := i
			for j < len(rest) && (rest[j] == '_' || 'a' <= rest[j] && rest[j] <= 'z' || 'A' <= rest[j] && rest[j] <= 'Z' || '0' <= rest[j] && rest[j] <= '9') {
				j++
			}
			if w := rest[i:j]; !sqlWords[w] {
				fail("unexpected identifier %q", w)
			}
			prev = rest[i:j]
			i = j
			continue
		case '0' <= c && c <= '9':
			for i < len(rest) && ('0' <= rest[i] && rest[i] <= '9' || rest[i] == '.') {
				i++
			}
		case c == '\'':
			j := strings.IndexByte(rest[i+1:], '\'')
			if j < 0 {
				fail("unterminated string literal")
			}
			if lit := rest[i : i+j+2]; !sqlStrings[lit] {
				fail("unexpected string literal %s", lit)
			}
			i += j + 2
		case c == '"':
			if d != sqlfilter.Postgres || prev != "COLLATE" || !strings.HasPrefix(rest[i:], `"C"`) {
				fail("unexpected quoted identifier at %q", rest[i:min(len(rest), i+20)])
			}
			i += 3
		case strings.IndexByte("()+-*/%=<>,|", c) >= 0:
			i++
		default:
			fail("unexpected character %q", c)
		}
		prev = ""
	}
	if placeholders != nargs {
		fail("%d placeholders, %d arguments", placeholders, nargs)
	}
}
