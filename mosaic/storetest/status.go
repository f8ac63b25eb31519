package storetest

import (
	"testing"

	"github.com/tessera-gis/tessera/mosaic"
)

var statusTests = []test{
	{"ReadyAndSize", testStatus},
}

// testStatus: a store that reports its status is ready once open, and
// its size grows as items are added.
func testStatus(t *testing.T, open Opener) {
	b := setup(t, open)
	st, ok := b.db.(mosaic.StoreStatus)
	if !ok {
		t.Skip("the store does not implement mosaic.StoreStatus")
	}
	if err := st.Ready(t.Context()); err != nil {
		t.Fatalf("Ready on an open store: %v", err)
	}
	size0, wal0, err := st.Size(t.Context())
	if err != nil || size0 <= 0 || wal0 < -1 {
		t.Fatalf("Size = %d, %d, %v", size0, wal0, err)
	}
	b.grid(t, 20, 20, 2, 0.1, 1)
	size1, wal1, err := st.Size(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if size1+max(wal1, 0) <= size0+max(wal0, 0) {
		t.Errorf("Size did not grow with 800 items: %d+%d, then %d+%d", size0, wal0, size1, wal1)
	}
}
