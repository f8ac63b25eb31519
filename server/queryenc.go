package server

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"math"
	"net/http"
	"strconv"
	"time"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/encoding/wkb"
	"github.com/paulmach/orb/simplify"

	"github.com/tessera-gis/tessera/mosaic"
)

// This file is the fast path of query pages (f=json and f=geojson): the
// store hands each row to a featureWriter (mosaic.ItemStreamer), which
// appends the feature's JSON to one pooled buffer, footprints read from
// their WKB without building orb geometries. Nothing per feature outlives
// its row, so a page costs its encoded bytes and little else. The output
// is byte for byte what encoding/json writes for featureSetJSON and
// geoJSONCollection (TestQueryStreamMatchesEncoder checks it); f=pjson
// and f=html go the general way.

// maxPooledBuffer is the largest buffer returned to the pool: a page of
// 1,000 features is about 0.5 MB, larger pages are rare and let go.
const maxPooledBuffer = 4 << 20

// featureWriters keeps a few writers, buffers grown, for the next pages:
// a bounded free list rather than a sync.Pool, which the collector empties
// and so regrows every buffer from small under load.
var featureWriters = make(chan *featureWriter, 16)

func getFeatureWriter() *featureWriter {
	select {
	case fw := <-featureWriters:
		return fw
	default:
		return &featureWriter{buf: make([]byte, 0, 256<<10)}
	}
}

// featureWriter encodes one query page.
type featureWriter struct {
	buf     []byte
	n       int         // features written
	pts     []orb.Point // scratch: the rings of the footprint being written
	rings   []orb.Ring  // scratch: sub-slices of pts
	esri    []orb.Point // scratch: one ring in Esri order
	starts  []int       // scratch: where each ring starts in pts
	tail    []byte      // the envelope after the features' array
	geojson bool
	fields  []mosaic.Field
	oid     int // index of the OID field in fields, or -1
}

func (fw *featureWriter) release() {
	if cap(fw.buf) > maxPooledBuffer {
		return
	}
	*fw = featureWriter{buf: fw.buf[:0], pts: fw.pts[:0], rings: fw.rings[:0], esri: fw.esri[:0], starts: fw.starts[:0], tail: fw.tail[:0]}
	select {
	case featureWriters <- fw:
	default:
	}
}

// streamQuery answers a page query of f=json or f=geojson through the
// store's ItemStreamer. It reports false, writing nothing, if the store
// has none.
func (s *Server) streamQuery(w http.ResponseWriter, r *request, c *mosaic.Collection, q mosaic.ItemQuery, outSR mosaic.SpatialRef, maxOffset float64) (bool, error) {
	project := !(c.SRS.IsZero() || outSR.IsZero() || c.SRS.Equal(outSR))
	streamed := false
	var fw *featureWriter
	defer func() {
		if fw != nil {
			fw.release()
		}
	}()
	err := s.cfg.Store.View(r.Context(), func(tx mosaic.ReadTx) error {
		st, ok := tx.(mosaic.ItemStreamer)
		if !ok {
			return nil
		}
		streamed = true
		// Taken once the store has a connection for this request, so that
		// requests waiting for one hold no buffer.
		fw = getFeatureWriter()
		fw.geojson = r.f == "geojson"
		more, err := st.StreamItems(c, q,
			func(fields []mosaic.Field) error { return fw.head(fields, outSR) },
			func(row *mosaic.ItemRow) error {
				if !q.ReturnGeometry {
					fw.feature(row, nil)
					return nil
				}
				poly, err := fw.footprint(row.Footprint)
				if err != nil {
					return err
				}
				if project {
					g, err := s.project(clonePolygon(poly), c.SRS, outSR)
					if err != nil {
						return err
					}
					polys := polygonsOf(g)
					if polys == nil {
						polys = []orb.Polygon{}
					}
					if maxOffset > 0 {
						for i := range polys {
							polys[i] = generalize(polys[i], maxOffset)
						}
					}
					fw.feature(row, polys)
					return nil
				}
				if maxOffset > 0 {
					poly = generalize(poly, maxOffset)
				}
				fw.feature(row, []orb.Polygon{poly})
				return nil
			})
		if err != nil {
			return err
		}
		fw.end(more)
		return nil
	})
	if err != nil || !streamed {
		return streamed, err
	}
	ct := ""
	if fw.geojson {
		ct = "application/geo+json"
	}
	writeJSONBody(w, r, http.StatusOK, fw.buf, ct)
	return true, nil
}

