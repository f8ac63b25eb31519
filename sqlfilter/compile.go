package sqlfilter

import (
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/Masterminds/squirrel"
)

// Dialect is the SQL engine a Filter is compiled for.
type Dialect int

// Dialects.
const (
	SQLite Dialect = iota
	Postgres
)

// String returns "sqlite" or "postgres".
func (d Dialect) String() string {
	if d == Postgres {
		return "postgres"
	}
	return "sqlite"
}

type config struct {
	dialect Dialect
	now     func() time.Time
}

// Option configures Compile (and OrderBySQL).
type Option func(*config)

// WithDialect selects the SQL dialect; the default is SQLite.
func WithDialect(d Dialect) Option {
	switch d {
	case SQLite:
		return withSQLite
	case Postgres:
		return withPostgres
	}
	return func(c *config) { c.dialect = d }
}

// Preallocated, so that WithDialect costs no allocation per request.
var (
	withSQLite   Option = func(c *config) { c.dialect = SQLite }
	withPostgres Option = func(c *config) { c.dialect = Postgres }
)

// WithNow sets the clock that CURRENT_DATE and CURRENT_TIMESTAMP read. They
// are evaluated once, by Compile, and bound as parameters. The default is
// time.Now.
func WithNow(now func() time.Time) Option { return func(c *config) { c.now = now } }

func (c *config) apply(opts []Option) {
	*c = config{dialect: SQLite, now: time.Now}
	for _, o := range opts {
		if o != nil {
			o(c)
		}
	}
	if c.now == nil {
		c.now = time.Now
	}
}

// Filter is a compiled where clause. It implements squirrel.Sqlizer and is
// immutable: it may be used from many goroutines.
type Filter struct {
	sql    string
	args   []any
	fields *Fields
	cols   []int32  // indices into fields, in order of first appearance
	argBuf [6]any   // backing store for args and cols, so that a typical
	colBuf [6]int32 // clause costs no allocations for them
}

var _ squirrel.Sqlizer = (*Filter)(nil)

// ToSql returns the SQL condition, with one `?` placeholder per argument.
// Callers must not modify the returned slice's elements; appending to it
// copies. Apply squirrel.Dollar for PostgreSQL.
func (f *Filter) ToSql() (string, []any, error) { return f.sql, f.args, nil }

// Columns returns the fields that the clause references, in order of first
// appearance.
func (f *Filter) Columns() []Field {
	out := make([]Field, len(f.cols))
	for i, c := range f.cols {
		out[i] = f.fields.list[c]
	}
	return out
}

// compiler holds everything one Compile needs, in one allocation.
type compiler struct {
	cfg config
	parser
	emitter
	nodeBuf [32]node
	kidBuf  [32]int32
}

// Compile parses, checks and compiles a where clause against fields. Every
// mistake in where is reported as an *Error; a blank clause gives an *Error
// whose cause is ErrEmpty. Other errors mean a programming mistake (a nil
// fields).
func Compile(where string, fields *Fields, opts ...Option) (*Filter, error) {
	if fields == nil {
		return nil, errors.New("sqlfilter: Compile needs fields")
	}
	if err := checkText(where, "where clause"); err != nil {
		return nil, err
	}
	c := new(compiler)
	c.cfg.apply(opts)
	f := &Filter{fields: fields}
	if err := c.compile(where, f); err != nil {
		return nil, err
	}
	return f, nil
}

func (c *compiler) compile(where string, f *Filter) (err error) {
	defer recoverFailure(&err)
	p := &c.parser
	*p = parser{src: where, lx: lexer{src: where}, fields: f.fields, now: c.cfg.now,
		nodes: c.nodeBuf[:0], kids: c.kidBuf[:0]}
	root := p.parse()
	p.check(root)

	e := &c.emitter
	*e = emitter{p: p, pg: c.cfg.dialect == Postgres, args: f.argBuf[:0]}
	if e.pg {
		e.b.Grow(len(where)*4 + 64)
	} else {
		e.b.Grow(len(where)*2 + 32)
	}
	e.emit(root)
	f.sql, f.args = e.b.String(), slices.Clip(e.args) // a caller's append must copy

	f.cols = f.colBuf[:0]
	for i := range p.nodes {
		if n := &p.nodes[i]; n.kind == nField && !slices.Contains(f.cols, n.fld) {
			f.cols = append(f.cols, n.fld)
		}
	}
	return nil
}

