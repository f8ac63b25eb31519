package tasks

import (
	"bytes"
	"encoding/json"
	"errors"
	"strings"
	"unicode/utf8"
)

// LenientJSON returns s as strict JSON. Clients put JSON text in form
// fields, and not always cleanly, so besides JSON it accepts:
//
//   - a JSON string holding the JSON (a value encoded twice),
//   - Python literals as str(dict) writes them: 'single quotes', True,
//     False, None,
//   - unquoted object keys and trailing commas, as JavaScript allows,
//   - a leading byte-order mark.
//
// Anything else is an error; nothing is guessed.
func LenientJSON(s string) ([]byte, error) {
	s = strings.TrimSpace(strings.TrimPrefix(s, "\ufeff"))
	if json.Valid([]byte(s)) {
		var inner string
		if strings.HasPrefix(s, `"`) && json.Unmarshal([]byte(s), &inner) == nil {
			t := strings.TrimSpace(inner)
			if strings.HasPrefix(t, "{") || strings.HasPrefix(t, "[") {
				if b, err := LenientJSON(t); err == nil {
					return b, nil
				}
			}
		}
		return []byte(s), nil
	}
	b, err := normalizeJSON(s)
	if err != nil {
		return nil, err
	}
	if !json.Valid(b) {
		return nil, errors.New("not valid JSON")
	}
	return b, nil
}

// normalizeJSON rewrites single-quoted strings, Python literals, bare keys
// and trailing commas into JSON. It tokenizes just enough to never touch
// the inside of a string.
func normalizeJSON(s string) ([]byte, error) {
	var out bytes.Buffer
	for i := 0; i < len(s); {
		c := s[i]
		switch {
		case c == '"' || c == '\'':
			str, n, err := scanString(s[i:])
			if err != nil {
				return nil, err
			}
			b, _ := json.Marshal(str)
			out.Write(b)
			i += n
		case c == ',':
			// Drop a comma followed (after spaces) by a closing bracket.
			j := i + 1
			for j < len(s) && isSpace(s[j]) {
				j++
			}
			if j < len(s) && (s[j] == '}' || s[j] == ']') {
				i = j
				continue
			}
			out.WriteByte(c)
			i++
		case c == '-' || c == '.' || ('0' <= c && c <= '9'):
			j := i + 1
			for j < len(s) && (s[j] == '.' || s[j] == 'e' || s[j] == 'E' || s[j] == '+' || s[j] == '-' || ('0' <= s[j] && s[j] <= '9')) {
				j++
			}
			out.WriteString(s[i:j])
			i = j
		case isIdentStart(c):
			j := i
			for j < len(s) && isIdentPart(s[j]) {
				j++
			}
			word := s[i:j]
			k := j
			for k < len(s) && isSpace(s[k]) {
				k++
			}
			switch {
			case k < len(s) && s[k] == ':': // a bare key
				b, _ := json.Marshal(word)
				out.Write(b)
			case word == "True" || word == "true":
				out.WriteString("true")
			case word == "False" || word == "false":
				out.WriteString("false")
			case word == "None" || word == "null":
				out.WriteString("null")
			default:
				return nil, errors.New("unquoted word " + word)
			}
			i = j
		default:
			out.WriteByte(c)
			i++
		}
	}
	return out.Bytes(), nil
}

// scanString reads a quoted string with backslash escapes and returns its
// value and length.
func scanString(s string) (string, int, error) {
	q := s[0]
	var b strings.Builder
	for i := 1; i < len(s); {
		c := s[i]
		switch {
		case c == q:
			return b.String(), i + 1, nil
		case c == '\\' && i+1 < len(s):
			e := s[i+1]
			switch e {
			case 'n':
				b.WriteByte('\n')
			case 't':
				b.WriteByte('\t')
			case 'r':
				b.WriteByte('\r')
			case 'b':
				b.WriteByte('\b')
			case 'f':
				b.WriteByte('\f')
			case 'u':
				if i+6 <= len(s) {
					var r string
					if json.Unmarshal([]byte(`"`+s[i:i+6]+`"`), &r) == nil {
						b.WriteString(r)
						i += 6
						continue
					}
				}
				return "", 0, errors.New("bad \\u escape")
			default: // \\, \/, \', \" and anything else stand for themselves
				b.WriteByte(e)
			}
			i += 2
		default:
			r, n := utf8.DecodeRuneInString(s[i:])
			b.WriteRune(r)
			i += n
		}
	}
	return "", 0, errors.New("unterminated string")
}

func isSpace(c byte) bool { return c == ' ' || c == '\t' || c == '\n' || c == '\r' }

func isIdentStart(c byte) bool {
	return c == '_' || c == '$' || ('a' <= c && c <= 'z') || ('A' <= c && c <= 'Z')
}

func isIdentPart(c byte) bool { return isIdentStart(c) || ('0' <= c && c <= '9') }

// jsonTypeError describes a JSON type mismatch without Go type names.
func jsonTypeError(err error) string {
	var te *json.UnmarshalTypeError
	if errors.As(err, &te) && te.Field != "" {
		return te.Field + " has the wrong type"
	}
	return "wrong structure"
}
