package server

import (
	"math"
	"net/http"
	"strconv"
	"strings"

	"github.com/paulmach/orb"

	"github.com/tessera-gis/tessera/mosaic"
)

// project transforms g between spatial references; the zero reference
// means "the same as to".
func (s *Server) project(g orb.Geometry, from, to mosaic.SpatialRef) (orb.Geometry, error) {
	if from.IsZero() || to.IsZero() || from.Equal(to) {
		return g, nil
	}
	if s.cfg.Projector == nil {
		return nil, mosaic.Errorf(mosaic.EINVALID, "Reprojection is not available.").WithDetails(
			"Use the service's own spatial reference.")
	}
	return s.cfg.Projector.Project(g, from, to)
}

var spatialRels = map[string]mosaic.SpatialRel{
	"":                                 mosaic.SpatialRelIntersects,
	"esrispatialrelintersects":         mosaic.SpatialRelIntersects,
	"esrispatialrelenvelopeintersects": mosaic.SpatialRelEnvelopeIntersects,
	"esrispatialrelindexintersects":    mosaic.SpatialRelEnvelopeIntersects,
	"esrispatialrelcontains":           mosaic.SpatialRelContains,
	"esrispatialrelwithin":             mosaic.SpatialRelWithin,
}

// parseItemQuery reads the query parameters into an ItemQuery, with the
// geometry in the collection's spatial reference.
func (s *Server) parseItemQuery(c *mosaic.Collection, r *request) (q mosaic.ItemQuery, outSR mosaic.SpatialRef, err error) {
	q.Where = r.param("where")
	q.OutFields = r.param("outFields")
	q.OrderBy = r.param("orderByFields")
	q.NoRaster = true
	if q.ObjectIDs, err = r.ids("objectIds"); err != nil {
		return
	}
	g, gsr, err := parseGeometry(r.param("geometry"), r.param("geometryType"))
	if err != nil {
		return
	}
	if g != nil {
		inSR := gsr
		if s := r.param("inSR"); s != "" {
			if inSR, err = parseSR("inSR", s); err != nil {
				return
			}
		}
		if q.Geometry, err = s.project(g, inSR, c.SRS); err != nil {
			return
		}
		rel, ok := spatialRels[strings.ToLower(r.param("spatialRel"))]
		if !ok {
			err = badParam("spatialRel", "supported: esriSpatialRelIntersects, esriSpatialRelEnvelopeIntersects, esriSpatialRelContains, esriSpatialRelWithin")
			return
		}
		q.SpatialRel = rel
	}
	if q.ReturnGeometry, err = r.bool("returnGeometry", true); err != nil {
		return
	}
	if q.IDsOnly, err = r.bool("returnIdsOnly", false); err != nil {
		return
	}
	if q.CountOnly, err = r.bool("returnCountOnly", false); err != nil {
		return
	}
	if q.ExtentOnly, err = r.bool("returnExtentOnly", false); err != nil {
		return
	}
	if q.Offset, err = r.int("resultOffset", 0); err != nil {
		return
	}
	if q.Limit, err = r.int("resultRecordCount", 0); err != nil {
		return
	}
	if q.Limit == 0 || q.Limit > s.cfg.MaxRecordCount {
		q.Limit = s.cfg.MaxRecordCount
	}
	if outSR, err = parseSR("outSR", r.param("outSR")); err != nil {
		return
	}
	if outSR.IsZero() {
		outSR = c.SRS
	}
	return q, outSR, nil
}

type featureSetJSON struct {
	ObjectIDFieldName     string            `json:"objectIdFieldName"`
	DisplayFieldName      string            `json:"displayFieldName"`
	FieldAliases          map[string]string `json:"fieldAliases"`
	GeometryType          string            `json:"geometryType"`
	SpatialReference      *spatialRefJSON   `json:"spatialReference"`
	Fields                []fieldJSON       `json:"fields"`
	Features              []featureJSON     `json:"features"`
	ExceededTransferLimit bool              `json:"exceededTransferLimit"`
}

