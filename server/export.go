package server

import (
	"encoding/json"
	"maps"
	"math"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/paulmach/orb"

	"github.com/tessera-gis/tessera/mosaic"
)

// mosaicRuleJSON is the mosaicRule parameter (see mosaic.MosaicRule).
type mosaicRuleJSON struct {
	MosaicMethod    string          `json:"mosaicMethod"`
	Where           string          `json:"where"`
	SortField       string          `json:"sortField"`
	SortValue       any             `json:"sortValue"`
	Ascending       *bool           `json:"ascending"`
	LockRasterIDs   []int64         `json:"lockRasterIds"`
	FIDs            []int64         `json:"fids"`
	MosaicOperation string          `json:"mosaicOperation"`
	Viewpoint       json.RawMessage `json:"viewpoint"`
}

var resamplings = map[string]string{
	"":                          "nearest",
	"rsp_nearestneighbor":       "nearest",
	"nearest":                   "nearest",
	"rsp_bilinearinterpolation": "bilinear",
	"bilinear":                  "bilinear",
	"rsp_cubicconvolution":      "cubic",
	"cubic":                     "cubic",
	"rsp_majority":              "mode",
	"majority":                  "mode",
}

var formats = map[string]bool{"png": true, "png8": true, "png24": true, "png32": true, "jpg": true, "jpeg": true,
	"jpgpng": true, "tiff": true, "tif": true, "lerc": true, "bip": true, "bsq": true}

// mosaicMethods maps Esri's mosaic method names, lower case.
var mosaicMethods = map[string]mosaic.MosaicMethod{
	"":                     mosaic.MosaicNorthWest,
	"esrimosaicnorthwest":  mosaic.MosaicNorthWest,
	"esrimosaiccenter":     mosaic.MosaicCenter,
	"esrimosaicviewpoint":  mosaic.MosaicViewpoint,
	"esrimosaicattribute":  mosaic.MosaicAttribute,
	"esrimosaiclockraster": mosaic.MosaicLockRaster,
	"esrimosaicnone":       mosaic.MosaicNone,
}

// rule returns the mosaic rule j describes, without its point (see
// selectSources).
func (j mosaicRuleJSON) rule() (mosaic.MosaicRule, error) {
	method, ok := mosaicMethods[strings.ToLower(strings.TrimSpace(j.MosaicMethod))]
	if !ok {
		return mosaic.MosaicRule{}, badParam("mosaicRule", "supported mosaicMethod: esriMosaicNorthwest, esriMosaicCenter, esriMosaicViewpoint, esriMosaicAttribute, esriMosaicLockRaster, esriMosaicNone")
	}
	r := mosaic.MosaicRule{Method: method, Where: j.Where, FIDs: j.FIDs, SortField: j.SortField, SortValue: j.SortValue,
		LockRasterIDs: j.LockRasterIDs, Descending: j.Ascending != nil && !*j.Ascending}
	switch strings.ToUpper(strings.TrimSpace(j.MosaicOperation)) {
	case "", "MT_FIRST":
	case "MT_LAST":
		r.Last = true
	default:
		return r, badParam("mosaicRule", "supported mosaicOperation: MT_FIRST, MT_LAST")
	}
	return r, nil
}

// exportRequest is a parsed exportImage request.
type exportRequest struct {
	render  mosaic.RenderRequest
	rule    mosaicRuleJSON
	bboxSR  mosaic.SpatialRef
	bbox    orb.Bound // in the image's spatial reference
	imageSR mosaic.SpatialRef
	imgFmt  string
}