// head writes the envelope up to the features' array, from the same
// structures and encoder as the general path, and keeps what follows it.
func (fw *featureWriter) head(fields []mosaic.Field, outSR mosaic.SpatialRef) error {
	fw.fields, fw.oid = fields, -1
	for i, f := range fields {
		if f.Name == mosaic.FieldNameOID {
			fw.oid = i
		}
	}
	var env any
	if fw.geojson {
		env = geoJSONOf(nil, false, outSR)
	} else {
		aliases := make(map[string]string, len(fields))
		for _, fl := range fields {
			aliases[fl.Name] = fl.Name
		}
		env = featureSetJSON{ObjectIDFieldName: mosaic.FieldNameOID, DisplayFieldName: mosaic.FieldNameName,
			FieldAliases: aliases, GeometryType: "esriGeometryPolygon", SpatialReference: srJSON(outSR),
			Fields: fieldsJSON(fields), Features: []featureJSON{}}
	}
	b := bytes.NewBuffer(fw.buf[:0])
	enc := json.NewEncoder(b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(env); err != nil {
		return err
	}
	fw.buf = b.Bytes()
	const marker = `"features":[]`
	i := bytes.LastIndex(fw.buf, []byte(marker))
	if i < 0 {
		return fmt.Errorf("query: no features array in %.100s", fw.buf)
	}
	i += len(marker) - 1
	fw.tail = append(fw.tail[:0], fw.buf[i:]...)
	fw.buf = fw.buf[:i]
	return nil
}

// end closes the features' array and writes the rest of the envelope.
func (fw *featureWriter) end(more bool) {
	tail := fw.tail
	if more {
		// exceededTransferLimit follows the features in both formats; in
		// GeoJSON it is left out when false.
		if fw.geojson {
			tail = append([]byte(`],"exceededTransferLimit":true`), tail[1:]...)
		} else {
			tail = bytes.Replace(tail, []byte(`"exceededTransferLimit":false`), []byte(`"exceededTransferLimit":true`), 1)
		}
	}
	fw.buf = append(fw.buf, tail...)
}

// footprint decodes a WKB polygon into the writer's scratch rings, valid
// until the next call. Anything but a polygon is decoded by orb, as the
// general path does, and reported as it would be.
func (fw *featureWriter) footprint(b []byte) (orb.Polygon, error) {
	if len(b) >= 9 && (b[0] == 0 || b[0] == 1) {
		var bo binary.ByteOrder = binary.LittleEndian
		if b[0] == 0 {
			bo = binary.BigEndian
		}
		if bo.Uint32(b[1:]) == 3 {
			if p, ok := fw.decodePolygon(b[9:], int(bo.Uint32(b[5:])), bo); ok {
				return p, nil
			}
		}
	}
	g, err := wkb.Unmarshal(b)
	if err != nil {
		return nil, fmt.Errorf("decode footprint: %w", err)
	}
	p, ok := g.(orb.Polygon)
	if !ok {
		return nil, fmt.Errorf("footprint is a %s, not a polygon", g.GeoJSONType())
	}
	return p, nil
}

func (fw *featureWriter) decodePolygon(b []byte, nrings int, bo binary.ByteOrder) (orb.Polygon, bool) {
	if nrings < 0 || nrings > len(b)/4 {
		return nil, false
	}
	pts, rings := fw.pts[:0], fw.rings[:0]
	starts := fw.starts[:0]
	for range nrings {
		if len(b) < 4 {
			return nil, false
		}
		n := int(bo.Uint32(b))
		b = b[4:]
		if n < 0 || n > len(b)/16 {
			return nil, false
		}
		starts = append(starts, len(pts))
		for j := 0; j < n; j++ {
			pts = append(pts, orb.Point{math.Float64frombits(bo.Uint64(b[16*j:])), math.Float64frombits(bo.Uint64(b[16*j+8:]))})
		}
		b = b[16*n:]
	}
	if len(b) != 0 {
		return nil, false
	}
	for i, s := range starts {
		e := len(pts)
		if i+1 < len(starts) {
			e = starts[i+1]
		}
		rings = append(rings, orb.Ring(pts[s:e:e]))
	}
	fw.pts, fw.rings, fw.starts = pts, rings, starts
	if nrings == 0 {
		return orb.Polygon{}, true
	}
	return orb.Polygon(rings), true
}

// clonePolygon copies p out of the scratch buffers, for the projector.
func clonePolygon(p orb.Polygon) orb.Polygon {
	out := make(orb.Polygon, len(p))
	for i, r := range p {
		out[i] = append(orb.Ring(nil), r...)
	}
	return out
}

// generalize simplifies p's rings by Douglas-Peucker with tolerance
// maxOffset (maxAllowableOffset, in the output's units), as ArcGIS
// generalizes query geometries. A ring that would collapse below a
// triangle is kept as it was. The rings are simplified in place.
func generalize(p orb.Polygon, maxOffset float64) orb.Polygon {
	dp := simplify.DouglasPeucker(maxOffset)
	for i, r := range p {
		if len(r) <= 5 {
			continue // a box or triangle: nothing to gain
		}
		keep := append(orb.Ring(nil), r...)
		s := dp.Ring(r)
		if len(s) < 4 {
			s = keep
		}
		p[i] = s
	}
	return p
}

// feature appends one feature: its attributes and, unless polys is nil,
// its footprint.
func (fw *featureWriter) feature(row *mosaic.ItemRow, polys []orb.Polygon) {
	b := fw.buf
	if fw.n > 0 {
		b = append(b, ',')
	}
	fw.n++
	if fw.geojson {
		b = append(b, `{"type":"Feature","id":`...)
		b = strconv.AppendInt(b, row.OID, 10)
		b = append(b, `,"geometry":`...)
		if polys == nil {
			b = append(b, "null"...)
		} else {
			b = append(b, `{"type":"Polygon","coordinates":`...)
			b = fw.appendRings(b, polys, true)
			b = append(b, '}')
		}
		b = append(b, `,"properties":`...)
		b = fw.appendAttributes(b, row)
		fw.buf = append(b, '}')
		return
	}
	b = append(b, `{"attributes":`...)
	b = fw.appendAttributes(b, row)
	if polys != nil {
		b = append(b, `,"geometry":{"rings":`...)
		b = fw.appendRings(b, polys, false)
		b = append(b, '}')
	}
	fw.buf = append(b, '}')
}

// appendAttributes writes the attributes as attributes.MarshalJSON does,
// OBJECTID first.
func (fw *featureWriter) appendAttributes(b []byte, row *mosaic.ItemRow) []byte {
	b = append(b, '{')
	b = appendJSONString(b, mosaic.FieldNameOID)
	b = append(b, ':')
	b = strconv.AppendInt(b, row.OID, 10)
	for i, f := range fw.fields {
		if i == fw.oid {
			continue
		}
		b = append(b, ',')
		b = appendJSONStringFast(b, f.Name)
		b = append(b, ':')
		b = appendAttribute(b, row.Values[i])
	}
	return append(b, '}')
}

// appendAttribute writes one value as attributes.MarshalJSON does.
func appendAttribute(b []byte, v any) []byte {
	switch v := v.(type) {
	case nil:
		return append(b, "null"...)
	case int64:
		return strconv.AppendInt(b, v, 10)
	case float64:
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return append(b, "null"...)
		}
		return appendFloat(b, v)
	case string:
		return appendJSONStringFast(b, v)
	case time.Time:
		return strconv.AppendInt(b, v.UnixMilli(), 10)
	}
	j, err := json.Marshal(v)
	if err != nil {
		return append(b, "null"...)
	}
	return append(b, j...)
}

