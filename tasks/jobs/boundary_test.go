package jobs

import (
	"testing"
	"time"
)

// TestRefreshDelay: a change re-arms the refresh timer, but never past
// boundaryMaxWait after the first request (a stream of jobs less than
// boundaryDelay apart used to put the refresh off until it stopped).
func TestRefreshDelay(t *testing.T) {
	for _, c := range []struct{ waited, want time.Duration }{
		{0, boundaryDelay},
		{5 * time.Second, boundaryDelay},
		{boundaryMaxWait - 100*time.Millisecond, 100 * time.Millisecond},
		{boundaryMaxWait, 0},
		{time.Hour, 0},
	} {
		if got := refreshDelay(c.waited); got != c.want {
			t.Errorf("refreshDelay(%v) = %v, want %v", c.waited, got, c.want)
		}
	}
}
