package sqlfilter

import (
	"errors"
	"strings"
)

// RuntimeError returns the *Error to report when a statement holding a
// compiled clause failed with err because of the values the clause met,
// or nil when err is anything else (I/O, locking, cancellation, a
// connection lost), which remains the caller's to handle.
//
// Compile rejects every clause whose literals alone go out of range, and
// the compiled SQL guards division, MOD, LOG, POWER of zero, SUBSTRING and
// EXTRACT. What remains depends on the data: an integer result beyond 64
// bits (PostgreSQL, and ABS in SQLite), a double result beyond ±1.8e308 or
// a nonzero one that rounds to zero (PostgreSQL), CAST to INT of a double
// beyond 64 bits (PostgreSQL). Such a failure is the clause's, like a type
// error found at compile time, so a caller reports it the same way: as
// invalid input, never as an internal error. The error has no position
// and its text never holds the database's message.
//
// PostgreSQL errors are recognised by their SQLSTATE (any driver whose
// error has a SQLState method, such as pgx's *pgconn.PgError): class 22,
// data exception, and class 54, program limit exceeded. SQLite errors are
// recognised by the texts SQLite gives them ("integer overflow", "string or
// blob too big", …), since go-sqlite3 reports them all as SQLITE_ERROR.
func RuntimeError(err error) *Error {
	if err == nil {
		return nil
	}
	var pg interface{ SQLState() string }
	if errors.As(err, &pg) {
		return pgRuntimeError(pg.SQLState(), err)
	}
	for e := err; e != nil; e = errors.Unwrap(e) {
		if msg, hint, ok := sqliteRuntimeError(e.Error()); ok {
			return &Error{Msg: msg, Hint: hint, cause: err}
		}
	}
	return nil
}

const (
	runtimeRange = "a value is out of range where the clause was evaluated"
	runtimeHint  = intRange + ", " + dblRange + "; arithmetic on doubles (1.0 * x) goes further than on integers"
	tooComplex   = "the clause is too complex to evaluate"
)

func pgRuntimeError(state string, err error) *Error {
	e := &Error{cause: err}
	switch {
	case state == "22003": // numeric_value_out_of_range
		e.Msg, e.Hint = runtimeRange, runtimeHint
		if strings.Contains(err.Error(), "underflow") {
			e.Hint = "a double result is closer to zero than a double can hold"
		}
	case state == "22012": // division_by_zero
		e.Msg = "division by zero where the clause was evaluated"
	case state == "2201E" || state == "2201F": // invalid argument for logarithm, power function
		e.Msg = "a function got an argument it is not defined for where the clause was evaluated"
	case strings.HasPrefix(state, "22"):
		e.Msg = "a value could not be processed where the clause was evaluated"
	case strings.HasPrefix(state, "54"):
		e.Msg = tooComplex
	default:
		return nil
	}
	return e
}

// sqliteRuntimeError maps the message of an SQLite error that evaluating a
// clause can raise.
func sqliteRuntimeError(msg string) (string, string, bool) {
	switch msg {
	case "integer overflow":
		return runtimeRange, runtimeHint, true
	case "string or blob too big":
		return "a string grew too long where the clause was evaluated", "", true
	case "LIKE or GLOB pattern too complex", "too many SQL variables", "parser stack overflow",
		"Expression tree is too large (maximum depth 1000)":
		return tooComplex, "", true
	}
	return "", "", false
}