type featureJSON struct {
	Attributes attributes   `json:"attributes"`
	Geometry   *polygonJSON `json:"geometry,omitempty"`
}

type idsJSON struct {
	ObjectIDFieldName string  `json:"objectIdFieldName"`
	ObjectIDs         []int64 `json:"objectIds"`
}

type countJSON struct {
	Count  int64       `json:"count"`
	Extent *extentJSON `json:"extent,omitempty"`
}

type extentOnlyJSON struct {
	Extent extentJSON `json:"extent"`
	Count  *int64     `json:"count,omitempty"`
}

type geoJSONBBox struct {
	Type  string    `json:"type,omitempty"`
	BBox  []float64 `json:"bbox"`
	Count *int64    `json:"count,omitempty"`
}

type geoJSONCollection struct {
	Type                  string           `json:"type"`
	CRS                   any              `json:"crs,omitempty"`
	Features              []geoJSONFeature `json:"features"`
	ExceededTransferLimit bool             `json:"exceededTransferLimit,omitempty"`
}

type geoJSONPolygon struct {
	Type        string         `json:"type"`
	Coordinates [][][2]float64 `json:"coordinates"`
}

type geoJSONFeature struct {
	Type       string     `json:"type"`
	ID         int64      `json:"id"`
	Geometry   any        `json:"geometry"`
	Properties attributes `json:"properties"`
}

func (s *Server) handleQuery(w http.ResponseWriter, r *request) error {
	c, err := s.queryCollection(r)
	if err != nil {
		return err
	}
	c = r.visible(c)
	q, outSR, err := s.parseItemQuery(c, r)
	if err != nil {
		return err
	}
	f := r.f
	if f != "json" && f != "pjson" && f != "geojson" && f != "html" {
		return badParam("f", "supported: json, pjson, geojson, html")
	}
	maxOffset, err := maxAllowableOffset(r)
	if err != nil {
		return err
	}
	if (f == "json" || f == "geojson") && !q.IDsOnly && !q.CountOnly && !q.ExtentOnly {
		if done, err := s.streamQuery(w, r, c, q, outSR, maxOffset); done || err != nil {
			return err
		}
	}
	var page *mosaic.ItemPage
	if err := s.cfg.Store.View(r.Context(), func(tx mosaic.ReadTx) (err error) {
		page, err = tx.QueryItems(c, q)
		return err
	}); err != nil {
		return err
	}
	switch {
	case q.IDsOnly && !q.CountOnly && !q.ExtentOnly:
		ids := page.IDs
		if ids == nil {
			ids = []int64{}
		}
		return s.respondQuery(w, r, idsJSON{ObjectIDFieldName: mosaic.FieldNameOID, ObjectIDs: ids})
	case q.CountOnly || q.ExtentOnly:
		var ext *extentJSON
		if q.ExtentOnly {
			b := page.Extent
			if page.Count > 0 {
				g, err := s.project(b.ToPolygon(), c.SRS, outSR)
				if err != nil {
					return err
				}
				b = g.Bound()
			}
			e := extent(b, outSR)
			ext = &e
		}
		switch {
		case f == "geojson" && q.ExtentOnly:
			out := geoJSONBBox{BBox: []float64{ext.XMin, ext.YMin, ext.XMax, ext.YMax}}
			if q.CountOnly {
				out.Count = &page.Count
			}
			return s.respondQuery(w, r, out)
		case q.ExtentOnly && !q.CountOnly:
			return s.respondQuery(w, r, extentOnlyJSON{Extent: *ext})
		default:
			return s.respondQuery(w, r, countJSON{Count: page.Count, Extent: ext})
		}
	}
	features := make([]featureJSON, 0, len(page.Items))
	for _, it := range page.Items {
		attrs := attributes{names: make([]string, 0, len(page.Fields)), values: make([]any, 0, len(page.Fields))}
		attrs.add(mosaic.FieldNameOID, it.OID)
		for _, fl := range page.Fields {
			if fl.Name != mosaic.FieldNameOID {
				attrs.add(fl.Name, it.Attributes[fl.Name])
			}
		}
		ft := featureJSON{Attributes: attrs}
		if q.ReturnGeometry {
			g, err := s.project(it.Footprint, c.SRS, outSR)
			if err != nil {
				return err
			}
			polys := polygonsOf(g)
			if maxOffset > 0 {
				for i := range polys {
					polys[i] = generalize(polys[i], maxOffset)
				}
			}
			ft.Geometry = &polygonJSON{Rings: esriRings(polys...)}
		}
		features = append(features, ft)
	}
	if f == "geojson" {
		return s.respondQuery(w, r, geoJSONOf(features, page.More, outSR))
	}
	aliases := make(map[string]string, len(page.Fields))
	for _, fl := range page.Fields {
		aliases[fl.Name] = fl.Name
	}
	out := featureSetJSON{ObjectIDFieldName: mosaic.FieldNameOID, DisplayFieldName: mosaic.FieldNameName,
		FieldAliases: aliases, GeometryType: "esriGeometryPolygon", SpatialReference: srJSON(outSR),
		Fields: fieldsJSON(page.Fields), Features: features, ExceededTransferLimit: page.More}
	return s.respondQuery(w, r, out)
}

