//go:build !linux

package raster

// ReleaseMemory does nothing on this system (see memory_linux.go).
func ReleaseMemory() {}
