package raster_test

import (
	"bytes"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"testing"

	"github.com/airbusgeo/godal"
)

// readPixels opens a raster with godal and returns its bands as float64.
func readPixels(tb testing.TB, path string) (w, h int, bands [][]float64) {
	tb.Helper()
	ds, err := godal.Open(path)
	if err != nil {
		tb.Fatalf("open %s: %v", path, err)
	}
	defer ds.Close()
	st := ds.Structure()
	for _, b := range ds.Bands() {
		buf := make([]float64, st.SizeX*st.SizeY)
		if err := b.Read(0, 0, buf, st.SizeX, st.SizeY); err != nil {
			tb.Fatalf("read %s: %v", path, err)
		}
		bands = append(bands, buf)
	}
	return st.SizeX, st.SizeY, bands
}

// writeTemp writes data to a file in a temporary directory.
func writeTemp(tb testing.TB, name string, data []byte) string {
	tb.Helper()
	p := filepath.Join(tb.TempDir(), name)
	if err := os.WriteFile(p, data, 0o644); err != nil {
		tb.Fatal(err)
	}
	return p
}

// run runs a GDAL command-line tool and returns its standard output.
func run(tb testing.TB, name string, args ...string) []byte {
	tb.Helper()
	if _, err := exec.LookPath(name); err != nil {
		tb.Skipf("%s not installed", name)
	}
	cmd := exec.Command(name, args...)
	cmd.Env = append(os.Environ(), "GDAL_PAM_ENABLED=NO")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		tb.Fatalf("%s %q: %v\n%s", name, args, err, stderr.String())
	}
	return out
}

type gdalinfoJSON struct {
	CornerCoordinates map[string][2]float64 `json:"cornerCoordinates"`
	WGS84Extent       struct {
		Coordinates [][][2]float64 `json:"coordinates"`
	} `json:"wgs84Extent"`
}

func gdalinfo(tb testing.TB, path string) gdalinfoJSON {
	tb.Helper()
	var info gdalinfoJSON
	if err := json.Unmarshal(run(tb, "gdalinfo", "-json", path), &info); err != nil {
		tb.Fatal(err)
	}
	return info
}

func ftoa(v float64) string { return strconv.FormatFloat(v, 'g', -1, 64) }

func decodeJSON(tb testing.TB, data []byte, v any) {
	tb.Helper()
	if err := json.Unmarshal(data, v); err != nil {
		tb.Fatal(err)
	}
}
