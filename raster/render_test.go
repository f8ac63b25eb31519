package raster_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"image"
	"image/jpeg"
	"image/png"
	"path/filepath"
	"slices"
	"sync"
	"testing"

	"github.com/paulmach/orb"
	"github.com/tessera-gis/tessera/raster"
	"github.com/tessera-gis/tessera/raster/rastertest"
)

// demoSources writes the demo collection once per test binary.
var demoSources = sync.OnceValues(func() ([]raster.DemoTile, error) {
	return raster.WriteDemo(filepath.Join(demoDir, "demo"), 24)
})

func demo(tb testing.TB) ([]raster.DemoTile, []string) {
	tb.Helper()
	tiles, err := demoSources()
	if err != nil {
		tb.Fatal(err)
	}
	paths := make([]string, len(tiles))
	for i, t := range tiles {
		paths[i] = t.Path
	}
	return tiles, paths
}

func mustSRS(tb testing.TB, code int) raster.SRS {
	tb.Helper()
	srs, err := raster.SRSFromEPSG(code)
	if err != nil {
		tb.Fatal(err)
	}
	return srs
}

// gdalwarp runs the real gdalwarp with the switches Render documents and
// returns the output's bands.
func gdalwarp(tb testing.TB, r raster.RenderRequest) [][]float64 {
	tb.Helper()
	out := filepath.Join(tb.TempDir(), "ref.tif")
	b := r.Bound
	args := []string{"-q", "-te", ftoa(b.Min[0]), ftoa(b.Min[1]), ftoa(b.Max[0]), ftoa(b.Max[1]),
		"-ts", fmt.Sprint(r.Width), fmt.Sprint(r.Height), "-t_srs", r.SRS.String(), "-r", "near"}
	if r.NoData != nil {
		args = append(args, "-dstnodata", ftoa(*r.NoData))
	}
	if r.PixelType == "S16" {
		args = append(args, "-ot", "Int16")
	}
	args = append(args, r.Sources...)
	run(tb, "gdalwarp", append(args, out)...)
	_, _, bands := readPixels(tb, out)
	return bands
}

