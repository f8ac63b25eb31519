package sqlfilter

import (
	"math"
	"strconv"
	"strings"
	"unicode/utf8"
)

// check gives every node of the tree its type, rejects type errors, folds
// casts of literals, and gives NULLs the type their context asks for.
func (p *parser) check(root int32) {
	if t := p.typeOf(root); t != vBool {
		p.failf(int(p.nodes[root].pos), conditionHint(t), "the clause must be a condition, not %s", t.a())
	}
	p.constant(root)
}

// conditionHint suggests a condition in place of a value of type t.
func conditionHint(t vtype) string {
	if t == vNull {
		return "to find missing values write, for example: CloudCover IS NULL"
	}
	return "for example: CloudCover < 10"
}

// resolve gives the untyped NULLs of n's subtree the type t.
func (p *parser) resolve(id int32, t vtype) {
	n := &p.nodes[id]
	if n.typ != vNull {
		return
	}
	n.typ = t
	if n.kind == nCall { // COALESCE and NULLIF of NULLs
		for _, k := range p.kidsOf(n) {
			p.resolve(k, t)
		}
	}
}

func (p *parser) typeOf(id int32) vtype {
	n := &p.nodes[id]
	if n.typ != vNone {
		return n.typ
	}
	t := p.typeOfNode(id)
	p.nodes[id].typ = t // n may be stale: typeOfNode can fold nodes in place
	return t
}

func (p *parser) typeOfNode(id int32) vtype {
	n := p.nodes[id]
	pos := int(n.pos)
	switch n.kind {
	case nNeg:
		t := p.typeOf(n.a)
		if t == vNull { // -NULL is a number, never a condition
			p.resolve(n.a, vInt)
			return vInt
		}
		if !t.numeric() {
			p.failf(pos, "", "cannot apply unary %s to %s", tokNames[n.op], t.a())
		}
		return t

	case nArith:
		a, b := p.typeOf(n.a), p.typeOf(n.b)
		for _, t := range [2]vtype{a, b} {
			switch {
			case t == vDate:
				p.failf(pos, "compare dates with DATE 'YYYY-MM-DD' or TIMESTAMP literals", "date arithmetic is not supported")
			case t == vString:
				p.failf(pos, "use CONCAT(a, b) to join strings", "cannot apply %s to a string", tokNames[n.op])
			case !t.numeric() && t != vNull:
				p.failf(pos, "", "cannot apply %s to %s", tokNames[n.op], t.a())
			}
		}
		return p.unifyNumeric(n.a, n.b, a, b)

	case nCmp:
		p.comparable(pos, n.a, n.b)
		return vBool

	case nAnd, nOr:
		for _, k := range p.kidsOf(&n) {
			p.condition(k)
		}
		return vBool

	case nNot:
		p.condition(n.a)
		return vBool

	case nIsNull:
		if p.typeOf(n.a) == vNull {
			p.resolve(n.a, vInt)
		}
		return vBool

	case nLike:
		p.stringArg(n.a, "LIKE")
		p.likePattern(&n)
		return vBool

	case nIn:
		t := p.typeOf(n.a)
		ks := p.kidsOf(&n)
		for _, k := range ks {
			t = p.comparableTypes(int(p.nodes[k].pos), t, p.typeOf(k))
		}
		if t == vNull {
			t = vInt
		}
		p.resolve(n.a, t)
		for _, k := range ks {
			p.resolve(k, t)
		}
		return vBool

	case nBetween:
		p.comparable(pos, n.a, n.b)
		p.comparable(pos, n.a, n.c)
		return vBool

	case nCall:
		return p.typeOfCall(id)
	case nCast:
		return p.typeOfCast(id)

	case nExtract:
		switch t := p.typeOf(n.a); t {
		case vDate:
		case vNull:
			p.resolve(n.a, vDate)
		default:
			p.failf(int(p.nodes[n.a].pos), "", "EXTRACT needs a date, not %s", t.a())
		}
		if n.op == partSecond {
			return vDouble
		}
		return vInt
	}
	panic("sqlfilter: unexpected node kind")
}

// condition requires node k to be a condition. NULL is a value, not a
// condition: SQL-92 has no truth-value literal for unknown.
func (p *parser) condition(k int32) {
	if t := p.typeOf(k); t != vBool {
		p.failf(int(p.nodes[k].pos), conditionHint(t), "expected a condition, not %s", t.a())
	}
}

func (p *parser) unifyNumeric(a, b int32, ta, tb vtype) vtype {
	switch {
	case ta == vNull && tb == vNull: // NULL + NULL is a number, never a condition
		p.resolve(a, vInt)
		p.resolve(b, vInt)
		return vInt
	case ta == vNull:
		p.resolve(a, tb)
		return tb
	case tb == vNull:
		p.resolve(b, ta)
		return ta
	case ta == vDouble || tb == vDouble:
		return vDouble
	}
	return vInt
}

