package raster_test

import (
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/tessera-gis/tessera/raster"
	"github.com/tessera-gis/tessera/raster/rastertest"
)

// TestInspectSRSFingerprint checks that the spatial references Inspect
// reuses for GeoTIFFs with identical GeoKeys are the ones GDAL reports for
// each file: several EPSG codes, a definition without one, BigTIFF and
// big-endian files, read twice so that the second pass hits the cache.
func TestInspectSRSFingerprint(t *testing.T) {
	dir := t.TempDir()
	gt := rastertest.GeoTransform([6]float64{500000, 10, 0, 5000000, 0, -10})
	var files []string
	for _, code := range []int{32633, 32632, 3035, 3857} {
		for _, n := range []string{"a", "b"} {
			files = append(files, rastertest.GeoTIFF(t, filepath.Join(dir, n+itoa(code)+".tif"), gt, rastertest.EPSG(code)))
		}
	}
	geo := rastertest.GeoTIFF(t, filepath.Join(dir, "geo.tif"), rastertest.EPSG(4326),
		rastertest.GeoTransform([6]float64{10, 0.01, 0, 50, 0, -0.01}))
	files = append(files, geo)
	for _, v := range []struct{ name, srs string }{
		{"ortho.tif", "+proj=ortho +lat_0=45 +lon_0=15 +datum=WGS84 +units=m +no_defs"},
		{"feet.tif", "EPSG:2263"},
	} {
		out := filepath.Join(dir, v.name)
		if b, err := exec.Command("gdal_translate", "-q", "-a_srs", v.srs, files[0], out).CombinedOutput(); err != nil {
			t.Fatalf("gdal_translate: %v %s", err, b)
		}
		files = append(files, out)
	}
	for _, co := range []string{"BIGTIFF=YES", "ENDIANNESS=BIG"} {
		out := filepath.Join(dir, co[:3]+".tif")
		if b, err := exec.Command("gdal_translate", "-q", "-co", co, "-a_srs", "EPSG:32634", files[0], out).CombinedOutput(); err != nil {
			t.Fatalf("gdal_translate: %v %s", err, b)
		}
		files = append(files, out)
	}
	for pass := range 2 {
		for _, f := range files {
			info, err := raster.Inspect(storeCtx, f)
			if err != nil {
				t.Fatal(err)
			}
			want := gdalSRS(t, f)
			got, err := raster.ParseSRS(info.SRS.WKT)
			if err != nil {
				t.Fatal(err)
			}
			if info.SRS.EPSG != want.EPSG || got.WKT != want.WKT {
				t.Errorf("pass %d, %s: SRS %v, GDAL says %v", pass, filepath.Base(f), info.SRS.EPSG, want.EPSG)
			}
		}
	}
}

// gdalSRS is the spatial reference gdalsrsinfo reads from a file.
func gdalSRS(t *testing.T, path string) raster.SRS {
	t.Helper()
	b, err := exec.Command("gdalsrsinfo", "-o", "wkt1", path).Output()
	if err != nil {
		t.Fatal(err)
	}
	srs, err := raster.ParseSRS(string(b))
	if err != nil {
		t.Fatal(err)
	}
	return srs
}

func itoa(n int) string {
	s := ""
	for ; n > 0; n /= 10 {
		s = string(rune('0'+n%10)) + s
	}
	return s
}
