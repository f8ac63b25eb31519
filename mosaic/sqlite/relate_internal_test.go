package sqlite

import (
	"testing"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/encoding/wkb"
	"github.com/peterstace/simplefeatures/geom"
)

// A panic of the geometry library inside an SQL function would unwind
// through SQLite's C frames into database/sql's rollback, which waits for
// the statement's lock: the transaction deadlocks. relate turns it into an
// error.
func TestRelateRecoversPanic(t *testing.T) {
	a, err := wkb.Marshal(orb.Point{1, 2})
	if err != nil {
		t.Fatal(err)
	}
	ok, err := relate(a, a, func(geom.Geometry, geom.Geometry) (bool, error) { panic("boom") })
	if ok || err == nil {
		t.Fatalf("relate = %v, %v; want an error", ok, err)
	}
}
