package mosaic_test

import (
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/tessera-gis/tessera/mosaic"
)

func TestParseBool(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in       string
		def      bool
		want, ok bool
	}{
		{"", false, false, true},
		{"  ", true, true, true},
		{"true", false, true, true},
		{" TRUE ", false, true, true},
		{"Yes", false, true, true},
		{"on", false, true, true},
		{"1", false, true, true},
		{"false", true, false, true},
		{"No", true, false, true},
		{"OFF", true, false, true},
		{"0", true, false, true},
		{"maybe", true, false, false},
		{"2", false, false, false},
		{"t", false, false, false},
	}
	for _, tt := range tests {
		got, ok := mosaic.ParseBool(tt.in, tt.def)
		if got != tt.want || ok != tt.ok {
			t.Errorf("ParseBool(%q, %v) = %v, %v; want %v, %v", tt.in, tt.def, got, ok, tt.want, tt.ok)
		}
	}
}

func TestParseIDs(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in      string
		want    []int64
		wantErr string
	}{
		{"", nil, ""},
		{" [ ] ", nil, ""},
		{"7", []int64{7}, ""},
		{"1,2,3", []int64{1, 2, 3}, ""},
		{"[1, 2, 3]", []int64{1, 2, 3}, ""},
		{" 4 ,, 5, ", []int64{4, 5}, ""},
		{"-1,9223372036854775807", []int64{-1, 9223372036854775807}, ""},
		{"1,x", nil, `"x" is not an integer`},
		{"1.5", nil, `"1.5" is not an integer`},
		{"9223372036854775808", nil, "not an integer"},
		{strings.Repeat("1,", mosaic.MaxIDs) + "1", nil, "more than 100,000 IDs"},
	}
	for _, tt := range tests {
		got, err := mosaic.ParseIDs(tt.in)
		name := tt.in
		if len(name) > 40 {
			name = name[:40] + "…"
		}
		switch {
		case tt.wantErr != "":
			if mosaic.ErrorCode(err) != mosaic.EINVALID || !strings.Contains(mosaic.ErrorMessage(err), tt.wantErr) {
				t.Errorf("ParseIDs(%q) error = %v, want EINVALID %q", name, err, tt.wantErr)
			}
		case err != nil:
			t.Errorf("ParseIDs(%q): %v", name, err)
		case !slices.Equal(got, tt.want) || (got == nil) != (tt.want == nil):
			t.Errorf("ParseIDs(%q) = %#v, want %#v", name, got, tt.want)
		}
	}
	if ids, err := mosaic.ParseIDs(strings.Repeat("1,", mosaic.MaxIDs-1) + "1"); err != nil || len(ids) != mosaic.MaxIDs {
		t.Errorf("ParseIDs of %d IDs: %d, %v", mosaic.MaxIDs, len(ids), err)
	}
}

func TestParseDate(t *testing.T) {
	t.Parallel()
	day := time.Date(2024, 6, 30, 0, 0, 0, 0, time.UTC)
	at := time.Date(2024, 6, 30, 12, 34, 56, 0, time.UTC)
	tests := []struct {
		in   string
		want time.Time
	}{
		{"2024-06-30", day},
		{"2024/06/30", day},
		{"20240630", day},
		{"2024-06-30T12:34:56", at},
		{"2024-06-30 12:34:56", at},
		{"2024/06/30 12:34:56", at},
		{"2024:06:30 12:34:56", at},
		{"2024-06-30T12:34:56Z", at},
		{"2024-06-30T14:34:56+02:00", at},
		{"2024-06-30 14:34:56+02:00", at},
		{"2024-06-30T12:34:56.250Z", at.Add(250 * time.Millisecond)},
		{"2024/06/30 12:34:56.250", at.Add(250 * time.Millisecond)},
		{"2024-06-30T12:34Z", at.Add(-56 * time.Second)},
		{strconv.FormatInt(at.UnixMilli(), 10), at},
	}
	for _, tt := range tests {
		got, ok := mosaic.ParseDate(tt.in)
		if !ok || !got.Equal(tt.want) || got.Location() != time.UTC {
			t.Errorf("ParseDate(%q) = %v, %v; want %v", tt.in, got, ok, tt.want)
		}
	}
	for _, bad := range []string{"", "soon", "2024-13-01", "30/06/2024", "12345", " 2024-06-30", "99999999999"} {
		if got, ok := mosaic.ParseDate(bad); ok {
			t.Errorf("ParseDate(%q) = %v, want no date", bad, got)
		}
	}
}

func TestParseSpatialRef(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in      string
		want    mosaic.SpatialRef
		wantErr string // part of the error message; "" for none
	}{
		{"", mosaic.SpatialRef{}, ""},
		{"  ", mosaic.SpatialRef{}, ""},
		{"4326", mosaic.SpatialRef{WKID: 4326}, ""},
		{" epsg:3857 ", mosaic.SpatialRef{WKID: 3857}, ""},
		{`{"wkid": 102100, "latestWkid": 3857}`, mosaic.SpatialRef{WKID: 3857}, ""},
		{`{"wkid": 32633}`, mosaic.SpatialRef{WKID: 32633}, ""},
		{`{"wkt": "GEOGCS[\"x\"]"}`, mosaic.SpatialRef{WKT: `GEOGCS["x"]`}, ""},
		{`{}`, mosaic.SpatialRef{}, "expected wkid"},
		{`{"wkid":`, mosaic.SpatialRef{}, "not valid JSON"},
		{"0", mosaic.SpatialRef{}, "expected a WKID"},
		{"-4326", mosaic.SpatialRef{}, "expected a WKID"},
		{"WGS84", mosaic.SpatialRef{}, "expected a WKID"},
	}
	for _, tt := range tests {
		got, err := mosaic.ParseSpatialRef(tt.in)
		switch {
		case tt.wantErr == "" && err != nil:
			t.Errorf("ParseSpatialRef(%q): %v", tt.in, err)
		case tt.wantErr != "" && (mosaic.ErrorCode(err) != mosaic.EINVALID || !strings.Contains(mosaic.ErrorMessage(err), tt.wantErr)):
			t.Errorf("ParseSpatialRef(%q) error = %v; want EINVALID with %q", tt.in, err, tt.wantErr)
		case got != tt.want:
			t.Errorf("ParseSpatialRef(%q) = %+v; want %+v", tt.in, got, tt.want)
		}
	}
}
