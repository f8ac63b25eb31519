package raster

import "testing"

// FuzzSidecarNames: every name sidecarNames gives passes mayBeSidecar, so
// that a Listing never drops a sidecar a raster could have.
func FuzzSidecarNames(f *testing.F) {
	for _, s := range []string{"/d/a.tif", "/d/a.TIF", "/d/a.jp2", "/d/a", "/d/.tif", "/d/a.b", "/d/a.tiff", "/d/a.x.y", "/d/a.w"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, name string) {
		for _, c := range sidecarNames(name) {
			if !mayBeSidecar(c) {
				t.Fatalf("sidecarNames(%q) gives %q, which mayBeSidecar refuses", name, c)
			}
		}
	})
}
