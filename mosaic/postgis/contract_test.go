package postgis_test

import (
	"context"
	"fmt"
	"os"
	"testing"

	"github.com/tessera-gis/tessera/internal/pgtest"
	"github.com/tessera-gis/tessera/mosaic"
	"github.com/tessera-gis/tessera/mosaic/postgis"
	"github.com/tessera-gis/tessera/mosaic/storetest"
)

// testDB is this package's throwaway database (nil without PostgreSQL);
// each store opened in it gets its own schema.
var (
	testDB    *pgtest.Database
	testDBErr error
)

func TestMain(m *testing.M) {
	testDB, testDBErr = pgtest.CreateDatabase(context.Background(), "tessera_postgis_test")
	code := m.Run()
	if testDB != nil {
		if err := testDB.Drop(context.Background()); err != nil {
			fmt.Fprintln(os.Stderr, "drop test database:", err)
			code = 1
		}
	}
	os.Exit(code)
}

// openStore opens a store in a new, empty schema of the test database.
func openStore(t *testing.T) *postgis.DB {
	t.Helper()
	return openStoreWith(t)
}

// openStoreWith opens a store in a new schema, with the connection
// parameters given as key, value pairs (e.g. pool_max_conns).
func openStoreWith(t *testing.T, params ...string) *postgis.DB {
	t.Helper()
	if testDB == nil {
		if pgtest.Required() {
			t.Fatalf("PostgreSQL is required (TESSERA_REQUIRE_POSTGRES=1): %v", testDBErr)
		}
		t.Skipf("PostgreSQL not usable, skipping (set TESSERA_REQUIRE_POSTGRES=1 to fail instead): %v", testDBErr)
	}
	dsn := testDB.NewSchema(t, "s")
	for i := 0; i+1 < len(params); i += 2 {
		dsn = pgtest.WithParam(dsn, params[i], params[i+1])
	}
	db, err := postgis.Open(t.Context(), dsn)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

// TestContract runs the store contract suite on PostgreSQL, a new schema
// per subtest.
func TestContract(t *testing.T) {
	storetest.Run(t, func(t *testing.T) mosaic.Store { return openStore(t) })
}
