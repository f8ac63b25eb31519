package raster

/*
#include <malloc.h>

static void tessera_cheap(size_t *inuse, size_t *free, size_t *mapped) {
	struct mallinfo2 mi = mallinfo2();
	*inuse = mi.uordblks + mi.hblkhd;
	*free = mi.fordblks;
	*mapped = mi.hblkhd;
}
*/
import "C"

// ReleaseMemory hands the free memory of the C heap (GDAL's, SQLite's)
// back to the system: glibc otherwise keeps what was freed in its arenas,
// and a server that once read a million rasters would stay at its peak.
// It also empties GDAL's raster block cache of the blocks no reader holds.
func ReleaseMemory() {
	FlushBlockCache()
	TrimCHeap()
}

// TrimCHeap hands the free memory of glibc's arenas back to the system
// (malloc_trim). Under a steady load the C heap's free memory, spread over
// one arena per thread, otherwise stays resident; a few milliseconds.
func TrimCHeap() { C.malloc_trim(0) }

// CHeap returns what the C heap (glibc malloc: GDAL, PROJ, SQLite) holds:
// bytes in use by the program, and bytes freed but kept by the allocator
// (returned to the system by ReleaseMemory, or reused). ok is false where
// the allocator does not say.
func CHeap() (inUse, free int64, ok bool) {
	var u, f, m C.size_t
	C.tessera_cheap(&u, &f, &m)
	return int64(u), int64(f), true
}
