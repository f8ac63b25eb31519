package raster

/*
#cgo pkg-config: gdal
#include <stdlib.h>
#include <gdal.h>
#include <cpl_conv.h>
*/
import "C"

import (
	"strings"
	"unsafe"
)

// setConfig sets a process-wide GDAL configuration option; it takes
// precedence over the environment.
func setConfig(key, value string) {
	k, v := C.CString(key), C.CString(value)
	defer C.free(unsafe.Pointer(k))
	defer C.free(unsafe.Pointer(v))
	C.CPLSetConfigOption(k, v)
}

// keepOnly deregisters every GDAL driver not named in keep, and lists the
// others in GDAL_SKIP so that a later GDALAllRegister (by another package
// in the same process) leaves them out too.
func keepOnly(keep []string) {
	ok := map[string]bool{}
	for _, k := range keep {
		ok[k] = true
	}
	var skipped []string
	for i := int(C.GDALGetDriverCount()) - 1; i >= 0; i-- {
		d := C.GDALGetDriver(C.int(i))
		if d == nil {
			continue
		}
		name := C.GoString(C.GDALGetDriverShortName(d))
		if ok[name] {
			continue
		}
		C.GDALDeregisterDriver(d)
		C.GDALDestroyDriver(d)
		if !strings.ContainsAny(name, " ,") {
			skipped = append(skipped, name)
		}
	}
	setConfig("GDAL_SKIP", strings.Join(skipped, " "))
}