func TestRenderMatchesGdalwarp(t *testing.T) {
	t.Parallel()
	tiles, paths := demo(t)
	dir := t.TempDir()
	// A 3-band source in EPSG:4326 with a nodata frame, over tiles 7 and 8.
	geo := rastertest.GeoTIFF(t, filepath.Join(dir, "geo.tif"), rastertest.Size(90, 60), rastertest.Bands(3),
		rastertest.EPSG(4326), rastertest.GeoTransform([6]float64{16.345, 0.0004, 0, 48.357, 0, -0.0004}),
		rastertest.NoData(0), rastertest.NoDataBorder(6))
	rotated := rastertest.GeoTIFF(t, filepath.Join(dir, "rot.tif"), rastertest.Size(80, 80), rastertest.Bands(3),
		rastertest.GeoTransform([6]float64{604000, 9, 3, 5356000, 3, -9}))
	single := rastertest.GeoTIFF(t, filepath.Join(dir, "single.tif"), rastertest.Size(100, 100),
		rastertest.PixelType("U16"), rastertest.NoData(7), rastertest.NoDataBorder(3),
		rastertest.GeoTransform([6]float64{603000, 20, 0, 5357000, 0, -20}))
	all := append(append([]string{}, paths...), geo, rotated, single)
	before := rastertest.Checksums(t, all...)

	area := tiles[6].Bounds.Union(tiles[9].Bounds).Union(tiles[13].Bounds)
	web, err := raster.Transform(area, mustSRS(t, 32633), mustSRS(t, 3857))
	if err != nil {
		t.Fatal(err)
	}
	nd := 255.0
	cases := []struct {
		name string
		req  raster.RenderRequest
	}{
		{"native", raster.RenderRequest{Sources: paths[6:14], Bound: area, SRS: mustSRS(t, 32633), Width: 256, Height: 160}},
		{"web mercator", raster.RenderRequest{Sources: paths[:20], Bound: web.Bound(), SRS: mustSRS(t, 3857), Width: 301, Height: 203}},
		{"nodata source on top", raster.RenderRequest{Sources: []string{paths[7], paths[8], geo}, Bound: area.Pad(500), SRS: mustSRS(t, 32633), Width: 200, Height: 150}},
		{"nodata source first", raster.RenderRequest{Sources: []string{geo, paths[7], rotated}, Bound: area.Pad(500), SRS: mustSRS(t, 4326), Width: 173, Height: 119}},
		{"dstnodata and type", raster.RenderRequest{Sources: []string{paths[7], rotated, geo}, Bound: area, SRS: mustSRS(t, 32633), Width: 150, Height: 150, NoData: &nd, PixelType: "S16"}},
		{"single band", raster.RenderRequest{Sources: []string{single}, Bound: area.Pad(300), SRS: mustSRS(t, 32633), Width: 120, Height: 90}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if tc.req.SRS.EPSG == 4326 {
				g, err := raster.Transform(tc.req.Bound, mustSRS(t, 32633), tc.req.SRS)
				if err != nil {
					t.Fatal(err)
				}
				tc.req.Bound = g.Bound()
			}
			want := gdalwarp(t, tc.req)

			req := tc.req
			req.Format = "tiff"
			img, err := raster.Render(storeCtx, req)
			if err != nil {
				t.Fatal(err)
			}
			w, h, got := readPixels(t, writeTemp(t, "out.tif", img.Data))
			if w != req.Width || h != req.Height {
				t.Fatalf("size %dx%d, want %dx%d", w, h, req.Width, req.Height)
			}
			nb := min(3, len(want))
			if len(got) != nb {
				t.Fatalf("%d bands, want %d", len(got), nb)
			}
			for b := range nb {
				for i := range want[b] {
					if got[b][i] != want[b][i] {
						t.Fatalf("band %d pixel (%d,%d) = %v, gdalwarp %v", b, i%w, i/w, got[b][i], want[b][i])
					}
				}
			}

			if req.PixelType != "" || nb != 3 {
				return
			}
			// PNG: covered pixels carry gdalwarp's values.
			req.Format = "png"
			img, err = raster.Render(storeCtx, req)
			if err != nil {
				t.Fatal(err)
			}
			m, err := png.Decode(bytes.NewReader(img.Data))
			if err != nil {
				t.Fatal(err)
			}
			covered := 0
			for i := range want[0] {
				x, y := i%w, i/w
				r, g, b, a := m.At(x, y).RGBA()
				if a == 0 {
					continue
				}
				covered++
				if float64(r>>8) != want[0][i] || float64(g>>8) != want[1][i] || float64(b>>8) != want[2][i] {
					t.Fatalf("png pixel (%d,%d) = %d,%d,%d, gdalwarp %v,%v,%v", x, y, r>>8, g>>8, b>>8, want[0][i], want[1][i], want[2][i])
				}
			}
			if covered == 0 {
				t.Fatal("no covered pixel")
			}
		})
	}
	before.AssertUnchanged(t)
}

