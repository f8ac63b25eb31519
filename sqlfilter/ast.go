package sqlfilter

// vtype is the static type of an expression.
type vtype uint8

const (
	vNone vtype = iota
	vInt
	vDouble
	vString
	vDate
	vBool
	vNull // an untyped NULL; context gives it a type
)

func (t vtype) String() string {
	switch t {
	case vInt:
		return "integer"
	case vDouble:
		return "double"
	case vString:
		return "string"
	case vDate:
		return "date"
	case vBool:
		return "condition"
	case vNull:
		return "NULL"
	}
	return "nothing"
}

// a returns t with an indefinite article, for messages.
func (t vtype) a() string {
	switch t {
	case vInt:
		return "an integer"
	case vNull:
		return "NULL"
	case vNone:
		return "nothing"
	}
	return "a " + t.String()
}

func (t vtype) numeric() bool { return t == vInt || t == vDouble }

func vtypeOf(t Type) vtype {
	switch t {
	case Integer:
		return vInt
	case Double:
		return vDouble
	case String:
		return vString
	case Date:
		return vDate
	}
	return vNone
}

type nodeKind uint8

const (
	nLit     nodeKind = iota + 1 // number, string or date: value in i, f or s by typ
	nNull                        // NULL
	nBool                        // TRUE (i=1) or FALSE (i=0)
	nField                       // fld
	nNeg                         // -a (op tokMinus) or +a (op tokPlus)
	nArith                       // a op b, op in + - * /
	nCmp                         // a op b, op in = <> < <= > >=
	nAnd                         // kids
	nOr                          // kids
	nNot                         // NOT a
	nIsNull                      // a IS [NOT] NULL
	nLike                        // a [NOT] LIKE b [ESCAPE s]
	nIn                          // a [NOT] IN (kids)
	nBetween                     // a [NOT] BETWEEN b AND c
	nCall                        // op(kids), op an fn
	nCast                        // CAST(a AS op), op a cast target, length in i (-1: none)
	nExtract                     // EXTRACT(op FROM a), op a date part
)

// Cast targets.
const (
	castInt uint8 = iota + 1
	castDouble
	castString
	castDate
	castTimestamp
)

// Date parts of EXTRACT.
const (
	partYear uint8 = iota + 1
	partMonth
	partDay
	partHour
	partMinute
	partSecond
)

// TRIM modes, kept in node.i.
const (
	trimBoth = iota
	trimLeading
	trimTrailing
)

type node struct {
	kind    nodeKind
	op      uint8 // tokKind, fn, cast target or date part
	not     bool  // NOT LIKE, NOT IN, NOT BETWEEN, IS NOT NULL
	typ     vtype
	depth   int16
	pos     int32 // byte offset reported in errors
	a, b, c int32 // children; -1 when absent
	kids    int32 // first child in parser.kids
	nkids   int32
	fld     int32 // field index for nField
	i       int64
	f       float64
	s       string
}
