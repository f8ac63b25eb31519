package raster

import "testing"

func TestBlockCache(t *testing.T) {
	if m := BlockCacheMax(); m <= 0 {
		t.Errorf("BlockCacheMax = %d", m)
	}
	if u, m := BlockCacheUsed(), BlockCacheMax(); u < 0 || u > m {
		t.Errorf("BlockCacheUsed = %d of %d", u, m)
	}
}

// FlushBlockCache and ReleaseMemory empty the block cache and keep its
// limit; CHeap reports the C heap where glibc says.
func TestReleaseMemory(t *testing.T) {
	limit := BlockCacheMax()
	FlushBlockCache()
	ReleaseMemory()
	if m := BlockCacheMax(); m != limit {
		t.Errorf("BlockCacheMax after a flush = %d, want %d", m, limit)
	}
	if u := BlockCacheUsed(); u != 0 {
		t.Errorf("BlockCacheUsed after a flush = %d, want 0", u)
	}
	if u, f, ok := CHeap(); ok && (u <= 0 || f < 0) {
		t.Errorf("CHeap = %d in use, %d free", u, f)
	}
}
