package sqlfilter_test

import (
	"errors"
	"fmt"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/Masterminds/squirrel"

	"github.com/tessera-gis/tessera/sqlfilter"
)

func TestCompileSQL(t *testing.T) {
	t.Parallel()
	fields := testFields(t)
	now := sqlfilter.WithNow(func() time.Time { return time.Date(2024, 5, 6, 7, 8, 9, 0, time.UTC) })
	for _, tc := range []struct {
		name, where string
		sqlite      string
		pg          string
		args        []any
	}{{
		name:   "comparison",
		where:  "CloudCover < 10",
		sqlite: `("CloudCover" < ?)`,
		pg:     `("CloudCover" < CAST(? AS BIGINT))`,
		args:   []any{int64(10)},
	}, {
		name:   "AND chain is balanced",
		where:  "OBJECTID > 0 AND Name = 'x' AND ZOrder <> 2",
		sqlite: `(("OBJECTID" > ?) AND (("Name" = ?) AND ("ZOrder" <> ?)))`,
		pg:     `(("OBJECTID" > CAST(? AS BIGINT)) AND (("Name" = CAST(? AS TEXT)) AND ("ZOrder" <> CAST(? AS BIGINT))))`,
		args:   []any{int64(0), "x", int64(2)},
	}, {
		name:   "precedence is explicit",
		where:  "Category = 1 OR Category = 2 AND NOT ZOrder > 0",
		sqlite: `(("Category" = ?) OR (("Category" = ?) AND (NOT ("ZOrder" > ?))))`,
		pg:     `(("Category" = CAST(? AS BIGINT)) OR (("Category" = CAST(? AS BIGINT)) AND (NOT ("ZOrder" > CAST(? AS BIGINT)))))`,
		args:   []any{int64(1), int64(2), int64(0)},
	}, {
		name:   "strings order by code point",
		where:  "Name >= 'M' AND Tag BETWEEN 'a' AND 'b'",
		sqlite: `(("Name" >= ?) AND ("Tag" BETWEEN ? AND ?))`,
		pg:     `(("Name" COLLATE "C" >= CAST(? AS TEXT)) AND ("Tag" COLLATE "C" BETWEEN CAST(? AS TEXT) AND CAST(? AS TEXT)))`,
		args:   []any{"M", "a", "b"},
	}, {
		name:   "quote in a string is a value",
		where:  "Name = 'O''Brien''s'",
		sqlite: `("Name" = ?)`,
		pg:     `("Name" = CAST(? AS TEXT))`,
		args:   []any{"O'Brien's"},
	}, {
		name:   "LIKE becomes GLOB in SQLite",
		where:  `Name LIKE 'L_%*' AND Tag NOT LIKE '%\_[%' ESCAPE '\'`,
		sqlite: `(("Name" GLOB ?) AND ("Tag" NOT GLOB ?))`,
		pg:     `(("Name" COLLATE "C" LIKE CAST(? AS TEXT) ESCAPE '') AND ("Tag" COLLATE "C" NOT LIKE CAST(? AS TEXT) ESCAPE CAST(? AS TEXT)))`,
		args:   nil, // differ by dialect; checked below
	}, {
		name:   "IN, IS NULL and NULL literals",
		where:  "ZOrder IN (1, -2, NULL) OR Name IS NOT NULL OR CloudCover = NULL",
		sqlite: `(("ZOrder" IN (?, ?, NULL)) OR (("Name" IS NOT NULL) OR ("CloudCover" = NULL)))`,
		pg:     `(("ZOrder" IN (CAST(? AS BIGINT), CAST(? AS BIGINT), CAST(NULL AS BIGINT))) OR (("Name" IS NOT NULL) OR ("CloudCover" = CAST(NULL AS DOUBLE PRECISION))))`,
		args:   []any{int64(1), int64(-2)},
	}, {
		name:   "dates are epoch milliseconds",
		where:  "AcquisitionDate >= DATE '2020-01-01' AND AcquisitionDate < TIMESTAMP '2020-01-01 12:30:00.5'",
		sqlite: `(("AcquisitionDate" >= ?) AND ("AcquisitionDate" < ?))`,
		pg:     `(("AcquisitionDate" >= CAST(? AS BIGINT)) AND ("AcquisitionDate" < CAST(? AS BIGINT)))`,
		args:   []any{int64(1577836800000), int64(1577881800500)},
	}, {
		name:   "CURRENT_DATE is bound at compile time",
		where:  "AcquisitionDate >= CURRENT_DATE AND AcquisitionDate < CURRENT_TIMESTAMP()",
		sqlite: `(("AcquisitionDate" >= ?) AND ("AcquisitionDate" < ?))`,
		pg:     `(("AcquisitionDate" >= CAST(? AS BIGINT)) AND ("AcquisitionDate" < CAST(? AS BIGINT)))`,
		args:   []any{int64(1714953600000), int64(1714979289000)},
	}, {
		name:   "division by zero is NULL",
		where:  "ZOrder / 2 > 1.5",
		sqlite: `(("ZOrder" / NULLIF(?, 0)) > ?)`,
		pg:     `(("ZOrder" / NULLIF(CAST(? AS BIGINT), 0)) > CAST(? AS DOUBLE PRECISION))`,
		args:   []any{int64(2), 1.5},
	}, {
		name:   "negative literals fold; double minus is no comment",
		where:  "ZOrder - -1 = -(-9223372036854775808)",
		sqlite: `(("ZOrder" - ?) = (-?))`,
		pg:     `(("ZOrder" - CAST(? AS BIGINT)) = (-CAST(? AS BIGINT)))`,
		args:   []any{int64(-1), int64(-9223372036854775808)},
	}, {
		name:   "EXTRACT",
		where:  "EXTRACT(MONTH FROM AcquisitionDate) = 1",
		sqlite: `((CASE WHEN "AcquisitionDate" BETWEEN -62135596800000 AND 253402300799999 THEN CAST(strftime('%m', "AcquisitionDate" / 1000.0, 'unixepoch') AS INTEGER) END) = ?)`,
		pg:     `((CASE WHEN "AcquisitionDate" BETWEEN -62135596800000 AND 253402300799999 THEN CAST(EXTRACT(MONTH FROM TO_TIMESTAMP(CAST("AcquisitionDate" AS DOUBLE PRECISION) / 1000) AT TIME ZONE 'UTC') AS BIGINT) END) = CAST(? AS BIGINT))`,
		args:   []any{int64(1)},
	}, {
		name:   "EXTRACT of a time part",
		where:  "EXTRACT(HOUR FROM AcquisitionDate) = 1",
		sqlite: `((CASE WHEN "AcquisitionDate" BETWEEN -62135596800000 AND 253402300799999 THEN (("AcquisitionDate" + 62135596800000) % 86400000) / 3600000 END) = ?)`,
		pg:     `((CASE WHEN "AcquisitionDate" BETWEEN -62135596800000 AND 253402300799999 THEN (("AcquisitionDate" + 62135596800000) % 86400000) / 3600000 END) = CAST(? AS BIGINT))`,
		args:   []any{int64(1)},
	}, {
		name:   "CAST to DATE floors to the day",
		where:  "CAST(AcquisitionDate AS DATE) = DATE '2020-01-01'",
		sqlite: `(((("AcquisitionDate" + 4611686018371200000) / 86400000 - 53375995583) * 86400000) = ?)`,
		pg:     `(((("AcquisitionDate" + 4611686018371200000) / 86400000 - 53375995583) * 86400000) = CAST(? AS BIGINT))`,
		args:   []any{int64(1577836800000)},
	}, {
		name:   "CAST of literals folds",
		where:  "CAST('12' AS INT) = ZOrder AND CAST('2020-01-01 10:00' AS DATE) = AcquisitionDate",
		sqlite: `((? = "ZOrder") AND (? = "AcquisitionDate"))`,
		pg:     `((CAST(? AS BIGINT) = "ZOrder") AND (CAST(? AS BIGINT) = "AcquisitionDate"))`,
		args:   []any{int64(12), int64(1577836800000)},
	}, {
		name:   "CAST double to INT truncates",
		where:  "CAST(CloudCover AS INTEGER) = 2",
		sqlite: `(CAST("CloudCover" AS INTEGER) = ?)`,
		pg:     `(CAST(TRUNC("CloudCover") AS BIGINT) = CAST(? AS BIGINT))`,
		args:   []any{int64(2)},
	}, {
		name:   "string functions",
		where:  "CONCAT(UPPER(Name), TRIM(LEADING 'x' FROM Tag)) = 'a' AND CHAR_LENGTH(Name) = POSITION('a' IN Tag)",
		sqlite: `(((COALESCE(UPPER("Name"), '') || COALESCE(LTRIM("Tag", ?), '')) = ?) AND (LENGTH("Name") = INSTR("Tag", ?)))`,
		pg:     `(((COALESCE(UPPER("Name" COLLATE "C"), '') || COALESCE(LTRIM("Tag", CAST(? AS TEXT)), '')) = CAST(? AS TEXT)) AND (CHAR_LENGTH("Name") = POSITION(CAST(? AS TEXT) IN "Tag")))`,
		args:   []any{"x", "a", "a"},
	}, {
		name:   "SUBSTRING with literal positions is native in SQLite",
		where:  "SUBSTRING(Name FROM 2 FOR 3) = 'abc' AND SUBSTRING(Name, ZOrder) = 'x'",
		sqlite: `((SUBSTR("Name", ?, ?) = ?) AND (sqlfilter_substr("Name", "ZOrder") = ?))`,
		pg:     `((SUBSTRING("Name" FROM CAST(int8smaller(int8larger(CAST(? AS BIGINT), -2147483648), 2147483647) AS INTEGER) FOR CAST(int8smaller(int8larger(CAST(? AS BIGINT), 0), 2147483647) AS INTEGER)) = CAST(? AS TEXT)) AND (SUBSTRING("Name" FROM CAST(int8smaller(int8larger("ZOrder", -2147483648), 2147483647) AS INTEGER)) = CAST(? AS TEXT)))`,
		args:   []any{int64(2), int64(3), "abc", "x"},
	}, {
		name:   "numeric functions",
		where:  "ROUND(CloudCover, 1) = 1 AND POWER(ZOrder, -2) < 1 AND MOD(ZOrder, 3) = 0 AND LOG10(CloudCover) > 0",
		sqlite: `(((sqlfilter_round("CloudCover", ?) = ?) AND (sqlfilter_power("ZOrder", ?) < ?)) AND ((("ZOrder" % NULLIF(?, 0)) = ?) AND (sqlfilter_log10("CloudCover") > ?)))`,
		pg:     `(((CAST(ROUND(CAST("CloudCover" AS NUMERIC), CAST(int8smaller(int8larger(CAST(? AS BIGINT), -2000), 2000) AS INTEGER)) AS DOUBLE PRECISION) = CAST(? AS BIGINT)) AND (POWER(CAST(NULLIF("ZOrder", 0) AS DOUBLE PRECISION), CAST(CAST(? AS BIGINT) AS DOUBLE PRECISION)) < CAST(? AS BIGINT))) AND ((("ZOrder" % NULLIF(CAST(? AS BIGINT), 0)) = CAST(? AS BIGINT)) AND (LOG(NULLIF(GREATEST(CAST("CloudCover" AS DOUBLE PRECISION), 0), 0)) > CAST(? AS BIGINT))))`,
		args:   []any{int64(1), int64(1), int64(-2), int64(1), int64(3), int64(0), int64(0)},
	}, {
		name:   "COALESCE of integer and double converts",
		where:  "COALESCE(Category, 0.5) > 1",
		sqlite: `(COALESCE(CAST("Category" AS REAL), ?) > ?)`,
		pg:     `(COALESCE(CAST("Category" AS DOUBLE PRECISION), CAST(? AS DOUBLE PRECISION)) > CAST(? AS BIGINT))`,
		args:   []any{0.5, int64(1)},
	}, {
		name:   "TRUE, FALSE and a bare NULL",
		where:  "TRUE OR FALSE OR NULL",
		sqlite: `((1=1) OR ((1=0) OR NULL))`,
		pg:     `((1=1) OR ((1=0) OR CAST(NULL AS BOOLEAN)))`,
	}, {
		name:   "quoted names and keywords in any case",
		where:  `"Sun Elevation" > 1 and "date" is not null`,
		sqlite: `(("sun_elev" > ?) AND ("AcquisitionDate" IS NOT NULL))`,
		pg:     `(("sun_elev" > CAST(? AS BIGINT)) AND ("AcquisitionDate" IS NOT NULL))`,
		args:   []any{int64(1)},
	}} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			for _, d := range []struct {
				dialect sqlfilter.Dialect
				want    string
			}{{sqlfilter.SQLite, tc.sqlite}, {sqlfilter.Postgres, tc.pg}} {
				flt, err := sqlfilter.Compile(tc.where, fields, sqlfilter.WithDialect(d.dialect), now)
				if err != nil {
					t.Fatalf("%s: %v", d.dialect, err)
				}
				sql, args, err := flt.ToSql()
				if err != nil {
					t.Fatal(err)
				}
				if sql != d.want {
					t.Errorf("%s SQL:\n got %s\nwant %s", d.dialect, sql, d.want)
				}
				if tc.args != nil && !reflect.DeepEqual(args, tc.args) {
					t.Errorf("%s args = %#v, want %#v", d.dialect, args, tc.args)
				}
				if got, want := strings.Count(sql, "?"), len(args); got != want {
					t.Errorf("%s: %d placeholders, %d args", d.dialect, got, want)
				}
			}
		})
	}
}

