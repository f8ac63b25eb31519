package raster

/*
#cgo pkg-config: gdal
#include "gdal.h"
*/
import "C"

// BlockCacheUsed returns the bytes GDAL's raster block cache holds now,
// and BlockCacheMax its limit (GDAL_CACHEMAX), for metrics.
func BlockCacheUsed() int64 { return int64(C.GDALGetCacheUsed64()) }

// BlockCacheMax returns the limit of GDAL's raster block cache in bytes.
func BlockCacheMax() int64 { return int64(C.GDALGetCacheMax64()) }
