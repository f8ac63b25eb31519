package sqlfilter_test

import (
	"testing"

	"github.com/tessera-gis/tessera/sqlfilter"
)

func TestNewFields(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name   string
		fields []sqlfilter.Field
		want   string
	}{
		{"duplicate", []sqlfilter.Field{{"Name", `"a"`, sqlfilter.String}, {"NAME", `"b"`, sqlfilter.String}}, `sqlfilter: duplicate field "NAME" (also "Name")`},
		{"duplicate non-ASCII", []sqlfilter.Field{{"Élan", `"a"`, sqlfilter.String}, {"éLAN", `"b"`, sqlfilter.String}}, `sqlfilter: duplicate field "éLAN" (also "Élan")`},
		{"empty name", []sqlfilter.Field{{"", `"a"`, sqlfilter.String}}, `sqlfilter: field 0: invalid name ""`},
		{"empty column", []sqlfilter.Field{{"a", " ", sqlfilter.String}}, `sqlfilter: field "a": empty column`},
		{"placeholder in column", []sqlfilter.Field{{"a", `"a?"`, sqlfilter.String}}, `sqlfilter: field "a": column "\"a?\"" holds a reserved character`},
		{"bad type", []sqlfilter.Field{{"a", `"a"`, 0}}, `sqlfilter: field "a": unknown type 0`},
	} {
		if _, err := sqlfilter.NewFields(tc.fields...); err == nil || err.Error() != tc.want {
			t.Errorf("%s: NewFields = %v, want %s", tc.name, err, tc.want)
		}
	}

	fs, err := sqlfilter.NewFields(
		sqlfilter.Field{Name: "CloudCover", Column: `"CloudCover"`, Type: sqlfilter.Double},
		sqlfilter.Field{Name: "Élan", Column: `"elan"`, Type: sqlfilter.String},
	)
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"CloudCover", "cloudcover", "CLOUDCOVER"} {
		if f, ok := fs.Lookup(name); !ok || f.Column != `"CloudCover"` {
			t.Errorf("Lookup(%q) = %v, %v", name, f, ok)
		}
	}
	if f, ok := fs.Lookup("éLAN"); !ok || f.Name != "Élan" {
		t.Errorf(`Lookup("éLAN") = %v, %v`, f, ok)
	}
	if _, ok := fs.Lookup("Cloud"); ok {
		t.Error(`Lookup("Cloud") found a field`)
	}
	all := fs.All()
	all[0].Name = "changed"
	if fs.All()[0].Name != "CloudCover" || fs.Len() != 2 {
		t.Error("All() exposes the index's storage")
	}
}

func TestQuoteIdent(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]string{
		"CloudCover": `"CloudCover"`,
		`a"b`:        `"a""b"`,
		"":           `""`,
	} {
		if got := sqlfilter.QuoteIdent(in); got != want {
			t.Errorf("QuoteIdent(%q) = %s, want %s", in, got, want)
		}
	}
}
