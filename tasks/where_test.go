package tasks_test

import (
	"strings"
	"testing"

	"github.com/tessera-gis/tessera/mosaic"
)

// TestDeleteImageWhereNeverInternal: a where clause is refused at submit
// when it is blank or its literals overflow, and a clause whose values
// overflow only on the catalog's data fails the job with a message naming
// the where clause, never "Internal error.", and removes nothing.
func TestDeleteImageWhereNeverInternal(t *testing.T) {
	t.Parallel()
	b := setupDelete(t)
	for _, where := range []string{"", "  ", "\t\r\n", "ABS(-9223372036854775808) > 0", "OBJECTID = 9223372036854775808",
		"NULL", "Name LIKE 'a!b' ESCAPE '!'", "TIMESTAMP '2020-01-01' < AcquisitionDate"} {
		j, err := b.execute(t, "DeleteImage", map[string]string{"imageCollection": "C", "where": where})
		if mosaic.ErrorCode(err) != mosaic.EINVALID {
			t.Errorf("where %q: job %v, error %v; want EINVALID at submit", where, j, err)
		}
	}
	// OBJECTID 1 - 9223372036854775807 - 2 is the smallest integer; its
	// absolute value is out of range.
	j, err := b.execute(t, "DeleteImage", map[string]string{"imageCollection": "C",
		"where": "ABS(OBJECTID - 9223372036854775807 - 2) > 0"})
	if err != nil {
		t.Fatal(err)
	}
	msgs := messages(j)
	if j.State != mosaic.JobFailed || !strings.Contains(msgs, "Invalid where clause. a value is out of range") ||
		strings.Contains(msgs, "Internal error") {
		t.Errorf("%s:\n%s", j.State, msgs)
	}
	if got := b.count(t); got != 200 {
		t.Errorf("%d items left, want 200", got)
	}
}
