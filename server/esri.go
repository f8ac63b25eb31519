package server

import (
	"encoding/json"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/paulmach/orb"

	"github.com/tessera-gis/tessera/mosaic"
)

// spatialRefJSON is an Esri spatial reference.
type spatialRefJSON struct {
	WKID       int    `json:"wkid,omitempty"`
	LatestWKID int    `json:"latestWkid,omitempty"`
	WKT        string `json:"wkt,omitempty"`
}

func srJSON(sr mosaic.SpatialRef) *spatialRefJSON {
	if sr.WKID != 0 {
		if mosaic.NormalizeWKID(sr.WKID) == 3857 {
			// As ArcGIS reports Web Mercator, whichever code it was given.
			return &spatialRefJSON{WKID: 102100, LatestWKID: 3857}
		}
		return &spatialRefJSON{WKID: sr.WKID, LatestWKID: mosaic.NormalizeWKID(sr.WKID)}
	}
	if sr.WKT != "" {
		return &spatialRefJSON{WKT: sr.WKT}
	}
	return nil
}

// parseSR reads the spatial reference parameter name (see
// mosaic.ParseSpatialRef). Blank returns the zero value.
func parseSR(name, s string) (mosaic.SpatialRef, error) {
	sr, err := mosaic.ParseSpatialRef(s)
	if err != nil {
		return sr, badParam(name, mosaic.ErrorMessage(err))
	}
	return sr, nil
}

func badParam(name, why string) error {
	return mosaic.Errorf(mosaic.EINVALID, "Invalid or missing input parameters.").WithDetails(
		fmt.Sprintf("Invalid value for %s: %s.", name, why))
}

// extentJSON is an Esri envelope.
type extentJSON struct {
	XMin             float64         `json:"xmin"`
	YMin             float64         `json:"ymin"`
	XMax             float64         `json:"xmax"`
	YMax             float64         `json:"ymax"`
	SpatialReference *spatialRefJSON `json:"spatialReference,omitempty"`
}

func extent(b orb.Bound, sr mosaic.SpatialRef) extentJSON {
	return extentJSON{XMin: b.Min[0], YMin: b.Min[1], XMax: b.Max[0], YMax: b.Max[1], SpatialReference: srJSON(sr)}
}

// polygonJSON is an Esri polygon.
type polygonJSON struct {
	Rings            [][][2]float64  `json:"rings"`
	SpatialReference *spatialRefJSON `json:"spatialReference,omitempty"`
}

// esriRings returns polygons' rings in Esri order: exterior rings
// clockwise, holes counter-clockwise.
func esriRings(polys ...orb.Polygon) [][][2]float64 {
	var out [][][2]float64
	for _, p := range polys {
		for i, ring := range p {
			want := orb.CW
			if i > 0 {
				want = orb.CCW
			}
			r := make([][2]float64, len(ring))
			for j, pt := range ring {
				r[j] = [2]float64{pt[0], pt[1]}
			}
			if ring.Orientation() != want {
				for a, b := 0, len(r)-1; a < b; a, b = a+1, b-1 {
					r[a], r[b] = r[b], r[a]
				}
			}
			if len(r) > 0 && r[0] != r[len(r)-1] {
				r = append(r, r[0])
			}
			out = append(out, r)
		}
	}
	return out
}