// checkText applies the limits that hold for any user text: its length,
// valid UTF-8, and no control characters other than tab and line breaks,
// anywhere, string literals included. Clauses end up in job messages, audit
// entries and logs; an escape sequence or a bidirectional override in them
// could rewrite what a terminal or a log viewer shows.
func checkText(s, what string) error {
	if len(s) > MaxLength {
		return newError(s[:MaxLength], MaxLength, "", "the "+what+" is longer than "+strconv.Itoa(MaxLength)+" bytes")
	}
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			if c == 0 {
				return newError(s, i, "", "NUL characters are not allowed")
			}
			if (c < 0x20 && !isSpace(c)) || c == 0x7f {
				return controlError(s, i, rune(c))
			}
			i++
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && size == 1:
			return newError(s, i, "", "the "+what+" is not valid UTF-8")
		case r >= 0x80 && r <= 0x9f, // C1 controls
			r >= 0x202a && r <= 0x202e, r >= 0x2066 && r <= 0x2069: // bidirectional embeddings, overrides, isolates
			return controlError(s, i, r)
		}
		i += size
	}
	if isBlank(s) {
		return &Error{Msg: "the " + what + " is empty", cause: ErrEmpty}
	}
	return nil
}

// isBlank reports whether s holds nothing but spaces, tabs and line breaks.
func isBlank(s string) bool { return strings.TrimLeft(s, " \t\n\r") == "" }

func controlError(s string, i int, r rune) error {
	return newError(s, i, "only spaces, tabs and line breaks may separate words, and strings cannot hold control characters; match them with _ in LIKE",
		fmt.Sprintf("control character U+%04X is not allowed", r))
}

// Constants of date arithmetic on epoch milliseconds.
const (
	// Day starts and day parts use floor division; adding dayShift (a
	// multiple of a day, about 2^62) makes any date after about 146 million
	// BC positive, so that truncating division and remainder floor.
	dayShift     = "4611686018371200000"
	dayShiftDays = "53375995583"
	// EXTRACT is defined for years 1 to 9999 and is NULL outside them.
	minDate = "-62135596800000"
	maxDate = "253402300799999"
)

type emitter struct {
	p    *parser
	pg   bool
	b    strings.Builder
	args []any
}

func (e *emitter) w(s string) { e.b.WriteString(s) }

func (e *emitter) arg(v any) {
	if len(e.args) == maxArgs {
		e.p.failf(0, "", "the clause is too complex")
	}
	e.b.WriteByte('?')
	e.args = append(e.args, v)
}

func pgType(t vtype) string {
	switch t {
	case vDouble:
		return "DOUBLE PRECISION"
	case vString:
		return "TEXT"
	case vBool:
		return "BOOLEAN"
	}
	return "BIGINT"
}

// param writes a placeholder for v. PostgreSQL gets an explicit type, so
// that it never has to guess one from context.
func (e *emitter) param(t vtype, v any) {
	if !e.pg {
		e.arg(v)
		return
	}
	e.w("CAST(")
	e.arg(v)
	e.w(" AS ")
	e.w(pgType(t))
	e.w(")")
}

func (e *emitter) emit(id int32) {
	if e.b.Len() > maxSQL {
		e.p.failf(0, "", "the clause is too complex")
	}
	n := &e.p.nodes[id]
	switch n.kind {
	case nLit:
		switch n.typ {
		case vDouble:
			e.param(vDouble, n.f)
		case vString:
			e.param(vString, n.s)
		default:
			e.param(n.typ, n.i)
		}
	case nNull:
		if e.pg && n.typ != vNull {
			e.w("CAST(NULL AS " + pgType(n.typ) + ")")
		} else {
			e.w("NULL")
		}
	case nBool:
		if n.i == 1 {
			e.w("(1=1)")
		} else {
			e.w("(1=0)")
		}
	case nField:
		e.w(e.p.fields.list[n.fld].Column)
	case nNeg:
		if tokKind(n.op) == tokPlus {
			e.emit(n.a)
			return
		}
		e.w("(-")
		e.emit(n.a)
		e.w(")")
	case nArith:
		e.w("(")
		e.emit(n.a)
		switch tokKind(n.op) {
		case tokPlus:
			e.w(" + ")
		case tokMinus:
			e.w(" - ")
		case tokStar:
			e.w(" * ")
		case tokSlash: // x/0 is NULL in SQLite and an error in PostgreSQL: make it NULL
			e.w(" / NULLIF(")
			e.emit(n.b)
			e.w(", 0))")
			return
		}
		e.emit(n.b)
		e.w(")")
	case nCmp:
		e.w("(")
		e.emit(n.a)
		op := tokKind(n.op)
		if op != tokEq && op != tokNe {
			e.collate(n.a)
		}
		switch op {
		case tokEq:
			e.w(" = ")
		case tokNe:
			e.w(" <> ")
		case tokLt:
			e.w(" < ")
		case tokLe:
			e.w(" <= ")
		case tokGt:
			e.w(" > ")
		case tokGe:
			e.w(" >= ")
		}
		e.emit(n.b)
		e.w(")")
	case nAnd:
		e.balanced(e.p.kidsOf(n), " AND ")
	case nOr:
		e.balanced(e.p.kidsOf(n), " OR ")
	case nNot:
		e.w("(NOT ")
		e.emit(n.a)
		e.w(")")
	case nIsNull:
		e.w("(")
		e.emit(n.a)
		if n.not {
			e.w(" IS NOT NULL)")
		} else {
			e.w(" IS NULL)")
		}
	case nLike:
		e.like(n)
	case nIn:
		e.w("(")
		e.emit(n.a)
		if n.not {
			e.w(" NOT IN (")
		} else {
			e.w(" IN (")
		}
		for i, k := range e.p.kidsOf(n) {
			if i > 0 {
				e.w(", ")
			}
			e.emit(k)
		}
		e.w("))")
	case nBetween:
		e.w("(")
		e.emit(n.a)
		e.collate(n.a)
		if n.not {
			e.w(" NOT BETWEEN ")
		} else {
			e.w(" BETWEEN ")
		}
		e.emit(n.b)
		e.w(" AND ")
		e.emit(n.c)
		e.w(")")
	case nCall:
		e.call(n)
	case nCast:
		e.cast(n)
	case nExtract:
		e.extract(n)
	}
}