// maxAllowableOffset reads the maxAllowableOffset parameter: the tolerance,
// in the output spatial reference's units, to which footprints are
// generalized; 0 (the default) leaves them as they are.
func maxAllowableOffset(r *request) (float64, error) {
	v := strings.TrimSpace(r.param("maxAllowableOffset"))
	if v == "" {
		return 0, nil
	}
	f, err := strconv.ParseFloat(v, 64)
	if err != nil || f < 0 || math.IsNaN(f) || math.IsInf(f, 0) {
		return 0, badParam("maxAllowableOffset", "expected a non-negative number")
	}
	return f, nil
}

func (s *Server) respondQuery(w http.ResponseWriter, r *request, v any) error {
	if r.f == "geojson" {
		writeJSON(w, r, http.StatusOK, v, "application/geo+json")
		return nil
	}
	return s.respond(w, r, v, &htmlPage{Title: "Query: " + r.vars("name")})
}

func polygonsOf(g orb.Geometry) []orb.Polygon {
	switch g := g.(type) {
	case orb.Polygon:
		return []orb.Polygon{g}
	case orb.MultiPolygon:
		return g
	}
	return nil
}

// geoJSONOf renders features as GeoJSON, with exterior rings
// counter-clockwise as RFC 7946 asks. Coordinates are in outSR, like the
// Esri JSON of the same query: GDAL's ESRIJSON driver takes the extent of
// a layer from returnExtentOnly=true&f=geojson, added to the layer's own
// URL, and uses it as it is. So unless outSR is EPSG:4326 the collection
// names its CRS with the (pre-RFC 7946) crs member, which GDAL reads.
func geoJSONOf(features []featureJSON, more bool, outSR mosaic.SpatialRef) geoJSONCollection {
	out := geoJSONCollection{Type: "FeatureCollection", Features: make([]geoJSONFeature, 0, len(features)), ExceededTransferLimit: more}
	if id := mosaic.NormalizeWKID(outSR.WKID); id != 4326 && isEPSG(id) {
		out.CRS = map[string]any{"type": "name", "properties": map[string]string{"name": "urn:ogc:def:crs:EPSG::" + itoa(id)}}
	}
	for _, f := range features {
		gf := geoJSONFeature{Type: "Feature", Properties: f.Attributes}
		if id, ok := f.Attributes.get(mosaic.FieldNameOID).(int64); ok {
			gf.ID = id
		}
		if f.Geometry != nil {
			rings := make([][][2]float64, len(f.Geometry.Rings))
			for i, ring := range f.Geometry.Rings {
				rr := make([][2]float64, len(ring))
				for j := range ring {
					rr[j] = ring[len(ring)-1-j]
				}
				rings[i] = rr
			}
			gf.Geometry = geoJSONPolygon{Type: "Polygon", Coordinates: rings}
		}
		out.Features = append(out.Features, gf)
	}
	return out
}

