package server

import (
	"bytes"
	"encoding/json"
	"math"
	"testing"
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