// comparable requires a and b to be comparable and types their NULLs.
func (p *parser) comparable(pos int, a, b int32) {
	ta, tb := p.typeOf(a), p.typeOf(b)
	t := p.comparableTypes(pos, ta, tb)
	if t == vNull {
		t = vInt
	}
	p.resolve(a, t)
	p.resolve(b, t)
}

// comparableTypes returns the type in which values of types a and b compare.
func (p *parser) comparableTypes(pos int, a, b vtype) vtype {
	switch {
	case a == vBool || b == vBool:
		p.failf(pos, "", "cannot compare conditions")
	case a == vNull:
		return b
	case b == vNull:
		return a
	case a.numeric() && b.numeric():
		if a == vDouble || b == vDouble {
			return vDouble
		}
		return vInt
	case a == b:
		return a
	case a == vDate || b == vDate:
		other := a
		if a == vDate {
			other = b
		}
		p.failf(pos, "write DATE 'YYYY-MM-DD' or TIMESTAMP 'YYYY-MM-DD hh:mm:ss'", "cannot compare a date with %s", other.a())
	}
	p.failf(pos, "", "cannot compare %s with %s", a.a(), b.a())
	return vNone
}

// stringArg requires node k to be a string (or NULL).
func (p *parser) stringArg(k int32, what string) {
	switch t := p.typeOf(k); t {
	case vString:
	case vNull:
		p.resolve(k, vString)
	default:
		hint := ""
		if t == vInt {
			hint = "convert numbers with CAST(x AS VARCHAR(n))"
		}
		p.failf(int(p.nodes[k].pos), hint, "%s needs a string, not %s", what, t.a())
	}
}

func (p *parser) numericArg(k int32, what string) vtype {
	switch t := p.typeOf(k); t {
	case vInt, vDouble:
		return t
	case vNull:
		p.resolve(k, vInt)
		return vInt
	default:
		p.failf(int(p.nodes[k].pos), "", "%s needs a number, not %s", what, t.a())
	}
	return vNone
}

func (p *parser) intArg(k int32, what string) {
	switch t := p.typeOf(k); t {
	case vInt:
	case vNull:
		p.resolve(k, vInt)
	default:
		p.failf(int(p.nodes[k].pos), "", "%s needs an integer, not %s", what, t.a())
	}
}

func (p *parser) typeOfCall(id int32) vtype {
	n := p.nodes[id]
	ks := p.kidsOf(&n)
	name := fnNames[n.op]
	switch fn(n.op) {
	case fnCharLength:
		p.stringArg(ks[0], name)
		return vInt
	case fnConcat, fnLower, fnUpper, fnTrim:
		for _, k := range ks {
			p.stringArg(k, name)
		}
		return vString
	case fnSubstring:
		p.stringArg(ks[0], name)
		for _, k := range ks[1:] {
			p.intArg(k, name)
		}
		return vString
	case fnPosition:
		p.stringArg(ks[0], name)
		p.stringArg(ks[1], name)
		return vInt
	case fnAbs, fnCeiling, fnFloor:
		return p.numericArg(ks[0], name)
	case fnRound, fnTruncate:
		p.numericArg(ks[0], name)
		if len(ks) > 1 {
			p.intArg(ks[1], name+"'s number of places")
		}
		return vDouble
	case fnPower:
		p.numericArg(ks[0], name)
		if t := p.typeOf(ks[1]); t == vDouble {
			p.failf(int(p.nodes[ks[1]].pos), "ROUND or CAST it to INT", "POWER's exponent must be an integer, not a double")
		}
		p.intArg(ks[1], "POWER's exponent")
		return vDouble
	case fnMod:
		p.intArg(ks[0], name)
		p.intArg(ks[1], name)
		return vInt
	case fnLog, fnLog10:
		p.numericArg(ks[0], name)
		return vDouble
	case fnCoalesce, fnNullif:
		t := vNull
		for _, k := range ks {
			kt := p.typeOf(k)
			if kt == vBool {
				p.failf(int(p.nodes[k].pos), "", "%s needs values, not conditions", name)
			}
			t = p.comparableTypes(int(p.nodes[k].pos), t, kt)
		}
		if t != vNull {
			for _, k := range ks {
				p.resolve(k, t)
			}
		}
		return t
	}
	panic("sqlfilter: unexpected function")
}

