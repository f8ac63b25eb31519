package sqlfilter

import (
	"errors"
	"strconv"
	"strings"
	"unicode/utf8"
)

// ErrEmpty is the cause of the *Error that Compile returns for a blank clause.
// Test for it with errors.Is.
var ErrEmpty = errors.New("sqlfilter: empty clause")

// Position is a place in the user's text. Offset counts bytes from 0; Line
// and Col count from 1, and Col counts characters, not bytes. The zero
// Position means "no particular place".
type Position struct {
	Offset, Line, Col int
}

// String returns "line:col", or "" for the zero Position.
func (p Position) String() string {
	if p.Line == 0 {
		return ""
	}
	return strconv.Itoa(p.Line) + ":" + strconv.Itoa(p.Col)
}

// Error is a mistake in user text: a where clause, outFields or
// orderByFields, or a where clause that failed on the values it met
// (RuntimeError, without a position). Msg names the problem, Hint
// (optional) suggests a fix. Neither ever holds SQL text, table names or
// driver messages, so Error() is safe to show to clients.
type Error struct {
	Pos  Position
	Msg  string
	Hint string

	line  string // the source line holding Pos, for Snippet
	cause error  // ErrEmpty or the database's error, for errors.Is
}

// Error returns the message, position and hint, for example
// `unknown field "CloudCovr" at 1:1; did you mean "CloudCover"?`.
func (e *Error) Error() string {
	var b strings.Builder
	b.WriteString(e.Msg)
	if e.Pos.Line > 0 {
		b.WriteString(" at ")
		b.WriteString(e.Pos.String())
	}
	if e.Hint != "" {
		b.WriteString("; ")
		b.WriteString(e.Hint)
	}
	return b.String()
}

// Unwrap returns ErrEmpty for a blank clause, the database's error for an
// error made by RuntimeError, and nil otherwise.
func (e *Error) Unwrap() error { return e.cause }

// Snippet returns the offending line of the user's text with a caret under
// the error position:
//
//	| CloudCovr > 5
//	| ^
//
// It returns "" when the error has no position.
func (e *Error) Snippet() string {
	if e.Pos.Line == 0 {
		return ""
	}
	var b strings.Builder
	b.WriteString(" | ")
	b.WriteString(e.line)
	b.WriteString("\n | ")
	b.WriteString(strings.Repeat(".", e.Pos.Col-1))
	b.WriteString("^")
	return b.String()
}

// newError returns an *Error at byte offset off of src.
func newError(src string, off int, hint, msg string) *Error {
	if off > len(src) {
		off = len(src)
	}
	line, col, start := 1, 1, 0
	for i, r := range src[:off] {
		if r == '\n' {
			line, col, start = line+1, 1, i+1
			continue
		}
		col++
	}
	end := strings.IndexByte(src[start:], '\n')
	if end < 0 {
		end = len(src) - start
	}
	text := src[start : start+end]
	text = strings.TrimRight(text, "\r")
	if len(text) > 200 { // keep snippets short; the caret may then point past the cut
		text = truncate(text, 200)
	}
	return &Error{Pos: Position{Offset: off, Line: line, Col: col}, Msg: msg, Hint: hint, line: sanitize(text)}
}

// quote returns s as a double-quoted Go-style string for messages, cut to a
// readable length.
func quote(s string) string {
	return strconv.Quote(truncate(s, 64))
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	cut := n
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return s[:cut] + "…"
}

// sanitize replaces control characters so that a snippet stays on its lines.
func sanitize(s string) string {
	return strings.Map(func(r rune) rune {
		if r < 0x20 || r == 0x7f {
			return ' '
		}
		return r
	}, s)
}

// suggest returns the candidate closest to name (ignoring case) when it is
// close enough to be a likely typo, or "".
func suggest(name string, candidates func(yield func(string) bool)) string {
	best, bestD := "", -1
	up := strings.ToUpper(name)
	limit := max(1, utf8.RuneCountInString(name)/3)
	candidates(func(c string) bool {
		d := levenshtein(up, strings.ToUpper(c))
		if d <= limit && (bestD < 0 || d < bestD) {
			best, bestD = c, d
		}
		return true
	})
	return best
}

// levenshtein returns the edit distance of a and b, counting the
// transposition of two adjacent characters as one edit.
func levenshtein(a, b string) int {
	ra, rb := []rune(a), []rune(b)
	if len(ra) > 64 || len(rb) > 64 {
		return 1 << 20
	}
	d := make([][]int, len(ra)+1)
	for i := range d {
		d[i] = make([]int, len(rb)+1)
		d[i][0] = i
	}
	for j := range d[0] {
		d[0][j] = j
	}
	for i := 1; i <= len(ra); i++ {
		for j := 1; j <= len(rb); j++ {
			cost := 1
			if ra[i-1] == rb[j-1] {
				cost = 0
			}
			d[i][j] = min(d[i-1][j]+1, d[i][j-1]+1, d[i-1][j-1]+cost)
			if i > 1 && j > 1 && ra[i-1] == rb[j-2] && ra[i-2] == rb[j-1] {
				d[i][j] = min(d[i][j], d[i-2][j-2]+1)
			}
		}
	}
	return d[len(ra)][len(rb)]
}
