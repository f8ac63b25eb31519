package sqlfilter_test

import (
	"testing"

	"github.com/tessera-gis/tessera/sqlfilter"
)

// benchClause is a typical five-predicate query clause.
const benchClause = "CloudCover <= 20 AND AcquisitionDate >= DATE '2020-01-01' AND Category = 1 AND Name LIKE 'Land%' AND ZOrder <> 3"

func BenchmarkCompile(b *testing.B) {
	fields := testFields(b)
	for _, d := range []sqlfilter.Dialect{sqlfilter.SQLite, sqlfilter.Postgres} {
		b.Run(d.String(), func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, err := sqlfilter.Compile(benchClause, fields, sqlfilter.WithDialect(d)); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
