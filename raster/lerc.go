package raster

/*
#cgo pkg-config: Lerc
#include <Lerc_c_api.h>
*/
import "C"

import (
	"errors"
	"fmt"
	"math"
	"unsafe"

	"github.com/airbusgeo/godal"
)

// DefaultLercCodec is the Lerc2 codec version EncodeLERC writes: version 3
// (LERC 2.3), which every Lerc2 decoder reads, from the JavaScript decoder
// of the lerc npm package 2.0 to the WebAssembly one of LERC 4 that the
// ArcGIS Maps SDK for JavaScript runs.
const DefaultLercCodec = 3

// lercType maps GDAL data types to LERC's: char 0, uchar 1, short 2,
// ushort 3, int 4, uint 5, float 6, double 7.
var lercType = map[godal.DataType]C.uint{
	godal.Byte: 1, godal.Int16: 2, godal.UInt16: 3, godal.Int32: 4, godal.UInt32: 5,
	godal.Float32: 6, godal.Float64: 7,
}

// lercBlob encodes w×h pixels of nb bands as Lerc2: one blob per band,
// concatenated, each with its own mask of valid pixels. data holds the
// bands one after the other, row by row (a []uint8, []int16, []uint16,
// []int32, []uint32, []float32 or []float64 matching dt); valid holds one
// byte per pixel per band, non-zero where the pixel is valid, or is nil when
// every pixel is. maxZErr is the largest error allowed per pixel (integer
// types are always lossless below 0.5); codec is the Lerc2 codec version,
// 2 to 6.
func lercBlob(data any, dt godal.DataType, w, h, nb int, valid []byte, maxZErr float64, codec int) ([]byte, error) {
	lt, ok := lercType[dt]
	if !ok {
		return nil, fmt.Errorf("LERC cannot hold %s pixels", dt)
	}
	if codec < 2 || codec > 6 {
		return nil, fmt.Errorf("Lerc2 codec version %d: expected 2 to 6", codec)
	}
	if !(maxZErr >= 0) || math.IsInf(maxZErr, 0) {
		return nil, fmt.Errorf("LERC tolerance %g: expected a number of at least 0", maxZErr)
	}
	n := w * h * nb
	var ptr unsafe.Pointer
	switch d := data.(type) {
	case []uint8:
		ptr, ok = unsafe.Pointer(unsafe.SliceData(d)), len(d) == n
	case []int16:
		ptr, ok = unsafe.Pointer(unsafe.SliceData(d)), len(d) == n
	case []uint16:
		ptr, ok = unsafe.Pointer(unsafe.SliceData(d)), len(d) == n
	case []int32:
		ptr, ok = unsafe.Pointer(unsafe.SliceData(d)), len(d) == n
	case []uint32:
		ptr, ok = unsafe.Pointer(unsafe.SliceData(d)), len(d) == n
	case []float32:
		ptr, ok = unsafe.Pointer(unsafe.SliceData(d)), len(d) == n
	case []float64:
		ptr, ok = unsafe.Pointer(unsafe.SliceData(d)), len(d) == n
	default:
		ok = false
	}
	if !ok || n == 0 {
		return nil, errors.New("LERC input does not match its size")
	}
	var (
		masks C.int
		vp    *C.uchar
	)
	if valid != nil {
		if len(valid) != n {
			return nil, errors.New("LERC mask does not match the size")
		}
		masks, vp = C.int(nb), (*C.uchar)(unsafe.Pointer(unsafe.SliceData(valid)))
	}
	var size C.uint
	st := C.lerc_computeCompressedSizeForVersion(ptr, C.int(codec), lt, 1, C.int(w), C.int(h), C.int(nb),
		masks, vp, C.double(maxZErr), &size)
	if st != 0 {
		return nil, fmt.Errorf("LERC size: error %d", int(st))
	}
	out := make([]byte, int(size))
	var written C.uint
	st = C.lerc_encodeForVersion(ptr, C.int(codec), lt, 1, C.int(w), C.int(h), C.int(nb), masks, vp,
		C.double(maxZErr), (*C.uchar)(unsafe.Pointer(unsafe.SliceData(out))), size, &written)
	if st != 0 {
		return nil, fmt.Errorf("LERC encode: error %d", int(st))
	}
	return out[:int(written)], nil
}