// collate makes PostgreSQL order strings by code point, as SQLite does,
// whatever the database's collation.
func (e *emitter) collate(id int32) {
	if e.pg && e.p.nodes[id].typ == vString {
		e.w(` COLLATE "C"`)
	}
}

// balanced writes an AND or OR chain as a balanced tree, so that long chains
// stay far below the engines' expression-depth limits.
func (e *emitter) balanced(ks []int32, op string) {
	if len(ks) == 1 {
		e.emit(ks[0])
		return
	}
	mid := len(ks) / 2
	e.w("(")
	e.balanced(ks[:mid], op)
	e.w(op)
	e.balanced(ks[mid:], op)
	e.w(")")
}

// like writes LIKE, which is case-sensitive in both dialects: PostgreSQL's
// LIKE under the "C" collation, and SQLite's GLOB on a translated pattern.
func (e *emitter) like(n *node) {
	pat := &e.p.nodes[n.b]
	esc := rune(-1)
	if n.i == 1 {
		esc, _ = utf8.DecodeRuneInString(n.s)
	}
	e.w("(")
	e.emit(n.a)
	if e.pg {
		if n.not {
			e.w(` COLLATE "C" NOT LIKE `)
		} else {
			e.w(` COLLATE "C" LIKE `)
		}
		e.emit(n.b)
		if esc >= 0 {
			e.w(" ESCAPE ")
			e.param(vString, n.s)
		} else {
			e.w(" ESCAPE ''") // PostgreSQL's default escape is a backslash; SQL's is none
		}
		e.w(")")
		return
	}
	if n.not {
		e.w(" NOT GLOB ")
	} else {
		e.w(" GLOB ")
	}
	g, _ := likeToGlob(pat.s, esc) // the checker made sure pat is a valid literal
	e.arg(g)
	e.w(")")
}

