package sqlfilter_test

import (
	"reflect"
	"testing"

	"github.com/Masterminds/squirrel"

	"github.com/tessera-gis/tessera/sqlfilter"
)

func TestParseOutFields(t *testing.T) {
	t.Parallel()
	fields := testFields(t)
	names := func(fs []sqlfilter.Field) []string {
		var out []string
		for _, f := range fs {
			out = append(out, f.Name)
		}
		return out
	}
	for _, tc := range []struct {
		in   string
		want []string
		err  string
	}{
		{in: "*", want: names(fields.All())},
		{in: " * ", want: names(fields.All())},
		{in: "", want: nil},
		{in: "Name", want: []string{"Name"}},
		{in: `objectid, "Sun Elevation",NAME , name`, want: []string{"OBJECTID", "Sun Elevation", "Name"}},
		{in: "Name,, Tag", err: `expected a field name, found "," at 1:6`},
		{in: "Name Tag", err: `expected "," between field names, found "Tag" at 1:6`},
		{in: "Name, Cloud", err: `unknown field "Cloud" at 1:7`},
		{in: "Name, Cloudcovr", err: `unknown field "Cloudcovr" at 1:7; did you mean "CloudCover"?`},
		{in: "Name,", err: `expected a field name, found end of clause at 1:6`},
		{in: "Name; DROP", err: "statement separators (;) are not allowed at 1:5"},
	} {
		got, err := sqlfilter.ParseOutFields(tc.in, fields)
		if tc.err != "" {
			if userError(err) == nil || err.Error() != tc.err {
				t.Errorf("ParseOutFields(%q) error = %v, want %s", tc.in, err, tc.err)
			}
			continue
		}
		if err != nil {
			t.Errorf("ParseOutFields(%q): %v", tc.in, err)
			continue
		}
		if !reflect.DeepEqual(names(got), tc.want) {
			t.Errorf("ParseOutFields(%q) = %v, want %v", tc.in, names(got), tc.want)
		}
	}
}

func TestParseOrderBy(t *testing.T) {
	t.Parallel()
	fields := testFields(t)
	for _, tc := range []struct {
		in        string
		sqlite    []string
		pg        []string
		wantError string
	}{
		{in: "", sqlite: []string{}, pg: []string{}},
		{in: "CloudCover", sqlite: []string{`"CloudCover" ASC`}, pg: []string{`"CloudCover" ASC NULLS FIRST`}},
		{
			in:     `ZOrder DESC, name asc, "Sun Elevation"`,
			sqlite: []string{`"ZOrder" DESC`, `"Name" ASC`, `"sun_elev" ASC`},
			pg:     []string{`"ZOrder" DESC NULLS LAST`, `"Name" COLLATE "C" ASC NULLS FIRST`, `"sun_elev" ASC NULLS FIRST`},
		},
		{in: "ZOrder DOWN", wantError: `expected ASC, DESC or ",", found "DOWN" at 1:8`},
		{in: "ZOrder DESC DESC", wantError: `expected ASC, DESC or ",", found "DESC" at 1:13`},
		{in: "Zorder2 DESC", wantError: `unknown field "Zorder2" at 1:1; did you mean "ZOrder"?`},
		{in: "ZOrder, (SELECT 1)", wantError: `expected a field name, found "(" at 1:9`},
	} {
		orders, err := sqlfilter.ParseOrderBy(tc.in, fields)
		if tc.wantError != "" {
			if userError(err) == nil || err.Error() != tc.wantError {
				t.Errorf("ParseOrderBy(%q) error = %v, want %s", tc.in, err, tc.wantError)
			}
			continue
		}
		if err != nil {
			t.Errorf("ParseOrderBy(%q): %v", tc.in, err)
			continue
		}
		if got := sqlfilter.OrderBySQL(orders); !reflect.DeepEqual(got, tc.sqlite) {
			t.Errorf("OrderBySQL(%q) = %q, want %q", tc.in, got, tc.sqlite)
		}
		if got := sqlfilter.OrderBySQL(orders, sqlfilter.WithDialect(sqlfilter.Postgres)); !reflect.DeepEqual(got, tc.pg) {
			t.Errorf("OrderBySQL(%q, Postgres) = %q, want %q", tc.in, got, tc.pg)
		}
	}
}

// TestOrderBy checks that OrderBySQL sorts the same in both dialects,
// NULLs and case included.
func TestOrderBy(t *testing.T) {
	t.Parallel()
	fields := testFields(t)
	cats := []*catalog{mustOpenSQLite(t)}
	if pg := tryPostgres(t); pg != nil {
		cats = append(cats, pg)
	}
	for _, tc := range []struct {
		orderBy string
		want    []int64
	}{
		{"Name ASC", []int64{4, 6, 8, 1, 2, 7, 5, 10, 12, 3, 11, 9}},
		{"Name DESC", []int64{9, 11, 3, 12, 10, 5, 7, 2, 1, 8, 6, 4}},
		{"Category, ZOrder DESC, OBJECTID", []int64{4, 11, 7, 6, 3, 10, 1, 9, 2, 5, 12, 8}},
	} {
		orders, err := sqlfilter.ParseOrderBy(tc.orderBy, fields)
		if err != nil {
			t.Fatal(err)
		}
		for _, c := range cats {
			q := squirrel.Select(`"OBJECTID"`).From(c.table).OrderBy(sqlfilter.OrderBySQL(orders, sqlfilter.WithDialect(c.dialect))...)
			rows, err := q.RunWith(c.db).Query()
			if err != nil {
				t.Fatal(err)
			}
			var got []int64
			for rows.Next() {
				var id int64
				if err := rows.Scan(&id); err != nil {
					t.Fatal(err)
				}
				got = append(got, id)
			}
			rows.Close()
			if !reflect.DeepEqual(got, tc.want) {
				t.Errorf("%s: ORDER BY %s = %v, want %v", c.dialect, tc.orderBy, got, tc.want)
			}
		}
	}
}
