package raster

/*
#cgo pkg-config: gdal
#include "gdal.h"
*/
import "C"

import "sync"

// cacheMu serialises FlushBlockCache, so that two of them do not leave
// the limit at zero.
var cacheMu sync.Mutex

// BlockCacheUsed returns the bytes GDAL's raster block cache holds now,
// and BlockCacheMax its limit (GDAL_CACHEMAX), for metrics.
func BlockCacheUsed() int64 { return int64(C.GDALGetCacheUsed64()) }

// BlockCacheMax returns the limit of GDAL's raster block cache in bytes.
func BlockCacheMax() int64 { return int64(C.GDALGetCacheMax64()) }

// FlushBlockCache drops the blocks of GDAL's raster block cache that no
// reader holds, by lowering its limit to zero for a moment: the cache is
// process-wide and only shrinks when the limit does.
func FlushBlockCache() {
	cacheMu.Lock()
	defer cacheMu.Unlock()
	limit := C.GDALGetCacheMax64()
	C.GDALSetCacheMax64(0)
	C.GDALSetCacheMax64(limit)
}
