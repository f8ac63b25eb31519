package raster_test

import (
	"encoding/binary"
	"math"
	"path/filepath"
	"testing"

	"github.com/paulmach/orb"
	"github.com/tessera-gis/tessera/raster"
	"github.com/tessera-gis/tessera/raster/rastertest"
)

// TestRawFormatsMatchGdalwarp decodes bsq and bip output as the ArcGIS Maps
// SDK does (little-endian values, then one mask bit per pixel, most
// significant first) and compares it with gdalwarp's pixels.
func TestRawFormatsMatchGdalwarp(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	src := rastertest.GeoTIFF(t, filepath.Join(dir, "s16.tif"), rastertest.Size(50, 40), rastertest.Bands(2),
		rastertest.PixelType("S16"), rastertest.NoData(-1), rastertest.NoDataBorder(3),
		rastertest.Fill(func(b, x, y int) float64 { return float64(b*1000 - x*37 + y*11) }))
	full := rastertest.GeoTIFF(t, filepath.Join(dir, "full.tif"), rastertest.Size(50, 40), rastertest.PixelType("F64"),
		rastertest.Fill(func(_, x, y int) float64 { return float64(x) / float64(y+1) }))
	utm := mustSRS(t, 32633)
	for _, tc := range []struct {
		name   string
		src    string
		bound  orb.Bound
		size   int // bytes per value
		masked bool
	}{
		{"S16 beyond the edges", src, orb.Bound{Min: orb.Point{499900, 4999500}, Max: orb.Point{500600, 5000100}}, 2, true},
		{"F64 inside", full, orb.Bound{Min: orb.Point{500050, 4999650}, Max: orb.Point{500450, 4999950}}, 8, false},
	} {
		for _, f := range []string{"bsq", "bip"} {
			t.Run(tc.name+"/"+f, func(t *testing.T) {
				r := raster.RenderRequest{Sources: []string{tc.src}, Bound: tc.bound, SRS: utm, Width: 35, Height: 30, Format: f}
				img, err := raster.Render(storeCtx, r)
				if err != nil {
					t.Fatal(err)
				}
				want := gdalwarp(t, r)
				n, nb := 35*30, len(want)
				values := n * nb * tc.size
				if tc.masked && len(img.Data) != values+(n+7)/8 || !tc.masked && len(img.Data) != values {
					t.Fatalf("%d bytes, want %d values of %d bytes (masked: %v)", len(img.Data), n*nb, tc.size, tc.masked)
				}
				for b := range nb {
					for j := range n {
						k := b*n + j
						if f == "bip" {
							k = j*nb + b
						}
						var v float64
						if tc.size == 2 {
							v = float64(int16(binary.LittleEndian.Uint16(img.Data[2*k:])))
						} else {
							v = math.Float64frombits(binary.LittleEndian.Uint64(img.Data[8*k:]))
						}
						validBit := !tc.masked || img.Data[values+j/8]&(0x80>>(j%8)) != 0
						if validBit != (want[b][j] != -1 || !tc.masked) {
							t.Fatalf("band %d pixel %d: mask bit %v, gdalwarp value %g", b, j, validBit, want[b][j])
						}
						if validBit && v != want[b][j] {
							t.Fatalf("band %d pixel %d: %g, gdalwarp %g", b, j, v, want[b][j])
						}
					}
				}
			})
		}
	}
}
