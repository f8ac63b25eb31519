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
// control characters (tab and line breaks aside), MaxDepth levels of
// nesting, MaxNodes syntax-tree nodes and MaxInValues values per IN list.
// Every mistake is an *Error naming the problem and its line and column; its
// text never holds SQL, table names or driver messages.
//
// No clause can become an internal error. Compile rejects every clause
// whose literals alone give a value out of range; the compiled SQL guards
// division, MOD, LOG, POWER of zero, SUBSTRING and EXTRACT; what remains
// can only fail on some data (an integer result beyond 64 bits, say), and
// RuntimeError turns that failure into an *Error the caller reports like a
// compile error. The tests and fuzzers run compiled clauses on real SQLite
// and PostgreSQL and accept no other failure.
//
// # Grammar
//
//	condition  := or
//	or         := and { OR and }
//	and        := not { AND not }
//	not        := NOT not | predicate
//	predicate  := value [ (= | <> | != | < | <= | > | >=) value
//	                    | IS [NOT] NULL
//	                    | [NOT] LIKE 'pattern' [ESCAPE 'c']
//	                    | [NOT] IN ( value {, value} )
//	                    | [NOT] BETWEEN value AND value ]
//	value      := term { (+ | -) term }
//	term       := factor { (* | /) factor }
//	factor     := (- | +) factor | primary
//	primary    := number | 'string' | NULL | TRUE | FALSE
//	            | DATE 'YYYY-MM-DD' | TIMESTAMP 'YYYY-MM-DD hh:mm:ss[.fff]'
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
// Words are separated by spaces, tabs and line breaks. Keywords and function
// names are case-insensitive. Field names match the allow-list ignoring
// case, bare (ASCII letters, digits, _) or in double quotes ("" for a
// quote). AND, OR, NOT, NULL, TRUE, FALSE, IS, IN, LIKE,
// ESCAPE, BETWEEN, CURRENT_DATE, CURRENT_TIMESTAMP, SELECT and EXISTS are
// reserved: quote a field with such a name. Other keywords (DATE, YEAR, FROM
// …) also work as bare field names.
//
// # Meaning
//
// Types are checked before anything runs. Numbers compare with numbers,
// strings with strings, dates with dates; anything else, such as a date with
// a string or with an epoch number, is an error that suggests a DATE or
// TIMESTAMP literal. The clause, and every operand of AND, OR and NOT, must
// be a condition: a comparison or other predicate, TRUE or FALSE.
//
// NULL follows SQL's three-valued logic, which both engines implement: the
// compiled SQL is plain SQL, fully parenthesized, so the engine evaluates
// it. A NULL literal is a value and takes the type of its context; it is
// not a condition. TRUE and FALSE compile to (1=1) and (1=0).
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
// The pattern is a string literal, checked at compile time. Without ESCAPE
// no character escapes (PostgreSQL's default backslash is disabled); with
// it, the escape character must precede %, _ or itself. UPPER and LOWER
// change ASCII letters only, on both engines (SQLite's built-ins cannot do
// more), so that results do not depend on a database's locale.
//
// Dates are INTEGER epoch milliseconds (UTC) in both dialects. DATE and
// TIMESTAMP literals are UTC; a DATE is midnight, so AcquisitionDate =
// DATE '2020-01-01' matches midnight only. A DATE literal is exactly
// 'YYYY-MM-DD'; a TIMESTAMP literal is 'YYYY-MM-DD hh:mm:ss' with an
// optional fraction of up to nine digits, none finer than a millisecond.
// CURRENT_DATE and CURRENT_TIMESTAMP are read once, by Compile (see
// WithNow), in UTC. EXTRACT works in UTC: YEAR, MONTH, DAY, HOUR and MINUTE
// are integers, SECOND is a double with the milliseconds; it is NULL for
// dates outside years 1 to 9999. Date arithmetic is not supported.
//
// Arithmetic: integers are 64-bit and doubles are IEEE 754 doubles. An
// integer divided by an integer truncates toward zero (7 / 2 is 3, -7 / 2
// is -3), as in both engines; write 7 / 2.0 for 3.5. Division and MOD by
// zero give NULL. MOD takes integers and keeps the dividend's sign. A value
// out of range (an integer beyond 64 bits, a double beyond ±1.8e308, a
// nonzero double product or quotient that rounds to zero) is an error, as
// SQL-92 makes it: at compile time, with its position, when literals alone
// produce it (9223372036854775807 + 1, ABS(-9223372036854775808),
// POWER(10, 400)); at run time, through RuntimeError, when data does (on
// PostgreSQL; SQLite mostly carries on, see Engines).
//
// CAST: INT truncates toward zero; FLOAT, REAL and DOUBLE all mean a 64-bit
// double; CHAR(n) and VARCHAR(n) cut to n characters and never pad, and
// accept strings and integers; DATE floors a date to midnight and TIMESTAMP
// keeps it. A string converts to a number or a date only as a literal, which
// is checked and folded at compile time: CAST('2020-01-01' AS DATE) and
// CAST('2020-01-01 12:00:00' AS TIMESTAMP) take the forms of the literals
// (leading and trailing spaces aside).
//
// Functions: CONCAT treats NULL as an empty string. SUBSTRING follows SQL
// (positions before 1 count; a negative length gives ”). TRIM removes any of
// the given characters (a space by default). ROUND (half away from zero) and
// TRUNCATE return doubles and work as PostgreSQL's NUMERIC versions do, on the
// 15 significant digits of a double: ROUND(2.675, 2) is 2.68. LOG is the
// natural logarithm, LOG10 base 10; both are NULL for numbers <= 0. POWER's
// exponent is any integer expression (POWER(2, Category)); 0 to a negative
// power is NULL. COALESCE and NULLIF of integers and doubles return doubles.
//
// # Rejected
//
// Subqueries (SELECT, EXISTS), statement separators (;), comments (-- and
// /* */), the || operator (use CONCAT), square-bracket names, parameters (?,
// :name, @name, $1), database-specific functions (NVL, TO_DATE, DATEADD,
// LENGTH, SUBSTR … with a hint to the standard one), CASE, CURRENT_TIME,
// INTERVAL and date arithmetic, ILIKE and regular expressions, == and !,
// chained comparisons (a = b = c), conditions used as values and values
// (NULL included) used as conditions, integer literals beyond 64 bits,
// literal-only values out of range, LIKE patterns that are not string
// literals or hold an invalid escape sequence, DATE literals with a time,
// TIMESTAMP literals without one or with a T, a TIMESTAMP finer than a
// millisecond, CAST of a string column to a number or date, CAST of a
// double or a date to a string, POWER exponents that are not integers, and
// control characters other than tab and line breaks, even in strings.
//
// # Engines
//
// For SQLite, tables should be STRICT (or columns otherwise hold only their
// declared type), and SQLiteFunctions must be registered: clauses that use
// CEILING or FLOOR of doubles, ROUND, TRUNCATE, POWER, LOG, LOG10, or
// SUBSTRING with positions that are not literals >= 1 call them. For
// PostgreSQL, Integer and Date columns should be BIGINT, Double columns
// DOUBLE PRECISION and String columns TEXT or VARCHAR; every parameter is
// cast to its type, so no type is guessed. OrderBySQL with
// WithDialect(Postgres) sorts strings by code point and NULLs first in
// ascending order, as SQLite does.
//
// The engines still differ in corners, all where data takes a value out of
// range. PostgreSQL fails the query, as SQL-92 asks: integer overflow, a
// double overflowing or underflowing (POWER(2, Category) with Category =
// 2000), CAST to INT of a double beyond 64 bits, ROUND beyond the largest
// double, dates beyond about ±146 million years. SQLite fails only on ABS
// of the smallest integer; elsewhere it carries on with a double (integer
// overflow), an infinity or zero (double overflow and underflow) or a
// saturated integer (CAST to INT), so a comparison with such a value can
// differ from exact arithmetic. A failure on either engine is an *Error
// through RuntimeError. Integers beyond 2^53 compared with doubles compare
// exactly in SQLite and as doubles in PostgreSQL, and LOG and POWER may
// differ in the last bit between Go's and the C library's math.
//
// # Decisions
//
// Where ArcGIS's standardized queries leave a case open, the compiler
// follows SQL-92 and the safety of DeleteImage. Each decision, with its
// reason:
//
//   - A blank clause (spaces, tabs and line breaks only) is an *Error whose
//     cause is ErrEmpty; its meaning is the caller's. The ImageServer query
//     selects every item; DeleteImage refuses it and suggests 1=1, as
//     ArcGIS's Remove Rasters From Mosaic Dataset refuses to run without a
//     query and its REST DeleteImage requires where: an empty form field
//     must never delete a catalog.
//   - An integer literal beyond 64 bits (9223372036854775808) is an error
//     at its position. ArcGIS's widest integer field is 64-bit, and reading
//     the literal as a double would silently turn 9223372036854775809 into
//     2^63; write 9223372036854775808.0 for a double.
//   - A value out of range is an error, as SQL-92 defines it ("numeric
//     value out of range"), never a wrapped, saturated or infinite value
//     that could select other rows. Literals alone: at compile time, with
//     the position of the operator or function (ABS(-9223372036854775808),
//     9223372036854775807 + 1, 1e308 * 10, 1e-300 * 1e-300, POWER(10, 400),
//     CAST(1e19 AS INT)). Data: at run time, reported by RuntimeError,
//     since the compiler cannot know the values; SQLite, which instead
//     turns most overflows into doubles, keeps its behaviour (see Engines).
//   - NULL is not a condition, nor is any other value: NULL, NOT NULL,
//     NULL OR x and COALESCE(NULL, NULL) are rejected as 1 is. SQL-92
//     builds conditions from predicates and has no literal for unknown;
//     WHERE NULL selects nothing and almost always means IS NULL, which the
//     error suggests. TRUE and FALSE stay: they are explicit.
//   - LIKE's pattern must be a string literal. SQL-92's Entry level, which
//     standardized queries stay within, asks for a literal; a pattern read
//     from data (Name LIKE Tag) matches every row whose Tag is '%', which
//     in a DeleteImage is a catalog gone; its escapes could only be checked
//     at run time, where the engines disagree; and SQLite would call Go for
//     every row. A constant expression (UPPER('x%')) is refused as well:
//     write 'X%'. To compare two fields, use =.
//   - In a LIKE pattern the ESCAPE character may precede only %, _ or
//     itself, and may not end the pattern: SQL-92 makes anything else an
//     invalid escape sequence. The error points at the escape character.
//   - DATE literals are 'YYYY-MM-DD' and TIMESTAMP literals 'YYYY-MM-DD
//     hh:mm:ss[.fff]', with a space and the seconds: SQL-92's forms and the
//     only ones ArcGIS documents. TIMESTAMP '2020-01-01' (write DATE, or add
//     00:00:00) and TIMESTAMP '2020-01-01T00:00:00' (ISO 8601, not SQL) are
//     errors whose hints give the fix, so that the two literals never
//     overlap. CAST of a string literal to DATE or TIMESTAMP takes the same
//     forms.
//   - Only spaces, tabs and line breaks separate words; vertical tab, form
//     feed and every other control character (C0, DEL, C1) and Unicode's
//     bidirectional embeddings, overrides and isolates are refused
//     anywhere, strings included. Clauses are echoed into job messages,
//     the audit log and server logs, where an ESC sequence could rewrite a
//     terminal and a bidirectional override make a logged clause read
//     differently from the one that ran. Values holding such characters are
//     still found with _ in LIKE.
//   - POWER's exponent may be any integer expression (POWER(2, Category)),
//     as ArcGIS documents POWER(numeric_exp, integer_exp); a double exponent
//     is refused, since a negative base would have no real result.
//     Overflow is handled rather than refused in advance: it is an error
//     when it happens (compile time for literals, run time for data), and
//     0 to a negative power is NULL on both engines.
package sqlfilter
