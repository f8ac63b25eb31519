package server

import (
	"bytes"
	"encoding/json"
	"math"
	"testing"

	"github.com/paulmach/orb"
)

// TestQueryEncFastPaths checks the shortcuts of the streamed encoder
// against the functions they stand for and encoding/json.
func TestQueryEncFastPaths(t *testing.T) {
	floats := []float64{0, math.Copysign(0, -1), 1, -1, 10, 40, 23.4, 0.1, 1e14, 1e15 - 1, 1e15, -1e15 + 1, 123456789012345,
		5e20, 1e21, 1e-6, 1e-7, 400000, 5000001.5, -0.000001, math.MaxFloat64, math.SmallestNonzeroFloat64, 2.5e-8}
	for _, f := range floats {
		got, want := appendFloat(nil, f), appendJSONFloat(nil, f)
		j, _ := json.Marshal(f)
		if !bytes.Equal(got, want) || !bytes.Equal(got, j) {
			t.Errorf("%v: appendFloat %s, appendJSONFloat %s, encoding/json %s", f, got, want, j)
		}
	}
	for _, s := range []string{"", "plain", "T00001_20150101", `q"uote`, `back\slash`, "tab\t", "é", "\u2028", "\x01", "<&>", "\xff"} {
		if got, want := appendJSONStringFast(nil, s), appendJSONString(nil, s); !bytes.Equal(got, want) {
			t.Errorf("%q: fast %s, general %s", s, got, want)
		}
	}
}

func FuzzAppendJSONStringFast(f *testing.F) {
	f.Add("plain")
	f.Add("five \"5\" <&> é\t\u2028\x01")
	f.Fuzz(func(t *testing.T, s string) {
		if got, want := appendJSONStringFast(nil, s), appendJSONString(nil, s); !bytes.Equal(got, want) {
			t.Errorf("%q: fast %s, general %s", s, got, want)
		}
	})
}

// TestGeneralize checks maxAllowableOffset's Douglas-Peucker: points within
// the tolerance of a ring's edges go, corners and closure stay, and a ring
// that would collapse is kept whole.
func TestGeneralize(t *testing.T) {
	var ring orb.Ring
	for i := 0; i <= 10; i++ { // bottom edge with 0.4 m wiggles
		ring = append(ring, orb.Point{float64(i) * 10, float64(i%2) * 0.4})
	}
	ring = append(ring, orb.Point{100, 100}, orb.Point{0, 100}, orb.Point{0, 0})
	got := generalize(orb.Polygon{append(orb.Ring(nil), ring...)}, 1)[0]
	want := orb.Ring{{0, 0}, {100, 0}, {100, 100}, {0, 100}, {0, 0}}
	if !orb.Equal(got, want) {
		t.Errorf("tolerance 1: %v, want %v", got, want)
	}
	if got := generalize(orb.Polygon{append(orb.Ring(nil), ring...)}, 0.1)[0]; len(got) != len(ring) {
		t.Errorf("tolerance 0.1 removed points: %v", got)
	}
	thin := orb.Ring{{0, 0}, {50, 0.1}, {100, 0}, {50, -0.1}, {25, 0}, {0, 0}}
	if got := generalize(orb.Polygon{append(orb.Ring(nil), thin...)}, 10)[0]; !orb.Equal(got, thin) {
		t.Errorf("collapsing ring: %v, want it kept", got)
	}
}