func TestCompileLikeArgs(t *testing.T) {
	t.Parallel()
	fields := testFields(t)
	where := `Name LIKE 'L_%*' AND Tag NOT LIKE '%\_[%' ESCAPE '\'`
	for _, tc := range []struct {
		dialect sqlfilter.Dialect
		args    []any
	}{
		{sqlfilter.SQLite, []any{"L?*[*]", "*_[[]*"}},
		{sqlfilter.Postgres, []any{"L_%*", `%\_[%`, `\`}},
	} {
		flt, err := sqlfilter.Compile(where, fields, sqlfilter.WithDialect(tc.dialect))
		if err != nil {
			t.Fatal(err)
		}
		if _, args, _ := flt.ToSql(); !reflect.DeepEqual(args, tc.args) {
			t.Errorf("%s args = %#v, want %#v", tc.dialect, args, tc.args)
		}
	}
}

func TestCompileErrors(t *testing.T) {
	t.Parallel()
	fields := testFields(t)
	for _, tc := range []struct {
		where string
		want  string
	}{
		// Lexer.
		{"CloudCover > 5; DROP TABLE items", "statement separators (;) are not allowed at 1:15"},
		{"CloudCover > 5 -- all", "comments are not allowed at 1:16"},
		{"CloudCover > 5 /* all */", "comments are not allowed at 1:16"},
		{"Name = 'abc", "unterminated string at 1:8; strings end with a single quote; write '' for a quote inside"},
		{`"Name = 'abc'`, "unterminated quoted name at 1:1"},
		{`"" = 1`, "empty quoted name at 1:1"},
		{"Name = 'a' || 'b'", `the "||" operator is not supported at 1:12; use CONCAT(a, b)`},
		{"[Name] = 'a'", "square brackets are not supported at 1:1; enclose field names in double quotes"},
		{"Name = ?", `parameters are not supported (unexpected "?") at 1:8`},
		{"Name = @p", `parameters are not supported (unexpected "@") at 1:8`},
		{"Name = `x`", "unexpected character \"`\" at 1:8"},
		{"Näme = 'x'", `unexpected character "ä" at 1:2; field names with non-ASCII characters must be double-quoted`},
		{"ZOrder = 1abc", `invalid number "1a" at 1:10`},
		{"ZOrder == 1", `unexpected "==" at 1:8; use "="`},
		{"ZOrder ! 1", `unexpected "!" at 1:8; use NOT or "<>"`},
		{"ZOrder = 1e999", "number 1e999 is out of range at 1:10"},

		// Parser.
		{"CloudCovr > 5", `unknown field "CloudCovr" at 1:1; did you mean "CloudCover"?`},
		{"cloudcovr > 5", `unknown field "cloudcovr" at 1:1; did you mean "CloudCover"?`},
		{"Foo > 5", `unknown field "Foo" at 1:1`},
		{"OBJECTID = 1 AND\n  Nmae = 'x'", `unknown field "Nmae" at 2:3; did you mean "Name"?`},
		{"OBJECTID IN (SELECT OBJECTID FROM items)", "subqueries are not supported at 1:14"},
		{"OBJECTID = (SELECT 1)", "subqueries are not supported at 1:13"},
		{"EXISTS (SELECT 1)", "subqueries are not supported at 1:1"},
		{"OBJECTID", "the clause must be a condition, not an integer at 1:1; for example: CloudCover < 10"},
		{"OBJECTID = 1 AND", "unexpected end of clause; expected a value at 1:17"},
		{"(OBJECTID = 1", `expected ")" to close the "(" at 1:1, found end of clause at 1:14`},
		{"OBJECTID = 1)", `unbalanced ")" at 1:13`},
		{"OBJECTID = 1 Name = 'x'", `unexpected "Name" at 1:14; join conditions with AND or OR`},
		{"OBJECTID IN ()", "empty IN list at 1:14"},
		{"OBJECTID IN 1", `expected "(" after IN, found number 1 at 1:13`},
		{"OBJECTID NOT 1", "expected LIKE, IN or BETWEEN after NOT at 1:10"},
		{"OBJECTID IS 1", "expected NULL after IS, found number 1 at 1:13"},
		{"OBJECTID BETWEEN 1 OR 2", "expected AND in BETWEEN … AND …, found \"OR\" at 1:20"},
		{"OBJECTID = 1 = 1", `unexpected "=" at 1:14`},
		{"AND = 1", "unexpected AND; expected a value at 1:1"},
		{"Like = 1", "unexpected LIKE; expected a value at 1:1; enclose a field with this name in double quotes"},
		{"NVL(Name, 'x') = 'x'", "function NVL is not supported at 1:1; use COALESCE"},
		{"TO_CHAR(ZOrder) = 'x'", "function TO_CHAR is not supported at 1:1; it is not part of standardized SQL"},
		{"UPPPER(Name) = 'X'", `unknown function "UPPPER" at 1:1; did you mean UPPER?`},
		{"Name(1) = 'X'", `unknown function "Name" at 1:1; a field cannot be called like a function`},
		{"ROUND(1, 2, 3) = 1", "ROUND takes 1 to 2 arguments at 1:1"},
		{"UPPER() = 'X'", "UPPER takes one argument at 1:1"},
		{"CONCAT(Name) = 'X'", "CONCAT takes 2 or more arguments at 1:1"},
		{"EXTRACT(WEEK FROM AcquisitionDate) = 1", `expected YEAR, MONTH, DAY, HOUR, MINUTE or SECOND, found "WEEK" at 1:9`},
		{"CAST(ZOrder AS TEXT) = 'x'", `expected INT, INTEGER, FLOAT, REAL, DOUBLE, CHAR(n), VARCHAR(n), DATE or TIMESTAMP, found "TEXT" at 1:16`},
		{"CAST(ZOrder AS VARCHAR(0)) = 'x'", "the length must be between 1 and 10485760 at 1:24"},
		{"DATE '2020-02-30' < AcquisitionDate", `invalid DATE literal "2020-02-30" at 1:6; write 'YYYY-MM-DD'`},
		{"DATE '2020-01-01 00:00:00' < AcquisitionDate", `invalid DATE literal "2020-01-01 00:00:00" at 1:6; write 'YYYY-MM-DD'`},
		{"TIMESTAMP '2020-01-01 24:00:00' < AcquisitionDate", `invalid TIMESTAMP literal "2020-01-01 24:00:00" at 1:11; write 'YYYY-MM-DD hh:mm:ss'`},
		{"TIMESTAMP '2020-01-01 00:00:00.0001' < AcquisitionDate", `invalid TIMESTAMP literal "2020-01-01 00:00:00.0001" at 1:11; write 'YYYY-MM-DD hh:mm:ss'`},
		{"Name LIKE 'a' ESCAPE 'ab'", "the ESCAPE string must be exactly one character at 1:22"},
		{"Name LIKE 'a' ESCAPE Tag", `expected a one-character string after ESCAPE, found "Tag" at 1:22`},

		// Checker.
		{"Name = 5", "cannot compare a string with an integer at 1:6"},
		{"AcquisitionDate > '2020-01-01'", "cannot compare a date with a string at 1:17; write DATE 'YYYY-MM-DD' or TIMESTAMP 'YYYY-MM-DD hh:mm:ss'"},
		{"AcquisitionDate > 1577836800000", "cannot compare a date with an integer at 1:17; write DATE 'YYYY-MM-DD' or TIMESTAMP 'YYYY-MM-DD hh:mm:ss'"},
		{"AcquisitionDate + 1 > DATE '2020-01-01'", "date arithmetic is not supported at 1:17; compare dates with DATE 'YYYY-MM-DD' or TIMESTAMP literals"},
		{"Name + 'x' = 'y'", `cannot apply "+" to a string at 1:6; use CONCAT(a, b) to join strings`},
		{"-Name = 'x'", `cannot apply unary "-" to a string at 1:1`},
		{"(ZOrder = 1) = (ZOrder = 2)", "cannot compare conditions at 1:14"},
		{"NOT ZOrder", "expected a condition, not an integer at 1:5; for example: CloudCover < 10"},
		{"-NULL AND TRUE", "expected a condition, not an integer at 1:1; for example: CloudCover < 10"},
		{"NULL + NULL", "the clause must be a condition, not an integer at 1:6; for example: CloudCover < 10"},
		{"ZOrder = 1 AND Name", "expected a condition, not a string at 1:16; for example: CloudCover < 10"},
		{"Name LIKE 5", "LIKE needs a string, not an integer at 1:11; convert numbers with CAST(x AS VARCHAR(n))"},
		{"Name LIKE 'a!' ESCAPE '!'", "the LIKE pattern ends with the escape character at 1:11; double the escape character to match it literally"},
		{"ZOrder IN (1, 'a')", "cannot compare an integer with a string at 1:15"},
		{"ZOrder BETWEEN 'a' AND 'b'", "cannot compare an integer with a string at 1:8"},
		{"UPPER(ZOrder) = 'X'", "UPPER needs a string, not an integer at 1:7; convert numbers with CAST(x AS VARCHAR(n))"},
		{"CONCAT(Name, CloudCover) = 'X'", "CONCAT needs a string, not a double at 1:14"},
		{"ABS(Name) = 1", "ABS needs a number, not a string at 1:5"},
		{"MOD(CloudCover, 2) = 1", "MOD needs an integer, not a double at 1:5"},
		{"SUBSTRING(Name FROM 1.5) = 'x'", "SUBSTRING needs an integer, not a double at 1:21"},
		{"ROUND(CloudCover, 0.5) = 1", "ROUND's number of places needs an integer, not a double at 1:19"},
		{"POWER(ZOrder, ZOrder) = 1", "POWER's exponent must be an integer number at 1:15; for example: POWER(x, 2)"},
		{"POWER(ZOrder, 0.5) = 1", "POWER's exponent must be an integer number at 1:15; for example: POWER(x, 2)"},
		{"EXTRACT(YEAR FROM Name) = 1", "EXTRACT needs a date, not a string at 1:19"},
		{"COALESCE(Name, 1) = 'x'", "cannot compare a string with an integer at 1:16"},
		{"COALESCE(ZOrder = 1, TRUE)", "COALESCE needs values, not conditions at 1:17"},
		{"CAST(Name AS INT) = 1", "CAST of a string to an integer works only on a literal at 1:6"},
		{"CAST('abc' AS INT) = 1", `cannot CAST "abc" to an integer at 1:6`},
		{"CAST('1e3' AS INT) = 1", `cannot CAST "1e3" to an integer at 1:6`},
		{"CAST('nan' AS FLOAT) = 1", `cannot CAST "nan" to a double at 1:6`},
		{"CAST('2020-13-01' AS DATE) = AcquisitionDate", `cannot CAST "2020-13-01" to a date at 1:6; write 'YYYY-MM-DD' or 'YYYY-MM-DD hh:mm:ss'`},
		{"CAST(CloudCover AS VARCHAR(5)) = '1'", "CAST of a double to a string is not supported at 1:6; ROUND or CAST to INT first"},
		{"CAST(AcquisitionDate AS INT) = 1", "cannot CAST a date to an integer at 1:6"},
		{"CAST(ZOrder AS DATE) = DATE '2020-01-01'", "cannot CAST an integer to a date at 1:6"},
		{"CAST(ZOrder = 1 AS INT) = 1", "cannot CAST a condition at 1:13"},
	} {
		t.Run(tc.where, func(t *testing.T) {
			t.Parallel()
			_, err := sqlfilter.Compile(tc.where, fields)
			e := userError(err)
			if e == nil {
				t.Fatalf("Compile(%q) = %v, want an *Error", tc.where, err)
			}
			if got := e.Error(); got != tc.want {
				t.Errorf("Compile(%q):\n got %s\nwant %s", tc.where, got, tc.want)
			}
			// The same text comes out in both dialects.
			_, err2 := sqlfilter.Compile(tc.where, fields, sqlfilter.WithDialect(sqlfilter.Postgres))
			if err2 == nil || err2.Error() != err.Error() {
				t.Errorf("PostgreSQL: %v, SQLite: %v", err2, err)
			}
		})
	}
}

func TestCompileEmpty(t *testing.T) {
	t.Parallel()
	fields := testFields(t)
	for _, where := range []string{"", "   ", "\n\t\r\n"} {
		_, err := sqlfilter.Compile(where, fields)
		if !errors.Is(err, sqlfilter.ErrEmpty) {
			t.Errorf("Compile(%q) = %v, want ErrEmpty", where, err)
		}
		if e := userError(err); e == nil || e.Error() != "the where clause is empty" {
			t.Errorf("Compile(%q) = %v, want an *Error", where, err)
		}
	}
	if _, err := sqlfilter.Compile("1 = 1", fields); errors.Is(err, sqlfilter.ErrEmpty) {
		t.Error("non-empty clause reports ErrEmpty")
	}
}

func TestCompileLimits(t *testing.T) {
	t.Parallel()
	fields := testFields(t)
	nested := func(n int) string {
		return strings.Repeat("(", n) + "OBJECTID = 1" + strings.Repeat(")", n)
	}
	nots := func(n int) string { return strings.Repeat("NOT ", n) + "OBJECTID = 1" }
	chain := func(n int) string {
		return "OBJECTID" + strings.Repeat(" + 1", n) + " > 0"
	}
	ors := func(n int) string {
		terms := make([]string, n)
		for i := range terms {
			terms[i] = fmt.Sprintf("ZOrder = %d", i)
		}
		return strings.Join(terms, " OR ")
	}
	in := func(n int) string {
		vals := make([]string, n)
		for i := range vals {
			vals[i] = "1"
		}
		return "OBJECTID IN (" + strings.Join(vals, ",") + ")"
	}
	for _, tc := range []struct {
		name, where string
		want        string // "" when the clause must compile
	}{
		{"64 parentheses", nested(64), ""},
		{"65 parentheses", nested(65), "the clause is nested more than 64 levels deep at 1:65"},
		{"62 NOTs", nots(62), ""},
		{"63 NOTs", nots(63), "the clause is nested more than 64 levels deep at 1:1"},
		{"65 NOTs", nots(65), "the clause is nested more than 64 levels deep at 1:257"},
		{"long arithmetic chain", chain(61), ""},
		{"too long arithmetic chain", chain(70), "the clause is nested more than 64 levels deep at 1:262"},
		{"666 ORs", ors(666), ""},
		{"too many ORs", ors(667), "the clause has more than 2000 elements at 1:10554"},
		{"IN list of 8000", in(8000), ""},
		{"16 KiB", "Name = '" + strings.Repeat("x", sqlfilter.MaxLength-10) + "'", ""},
		{"over 16 KiB", "Name = '" + strings.Repeat("x", sqlfilter.MaxLength) + "'", "the where clause is longer than 16384 bytes at 1:16385"},
		{"NUL", "Name = 'a\x00'", "NUL characters are not allowed at 1:10"},
		{"invalid UTF-8", "Name = 'a\xff'", "the where clause is not valid UTF-8 at 1:10"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			_, err := sqlfilter.Compile(tc.where, fields)
			switch {
			case tc.want == "" && err != nil:
				t.Fatalf("unexpected error: %v", err)
			case tc.want == "":
			case userError(err) == nil:
				t.Fatalf("error = %v, want %q", err, tc.want)
			case err.Error() != tc.want:
				t.Errorf("error:\n got %s\nwant %s", err, tc.want)
			}
		})
	}
}

func TestErrorNeverShowsSQL(t *testing.T) {
	t.Parallel()
	// Column expressions that cannot appear in user text.
	fields, err := sqlfilter.NewFields(
		sqlfilter.Field{Name: "OBJECTID", Column: `secret_tbl."c_oid"`, Type: sqlfilter.Integer},
		sqlfilter.Field{Name: "Name", Column: `secret_tbl."c_name"`, Type: sqlfilter.String},
		sqlfilter.Field{Name: "CloudCover", Column: `secret_tbl."c_cloud"`, Type: sqlfilter.Double},
		sqlfilter.Field{Name: "AcquisitionDate", Column: `secret_tbl."c_date"`, Type: sqlfilter.Date},
		sqlfilter.Field{Name: "ZOrder", Column: `secret_tbl."c_z"`, Type: sqlfilter.Integer},
		sqlfilter.Field{Name: "Tag", Column: `secret_tbl."c_tag"`, Type: sqlfilter.String},
	)
	if err != nil {
		t.Fatal(err)
	}
	for _, where := range loadCorpus(t, "invalid.txt") {
		for _, d := range []sqlfilter.Dialect{sqlfilter.SQLite, sqlfilter.Postgres} {
			_, err := sqlfilter.Compile(where, fields, sqlfilter.WithDialect(d))
			e := userError(err)
			if e == nil {
				t.Errorf("%s: Compile(%q) = %v, want an *Error", d, where, err)
				continue
			}
			msg := e.Error() + e.Snippet()
			for _, bad := range []string{"secret_tbl", `"c_`, "GLOB", "sqlfilter_", "COLLATE", "BIGINT",
				"DOUBLE PRECISION", "strftime", "TO_TIMESTAMP", "$1", "AS TEXT", "int8larger"} {
				if strings.Contains(msg, bad) && !strings.Contains(where, bad) {
					t.Errorf("%s: error for %q shows %q: %s", d, where, bad, msg)
				}
			}
		}
	}
}

func TestErrorSnippet(t *testing.T) {
	t.Parallel()
	_, err := sqlfilter.Compile("ZOrder = 1 AND\n  Nmae = 'é'", testFields(t))
	e := userError(err)
	if e == nil {
		t.Fatal(err)
	}
	if got, want := e.Pos, (sqlfilter.Position{Offset: 17, Line: 2, Col: 3}); got != want {
		t.Errorf("Pos = %+v, want %+v", got, want)
	}
	if got, want := e.Snippet(), " |   Nmae = 'é'\n | ..^"; got != want {
		t.Errorf("Snippet:\n%s\nwant\n%s", got, want)
	}
	if got, want := e.Msg, `unknown field "Nmae"`; got != want {
		t.Errorf("Msg = %q, want %q", got, want)
	}
	if got, want := e.Hint, `did you mean "Name"?`; got != want {
		t.Errorf("Hint = %q, want %q", got, want)
	}
}

func TestFilterColumns(t *testing.T) {
	t.Parallel()
	flt, err := sqlfilter.Compile(`ZOrder > 1 AND (cloudcover < 2 OR "ZORDER" = 3) AND Date IS NULL`, testFields(t))
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, c := range flt.Columns() {
		got = append(got, c.Name)
	}
	if want := []string{"ZOrder", "CloudCover", "Date"}; !reflect.DeepEqual(got, want) {
		t.Errorf("Columns() = %v, want %v", got, want)
	}
}

func TestFilterInSquirrel(t *testing.T) {
	t.Parallel()
	flt, err := sqlfilter.Compile("Name = 'x' AND ZOrder IN (1, 2)", testFields(t), sqlfilter.WithDialect(sqlfilter.Postgres))
	if err != nil {
		t.Fatal(err)
	}
	sql, args, err := squirrel.Select(`"OBJECTID"`).From("items").Where(flt).Where(squirrel.Eq{`"Category"`: 1}).
		PlaceholderFormat(squirrel.Dollar).ToSql()
	if err != nil {
		t.Fatal(err)
	}
	want := `SELECT "OBJECTID" FROM items WHERE (("Name" = CAST($1 AS TEXT)) AND ("ZOrder" IN (CAST($2 AS BIGINT), CAST($3 AS BIGINT)))) AND "Category" = $4`
	if sql != want {
		t.Errorf("SQL:\n got %s\nwant %s", sql, want)
	}
	if want := []any{"x", int64(1), int64(2), 1}; !reflect.DeepEqual(args, want) {
		t.Errorf("args = %#v, want %#v", args, want)
	}
}

func TestNewFields(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name   string
		fields []sqlfilter.Field
		want   string
	}{
		{"duplicate", []sqlfilter.Field{{"Name", `"a"`, sqlfilter.String}, {"NAME", `"b"`, sqlfilter.String}}, `sqlfilter: duplicate field "NAME" (also "Name")`},
		{"duplicate non-ASCII", []sqlfilter.Field{{"Élan", `"a"`, sqlfilter.String}, {"éLAN", `"b"`, sqlfilter.String}}, `sqlfilter: duplicate field "éLAN" (also "Élan")`},
		{"empty name", []sqlfilter.Field{{"", `"a"`, sqlfilter.String}}, `sqlfilter: field 0: invalid name ""`},
		{"empty column", []sqlfilter.Field{{"a", " ", sqlfilter.String}}, `sqlfilter: field "a": empty column`},
		{"placeholder in column", []sqlfilter.Field{{"a", `"a?"`, sqlfilter.String}}, `sqlfilter: field "a": column "\"a?\"" holds a reserved character`},
		{"bad type", []sqlfilter.Field{{"a", `"a"`, 0}}, `sqlfilter: field "a": unknown type 0`},
	} {
		if _, err := sqlfilter.NewFields(tc.fields...); err == nil || err.Error() != tc.want {
			t.Errorf("%s: NewFields = %v, want %s", tc.name, err, tc.want)
		}
	}

	fs, err := sqlfilter.NewFields(
		sqlfilter.Field{Name: "CloudCover", Column: `"CloudCover"`, Type: sqlfilter.Double},
		sqlfilter.Field{Name: "Élan", Column: `"elan"`, Type: sqlfilter.String},
	)
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"CloudCover", "cloudcover", "CLOUDCOVER"} {
		if f, ok := fs.Lookup(name); !ok || f.Column != `"CloudCover"` {
			t.Errorf("Lookup(%q) = %v, %v", name, f, ok)
		}
	}
	if f, ok := fs.Lookup("éLAN"); !ok || f.Name != "Élan" {
		t.Errorf(`Lookup("éLAN") = %v, %v`, f, ok)
	}
	if _, ok := fs.Lookup("Cloud"); ok {
		t.Error(`Lookup("Cloud") found a field`)
	}
	all := fs.All()
	all[0].Name = "changed"
	if fs.All()[0].Name != "CloudCover" || fs.Len() != 2 {
		t.Error("All() exposes the index's storage")
	}
}

