//go:build linux

package raster

import (
	"sync"
	"testing"

	"golang.org/x/sys/unix"
)

// TestProjThread: identifications from many goroutines at once run on one
// OS thread, one at a time, and each gets its own answer.
func TestProjThread(t *testing.T) {
	setup()
	var wg sync.WaitGroup
	tids := make([]int, 24)
	for i := range tids {
		wg.Add(1)
		go func() {
			defer wg.Done()
			onProjThread(func() { tids[i] = unix.Gettid() })
			code := 32601 + i
			srs, err := SRSFromEPSG(code)
			if err != nil || srs.EPSG != code {
				t.Errorf("SRSFromEPSG(%d) = %+v, %v", code, srs, err)
			}
		}()
	}
	wg.Wait()
	for _, tid := range tids {
		if tid != tids[0] {
			t.Fatalf("PROJ calls ran on threads %v", tids)
		}
	}
}
