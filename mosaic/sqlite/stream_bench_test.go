package sqlite

import (
	"context"
	"math/rand/v2"
	"os"
	"testing"

	"github.com/paulmach/orb"

	"github.com/tessera-gis/tessera/mosaic"
)

// BenchmarkStreamPage runs the query benchmark's statement in-process
// through StreamItems, without HTTP or encoding: CloudCover < 30 in a
// 60×60-tile window at a pseudo-random place (the same sequence every run),
// 1,000 rows with every field and the footprint. It needs a copy of a
// bench query catalog (bench/.cache/catalogs/catalog-v1-1000000-1-…db):
//
//	cp bench/.cache/catalogs/catalog-v1-1000000-1-*.db /tmp/q.db
//	TESSERA_STREAM_DB=/tmp/q.db go test -run '^$' -bench StreamPage ./mosaic/sqlite
//
// Open migrates the file it is given, so give it a copy.
func BenchmarkStreamPage(b *testing.B) {
	path := os.Getenv("TESSERA_STREAM_DB")
	if path == "" {
		b.Skip("TESSERA_STREAM_DB is not set")
	}
	ctx := context.Background()
	db, err := Open(ctx, path)
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	var c *mosaic.Collection
	if err := db.View(ctx, func(tx mosaic.ReadTx) (err error) {
		c, err = tx.Collection(mosaic.CollectionRef{Name: "Bench"})
		return err
	}); err != nil {
		b.Fatal(err)
	}
	const tile, window, cols = 2560.0, 60, 1000
	r := rand.New(rand.NewPCG(1, 2))
	rows := 0
	for b.Loop() {
		x0 := 400000 + float64(r.IntN(cols-window))*tile + 1
		y0 := 5000000 + float64(r.IntN(cols-window))*tile + 1
		q := mosaic.ItemQuery{Where: "CloudCover < 30", OutFields: "*", ReturnGeometry: true, Limit: 1000,
			Geometry: orb.Bound{Min: orb.Point{x0, y0}, Max: orb.Point{x0 + window*tile - 2, y0 + window*tile - 2}}}
		if err := db.View(ctx, func(tx mosaic.ReadTx) error {
			_, err := tx.(*Tx).StreamItems(c, q, func([]mosaic.Field) error { return nil },
				func(*mosaic.ItemRow) error { rows++; return nil })
			return err
		}); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(rows)/float64(b.N), "rows/op")
}
