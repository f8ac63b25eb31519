package server

import (
	"testing"

	"github.com/paulmach/orb"

	"github.com/tessera-gis/tessera/mosaic"
)

// FuzzPixelParams feeds the pixel operations' geometry, geometryType and
// pixelSize decoding arbitrary text: it must never panic, an error must be
// a 400 (EINVALID), and a decoded geometry must be non-empty and finite.
func FuzzPixelParams(f *testing.F) {
	for _, seed := range [][3]string{
		{`{"x":600050,"y":5300050}`, "", ""},
		{`{"x":1,"y":2,"spatialReference":{"wkid":102100}}`, "esriGeometryPoint", `{"x":10,"y":10}`},
		{`{"points":[[1,2],[3,4]]}`, "esriGeometryMultipoint", "10,10"},
		{`{"paths":[[[0,0],[10,10],[20,0]]]}`, "esriGeometryPolyline", "5"},
		{`{"rings":[[[0,0],[0,10],[10,10],[10,0],[0,0]]]}`, "esriGeometryPolygon", `{"x":1,"y":1,"spatialReference":{"wkid":32633}}`},
		{`{"xmin":0,"ymin":0,"xmax":10,"ymax":10}`, "esriGeometryEnvelope", "1"},
		{`{"xmin":10,"ymin":10,"xmax":0,"ymax":0}`, "esriGeometryPolygon", "0.5,2"},
		{"1,2", "", "NaN"},
		{"0,0,10,10", "esriGeometryEnvelope", "-1"},
		{`{"rings":[[[0,0],[0,0],[0,0]]]}`, "", "1e999"},
		{`{"rings":[]}`, "", `{"x":null}`},
		{`{"points":[]}`, "esrigeometrymultipoint", `{}`},
		{`{"paths":[[[0,0]]]}`, "ESRIGEOMETRYPOLYLINE", "1,2,3"},
		{`{"x":1e308,"y":-1e308}`, "bogus", "Inf"},
		{"", "", ""},
		{"{", "", "{"},
	} {
		f.Add(seed[0], seed[1], seed[2])
	}
	all := []string{"esriGeometryPoint", "esriGeometryMultipoint", "esriGeometryPolyline", "esriGeometryPolygon", "esriGeometryEnvelope"}
	f.Fuzz(func(t *testing.T, geometry, geometryType, pixelSize string) {
		for i := range all {
			g, _, err := decodePixelGeometry(geometry, geometryType, all[i:]...)
			if err != nil {
				if mosaic.ErrorCode(err) != mosaic.EINVALID {
					t.Fatalf("decodePixelGeometry(%q, %q): %v is not EINVALID", geometry, geometryType, err)
				}
				continue
			}
			n := 0
			eachPoint(g, func(p orb.Point) {
				n++
				if !finite(p[0]) || !finite(p[1]) {
					t.Fatalf("decodePixelGeometry(%q): non-finite vertex %v", geometry, p)
				}
			})
			if n == 0 || !contains(all[i:], kindOf(g)) && kindOf(g) != "esriGeometryEnvelope" {
				t.Fatalf("decodePixelGeometry(%q, %q) = %#v (%d vertices)", geometry, geometryType, g, n)
			}
		}
		ps, err := decodePixelSize(pixelSize)
		switch {
		case err != nil && mosaic.ErrorCode(err) != mosaic.EINVALID:
			t.Fatalf("decodePixelSize(%q): %v is not EINVALID", pixelSize, err)
		case err == nil && (ps < 0 || !finite(ps)):
			t.Fatalf("decodePixelSize(%q) = %v", pixelSize, ps)
		}
	})
}
