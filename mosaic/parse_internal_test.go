package mosaic

import (
	"testing"
	"time"
)

// FuzzParseISODate: parseISODate reads what time.Parse with the layout
// 2006-01-02 reads, to the same instant, and refuses what it refuses.
func FuzzParseISODate(f *testing.F) {
	for _, s := range []string{"2024-05-01", "2024-02-29", "2023-02-29", "2024-13-01", "2024-00-10", "2024-04-31",
		"0000-01-01", "9999-12-31", "2024-5-01", "+024-05-01", "2024-05-1a", "2024/05/01", ""} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		want, err := time.Parse("2006-01-02", s)
		got, ok := parseISODate(s)
		if ok != (err == nil) || ok && !got.Equal(want) {
			t.Fatalf("parseISODate(%q) = %v, %v; time.Parse: %v, %v", s, got, ok, want, err)
		}
	})
}