func TestQuoteIdent(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]string{
		"CloudCover": `"CloudCover"`,
		`a"b`:        `"a""b"`,
		"":           `""`,
	} {
		if got := sqlfilter.QuoteIdent(in); got != want {
			t.Errorf("QuoteIdent(%q) = %s, want %s", in, got, want)
		}
	}
}

func TestParseOutFields(t *testing.T) {
	t.Parallel()
	fields := testFields(t)
	names := func(fs []sqlfilter.Field) []string {
		var out []string
		for _, f := range fs {
			out = append(out, f.Name)
		}
		return out
	}
	for _, tc := range []struct {
		in   string
		want []string
		err  string
	}{
		{in: "*", want: names(fields.All())},
		{in: " * ", want: names(fields.All())},
		{in: "", want: nil},
		{in: "Name", want: []string{"Name"}},
		{in: `objectid, "Sun Elevation",NAME , name`, want: []string{"OBJECTID", "Sun Elevation", "Name"}},
		{in: "Name,, Tag", err: `expected a field name, found "," at 1:6`},
		{in: "Name Tag", err: `expected "," between field names, found "Tag" at 1:6`},
		{in: "Name, Cloud", err: `unknown field "Cloud" at 1:7`},
		{in: "Name, Cloudcovr", err: `unknown field "Cloudcovr" at 1:7; did you mean "CloudCover"?`},
		{in: "Name,", err: `expected a field name, found end of clause at 1:6`},
		{in: "Name; DROP", err: "statement separators (;) are not allowed at 1:5"},
	} {
		got, err := sqlfilter.ParseOutFields(tc.in, fields)
		if tc.err != "" {
			if userError(err) == nil || err.Error() != tc.err {
				t.Errorf("ParseOutFields(%q) error = %v, want %s", tc.in, err, tc.err)
			}
			continue
		}
		if err != nil {
			t.Errorf("ParseOutFields(%q): %v", tc.in, err)
			continue
		}
		if !reflect.DeepEqual(names(got), tc.want) {
			t.Errorf("ParseOutFields(%q) = %v, want %v", tc.in, names(got), tc.want)
		}
	}
}