func TestRenderFormats(t *testing.T) {
	t.Parallel()
	tiles, paths := demo(t)
	before := rastertest.Checksums(t, paths...)
	full := tiles[7].Bounds              // fully covered
	partial := tiles[0].Bounds.Pad(2000) // extends past the collection
	cases := []struct {
		format, contentType string
		bound               orb.Bound
		alpha               bool // the decoded image has transparent pixels
	}{
		{"", "image/png", partial, true},
		{"png", "image/png", partial, true},
		{"png32", "image/png", partial, true},
		{"png24", "image/png", partial, false},
		{"png8", "image/png", partial, true},
		{"png8", "image/png", full, false},
		{"jpg", "image/jpeg", partial, false},
		{"jpgpng", "image/jpeg", full, false},
		{"jpgpng", "image/png", partial, true},
		{"tiff", "image/tiff", partial, false},
	}
	for _, tc := range cases {
		t.Run(tc.format+"/"+tc.contentType, func(t *testing.T) {
			t.Parallel()
			img, err := raster.Render(storeCtx, raster.RenderRequest{
				Sources: paths, Bound: tc.bound, SRS: mustSRS(t, 32633), Width: 97, Height: 61, Format: tc.format,
			})
			if err != nil {
				t.Fatal(err)
			}
			if img.ContentType != tc.contentType {
				t.Fatalf("content type %s, want %s", img.ContentType, tc.contentType)
			}
			var w, h int
			switch img.ContentType {
			case "image/tiff":
				w, h, _ = readPixels(t, writeTemp(t, "x.tif", img.Data))
			default:
				m, kind, err := image.Decode(bytes.NewReader(img.Data))
				if err != nil {
					t.Fatal(err)
				}
				if want := img.Extension; kind != map[string]string{"jpg": "jpeg", "png": "png"}[want] {
					t.Fatalf("decoded as %s, extension %s", kind, want)
				}
				w, h = m.Bounds().Dx(), m.Bounds().Dy()
				if got := hasTransparency(m); got != tc.alpha {
					t.Errorf("transparency %v, want %v", got, tc.alpha)
				}
			}
			if w != 97 || h != 61 {
				t.Fatalf("size %dx%d, want 97x61", w, h)
			}
		})
	}
	t.Cleanup(func() { before.AssertUnchanged(t) })
}

func hasTransparency(m image.Image) bool {
	b := m.Bounds()
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			if _, _, _, a := m.At(x, y).RGBA(); a < 0xffff {
				return true
			}
		}
	}
	return false
}

var _ = jpeg.Decode // register the JPEG decoder

func TestRenderErrors(t *testing.T) {
	t.Parallel()
	_, paths := demo(t)
	dir := t.TempDir()
	nosrs := rastertest.GeoTIFF(t, filepath.Join(dir, "nosrs.tif"), rastertest.NoSRS())
	ok := raster.RenderRequest{Sources: paths[:1], Bound: orb.Bound{Min: orb.Point{600000, 5357440}, Max: orb.Point{602560, 5360000}},
		SRS: mustSRS(t, 32633), Width: 10, Height: 10}
	cases := []struct {
		name   string
		modify func(*raster.RenderRequest)
		is     error
	}{
		{"missing source", func(r *raster.RenderRequest) { r.Sources = []string{filepath.Join(dir, "nope.tif")} }, raster.ErrNotInStore},
		{"source without SRS", func(r *raster.RenderRequest) { r.Sources = []string{nosrs} }, raster.ErrNoSRS},
		{"no SRS", func(r *raster.RenderRequest) { r.SRS = raster.SRS{} }, raster.ErrNoSRS},
		{"bad format", func(r *raster.RenderRequest) { r.Format = "gif" }, nil},
		{"bad resampling", func(r *raster.RenderRequest) { r.Resampling = "sinc" }, nil},
		{"zero size", func(r *raster.RenderRequest) { r.Width = 0 }, nil},
		{"empty bound", func(r *raster.RenderRequest) { r.Bound = orb.Bound{} }, nil},
		{"band out of range", func(r *raster.RenderRequest) { r.BandIDs = []int{3} }, nil},
		{"bad pixel type", func(r *raster.RenderRequest) { r.PixelType = "U9" }, nil},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := ok
			tc.modify(&r)
			_, err := raster.Render(storeCtx, r)
			if err == nil {
				t.Fatal("no error")
			}
			if tc.is != nil && !errors.Is(err, tc.is) {
				t.Fatalf("error %v, want %v", err, tc.is)
			}
		})
	}
	if _, err := raster.Render(storeCtx, ok); err != nil {
		t.Fatalf("valid request: %v", err)
	}
	ctx, cancel := context.WithCancel(storeCtx)
	cancel()
	if _, err := raster.Render(ctx, ok); !errors.Is(err, context.Canceled) {
		t.Fatalf("canceled context: %v", err)
	}
}

