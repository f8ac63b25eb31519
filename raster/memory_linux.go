package raster

/*
#include <malloc.h>
*/
import "C"

// ReleaseMemory hands the free memory of the C heap (GDAL's, SQLite's)
// back to the system: glibc otherwise keeps what was freed in its arenas,
// and a server that once read a million rasters would stay at its peak.
func ReleaseMemory() { C.malloc_trim(0) }