// parseGeometry reads a query geometry: Esri JSON (envelope, point,
// multipoint, polyline, polygon) or the "xmin,ymin,xmax,ymax" and "x,y"
// shorthands. It returns the geometry and the spatial reference it carries,
// if any.
func parseGeometry(text, geometryType string) (orb.Geometry, mosaic.SpatialRef, error) {
	text = strings.TrimSpace(text)
	var sr mosaic.SpatialRef
	if text == "" {
		return nil, sr, nil
	}
	if !strings.HasPrefix(text, "{") {
		nums, err := parseFloats(text)
		if err != nil {
			return nil, sr, badParam("geometry", "expected JSON or comma-separated numbers")
		}
		switch len(nums) {
		case 2:
			return orb.Point{nums[0], nums[1]}, sr, nil
		case 4:
			return normBound(nums[0], nums[1], nums[2], nums[3]), sr, nil
		}
		return nil, sr, badParam("geometry", "expected x,y or xmin,ymin,xmax,ymax")
	}
	var g struct {
		XMin, YMin, XMax, YMax *float64
		X, Y                   *float64
		Points                 [][]float64
		Paths                  [][][]float64
		Rings                  [][][]float64
		SpatialReference       json.RawMessage `json:"spatialReference"`
	}
	if err := json.Unmarshal([]byte(text), &g); err != nil {
		return nil, sr, badParam("geometry", "not valid JSON")
	}
	if len(g.SpatialReference) > 0 && string(g.SpatialReference) != "null" {
		var err error
		if sr, err = parseSR("geometry.spatialReference", string(g.SpatialReference)); err != nil {
			return nil, sr, err
		}
	}
	switch {
	case g.XMin != nil && g.YMin != nil && g.XMax != nil && g.YMax != nil:
		return normBound(*g.XMin, *g.YMin, *g.XMax, *g.YMax), sr, nil
	case g.X != nil && g.Y != nil:
		return orb.Point{*g.X, *g.Y}, sr, nil
	case g.Rings != nil:
		mp, err := polygonFromRings(g.Rings)
		if err != nil {
			return nil, sr, err
		}
		if len(mp) == 1 {
			return mp[0], sr, nil
		}
		return mp, sr, nil
	case g.Points != nil:
		var mp orb.MultiPoint
		for _, p := range g.Points {
			if len(p) < 2 {
				return nil, sr, badParam("geometry", "a point needs x and y")
			}
			mp = append(mp, orb.Point{p[0], p[1]})
		}
		return mp, sr, nil
	case g.Paths != nil:
		var ml orb.MultiLineString
		for _, path := range g.Paths {
			var ls orb.LineString
			for _, p := range path {
				if len(p) < 2 {
					return nil, sr, badParam("geometry", "a vertex needs x and y")
				}
				ls = append(ls, orb.Point{p[0], p[1]})
			}
			ml = append(ml, ls)
		}
		return ml, sr, nil
	}
	return nil, sr, badParam("geometry", "unrecognised geometry for geometryType "+geometryType)
}

func normBound(x1, y1, x2, y2 float64) orb.Bound {
	return orb.Bound{Min: orb.Point{math.Min(x1, x2), math.Min(y1, y2)}, Max: orb.Point{math.Max(x1, x2), math.Max(y1, y2)}}
}

// polygonFromRings groups Esri rings into polygons: each clockwise ring
// starts a polygon, counter-clockwise rings are holes of the one before.
func polygonFromRings(rings [][][]float64) (orb.MultiPolygon, error) {
	var mp orb.MultiPolygon
	for _, raw := range rings {
		var ring orb.Ring
		for _, p := range raw {
			if len(p) < 2 {
				return nil, badParam("geometry", "a vertex needs x and y")
			}
			ring = append(ring, orb.Point{p[0], p[1]})
		}
		if len(ring) < 3 {
			return nil, badParam("geometry", "a ring needs at least 3 vertices")
		}
		if !ring.Closed() {
			ring = append(ring, ring[0])
		}
		if ring.Orientation() == orb.CCW && len(mp) > 0 {
			mp[len(mp)-1] = append(mp[len(mp)-1], ring)
			continue
		}
		mp = append(mp, orb.Polygon{ring})
	}
	if len(mp) == 0 {
		return nil, badParam("geometry", "no rings")
	}
	return mp, nil
}

func parseFloats(s string) ([]float64, error) {
	parts := strings.Split(s, ",")
	out := make([]float64, 0, len(parts))
	for _, p := range parts {
		f, err := strconv.ParseFloat(strings.TrimSpace(p), 64)
		if err != nil || math.IsNaN(f) || math.IsInf(f, 0) {
			return nil, fmt.Errorf("bad number %q", p)
		}
		out = append(out, f)
	}
	return out, nil
}

// fieldJSON is an Esri field description.
type fieldJSON struct {
	Name   string  `json:"name"`
	Type   string  `json:"type"`
	Alias  string  `json:"alias"`
	Domain *string `json:"domain"`
	Length int     `json:"length,omitempty"`
}

