package raster

import (
	"encoding/binary"
	"fmt"
	"math"

	"github.com/airbusgeo/godal"
)

var (
	formatLERC = format{"", "lrc", "application/octet-stream"}
	formatBIP  = format{"", "bip", "application/octet-stream"}
	formatBSQ  = format{"", "bsq", "application/octet-stream"}
)

// rawFormats are the formats that carry pixel values as they are.
var rawFormats = map[string]format{"lerc": formatLERC, "bip": formatBIP, "bsq": formatBSQ}

// encodeRaw writes the selected bands of dst (whose last band is alpha)
// with their values unchanged:
//
//   - lerc: concatenated Lerc2 blobs, one per band, each with its mask of
//     valid pixels (covered, and not NaN);
//   - bsq: the bands one after the other, row by row; bip: the bands of
//     each pixel together. Values are little-endian. When some pixel is not
//     valid, a mask follows the values: one bit per pixel, row by row, most
//     significant bit first, 1 where the pixel is valid in every band. This
//     is the layout the ArcGIS Maps SDK for JavaScript decodes.
func encodeRaw(dst *godal.Dataset, ids []int, nb int, fmtName string, r RenderRequest) (*Image, error) {
	st := dst.Structure()
	w, h := st.SizeX, st.SizeY
	bands := dst.Bands()
	alpha := make([]byte, w*h)
	if err := bands[nb].Read(0, 0, alpha, w, h, quiet); err != nil {
		return nil, fmt.Errorf("read alpha: %w", err)
	}
	data, err := readBands(bands, ids, st.DataType, w, h)
	if err != nil {
		return nil, err
	}
	n := w * h
	valid := make([]byte, n*len(ids))
	allValid := true
	for i := range ids {
		for j := range n {
			if alpha[j] != 0 && !isNaNAt(data, i*n+j) {
				valid[i*n+j] = 1
			} else {
				allValid = false
			}
		}
	}
	f := rawFormats[fmtName]
	var out []byte
	switch fmtName {
	case "lerc":
		codec := r.LercCodec
		if codec == 0 {
			codec = DefaultLercCodec
		}
		if allValid {
			valid = nil
		}
		if out, err = lercBlob(data, st.DataType, w, h, len(ids), valid, r.Tolerance, codec); err != nil {
			return nil, err
		}
	case "bsq", "bip":
		if out, err = interleave(data, len(ids), n, fmtName == "bip"); err != nil {
			return nil, err
		}
		if !allValid {
			bits := make([]byte, (n+7)/8)
			for j := range n {
				ok := true
				for i := range ids {
					ok = ok && valid[i*n+j] != 0
				}
				if ok {
					bits[j/8] |= 0x80 >> (j % 8)
				}
			}
			out = append(out, bits...)
		}
	}
	return &Image{Data: out, ContentType: f.contentType, Extension: f.ext}, nil
}

// readBands reads the selected bands, one after the other, into a slice of
// the Go type matching dt.
func readBands(bands []godal.Band, ids []int, dt godal.DataType, w, h int) (any, error) {
	n := w * h
	read := func(buf any, part func(lo, hi int) any) (any, error) {
		for i, b := range ids {
			if err := bands[b].Read(0, 0, part(i*n, (i+1)*n), w, h, quiet); err != nil {
				return nil, fmt.Errorf("read band %d: %w", b+1, err)
			}
		}
		return buf, nil
	}
	total := n * len(ids)
	switch dt {
	case godal.Byte:
		d := make([]uint8, total)
		return read(d, func(lo, hi int) any { return d[lo:hi] })
	case godal.Int16:
		d := make([]int16, total)
		return read(d, func(lo, hi int) any { return d[lo:hi] })
	case godal.UInt16:
		d := make([]uint16, total)
		return read(d, func(lo, hi int) any { return d[lo:hi] })
	case godal.Int32:
		d := make([]int32, total)
		return read(d, func(lo, hi int) any { return d[lo:hi] })
	case godal.UInt32:
		d := make([]uint32, total)
		return read(d, func(lo, hi int) any { return d[lo:hi] })
	case godal.Float32:
		d := make([]float32, total)
		return read(d, func(lo, hi int) any { return d[lo:hi] })
	case godal.Float64:
		d := make([]float64, total)
		return read(d, func(lo, hi int) any { return d[lo:hi] })
	}
	return nil, fmt.Errorf("raw formats cannot hold %s pixels", dt)
}

func isNaNAt(data any, i int) bool {
	switch d := data.(type) {
	case []float32:
		return math.IsNaN(float64(d[i]))
	case []float64:
		return math.IsNaN(d[i])
	}
	return false
}

// interleave writes nb bands of n values each (band after band in data)
// as little-endian bytes, band after band or, with bip, pixel after pixel.
func interleave(data any, nb, n int, bip bool) ([]byte, error) {
	var width int
	var put func(b []byte, k int)
	switch d := data.(type) {
	case []uint8:
		width, put = 1, func(b []byte, k int) { b[0] = d[k] }
	case []int16:
		width, put = 2, func(b []byte, k int) { binary.LittleEndian.PutUint16(b, uint16(d[k])) }
	case []uint16:
		width, put = 2, func(b []byte, k int) { binary.LittleEndian.PutUint16(b, d[k]) }
	case []int32:
		width, put = 4, func(b []byte, k int) { binary.LittleEndian.PutUint32(b, uint32(d[k])) }
	case []uint32:
		width, put = 4, func(b []byte, k int) { binary.LittleEndian.PutUint32(b, d[k]) }
	case []float32:
		width, put = 4, func(b []byte, k int) { binary.LittleEndian.PutUint32(b, math.Float32bits(d[k])) }
	case []float64:
		width, put = 8, func(b []byte, k int) { binary.LittleEndian.PutUint64(b, math.Float64bits(d[k])) }
	default:
		return nil, fmt.Errorf("raw formats cannot hold %T", data)
	}
	out := make([]byte, nb*n*width)
	for i := range nb {
		for j := range n {
			pos := i*n + j // band sequential
			if bip {
				pos = j*nb + i
			}
			put(out[pos*width:], i*n+j)
		}
	}
	return out, nil
}
