package sqlfilter

import (
	"math"
	"math/big"
	"strconv"
	"strings"
)

// Function is a Go implementation of an SQL function that the SQLite
// dialect emits and that stock SQLite lacks. Register each one on every
// connection, for example in a mattn/go-sqlite3 ConnectHook:
//
//	for _, f := range sqlfilter.SQLiteFunctions() {
//		if err := conn.RegisterFunc(f.Name, f.Impl, f.Pure); err != nil {
//			return err
//		}
//	}
//
// Impl takes and returns SQLite values as go-sqlite3 passes them to
// functions with `any` parameters: nil or []byte(nil) for NULL, int64,
// float64, string or []byte.
type Function struct {
	Name string
	Impl any
	Pure bool
}

// SQLiteFunctions returns the functions that SQL compiled for SQLite may
// call. Clauses that use only comparisons, LIKE, IN, BETWEEN, IS NULL,
// arithmetic, EXTRACT and the string functions other than SUBSTRING need
// none of them. None of them ever fails: they return NULL, an infinity or
// zero where a value has no finite result.
func SQLiteFunctions() []Function {
	return []Function{
		{Name: "sqlfilter_ceil", Impl: sqliteCeil, Pure: true},
		{Name: "sqlfilter_floor", Impl: sqliteFloor, Pure: true},
		{Name: "sqlfilter_round", Impl: sqliteRound, Pure: true},
		{Name: "sqlfilter_trunc", Impl: sqliteTrunc, Pure: true},
		{Name: "sqlfilter_power", Impl: sqlitePower, Pure: true},
		{Name: "sqlfilter_ln", Impl: sqliteLn, Pure: true},
		{Name: "sqlfilter_log10", Impl: sqliteLog10, Pure: true},
		{Name: "sqlfilter_substr", Impl: sqliteSubstr, Pure: true},
	}
}

func isNull(v any) bool {
	if v == nil {
		return true
	}
	b, ok := v.([]byte)
	return ok && b == nil
}

func toFloat(v any) (float64, bool) {
	switch x := v.(type) {
	case int64:
		return float64(x), true
	case float64:
		return x, true
	}
	return 0, false
}

func toInt(v any) (int64, bool) {
	switch x := v.(type) {
	case int64:
		return x, true
	case float64:
		if x != x {
			return 0, false
		}
		return int64(max(min(x, math.MaxInt64), math.MinInt64)), true
	}
	return 0, false
}

func sqliteCeil(x any) any {
	switch v := x.(type) {
	case int64:
		return v
	case float64:
		return math.Ceil(v)
	}
	return nil
}

func sqliteFloor(x any) any {
	switch v := x.(type) {
	case int64:
		return v
	case float64:
		return math.Floor(v)
	}
	return nil
}

// sqliteLn is the natural logarithm, NULL for x <= 0.
func sqliteLn(x any) any {
	v, ok := toFloat(x)
	if !ok || !(v > 0) {
		return nil
	}
	return math.Log(v)
}

// sqliteLog10 is the base-10 logarithm, NULL for x <= 0. It returns k
// exactly when x is the double nearest to 10^k, as C's log10 does.
func sqliteLog10(x any) any {
	v, ok := toFloat(x)
	if !ok || !(v > 0) {
		return nil
	}
	y := math.Log10(v)
	if r := math.Round(y); math.Abs(y-r) < 1e-9 && r >= -323 && r <= 308 {
		if p, err := strconv.ParseFloat("1e"+strconv.Itoa(int(r)), 64); err == nil && p == v {
			return r
		}
	}
	return y
}

// sqlitePower is x raised to the integer n, correctly rounded for |n| <= 64.
// 0 to a negative power is NULL.
func sqlitePower(x, n any) any {
	v, ok1 := toFloat(x)
	k, ok2 := toInt(n)
	if !ok1 || !ok2 {
		return nil
	}
	if v == 0 && k < 0 {
		return nil
	}
	if k == 0 {
		return 1.0
	}
	if k < -64 || k > 64 || math.IsInf(v, 0) || v != v {
		return math.Pow(v, float64(k))
	}
	prec := uint(53*(absInt(k)+1) + 64)
	base := new(big.Float).SetPrec(prec).SetFloat64(v)
	r := new(big.Float).SetPrec(prec).SetFloat64(1)
	for i := int64(0); i < absInt(k); i++ {
		r.Mul(r, base)
	}
	if k < 0 {
		r.Quo(new(big.Float).SetPrec(prec).SetFloat64(1), r)
	}
	f, _ := r.Float64()
	return f
}

