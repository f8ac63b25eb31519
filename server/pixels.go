package server

import (
	"encoding/json"
	"math"
	"net/http"
	"strconv"
	"strings"

	"github.com/paulmach/orb"

	"github.com/tessera-gis/tessera/mosaic"
)

// The ImageServer's pixel operations: identify, getSamples,
// computeHistograms and computeStatisticsHistograms. Each reads source
// pixels through Config.Pixels, from the items the mosaicRule selects as
// exportImage does, so that values equal the pixels exportImage draws
// with renderingRule None.

// geometryTypes maps the geometryType parameter, lower case, to the Esri
// name.
var geometryTypes = map[string]string{
	"esrigeometrypoint":      "esriGeometryPoint",
	"esrigeometrymultipoint": "esriGeometryMultipoint",
	"esrigeometrypolyline":   "esriGeometryPolyline",
	"esrigeometrypolygon":    "esriGeometryPolygon",
	"esrigeometryenvelope":   "esriGeometryEnvelope",
}

// kindOf returns the Esri geometry type of g.
func kindOf(g orb.Geometry) string {
	switch g.(type) {
	case orb.Point:
		return "esriGeometryPoint"
	case orb.MultiPoint:
		return "esriGeometryMultipoint"
	case orb.LineString, orb.MultiLineString:
		return "esriGeometryPolyline"
	case orb.Polygon, orb.MultiPolygon:
		return "esriGeometryPolygon"
	case orb.Bound:
		return "esriGeometryEnvelope"
	}
	return ""
}

