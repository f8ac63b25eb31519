package tasks

import (
	"fmt"
	"math/rand/v2"
	"reflect"
	"sort"
	"strings"
	"testing"

	"github.com/tessera-gis/tessera/mosaic"
)

// A GDAL metadata item names a field as fieldNamed (strings.EqualFold)
// matches it, as mapMetadata did: "İ" (U+0130) lower-cases to "i" but
// does not fold to it, so KİND names no field; the Kelvin sign folds to
// k. Footprint and raster fields stay computed; of two items that name
// one field, the later in byte order wins.
func TestMetadataFieldsMatchFieldNamed(t *testing.T) {
	t.Parallel()
	fields := append(mosaic.StandardFields(), mosaic.Field{Name: "Kind", Type: mosaic.FieldString, Length: 20})
	meta := newMetadataFields(fields)
	tests := []struct {
		name string
		md   map[string]string
		want map[string]any // the attributes set
	}{
		{name: "any case", md: map[string]string{"kind": "a"}, want: map[string]any{"Kind": "a"}},
		{name: "Kelvin sign", md: map[string]string{"\u212Aind": "a"}, want: map[string]any{"Kind": "a"}},
		{name: "dotted capital I", md: map[string]string{"K\u0130ND": "a"}, want: map[string]any{}},
		{name: "dotless small i", md: map[string]string{"k\u0131nd": "a"}, want: map[string]any{}},
		{name: "later key wins", md: map[string]string{"KIND": "upper", "kind": "lower"}, want: map[string]any{"Kind": "lower"}},
		{name: "computed fields kept", md: map[string]string{"path": "/p", "CENTERX": "1", "LowPS": "2", "shape_area": "3"},
			want: map[string]any{}},
	}
	for _, tt := range tests {
		attrs := map[string]any{}
		meta.apply(tt.md, attrs)
		old := map[string]any{}
		for k := range tt.md { // what mapMetadata's fieldNamed found
			if f, ok := fieldNamed(fields, k); ok && f.Name == "Kind" {
				old[f.Name] = nil
			}
		}
		if len(attrs) != len(tt.want) || len(old) != len(tt.want) {
			t.Errorf("%s: set %v, want %v (fieldNamed matches %v)", tt.name, attrs, tt.want, old)
			continue
		}
		for k, v := range tt.want {
			if attrs[k] != v {
				t.Errorf("%s: %s = %#v, want %#v", tt.name, k, attrs[k], v)
			}
		}
	}
}

// TestMetadataApplyMatchesSortedOrder: apply sets what applying the items
// one by one in byte order sets (the later wins), for many fields, clashes
// and values a field cannot hold.
func TestMetadataApplyMatchesSortedOrder(t *testing.T) {
	t.Parallel()
	fields := mosaic.StandardFields()
	types := []mosaic.FieldType{mosaic.FieldString, mosaic.FieldInteger, mosaic.FieldDouble}
	for i := range 12 {
		fields = append(fields, mosaic.Field{Name: fmt.Sprintf("Field%d", i), Type: types[i%3], Length: 20})
	}
	meta := newMetadataFields(fields)
	reference := func(md map[string]string) map[string]any {
		keys := make([]string, 0, len(md))
		for k := range md {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		out := map[string]any{}
		for _, k := range keys {
			f, ok := fieldNamed(fields, k)
			if !ok || footprintFields[strings.ToLower(f.Name)] || rasterFields[strings.ToLower(f.Name)] {
				continue
			}
			if v, ok := convertText(f.Type, md[k]); ok {
				out[f.Name] = v
			}
		}
		return out
	}
	rng := rand.New(rand.NewPCG(1, 2))
	values := []string{"12", "3.5", "abc", "", " 7 ", "2024-05-01"}
	for range 3000 {
		md := map[string]string{}
		for range rng.IntN(30) {
			name := fmt.Sprintf("field%d", rng.IntN(14))
			switch rng.IntN(3) {
			case 1:
				name = strings.ToUpper(name)
			case 2:
				name = "F" + name[1:]
			}
			if rng.IntN(10) == 0 {
				name = []string{"Name", "PATH", "CloudCover", "lowps", "Tag"}[rng.IntN(5)]
			}
			md[name] = values[rng.IntN(len(values))]
		}
		got := map[string]any{}
		meta.apply(md, got)
		if want := reference(md); !reflect.DeepEqual(got, want) {
			t.Fatalf("apply(%v) = %v, want %v", md, got, want)
		}
	}
}

// fieldNamed is the rule a metadata item names a field by: the first
// field whose name equals it under Unicode case folding.
func fieldNamed(fields []mosaic.Field, name string) (mosaic.Field, bool) {
	for _, f := range fields {
		if strings.EqualFold(f.Name, name) {
			return f, true
		}
	}
	return mosaic.Field{}, false
}