func (e *emitter) call(n *node) {
	ks := e.p.kidsOf(n)
	switch fn(n.op) {
	case fnCharLength:
		if e.pg {
			e.w("CHAR_LENGTH(")
		} else {
			e.w("LENGTH(")
		}
		e.emit(ks[0])
		e.w(")")
	case fnConcat: // NULL arguments count as empty strings
		e.w("(")
		for i, k := range ks {
			if i > 0 {
				e.w(" || ")
			}
			e.w("COALESCE(")
			e.emit(k)
			e.w(", '')")
		}
		e.w(")")
	case fnLower, fnUpper: // ASCII letters only, in both dialects
		e.w(fnNames[n.op])
		e.w("(")
		e.emit(ks[0])
		if e.pg {
			e.w(` COLLATE "C"`)
		}
		e.w(")")
	case fnTrim:
		switch {
		case n.i == trimLeading:
			e.w("LTRIM(")
		case n.i == trimTrailing:
			e.w("RTRIM(")
		case e.pg:
			e.w("BTRIM(")
		default:
			e.w("TRIM(")
		}
		e.emit(ks[0])
		if len(ks) > 1 {
			e.w(", ")
			e.emit(ks[1])
		}
		e.w(")")
	case fnSubstring:
		e.substring(ks)
	case fnPosition:
		if e.pg {
			e.w("POSITION(")
			e.emit(ks[0])
			e.w(" IN ")
			e.emit(ks[1])
		} else {
			e.w("INSTR(")
			e.emit(ks[1])
			e.w(", ")
			e.emit(ks[0])
		}
		e.w(")")
	case fnAbs:
		e.w("ABS(")
		e.emit(ks[0])
		e.w(")")
	case fnCeiling, fnFloor:
		if n.typ == vInt {
			e.emit(ks[0])
			return
		}
		switch {
		case e.pg && fn(n.op) == fnCeiling:
			e.w("CEIL(")
		case e.pg:
			e.w("FLOOR(")
		case fn(n.op) == fnCeiling:
			e.w("sqlfilter_ceil(")
		default:
			e.w("sqlfilter_floor(")
		}
		e.emit(ks[0])
		e.w(")")
	case fnRound, fnTruncate:
		e.round(n, ks)
	case fnPower:
		if !e.pg {
			e.w("sqlfilter_power(")
			e.emit(ks[0])
			e.w(", ")
			e.emit(ks[1])
			e.w(")")
			return
		}
		// 0 to a negative power is NULL, not an error: NULLIF(x, 0) when
		// the exponent is negative, NULLIF(x, NULL), which is x, otherwise.
		e.w("POWER(CAST(")
		switch exp := &e.p.nodes[ks[1]]; {
		case exp.kind == nLit && exp.i < 0:
			e.w("NULLIF(")
			e.emit(ks[0])
			e.w(", 0)")
		case exp.kind == nLit || exp.kind == nNull:
			e.emit(ks[0])
		default:
			e.w("NULLIF(")
			e.emit(ks[0])
			e.w(", CASE WHEN ")
			e.emit(ks[1])
			e.w(" < 0 THEN 0 END)")
		}
		e.w(" AS DOUBLE PRECISION), CAST(")
		e.emit(ks[1])
		e.w(" AS DOUBLE PRECISION))")
	case fnMod:
		e.w("(")
		e.emit(ks[0])
		e.w(" % NULLIF(")
		e.emit(ks[1])
		e.w(", 0))")
	case fnLog, fnLog10: // NULL, not an error, for numbers <= 0
		switch {
		case !e.pg && fn(n.op) == fnLog:
			e.w("sqlfilter_ln(")
		case !e.pg:
			e.w("sqlfilter_log10(")
		case fn(n.op) == fnLog:
			e.w("LN(NULLIF(GREATEST(CAST(")
		default:
			e.w("LOG(NULLIF(GREATEST(CAST(")
		}
		e.emit(ks[0])
		if e.pg {
			e.w(" AS DOUBLE PRECISION), 0), 0))")
		} else {
			e.w(")")
		}
	case fnCoalesce, fnNullif:
		e.w(fnNames[n.op])
		e.w("(")
		for i, k := range ks {
			if i > 0 {
				e.w(", ")
			}
			e.coerce(k, n.typ)
		}
		e.w(")")
	}
}

// coerce writes k converted to t where the engines would otherwise keep an
// integer: SQLite's COALESCE(1, 2.5) is the integer 1.
func (e *emitter) coerce(k int32, t vtype) {
	if t != vDouble || e.p.nodes[k].typ != vInt {
		e.emit(k)
		return
	}
	e.w("CAST(")
	e.emit(k)
	if e.pg {
		e.w(" AS DOUBLE PRECISION)")
	} else {
		e.w(" AS REAL)")
	}
}

// substring writes SQL's SUBSTRING(s FROM i FOR n): characters i to i+n-1
// that exist. SQLite's substr differs for i < 1 and negative n, so it gets
// sqlfilter_substr unless both are literals that agree. A negative length
// yields an empty string in both dialects.
func (e *emitter) substring(ks []int32) {
	if e.pg { // clamp to 32 bits; int8larger and int8smaller, unlike GREATEST and LEAST, keep NULLs
		e.w("SUBSTRING(")
		e.emit(ks[0])
		e.w(" FROM CAST(int8smaller(int8larger(")
		e.emit(ks[1])
		e.w(", -2147483648), 2147483647) AS INTEGER)")
		if len(ks) > 2 {
			e.w(" FOR CAST(int8smaller(int8larger(")
			e.emit(ks[2])
			e.w(", 0), 2147483647) AS INTEGER)")
		}
		e.w(")")
		return
	}
	native := e.isLit(ks[1], 1)
	if len(ks) > 2 {
		native = native && e.isLit(ks[2], 0)
	}
	if native {
		e.w("SUBSTR(")
	} else {
		e.w("sqlfilter_substr(")
	}
	for i, k := range ks {
		if i > 0 {
			e.w(", ")
		}
		e.emit(k)
	}
	e.w(")")
}

