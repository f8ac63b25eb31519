package mosaic

import (
	"errors"
	"fmt"
	"syscall"
)

// Error codes. Each maps to one Esri error code in package server.
const (
	EINVALID      = "invalid"       // bad input; nothing changed
	ENOTFOUND     = "not_found"     // unknown collection, item, job or task
	ECONFLICT     = "conflict"      // the request clashes with existing state
	ECANCELED     = "canceled"      // the operation was cancelled
	EUNAUTHORIZED = "unauthorized"  // a token is required but none was given
	EINVALIDTOKEN = "invalid_token" // the token is invalid or expired
	EFORBIDDEN    = "forbidden"     // authenticated, but not allowed
	ELIMIT        = "limit"         // a size, rate or queue limit was hit
	EUNAVAILABLE  = "unavailable"   // the database could not be reached for the moment; try again
	EINTERNAL     = "internal"      // a bug or an infrastructure failure
)

// Error is the application error. Message is safe to show to clients;
// Details add client-safe specifics (for example a where-clause position).
// Err is the underlying cause and is never shown to clients.
type Error struct {
	Code    string
	Message string
	Details []string
	Err     error
}

// Error implements the error interface.
func (e *Error) Error() string {
	msg := e.Message
	if len(e.Details) > 0 {
		msg += ": " + e.Details[0]
	}
	if e.Err != nil {
		if msg == "" {
			return e.Err.Error()
		}
		return msg + ": " + e.Err.Error()
	}
	return msg
}

// Unwrap returns the underlying cause.
func (e *Error) Unwrap() error { return e.Err }

// Errorf returns an *Error with the given code and a formatted message.
func Errorf(code, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
}

// WithDetails returns e with details appended.
func (e *Error) WithDetails(details ...string) *Error {
	e.Details = append(e.Details, details...)
	return e
}

// ErrorCode returns the code of the first *Error in err's chain,
// EUNAVAILABLE for a lost database connection (ErrConnectionLost) that no
// other code explains, and EINTERNAL for anything else. It returns "" for
// nil.
func ErrorCode(err error) string {
	var e *Error
	switch {
	case err == nil:
		return ""
	case errors.As(err, &e) && e.Code != EINTERNAL:
		return e.Code
	case errors.Is(err, ErrConnectionLost):
		return EUNAVAILABLE
	default:
		return EINTERNAL
	}
}

// ErrConnectionLost marks (errors.Is) a store error caused by the loss of
// the store's connection to its database server (cut, reset, or the server
// shutting down). The transaction under way committed nothing, unless the
// connection dropped during its COMMIT, after which it may have committed.
// Its code is EUNAVAILABLE, and its message ErrUnavailable.
var ErrConnectionLost = errors.New("the connection to the database was lost")

// ErrUnavailable is the message of a request that failed because the
// server lost its connection to the database (ErrConnectionLost).
const ErrUnavailable = "The server lost its connection to the database; the request may not have taken effect. Try again in a moment."

// ErrDiskFull is the message of a write that failed because the server's
// disk is full (an error wrapping syscall.ENOSPC; stores wrap their own
// "full" errors so).
const ErrDiskFull = "The server's disk is full."

// ErrorMessage returns the client-safe message of err: the message of the
// first *Error in its chain, ErrDiskFull when the disk is full,
// ErrUnavailable when the database connection was lost, or "Internal
// error." for anything else.
func ErrorMessage(err error) string {
	var e *Error
	if errors.As(err, &e) && e.Code != EINTERNAL {
		return e.Message
	}
	if errors.Is(err, syscall.ENOSPC) {
		return ErrDiskFull
	}
	if errors.Is(err, ErrConnectionLost) {
		return ErrUnavailable
	}
	return "Internal error."
}

// ErrorDetails returns the client-safe details of err, if any.
func ErrorDetails(err error) []string {
	var e *Error
	if errors.As(err, &e) && e.Code != EINTERNAL {
		return e.Details
	}
	return nil
}
