package raster_test

import (
	"fmt"
	"path/filepath"
	"sync/atomic"
	"testing"

	"github.com/tessera-gis/tessera/raster"
	"github.com/tessera-gis/tessera/raster/rastertest"
)

// BenchmarkInspect reads the headers of a few hundred small GeoTIFFs from
// GOMAXPROCS goroutines and reports files per second.
func BenchmarkInspect(b *testing.B) {
	const files = 300
	dir := b.TempDir()
	paths := make([]string, files)
	for i := range paths {
		paths[i] = rastertest.GeoTIFF(b, filepath.Join(dir, fmt.Sprintf("b%03d.tif", i)),
			rastertest.Size(256, 256), rastertest.Bands(3),
			rastertest.GeoTransform([6]float64{500000 + float64(i%20)*2560, 10, 0, 5000000 - float64(i/20)*2560, 0, -10}),
			rastertest.Metadata("SENSORNAME", "Sentinel-2A"), rastertest.Metadata("CLOUDCOVER", "12"))
	}
	var next atomic.Int64
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			p := paths[next.Add(1)%files]
			if _, err := raster.Inspect(storeCtx, p); err != nil {
				b.Error(err)
				return
			}
		}
	})
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "files/s")
}

// BenchmarkRender draws the 24 demo tiles into a 512×512 PNG in Web
// Mercator from GOMAXPROCS goroutines (source datasets come from the cache).
func BenchmarkRender(b *testing.B) {
	tiles, paths := demo(b)
	area := tiles[0].Bounds
	for _, t := range tiles {
		area = area.Union(t.Bounds)
	}
	web, err := raster.Transform(area, mustSRS(b, 32633), mustSRS(b, 3857))
	if err != nil {
		b.Fatal(err)
	}
	req := raster.RenderRequest{Sources: paths, Bound: web.Bound(), SRS: mustSRS(b, 3857), Width: 512, Height: 512}
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if _, err := raster.Render(storeCtx, req); err != nil {
				b.Error(err)
				return
			}
		}
	})
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "images/s")
}
