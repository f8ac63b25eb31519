package sqlfilter

import (
	"fmt"
	"strings"
	"unicode/utf8"
)

// Type is the type of an allow-listed field.
type Type int

// Field types.
const (
	Integer Type = iota + 1 // INTEGER columns, including OBJECTID
	Double                  // DOUBLE PRECISION / REAL columns
	String                  // TEXT columns
	Date                    // INTEGER epoch milliseconds (UTC) in both dialects
)

// String returns the SQL-ish name of t, as used in error messages.
func (t Type) String() string {
	switch t {
	case Integer:
		return "integer"
	case Double:
		return "double"
	case String:
		return "string"
	case Date:
		return "date"
	}
	return fmt.Sprintf("Type(%d)", int(t))
}

func (t Type) valid() bool { return t >= Integer && t <= Date }

// Field is an allow-listed column. Name is what clients write; it is matched
// case-insensitively and may be double-quoted in a clause. Column is an SQL
// expression written by trusted code (for example `"CloudCover"` or
// `i."CloudCover"`) and emitted verbatim; it must be a single column
// reference or a parenthesized expression, and it never comes from user text.
type Field struct {
	Name   string
	Column string
	Type   Type
}

// Fields is a case-insensitive index of allow-listed fields. It is immutable
// and safe for concurrent use.
type Fields struct {
	list  []Field
	index map[string]int // ASCII-upper-cased name → position in list
	fold  bool           // some name is not ASCII: fall back to strings.EqualFold
}

// NewFields returns an index of fs. It fails if a name is empty, invalid
// UTF-8 or given twice (ignoring case), if a column is empty or holds a `?`,
// or if a type is unknown.
func NewFields(fs ...Field) (*Fields, error) {
	f := &Fields{list: append([]Field(nil), fs...), index: make(map[string]int, len(fs))}
	for i, fd := range f.list {
		switch {
		case fd.Name == "" || !utf8.ValidString(fd.Name) || strings.IndexByte(fd.Name, 0) >= 0:
			return nil, fmt.Errorf("sqlfilter: field %d: invalid name %q", i, fd.Name)
		case strings.TrimSpace(fd.Column) == "":
			return nil, fmt.Errorf("sqlfilter: field %q: empty column", fd.Name)
		case strings.ContainsAny(fd.Column, "?;\x00"):
			return nil, fmt.Errorf("sqlfilter: field %q: column %q holds a reserved character", fd.Name, fd.Column)
		case !fd.Type.valid():
			return nil, fmt.Errorf("sqlfilter: field %q: unknown type %d", fd.Name, int(fd.Type))
		}
		if !isASCII(fd.Name) {
			f.fold = true
		}
		if j, ok := f.lookupN(fd.Name, i); ok {
			return nil, fmt.Errorf("sqlfilter: duplicate field %q (also %q)", fd.Name, f.list[j].Name)
		}
		f.index[strings.ToUpper(fd.Name)] = i
	}
	return f, nil
}

// Lookup returns the field called name, ignoring case.
func (f *Fields) Lookup(name string) (Field, bool) {
	if f == nil {
		return Field{}, false
	}
	i, ok := f.lookup(name)
	if !ok {
		return Field{}, false
	}
	return f.list[i], true
}

// All returns the fields in the order they were given to NewFields.
func (f *Fields) All() []Field {
	if f == nil {
		return nil
	}
	return append([]Field(nil), f.list...)
}

// Len returns the number of fields.
func (f *Fields) Len() int {
	if f == nil {
		return 0
	}
	return len(f.list)
}

func (f *Fields) lookup(name string) (int, bool) {
	if f == nil {
		return 0, false
	}
	return f.lookupN(name, len(f.list))
}

// lookupN looks name up among the first n fields.
func (f *Fields) lookupN(name string, n int) (int, bool) {
	var buf [64]byte
	if len(name) <= len(buf) && isASCII(name) {
		key := buf[:len(name)]
		for i := 0; i < len(name); i++ {
			key[i] = upperASCII(name[i])
		}
		if i, ok := f.index[string(key)]; ok { // no allocation: map index by converted []byte
			return i, true
		}
		if !f.fold {
			return 0, false
		}
	}
	for i := range f.list[:n] {
		if strings.EqualFold(f.list[i].Name, name) {
			return i, true
		}
	}
	return 0, false
}

// QuoteIdent returns name as a double-quoted SQL identifier, doubling any
// double quote inside it. It is meant for trusted callers building
// Field.Column values, never for user text.
func QuoteIdent(name string) string {
	return `"` + strings.ReplaceAll(name, `"`, `""`) + `"`
}

func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= utf8.RuneSelf {
			return false
		}
	}
	return true
}

func upperASCII(c byte) byte {
	if 'a' <= c && c <= 'z' {
		return c - ('a' - 'A')
	}
	return c
}
