package raster_test

import (
	"os"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/tessera-gis/tessera/raster"
	"github.com/tessera-gis/tessera/raster/rastertest"
)

func TestWriteDemo(t *testing.T) {
	t.Parallel()
	dir := filepath.Join(t.TempDir(), "demo")
	tiles, err := raster.WriteDemo(dir, 24)
	if err != nil {
		t.Fatal(err)
	}
	if len(tiles) != 24 {
		t.Fatalf("%d tiles", len(tiles))
	}
	union := tiles[0].Bounds
	cloudy, sensors := 0, map[string]bool{}
	for i, tile := range tiles {
		info := inspect(t, tile.Path)
		if info.Width != 256 || info.Height != 256 || info.Bands != 3 || info.PixelType != "U8" ||
			info.SRS.EPSG != 32633 || info.CellSizeX != 10 || !info.Bounds.Equal(tile.Bounds) {
			t.Fatalf("tile %d: %+v", i, info)
		}
		md := info.Metadata
		if md["ACQUISITIONDATE"] != tile.AcquisitionDate.Format(time.DateOnly) || md["SENSORNAME"] != tile.SensorName ||
			md["PRODUCTNAME"] != tile.ProductName || md["CLOUDCOVER"] == "" {
			t.Fatalf("tile %d metadata %v, tile %+v", i, md, tile)
		}
		if tile.CloudCover < 0 || tile.CloudCover > 100 {
			t.Fatalf("tile %d cloud cover %v", i, tile.CloudCover)
		}
		if tile.CloudCover > 50 {
			cloudy++
		}
		sensors[tile.SensorName] = true
		union = union.Union(tile.Bounds)
	}
	// 6 × 4 tiles of 2560 m, edge to edge
	if w, h := union.Max[0]-union.Min[0], union.Max[1]-union.Min[1]; w != 6*2560 || h != 4*2560 {
		t.Fatalf("collection is %v × %v m, want 6 × 4 tiles", w, h)
	}
	if cloudy < 6 || cloudy > 10 {
		t.Errorf("%d of 24 tiles have more than 50%% cloud, want about a third", cloudy)
	}
	if len(sensors) < 3 {
		t.Errorf("sensors %v, want several", sensors)
	}

	// idempotent: identical files are left alone, same answer
	paths := make([]string, len(tiles))
	for i, tile := range tiles {
		paths[i] = tile.Path
	}
	before := rastertest.Checksums(t, paths...)
	again, err := raster.WriteDemo(dir, 24)
	if err != nil {
		t.Fatal(err)
	}
	before.AssertUnchanged(t)
	for i := range tiles {
		if again[i] != tiles[i] {
			t.Fatalf("tile %d differs on the second run: %+v, %+v", i, again[i], tiles[i])
		}
	}
	// deterministic across directories
	other, err := raster.WriteDemo(filepath.Join(t.TempDir(), "other"), 24)
	if err != nil {
		t.Fatal(err)
	}
	if a, b := rastertest.Checksums(t, other[5].Path).Files[other[5].Path].SHA256, before.Files[tiles[5].Path].SHA256; a != b {
		t.Fatal("demo output differs between runs")
	}
	// a different file in the way is an error, not overwritten
	clash := t.TempDir()
	foreign := rastertest.GeoTIFF(t, filepath.Join(clash, "demo_000.tif"))
	snap := rastertest.Checksums(t, foreign)
	if _, err := raster.WriteDemo(clash, 24); err == nil {
		t.Fatal("different existing file: no error")
	}
	snap.AssertUnchanged(t)
	if _, err := raster.WriteDemo(dir, 23); err == nil {
		t.Fatal("n = 23: no error")
	}
}

// TestWriteDemoConcurrently: several servers sharing one data folder write
// the demo at the same moment (docs/deploy.md): each gets every tile, no
// temporary file is left, and a file once written is never replaced (its
// inode stays).
func TestWriteDemoConcurrently(t *testing.T) {
	t.Parallel()
	dir := filepath.Join(t.TempDir(), "demo")
	var wg sync.WaitGroup
	errs := make([]error, 4)
	for i := range errs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, errs[i] = raster.WriteDemo(dir, 24)
		}()
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	inodes := map[string]uint64{}
	for _, e := range entries {
		if !strings.HasPrefix(e.Name(), "demo_") || !strings.HasSuffix(e.Name(), ".tif") {
			t.Errorf("left behind: %s", e.Name())
		}
		st, err := os.Stat(filepath.Join(dir, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		inodes[e.Name()] = st.Sys().(*syscall.Stat_t).Ino
	}
	if len(inodes) != 24 {
		t.Fatalf("%d files, want 24", len(inodes))
	}
	if _, err := raster.WriteDemo(dir, 24); err != nil {
		t.Fatal(err)
	}
	for name, ino := range inodes {
		st, err := os.Stat(filepath.Join(dir, name))
		if err != nil || st.Sys().(*syscall.Stat_t).Ino != ino {
			t.Errorf("%s was replaced (%v)", name, err)
		}
	}
}
