//go:build !linux

package raster

// ReleaseMemory empties GDAL's block cache of unused blocks; the C heap
// is not trimmed on this system (see memory_linux.go).
func ReleaseMemory() { FlushBlockCache() }

// CHeap is not known on this system (see memory_linux.go).
func CHeap() (inUse, free int64, ok bool) { return 0, 0, false }

// TrimCHeap does nothing on this system (see memory_linux.go).
func TrimCHeap() {}
