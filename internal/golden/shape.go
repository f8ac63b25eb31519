package golden

import (
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"testing"
)

// AssertShape compares the shape of got, a JSON answer of tessera, with
// the captured ArcGIS answer testdata/golden/arcgis/ref: every key the
// capture has, at every depth, must be in got with a value of the same
// JSON type (number, string, boolean, object, array). A null in the
// capture matches anything; the elements of arrays are compared with the
// capture's first element. Values are never compared: the captures come
// from other services.
//
// optional lists the paths (as "histograms[].counts", "timeInfo",
// "catalogItems.features[].attributes.cloudcover") that got may lack or
// send as null, because they describe something tessera does not have;
// a path ending in ".*" covers every key below it (a catalog's own
// fields, say).
func AssertShape(t testing.TB, ref string, got []byte, optional ...string) {
	t.Helper()
	want, err := os.ReadFile(filepath.Join(Dir(t), "arcgis", ref))
	if err != nil {
		t.Fatal(err)
	}
	var w, g any
	if err := json.Unmarshal(want, &w); err != nil {
		t.Fatalf("arcgis/%s: %v", ref, err)
	}
	if err := json.Unmarshal(got, &g); err != nil {
		t.Fatalf("answer compared with arcgis/%s is not JSON: %v: %.300s", ref, err, got)
	}
	for _, d := range ShapeDiff(w, g, optional...) {
		t.Errorf("shape differs from arcgis/%s: %s", ref, d)
	}
}

// ShapeDiff returns how got's shape differs from want's (see
// AssertShape), one line per difference, sorted.
func ShapeDiff(want, got any, optional ...string) []string {
	var out []string
	shapeDiff("", want, got, optional, &out)
	sort.Strings(out)
	return slices.Compact(out)
}

func jsonType(v any) string {
	switch v.(type) {
	case nil:
		return "null"
	case bool:
		return "boolean"
	case float64:
		return "number"
	case string:
		return "string"
	case []any:
		return "array"
	case map[string]any:
		return "object"
	}
	return "unknown"
}

func shapeDiff(path string, want, got any, optional []string, out *[]string) {
	if want == nil {
		return
	}
	name := path
	if name == "" {
		name = "(root)"
	}
	if got == nil {
		if !isOptional(optional, path) {
			*out = append(*out, name+": null, want "+jsonType(want))
		}
		return
	}
	if jsonType(want) != jsonType(got) {
		*out = append(*out, name+": "+jsonType(got)+", want "+jsonType(want))
		return
	}
	switch w := want.(type) {
	case map[string]any:
		g := got.(map[string]any)
		for k, wv := range w {
			p := strings.TrimPrefix(path+"."+k, ".")
			gv, ok := g[k]
			if !ok {
				if !isOptional(optional, p) {
					*out = append(*out, p+": missing")
				}
				continue
			}
			shapeDiff(p, wv, gv, optional, out)
		}
	case []any:
		g := got.([]any)
		if len(w) == 0 {
			return
		}
		for _, gv := range g {
			shapeDiff(path+"[]", w[0], gv, optional, out)
		}
	}
}

func isOptional(optional []string, path string) bool {
	for _, o := range optional {
		if o == path || strings.HasSuffix(o, ".*") && strings.HasPrefix(path, strings.TrimSuffix(o, "*")) {
			return true
		}
	}
	return false
}
