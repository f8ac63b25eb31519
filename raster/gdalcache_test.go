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
