package sqlfilter

import (
	"math"
	"strconv"
	"strings"
)

// check gives every node of the tree its type, rejects type errors, folds
// casts of literals, and gives NULLs the type their context asks for.
func (p *parser) check(root int32) {
	t := p.typeOf(root)
	if t != vBool && t != vNull {
		p.failf(int(p.nodes[root].pos), "for example: CloudCover < 10", "the clause must be a condition, not %s", t.a())
	}
	p.resolve(root, vBool)
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
		p.stringArg(n.b, "LIKE")
		if pat := p.nodes[n.b]; pat.kind == nLit && n.i == 1 {
			if _, ok := likeToGlob(pat.s, []rune(n.s)[0]); !ok {
				p.failf(int(pat.pos), "double the escape character to match it literally", "the LIKE pattern ends with the escape character")
			}
		}
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

// condition requires node k to be a condition.
func (p *parser) condition(k int32) {
	switch t := p.typeOf(k); t {
	case vBool:
	case vNull:
		p.resolve(k, vBool)
	default:
		p.failf(int(p.nodes[k].pos), "for example: CloudCover < 10", "expected a condition, not %s", t.a())
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
		if e := p.nodes[ks[1]]; e.kind != nLit || e.typ != vInt {
			p.failf(int(e.pos), "for example: POWER(x, 2)", "POWER's exponent must be an integer number")
		}
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
		s := strings.TrimSpace(src.s)
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
		ms, ok := parseDateTime(strings.TrimSpace(src.s), false)
		if !ok {
			p.failf(pos, "write 'YYYY-MM-DD' or 'YYYY-MM-DD hh:mm:ss'", "cannot CAST %s to a date", quote(src.s))
		}
		if n.op == castDate {
			ms = floorDay(ms)
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

const msPerDay = 86400000

func floorDay(ms int64) int64 {
	d := ms / msPerDay
	if ms%msPerDay < 0 {
		d--
	}
	return d * msPerDay
}
