package sqlfilter

import (
	"fmt"
	"math"
	"strconv"
	"time"
	"unicode/utf8"
)

// Limits on user text. They bound the work and memory of a compile and the
// size of the SQL that reaches the database.
const (
	MaxLength   = 16 << 10 // bytes of clause text
	MaxDepth    = 64       // levels of nesting
	MaxNodes    = 2000     // syntax-tree nodes; IN-list literals do not count
	MaxInValues = 10000    // values in one IN list
	maxSQL      = 1 << 20  // bytes of generated SQL
	maxArgs     = 30000    // placeholders in generated SQL; SQLite allows 32766
)

// failure carries an *Error out of the parser by panic; parse recovers it.
type failure struct{ err *Error }

func fail(src string, off int, hint, format string, args ...any) {
	panic(failure{newError(src, off, hint, fmt.Sprintf(format, args...))})
}

type parser struct {
	src      string
	lx       lexer
	tok      token
	ahead    token
	hasAhead bool
	fields   *Fields
	now      func() time.Time
	nodes    []node
	kids     []int32
	nest     int
	count    int // nodes, for MaxNodes
}

func (p *parser) failf(off int, hint, format string, args ...any) {
	fail(p.src, off, hint, format, args...)
}

func (p *parser) advance() {
	if p.hasAhead {
		p.tok, p.hasAhead = p.ahead, false
		return
	}
	p.tok = p.lx.next()
}

func (p *parser) peek() token {
	if !p.hasAhead {
		p.ahead, p.hasAhead = p.lx.next(), true
	}
	return p.ahead
}

func (p *parser) isKw(k keyword) bool { return p.tok.kind == tokWord && p.tok.kw == k }

func (p *parser) accept(k keyword) bool {
	if p.isKw(k) {
		p.advance()
		return true
	}
	return false
}

func (p *parser) expectKw(k keyword, what string) {
	if !p.accept(k) {
		p.failf(p.tok.pos, "", "expected %s, found %s", what, p.tok.describe())
	}
}

func (p *parser) expect(k tokKind) {
	if p.tok.kind != k {
		p.failf(p.tok.pos, "", "expected %s, found %s", tokNames[k], p.tok.describe())
	}
	p.advance()
}

// enter and leave count nesting of parentheses, function calls and unary
// operators, so that recursion stays within MaxDepth.
func (p *parser) enter(pos int) {
	p.nest++
	if p.nest > MaxDepth {
		p.failf(pos, "", "the clause is nested more than %d levels deep", MaxDepth)
	}
}

func (p *parser) leave() { p.nest-- }

// add appends n to the tree, enforcing MaxNodes and MaxDepth.
func (p *parser) add(n node, counts bool) int32 {
	if counts {
		p.count++
		if p.count > MaxNodes {
			p.failf(int(n.pos), "", "the clause has more than %d elements", MaxNodes)
		}
	}
	var d int16
	for _, c := range [...]int32{n.a, n.b, n.c} {
		if c >= 0 {
			d = max(d, p.nodes[c].depth)
		}
	}
	for _, c := range p.kids[n.kids : n.kids+n.nkids] {
		d = max(d, p.nodes[c].depth)
	}
	n.depth = d + 1
	if n.depth > MaxDepth {
		p.failf(int(n.pos), "", "the clause is nested more than %d levels deep", MaxDepth)
	}
	p.nodes = append(p.nodes, n)
	return int32(len(p.nodes) - 1)
}

func (p *parser) leaf(kind nodeKind, pos int, typ vtype) node {
	return node{kind: kind, pos: int32(pos), typ: typ, a: -1, b: -1, c: -1, kids: int32(len(p.kids))}
}

func (p *parser) unary(kind nodeKind, op uint8, pos int, a int32) int32 {
	n := p.leaf(kind, pos, vNone)
	n.op, n.a = op, a
	return p.add(n, true)
}

func (p *parser) binary(kind nodeKind, op uint8, pos int, a, b int32) int32 {
	n := p.leaf(kind, pos, vNone)
	n.op, n.a, n.b = op, a, b
	return p.add(n, true)
}

// list adds a node whose children are ks.
func (p *parser) list(n node, ks []int32) int32 {
	n.kids = int32(len(p.kids))
	n.nkids = int32(len(ks))
	p.kids = append(p.kids, ks...)
	return p.add(n, true)
}

func (p *parser) kidsOf(n *node) []int32 { return p.kids[n.kids : n.kids+n.nkids] }