func (s *Server) parseExport(c *mosaic.Collection, r *request) (*exportRequest, error) {
	e := &exportRequest{}
	bboxText := r.param("bbox")
	if strings.TrimSpace(bboxText) == "" {
		return nil, badParam("bbox", "required: xmin,ymin,xmax,ymax")
	}
	b, gsr, err := parseBBox(bboxText)
	if err != nil {
		return nil, err
	}
	if e.bboxSR, err = parseSR("bboxSR", r.param("bboxSR")); err != nil {
		return nil, err
	}
	if e.bboxSR.IsZero() {
		e.bboxSR = gsr
	}
	if e.bboxSR.IsZero() {
		e.bboxSR = c.SRS
	}
	if e.imageSR, err = parseSR("imageSR", r.param("imageSR")); err != nil {
		return nil, err
	}
	if e.imageSR.IsZero() {
		e.imageSR = e.bboxSR
	}
	if !e.imageSR.Equal(e.bboxSR) {
		pg, err := s.project(densify(b, 16), e.bboxSR, e.imageSR)
		if err != nil {
			return nil, err
		}
		b = pg.Bound()
	}
	w, h := 400, 400
	if sz := strings.TrimSpace(r.param("size")); sz != "" {
		nums, err := parseFloats(sz)
		if err != nil || len(nums) != 2 || nums[0] < 1 || nums[1] < 1 || nums[0] != math.Trunc(nums[0]) || nums[1] != math.Trunc(nums[1]) {
			return nil, badParam("size", "expected width,height in pixels")
		}
		w, h = int(nums[0]), int(nums[1])
	}
	if w > maxImageWidth || h > maxImageHeight {
		return nil, mosaic.Errorf(mosaic.ELIMIT, "Requested image is too large.").WithDetails(
			"The largest image is " + itoa(maxImageWidth) + "x" + itoa(maxImageHeight) + " pixels.")
	}
	if adjust, err := r.bool("adjustAspectRatio", true); err != nil {
		return nil, err
	} else if adjust {
		b = adjustAspect(b, w, h)
	}
	e.bbox = b
	e.imgFmt = strings.ToLower(strings.TrimSpace(r.param("format")))
	if e.imgFmt == "" {
		e.imgFmt = "jpgpng"
	}
	if !formats[e.imgFmt] {
		return nil, badParam("format", "supported: png, png8, png24, png32, jpg, jpgpng, tiff, lerc, bip, bsq")
	}
	resampling, ok := resamplings[strings.ToLower(strings.TrimSpace(r.param("interpolation")))]
	if !ok {
		return nil, badParam("interpolation", "supported: RSP_NearestNeighbor, RSP_BilinearInterpolation, RSP_CubicConvolution, RSP_Majority")
	}
	e.render = mosaic.RenderRequest{Bound: b, SRS: e.imageSR, Width: w, Height: h, Format: e.imgFmt,
		PixelType: strings.ToUpper(strings.TrimSpace(r.param("pixelType"))), Resampling: resampling}
	if e.render.PixelType == "UNKNOWN" {
		e.render.PixelType = ""
	}
	if _, ok := sampleBytes[e.render.PixelType]; !ok && e.render.PixelType != "" {
		return nil, badParam("pixelType", "supported: U1, U2, U4, U8, S8, U16, S16, U32, S32, F32, F64, C64, C128, UNKNOWN")
	}
	if e.imgFmt == "lerc" {
		if err := parseLercParams(r, &e.render); err != nil {
			return nil, err
		}
	}
	if nd := strings.TrimSpace(r.param("noData")); nd != "" {
		f, err := strconv.ParseFloat(strings.Split(nd, ",")[0], 64)
		if err != nil {
			return nil, badParam("noData", "expected a number")
		}
		e.render.NoData = &f
	}
	if bi := strings.Trim(strings.TrimSpace(r.param("bandIds")), "[]"); bi != "" {
		for _, p := range strings.Split(bi, ",") {
			n, err := strconv.Atoi(strings.TrimSpace(p))
			if err != nil || n < 0 {
				return nil, badParam("bandIds", "expected zero-based band indexes, e.g. 2,1,0")
			}
			e.render.BandIDs = append(e.render.BandIDs, n)
		}
	}
	if mr := strings.TrimSpace(r.param("mosaicRule")); mr != "" {
		if err := json.Unmarshal([]byte(mr), &e.rule); err != nil {
			return nil, badParam("mosaicRule", "not valid JSON")
		}
	}
	return e, nil
}

