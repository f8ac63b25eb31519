package sqlfilter

import "strings"

// keyword identifies a word of the grammar. Words are matched ignoring case.
type keyword uint8

const (
	kwNone keyword = iota

	// Reserved: never a bare field name (quote the field to use one).
	kwAnd
	kwOr
	kwNot
	kwNull
	kwTrue
	kwFalse
	kwIs
	kwIn
	kwLike
	kwEscape
	kwBetween
	kwCurrentDate
	kwCurrentTimestamp
	kwSelect
	kwExists

	// Contextual: keywords only where the grammar expects them.
	kwDate
	kwTimestamp
	kwExtract
	kwCast
	kwAs
	kwTrim
	kwBoth
	kwLeading
	kwTrailing
	kwFrom
	kwFor
	kwSubstring
	kwPosition
	kwInt
	kwInteger
	kwFloat
	kwReal
	kwDouble
	kwPrecision
	kwChar
	kwVarchar
	kwYear
	kwMonth
	kwDay
	kwHour
	kwMinute
	kwSecond
	kwCharLength
	kwConcat
	kwLower
	kwUpper
	kwAbs
	kwCeiling
	kwFloor
	kwRound
	kwTruncate
	kwPower
	kwMod
	kwLog
	kwLog10
	kwCoalesce
	kwNullif
	kwAsc
	kwDesc
)

var keywords = map[string]keyword{
	"AND": kwAnd, "OR": kwOr, "NOT": kwNot, "NULL": kwNull, "TRUE": kwTrue, "FALSE": kwFalse,
	"IS": kwIs, "IN": kwIn, "LIKE": kwLike, "ESCAPE": kwEscape, "BETWEEN": kwBetween,
	"CURRENT_DATE": kwCurrentDate, "CURRENT_TIMESTAMP": kwCurrentTimestamp,
	"SELECT": kwSelect, "EXISTS": kwExists,
	"DATE": kwDate, "TIMESTAMP": kwTimestamp, "EXTRACT": kwExtract, "CAST": kwCast, "AS": kwAs,
	"TRIM": kwTrim, "BOTH": kwBoth, "LEADING": kwLeading, "TRAILING": kwTrailing,
	"FROM": kwFrom, "FOR": kwFor, "SUBSTRING": kwSubstring, "POSITION": kwPosition,
	"INT": kwInt, "INTEGER": kwInteger, "FLOAT": kwFloat, "REAL": kwReal, "DOUBLE": kwDouble,
	"PRECISION": kwPrecision, "CHAR": kwChar, "VARCHAR": kwVarchar,
	"YEAR": kwYear, "MONTH": kwMonth, "DAY": kwDay, "HOUR": kwHour, "MINUTE": kwMinute, "SECOND": kwSecond,
	"CHAR_LENGTH": kwCharLength, "CONCAT": kwConcat, "LOWER": kwLower, "UPPER": kwUpper,
	"ABS": kwAbs, "CEILING": kwCeiling, "FLOOR": kwFloor, "ROUND": kwRound, "TRUNCATE": kwTruncate,
	"POWER": kwPower, "MOD": kwMod, "LOG": kwLog, "LOG10": kwLog10,
	"COALESCE": kwCoalesce, "NULLIF": kwNullif,
	"ASC": kwAsc, "DESC": kwDesc,
}

// lookupKeyword returns the keyword spelled by word (any case), or kwNone.
func lookupKeyword(word string) keyword {
	var buf [24]byte
	if len(word) > len(buf) {
		return kwNone
	}
	b := buf[:len(word)]
	for i := 0; i < len(word); i++ {
		b[i] = upperASCII(word[i])
	}
	return keywords[string(b)] // no allocation
}

func (k keyword) reserved() bool { return k != kwNone && k <= kwExists }

// fn identifies a function of the grammar.
type fn uint8

const (
	fnNone fn = iota
	fnCharLength
	fnConcat
	fnLower
	fnUpper
	fnTrim
	fnSubstring
	fnPosition
	fnAbs
	fnCeiling
	fnFloor
	fnRound
	fnTruncate
	fnPower
	fnMod
	fnLog
	fnLog10
	fnCoalesce
	fnNullif
)

// funcInfo describes a function called with the plain name(args, …) syntax.
type funcInfo struct {
	name             string
	fn               fn
	minArgs, maxArgs int // maxArgs < 0: no limit
}