// parse parses the whole clause and returns the root node.
func (p *parser) parse() int32 {
	p.advance()
	root := p.parseOr()
	if p.tok.kind != tokEOF {
		hint := ""
		if p.tok.kind == tokWord || p.tok.kind == tokQuoted || p.tok.kind == tokString ||
			p.tok.kind == tokInt || p.tok.kind == tokFloat || p.tok.kind == tokLParen {
			hint = "join conditions with AND or OR"
		}
		if p.tok.kind == tokRParen {
			p.failf(p.tok.pos, "", `unbalanced ")"`)
		}
		p.failf(p.tok.pos, hint, "unexpected %s", p.tok.describe())
	}
	return root
}

func (p *parser) parseOr() int32 {
	first := p.parseAnd()
	if !p.isKw(kwOr) {
		return first
	}
	pos := p.tok.pos
	var buf [8]int32
	terms := append(buf[:0], first)
	for p.accept(kwOr) {
		terms = append(terms, p.parseAnd())
	}
	return p.list(p.leaf(nOr, pos, vNone), terms)
}

func (p *parser) parseAnd() int32 {
	first := p.parseNot()
	if !p.isKw(kwAnd) {
		return first
	}
	pos := p.tok.pos
	var buf [8]int32
	terms := append(buf[:0], first)
	for p.accept(kwAnd) {
		terms = append(terms, p.parseNot())
	}
	return p.list(p.leaf(nAnd, pos, vNone), terms)
}

func (p *parser) parseNot() int32 {
	if !p.isKw(kwNot) {
		return p.parsePredicate()
	}
	pos := p.tok.pos
	p.advance()
	p.enter(pos)
	a := p.parseNot()
	p.leave()
	return p.unary(nNot, 0, pos, a)
}

func (p *parser) parsePredicate() int32 {
	left := p.parseAdditive()
	switch p.tok.kind {
	case tokEq, tokNe, tokLt, tokLe, tokGt, tokGe:
		op, pos := p.tok.kind, p.tok.pos
		p.advance()
		return p.binary(nCmp, uint8(op), pos, left, p.parseAdditive())
	case tokWord:
	default:
		return left
	}
	pos := p.tok.pos
	not := false
	switch p.tok.kw {
	case kwIs:
		p.advance()
		not = p.accept(kwNot)
		p.expectKw(kwNull, "NULL after IS")
		n := p.leaf(nIsNull, pos, vNone)
		n.a, n.not = left, not
		return p.add(n, true)
	case kwNot:
		switch p.peek().kw {
		case kwLike, kwIn, kwBetween:
			p.advance()
			not = true
		default:
			p.failf(pos, "", "expected LIKE, IN or BETWEEN after NOT")
		}
	case kwLike, kwIn, kwBetween:
	default:
		return left
	}
	switch p.tok.kw {
	case kwLike:
		p.advance()
		n := p.leaf(nLike, pos, vNone)
		n.a, n.b, n.not = left, p.parseAdditive(), not
		if p.isKw(kwEscape) {
			p.advance()
			if p.tok.kind != tokString {
				p.failf(p.tok.pos, "", "expected a one-character string after ESCAPE, found %s", p.tok.describe())
			}
			if utf8.RuneCountInString(p.tok.text) != 1 {
				p.failf(p.tok.pos, "", "the ESCAPE string must be exactly one character")
			}
			n.s, n.i = p.tok.text, 1
			p.advance()
		}
		return p.add(n, true)
	case kwIn:
		p.advance()
		return p.parseInList(left, pos, not)
	default: // BETWEEN
		p.advance()
		n := p.leaf(nBetween, pos, vNone)
		n.a, n.not = left, not
		n.b = p.parseAdditive()
		p.expectKw(kwAnd, "AND in BETWEEN … AND …")
		n.c = p.parseAdditive()
		return p.add(n, true)
	}
}

func (p *parser) parseInList(left int32, pos int, not bool) int32 {
	if p.tok.kind != tokLParen {
		p.failf(p.tok.pos, "", `expected "(" after IN, found %s`, p.tok.describe())
	}
	p.enter(p.tok.pos)
	p.advance()
	if p.tok.kind == tokRParen {
		p.failf(p.tok.pos, "", "empty IN list")
	}
	var buf [16]int32
	vals := buf[:0]
	for {
		if len(vals) == MaxInValues {
			p.failf(p.tok.pos, "", "the IN list has more than %d values", MaxInValues)
		}
		vals = append(vals, p.parseInValue())
		if p.tok.kind != tokComma {
			break
		}
		p.advance()
	}
	p.expect(tokRParen)
	p.leave()
	n := p.leaf(nIn, pos, vNone)
	n.a, n.not = left, not
	return p.list(n, vals)
}