// appendRings writes polygons' rings as esriRings orders them: exterior
// rings clockwise, holes counter-clockwise, each closed. GeoJSON gets
// each of those rings reversed, as geoJSONOf writes them. No rings is
// null in Esri JSON and [] in GeoJSON, as the general path writes.
func (fw *featureWriter) appendRings(b []byte, polys []orb.Polygon, geojson bool) []byte {
	n := 0
	for _, p := range polys {
		n += len(p)
	}
	if n == 0 {
		if geojson {
			return append(b, "[]"...)
		}
		return append(b, "null"...)
	}
	b = append(b, '[')
	first := true
	for _, p := range polys {
		for i, ring := range p {
			want := orb.CW
			if i > 0 {
				want = orb.CCW
			}
			r := append(fw.esri[:0], ring...)
			if ring.Orientation() != want {
				for a, z := 0, len(r)-1; a < z; a, z = a+1, z-1 {
					r[a], r[z] = r[z], r[a]
				}
			}
			if len(r) > 0 && r[0] != r[len(r)-1] {
				r = append(r, r[0])
			}
			fw.esri = r
			if !first {
				b = append(b, ',')
			}
			first = false
			b = append(b, '[')
			for j := range r {
				pt := r[j]
				if geojson {
					pt = r[len(r)-1-j]
				}
				if j > 0 {
					b = append(b, ',')
				}
				b = append(b, '[')
				b = appendCoord(b, pt[0])
				b = append(b, ',')
				b = appendCoord(b, pt[1])
				b = append(b, ']')
			}
			b = append(b, ']')
		}
	}
	return append(b, ']')
}