var funcs = map[keyword]funcInfo{
	kwCharLength: {"CHAR_LENGTH", fnCharLength, 1, 1},
	kwConcat:     {"CONCAT", fnConcat, 2, -1},
	kwLower:      {"LOWER", fnLower, 1, 1},
	kwUpper:      {"UPPER", fnUpper, 1, 1},
	kwAbs:        {"ABS", fnAbs, 1, 1},
	kwCeiling:    {"CEILING", fnCeiling, 1, 1},
	kwFloor:      {"FLOOR", fnFloor, 1, 1},
	kwRound:      {"ROUND", fnRound, 1, 2},
	kwTruncate:   {"TRUNCATE", fnTruncate, 1, 2},
	kwPower:      {"POWER", fnPower, 2, 2},
	kwMod:        {"MOD", fnMod, 2, 2},
	kwLog:        {"LOG", fnLog, 1, 1},
	kwLog10:      {"LOG10", fnLog10, 1, 1},
	kwCoalesce:   {"COALESCE", fnCoalesce, 2, -1},
	kwNullif:     {"NULLIF", fnNullif, 2, 2},
}

var fnNames = [...]string{
	fnCharLength: "CHAR_LENGTH", fnConcat: "CONCAT", fnLower: "LOWER", fnUpper: "UPPER",
	fnTrim: "TRIM", fnSubstring: "SUBSTRING", fnPosition: "POSITION", fnAbs: "ABS",
	fnCeiling: "CEILING", fnFloor: "FLOOR", fnRound: "ROUND", fnTruncate: "TRUNCATE",
	fnPower: "POWER", fnMod: "MOD", fnLog: "LOG", fnLog10: "LOG10", fnCoalesce: "COALESCE",
	fnNullif: "NULLIF",
}

// allFunctionNames lists every function of the grammar, for suggestions.
var allFunctionNames = []string{
	"ABS", "CAST", "CEILING", "CHAR_LENGTH", "COALESCE", "CONCAT", "CURRENT_DATE",
	"CURRENT_TIMESTAMP", "EXTRACT", "FLOOR", "LOG", "LOG10", "LOWER", "MOD", "NULLIF",
	"POSITION", "POWER", "ROUND", "SUBSTRING", "TRIM", "TRUNCATE", "UPPER",
}

// dbSpecific maps well-known database-specific functions to their
// standardized replacement ("" when there is none).
var dbSpecific = map[string]string{
	"NVL": "COALESCE", "IFNULL": "COALESCE", "ISNULL": "COALESCE", "NVL2": "",
	"LEN": "CHAR_LENGTH", "LENGTH": "CHAR_LENGTH", "CHARACTER_LENGTH": "CHAR_LENGTH",
	"SUBSTR": "SUBSTRING", "MID": "SUBSTRING", "LEFT": "SUBSTRING", "RIGHT": "SUBSTRING",
	"INSTR": "POSITION", "CHARINDEX": "POSITION", "STRPOS": "POSITION", "LOCATE": "POSITION",
	"LCASE": "LOWER", "UCASE": "UPPER", "LTRIM": "TRIM", "RTRIM": "TRIM", "BTRIM": "TRIM",
	"CEIL": "CEILING", "TRUNC": "TRUNCATE", "LN": "LOG", "POW": "POWER",
	"NOW": "CURRENT_TIMESTAMP", "GETDATE": "CURRENT_TIMESTAMP", "SYSDATE": "CURRENT_TIMESTAMP",
	"SYSDATETIME": "CURRENT_TIMESTAMP", "CURRENT_TIME": "", "CURDATE": "CURRENT_DATE",
	"TO_DATE": "DATE 'YYYY-MM-DD'", "TO_TIMESTAMP": "TIMESTAMP 'YYYY-MM-DD hh:mm:ss'",
	"TO_CHAR": "", "DATEADD": "", "DATEDIFF": "", "DATEPART": "EXTRACT", "DATE_PART": "EXTRACT",
	"DATE_TRUNC": "CAST(x AS DATE)", "CONVERT": "CAST", "STRFTIME": "", "JULIANDAY": "",
	"REPLACE": "", "SQRT": "POWER", "IIF": "", "DECODE": "", "REGEXP": "", "GLOB": "",
}

// unsupportedWords are well-known words outside the grammar that would
// otherwise be taken for unknown fields, with a hint.
var unsupportedWords = map[string]string{
	"CURRENT_TIME": "use CURRENT_TIMESTAMP", "SYSDATE": "use CURRENT_TIMESTAMP",
	"SYSTIMESTAMP": "use CURRENT_TIMESTAMP", "LOCALTIMESTAMP": "use CURRENT_TIMESTAMP",
	"INTERVAL": "compare dates with DATE 'YYYY-MM-DD' or TIMESTAMP literals",
	"CASE":     "", "ROWNUM": "", "ROWID": "use OBJECTID", "UNION": "", "ILIKE": "use UPPER(field) LIKE 'ABC%'",
}

func upper(s string) string { return strings.ToUpper(s) }
