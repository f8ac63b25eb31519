package raster

import (
	"context"
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"

	"github.com/airbusgeo/godal"
	"github.com/paulmach/orb"
)

// MaxRenderSize is the largest Width or Height Render accepts.
const MaxRenderSize = 16384

// RenderRequest describes a mosaic to draw.
type RenderRequest struct {
	// Sources are warped in order; later sources draw over earlier ones
	// where they have valid data. None gives a fully transparent image.
	Sources []string
	Bound   orb.Bound // in SRS
	SRS     SRS
	// Width and Height are the output size in pixels.
	Width, Height int
	// Format is png (the default: RGBA, transparent where there is no
	// data), png32 (the same), png24 (RGB), png8 (256-colour palette,
	// transparent where there is no data), jpg, jpgpng (jpg when every pixel
	// has data, else png) or tiff (GeoTIFF with georeferencing, the selected
	// bands in PixelType, with NoData as its nodata value), or one of the
	// raw formats that carry the selected bands' values in PixelType with
	// a mask of valid pixels: lerc (Lerc2 blobs), bsq or bip (see
	// encodeRaw). Raw formats take every band when BandIDs is nil.
	Format string
	// PixelType is "" to keep the source type, else an Esri pixel type to
	// convert to. Image formats (all but tiff) stretch any type other than
	// U8 linearly from the rendered minimum and maximum to 0–255.
	PixelType string
	// NoData, when set, is the output nodata value (gdalwarp -dstnodata).
	NoData *float64
	// Resampling is nearest (the default), bilinear, cubic or mode
	// (majority); for nearest the pixels equal gdalwarp's.
	Resampling string
	// BandIDs are zero-based source bands to output; nil means the first
	// three bands, or the first band of sources with fewer than three.
	BandIDs []int
	// Quality is the JPEG quality, 1–100; zero means 75.
	Quality int
	// LercCodec is the Lerc2 codec version of format lerc, 2 to 6
	// (DefaultLercCodec when zero).
	LercCodec int
	// Tolerance is the largest error per pixel that format lerc may
	// introduce; zero is lossless (so is anything below 0.5 for integer
	// pixel types).
	Tolerance float64
}

// Image is an encoded image.
type Image struct {
	Data        []byte
	ContentType string // e.g. image/png
	Extension   string // without the dot: png, jpg, tif
}

// Render draws a mosaic into exactly Width×Height pixels over Bound in SRS,
// warping the sources in order like
//
//	gdalwarp -te xmin ymin xmax ymax -ts W H -t_srs SRS -r near src1 src2 … out.tif
//
// whose pixels it reproduces for nearest-neighbour resampling. It checks
// ctx between sources (a GDAL call cannot be interrupted). Source datasets
// come from a bounded cache (see SetDatasetCacheSize) and are opened
// read-only. A source without spatial reference fails with ErrNoSRS, a
// missing local one with an error wrapping fs.ErrNotExist. Render is safe
// for concurrent use.
func Render(ctx context.Context, r RenderRequest) (*Image, error) {
	img, err := render(ctx, r)
	if err != nil {
		return nil, fmt.Errorf("raster: render: %w", err)
	}
	return img, nil
}

// format is an output encoding: GDAL driver, file extension, content type.
type format struct {
	driver, ext, contentType string
}

var (
	formatPNG  = format{"PNG", "png", "image/png"}
	formatJPEG = format{"JPEG", "jpg", "image/jpeg"}
	formatTIFF = format{"GTiff", "tif", "image/tiff"}
)

var resamplings = map[string]string{
	"": "near", "nearest": "near", "near": "near",
	"bilinear": "bilinear", "cubic": "cubic",
	"mode": "mode", "majority": "mode",
}