// parseBBox reads exportImage's bbox: "xmin,ymin,xmax,ymax" or an Esri
// envelope, which may carry its spatial reference.
func parseBBox(text string) (orb.Bound, mosaic.SpatialRef, error) {
	bad := badParam("bbox", "expected xmin,ymin,xmax,ymax of a box with an area")
	var (
		b   orb.Bound
		sr  mosaic.SpatialRef
		err error
	)
	text = strings.TrimSpace(text)
	if strings.HasPrefix(text, "{") {
		var g orb.Geometry
		if g, sr, err = parseGeometry(text, "esriGeometryEnvelope"); err != nil {
			return b, sr, bad
		}
		var ok bool
		if b, ok = g.(orb.Bound); !ok || b.Max[0] <= b.Min[0] || b.Max[1] <= b.Min[1] {
			return b, sr, bad
		}
		return b, sr, nil
	}
	// Corners may come in any order: esri-leaflet sends
	// xmin,ymax,xmax,ymin, and ArcGIS normalises the box.
	nums, err := parseFloats(text)
	if err != nil || len(nums) != 4 || nums[0] == nums[2] || nums[1] == nums[3] {
		return b, sr, bad
	}
	return normBound(nums[0], nums[1], nums[2], nums[3]), sr, nil
}

// adjustAspect grows b around its centre to the aspect ratio of w×h, as
// ArcGIS does when adjustAspectRatio is true.
func adjustAspect(b orb.Bound, w, h int) orb.Bound {
	bw, bh := b.Max[0]-b.Min[0], b.Max[1]-b.Min[1]
	want := float64(w) / float64(h)
	have := bw / bh
	if math.Abs(have-want)/want < 1e-9 {
		return b
	}
	c := b.Center()
	if have < want {
		bw = bh * want
	} else {
		bh = bw / want
	}
	return orb.Bound{Min: orb.Point{c[0] - bw/2, c[1] - bh/2}, Max: orb.Point{c[0] + bw/2, c[1] + bh/2}}
}

// selectSources picks the items to draw, as the mosaic rule says (see
// mosaic.MosaicRule), and returns them bottom first. Only items whose
// footprint intersects the requested extent take part, and at most
// MaxMosaicImages of them: the store ranks the candidates and returns the
// top ones, so the cost of a request does not grow with the catalog.
func (s *Server) selectSources(r *request, c *mosaic.Collection, e *exportRequest) ([]mosaic.RenderSource, error) {
	projected, err := s.project(densify(e.bbox, 16), e.imageSR, c.SRS)
	if err != nil {
		return nil, err
	}
	view, ok := projected.(orb.Polygon)
	if !ok || len(view) == 0 {
		return nil, mosaic.Errorf(mosaic.EINVALID, "Cannot project the requested extent.")
	}
	var viewGeom orb.Geometry = view
	if e.imageSR.Equal(c.SRS) {
		viewGeom = e.bbox // the store tests boxes much faster than polygons
	}
	rule, err := e.rule.rule()
	if err != nil {
		return nil, err
	}
	if err := r.checkVisibleSort(c, rule.SortField); err != nil {
		return nil, err
	}
	switch rule.Method {
	case mosaic.MosaicCenter:
		center, err := s.project(e.bbox.Center(), e.imageSR, c.SRS)
		if err != nil {
			return nil, err
		}
		p, ok := center.(orb.Point)
		if !ok {
			return nil, mosaic.Errorf(mosaic.EINVALID, "Cannot project the view centre.")
		}
		rule.Point = &p
	case mosaic.MosaicViewpoint:
		if rule.Point, err = s.viewpoint(e.rule.Viewpoint, e.imageSR, c.SRS); err != nil {
			return nil, err
		}
	}
	q, ok, err := rule.Query(c, viewGeom, s.cfg.MaxMosaicImages)
	if mosaic.ErrorCode(err) == mosaic.EINVALID {
		return nil, badParam("mosaicRule", mosaic.ErrorMessage(err))
	}
	if err != nil {
		return nil, err
	}
	var page *mosaic.ItemPage
	if err := s.cfg.Store.View(r.Context(), func(tx mosaic.ReadTx) (err error) {
		if err := r.checkVisibleWhere(tx, c, rule.Where); err != nil || !ok {
			return err
		}
		page, err = tx.QueryItems(c, q)
		return err
	}); err != nil {
		return nil, err
	}
	if page == nil {
		return []mosaic.RenderSource{}, nil
	}
	return rule.Sources(page.Items, s.cfg.MaxMosaicImages), nil
}

