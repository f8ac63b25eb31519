package raster

import (
	"encoding/binary"
	"errors"
	"hash/fnv"
	"io"

	"github.com/airbusgeo/godal"
)

// Building a GeoTIFF's spatial reference from its GeoKeys is most of the
// cost of reading its header: GDAL looks the codes up in PROJ's database
// for every file. Files written by one tool for one area carry identical
// GeoKeys, and the SRS GDAL builds depends on nothing else (auxiliary
// files are disabled and directories are never listed, see doc.go). So
// datasetSRS fingerprints the GeoKey tags of local GeoTIFFs, asks GDAL
// once per fingerprint, and reuses its answer.

// GeoTIFF tags that define the spatial reference.
const (
	tagGeoKeyDirectory = 34735
	tagGeoDoubleParams = 34736
	tagGeoASCIIParams  = 34737
)

// datasetSRS returns the spatial reference of an open dataset.
func datasetSRS(ds *godal.Dataset, path, driver string) (SRS, error) {
	if driver != "GTiff" || isVSI(path) {
		return srsFromWKT(ds.Projection())
	}
	key, ok := geoKeysFingerprint(path)
	if !ok {
		return srsFromWKT(ds.Projection())
	}
	if srs, ok := cachedSRS(key); ok {
		return srs, nil
	}
	// GDAL builds the SRS from the GeoKeys in PROJ's database when it is
	// first asked for it: on the PROJ thread, whose context is warm (the
	// dataset is used by one thread at a time, this one waiting).
	var srs SRS
	var err error
	onProjThread(func() { srs, err = srsFromWKTWith(ds.Projection(), identifyHere) })
	if err == nil {
		cacheSRS(key, srs)
	}
	return srs, err
}

// geoKeysFingerprint returns a cache key for the contents of the GeoKey
// tags of the first image of a TIFF file, or false when the file has none
// or cannot be parsed (then GDAL decides).
func geoKeysFingerprint(path string) (string, bool) {
	f, done, err := openReaderAt(path)
	if err != nil {
		return "", false
	}
	defer done()
	tags, err := readGeoTags(f)
	if err != nil || tags[0] == nil {
		return "", false
	}
	h := fnv.New128a()
	for i, t := range tags {
		h.Write([]byte{byte(i), byte(len(t)), byte(len(t) >> 8), byte(len(t) >> 16)})
		h.Write(t)
	}
	return "\x00geokeys:" + string(h.Sum(nil)), true
}

var errNotTIFF = errors.New("not a TIFF file")

// tiffTypeSize is the size in bytes of a value of a TIFF field type (0 for
// an unknown type).
func tiffTypeSize(t uint16) uint64 {
	switch t {
	case 1, 2, 6, 7:
		return 1
	case 3, 8:
		return 2
	case 4, 9, 11:
		return 4
	case 5, 10, 12, 16, 17, 18:
		return 8
	}
	return 0
}

// readGeoTags reads the raw bytes of the GeoKeyDirectory, GeoDoubleParams
// and GeoAsciiParams tags of the first IFD (classic TIFF or BigTIFF).
func readGeoTags(r io.ReaderAt) ([3][]byte, error) {
	var out [3][]byte
	head := make([]byte, 16)
	if _, err := r.ReadAt(head, 0); err != nil {
		return out, err
	}
	var bo binary.ByteOrder
	switch string(head[:2]) {
	case "II":
		bo = binary.LittleEndian
	case "MM":
		bo = binary.BigEndian
	default:
		return out, errNotTIFF
	}
	big := false
	var ifd uint64
	switch bo.Uint16(head[2:]) {
	case 42:
		ifd = uint64(bo.Uint32(head[4:]))
	case 43:
		big = true
		ifd = bo.Uint64(head[8:])
	default:
		return out, errNotTIFF
	}
	countSize, entrySize, inline := 2, 12, 4
	if big {
		countSize, entrySize, inline = 8, 20, 8
	}
	cb := make([]byte, countSize)
	if _, err := r.ReadAt(cb, int64(ifd)); err != nil {
		return out, err
	}
	var n uint64
	if big {
		n = bo.Uint64(cb)
	} else {
		n = uint64(bo.Uint16(cb))
	}
	if n == 0 || n > 4096 {
		return out, errNotTIFF
	}
	entries := make([]byte, int(n)*entrySize)
	if _, err := r.ReadAt(entries, int64(ifd)+int64(countSize)); err != nil {
		return out, err
	}
	for i := range int(n) {
		e := entries[i*entrySize:]
		tag := bo.Uint16(e)
		slot := -1
		switch tag {
		case tagGeoKeyDirectory:
			slot = 0
		case tagGeoDoubleParams:
			slot = 1
		case tagGeoASCIIParams:
			slot = 2
		default:
			continue
		}
		size := tiffTypeSize(bo.Uint16(e[2:]))
		if size == 0 {
			return out, errNotTIFF
		}
		var count uint64
		var val []byte
		if big {
			count, val = bo.Uint64(e[4:]), e[12:20]
		} else {
			count, val = uint64(bo.Uint32(e[4:])), e[8:12]
		}
		total := size * count
		if total > 1<<20 {
			return out, errNotTIFF
		}
		data := make([]byte, total)
		if total <= uint64(inline) {
			copy(data, val)
		} else {
			var off uint64
			if big {
				off = bo.Uint64(val)
			} else {
				off = uint64(bo.Uint32(val))
			}
			if _, err := r.ReadAt(data, int64(off)); err != nil {
				return out, err
			}
		}
		// The byte order is part of the key: the same bytes mean other
		// values in the other order.
		out[slot] = append([]byte{head[0]}, data...)
	}
	return out, nil
}
