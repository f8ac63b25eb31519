//go:build linux

package raster

import (
	"errors"
	"os"
	"path/filepath"
	"syscall"
	"testing"
	"time"
)

// TestCheckOpenFD checks that on Linux the gate decides local names on a
// file descriptor (the fast path is taken, not silently left to the check
// by name), and agrees with the check by name on each case. The refusals
// themselves are covered through Inspect and Render by TestGatePaths.
func TestCheckOpenFD(t *testing.T) {
	store, outside := t.TempDir(), t.TempDir()
	put := func(p, text string) string {
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	plain := put(filepath.Join(store, "a", "x.tif"), "II*\x00")
	vrt := put(filepath.Join(store, "v.vrt"), `<VRTDataset rasterXSize="1" rasterYSize="1"></VRTDataset>`)
	out := put(filepath.Join(outside, "y.tif"), "II*\x00")
	link := filepath.Join(store, "link.tif")
	if err := os.Symlink(out, link); err != nil {
		t.Fatal(err)
	}
	inner := filepath.Join(store, "inner.tif")
	if err := os.Symlink(plain, inner); err != nil {
		t.Fatal(err)
	}
	s, err := NewStores([]string{store}, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	physical, err := filepath.EvalSymlinks(plain)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name     string
		resolved string // "" when refused
		vrt      bool
	}{
		{plain, physical, false},
		{inner, physical, false},
		{store + "/a/../a/x.tif", physical, false},
		{vrt, "", true}, // resolved checked below
		{out, "", false},
		{link, "", false},
		{filepath.Join(store, "a"), "", false},
		{filepath.Join(store, "missing.tif"), "", false},
		{"/proc/self/environ", "", false},
	} {
		resolved, isVRT, err, ok := s.checkOpenFD(tc.name)
		if !ok {
			t.Errorf("%s: the fast path did not decide", tc.name)
			continue
		}
		slowResolved, slowVRT, slowErr := s.checkOpenByName(tc.name)
		if (err == nil) != (slowErr == nil) || resolved != slowResolved || isVRT != slowVRT {
			t.Errorf("%s: fast (%q, %v, %v), by name (%q, %v, %v)", tc.name, resolved, isVRT, err, slowResolved, slowVRT, slowErr)
		}
		switch {
		case tc.resolved != "" && (err != nil || resolved != tc.resolved || isVRT != tc.vrt):
			t.Errorf("%s: (%q, %v, %v), want %q allowed", tc.name, resolved, isVRT, err, tc.resolved)
		case tc.resolved == "" && !tc.vrt && !errors.Is(err, ErrNotInStore):
			t.Errorf("%s: %v, want ErrNotInStore", tc.name, err)
		case tc.vrt && (err != nil || !isVRT):
			t.Errorf("%s: (%q, %v, %v), want a VRT allowed", tc.name, resolved, isVRT, err)
		}
	}
	// Not plain local paths: left to the check by name.
	for _, name := range []string{"rel.tif", "/vsimem/x.tif", "http://example.com/x.tif"} {
		if _, _, _, ok := s.checkOpenFD(name); ok {
			t.Errorf("%s: the fast path decided", name)
		}
	}
}

// TestGeoKeysFingerprintSpecialFiles: geoKeysFingerprint opens by name
// after GDAL did (Inspect passes it the name it was given), so the name may
// be a FIFO by then: it must not wait for a writer, nor read a device.
func TestGeoKeysFingerprintSpecialFiles(t *testing.T) {
	dir := t.TempDir()
	fifo := filepath.Join(dir, "fifo.tif")
	if err := syscall.Mkfifo(fifo, 0o644); err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{fifo, "/dev/zero", "/dev/null", dir} {
		done := make(chan bool, 1)
		go func() { _, ok := geoKeysFingerprint(name); done <- ok }()
		select {
		case ok := <-done:
			if ok {
				t.Errorf("%s: a fingerprint", name)
			}
		case <-time.After(10 * time.Second):
			// Let the blocked open end.
			if w, err := os.OpenFile(fifo, os.O_WRONLY, 0); err == nil {
				w.Close()
			}
			t.Fatalf("geoKeysFingerprint(%s) blocks", name)
		}
	}
}