// parseInValue parses one IN-list value. Plain literals do not count
// towards MaxNodes, so long lists of values stay within the limits.
func (p *parser) parseInValue() int32 {
	switch p.tok.kind {
	case tokInt, tokFloat, tokString:
		if k := p.peek().kind; k == tokComma || k == tokRParen {
			return p.literal(false)
		}
	case tokMinus:
		if k := p.peek().kind; k == tokInt || k == tokFloat {
			save := p.count
			v := p.parseAdditive()
			if p.nodes[v].kind == nLit {
				p.count = save
			}
			return v
		}
	}
	return p.parseAdditive()
}

func (p *parser) parseAdditive() int32 {
	left := p.parseMultiplicative()
	for p.tok.kind == tokPlus || p.tok.kind == tokMinus {
		op, pos := p.tok.kind, p.tok.pos
		p.advance()
		left = p.binary(nArith, uint8(op), pos, left, p.parseMultiplicative())
	}
	return left
}

func (p *parser) parseMultiplicative() int32 {
	left := p.parseUnary()
	for p.tok.kind == tokStar || p.tok.kind == tokSlash {
		op, pos := p.tok.kind, p.tok.pos
		p.advance()
		left = p.binary(nArith, uint8(op), pos, left, p.parseUnary())
	}
	return left
}

func (p *parser) parseUnary() int32 {
	if p.tok.kind != tokMinus && p.tok.kind != tokPlus {
		return p.parsePrimary()
	}
	op, pos := p.tok.kind, p.tok.pos
	p.advance()
	if op == tokMinus && (p.tok.kind == tokInt || p.tok.kind == tokFloat) {
		// Fold "-123" into one literal, so that -9223372036854775808 fits.
		p.tok.text = "-" + p.tok.text
		p.tok.pos = pos
		return p.literal(true)
	}
	p.enter(pos)
	a := p.parseUnary()
	p.leave()
	return p.unary(nNeg, uint8(op), pos, a)
}

// literal turns the current number or string token into a node.
func (p *parser) literal(counts bool) int32 {
	t := p.tok
	n := p.leaf(nLit, t.pos, vNone)
	switch t.kind {
	case tokInt:
		v, err := strconv.ParseInt(t.text, 10, 64)
		if err != nil { // only digits, so out of range
			p.failf(t.pos, intRange+"; write "+truncate(t.text, 40)+".0 for a double", "integer %s is out of range", truncate(t.text, 40))
		}
		n.typ, n.i = vInt, v
	case tokFloat:
		v, err := strconv.ParseFloat(t.text, 64)
		if err != nil || math.IsInf(v, 0) {
			p.failf(t.pos, "", "number %s is out of range", truncate(t.text, 40))
		}
		n.typ, n.f = vDouble, v
	case tokString:
		n.typ, n.s = vString, t.text
	}
	p.advance()
	return p.add(n, counts)
}

