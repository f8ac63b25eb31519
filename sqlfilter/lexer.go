package sqlfilter

import (
	"strings"
)

type tokKind uint8

const (
	tokEOF    tokKind = iota
	tokWord           // bare identifier or keyword; kw tells which
	tokQuoted         // "quoted identifier", unescaped in text
	tokString         // 'string literal', unescaped in text
	tokInt            // 123
	tokFloat          // 1.5, .5, 1e3
	tokLParen
	tokRParen
	tokComma
	tokEq // =
	tokNe // <> or !=
	tokLt
	tokLe
	tokGt
	tokGe
	tokPlus
	tokMinus
	tokStar
	tokSlash
)

var tokNames = [...]string{
	tokEOF: "end of clause", tokWord: "word", tokQuoted: "quoted name", tokString: "string",
	tokInt: "number", tokFloat: "number", tokLParen: `"("`, tokRParen: `")"`, tokComma: `","`,
	tokEq: `"="`, tokNe: `"<>"`, tokLt: `"<"`, tokLe: `"<="`, tokGt: `">"`, tokGe: `">="`,
	tokPlus: `"+"`, tokMinus: `"-"`, tokStar: `"*"`, tokSlash: `"/"`,
}

type token struct {
	kind tokKind
	kw   keyword // for tokWord
	pos  int     // byte offset of the first character
	text string  // raw text; for strings and quoted names the unescaped value
}

// describe names t for an error message.
func (t token) describe() string {
	switch t.kind {
	case tokWord:
		return quote(t.text)
	case tokQuoted:
		return "quoted name " + quote(t.text)
	case tokString:
		return "string " + quote(t.text)
	case tokInt, tokFloat:
		return "number " + t.text
	}
	return tokNames[t.kind]
}

// lexer turns a clause into tokens on demand. It stops at the first error.
type lexer struct {
	src string
	off int
}

// next returns the next token. Errors are raised with fail.
func (l *lexer) next() token {
	src := l.src
	i := l.off
	for i < len(src) && isSpace(src[i]) {
		i++
	}
	if i >= len(src) {
		l.off = i
		return token{kind: tokEOF, pos: i}
	}
	start := i
	c := src[i]
	kind := tokEOF
	switch {
	case isIdentStart(c):
		for i < len(src) && isIdentPart(src[i]) {
			i++
		}
		if i < len(src) && src[i] >= 0x80 {
			fail(src, i, "field names with non-ASCII characters must be double-quoted", "unexpected character %s", quoteRune(src[i:]))
		}
		l.off = i
		text := src[start:i]
		return token{kind: tokWord, kw: lookupKeyword(text), pos: start, text: text}
	case isDigit(c) || (c == '.' && i+1 < len(src) && isDigit(src[i+1])):
		return l.number(start)
	case c == '\'':
		return l.quoted(start, '\'', tokString)
	case c == '"':
		return l.quoted(start, '"', tokQuoted)
	case c == '(':
		kind = tokLParen
	case c == ')':
		kind = tokRParen
	case c == ',':
		kind = tokComma
	case c == '=':
		kind = tokEq
		if i+1 < len(src) && src[i+1] == '=' {
			fail(src, i, `use "="`, `unexpected "=="`)
		}
	case c == '<':
		kind = tokLt
		if i+1 < len(src) {
			switch src[i+1] {
			case '=':
				kind, i = tokLe, i+1
			case '>':
				kind, i = tokNe, i+1
			}
		}
	case c == '>':
		kind = tokGt
		if i+1 < len(src) && src[i+1] == '=' {
			kind, i = tokGe, i+1
		}
	case c == '!':
		if i+1 < len(src) && src[i+1] == '=' {
			kind, i = tokNe, i+1
		} else {
			fail(src, i, `use NOT or "<>"`, `unexpected "!"`)
		}
	case c == '+':
		kind = tokPlus
	case c == '-':
		if i+1 < len(src) && src[i+1] == '-' {
			fail(src, i, "", "comments are not allowed")
		}
		kind = tokMinus
	case c == '*':
		kind = tokStar
	case c == '/':
		if i+1 < len(src) && src[i+1] == '*' {
			fail(src, i, "", "comments are not allowed")
		}
		kind = tokSlash
	case c == ';':
		fail(src, i, "", "statement separators (;) are not allowed")
	case c == '|' && i+1 < len(src) && src[i+1] == '|':
		fail(src, i, "use CONCAT(a, b)", `the "||" operator is not supported`)
	case c == '[':
		fail(src, i, "enclose field names in double quotes", `square brackets are not supported`)
	case c == '?' || c == ':' || c == '@' || c == '$':
		fail(src, i, "", "parameters are not supported (unexpected %s)", quoteRune(src[i:]))
	default:
		fail(src, i, "", "unexpected character %s", quoteRune(src[i:]))
	}
	l.off = i + 1
	return token{kind: kind, pos: start, text: src[start : i+1]}
}

func (l *lexer) number(start int) token {
	src := l.src
	i := start
	kind := tokInt
	for i < len(src) && isDigit(src[i]) {
		i++
	}
	if i < len(src) && src[i] == '.' {
		kind = tokFloat
		i++
		for i < len(src) && isDigit(src[i]) {
			i++
		}
	}
	if i < len(src) && (src[i] == 'e' || src[i] == 'E') {
		j := i + 1
		if j < len(src) && (src[j] == '+' || src[j] == '-') {
			j++
		}
		if j < len(src) && isDigit(src[j]) {
			kind = tokFloat
			i = j
			for i < len(src) && isDigit(src[i]) {
				i++
			}
		}
	}
	if i < len(src) && (isIdentPart(src[i]) || src[i] == '.' || src[i] >= 0x80) {
		fail(src, start, "", "invalid number %s", quote(src[start:min(len(src), i+1)]))
	}
	l.off = i
	return token{kind: kind, pos: start, text: src[start:i]}
}

// quoted scans a string literal or a quoted name; a doubled quote stands for
// one quote character.
func (l *lexer) quoted(start int, q byte, kind tokKind) token {
	src := l.src
	i := start + 1
	var b *strings.Builder
	seg := i
	for {
		j := strings.IndexByte(src[i:], q)
		if j < 0 {
			if kind == tokString {
				fail(src, start, "strings end with a single quote; write '' for a quote inside", "unterminated string")
			}
			fail(src, start, "", "unterminated quoted name")
		}
		i += j
		if i+1 < len(src) && src[i+1] == q {
			if b == nil {
				b = new(strings.Builder)
			}
			b.WriteString(src[seg : i+1])
			i += 2
			seg = i
			continue
		}
		break
	}
	text := src[seg:i]
	if b != nil {
		b.WriteString(text)
		text = b.String()
	}
	l.off = i + 1
	if kind == tokQuoted && text == "" {
		fail(src, start, "", "empty quoted name")
	}
	return token{kind: kind, pos: start, text: text}
}

// isSpace reports whether c separates tokens: a space, a tab or a line
// break. Other control characters never reach the lexer (see checkText).
func isSpace(c byte) bool      { return c == ' ' || c == '\t' || c == '\n' || c == '\r' }
func isDigit(c byte) bool      { return '0' <= c && c <= '9' }
func isIdentStart(c byte) bool { return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || c == '_' }
func isIdentPart(c byte) bool  { return isIdentStart(c) || isDigit(c) }

// quoteRune quotes the first character of s for a message.
func quoteRune(s string) string {
	for _, r := range s {
		return quote(string(r))
	}
	return `""`
}