func render(ctx context.Context, r RenderRequest) (*Image, error) {
	setup()
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	fmtName := strings.ToLower(strings.TrimSpace(r.Format))
	switch fmtName {
	case "":
		fmtName = "png"
	case "png", "png8", "png24", "png32", "jpg", "jpeg", "jpgpng", "tiff", "tif", "lerc", "bip", "bsq":
	default:
		return nil, fmt.Errorf("unsupported format %q", r.Format)
	}
	alg, ok := resamplings[strings.ToLower(strings.TrimSpace(r.Resampling))]
	if !ok {
		return nil, fmt.Errorf("unsupported resampling %q", r.Resampling)
	}
	if r.Width < 1 || r.Height < 1 || r.Width > MaxRenderSize || r.Height > MaxRenderSize {
		return nil, fmt.Errorf("size %dx%d outside 1–%d", r.Width, r.Height, MaxRenderSize)
	}
	if !(r.Bound.Max[0] > r.Bound.Min[0] && r.Bound.Max[1] > r.Bound.Min[1]) {
		return nil, fmt.Errorf("empty bound %v", r.Bound)
	}
	srsDef, err := r.SRS.gdalDefinition()
	if err != nil {
		return nil, err
	}
	var ot string
	if r.PixelType != "" {
		if ot, err = gdalDataType(r.PixelType); err != nil {
			return nil, err
		}
	}
	quality := r.Quality
	if quality == 0 {
		quality = 75
	}
	if quality < 1 || quality > 100 {
		return nil, fmt.Errorf("JPEG quality %d outside 1–100", quality)
	}
	for _, b := range r.BandIDs {
		if b < 0 {
			return nil, fmt.Errorf("negative band id %d", b)
		}
	}

	dst, err := warp(ctx, r, srsDef, alg, ot)
	if err != nil {
		return nil, err
	}
	defer dst.Close()

	nb := dst.Structure().NBands - 1 // the last band is alpha
	_, raw := rawFormats[fmtName]
	ids := r.BandIDs
	switch {
	case ids == nil && raw:
		for b := range nb {
			ids = append(ids, b)
		}
	case ids == nil:
		ids = []int{0}
		if nb >= 3 {
			ids = []int{0, 1, 2}
		}
	}
	for _, b := range ids {
		if b >= nb {
			return nil, fmt.Errorf("band id %d out of range: the sources have %d bands", b, nb)
		}
	}
	if fmtName == "tiff" || fmtName == "tif" {
		return encodeTIFF(dst, ids)
	}
	if raw {
		return encodeRaw(dst, ids, nb, fmtName, r)
	}
	return encodeImage(dst, ids, nb, fmtName, quality)
}

func ftoa(v float64) string { return strconv.FormatFloat(v, 'g', -1, 64) }

// warp draws the sources into a new in-memory dataset whose last band is
// an alpha band marking pixels that received data. The first source
// creates it exactly as gdalwarp would (type, band count and nodata come
// from it); the others are warped into it in order, as gdalwarp does.
func warp(ctx context.Context, r RenderRequest, srsDef, alg, ot string) (*godal.Dataset, error) {
	b := r.Bound
	create := []string{
		"-of", "MEM",
		"-te", ftoa(b.Min[0]), ftoa(b.Min[1]), ftoa(b.Max[0]), ftoa(b.Max[1]),
		"-ts", strconv.Itoa(r.Width), strconv.Itoa(r.Height),
		"-t_srs", srsDef,
		"-r", alg,
	}
	if ot != "" {
		create = append(create, "-ot", ot)
	}
	if r.NoData != nil {
		create = append(create, "-dstnodata", ftoa(*r.NoData))
	}
	create = append(create, "-dstalpha")
	into := []string{"-r", alg, "-dstalpha"}

	if len(r.Sources) == 0 {
		return blank(r, srsDef, ot)
	}
	var dst *godal.Dataset
	for i, path := range r.Sources {
		if err := ctx.Err(); err != nil {
			if dst != nil {
				dst.Close()
			}
			return nil, err
		}
		src, err := datasets.checkout(ctx, path)
		if err != nil {
			if dst != nil {
				dst.Close()
			}
			return nil, fmt.Errorf("source %d: %w", i, err)
		}
		if i == 0 {
			if r.NoData == nil {
				create = append(create, sourceNoData(src.ds)...)
			}
			dst, err = godal.Warp("", []*godal.Dataset{src.ds}, create, quiet)
		} else {
			err = dst.WarpInto([]*godal.Dataset{src.ds}, into, quiet)
		}
		if err != nil {
			datasets.discard(src)
			if dst != nil {
				dst.Close()
			}
			return nil, fmt.Errorf("warp %q: %w", path, err)
		}
		datasets.checkin(src)
	}
	return dst, nil
}