// isEPSG reports whether a WKID can be an EPSG code rather than one of
// Esri's own (53xxx, 54xxx and 100000 up).
func isEPSG(wkid int) bool {
	return wkid > 0 && wkid < 100000 && (wkid < 53000 || wkid >= 55000)
}

type itemJSON struct {
	Attributes       attributes      `json:"attributes"`
	Geometry         polygonJSON     `json:"geometry"`
	SpatialReference *spatialRefJSON `json:"spatialReference"`
	RasterInfo       rasterInfoJSON  `json:"rasterInfo"`
}

// rasterInfoJSON is what GDAL reported about an item's source raster.
type rasterInfoJSON struct {
	Driver           string             `json:"driver,omitempty"`
	Width            int                `json:"width"`
	Height           int                `json:"height"`
	BandCount        int                `json:"bandCount"`
	PixelType        string             `json:"pixelType"`
	NoData           *float64           `json:"noData,omitempty"`
	SpatialReference *spatialRefJSON    `json:"spatialReference"`
	GeoTransform     [6]float64         `json:"geoTransform"`
	PixelSizeX       float64            `json:"pixelSizeX"`
	PixelSizeY       float64            `json:"pixelSizeY"`
	Overviews        int                `json:"overviews"`
	Stats            []mosaic.BandStats `json:"statistics,omitempty"`
}

func rasterInfoOf(ri mosaic.RasterInfo) rasterInfoJSON {
	return rasterInfoJSON{Driver: ri.Driver, Width: ri.Width, Height: ri.Height, BandCount: ri.Bands, PixelType: ri.PixelType,
		NoData: ri.NoData, SpatialReference: srJSON(ri.SRS), GeoTransform: ri.GeoTransform,
		PixelSizeX: ri.CellSizeX, PixelSizeY: ri.CellSizeY, Overviews: ri.Overviews, Stats: ri.Stats}
}

// item loads the collection and item named in the URL.
func (s *Server) item(r *request) (*mosaic.Collection, *mosaic.Item, error) {
	c, err := s.collection(r)
	if err != nil {
		return nil, nil, err
	}
	oid, err := strconv.ParseInt(r.vars("oid"), 10, 64)
	if err != nil {
		return nil, nil, badParam("oid", "expected an integer")
	}
	var it *mosaic.Item
	if err := s.cfg.Store.View(r.Context(), func(tx mosaic.ReadTx) (err error) {
		it, err = tx.Item(c, oid)
		return err
	}); err != nil {
		return nil, nil, err
	}
	return c, it, nil
}

func (s *Server) handleItem(w http.ResponseWriter, r *request) error {
	c, it, err := s.item(r)
	if err != nil {
		return err
	}
	c = r.visible(c)
	var attrs attributes
	attrs.add(mosaic.FieldNameOID, it.OID)
	for _, f := range c.Fields {
		if v, ok := it.Attributes[f.Name]; ok && f.Name != mosaic.FieldNameOID {
			attrs.add(f.Name, v)
		}
	}
	out := itemJSON{Attributes: attrs, Geometry: polygonJSON{Rings: esriRings(it.Footprint)},
		SpatialReference: srJSON(c.SRS), RasterInfo: rasterInfoOf(it.Raster)}
	base := "/arcgis/rest/services/" + c.Name + "/ImageServer"
	return s.respond(w, r, out, &htmlPage{Title: c.Name + " item " + itoa(int(it.OID)),
		Breadcrumbs: []link{{"Home", "/arcgis/rest/services"}, {c.Name, base}},
		Links:       []link{{"Thumbnail", base + "/" + itoa(int(it.OID)) + "/thumbnail"}}})
}

func itoa(n int) string { return strconv.Itoa(n) }

func ftoa(f float64) string { return strconv.FormatFloat(f, 'f', -1, 64) }
