package sqlfilter

import (
	"math"
)

// cval is the value of a numeric expression made only of literals.
type cval struct {
	null bool
	dbl  bool // the value is f; otherwise i
	i    int64
	f    float64
}

func (v cval) float() float64 {
	if v.dbl {
		return v.f
	}
	return float64(v.i)
}

// any returns v as the engines pass it to the SQLite functions.
func (v cval) any() any {
	switch {
	case v.null:
		return nil
	case v.dbl:
		return v.f
	}
	return v.i
}

const (
	intRange  = "integers range from -9223372036854775808 to 9223372036854775807"
	dblRange  = "doubles range from about -1.8e308 to 1.8e308"
	dblSubnrm = "the result is closer to zero than a double can hold"
)

// constant evaluates the numeric expressions of id's subtree that are
// made only of literals, as the engines would evaluate them, and rejects
// any whose value is out of range, at its position: an integer beyond 64
// bits, a double beyond ±1.8e308, a nonzero double product or quotient
// that rounds to zero, CAST to INT of a double beyond 64 bits. PostgreSQL
// would fail such a clause at run time, and SQLite would silently turn the
// integer into a double or the double into an infinity or zero. The tree
// is left as it is: the engines compute the values.
//
// It returns id's value and whether id is such a constant.
func (p *parser) constant(id int32) (cval, bool) {
	n := &p.nodes[id]
	// Every child is visited, so that constants deep in the tree are
	// checked; the values of the first three, and the first non-NULL one
	// (for COALESCE), are kept. Foldable nodes have at most three children,
	// COALESCE aside.
	var args [3]cval
	nargs, all := 0, true
	first := cval{null: true}
	keep := func(v cval, ok bool) {
		all = all && ok
		if nargs < len(args) {
			args[nargs] = v
			nargs++
		}
		if first.null {
			first = v
		}
	}
	for _, k := range [3]int32{n.a, n.b, n.c} {
		if k >= 0 {
			keep(p.constant(k))
		}
	}
	for _, k := range p.kidsOf(n) {
		keep(p.constant(k))
	}
	pos := int(n.pos)
	switch n.kind {
	case nLit:
		switch n.typ {
		case vInt:
			return cval{i: n.i}, true
		case vDouble:
			return cval{dbl: true, f: n.f}, true
		}
		return cval{}, false
	case nNull:
		return cval{null: true}, true
	}
	if !all || !n.typ.numeric() {
		return cval{}, false
	}
	for _, a := range args[:nargs] {
		if a.null && n.kind != nCall {
			return cval{null: true}, true
		}
	}
	switch n.kind {
	case nNeg:
		a := args[0]
		if tokKind(n.op) == tokPlus {
			return a, true
		}
		if a.dbl {
			return cval{dbl: true, f: -a.f}, true
		}
		if a.i == math.MinInt64 {
			p.failf(pos, intRange, "integer overflow")
		}
		return cval{i: -a.i}, true
	case nArith:
		return p.arith(pos, tokKind(n.op), n.typ, args[0], args[1]), true
	case nCast:
		a := args[0]
		if n.op == castDouble {
			return cval{dbl: true, f: a.float()}, true
		}
		if !a.dbl { // castInt
			return a, true
		}
		if !(a.f >= -0x1p63 && a.f < 0x1p63) {
			p.failf(pos, intRange, "integer overflow")
		}
		return cval{i: int64(a.f)}, true
	case nCall:
		if fn(n.op) == fnCoalesce {
			return convert(first, n.typ), true
		}
		return p.call(pos, n, args[:nargs])
	}
	return cval{}, false
}