// isLit reports whether k is an integer literal >= min.
func (e *emitter) isLit(k int32, min int64) bool {
	n := &e.p.nodes[k]
	return n.kind == nLit && n.typ == vInt && n.i >= min
}

// round writes ROUND and TRUNCATE the way PostgreSQL computes them on
// NUMERIC (a double first becomes 15 significant digits); sqlfilter_round
// and sqlfilter_trunc do the same in SQLite.
func (e *emitter) round(n *node, ks []int32) {
	name := "ROUND("
	if fn(n.op) == fnTruncate {
		name = "TRUNC("
	}
	if !e.pg {
		if fn(n.op) == fnTruncate {
			e.w("sqlfilter_trunc(")
		} else {
			e.w("sqlfilter_round(")
		}
		e.emit(ks[0])
		e.w(", ")
		if len(ks) > 1 {
			e.emit(ks[1])
		} else {
			e.w("0")
		}
		e.w(")")
		return
	}
	e.w("CAST(")
	e.w(name)
	e.w("CAST(")
	e.emit(ks[0])
	e.w(" AS NUMERIC), ")
	if len(ks) > 1 {
		e.w("CAST(int8smaller(int8larger(")
		e.emit(ks[1])
		e.w(", -2000), 2000) AS INTEGER)")
	} else {
		e.w("0")
	}
	e.w(") AS DOUBLE PRECISION)")
}

func (e *emitter) cast(n *node) {
	from := e.p.nodes[n.a].typ
	switch n.op {
	case castInt:
		if from != vDouble {
			e.emit(n.a)
			return
		}
		if e.pg { // truncate toward zero, as SQLite does
			e.w("CAST(TRUNC(")
			e.emit(n.a)
			e.w(") AS BIGINT)")
		} else {
			e.w("CAST(")
			e.emit(n.a)
			e.w(" AS INTEGER)")
		}
	case castDouble:
		e.coerce(n.a, vDouble)
	case castString:
		if n.i > 0 {
			e.w("SUBSTR(")
		}
		if from == vInt {
			e.w("CAST(")
			e.emit(n.a)
			e.w(" AS TEXT)")
		} else {
			e.emit(n.a)
		}
		if n.i > 0 {
			e.w(", 1, ")
			e.w(strconv.FormatInt(n.i, 10))
			e.w(")")
		}
	case castDate:
		if from != vDate {
			e.emit(n.a)
			return
		}
		e.w("(((")
		e.emit(n.a)
		e.w(" + " + dayShift + ") / 86400000 - " + dayShiftDays + ") * 86400000)")
	default: // castTimestamp
		e.emit(n.a)
	}
}

// extract writes EXTRACT on epoch milliseconds, in UTC. Outside years 1 to
// 9999 the result is NULL.
func (e *emitter) extract(n *node) {
	e.w("(CASE WHEN ")
	e.emit(n.a)
	e.w(" BETWEEN " + minDate + " AND " + maxDate + " THEN ")
	switch n.op {
	case partHour, partMinute:
		unit, div := "86400000", "3600000"
		if n.op == partMinute {
			unit, div = "3600000", "60000"
		}
		e.w("((")
		e.emit(n.a)
		e.w(" + " + minDate[1:] + ") % " + unit + ") / " + div)
	case partSecond:
		e.w("CAST((")
		e.emit(n.a)
		if e.pg {
			e.w(" + " + minDate[1:] + ") % 60000 AS DOUBLE PRECISION) / 1000")
		} else {
			e.w(" + " + minDate[1:] + ") % 60000 AS REAL) / 1000")
		}
	default:
		part, format := "YEAR", "'%Y'"
		switch n.op {
		case partMonth:
			part, format = "MONTH", "'%m'"
		case partDay:
			part, format = "DAY", "'%d'"
		}
		if e.pg {
			e.w("CAST(EXTRACT(" + part + " FROM TO_TIMESTAMP(CAST(")
			e.emit(n.a)
			e.w(" AS DOUBLE PRECISION) / 1000) AT TIME ZONE 'UTC') AS BIGINT)")
		} else {
			e.w("CAST(strftime(" + format + ", ")
			e.emit(n.a)
			e.w(" / 1000.0, 'unixepoch') AS INTEGER)")
		}
	}
	e.w(" END)")
}
