package main_test

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/airbusgeo/godal"
	"github.com/paulmach/orb"

	"github.com/tessera-gis/tessera/raster"
	"github.com/tessera-gis/tessera/raster/rastertest"
)

// lercDecoded is what clients/lerc-decode.mjs prints: the blob as Esri's
// JavaScript decoder (the lerc npm package) reads it.
type lercDecoded struct {
	Width, Height int
	PixelType     string
	Bands         [][]*float64 // JSON null for NaN
	Masks         [][]int
}

// decodeLERC runs Esri's JavaScript LERC decoder on data.
func decodeLERC(t *testing.T, data []byte) lercDecoded {
	t.Helper()
	f := filepath.Join(t.TempDir(), "blob.lrc")
	if err := os.WriteFile(f, data, 0o644); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command("node", "lerc-decode.mjs", f)
	cmd.Dir = clientsDir
	out, err := cmd.Output()
	if err != nil {
		var stderr []byte
		if ee, ok := err.(*exec.ExitError); ok {
			stderr = ee.Stderr
		}
		t.Fatalf("node lerc-decode.mjs: %v\n%s", err, stderr)
	}
	var d lercDecoded
	if err := json.Unmarshal(out, &d); err != nil {
		t.Fatalf("decoder output: %v", err)
	}
	return d
}

// warped runs the real gdalwarp as raster.Render documents and returns the
// bands and the alpha band (non-zero where a source covers the pixel).
func warped(t *testing.T, r raster.RenderRequest) (bands [][]float64, alpha []float64) {
	t.Helper()
	out := filepath.Join(t.TempDir(), "ref.tif")
	b := r.Bound
	args := []string{"-q", "-te", ftoa(b.Min[0]), ftoa(b.Min[1]), ftoa(b.Max[0]), ftoa(b.Max[1]),
		"-ts", fmt.Sprint(r.Width), fmt.Sprint(r.Height), "-t_srs", r.SRS.String(), "-r", "near", "-dstalpha"}
	args = append(append(args, r.Sources...), out)
	if msg, err := exec.Command("gdalwarp", args...).CombinedOutput(); err != nil {
		t.Fatalf("gdalwarp: %v\n%s", err, msg)
	}
	ds, err := godal.Open(out)
	if err != nil {
		t.Fatal(err)
	}
	defer ds.Close()
	for _, band := range ds.Bands() {
		buf := make([]float64, r.Width*r.Height)
		if err := band.Read(0, 0, buf, r.Width, r.Height); err != nil {
			t.Fatal(err)
		}
		bands = append(bands, buf)
	}
	return bands[:len(bands)-1], bands[len(bands)-1]
}

// TestLERCDecodesWithEsriDecoder renders mosaics as LERC and decodes them
// with Esri's JavaScript decoder: the pixels and masks equal what gdalwarp
// draws from the same sources.
func TestLERCDecodesWithEsriDecoder(t *testing.T) {
	t.Parallel()
	needNode(t)
	needGDAL(t)
	dir := t.TempDir()
	u16 := rastertest.GeoTIFF(t, filepath.Join(dir, "u16.tif"), rastertest.Size(70, 50), rastertest.PixelType("U16"),
		rastertest.NoData(0), rastertest.NoDataBorder(3),
		rastertest.Fill(func(_, x, y int) float64 { return float64(1000 + x*37 + y*101) }))
	u16b := rastertest.GeoTIFF(t, filepath.Join(dir, "u16b.tif"), rastertest.Size(40, 40), rastertest.PixelType("U16"),
		rastertest.GeoTransform([6]float64{500400, 10, 0, 4999800, 0, -10}), rastertest.NoData(0), rastertest.NoDataBorder(2),
		rastertest.Fill(func(_, x, y int) float64 { return float64(40000 + x + y) }))
	rgb := rastertest.GeoTIFF(t, filepath.Join(dir, "rgb.tif"), rastertest.Size(60, 60), rastertest.Bands(3),
		rastertest.NoData(0), rastertest.NoDataBorder(4))
	f32 := rastertest.GeoTIFF(t, filepath.Join(dir, "f32.tif"), rastertest.Size(60, 60), rastertest.PixelType("F32"),
		rastertest.NoData(-9999), rastertest.NoDataBorder(5),
		rastertest.Fill(func(_, x, y int) float64 { return math.Sin(float64(x)/5)*1000 + float64(y)/3 }))
	utm, err := raster.SRSFromEPSG(32633)
	if err != nil {
		t.Fatal(err)
	}
	bound := orb.Bound{Min: orb.Point{499950, 4999300}, Max: orb.Point{500750, 5000050}}
	stores, err := raster.NewStores([]string{os.TempDir()}, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	ctx := raster.WithStores(context.Background(), stores)
	for _, tc := range []struct {
		name      string
		sources   []string
		pixelType string
		tolerance float64
		codec     int
	}{
		{"U16 mosaic", []string{u16, u16b}, "U16", 0, 0},
		{"U8 three bands", []string{rgb}, "U8", 0, 0},
		{"F32 lossless", []string{f32}, "F32", 0, 0},
		{"F32 within 0.01", []string{f32}, "F32", 0.01, 0},
		{"U16 codec 2", []string{u16}, "U16", 0, 2},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := raster.RenderRequest{Sources: tc.sources, Bound: bound, SRS: utm, Width: 80, Height: 75,
				Format: "lerc", Tolerance: tc.tolerance, LercCodec: tc.codec}
			img, err := raster.Render(ctx, r)
			if err != nil {
				t.Fatal(err)
			}
			got := decodeLERC(t, img.Data)
			want, alpha := warped(t, r)
			if got.Width != 80 || got.Height != 75 || got.PixelType != tc.pixelType || len(got.Bands) != len(want) {
				t.Fatalf("decoded %dx%d %s with %d bands, want 80x75 %s with %d", got.Width, got.Height,
					got.PixelType, len(got.Bands), tc.pixelType, len(want))
			}
			valid, bad := 0, 0
			for b := range want {
				for i, a := range alpha {
					if got.Masks != nil && (got.Masks[b][i] != 0) != (a != 0) {
						bad++
						continue
					}
					if a == 0 {
						continue
					}
					valid++
					if v := got.Bands[b][i]; v == nil || math.Abs(*v-want[b][i]) > tc.tolerance {
						bad++
						if bad < 5 {
							t.Errorf("band %d pixel %d: %v, gdalwarp %g", b, i, v, want[b][i])
						}
					}
				}
			}
			if got.Masks == nil {
				t.Error("no mask: the blob should mark the uncovered pixels")
			}
			if bad > 0 || valid == 0 {
				t.Errorf("%d of %d pixels differ from gdalwarp's", bad, valid)
			}
		})
	}
}