func (p *parser) parsePrimary() int32 {
	t := p.tok
	switch t.kind {
	case tokInt, tokFloat, tokString:
		return p.literal(true)
	case tokQuoted:
		p.advance()
		return p.field(t)
	case tokLParen:
		p.enter(t.pos)
		p.advance()
		if p.isKw(kwSelect) {
			p.failf(p.tok.pos, "", "subqueries are not supported")
		}
		e := p.parseOr()
		if p.tok.kind != tokRParen {
			if p.tok.kind == tokComma {
				p.failf(p.tok.pos, "", `unexpected ","; lists of values only follow IN`)
			}
			p.failf(p.tok.pos, "", `expected ")" to close the "(" at %s, found %s`, newError(p.src, t.pos, "", "").Pos, p.tok.describe())
		}
		p.advance()
		p.leave()
		return e
	case tokWord:
	case tokEOF:
		p.failf(t.pos, "", "unexpected end of clause; expected a value")
	default:
		p.failf(t.pos, "", "unexpected %s; expected a value", t.describe())
	}

	switch t.kw {
	case kwNull:
		p.advance()
		return p.add(p.leaf(nNull, t.pos, vNull), true)
	case kwTrue, kwFalse:
		p.advance()
		n := p.leaf(nBool, t.pos, vBool)
		if t.kw == kwTrue {
			n.i = 1
		}
		return p.add(n, true)
	case kwDate, kwTimestamp:
		if p.peek().kind == tokString {
			p.advance()
			ms := p.parseDateText(p.tok, t.kw == kwDate)
			p.advance()
			return p.dateLit(t.pos, ms)
		}
	case kwCurrentDate, kwCurrentTimestamp:
		p.advance()
		if p.tok.kind == tokLParen && p.peek().kind == tokRParen {
			p.advance()
			p.advance()
		}
		now := p.now().UTC()
		if t.kw == kwCurrentDate {
			now = time.Date(now.Year(), now.Month(), now.Day(), 0, 0, 0, 0, time.UTC)
		}
		return p.dateLit(t.pos, now.UnixMilli())
	case kwSelect, kwExists:
		p.failf(t.pos, "", "subqueries are not supported")
	}
	if p.peek().kind == tokLParen {
		return p.parseCall(t)
	}
	if t.kw.reserved() {
		hint := "enclose a field with this name in double quotes"
		if t.kw == kwAnd || t.kw == kwOr || t.kw == kwNot {
			hint = ""
		}
		p.failf(t.pos, hint, "unexpected %s; expected a value", upper(t.text))
	}
	p.advance()
	return p.field(t)
}

func (p *parser) dateLit(pos int, ms int64) int32 {
	n := p.leaf(nLit, pos, vDate)
	n.i = ms
	return p.add(n, true)
}

func (p *parser) field(t token) int32 {
	i, ok := p.fields.lookup(t.text)
	if !ok {
		if repl, ok := unsupportedWords[upper(t.text)]; ok && t.kind == tokWord {
			p.failf(t.pos, repl, "%s is not supported", upper(t.text))
		}
		hint := ""
		if s := suggest(t.text, func(yield func(string) bool) {
			for _, f := range p.fields.list {
				if !yield(f.Name) {
					return
				}
			}
		}); s != "" {
			hint = "did you mean " + quote(s) + "?"
		}
		p.failf(t.pos, hint, "unknown field %s", quote(t.text))
	}
	n := p.leaf(nField, t.pos, vtypeOf(p.fields.list[i].Type))
	n.fld = int32(i)
	return p.add(n, true)
}

// parseCall parses a function call; t is the name, p.tok is still the name.
func (p *parser) parseCall(t token) int32 {
	p.advance() // name
	p.enter(p.tok.pos)
	p.advance() // (
	var id int32
	switch t.kw {
	case kwExtract:
		id = p.parseExtract(t)
	case kwCast:
		id = p.parseCast(t)
	case kwTrim:
		id = p.parseTrim(t)
	case kwSubstring:
		id = p.parseSubstring(t)
	case kwPosition:
		n := p.leaf(nCall, t.pos, vNone)
		n.op = uint8(fnPosition)
		needle := p.parseAdditive()
		p.expectKw(kwIn, "IN in POSITION(a IN b)")
		id = p.list(n, []int32{needle, p.parseOr()})
	default:
		info, ok := funcs[t.kw]
		if !ok {
			p.unknownFunction(t)
		}
		var buf [8]int32
		args := buf[:0]
		if p.tok.kind != tokRParen {
			for {
				args = append(args, p.parseOr())
				if p.tok.kind != tokComma {
					break
				}
				p.advance()
			}
		}
		if len(args) < info.minArgs || (info.maxArgs >= 0 && len(args) > info.maxArgs) {
			p.failf(t.pos, "", "%s takes %s", info.name, arity(info.minArgs, info.maxArgs))
		}
		n := p.leaf(nCall, t.pos, vNone)
		n.op = uint8(info.fn)
		id = p.list(n, args)
	}
	if p.tok.kind != tokRParen {
		p.failf(p.tok.pos, "", `expected ")" to close %s(, found %s`, upper(t.text), p.tok.describe())
	}
	p.advance()
	p.leave()
	return id
}

func arity(lo, hi int) string {
	switch {
	case hi < 0:
		return fmt.Sprintf("%d or more arguments", lo)
	case lo == hi && lo == 1:
		return "one argument"
	case lo == hi:
		return fmt.Sprintf("%d arguments", lo)
	}
	return fmt.Sprintf("%d to %d arguments", lo, hi)
}