func TestParseOrderBy(t *testing.T) {
	t.Parallel()
	fields := testFields(t)
	for _, tc := range []struct {
		in        string
		sqlite    []string
		pg        []string
		wantError string
	}{
		{in: "", sqlite: []string{}, pg: []string{}},
		{in: "CloudCover", sqlite: []string{`"CloudCover" ASC`}, pg: []string{`"CloudCover" ASC NULLS FIRST`}},
		{
			in:     `ZOrder DESC, name asc, "Sun Elevation"`,
			sqlite: []string{`"ZOrder" DESC`, `"Name" ASC`, `"sun_elev" ASC`},
			pg:     []string{`"ZOrder" DESC NULLS LAST`, `"Name" COLLATE "C" ASC NULLS FIRST`, `"sun_elev" ASC NULLS FIRST`},
		},
		{in: "ZOrder DOWN", wantError: `expected ASC, DESC or ",", found "DOWN" at 1:8`},
		{in: "ZOrder DESC DESC", wantError: `expected ASC, DESC or ",", found "DESC" at 1:13`},
		{in: "Zorder2 DESC", wantError: `unknown field "Zorder2" at 1:1; did you mean "ZOrder"?`},
		{in: "ZOrder, (SELECT 1)", wantError: `expected a field name, found "(" at 1:9`},
	} {
		orders, err := sqlfilter.ParseOrderBy(tc.in, fields)
		if tc.wantError != "" {
			if userError(err) == nil || err.Error() != tc.wantError {
				t.Errorf("ParseOrderBy(%q) error = %v, want %s", tc.in, err, tc.wantError)
			}
			continue
		}
		if err != nil {
			t.Errorf("ParseOrderBy(%q): %v", tc.in, err)
			continue
		}
		if got := sqlfilter.OrderBySQL(orders); !reflect.DeepEqual(got, tc.sqlite) {
			t.Errorf("OrderBySQL(%q) = %q, want %q", tc.in, got, tc.sqlite)
		}
		if got := sqlfilter.OrderBySQL(orders, sqlfilter.WithDialect(sqlfilter.Postgres)); !reflect.DeepEqual(got, tc.pg) {
			t.Errorf("OrderBySQL(%q, Postgres) = %q, want %q", tc.in, got, tc.pg)
		}
	}
}