func absInt(k int64) int64 {
	if k < 0 {
		return -k
	}
	return k
}

func sqliteRound(x, n any) any { return roundNumeric(x, n, false) }
func sqliteTrunc(x, n any) any { return roundNumeric(x, n, true) }

// roundNumeric rounds (half away from zero) or truncates x to n decimal
// places as PostgreSQL's round(numeric, int) and trunc(numeric, int) do on
// CAST(x AS NUMERIC): an integer is exact, a double first becomes its 15
// significant digits. n is clamped to [-2000, 2000].
func roundNumeric(x, n any, trunc bool) any {
	places, ok := toInt(n)
	if !ok || isNull(x) {
		return nil
	}
	places = max(min(places, 2000), -2000)
	var digits string // decimal mantissa, no sign
	var exp int64     // value = digits × 10^exp
	neg := false
	switch v := x.(type) {
	case int64:
		digits = strconv.FormatInt(v, 10)
		if v < 0 {
			neg, digits = true, digits[1:]
		}
	case float64:
		if math.IsInf(v, 0) || v != v {
			return v
		}
		s := strconv.FormatFloat(v, 'e', 14, 64) // like C's "%.15g"
		if s[0] == '-' {
			neg, s = true, s[1:]
		}
		e := strings.IndexByte(s, 'e')
		ex, _ := strconv.ParseInt(s[e+1:], 10, 64)
		digits = s[:1] + s[2:e]
		exp = ex - int64(len(digits)-1)
	default:
		return nil
	}
	if drop := -exp - places; drop > 0 { // digits to remove on the right
		var m big.Int
		m.SetString(digits, 10)
		up := false
		if drop <= int64(len(digits)) {
			up = !trunc && digits[int64(len(digits))-drop] >= '5'
			m.SetString("0"+digits[:int64(len(digits))-drop], 10)
		} else {
			m.SetInt64(0)
		}
		if up {
			m.Add(&m, big.NewInt(1))
		}
		digits = m.String()
		exp += drop
	}
	if strings.Trim(digits, "0") == "" {
		return 0.0
	}
	s := digits + "e" + strconv.FormatInt(exp, 10)
	if neg {
		s = "-" + s
	}
	f, _ := strconv.ParseFloat(s, 64) // ±Inf when out of range
	return f
}

// sqliteSubstr is SQL's SUBSTRING(s FROM i [FOR n]) on characters, with
// PostgreSQL's handling of large values: i and n are clamped to 32 bits and
// a negative n gives an empty string.
func sqliteSubstr(args ...any) any {
	if len(args) < 2 || len(args) > 3 {
		return nil
	}
	for _, a := range args {
		if isNull(a) {
			return nil
		}
	}
	var s string
	switch v := args[0].(type) {
	case string:
		s = v
	case []byte:
		s = string(v)
	default:
		return nil
	}
	start, ok := toInt(args[1])
	if !ok {
		return nil
	}
	start = max(min(start, math.MaxInt32), math.MinInt32)
	end := int64(math.MaxInt64) // exclusive, in characters from 1
	if len(args) == 3 {
		n, ok := toInt(args[2])
		if !ok {
			return nil
		}
		n = max(min(n, math.MaxInt32), 0)
		if start+n <= math.MaxInt32 {
			end = start + n
		}
	}
	var b strings.Builder
	pos := int64(1)
	for _, r := range s {
		if pos >= end {
			break
		}
		if pos >= start {
			b.WriteRune(r)
		}
		pos++
	}
	return b.String()
}

// likeToGlob translates a LIKE pattern into an SQLite GLOB pattern that
// matches the same strings, case-sensitively: % becomes *, _ becomes ?, and
// the GLOB metacharacters * ? [ are bracketed. esc < 0 means no escape
// character. It fails if the pattern ends with the escape character; the
// checker has rejected that and other invalid escapes before (likeEscapes).
func likeToGlob(pat string, esc rune) (string, bool) {
	var b strings.Builder
	b.Grow(len(pat) + 8)
	escaped := false
	for _, r := range pat {
		switch {
		case escaped:
			escaped = false
			writeGlobLiteral(&b, r)
		case r == esc:
			escaped = true
		case r == '%':
			b.WriteByte('*')
		case r == '_':
			b.WriteByte('?')
		default:
			writeGlobLiteral(&b, r)
		}
	}
	return b.String(), !escaped
}

func writeGlobLiteral(b *strings.Builder, r rune) {
	switch r {
	case '*', '?', '[':
		b.WriteByte('[')
		b.WriteRune(r)
		b.WriteByte(']')
	default:
		b.WriteRune(r)
	}
}