// decodePixelGeometry reads the geometry parameter of a pixel operation
// and checks it against geometryType (when given) and the types the
// operation accepts. Every coordinate must be finite and the geometry
// must not be empty.
func decodePixelGeometry(text, geometryType string, allowed ...string) (orb.Geometry, mosaic.SpatialRef, error) {
	var sr mosaic.SpatialRef
	want := ""
	if t := strings.TrimSpace(geometryType); t != "" {
		var ok bool
		if want, ok = geometryTypes[strings.ToLower(t)]; !ok {
			return nil, sr, badParam("geometryType", "supported: "+strings.Join(allowed, ", "))
		}
		if !contains(allowed, want) {
			return nil, sr, badParam("geometryType", "supported: "+strings.Join(allowed, ", "))
		}
	}
	if strings.TrimSpace(text) == "" {
		return nil, sr, badParam("geometry", "required")
	}
	g, sr, err := parseGeometry(text, want)
	if err != nil {
		return nil, sr, err
	}
	if g == nil {
		return nil, sr, badParam("geometry", "required")
	}
	kind := kindOf(g)
	if want == "esriGeometryPolygon" && kind == "esriGeometryEnvelope" {
		kind = want // an envelope is a polygon
	}
	if want == "esriGeometryMultipoint" && kind == "esriGeometryPoint" {
		g, kind = orb.MultiPoint{g.(orb.Point)}, want
	}
	if (want != "" && kind != want) || !contains(allowed, kind) {
		return nil, sr, badParam("geometry", "expected one of "+strings.Join(allowed, ", "))
	}
	n, ok := 0, true
	eachPoint(g, func(p orb.Point) {
		n++
		ok = ok && finite(p[0]) && finite(p[1]) && math.Abs(p[0]) < 1e15 && math.Abs(p[1]) < 1e15
	})
	if !ok {
		return nil, sr, badParam("geometry", "coordinates must be finite numbers")
	}
	if n == 0 {
		return nil, sr, badParam("geometry", "the geometry is empty")
	}
	switch g := g.(type) {
	case orb.Bound:
		if g.Max[0] <= g.Min[0] || g.Max[1] <= g.Min[1] {
			return nil, sr, badParam("geometry", "the envelope is empty")
		}
	case orb.MultiLineString:
		for _, ls := range g {
			if len(ls) < 2 {
				return nil, sr, badParam("geometry", "a path needs at least 2 vertices")
			}
		}
	case orb.Polygon, orb.MultiPolygon:
		if planarArea(g) == 0 {
			return nil, sr, badParam("geometry", "the polygon has no area")
		}
	}
	return g, sr, nil
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

func finite(f float64) bool { return !math.IsNaN(f) && !math.IsInf(f, 0) }

// eachPoint calls fn with every vertex of g.
func eachPoint(g orb.Geometry, fn func(orb.Point)) {
	switch g := g.(type) {
	case orb.Point:
		fn(g)
	case orb.MultiPoint:
		for _, p := range g {
			fn(p)
		}
	case orb.LineString:
		for _, p := range g {
			fn(p)
		}
	case orb.MultiLineString:
		for _, ls := range g {
			eachPoint(ls, fn)
		}
	case orb.Ring:
		for _, p := range g {
			fn(p)
		}
	case orb.Polygon:
		for _, r := range g {
			eachPoint(r, fn)
		}
	case orb.MultiPolygon:
		for _, p := range g {
			eachPoint(p, fn)
		}
	case orb.Bound:
		fn(g.Min)
		fn(g.Max)
	}
}

// planarArea is the area of an areal geometry in its own units.
func planarArea(g orb.Geometry) float64 {
	switch g := g.(type) {
	case orb.Bound:
		return (g.Max[0] - g.Min[0]) * (g.Max[1] - g.Min[1])
	case orb.Polygon:
		a := 0.0
		for i, r := range g {
			ra := math.Abs(ringArea(r))
			if i == 0 {
				a += ra
			} else {
				a -= ra
			}
		}
		return math.Abs(a)
	case orb.MultiPolygon:
		a := 0.0
		for _, p := range g {
			a += planarArea(p)
		}
		return a
	}
	return 0
}

func ringArea(r orb.Ring) float64 {
	a := 0.0
	for i := 0; i+1 < len(r); i++ {
		a += r[i][0]*r[i+1][1] - r[i+1][0]*r[i][1]
	}
	return a / 2
}

// decodePixelSize reads a pixelSize parameter: a point ({"x":…,"y":…},
// optionally with a spatialReference), "x,y" or one number. It returns
// the larger of x and y, which must be positive; 0 when blank.
func decodePixelSize(text string) (float64, error) {
	text = strings.TrimSpace(text)
	if text == "" {
		return 0, nil
	}
	bad := badParam("pixelSize", `expected a positive cell size: {"x":…,"y":…} or x,y`)
	var x, y float64
	if strings.HasPrefix(text, "{") {
		var p struct{ X, Y *float64 }
		if err := json.Unmarshal([]byte(text), &p); err != nil || p.X == nil {
			return 0, bad
		}
		x = *p.X
		y = x
		if p.Y != nil {
			y = *p.Y
		}
	} else {
		nums, err := parseFloats(text)
		if err != nil || len(nums) < 1 || len(nums) > 2 {
			return 0, bad
		}
		x, y = nums[0], nums[len(nums)-1]
	}
	if !finite(x) || !finite(y) || x <= 0 || y <= 0 || x > 1e15 || y > 1e15 {
		return 0, bad
	}
	return math.Max(x, y), nil
}

// checkRenderingRule accepts only renderingRule None (or none at all):
// pixel operations read source values.
func checkRenderingRule(r *request) error {
	for _, name := range []string{"renderingRule", "renderingRules"} {
		text := strings.TrimSpace(r.param(name))
		if text == "" || text == "{}" || text == "[]" || text == "null" {
			continue
		}
		var rules []map[string]any
		if strings.HasPrefix(text, "[") {
			if err := json.Unmarshal([]byte(text), &rules); err != nil {
				return badParam(name, "not valid JSON")
			}
		} else {
			var one map[string]any
			if err := json.Unmarshal([]byte(text), &one); err != nil {
				return badParam(name, "not valid JSON")
			}
			rules = append(rules, one)
		}
		for _, rule := range rules {
			fn, _ := rule["rasterFunction"].(string)
			if _, has := rule["rasterFunction"]; has && !strings.EqualFold(fn, "None") {
				return badParam(name, "the only raster function is None")
			}
		}
	}
	return nil
}

// pixelOp is the common part of a pixel operation's request: the
// collection, the geometry in the collection's spatial reference, the
// spatial reference the answer uses and the sources the mosaic rule
// selects.
type pixelOp struct {
	c       *mosaic.Collection
	input   orb.Geometry // as given, in inSR
	geom    orb.Geometry // in c.SRS
	inSR    mosaic.SpatialRef
	sources []mosaic.RenderSource
	cell    float64 // pixel size in c.SRS units
	origin  orb.Point
	rule    mosaicRuleJSON
}

// pixelOperation parses what every pixel operation shares and selects
// the sources.
func (s *Server) pixelOperation(r *request, allowed ...string) (*pixelOp, error) {
	c, err := s.collection(r)
	if err != nil {
		return nil, err
	}
	g, gsr, err := decodePixelGeometry(r.param("geometry"), r.param("geometryType"), allowed...)
	if err != nil {
		return nil, err
	}
	ps, err := decodePixelSize(r.param("pixelSize"))
	if err != nil {
		return nil, err
	}
	if err := checkRenderingRule(r); err != nil {
		return nil, err
	}
	op := &pixelOp{c: c, inSR: gsr, input: g}
	if op.inSR.IsZero() {
		op.inSR = c.SRS
	}
	var rule mosaicRuleJSON
	if mr := strings.TrimSpace(r.param("mosaicRule")); mr != "" && mr != "null" {
		if err := json.Unmarshal([]byte(mr), &rule); err != nil {
			return nil, badParam("mosaicRule", "not valid JSON")
		}
	}
	if b, ok := g.(orb.Bound); ok && !op.inSR.Equal(c.SRS) {
		g = densify(b, 16)
	}
	if op.geom, err = s.project(g, op.inSR, c.SRS); err != nil {
		return nil, err
	}
	op.cell = c.Summary.MinCellX
	if ps > 0 {
		op.cell = ps
		if !op.inSR.Equal(c.SRS) {
			op.cell = s.scaleLength(ps, g, op.geom)
		}
	}
	if op.cell <= 0 || !finite(op.cell) {
		op.cell = 1
	}
	op.origin = orb.Point{c.Summary.Extent.Min[0], c.Summary.Extent.Max[1]}
	op.rule = rule
	return op, nil
}

// selectPixelSources picks the sources of a parsed pixel operation, once
// every parameter has been checked.
func (s *Server) selectPixelSources(r *request, op *pixelOp) error {
	if s.cfg.Pixels == nil {
		return mosaic.Errorf(mosaic.EINVALID, "Pixel operations are not available on this server.")
	}
	c := op.c
	if c.Summary.Count == 0 {
		op.sources = []mosaic.RenderSource{}
		return nil
	}
	bound := op.geom.Bound()
	if bound.Max[0]-bound.Min[0] <= 0 || bound.Max[1]-bound.Min[1] <= 0 {
		// A point: a box of a tenth of a cell around it, so that the store
		// finds the items whose footprints hold it.
		d := math.Max(c.Summary.MinCellX, 1e-9) / 10
		bound = bound.Pad(d)
	}
	var err error
	op.sources, err = s.selectSources(r, c, &exportRequest{rule: op.rule, bbox: bound, imageSR: c.SRS})
	return err
}

// scaleLength converts a length along g (in its own units) to the units
// of the projected geometry pg, by the ratio of their extents' diagonals.
func (s *Server) scaleLength(d float64, g, pg orb.Geometry) float64 {
	diag := func(b orb.Bound) float64 { return math.Hypot(b.Max[0]-b.Min[0], b.Max[1]-b.Min[1]) }
	a, b := diag(g.Bound()), diag(pg.Bound())
	if a <= 0 || b <= 0 || !finite(a) || !finite(b) {
		return d
	}
	return d * b / a
}

// items loads the catalog items of oids, by OBJECTID.
func (s *Server) itemsByOID(r *request, c *mosaic.Collection, oids []int64) (map[int64]*mosaic.Item, error) {
	out := make(map[int64]*mosaic.Item, len(oids))
	if len(oids) == 0 {
		return out, nil
	}
	err := s.cfg.Store.View(r.Context(), func(tx mosaic.ReadTx) error {
		page, err := tx.QueryItems(c, mosaic.ItemQuery{ObjectIDs: oids, OutFields: "*", NoRaster: true})
		if err != nil {
			return err
		}
		for _, it := range page.Items {
			out[it.OID] = it
		}
		return nil
	})
	return out, err
}

// itemAttributes returns an item's attributes in field order, those named
// by outFields ("*" or a comma list; nil means all).
func itemAttributes(c *mosaic.Collection, it *mosaic.Item, outFields []string) attributes {
	var a attributes
	a.add(mosaic.FieldNameOID, it.OID)
	for _, f := range c.Fields {
		if f.Name == mosaic.FieldNameOID || f.Type == mosaic.FieldGeometry {
			continue
		}
		if outFields != nil && !containsFold(outFields, f.Name) {
			continue
		}
		a.add(f.Name, it.Attributes[f.Name])
	}
	return a
}

func containsFold(list []string, s string) bool {
	for _, x := range list {
		if x == "*" || strings.EqualFold(strings.TrimSpace(x), s) {
			return true
		}
	}
	return false
}

// pixelText writes pixel values as ArcGIS does: integers without a
// decimal point, floats in their shortest form (at float32 precision for
// 32-bit data), bands joined by sep; "NoData" when there is no value.
func pixelText(values []float64, pixelType, sep string) string {
	if values == nil {
		return "NoData"
	}
	bits := 64
	if pixelType == "F32" {
		bits = 32
	}
	parts := make([]string, len(values))
	for i, v := range values {
		switch {
		case math.IsNaN(v):
			parts[i] = "NoData"
		case v == math.Trunc(v) && math.Abs(v) < 1e15:
			parts[i] = strconv.FormatFloat(v, 'f', 0, 64)
		default:
			parts[i] = strconv.FormatFloat(v, 'g', -1, bits)
		}
	}
	return strings.Join(parts, sep)
}

type pointJSON struct {
	X                float64         `json:"x"`
	Y                float64         `json:"y"`
	SpatialReference *spatialRefJSON `json:"spatialReference,omitempty"`
}

// pointOut projects p from the collection's reference into the request's.
func (s *Server) pointOut(op *pixelOp, p orb.Point) (pointJSON, error) {
	g, err := s.project(p, op.c.SRS, op.inSR)
	if err != nil {
		return pointJSON{}, err
	}
	q, ok := g.(orb.Point)
	if !ok || !finite(q[0]) || !finite(q[1]) {
		return pointJSON{}, mosaic.Errorf(mosaic.EINVALID, "Cannot project the location.")
	}
	return pointJSON{X: q[0], Y: q[1], SpatialReference: srJSON(op.inSR)}, nil
}

type identifyJSON struct {
	ObjectID                int              `json:"objectId"`
	Name                    string           `json:"name"`
	Value                   string           `json:"value"`
	Location                pointJSON        `json:"location"`
	Properties              *identifyProps   `json:"properties"`
	CatalogItems            *catalogItemsSet `json:"catalogItems"`
	CatalogItemVisibilities []float64        `json:"catalogItemVisibilities"`
}

type identifyProps struct {
	Values []string `json:"Values"`
}

type catalogItemsSet struct {
	ObjectIDFieldName string          `json:"objectIdFieldName"`
	GeometryType      string          `json:"geometryType"`
	SpatialReference  *spatialRefJSON `json:"spatialReference"`
	Features          []featureJSON   `json:"features"`
}

func (s *Server) handleIdentify(w http.ResponseWriter, r *request) error {
	op, err := s.pixelOperation(r, "esriGeometryPoint", "esriGeometryPolygon", "esriGeometryEnvelope")
	if err != nil {
		return err
	}
	returnItems, err := r.bool("returnCatalogItems", true)
	if err != nil {
		return err
	}
	returnGeometry, err := r.bool("returnGeometry", false)
	if err != nil {
		return err
	}
	returnValues, err := r.bool("returnPixelValues", true)
	if err != nil {
		return err
	}
	maxItems, err := r.int("maxItemCount", 0)
	if err != nil {
		return err
	}
	if err := s.selectPixelSources(r, op); err != nil {
		return err
	}
	if _, point := op.geom.(orb.Point); !point {
		release, err := s.holdPixels(r.Context(), op.sources, op.geom.Bound(), op.cell)
		if err != nil {
			return err
		}
		defer release()
	}
	res, err := s.cfg.Pixels.Identify(r.Context(), mosaic.IdentifyRequest{Sources: op.sources, Geometry: op.geom,
		SRS: op.c.SRS, PixelSize: op.cell, Origin: op.origin})
	if err != nil {
		return err
	}
	loc, err := s.pointOut(op, res.Location)
	if err != nil {
		return err
	}
	if p, ok := op.input.(orb.Point); ok {
		loc.X, loc.Y = p[0], p[1] // exactly as given, not projected there and back
	}
	out := identifyJSON{Name: "Pixel", Value: pixelText(res.Values, op.c.Summary.PixelType, ", "), Location: loc,
		CatalogItemVisibilities: []float64{}}
	if !returnItems {
		return s.respond(w, r, out, nil)
	}
	// The items that show at the location, top first as ArcGIS lists them.
	var shown []mosaic.ItemPixel
	for i := len(res.Items) - 1; i >= 0; i-- {
		if it := res.Items[i]; it.Values != nil || it.Visibility > 0 {
			shown = append(shown, it)
		}
	}
	if maxItems > 0 && len(shown) > maxItems {
		shown = shown[:maxItems]
	}
	oids := make([]int64, len(shown))
	for i, it := range shown {
		oids[i] = it.OID
	}
	items, err := s.itemsByOID(r, op.c, oids)
	if err != nil {
		return err
	}
	out.Properties = &identifyProps{Values: []string{}}
	out.CatalogItems = &catalogItemsSet{ObjectIDFieldName: mosaic.FieldNameOID, GeometryType: "esriGeometryPolygon",
		SpatialReference: srJSON(op.inSR), Features: []featureJSON{}}
	for _, px := range shown {
		it, ok := items[px.OID]
		if !ok {
			continue // deleted meanwhile
		}
		ft := featureJSON{Attributes: itemAttributes(op.c, it, nil)}
		if returnGeometry {
			g, err := s.project(it.Footprint, op.c.SRS, op.inSR)
			if err != nil {
				return err
			}
			ft.Geometry = &polygonJSON{Rings: esriRings(polygonsOf(g)...)}
		}
		out.CatalogItems.Features = append(out.CatalogItems.Features, ft)
		if returnValues {
			out.Properties.Values = append(out.Properties.Values, pixelText(px.Values, op.c.Summary.PixelType, " "))
		}
		out.CatalogItemVisibilities = append(out.CatalogItemVisibilities, px.Visibility)
	}
	return s.respond(w, r, out, nil)
}

type sampleJSON struct {
	Location   pointJSON   `json:"location"`
	LocationID int         `json:"locationId"`
	Value      string      `json:"value"`
	RasterID   int64       `json:"rasterId"`
	Resolution float64     `json:"resolution"`
	Attributes *attributes `json:"attributes,omitempty"`
}

type samplesJSON struct {
	Samples []sampleJSON `json:"samples"`
}

func (s *Server) handleGetSamples(w http.ResponseWriter, r *request) error {
	op, err := s.pixelOperation(r, "esriGeometryPoint", "esriGeometryMultipoint", "esriGeometryPolyline",
		"esriGeometryPolygon", "esriGeometryEnvelope")
	if err != nil {
		return err
	}
	var distance float64
	if d := strings.TrimSpace(r.param("sampleDistance")); d != "" {
		f, err := strconv.ParseFloat(d, 64)
		if err != nil || !finite(f) || f < 0 {
			return badParam("sampleDistance", "expected a non-negative number")
		}
		distance = f
		if distance > 0 && !op.inSR.Equal(op.c.SRS) {
			g, _, _ := decodePixelGeometry(r.param("geometry"), "", kindOf(op.geom), "esriGeometryPolyline")
			if g != nil {
				distance = s.scaleLength(distance, g, op.geom)
			}
		}
	}
	count, err := r.int("sampleCount", 0)
	if err != nil {
		return err
	}
	firstOnly, err := r.bool("returnFirstValueOnly", true)
	if err != nil {
		return err
	}
	var outFields []string
	if of := strings.TrimSpace(r.param("outFields")); of != "" {
		outFields = strings.Split(of, ",")
		for _, f := range outFields {
			name := strings.TrimSpace(f)
			if name == "*" {
				continue
			}
			if name == "" || !fieldExists(op.c, name) {
				return badParam("outFields", "unknown field "+strconv.Quote(name))
			}
		}
	}
	geom := op.geom
	if p, ok := geom.(orb.Point); ok {
		geom = orb.MultiPoint{p}
	}
	if b, ok := geom.(orb.Bound); ok {
		geom = b.ToPolygon()
	}
	if err := s.selectPixelSources(r, op); err != nil {
		return err
	}
	res, err := s.cfg.Pixels.Samples(r.Context(), mosaic.SampleRequest{Sources: op.sources, Geometry: geom, SRS: op.c.SRS,
		SampleDistance: distance, SampleCount: count, AllValues: !firstOnly})
	if err != nil {
		return err
	}
	var items map[int64]*mosaic.Item
	if outFields != nil {
		var oids []int64
		for _, sm := range res {
			if sm.OID != 0 {
				oids = append(oids, sm.OID)
			}
		}
		if items, err = s.itemsByOID(r, op.c, oids); err != nil {
			return err
		}
	}
	out := samplesJSON{Samples: make([]sampleJSON, 0, len(res))}
	for _, sm := range res {
		loc, err := s.pointOut(op, sm.Location)
		if err != nil {
			return err
		}
		if p, ok := inputPoint(op.input, sm.LocationID); ok {
			loc.X, loc.Y = p[0], p[1] // points are sampled where they are
		}
		js := sampleJSON{Location: loc, LocationID: sm.LocationID, Value: pixelText(sm.Values, op.c.Summary.PixelType, " "),
			RasterID: sm.OID, Resolution: sm.Resolution}
		if it, ok := items[sm.OID]; ok {
			a := itemAttributes(op.c, it, outFields)
			js.Attributes = &a
		}
		out.Samples = append(out.Samples, js)
	}
	return s.respond(w, r, out, nil)
}

func fieldExists(c *mosaic.Collection, name string) bool {
	if strings.EqualFold(name, mosaic.FieldNameOID) {
		return true
	}
	for _, f := range c.Fields {
		if strings.EqualFold(f.Name, name) {
			return true
		}
	}
	return false
}

type histogramJSON struct {
	Size   int     `json:"size"`
	Min    float64 `json:"min"`
	Max    float64 `json:"max"`
	Counts []int64 `json:"counts"`
}

type statisticsJSON struct {
	Min               float64 `json:"min"`
	Max               float64 `json:"max"`
	Mean              float64 `json:"mean"`
	StandardDeviation float64 `json:"standardDeviation"`
	Median            float64 `json:"median"`
	Mode              float64 `json:"mode"`
	SkipX             int     `json:"skipX"`
	SkipY             int     `json:"skipY"`
	Count             int64   `json:"count"`
}

type histogramsJSON struct {
	Histograms []histogramJSON `json:"histograms"`
}

type statisticsOnlyJSON struct {
	Statistics []statisticsJSON `json:"statistics"`
}

type statsHistogramsJSON struct {
	Statistics []statisticsJSON `json:"statistics"`
	Histograms []histogramJSON  `json:"histograms"`
}

func statsJSON(res *mosaic.StatsResult) ([]statisticsJSON, []histogramJSON) {
	stats := make([]statisticsJSON, len(res.Bands))
	hists := make([]histogramJSON, len(res.Bands))
	for i, b := range res.Bands {
		stats[i] = statisticsJSON{Min: b.Min, Max: b.Max, Mean: b.Mean, StandardDeviation: b.StdDev,
			Median: b.Median, Mode: b.Mode, SkipX: 1, SkipY: 1, Count: b.Count}
		counts := b.Histogram.Counts
		if counts == nil {
			counts = []int64{}
		}
		hists[i] = histogramJSON{Size: len(counts), Min: b.Histogram.Min, Max: b.Histogram.Max, Counts: counts}
	}
	return stats, hists
}

// computeStats runs a statistics request for a pixel operation.
func (s *Server) computeStats(r *request) (*mosaic.StatsResult, error) {
	op, err := s.pixelOperation(r, "esriGeometryPolygon", "esriGeometryEnvelope")
	if err != nil {
		return nil, err
	}
	geom := op.geom
	if b, ok := geom.(orb.Bound); ok {
		geom = b.ToPolygon()
	}
	if err := s.selectPixelSources(r, op); err != nil {
		return nil, err
	}
	if len(op.sources) == 0 {
		return &mosaic.StatsResult{}, nil // nothing to count: no bands
	}
	release, err := s.holdPixels(r.Context(), op.sources, op.geom.Bound(), op.cell)
	if err != nil {
		return nil, err
	}
	defer release()
	return s.cfg.Pixels.Statistics(r.Context(), mosaic.StatsRequest{Sources: op.sources, Geometry: geom, SRS: op.c.SRS,
		PixelSize: op.cell, Origin: op.origin})
}

func (s *Server) handleComputeHistograms(w http.ResponseWriter, r *request) error {
	res, err := s.computeStats(r)
	if err != nil {
		return err
	}
	_, hists := statsJSON(res)
	return s.respond(w, r, histogramsJSON{Histograms: hists}, nil)
}

func (s *Server) handleComputeStatisticsHistograms(w http.ResponseWriter, r *request) error {
	res, err := s.computeStats(r)
	if err != nil {
		return err
	}
	stats, hists := statsJSON(res)
	return s.respond(w, r, statsHistogramsJSON{Statistics: stats, Histograms: hists}, nil)
}

// parseLercParams reads exportImage's lercVersion (the Lerc2 codec
// version, 2 to 6 here; ArcGIS's 1 is Lerc1, which is not written) and
// compressionTolerance (the largest error per pixel, 0 for lossless).
func parseLercParams(r *request, rr *mosaic.RenderRequest) error {
	if v := strings.TrimSpace(r.param("lercVersion")); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 2 || n > 6 {
			return badParam("lercVersion", "supported: 2 to 6 (Lerc2)")
		}
		rr.LercCodec = n
	}
	if v := strings.TrimSpace(r.param("compressionTolerance")); v != "" {
		f, err := strconv.ParseFloat(v, 64)
		if err != nil || !finite(f) || f < 0 {
			return badParam("compressionTolerance", "expected a non-negative number")
		}
		rr.Tolerance = f
	}
	return nil
}

// inputPoint returns the i-th point of a point or multipoint geometry.
func inputPoint(g orb.Geometry, i int) (orb.Point, bool) {
	switch g := g.(type) {
	case orb.Point:
		return g, i == 0
	case orb.MultiPoint:
		if i >= 0 && i < len(g) {
			return g[i], true
		}
	}
	return orb.Point{}, false
}
