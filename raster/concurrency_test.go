package raster_test

import (
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/paulmach/orb"
	"github.com/tessera-gis/tessera/raster"
	"github.com/tessera-gis/tessera/raster/rastertest"
)

// TestConcurrentUse renders, inspects and transforms from several
// goroutines at once with a dataset cache smaller than the working set, so
// handles are checked out, evicted and reopened concurrently. Run it with
// -race.
func TestConcurrentUse(t *testing.T) {
	tiles, paths := demo(t)
	before := rastertest.Checksums(t, paths...)
	raster.SetDatasetCacheSize(4)
	t.Cleanup(func() { raster.SetDatasetCacheSize(raster.DefaultDatasetCacheSize) })
	utm, web := mustSRS(t, 32633), mustSRS(t, 3857)

	const workers, rounds = 8, 6
	var wg sync.WaitGroup
	errs := make(chan error, workers*rounds*3)
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range rounds {
				k := (w*rounds + i) % (len(tiles) - 8)
				area := tiles[k].Bounds.Union(tiles[k+7].Bounds)
				_, err := raster.Render(storeCtx, raster.RenderRequest{
					Sources: paths[k : k+8], Bound: area, SRS: utm, Width: 64 + w, Height: 48 + i,
					Format: []string{"png", "jpgpng", "png8", "tiff"}[(w+i)%4],
				})
				if err != nil {
					errs <- fmt.Errorf("render: %w", err)
				}
				info, err := raster.Inspect(storeCtx, paths[(w+i)%len(paths)], raster.ValidDataFootprint(), raster.Statistics())
				if err != nil {
					errs <- fmt.Errorf("inspect: %w", err)
					continue
				}
				if _, err := raster.Transform(info.Footprint, info.SRS, web); err != nil {
					errs <- fmt.Errorf("transform: %w", err)
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	before.AssertUnchanged(t)
}

// TestRenderSeesReplacedSource checks that a cached dataset is not reused
// after its file was replaced.
func TestRenderSeesReplacedSource(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "src.tif")
	write := func(v float64) {
		tmp := rastertest.GeoTIFF(t, filepath.Join(dir, fmt.Sprintf("tmp-%v.tif", v)), rastertest.Size(16, 16),
			rastertest.Fill(func(_, _, _ int) float64 { return v }))
		if err := os.Rename(tmp, p); err != nil {
			t.Fatal(err)
		}
	}
	req := raster.RenderRequest{Sources: []string{p}, SRS: mustSRS(t, 32633), Width: 4, Height: 4, Format: "tiff",
		Bound: orb.Bound{Min: orb.Point{500000, 4999840}, Max: orb.Point{500160, 5000000}}}
	pixel := func() float64 {
		img, err := raster.Render(storeCtx, req)
		if err != nil {
			t.Fatal(err)
		}
		_, _, b := readPixels(t, writeTemp(t, "out.tif", img.Data))
		return b[0][0]
	}
	write(10)
	if got := pixel(); got != 10 {
		t.Fatalf("pixel %v, want 10", got)
	}
	time.Sleep(10 * time.Millisecond) // a distinct modification time
	write(20)
	if got := pixel(); got != 20 {
		t.Fatalf("after replacing the file: pixel %v, want 20", got)
	}
}