// viewpoint reads a mosaic rule's viewpoint, an Esri point in its own
// spatial reference or else the image's, into the collection's.
func (s *Server) viewpoint(text json.RawMessage, imageSR, to mosaic.SpatialRef) (*orb.Point, error) {
	if len(text) == 0 || string(text) == "null" {
		return nil, badParam("mosaicRule", "esriMosaicViewpoint needs a viewpoint, e.g. {\"x\":…,\"y\":…}")
	}
	g, gsr, err := parseGeometry(string(text), "esriGeometryPoint")
	if err != nil {
		return nil, badParam("mosaicRule", "viewpoint must be a point, e.g. {\"x\":…,\"y\":…}")
	}
	if _, ok := g.(orb.Point); !ok {
		return nil, badParam("mosaicRule", "viewpoint must be a point, e.g. {\"x\":…,\"y\":…}")
	}
	if gsr.IsZero() {
		gsr = imageSR
	}
	if g, err = s.project(g, gsr, to); err != nil {
		return nil, err
	}
	p, ok := g.(orb.Point)
	if !ok {
		return nil, mosaic.Errorf(mosaic.EINVALID, "Cannot project the viewpoint.")
	}
	return &p, nil
}

// densify returns b as a polygon with n points per edge, so that it keeps
// its shape when projected.
func densify(b orb.Bound, n int) orb.Polygon {
	corners := []orb.Point{{b.Min[0], b.Max[1]}, {b.Max[0], b.Max[1]}, {b.Max[0], b.Min[1]}, {b.Min[0], b.Min[1]}}
	ring := make(orb.Ring, 0, 4*n+1)
	for i := range corners {
		a, z := corners[i], corners[(i+1)%4]
		for k := range n {
			t := float64(k) / float64(n)
			ring = append(ring, orb.Point{a[0] + t*(z[0]-a[0]), a[1] + t*(z[1]-a[1])})
		}
	}
	ring = append(ring, ring[0])
	return orb.Polygon{ring}
}

type exportJSON struct {
	Href   string     `json:"href"`
	Width  int        `json:"width"`
	Height int        `json:"height"`
	Extent extentJSON `json:"extent"`
	Scale  float64    `json:"scale"`
}

func (s *Server) handleExportImage(w http.ResponseWriter, r *request) error {
	c, err := s.collection(r)
	if err != nil {
		return err
	}
	if s.cfg.Renderer == nil {
		return mosaic.Errorf(mosaic.EINVALID, "exportImage is not available on this server.")
	}
	e, err := s.parseExport(c, r)
	if err != nil {
		return err
	}
	if r.f != "image" && r.f != "json" && r.f != "pjson" && r.f != "html" {
		return badParam("f", "supported: image, json, pjson, html")
	}
	if r.f == "html" {
		u := *r.URL
		q := maps.Clone(r.params)
		q.Set("f", "image")
		u.RawQuery = q.Encode()
		s.writeHTML(w, r, http.StatusOK, &htmlPage{Title: c.Name + " exportImage",
			Breadcrumbs: []link{{"Home", "/arcgis/rest/services"}, {c.Name, "/arcgis/rest/services/" + c.Name + "/ImageServer"}},
			Links:       []link{{"Image", u.String()}}})
		return nil
	}
	sources, err := s.selectSources(r, c, e)
	if err != nil {
		return err
	}
	e.render.Sources = sources
	img, err := s.render(r.Context(), e.render)
	if err != nil {
		return err
	}
	if r.f == "image" {
		writeImage(w, img)
		return nil
	}
	name, err := s.saveOutput(img)
	if err != nil {
		return err
	}
	return s.respond(w, r, exportJSON{Href: s.outputURL(r) + name,
		Width: e.render.Width, Height: e.render.Height, Extent: extent(e.bbox, e.imageSR)}, nil)
}