func (p *parser) unknownFunction(t token) {
	name := upper(t.text)
	if repl, ok := dbSpecific[name]; ok {
		hint := "it is not part of standardized SQL"
		if repl != "" {
			hint = "use " + repl
		}
		p.failf(t.pos, hint, "function %s is not supported", name)
	}
	hint := ""
	if s := suggest(name, func(yield func(string) bool) {
		for _, f := range allFunctionNames {
			if !yield(f) {
				return
			}
		}
	}); s != "" {
		hint = "did you mean " + s + "?"
	}
	if _, ok := p.fields.lookup(t.text); ok {
		hint = "a field cannot be called like a function"
	}
	p.failf(t.pos, hint, "unknown function %s", quote(t.text))
}

func (p *parser) parseExtract(t token) int32 {
	n := p.leaf(nExtract, t.pos, vNone)
	switch p.tok.kw {
	case kwYear:
		n.op = partYear
	case kwMonth:
		n.op = partMonth
	case kwDay:
		n.op = partDay
	case kwHour:
		n.op = partHour
	case kwMinute:
		n.op = partMinute
	case kwSecond:
		n.op = partSecond
	default:
		p.failf(p.tok.pos, "", "expected YEAR, MONTH, DAY, HOUR, MINUTE or SECOND, found %s", p.tok.describe())
	}
	p.advance()
	p.expectKw(kwFrom, "FROM in EXTRACT(part FROM date)")
	n.a = p.parseOr()
	return p.add(n, true)
}

func (p *parser) parseCast(t token) int32 {
	n := p.leaf(nCast, t.pos, vNone)
	n.a = p.parseOr()
	p.expectKw(kwAs, "AS in CAST(x AS type)")
	n.i = -1
	tt := p.tok
	switch tt.kw {
	case kwInt, kwInteger:
		n.op = castInt
	case kwFloat, kwReal:
		n.op = castDouble
	case kwDouble:
		n.op = castDouble
		if p.peek().kw == kwPrecision {
			p.advance()
		}
	case kwChar, kwVarchar:
		n.op = castString
		if p.peek().kind == tokLParen {
			p.advance()
			p.advance()
			if p.tok.kind != tokInt {
				p.failf(p.tok.pos, "", "expected a length, found %s", p.tok.describe())
			}
			v, err := strconv.ParseInt(p.tok.text, 10, 64)
			if err != nil || v < 1 || v > 10485760 {
				p.failf(p.tok.pos, "", "the length must be between 1 and 10485760")
			}
			n.i = v
			p.advance()
			if p.tok.kind != tokRParen {
				p.failf(p.tok.pos, "", `expected ")", found %s`, p.tok.describe())
			}
		}
	case kwDate:
		n.op = castDate
	case kwTimestamp:
		n.op = castTimestamp
	default:
		p.failf(tt.pos, "", "expected INT, INTEGER, FLOAT, REAL, DOUBLE, CHAR(n), VARCHAR(n), DATE or TIMESTAMP, found %s", tt.describe())
	}
	p.advance()
	return p.add(n, true)
}

// parseTrim parses TRIM([BOTH|LEADING|TRAILING] [chars] FROM s) and TRIM(s).
func (p *parser) parseTrim(t token) int32 {
	n := p.leaf(nCall, t.pos, vNone)
	n.op = uint8(fnTrim)
	n.i = trimBoth
	mode := false
	switch p.tok.kw {
	case kwBoth:
		mode = true
	case kwLeading:
		n.i, mode = trimLeading, true
	case kwTrailing:
		n.i, mode = trimTrailing, true
	}
	if mode {
		p.advance()
	}
	if p.accept(kwFrom) {
		return p.list(n, []int32{p.parseOr()})
	}
	first := p.parseOr()
	if p.accept(kwFrom) {
		return p.list(n, []int32{p.parseOr(), first})
	}
	if mode {
		p.failf(p.tok.pos, "", "expected FROM in TRIM, found %s", p.tok.describe())
	}
	return p.list(n, []int32{first})
}

// parseSubstring parses SUBSTRING(s FROM i [FOR n]) and SUBSTRING(s, i [, n]).
func (p *parser) parseSubstring(t token) int32 {
	n := p.leaf(nCall, t.pos, vNone)
	n.op = uint8(fnSubstring)
	s := p.parseOr()
	var args []int32
	switch {
	case p.accept(kwFrom):
		args = []int32{s, p.parseOr()}
		if p.accept(kwFor) {
			args = append(args, p.parseOr())
		}
	case p.tok.kind == tokComma:
		p.advance()
		args = []int32{s, p.parseOr()}
		if p.tok.kind == tokComma {
			p.advance()
			args = append(args, p.parseOr())
		}
	default:
		p.failf(p.tok.pos, "", "expected FROM in SUBSTRING(s FROM start FOR length), found %s", p.tok.describe())
	}
	return p.list(n, args)
}

