package sqlfilter

import (
	"errors"
	"slices"
)

// ParseOutFields parses the outFields parameter of an ImageServer query: "*"
// means every field, otherwise a comma-separated list of field names (any
// case, optionally double-quoted). Names given twice are returned once.
// A blank s returns nil, nil: the caller decides what that means. An
// unknown name gives an *Error.
func ParseOutFields(s string, fields *Fields) (out []Field, err error) {
	if fields == nil {
		return nil, errors.New("sqlfilter: ParseOutFields needs fields")
	}
	if isBlank(s) {
		return nil, nil
	}
	if err := checkText(s, "field list"); err != nil {
		return nil, err
	}
	defer recoverFailure(&err)
	l := lexer{src: s}
	for {
		t := l.next()
		switch {
		case t.kind == tokStar:
			return fields.All(), nil
		case t.kind != tokWord && t.kind != tokQuoted:
			fail(s, t.pos, "", "expected a field name, found %s", t.describe())
		}
		f := lookupField(s, t, fields)
		if !slices.ContainsFunc(out, func(g Field) bool { return g.Name == f.Name }) {
			out = append(out, f)
		}
		switch t = l.next(); t.kind {
		case tokEOF:
			return out, nil
		case tokComma:
		default:
			fail(s, t.pos, "", `expected "," between field names, found %s`, t.describe())
		}
	}
}

// Order is one key of an ORDER BY.
type Order struct {
	Field Field
	Desc  bool
}

// ParseOrderBy parses the orderByFields parameter of an ImageServer query:
// "F1 [ASC|DESC], F2 [ASC|DESC], …". A blank s returns nil, nil. An unknown
// name or anything else gives an *Error.
func ParseOrderBy(s string, fields *Fields) (out []Order, err error) {
	if fields == nil {
		return nil, errors.New("sqlfilter: ParseOrderBy needs fields")
	}
	if isBlank(s) {
		return nil, nil
	}
	if err := checkText(s, "order list"); err != nil {
		return nil, err
	}
	defer recoverFailure(&err)
	l := lexer{src: s}
	for {
		t := l.next()
		if t.kind != tokWord && t.kind != tokQuoted {
			fail(s, t.pos, "", "expected a field name, found %s", t.describe())
		}
		o := Order{Field: lookupField(s, t, fields)}
		t = l.next()
		if t.kind == tokWord && (t.kw == kwAsc || t.kw == kwDesc) {
			o.Desc = t.kw == kwDesc
			t = l.next()
		}
		out = append(out, o)
		switch t.kind {
		case tokEOF:
			return out, nil
		case tokComma:
		default:
			fail(s, t.pos, "", `expected ASC, DESC or ",", found %s`, t.describe())
		}
	}
}

// OrderBySQL returns the ORDER BY terms for orders, for squirrel's OrderBy,
// for example `"CloudCover" DESC`. With WithDialect(Postgres), string keys
// sort by code point (COLLATE "C") and NULLs sort first in ascending order,
// as in SQLite.
func OrderBySQL(orders []Order, opts ...Option) []string {
	var c config
	c.apply(opts)
	pg := c.dialect == Postgres
	out := make([]string, 0, len(orders))
	for _, o := range orders {
		s := o.Field.Column
		if pg && o.Field.Type == String {
			s += ` COLLATE "C"`
		}
		switch {
		case o.Desc && pg:
			s += " DESC NULLS LAST"
		case o.Desc:
			s += " DESC"
		case pg:
			s += " ASC NULLS FIRST"
		default:
			s += " ASC"
		}
		out = append(out, s)
	}
	return out
}

func lookupField(src string, t token, fields *Fields) Field {
	if i, ok := fields.lookup(t.text); ok {
		return fields.list[i]
	}
	hint := ""
	if s := suggest(t.text, func(yield func(string) bool) {
		for _, f := range fields.list {
			if !yield(f.Name) {
				return
			}
		}
	}); s != "" {
		hint = "did you mean " + quote(s) + "?"
	}
	fail(src, t.pos, hint, "unknown field %s", quote(t.text))
	return Field{}
}

func recoverFailure(err *error) {
	if r := recover(); r != nil {
		fl, ok := r.(failure)
		if !ok {
			panic(r)
		}
		*err = fl.err
	}
}