// TestOrderBy checks that OrderBySQL sorts the same in both dialects,
// NULLs and case included.
func TestOrderBy(t *testing.T) {
	t.Parallel()
	fields := testFields(t)
	cats := []*catalog{mustOpenSQLite(t)}
	if pg := tryPostgres(t); pg != nil {
		cats = append(cats, pg)
	}
	for _, tc := range []struct {
		orderBy string
		want    []int64
	}{
		{"Name ASC", []int64{4, 6, 8, 1, 2, 7, 5, 10, 12, 3, 11, 9}},
		{"Name DESC", []int64{9, 11, 3, 12, 10, 5, 7, 2, 1, 8, 6, 4}},
		{"Category, ZOrder DESC, OBJECTID", []int64{4, 11, 7, 6, 3, 10, 1, 9, 2, 5, 12, 8}},
	} {
		orders, err := sqlfilter.ParseOrderBy(tc.orderBy, fields)
		if err != nil {
			t.Fatal(err)
		}
		for _, c := range cats {
			q := squirrel.Select(`"OBJECTID"`).From(c.table).OrderBy(sqlfilter.OrderBySQL(orders, sqlfilter.WithDialect(c.dialect))...)
			rows, err := q.RunWith(c.db).Query()
			if err != nil {
				t.Fatal(err)
			}
			var got []int64
			for rows.Next() {
				var id int64
				if err := rows.Scan(&id); err != nil {
					t.Fatal(err)
				}
				got = append(got, id)
			}
			rows.Close()
			if !reflect.DeepEqual(got, tc.want) {
				t.Errorf("%s: ORDER BY %s = %v, want %v", c.dialect, tc.orderBy, got, tc.want)
			}
		}
	}
}