// parseDateText parses the text of a DATE or TIMESTAMP literal into epoch
// milliseconds (UTC).
func (p *parser) parseDateText(t token, dateOnly bool) int64 {
	ms, hint, ok := parseDateTime(t.text, !dateOnly)
	if !ok {
		kind := "TIMESTAMP"
		if dateOnly {
			kind = "DATE"
		}
		p.failf(t.pos, hint, "invalid %s literal %s", kind, quote(t.text))
	}
	return ms
}

// parseDateTime parses s, the text of a DATE literal ('YYYY-MM-DD') or,
// with timestamp, of a TIMESTAMP literal ('YYYY-MM-DD hh:mm:ss[.fff]'), into
// epoch milliseconds (UTC), as SQL-92 defines them: a DATE has no time and a
// TIMESTAMP has a date, a space and a time with seconds. The fraction may
// have up to nine digits but must not be finer than a millisecond. On
// failure it returns a hint for the error message.
func parseDateTime(s string, timestamp bool) (ms int64, hint string, ok bool) {
	want := "write 'YYYY-MM-DD'"
	if timestamp {
		want = "write 'YYYY-MM-DD hh:mm:ss'"
	}
	num := func(s string) (int, bool) {
		v := 0
		for i := 0; i < len(s); i++ {
			if !isDigit(s[i]) {
				return 0, false
			}
			v = v*10 + int(s[i]-'0')
		}
		return v, len(s) > 0
	}
	if len(s) < 10 || s[4] != '-' || s[7] != '-' {
		return 0, want, false
	}
	y, ok1 := num(s[0:4])
	mo, ok2 := num(s[5:7])
	d, ok3 := num(s[8:10])
	if !ok1 || !ok2 || !ok3 || y < 1 || mo < 1 || mo > 12 || d < 1 || d > daysIn(y, mo) {
		return 0, want, false
	}
	rest := s[10:]
	switch {
	case !timestamp && rest == "":
		return time.Date(y, time.Month(mo), d, 0, 0, 0, 0, time.UTC).UnixMilli(), "", true
	case !timestamp:
		return 0, "a DATE has no time; write DATE 'YYYY-MM-DD' or TIMESTAMP 'YYYY-MM-DD hh:mm:ss'", false
	case rest == "":
		return 0, "a TIMESTAMP needs a time; write TIMESTAMP 'YYYY-MM-DD 00:00:00' or DATE 'YYYY-MM-DD'", false
	case rest[0] == 'T' || rest[0] == 't':
		return 0, "separate the date and the time with a space: 'YYYY-MM-DD hh:mm:ss'", false
	case rest[0] != ' ':
		return 0, want, false
	}
	rest = rest[1:]
	if len(rest) == 5 && rest[2] == ':' {
		return 0, "write the seconds too: 'YYYY-MM-DD hh:mm:ss'", false
	}
	if len(rest) < 8 || rest[2] != ':' || rest[5] != ':' {
		return 0, want, false
	}
	h, okh := num(rest[0:2])
	mi, okm := num(rest[3:5])
	sec, oks := num(rest[6:8])
	if !okh || !okm || !oks || h > 23 || mi > 59 || sec > 59 {
		return 0, want, false
	}
	msec := 0
	if rest = rest[8:]; rest != "" {
		frac := rest[1:]
		if rest[0] != '.' || len(frac) == 0 || len(frac) > 9 {
			return 0, want, false
		}
		f, ok := num(frac)
		if !ok {
			return 0, want, false
		}
		for i := len(frac); i < 9; i++ {
			f *= 10
		}
		if f%1e6 != 0 {
			return 0, "TIMESTAMP values are precise to the millisecond", false
		}
		msec = f / 1e6
	}
	return time.Date(y, time.Month(mo), d, h, mi, sec, msec*1e6, time.UTC).UnixMilli(), "", true
}

func daysIn(y, m int) int {
	return time.Date(y, time.Month(m)+1, 0, 0, 0, 0, 0, time.UTC).Day()
}