func TestRenderOptions(t *testing.T) {
	t.Parallel()
	tiles, paths := demo(t)
	before := rastertest.Checksums(t, paths[:4]...)
	base := raster.RenderRequest{Sources: paths[:4], Bound: tiles[0].Bounds.Union(tiles[3].Bounds).Pad(-100),
		SRS: mustSRS(t, 32633), Width: 80, Height: 20, Format: "tiff"}
	renderBands := func(t *testing.T, r raster.RenderRequest) [][]float64 {
		t.Helper()
		img, err := raster.Render(storeCtx, r)
		if err != nil {
			t.Fatal(err)
		}
		w, h, b := readPixels(t, writeTemp(t, "x.tif", img.Data))
		if w != r.Width || h != r.Height {
			t.Fatalf("size %dx%d", w, h)
		}
		return b
	}
	all := renderBands(t, base)

	t.Run("band ids", func(t *testing.T) {
		r := base
		r.BandIDs = []int{2, 0}
		got := renderBands(t, r)
		if len(got) != 2 || !slices.Equal(got[0], all[2]) || !slices.Equal(got[1], all[0]) {
			t.Fatal("BandIDs [2 0] did not select bands 3 and 1")
		}
	})
	for _, alg := range []string{"bilinear", "cubic", "mode", "majority", "nearest"} {
		t.Run(alg, func(t *testing.T) {
			r := base
			r.Resampling = alg
			if got := renderBands(t, r); len(got) != 3 {
				t.Fatalf("%d bands", len(got))
			}
		})
	}
	t.Run("no sources", func(t *testing.T) {
		r := base
		r.Sources, r.Format = nil, "png"
		img, err := raster.Render(storeCtx, r)
		if err != nil {
			t.Fatal(err)
		}
		m, err := png.Decode(bytes.NewReader(img.Data))
		if err != nil {
			t.Fatal(err)
		}
		if _, _, _, a := m.At(5, 5).RGBA(); a != 0 || m.Bounds().Dx() != 80 {
			t.Fatalf("blank image: alpha %d, width %d", a, m.Bounds().Dx())
		}
		r.Format = "tiff"
		if b := renderBands(t, r); len(b) != 3 {
			t.Fatalf("blank tiff has %d bands", len(b))
		}
	})
	t.Run("vsimem source", func(t *testing.T) {
		src := rastertest.GeoTIFF(t, "/vsimem/raster-test/render-src.tif", rastertest.Size(16, 16),
			rastertest.GeoTransform([6]float64{tiles[0].Bounds.Min[0], 160, 0, tiles[0].Bounds.Max[1], 0, -160}))
		r := base
		r.Sources = []string{src}
		if _, err := raster.Render(storeCtx, r); !errors.Is(err, raster.ErrNotInStore) {
			t.Fatalf("render of a /vsimem/ source: %v, want ErrNotInStore", err)
		}
	})
	t.Run("float to png", func(t *testing.T) {
		src := rastertest.GeoTIFF(t, filepath.Join(t.TempDir(), "dem.tif"), rastertest.PixelType("F32"),
			rastertest.Size(64, 16), rastertest.Fill(func(_, x, _ int) float64 { return 200 + float64(x)*1.5 }),
			rastertest.GeoTransform([6]float64{tiles[0].Bounds.Min[0], 160, 0, tiles[0].Bounds.Max[1], 0, -160}))
		r := base
		r.Sources, r.Format, r.Width, r.Height = []string{src}, "png", 64, 16
		r.Bound = orb.Bound{Min: orb.Point{tiles[0].Bounds.Min[0], tiles[0].Bounds.Max[1] - 16*160},
			Max: orb.Point{tiles[0].Bounds.Min[0] + 64*160, tiles[0].Bounds.Max[1]}}
		img, err := raster.Render(storeCtx, r)
		if err != nil {
			t.Fatal(err)
		}
		m, err := png.Decode(bytes.NewReader(img.Data))
		if err != nil {
			t.Fatal(err)
		}
		lo, _, _, _ := m.At(0, 0).RGBA()
		hi, _, _, _ := m.At(63, 0).RGBA()
		if lo>>8 != 0 || hi>>8 != 255 {
			t.Fatalf("stretch: left %d, right %d; want 0, 255", lo>>8, hi>>8)
		}
	})
	before.AssertUnchanged(t)
}