// arith evaluates a op b in type t.
func (p *parser) arith(pos int, op tokKind, t vtype, a, b cval) cval {
	if t == vInt {
		x, y := a.i, b.i
		var r int64
		ok := true
		switch op {
		case tokPlus:
			r = x + y
			ok = (y >= 0) == (r >= x)
		case tokMinus:
			r = x - y
			ok = (y >= 0) == (r <= x)
		case tokStar:
			r = x * y
			ok = x == 0 || (r/x == y && !(x == -1 && y == math.MinInt64))
		case tokSlash:
			if y == 0 {
				return cval{null: true}
			}
			ok = !(x == math.MinInt64 && y == -1)
			r = x / y
		}
		if !ok {
			p.failf(pos, intRange, "integer overflow")
		}
		return cval{i: r}
	}
	x, y := a.float(), b.float()
	var r float64
	switch op {
	case tokPlus:
		r = x + y
	case tokMinus:
		r = x - y
	case tokStar:
		r = x * y
		if r == 0 && x != 0 && y != 0 {
			p.failf(pos, dblSubnrm, "double underflow")
		}
	case tokSlash:
		if y == 0 {
			return cval{null: true}
		}
		r = x / y
		if r == 0 && x != 0 {
			p.failf(pos, dblSubnrm, "double underflow")
		}
	}
	return p.finite(pos, r)
}

func (p *parser) finite(pos int, f float64) cval {
	if math.IsInf(f, 0) || math.IsNaN(f) {
		p.failf(pos, dblRange, "double overflow")
	}
	return cval{dbl: true, f: f}
}

// call evaluates a numeric function of constants other than COALESCE.
func (p *parser) call(pos int, n *node, args []cval) (cval, bool) {
	nullIn := func() bool {
		for _, a := range args {
			if a.null {
				return true
			}
		}
		return false
	}
	switch fn(n.op) {
	case fnAbs, fnCeiling, fnFloor:
		a := args[0]
		switch {
		case a.null:
			return a, true
		case !a.dbl && fn(n.op) == fnAbs && a.i == math.MinInt64:
			p.failf(pos, intRange, "integer overflow")
		case !a.dbl && a.i < 0 && fn(n.op) == fnAbs:
			return cval{i: -a.i}, true
		case !a.dbl:
			return a, true
		case fn(n.op) == fnAbs:
			return cval{dbl: true, f: math.Abs(a.f)}, true
		case fn(n.op) == fnCeiling:
			return cval{dbl: true, f: math.Ceil(a.f)}, true
		}
		return cval{dbl: true, f: math.Floor(a.f)}, true
	case fnRound, fnTruncate:
		places := any(int64(0))
		if len(args) > 1 {
			places = args[1].any()
		}
		r, ok := roundNumeric(args[0].any(), places, fn(n.op) == fnTruncate).(float64)
		if !ok {
			return cval{null: true}, true
		}
		return p.finite(pos, r), true
	case fnPower:
		if nullIn() {
			return cval{null: true}, true
		}
		x, k := args[0].float(), args[1].i
		if x == 0 && k < 0 {
			return cval{null: true}, true
		}
		r := sqlitePower(x, k).(float64)
		if r == 0 && x != 0 {
			p.failf(pos, dblSubnrm, "double underflow")
		}
		return p.finite(pos, r), true
	case fnMod:
		if nullIn() || args[1].i == 0 {
			return cval{null: true}, true
		}
		return cval{i: args[0].i % args[1].i}, true // MinInt64 % -1 is 0, as in both engines
	case fnLog, fnLog10:
		f := sqliteLn
		if fn(n.op) == fnLog10 {
			f = sqliteLog10
		}
		r, ok := f(args[0].any()).(float64)
		if !ok {
			return cval{null: true}, true
		}
		return cval{dbl: true, f: r}, true
	case fnNullif:
		a, b := args[0], args[1]
		if !a.null && !b.null && a.float() == b.float() && (a.dbl || b.dbl || a.i == b.i) {
			return cval{null: true}, true
		}
		return convert(a, n.typ), true
	}
	return cval{}, false
}

// convert returns v in type t: an integer becomes a double where t is one.
func convert(v cval, t vtype) cval {
	if t == vDouble && !v.null && !v.dbl {
		return cval{dbl: true, f: float64(v.i)}
	}
	return v
}