// sourceNoData returns the -dstnodata switch gdalwarp derives from the first
// source's nodata values. gdalwarp skips this when -dstalpha is given, so
// Render, which always asks for an alpha band, passes it explicitly. Bands
// without nodata (when others have one) take the first band's value that is
// defined.
func sourceNoData(ds *godal.Dataset) []string {
	bands := ds.Bands()
	vals := make([]string, len(bands))
	first := ""
	for i, b := range bands {
		if v, ok := b.NoData(); ok {
			vals[i] = ftoa(v)
			if first == "" {
				first = vals[i]
			}
		}
	}
	if first == "" {
		return nil
	}
	for i := range vals {
		if vals[i] == "" {
			vals[i] = first
		}
	}
	return []string{"-dstnodata", strings.Join(vals, " ")}
}

// blank makes the transparent result of rendering no sources: the
// requested bands (three by default) of PixelType (U8 by default), filled
// with NoData or zero, plus an all-zero alpha band.
func blank(r RenderRequest, srsDef, ot string) (*godal.Dataset, error) {
	nb := 3
	for _, b := range r.BandIDs {
		nb = max(nb, b+1)
	}
	dt := godal.Byte
	if ot != "" {
		dt = dataTypeByName(ot)
	}
	ds, err := godal.Create(godal.Memory, "", nb+1, dt, r.Width, r.Height, quiet)
	if err != nil {
		return nil, err
	}
	b := r.Bound
	gt := [6]float64{b.Min[0], (b.Max[0] - b.Min[0]) / float64(r.Width), 0, b.Max[1], 0, -(b.Max[1] - b.Min[1]) / float64(r.Height)}
	err = errors.Join(ds.SetGeoTransform(gt, quiet), ds.SetProjection(wktOf(srsDef), quiet))
	bands := ds.Bands()
	for _, band := range bands[:nb] {
		if r.NoData != nil {
			err = errors.Join(err, band.SetNoData(*r.NoData, quiet), band.Fill(*r.NoData, 0, quiet))
		}
	}
	err = errors.Join(err, bands[nb].SetColorInterp(godal.CIAlpha, quiet))
	if err != nil {
		ds.Close()
		return nil, err
	}
	return ds, nil
}

// wktOf returns the WKT of a GDAL SRS definition ("" when unknown).
func wktOf(def string) string {
	srs, err := ParseSRS(def)
	if err != nil {
		return ""
	}
	return srs.WKT
}

func dataTypeByName(name string) godal.DataType {
	for _, dt := range []godal.DataType{godal.Byte, godal.UInt16, godal.Int16, godal.UInt32,
		godal.Int32, godal.Float32, godal.Float64, godal.CFloat32, godal.CFloat64} {
		if dt.String() == name {
			return dt
		}
	}
	return godal.Byte
}

// encodeTIFF writes the selected bands as a GeoTIFF.
func encodeTIFF(dst *godal.Dataset, ids []int) (*Image, error) {
	sw := []string{"-of", "GTiff", "-co", "COMPRESS=DEFLATE", "-co", "ZLEVEL=1"}
	for _, b := range ids {
		sw = append(sw, "-b", strconv.Itoa(b+1))
	}
	data, err := translate(dst, sw, "tif")
	if err != nil {
		return nil, err
	}
	return &Image{Data: data, ContentType: formatTIFF.contentType, Extension: formatTIFF.ext}, nil
}

// translate encodes ds through a /vsimem/ file.
func translate(ds *godal.Dataset, switches []string, ext string) ([]byte, error) {
	name := vsimemName(ext)
	out, err := ds.Translate(name, switches, quiet)
	if err != nil {
		godal.VSIUnlink(name) //nolint:errcheck // may not exist
		return nil, fmt.Errorf("encode %s: %w", ext, err)
	}
	if err := out.Close(quiet); err != nil {
		godal.VSIUnlink(name) //nolint:errcheck // may not exist
		return nil, fmt.Errorf("encode %s: %w", ext, err)
	}
	return readVSIMem(name)
}

