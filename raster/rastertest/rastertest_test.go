package rastertest_test

import (
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/tessera-gis/tessera/raster/rastertest"
)

// recorder is a testing.TB that records failures instead of failing.
type recorder struct {
	testing.TB
	failed []string
}

func (r *recorder) Helper() {}
func (r *recorder) Errorf(format string, args ...any) {
	r.failed = append(r.failed, fmt.Sprintf(format, args...))
}

func TestGeoTIFFWritesOneFile(t *testing.T) {
	dir := t.TempDir()
	rastertest.GeoTIFF(t, filepath.Join(dir, "a.tif"), rastertest.Size(40, 30), rastertest.Bands(3),
		rastertest.NoData(0), rastertest.NoDataBorder(2), rastertest.Overviews(2), rastertest.Metadata("K", "V"))
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(entries) != 1 || entries[0].Name() != "a.tif" {
		t.Fatalf("directory holds %v, want only a.tif", entries)
	}
}

func TestAssertUnchanged(t *testing.T) {
	cases := []struct {
		name   string
		change func(t *testing.T, path string)
		fails  bool
	}{
		{"nothing", func(*testing.T, string) {}, false},
		{"content", func(t *testing.T, p string) {
			f, err := os.OpenFile(p, os.O_RDWR, 0)
			if err != nil {
				t.Fatal(err)
			}
			defer f.Close()
			b := make([]byte, 1)
			f.ReadAt(b, 100)
			b[0] ^= 0xff
			f.WriteAt(b, 100)
		}, true},
		{"mtime only", func(t *testing.T, p string) {
			later := time.Now().Add(time.Hour)
			if err := os.Chtimes(p, later, later); err != nil {
				t.Fatal(err)
			}
		}, true},
		{"sidecar appears", func(t *testing.T, p string) {
			if err := os.WriteFile(p+".aux.xml", []byte("<PAMDataset/>"), 0o644); err != nil {
				t.Fatal(err)
			}
		}, true},
		{"removed", func(t *testing.T, p string) { os.Remove(p) }, true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			p := rastertest.GeoTIFF(t, filepath.Join(t.TempDir(), "a.tif"))
			snap := rastertest.Checksums(t, p)
			tc.change(t, p)
			rec := &recorder{TB: t}
			snap.AssertUnchanged(rec)
			if got := len(rec.failed) > 0; got != tc.fails {
				t.Fatalf("failed=%v (%q), want %v", got, rec.failed, tc.fails)
			}
		})
	}
}