// outputURL is the URL of the output directory, ending in "/": under
// PublicURL if set (as result URLs are, so that the href is the same
// whichever instance or proxy answered), else on the request's host.
func (s *Server) outputURL(r *request) string {
	if s.cfg.PublicURL != "" {
		return strings.TrimRight(s.cfg.PublicURL, "/") + "/rest/directories/arcgisoutput/"
	}
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	return scheme + "://" + r.Host + "/arcgis/rest/directories/arcgisoutput/"
}

// saveOutput stores an image for f=json and removes outputs older than ten
// minutes.
func (s *Server) saveOutput(img *mosaic.Image) (string, error) {
	dir := s.cfg.OutputDir
	if dir == "" {
		return "", mosaic.Errorf(mosaic.EINVALID, "f=json is not available; use f=image.")
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return "", err
	}
	if entries, err := os.ReadDir(dir); err == nil {
		for _, en := range entries {
			if info, err := en.Info(); err == nil && time.Since(info.ModTime()) > 10*time.Minute {
				os.Remove(filepath.Join(dir, en.Name()))
			}
		}
	}
	name := "_ags_" + mosaic.NewItemID() + "." + img.Extension
	if err := os.WriteFile(filepath.Join(dir, name), img.Data, 0o600); err != nil {
		return "", err
	}
	return name, nil
}

var outputName = regexp.MustCompile(`^_ags_[0-9a-f]{32}\.[a-z]{2,4}$`)

func (s *Server) handleOutputFile(w http.ResponseWriter, r *request) error {
	name := r.vars("file")
	if s.cfg.OutputDir == "" || !outputName.MatchString(name) {
		http.NotFound(w, r.Request)
		return nil
	}
	http.ServeFile(w, r.Request, filepath.Join(s.cfg.OutputDir, name))
	return nil
}

// handleThumbnail renders one item alone, at most 200 pixels on a side.
func (s *Server) handleThumbnail(w http.ResponseWriter, r *request) error {
	c, it, err := s.item(r)
	if err != nil {
		return err
	}
	if s.cfg.Renderer == nil {
		return mosaic.Errorf(mosaic.EINVALID, "Thumbnails are not available on this server.")
	}
	b := it.Footprint.Bound()
	bw, bh := b.Max[0]-b.Min[0], b.Max[1]-b.Min[1]
	wpx, hpx := 200, 200
	if bw > bh {
		hpx = max(1, int(math.Round(200*bh/bw)))
	} else {
		wpx = max(1, int(math.Round(200*bw/bh)))
	}
	img, err := s.render(r.Context(), mosaic.RenderRequest{
		Sources: []mosaic.RenderSource{{OID: it.OID, Path: it.Path, Raster: it.Raster}},
		Bound:   b, SRS: c.SRS, Width: wpx, Height: hpx, Format: "png", Resampling: "bilinear"})
	if err != nil {
		return err
	}
	writeImage(w, img)
	return nil
}

// writeImage sends image bytes. They must not be cached: QGIS 3.22 keeps
// images in its disk cache and would go on drawing deleted items.
func writeImage(w http.ResponseWriter, img *mosaic.Image) {
	w.Header().Set("Content-Type", img.ContentType)
	w.Header().Set("Content-Length", strconv.Itoa(len(img.Data)))
	w.Header().Set("Cache-Control", "no-store")
	w.Write(img.Data)
}
