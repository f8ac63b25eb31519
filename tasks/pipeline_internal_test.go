package tasks

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/tessera-gis/tessera/raster"
)

// numbered is a source set of n sources that fail at once (no raster is
// read), each with an error that names its place.
func numbered(n int) *sourceSet {
	srcs := make([]source, n)
	for i := range srcs {
		srcs[i] = source{Path: fmt.Sprint(i), err: fmt.Errorf("%d", i)}
	}
	return sourceSlice(srcs)
}

// TestPipelineOrder: outcomes come out once each and in input order,
// whatever the input's size against the chunks and the read-ahead window.
func TestPipelineOrder(t *testing.T) {
	for _, n := range []int{0, 1, 2, 7, 8, 9, 63, 64, 65, 129, 1000} {
		for _, window := range []int{1, 3, 16, 17, 4096} {
			ctx, cancel := context.WithCancel(context.Background())
			b := &builder{ctx: ctx, target: raster.SRS{EPSG: 32633}}
			p := newPipeline(ctx, numbered(n), b, window)
			got := 0
			for {
				out, ok := p.Next()
				if !ok {
					break
				}
				if out.err == nil || out.err.Error() != fmt.Sprint(got) {
					t.Fatalf("n=%d window=%d: outcome %d is %v", n, window, got, out.err)
				}
				got++
			}
			if got != n || p.Err() != nil {
				t.Fatalf("n=%d window=%d: %d outcomes, err %v", n, window, got, p.Err())
			}
			cancel()
		}
	}
}

// TestPipelineCancel: once the context ends, Next returns false soon,
// with the context's error, however many sources are left.
func TestPipelineCancel(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	b := &builder{ctx: ctx, target: raster.SRS{EPSG: 32633}}
	p := newPipeline(ctx, numbered(100000), b, 64)
	for range 100 {
		if _, ok := p.Next(); !ok {
			t.Fatal("stopped early")
		}
	}
	cancel()
	done := make(chan struct{})
	go func() {
		defer close(done)
		for {
			if _, ok := p.Next(); !ok {
				return
			}
		}
	}()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		t.Fatal("Next did not stop after cancel")
	}
	if !errors.Is(p.Err(), context.Canceled) {
		t.Fatalf("Err = %v", p.Err())
	}
}
