// Package sqlfilter compiles the SQL-like text that ArcGIS clients send into
// safe SQL for SQLite or PostgreSQL: the where clauses of DeleteImage, of the
// ImageServer query and of mosaicRule, and the query's outFields and
// orderByFields.
//
// The language is ArcGIS's standardized SQL. The compiler decides which rows
// DeleteImage removes, so it accepts that language, gives it the meaning
// ArcGIS gives it on a file geodatabase, gives it the same meaning on both
// engines, and rejects everything else.
//
// # Use
//
//	fields, _ := sqlfilter.NewFields(
//		sqlfilter.Field{Name: "OBJECTID", Column: `"OBJECTID"`, Type: sqlfilter.Integer},
//		sqlfilter.Field{Name: "CloudCover", Column: `"CloudCover"`, Type: sqlfilter.Double},
//		sqlfilter.Field{Name: "AcquisitionDate", Column: `"AcquisitionDate"`, Type: sqlfilter.Date},
//	)
//	flt, err := sqlfilter.Compile("CloudCover < 10 AND AcquisitionDate >= DATE '2020-01-01'", fields,
//		sqlfilter.WithDialect(sqlfilter.Postgres))
//	var e *sqlfilter.Error
//	if errors.As(err, &e) {
//		// e.Error(): `unknown field "CloudCovr" at 1:1; did you mean "CloudCover"?`
//	}
//	q := squirrel.Select(`"OBJECTID"`).From("items").Where(flt).PlaceholderFormat(squirrel.Dollar)
//
// A Filter is a squirrel.Sqlizer whose SQL has only `?` placeholders, one per
// argument. Compiling a typical five-predicate clause takes well under 20 µs
// and five or six allocations (see BenchmarkCompile).
// SQL compiled for SQLite may call the functions of SQLiteFunctions, which the
// store registers on every connection.
//
// # Safety
//
// Text goes through a lexer, a recursive-descent parser, a type checker
// against the Fields allow-list, and an emitter. Identifiers in the SQL come
// only from Field.Column; every value the user wrote becomes a placeholder;
// the only other text is the compiler's own keywords, functions and
// constants. Clauses are limited to MaxLength bytes of valid UTF-8 without
// NUL, MaxDepth levels of nesting, MaxNodes syntax-tree nodes and MaxInValues
// values per IN list. Every mistake is an *Error naming the problem and its
// line and column; its text never holds SQL, table names or driver messages.
//
// # Grammar
//
//	condition  := or
//	or         := and { OR and }
//	and        := not { AND not }
//	not        := NOT not | predicate
//	predicate  := value [ (= | <> | != | < | <= | > | >=) value
//	                    | IS [NOT] NULL
//	                    | [NOT] LIKE value [ESCAPE 'c']
//	                    | [NOT] IN ( value {, value} )
//	                    | [NOT] BETWEEN value AND value ]
//	value      := term { (+ | -) term }
//	term       := factor { (* | /) factor }
//	factor     := (- | +) factor | primary
//	primary    := number | 'string' | NULL | TRUE | FALSE
//	            | DATE 'YYYY-MM-DD' | TIMESTAMP 'YYYY-MM-DD[ hh:mm[:ss[.fff]]]'
//	            | CURRENT_DATE[()] | CURRENT_TIMESTAMP[()]
//	            | field | "field" | ( condition ) | function
//
// Functions: EXTRACT(YEAR|MONTH|DAY|HOUR|MINUTE|SECOND FROM date),
// CHAR_LENGTH(s), CONCAT(s, s, …), LOWER(s), UPPER(s),
// TRIM([BOTH|LEADING|TRAILING] [chars] FROM s), TRIM(s),
// SUBSTRING(s FROM i [FOR n]) or SUBSTRING(s, i [, n]), POSITION(a IN b),
// ABS(x), CEILING(x), FLOOR(x), ROUND(x [, n]), TRUNCATE(x [, n]),
// POWER(x, n), MOD(a, b), LOG(x), LOG10(x), COALESCE(a, b, …), NULLIF(a, b),
// CAST(x AS INT|INTEGER|FLOAT|REAL|DOUBLE [PRECISION]|CHAR[(n)]|VARCHAR[(n)]|DATE|TIMESTAMP).
//
// Keywords and function names are case-insensitive. Field names match the
// allow-list ignoring case, bare (ASCII letters, digits, _) or in double
// quotes ("" for a quote). AND, OR, NOT, NULL, TRUE, FALSE, IS, IN, LIKE,
// ESCAPE, BETWEEN, CURRENT_DATE, CURRENT_TIMESTAMP, SELECT and EXISTS are
// reserved: quote a field with such a name. Other keywords (DATE, YEAR, FROM
// …) also work as bare field names.
//
// # Meaning
//
// Types are checked before anything runs. Numbers compare with numbers,
// strings with strings, dates with dates; anything else, such as a date with
// a string or with an epoch number, is an error that suggests a DATE or
// TIMESTAMP literal. The clause must be a condition.
//
// NULL follows SQL's three-valued logic, which both engines implement: the
// compiled SQL is plain SQL, fully parenthesized, so the engine evaluates
// it. A NULL literal takes the type of its context. TRUE and FALSE compile
// to (1=1) and (1=0).
//
// Letter case: LIKE and = are case-sensitive, as are <, >, BETWEEN and
// ORDER BY, which compare by Unicode code point. ArcGIS documents strings as
// case-sensitive in expressions on file geodatabases (only personal
// geodatabases ignore case) and tells users to write
// UPPER(FIELD) LIKE 'ABC%' to ignore case; the compiler does the same on
// both engines. (Hosted feature services in ArcGIS Online, stored in SQL
// Server, do ignore case; a file geodatabase is the reference here.)
// PostgreSQL gets LIKE and comparisons under COLLATE "C"; SQLite's LIKE,
// which ignores ASCII case, is replaced by GLOB on a translated pattern.
// Without ESCAPE no character escapes (PostgreSQL's default backslash is
// disabled). UPPER and LOWER change ASCII letters only, on both engines
// (SQLite's built-ins cannot do more), so that results do not depend on a
// database's locale.
//
// Dates are INTEGER epoch milliseconds (UTC) in both dialects. DATE and
// TIMESTAMP literals are UTC; a DATE is midnight, so AcquisitionDate =
// DATE '2020-01-01' matches midnight only. CURRENT_DATE and CURRENT_TIMESTAMP
// are read once, by Compile (see WithNow), in UTC. EXTRACT works in UTC:
// YEAR, MONTH, DAY, HOUR and MINUTE are integers, SECOND is a double with the
// milliseconds; it is NULL for dates outside years 1 to 9999. Date
// arithmetic is not supported.
//
// Arithmetic: an integer divided by an integer truncates toward zero (7 / 2
// is 3, -7 / 2 is -3), as in both engines; write 7 / 2.0 for 3.5. Division
// and MOD by zero give NULL. MOD takes integers and keeps the dividend's sign.
//
// CAST: INT truncates toward zero; FLOAT, REAL and DOUBLE all mean a 64-bit
// double; CHAR(n) and VARCHAR(n) cut to n characters and never pad, and
// accept strings and integers; DATE floors a date to midnight and TIMESTAMP
// keeps it. A string converts to a number or a date only as a literal, which
// is checked and folded at compile time (CAST('2020-01-01' AS DATE)).
//
// Functions: CONCAT treats NULL as an empty string. SUBSTRING follows SQL
// (positions before 1 count; a negative length gives ”). TRIM removes any of
// the given characters (a space by default). ROUND (half away from zero) and
// TRUNCATE return doubles and work as PostgreSQL's NUMERIC versions do, on the
// 15 significant digits of a double: ROUND(2.675, 2) is 2.68. LOG is the
// natural logarithm, LOG10 base 10; both are NULL for numbers <= 0. POWER's
// exponent must be an integer literal; 0 to a negative power is NULL.
// COALESCE and NULLIF of integers and doubles return doubles.
//
// # Rejected
//
// Subqueries (SELECT, EXISTS), statement separators (;), comments (-- and
// /* */), the || operator (use CONCAT), square-bracket names, parameters (?,
// :name, @name, $1), database-specific functions (NVL, TO_DATE, DATEADD,
// LENGTH, SUBSTR … with a hint to the standard one), CASE, CURRENT_TIME,
// INTERVAL and date arithmetic, ILIKE and regular expressions, == and !,
// chained comparisons (a = b = c), conditions used as values, a TIMESTAMP
// finer than a millisecond, CAST of a string column to a number or date,
// CAST of a double or a date to a string, and non-literal POWER exponents.
//
// # Engines
//
// For SQLite, tables should be STRICT (or columns otherwise hold only their
// declared type), and SQLiteFunctions must be registered: clauses that use
// CEILING or FLOOR of doubles, ROUND, TRUNCATE, POWER, LOG, LOG10, LIKE with a
// pattern that is not a literal, or SUBSTRING with positions that are not
// literals >= 1 call them. For PostgreSQL, Integer and Date columns should be
// BIGINT, Double columns DOUBLE PRECISION and String columns TEXT or VARCHAR;
// every parameter is cast to its type, so no type is guessed. OrderBySQL with
// WithDialect(Postgres) sorts strings by code point and NULLs first in
// ascending order, as SQLite does.
//
// The engines still differ in corners. PostgreSQL fails the query where a
// value overflows: integer overflow, a double overflowing or underflowing
// (POWER(10, 400)), CAST to INT of a double beyond 64 bits, dates beyond
// about ±146 million years; SQLite returns a double, an infinity, zero or
// a saturated integer. PostgreSQL also fails on a LIKE pattern computed
// from fields that ends with its ESCAPE character, which matches nothing
// in SQLite. Such queries fail rather than select other rows. Integers
// beyond 2^53 compared with doubles compare exactly in SQLite and as
// doubles in PostgreSQL, and LOG and POWER may differ in the last bit
// between Go's and the C library's math.
package sqlfilter