// appendCoord writes a coordinate as encoding/json writes a float64
// (footprints never hold NaN or infinities; null keeps the JSON valid).
func appendCoord(b []byte, f float64) []byte {
	if math.IsNaN(f) || math.IsInf(f, 0) {
		return append(b, "null"...)
	}
	return appendFloat(b, f)
}

// appendFloat writes f as appendJSONFloat does, integers the quick way.
func appendFloat(b []byte, f float64) []byte {
	if f == math.Trunc(f) && math.Abs(f) < 1e15 && (f != 0 || !math.Signbit(f)) {
		return strconv.AppendInt(b, int64(f), 10)
	}
	return appendJSONFloat(b, f)
}

// appendJSONStringFast writes s as appendJSONString does, copying it in
// one piece when it is printable ASCII without quotes or backslashes.
func appendJSONStringFast(b []byte, s string) []byte {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 || c >= 0x80 || c == '"' || c == '\\' {
			return appendJSONString(b, s)
		}
	}
	b = append(b, '"')
	b = append(b, s...)
	return append(b, '"')
}

// queryCollection loads the collection named in the URL as collection
// does, but without its summary when the store can skip it: a query needs
// only its fields and spatial reference, and the summary is an aggregate
// over every boundary cell.
func (s *Server) queryCollection(r *request) (*mosaic.Collection, error) {
	var c *mosaic.Collection
	name := r.vars("name")
	defined := false
	err := s.cfg.Store.View(r.Context(), func(tx mosaic.ReadTx) (err error) {
		d, ok := tx.(mosaic.CollectionDefiner)
		if !ok {
			return nil
		}
		defined = true
		c, err = d.CollectionDefinition(mosaic.CollectionRef{Name: name})
		return err
	})
	if !defined && err == nil {
		return s.collection(r)
	}
	if mosaic.ErrorCode(err) == mosaic.ENOTFOUND {
		err = mosaic.Errorf(mosaic.ENOTFOUND, "Service not found.").WithDetails(
			"Service " + name + "/ImageServer does not exist (or was deleted).")
	}
	if err != nil {
		return nil, err
	}
	return c, nil
}
