package sqlfilter_test

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/tessera-gis/tessera/sqlfilter"
)

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
		{"ZOrder = 9223372036854775808", "integer 9223372036854775808 is out of range at 1:10; integers range from -9223372036854775808 to 9223372036854775807; write 9223372036854775808.0 for a double"},
		{"ZOrder > -9223372036854775809", "integer -9223372036854775809 is out of range at 1:10; integers range from -9223372036854775808 to 9223372036854775807; write -9223372036854775809.0 for a double"},
		{"ZOrder IN (1, 99999999999999999999)", "integer 99999999999999999999 is out of range at 1:15; integers range from -9223372036854775808 to 9223372036854775807; write 99999999999999999999.0 for a double"},
		{"Name = 'a\x1bb'", "control character U+001B is not allowed at 1:10; only spaces, tabs and line breaks may separate words, and strings cannot hold control characters; match them with _ in LIKE"},
		{"Name\v= 'x'", "control character U+000B is not allowed at 1:5; only spaces, tabs and line breaks may separate words, and strings cannot hold control characters; match them with _ in LIKE"},
		{"Name = 'x'\f", "control character U+000C is not allowed at 1:11; only spaces, tabs and line breaks may separate words, and strings cannot hold control characters; match them with _ in LIKE"},
		{"Name = 'x\x7f'", "control character U+007F is not allowed at 1:10; only spaces, tabs and line breaks may separate words, and strings cannot hold control characters; match them with _ in LIKE"},
		{"Name = 'é\u0085'", "control character U+0085 is not allowed at 1:10; only spaces, tabs and line breaks may separate words, and strings cannot hold control characters; match them with _ in LIKE"},
		{"Name = 'abc\u202edef'", "control character U+202E is not allowed at 1:12; only spaces, tabs and line breaks may separate words, and strings cannot hold control characters; match them with _ in LIKE"},
		{"\"Name\u2066\" = 'x'", "control character U+2066 is not allowed at 1:6; only spaces, tabs and line breaks may separate words, and strings cannot hold control characters; match them with _ in LIKE"},

		// Parser.
		{"CloudCovr > 5", `unknown field "CloudCovr" at 1:1; did you mean "CloudCover"?`},
		{"cloudcovr > 5", `unknown field "cloudcovr" at 1:1; did you mean "CloudCover"?`},
		{"Foo > 5", `unknown field "Foo" at 1:1`},
		{"OBJECTID = 1 AND\n  Nmae = 'x'", `unknown field "Nmae" at 2:3; did you mean "Name"?`},
		{"OBJECTID IN (SELECT OBJECTID FROM items)", "subqueries are not supported at 1:14"},
		{"OBJECTID = (SELECT 1)", "subqueries are not supported at 1:13"},
		{"EXISTS (SELECT 1)", "subqueries are not supported at 1:1"},
		{"OBJECTID", "the clause must be a condition, not an integer at 1:1; for example: CloudCover < 10"},
		{"1", "the clause must be a condition, not an integer at 1:1; for example: CloudCover < 10"},
		{"NULL", "the clause must be a condition, not NULL at 1:1; to find missing values write, for example: CloudCover IS NULL"},
		{"(NULL)", "the clause must be a condition, not NULL at 1:2; to find missing values write, for example: CloudCover IS NULL"},
		{"COALESCE(NULL, NULL)", "the clause must be a condition, not NULL at 1:1; to find missing values write, for example: CloudCover IS NULL"},
		{"NULL OR ZOrder = 1", "expected a condition, not NULL at 1:1; to find missing values write, for example: CloudCover IS NULL"},
		{"ZOrder = 1 AND NULL", "expected a condition, not NULL at 1:16; to find missing values write, for example: CloudCover IS NULL"},
		{"NOT NULL", "expected a condition, not NULL at 1:5; to find missing values write, for example: CloudCover IS NULL"},
		{"'x'", "the clause must be a condition, not a string at 1:1; for example: CloudCover < 10"},
		{"DATE '2020-01-01'", "the clause must be a condition, not a date at 1:1; for example: CloudCover < 10"},
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
		{"AcquisitionDate > CURRENT_TIMESTAMP - INTERVAL '1' DAY", "INTERVAL is not supported at 1:39; compare dates with DATE 'YYYY-MM-DD' or TIMESTAMP literals"},
		{"AcquisitionDate < current_time", "CURRENT_TIME is not supported at 1:19; use CURRENT_TIMESTAMP"},
		{"CASE WHEN ZOrder = 1 THEN 1 END = 1", "CASE is not supported at 1:1"},
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
		{"DATE '2020-01-01 00:00:00' < AcquisitionDate", `invalid DATE literal "2020-01-01 00:00:00" at 1:6; a DATE has no time; write DATE 'YYYY-MM-DD' or TIMESTAMP 'YYYY-MM-DD hh:mm:ss'`},
		{"TIMESTAMP '2020-01-01 24:00:00' < AcquisitionDate", `invalid TIMESTAMP literal "2020-01-01 24:00:00" at 1:11; write 'YYYY-MM-DD hh:mm:ss'`},
		{"TIMESTAMP '2020-01-01 00:00:00.0001' < AcquisitionDate", `invalid TIMESTAMP literal "2020-01-01 00:00:00.0001" at 1:11; TIMESTAMP values are precise to the millisecond`},
		{"TIMESTAMP '2020-01-01' < AcquisitionDate", `invalid TIMESTAMP literal "2020-01-01" at 1:11; a TIMESTAMP needs a time; write TIMESTAMP 'YYYY-MM-DD 00:00:00' or DATE 'YYYY-MM-DD'`},
		{"TIMESTAMP '2020-01-01T00:00:00' < AcquisitionDate", `invalid TIMESTAMP literal "2020-01-01T00:00:00" at 1:11; separate the date and the time with a space: 'YYYY-MM-DD hh:mm:ss'`},
		{"TIMESTAMP '2020-01-01 10:00' < AcquisitionDate", `invalid TIMESTAMP literal "2020-01-01 10:00" at 1:11; write the seconds too: 'YYYY-MM-DD hh:mm:ss'`},
		{"TIMESTAMP '2020-01-01 10:00:00Z' < AcquisitionDate", `invalid TIMESTAMP literal "2020-01-01 10:00:00Z" at 1:11; write 'YYYY-MM-DD hh:mm:ss'`},
		{"DATE '2020-1-1' < AcquisitionDate", `invalid DATE literal "2020-1-1" at 1:6; write 'YYYY-MM-DD'`},
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
		{"Name LIKE 5", "the LIKE pattern must be a string literal at 1:11; for example: Name LIKE 'L%'; to compare two fields use ="},
		{"ZOrder LIKE '5%'", "LIKE needs a string, not an integer at 1:1; convert numbers with CAST(x AS VARCHAR(n))"},
		{"Name LIKE 'a!' ESCAPE '!'", "the LIKE pattern ends with the escape character at 1:13; double the escape character to match it literally"},
		{"Name LIKE 'a!b' ESCAPE '!'", `invalid escape sequence "!b" in the LIKE pattern at 1:13; the escape character may only precede %, _ or itself; double it to match it literally`},
		{"Name LIKE 'it''s!x' ESCAPE '!'", `invalid escape sequence "!x" in the LIKE pattern at 1:17; the escape character may only precede %, _ or itself; double it to match it literally`},
		{"Name LIKE 'a_b' ESCAPE '_'", `invalid escape sequence "_b" in the LIKE pattern at 1:13; the escape character may only precede %, _ or itself; double it to match it literally`},
		{"Name LIKE 'é\\é' ESCAPE '\\'", `invalid escape sequence "\\é" in the LIKE pattern at 1:13; the escape character may only precede %, _ or itself; double it to match it literally`},
		{"Name LIKE NULL", "the LIKE pattern cannot be NULL at 1:11; to find missing values write, for example: Name IS NULL"},
		{"Name LIKE Tag", "the LIKE pattern must be a string literal at 1:11; for example: Name LIKE 'L%'; to compare two fields use ="},
		{"Name LIKE UPPER('x%')", "the LIKE pattern must be a string literal at 1:11; for example: Name LIKE 'L%'; to compare two fields use ="},
		{"Name LIKE CONCAT(Tag, '%')", "the LIKE pattern must be a string literal at 1:11; for example: Name LIKE 'L%'; to compare two fields use ="},
		{"ZOrder IN (1, 'a')", "cannot compare an integer with a string at 1:15"},
		{"ZOrder BETWEEN 'a' AND 'b'", "cannot compare an integer with a string at 1:8"},
		{"UPPER(ZOrder) = 'X'", "UPPER needs a string, not an integer at 1:7; convert numbers with CAST(x AS VARCHAR(n))"},
		{"CONCAT(Name, CloudCover) = 'X'", "CONCAT needs a string, not a double at 1:14"},
		{"ABS(Name) = 1", "ABS needs a number, not a string at 1:5"},
		{"MOD(CloudCover, 2) = 1", "MOD needs an integer, not a double at 1:5"},
		{"SUBSTRING(Name FROM 1.5) = 'x'", "SUBSTRING needs an integer, not a double at 1:21"},
		{"ROUND(CloudCover, 0.5) = 1", "ROUND's number of places needs an integer, not a double at 1:19"},
		{"POWER(ZOrder, CloudCover) = 1", "POWER's exponent must be an integer, not a double at 1:15; ROUND or CAST it to INT"},
		{"POWER(ZOrder, 0.5) = 1", "POWER's exponent must be an integer, not a double at 1:15; ROUND or CAST it to INT"},
		{"POWER(ZOrder, Name) = 1", "POWER's exponent needs an integer, not a string at 1:15"},
		{"EXTRACT(YEAR FROM Name) = 1", "EXTRACT needs a date, not a string at 1:19"},
		{"COALESCE(Name, 1) = 'x'", "cannot compare a string with an integer at 1:16"},
		{"COALESCE(ZOrder = 1, TRUE)", "COALESCE needs values, not conditions at 1:17"},
		{"CAST(Name AS INT) = 1", "CAST of a string to an integer works only on a literal at 1:6"},
		{"CAST('abc' AS INT) = 1", `cannot CAST "abc" to an integer at 1:6`},
		{"CAST('1e3' AS INT) = 1", `cannot CAST "1e3" to an integer at 1:6`},
		{"CAST('nan' AS FLOAT) = 1", `cannot CAST "nan" to a double at 1:6`},
		{"CAST('2020-13-01' AS DATE) = AcquisitionDate", `cannot CAST "2020-13-01" to a date at 1:6; write 'YYYY-MM-DD'`},
		{"CAST('2020-01-01' AS TIMESTAMP) = AcquisitionDate", `cannot CAST "2020-01-01" to a timestamp at 1:6; a TIMESTAMP needs a time; write TIMESTAMP 'YYYY-MM-DD 00:00:00' or DATE 'YYYY-MM-DD'`},
		{"CAST('2020-01-01 10:00:00' AS DATE) = AcquisitionDate", `cannot CAST "2020-01-01 10:00:00" to a date at 1:6; a DATE has no time; write DATE 'YYYY-MM-DD' or TIMESTAMP 'YYYY-MM-DD hh:mm:ss'`},
		{"CAST(CloudCover AS VARCHAR(5)) = '1'", "CAST of a double to a string is not supported at 1:6; ROUND or CAST to INT first"},
		{"CAST(AcquisitionDate AS INT) = 1", "cannot CAST a date to an integer at 1:6"},
		{"CAST(ZOrder AS DATE) = DATE '2020-01-01'", "cannot CAST an integer to a date at 1:6"},
		{"CAST(ZOrder = 1 AS INT) = 1", "cannot CAST a condition at 1:13"},

		// Values out of range, computed from literals alone.
		{"ABS(-9223372036854775808) > 0", "integer overflow at 1:1; integers range from -9223372036854775808 to 9223372036854775807"},
		{"ZOrder = ABS(-9223372036854775807 - 1)", "integer overflow at 1:10; integers range from -9223372036854775808 to 9223372036854775807"},
		{"-(-9223372036854775808) > ZOrder", "integer overflow at 1:1; integers range from -9223372036854775808 to 9223372036854775807"},
		{"9223372036854775807 + 1 > ZOrder", "integer overflow at 1:21; integers range from -9223372036854775808 to 9223372036854775807"},
		{"ZOrder > -9223372036854775807 - 2", "integer overflow at 1:31; integers range from -9223372036854775808 to 9223372036854775807"},
		{"ZOrder > 4611686018427387904 * 2", "integer overflow at 1:30; integers range from -9223372036854775808 to 9223372036854775807"},
		{"ZOrder < (-9223372036854775807 - 1) / -1", "integer overflow at 1:37; integers range from -9223372036854775808 to 9223372036854775807"},
		{"COALESCE(ZOrder, 3037000500 * 3037000500) = 1", "integer overflow at 1:29; integers range from -9223372036854775808 to 9223372036854775807"},
		{"CAST(1e19 AS INT) = ZOrder", "integer overflow at 1:1; integers range from -9223372036854775808 to 9223372036854775807"},
		{"CAST(-9.3e18 AS INTEGER) = ZOrder", "integer overflow at 1:1; integers range from -9223372036854775808 to 9223372036854775807"},
		{"CloudCover < 1e308 * 10", "double overflow at 1:20; doubles range from about -1.8e308 to 1.8e308"},
		{"CloudCover < -1.7e308 - 1.7e308", "double overflow at 1:23; doubles range from about -1.8e308 to 1.8e308"},
		{"CloudCover < 1e300 / 1e-10", "double overflow at 1:20; doubles range from about -1.8e308 to 1.8e308"},
		{"CloudCover > 1e-300 * 1e-300", "double underflow at 1:21; the result is closer to zero than a double can hold"},
		{"CloudCover > 1e-300 / 1e300", "double underflow at 1:21; the result is closer to zero than a double can hold"},
		{"POWER(10, 400) > CloudCover", "double overflow at 1:1; doubles range from about -1.8e308 to 1.8e308"},
		{"POWER(-10, 309) > CloudCover", "double overflow at 1:1; doubles range from about -1.8e308 to 1.8e308"},
		{"POWER(0.5, 2000) > CloudCover", "double underflow at 1:1; the result is closer to zero than a double can hold"},
		{"POWER(2, 1000 + 24) > CloudCover", "double overflow at 1:1; doubles range from about -1.8e308 to 1.8e308"},
		{"ROUND(1.7976931348623157e308) > CloudCover", "double overflow at 1:1; doubles range from about -1.8e308 to 1.8e308"},
		{"CloudCover < 2 * (1.0 * 9223372036854775807 * 1e289)", "double overflow at 1:16; doubles range from about -1.8e308 to 1.8e308"},
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