// encodeImage converts the selected bands to bytes and encodes them as
// PNG or JPEG.
func encodeImage(dst *godal.Dataset, ids []int, nb int, fmtName string, quality int) (*Image, error) {
	st := dst.Structure()
	w, h := st.SizeX, st.SizeY
	bands := dst.Bands()
	alpha := make([]byte, w*h)
	if err := bands[nb].Read(0, 0, alpha, w, h, quiet); err != nil {
		return nil, fmt.Errorf("read alpha: %w", err)
	}
	covered := true // every pixel fully opaque
	for _, a := range alpha {
		if a != 255 {
			covered = false
			break
		}
	}
	chans, err := byteBands(bands, ids, st.DataType, alpha, w, h)
	if err != nil {
		return nil, err
	}

	f := formatPNG
	var planes [][]byte
	var palette [][4]int16
	switch fmtName {
	case "png", "png32":
		planes = append(chans, alpha)
	case "png24":
		planes = chans
	case "png8":
		idx, pal := quantize(chans, alpha, !covered)
		planes, palette = [][]byte{idx}, pal
	case "jpg", "jpeg":
		f, planes = formatJPEG, chans
	case "jpgpng":
		if covered {
			f, planes = formatJPEG, chans
		} else {
			planes = append(chans, alpha)
		}
	}

	mem, err := godal.Create(godal.Memory, "", len(planes), godal.Byte, w, h, quiet)
	if err != nil {
		return nil, err
	}
	defer mem.Close()
	mb := mem.Bands()
	for i, p := range planes {
		if err := mb[i].Write(0, 0, p, w, h, quiet); err != nil {
			return nil, fmt.Errorf("write band: %w", err)
		}
	}
	if palette != nil {
		ct := godal.ColorTable{PaletteInterp: godal.RGBPalette, Entries: palette}
		if err := mb[0].SetColorTable(ct, quiet); err != nil {
			return nil, fmt.Errorf("set palette: %w", err)
		}
	}
	sw := []string{"-of", f.driver}
	if f == formatPNG {
		// zlib's level 1 encodes about four times faster than the default
		// level 6 for files some 20% larger: the better trade for map images.
		sw = append(sw, "-co", "ZLEVEL=1")
	}
	if f == formatJPEG {
		sw = append(sw, "-co", "QUALITY="+strconv.Itoa(quality))
	}
	data, err := translate(mem, sw, f.ext)
	if err != nil {
		return nil, err
	}
	return &Image{Data: data, ContentType: f.contentType, Extension: f.ext}, nil
}

// byteBands reads the selected bands as bytes: Byte bands as they are,
// others stretched linearly from their minimum and maximum over covered
// pixels to 0–255. Uncovered pixels are zero.
func byteBands(bands []godal.Band, ids []int, dt godal.DataType, alpha []byte, w, h int) ([][]byte, error) {
	out := make([][]byte, len(ids))
	if dt == godal.Byte {
		for i, b := range ids {
			out[i] = make([]byte, w*h)
			if err := bands[b].Read(0, 0, out[i], w, h, quiet); err != nil {
				return nil, fmt.Errorf("read band %d: %w", b, err)
			}
			for j, a := range alpha {
				if a == 0 {
					out[i][j] = 0
				}
			}
		}
		return out, nil
	}
	vals := make([][]float64, len(ids))
	lo, hi := math.Inf(1), math.Inf(-1)
	for i, b := range ids {
		vals[i] = make([]float64, w*h)
		if err := bands[b].Read(0, 0, vals[i], w, h, quiet); err != nil {
			return nil, fmt.Errorf("read band %d: %w", b, err)
		}
		for j, v := range vals[i] {
			if alpha[j] != 0 && !math.IsNaN(v) && !math.IsInf(v, 0) {
				lo, hi = min(lo, v), max(hi, v)
			}
		}
	}
	scale := 0.0
	if hi > lo {
		scale = 255 / (hi - lo)
	}
	for i := range ids {
		out[i] = make([]byte, w*h)
		for j, v := range vals[i] {
			if alpha[j] == 0 || math.IsNaN(v) || math.IsInf(v, 0) {
				continue
			}
			out[i][j] = uint8(math.Round(min(max((v-lo)*scale, 0), 255)))
		}
	}
	return out, nil
}