var esriFieldTypes = map[mosaic.FieldType]string{
	mosaic.FieldOID:      "esriFieldTypeOID",
	mosaic.FieldInteger:  "esriFieldTypeInteger",
	mosaic.FieldDouble:   "esriFieldTypeDouble",
	mosaic.FieldString:   "esriFieldTypeString",
	mosaic.FieldDate:     "esriFieldTypeDate",
	mosaic.FieldGeometry: "esriFieldTypeGeometry",
}

func fieldsJSON(fs []mosaic.Field) []fieldJSON {
	out := make([]fieldJSON, 0, len(fs))
	for _, f := range fs {
		alias := f.Alias
		if alias == "" {
			alias = f.Name
		}
		fj := fieldJSON{Name: f.Name, Type: esriFieldTypes[f.Type], Alias: alias, Length: f.Length}
		if f.Type == mosaic.FieldDate {
			fj.Length = 8
		}
		out = append(out, fj)
	}
	return out
}

// attributes are a feature's values in field order, as ArcGIS lists them
// (a map would sort them by name). Values are int64, float64, string, nil,
// or time.Time, written as epoch milliseconds.
type attributes struct {
	names  []string
	values []any
}

func (a *attributes) add(name string, v any) {
	a.names = append(a.names, name)
	a.values = append(a.values, attributeValue(v))
}

// get returns the value of a name, or nil.
func (a attributes) get(name string) any {
	for i, n := range a.names {
		if n == name {
			return a.values[i]
		}
	}
	return nil
}

// MarshalJSON writes the attributes as one JSON object.
func (a attributes) MarshalJSON() ([]byte, error) {
	b := make([]byte, 0, 32*len(a.names)+2)
	b = append(b, '{')
	for i, n := range a.names {
		if i > 0 {
			b = append(b, ',')
		}
		b = appendJSONString(b, n)
		b = append(b, ':')
		switch v := a.values[i].(type) {
		case nil:
			b = append(b, "null"...)
		case int64:
			b = strconv.AppendInt(b, v, 10)
		case float64:
			if math.IsNaN(v) || math.IsInf(v, 0) {
				b = append(b, "null"...)
				break
			}
			b = appendJSONFloat(b, v)
		case string:
			b = appendJSONString(b, v)
		default:
			j, err := json.Marshal(v)
			if err != nil {
				return nil, err
			}
			b = append(b, j...)
		}
	}
	return append(b, '}'), nil
}

// appendJSONFloat formats f as encoding/json does.
func appendJSONFloat(b []byte, f float64) []byte {
	abs := math.Abs(f)
	format := byte('f')
	if abs != 0 && (abs < 1e-6 || abs >= 1e21) {
		format = 'e'
	}
	b = strconv.AppendFloat(b, f, format, -1, 64)
	if format == 'e' {
		// clean up e-09 to e-9
		if n := len(b); n >= 4 && b[n-4] == 'e' && b[n-3] == '-' && b[n-2] == '0' {
			b[n-2] = b[n-1]
			b = b[:n-1]
		}
	}
	return b
}

// appendJSONString quotes s as a JSON string (without HTML escaping, as
// the responses are written).
func appendJSONString(b []byte, s string) []byte {
	const hex = "0123456789abcdef"
	b = append(b, '"')
	for _, r := range s {
		switch {
		case r == '"' || r == '\\':
			b = append(b, '\\', byte(r))
		case r == '\n':
			b = append(b, '\\', 'n')
		case r == '\r':
			b = append(b, '\\', 'r')
		case r == '\t':
			b = append(b, '\\', 't')
		case r < 0x20 || r == 0x2028 || r == 0x2029:
			b = append(b, '\\', 'u', hex[r>>12&0xf], hex[r>>8&0xf], hex[r>>4&0xf], hex[r&0xf])
		default:
			b = utf8.AppendRune(b, r) // invalid bytes became U+FFFD
		}
	}
	return append(b, '"')
}

// attributeValue renders an attribute for Esri JSON: dates as epoch ms.
func attributeValue(v any) any {
	if t, ok := v.(time.Time); ok {
		return t.UnixMilli()
	}
	return v
}
