package tasks_test

import (
	"fmt"
	"path/filepath"
	"testing"

	"github.com/tessera-gis/tessera/raster/rastertest"
)

// BenchmarkAddImage adds 2,000 small GeoTIFFs (header reads only) to a new
// collection per iteration and reports items per second.
func BenchmarkAddImage(b *testing.B) {
	const n = 2000
	tb := setup(b)
	dir := filepath.Join(tb.dir, "src")
	for i := range n {
		tile(b, filepath.Join(dir, fmt.Sprintf("d%02d", i/100)), fmt.Sprintf("t%04d.tif", i), i%100,
			rastertest.Size(100, 100), rastertest.Bands(3), rastertest.Metadata("CLOUDCOVER", "12"))
	}
	b.ResetTimer()
	for i := 0; b.Loop(); i++ {
		name := fmt.Sprintf("Bench%d", i)
		tb.create(name, `{"outSR": 32633}`)
		tb.succeed("AddImage", map[string]string{"imageCollection": name, "inputRasters": dir})
	}
	b.ReportMetric(float64(n*b.N)/b.Elapsed().Seconds(), "items/s")
}
