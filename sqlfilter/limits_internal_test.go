package sqlfilter

import (
	"strings"
	"testing"
)

// TestInListLimit checks MaxInValues, which clauses within MaxLength cannot
// reach: the parser is driven directly.
func TestInListLimit(t *testing.T) {
	t.Parallel()
	fields, err := NewFields(Field{Name: "OBJECTID", Column: `"OBJECTID"`, Type: Integer})
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		n    int
		want string
	}{
		{MaxInValues, ""},
		{MaxInValues + 1, "the IN list has more than 10000 values at 1:20014"},
	} {
		where := "OBJECTID IN (" + strings.TrimSuffix(strings.Repeat("1,", tc.n), ",") + ")"
		err := func() (err error) {
			defer recoverFailure(&err)
			p := parser{src: where, lx: lexer{src: where}, fields: fields}
			p.check(p.parse())
			return nil
		}()
		switch {
		case tc.want == "" && err != nil:
			t.Errorf("%d values: %v", tc.n, err)
		case tc.want != "" && (err == nil || err.Error() != tc.want):
			t.Errorf("%d values: error = %v, want %s", tc.n, err, tc.want)
		}
	}
}