func (p *parser) typeOfCast(id int32) vtype {
	n := p.nodes[id]
	from := p.typeOf(n.a)
	src := p.nodes[n.a]
	pos := int(src.pos)
	lit := src.kind == nLit
	var to vtype
	switch n.op {
	case castInt:
		to = vInt
	case castDouble:
		to = vDouble
	case castString:
		to = vString
	default:
		to = vDate
	}
	if from == vNull {
		p.resolve(n.a, to)
		return to
	}
	fold := func(nn node) vtype { // replace the cast by a literal
		nn.pos, nn.depth, nn.a, nn.b, nn.c = n.pos, n.depth, -1, -1, -1
		nn.kids, nn.nkids = 0, 0
		p.nodes[id] = nn
		return nn.typ
	}
	switch {
	case from == vBool:
		p.failf(pos, "", "cannot CAST a condition")
	case to == vInt && from.numeric(), to == vDouble && from.numeric():
		return to
	case to == vString && (from == vString || from == vInt):
		return to
	case to == vDate && from == vDate:
		return to
	case from == vString && lit && (to == vInt || to == vDouble):
		s := strings.Trim(src.s, " ")
		if to == vInt {
			v, err := strconv.ParseInt(s, 10, 64)
			if err != nil {
				p.failf(pos, "", "cannot CAST %s to an integer", quote(src.s))
			}
			return fold(node{kind: nLit, typ: vInt, i: v})
		}
		v, err := strconv.ParseFloat(s, 64)
		if err != nil || math.IsInf(v, 0) || math.IsNaN(v) || !isPlainNumber(s) {
			p.failf(pos, "", "cannot CAST %s to a double", quote(src.s))
		}
		return fold(node{kind: nLit, typ: vDouble, f: v})
	case from == vString && lit && to == vDate:
		ts := n.op == castTimestamp
		ms, hint, ok := parseDateTime(strings.Trim(src.s, " "), ts)
		if !ok {
			kind := "a date"
			if ts {
				kind = "a timestamp"
			}
			p.failf(pos, hint, "cannot CAST %s to %s", quote(src.s), kind)
		}
		return fold(node{kind: nLit, typ: vDate, i: ms})
	case from == vString && (to == vInt || to == vDouble || to == vDate):
		p.failf(pos, "", "CAST of a string to %s works only on a literal", to.a())
	case from == vDouble && to == vString:
		p.failf(pos, "ROUND or CAST to INT first", "CAST of a double to a string is not supported")
	}
	p.failf(pos, "", "cannot CAST %s to %s", from.a(), to.a())
	return vNone
}

// isPlainNumber reports whether s is a decimal number (no hex, inf or nan).
func isPlainNumber(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !isDigit(c) && c != '.' && c != 'e' && c != 'E' && c != '+' && c != '-' {
			return false
		}
	}
	return true
}

// likePattern requires the pattern of LIKE node n to be a string literal
// whose escape character, if any, precedes only %, _ or itself (SQL-92
// 8.5: anything else is an invalid escape sequence).
func (p *parser) likePattern(n *node) {
	pat := p.nodes[n.b]
	switch {
	case pat.kind == nNull:
		p.failf(int(pat.pos), "to find missing values write, for example: Name IS NULL", "the LIKE pattern cannot be NULL")
	case pat.kind != nLit || pat.typ != vString:
		p.failf(int(pat.pos), "for example: Name LIKE 'L%'; to compare two fields use =", "the LIKE pattern must be a string literal")
	}
	esc := rune(-1)
	if n.i == 1 {
		esc, _ = utf8.DecodeRuneInString(n.s)
	}
	if at, ok := likeEscapes(pat.s, esc); !ok {
		off := literalOffset(p.src, int(pat.pos), at)
		if at+utf8.RuneLen(esc) >= len(pat.s) {
			p.failf(off, "double the escape character to match it literally", "the LIKE pattern ends with the escape character")
		}
		seq := []rune(pat.s[at:])[:2]
		p.failf(off, "the escape character may only precede %, _ or itself; double it to match it literally",
			"invalid escape sequence %s in the LIKE pattern", quote(string(seq)))
	}
	if globLen(pat.s) > maxGlob {
		p.failf(int(pat.pos), "", "the LIKE pattern is too long")
	}
}

// maxGlob is the longest GLOB pattern SQLite accepts
// (SQLITE_MAX_LIKE_PATTERN_LENGTH).
const maxGlob = 50000

// globLen bounds the length of likeToGlob(pat, esc): * ? and [ become
// three bytes, everything else at most its own length.
func globLen(pat string) int {
	n := len(pat)
	for i := 0; i < len(pat); i++ {
		if c := pat[i]; c == '*' || c == '?' || c == '[' {
			n += 2
		}
	}
	return n
}

// likeEscapes checks the escape sequences of a LIKE pattern. It returns the
// byte index of the first escape character that does not precede %, _ or
// itself, and false; esc < 0 means no escape character.
func likeEscapes(pat string, esc rune) (int, bool) {
	if esc < 0 {
		return 0, true
	}
	escaped, at := false, 0
	for i, r := range pat {
		switch {
		case escaped:
			if r != '%' && r != '_' && r != esc {
				return at, false
			}
			escaped = false
		case r == esc:
			escaped, at = true, i
		}
	}
	return at, !escaped
}

// literalOffset returns the offset in src of byte i of the text of the
// string literal whose opening quote is at quote: a doubled quote in src is
// one quote in the text.
func literalOffset(src string, quote, i int) int {
	off := quote + 1
	for j := 0; j < i && off < len(src); j++ {
		if src[off] == '\'' {
			off++
		}
		off++
	}
	return off
}
