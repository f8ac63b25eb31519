package server

import (
	"encoding/json"
	"math"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/gorilla/mux"
	"github.com/paulmach/orb"

	"github.com/tessera-gis/tessera/mosaic"
)

// mosaicRule is the exportImage mosaicRule parameter.
type mosaicRule struct {
	MosaicMethod    string                  `json:"mosaicMethod"`
	Where           string                  `json:"where"`
	SortField       string                  `json:"sortField"`
	SortValue       any                     `json:"sortValue"`
	Ascending       *bool                   `json:"ascending"`
	LockRasterIDs   []int64                 `json:"lockRasterIds"`
	FIDs            []int64                 `json:"fids"`
	MosaicOperation string                  `json:"mosaicOperation"`
	Viewpoint       *struct{ X, Y float64 } `json:"viewpoint"`
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
	"jpgpng": true, "tiff": true, "tif": true}

// exportRequest is a parsed exportImage request.
type exportRequest struct {
	render  mosaic.RenderRequest
	rule    mosaicRule
	bboxSR  mosaic.SpatialRef
	bbox    orb.Bound // in the image's spatial reference
	imageSR mosaic.SpatialRef
	imgFmt  string
	f       string
}

func (s *Server) parseExport(c *mosaic.Collection, v url.Values) (*exportRequest, error) {
	e := &exportRequest{}
	bboxText := param(v, "bbox")
	if strings.TrimSpace(bboxText) == "" {
		return nil, badParam("bbox", "required: xmin,ymin,xmax,ymax")
	}
	g, gsr, err := parseGeometry(bboxText, "esriGeometryEnvelope")
	if err != nil {
		return nil, err
	}
	b, ok := g.(orb.Bound)
	if !ok || b.Max[0] <= b.Min[0] || b.Max[1] <= b.Min[1] {
		return nil, badParam("bbox", "expected xmin,ymin,xmax,ymax with xmin < xmax and ymin < ymax")
	}
	if e.bboxSR, err = parseSR("bboxSR", param(v, "bboxSR")); err != nil {
		return nil, err
	}
	if e.bboxSR.IsZero() {
		e.bboxSR = gsr
	}
	if e.bboxSR.IsZero() {
		e.bboxSR = c.SRS
	}
	if e.imageSR, err = parseSR("imageSR", param(v, "imageSR")); err != nil {
		return nil, err
	}
	if e.imageSR.IsZero() {
		e.imageSR = e.bboxSR
	}
	if !e.imageSR.Equal(e.bboxSR) {
		pg, err := s.project(b.ToPolygon(), e.bboxSR, e.imageSR)
		if err != nil {
			return nil, err
		}
		b = pg.Bound()
	}
	w, h := 400, 400
	if sz := strings.TrimSpace(param(v, "size")); sz != "" {
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
	if adjust, err := boolParam(v, "adjustAspectRatio", true); err != nil {
		return nil, err
	} else if adjust {
		b = adjustAspect(b, w, h)
	}
	e.bbox = b
	e.imgFmt = strings.ToLower(strings.TrimSpace(param(v, "format")))
	if e.imgFmt == "" {
		e.imgFmt = "jpgpng"
	}
	if !formats[e.imgFmt] {
		return nil, badParam("format", "supported: png, png8, png24, png32, jpg, jpgpng, tiff")
	}
	resampling, ok := resamplings[strings.ToLower(strings.TrimSpace(param(v, "interpolation")))]
	if !ok {
		return nil, badParam("interpolation", "supported: RSP_NearestNeighbor, RSP_BilinearInterpolation, RSP_CubicConvolution, RSP_Majority")
	}
	e.render = mosaic.RenderRequest{Bound: b, SRS: e.imageSR, Width: w, Height: h, Format: e.imgFmt,
		PixelType: strings.ToUpper(strings.TrimSpace(param(v, "pixelType"))), Resampling: resampling}
	if e.render.PixelType == "UNKNOWN" {
		e.render.PixelType = ""
	}
	if nd := strings.TrimSpace(param(v, "noData")); nd != "" {
		f, err := strconv.ParseFloat(strings.Split(nd, ",")[0], 64)
		if err != nil {
			return nil, badParam("noData", "expected a number")
		}
		e.render.NoData = &f
	}
	if bi := strings.Trim(strings.TrimSpace(param(v, "bandIds")), "[]"); bi != "" {
		for _, p := range strings.Split(bi, ",") {
			n, err := strconv.Atoi(strings.TrimSpace(p))
			if err != nil || n < 0 {
				return nil, badParam("bandIds", "expected zero-based band indexes, e.g. 2,1,0")
			}
			e.render.BandIDs = append(e.render.BandIDs, n)
		}
	}
	if mr := strings.TrimSpace(param(v, "mosaicRule")); mr != "" {
		if err := json.Unmarshal([]byte(mr), &e.rule); err != nil {
			return nil, badParam("mosaicRule", "not valid JSON")
		}
	}
	e.f = format2(v)
	return e, nil
}

// format2 is the exportImage f parameter, whose default is html.
func format2(v url.Values) string {
	f := strings.ToLower(strings.TrimSpace(param(v, "f")))
	if f == "" {
		return "html"
	}
	return f
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

// selectSources picks the items to draw and orders them bottom first, by
// the mosaic rule; at most MaxMosaicImages are drawn.
func (s *Server) selectSources(r *http.Request, c *mosaic.Collection, e *exportRequest) ([]mosaic.RenderSource, error) {
	view, err := s.project(e.bbox.ToPolygon(), e.imageSR, c.SRS)
	if err != nil {
		return nil, err
	}
	method := strings.ToLower(e.rule.MosaicMethod)
	q := mosaic.ItemQuery{Where: e.rule.Where, Geometry: view.Bound(), SpatialRel: mosaic.SpatialRelIntersects,
		OutFields: "*", Limit: 5000}
	if method == "esrimosaiclockraster" {
		q.ObjectIDs = e.rule.LockRasterIDs
		if len(q.ObjectIDs) == 0 {
			return nil, badParam("mosaicRule", "esriMosaicLockRaster needs lockRasterIds")
		}
	} else if len(e.rule.FIDs) > 0 {
		q.ObjectIDs = e.rule.FIDs
	}
	var page *mosaic.ItemPage
	if err := s.cfg.Store.View(r.Context(), func(tx mosaic.ReadTx) (err error) {
		page, err = tx.QueryItems(c, q)
		return err
	}); err != nil {
		return nil, err
	}
	items := page.Items
	center := func(it *mosaic.Item) orb.Point {
		x, _ := it.Attributes[mosaic.FieldNameCenterX].(float64)
		y, _ := it.Attributes[mosaic.FieldNameCenterY].(float64)
		return orb.Point{x, y}
	}
	dist := func(a, b orb.Point) float64 { return math.Hypot(a[0]-b[0], a[1]-b[1]) }
	ascending := e.rule.Ascending == nil || *e.rule.Ascending
	var key func(it *mosaic.Item) float64 // smaller draws on top; ties by OBJECTID
	switch method {
	case "", "esrimosaicnorthwest":
		nw := orb.Point{c.Summary.Extent.Min[0], c.Summary.Extent.Max[1]}
		key = func(it *mosaic.Item) float64 { return dist(center(it), nw) }
	case "esrimosaiccenter":
		vc := view.Bound().Center()
		key = func(it *mosaic.Item) float64 { return dist(center(it), vc) }
	case "esrimosaicviewpoint":
		vp := view.Bound().Center()
		if e.rule.Viewpoint != nil {
			vp = orb.Point{e.rule.Viewpoint.X, e.rule.Viewpoint.Y}
		}
		key = func(it *mosaic.Item) float64 { return dist(center(it), vp) }
	case "esrimosaiclockraster":
		pos := map[int64]int{}
		for i, id := range e.rule.LockRasterIDs {
			if _, ok := pos[id]; !ok {
				pos[id] = i
			}
		}
		key = func(it *mosaic.Item) float64 { return float64(pos[it.OID]) }
	case "esrimosaicattribute":
		f, ok := c.Field(e.rule.SortField)
		if !ok {
			return nil, badParam("mosaicRule", "sortField "+strconvQuote(e.rule.SortField)+" is not a field of "+c.Name)
		}
		target, hasTarget := sortTarget(f, e.rule.SortValue)
		key = func(it *mosaic.Item) float64 {
			v, ok := numericValue(it.Attributes[f.Name])
			if !ok {
				return math.Inf(1)
			}
			if hasTarget {
				v = math.Abs(v - target)
			}
			if !ascending {
				return -v
			}
			return v
		}
	case "esrimosaicnone":
		key = func(it *mosaic.Item) float64 { return float64(it.OID) }
	default:
		return nil, badParam("mosaicRule", "supported mosaicMethod: esriMosaicNorthWest, esriMosaicCenter, esriMosaicLockRaster, esriMosaicAttribute, esriMosaicViewpoint, esriMosaicNone")
	}
	sort.SliceStable(items, func(i, j int) bool {
		ki, kj := key(items[i]), key(items[j])
		if ki != kj {
			return ki < kj
		}
		return items[i].OID < items[j].OID
	})
	if len(items) > s.cfg.MaxMosaicImages {
		items = items[:s.cfg.MaxMosaicImages]
	}
	out := make([]mosaic.RenderSource, 0, len(items))
	for i := len(items) - 1; i >= 0; i-- { // bottom first
		out = append(out, mosaic.RenderSource{OID: items[i].OID, Path: items[i].Path, Raster: items[i].Raster})
	}
	return out, nil
}

func strconvQuote(s string) string { return strconv.Quote(s) }

func sortTarget(f mosaic.Field, v any) (float64, bool) {
	switch x := v.(type) {
	case nil:
		return 0, false
	case float64:
		return x, true
	case string:
		if f.Type == mosaic.FieldDate {
			for _, l := range []string{"2006-01-02", "2006-01-02T15:04:05Z07:00", "2006-01-02 15:04:05", "2006/01/02"} {
				if t, err := time.Parse(l, x); err == nil {
					return float64(t.UnixMilli()), true
				}
			}
		}
		if n, err := strconv.ParseFloat(x, 64); err == nil {
			return n, true
		}
	}
	return 0, false
}

func numericValue(v any) (float64, bool) {
	switch x := v.(type) {
	case int64:
		return float64(x), true
	case float64:
		return x, true
	case time.Time:
		return float64(x.UnixMilli()), true
	}
	return 0, false
}

type exportJSON struct {
	Href   string     `json:"href"`
	Width  int        `json:"width"`
	Height int        `json:"height"`
	Extent extentJSON `json:"extent"`
	Scale  float64    `json:"scale"`
}

func (s *Server) handleExportImage(w http.ResponseWriter, r *http.Request) {
	c, ok := s.collection(w, r)
	if !ok {
		return
	}
	if s.cfg.Renderer == nil {
		s.Error(w, r, mosaic.Errorf(mosaic.EINVALID, "exportImage is not available on this server."))
		return
	}
	e, err := s.parseExport(c, r.Form)
	if err != nil {
		s.Error(w, r, err)
		return
	}
	if e.f != "image" && e.f != "json" && e.f != "pjson" && e.f != "html" {
		s.Error(w, r, badParam("f", "supported: image, json, pjson, html"))
		return
	}
	if e.f == "html" {
		u := *r.URL
		q := r.Form
		q.Set("f", "image")
		u.RawQuery = q.Encode()
		s.writeHTML(w, r, http.StatusOK, &htmlPage{Title: c.Name + " exportImage",
			Breadcrumbs: []link{{"Home", "/arcgis/rest/services"}, {c.Name, "/arcgis/rest/services/" + c.Name + "/ImageServer"}},
			Links:       []link{{"Image", u.String()}}})
		return
	}
	sources, err := s.selectSources(r, c, e)
	if err != nil {
		s.Error(w, r, err)
		return
	}
	e.render.Sources = sources
	img, err := s.cfg.Renderer.Render(r.Context(), e.render)
	if err != nil {
		s.Error(w, r, err)
		return
	}
	if e.f == "image" {
		w.Header().Set("Content-Type", img.ContentType)
		w.Header().Set("Content-Length", strconv.Itoa(len(img.Data)))
		w.Write(img.Data)
		return
	}
	name, err := s.saveOutput(img)
	if err != nil {
		s.Error(w, r, err)
		return
	}
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	s.respond(w, r, exportJSON{Href: scheme + "://" + r.Host + "/arcgis/rest/directories/arcgisoutput/" + name,
		Width: e.render.Width, Height: e.render.Height, Extent: extent(e.bbox, e.imageSR)}, nil)
}

// saveOutput stores an image for f=json and removes outputs older than ten
// minutes.
func (s *Server) saveOutput(img *mosaic.Image) (string, error) {
	dir := s.cfg.OutputDir
	if dir == "" {
		return "", mosaic.Errorf(mosaic.EINVALID, "f=json is not available; use f=image.")
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
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
	if err := os.WriteFile(filepath.Join(dir, name), img.Data, 0o644); err != nil {
		return "", err
	}
	return name, nil
}

var outputName = regexp.MustCompile(`^_ags_[0-9a-f]{32}\.[a-z]{2,4}$`)

func (s *Server) handleOutputFile(w http.ResponseWriter, r *http.Request) {
	name := mux.Vars(r)["file"]
	if s.cfg.OutputDir == "" || !outputName.MatchString(name) {
		http.NotFound(w, r)
		return
	}
	http.ServeFile(w, r, filepath.Join(s.cfg.OutputDir, name))
}

// handleThumbnail renders one item alone, at most 200 pixels on a side.
func (s *Server) handleThumbnail(w http.ResponseWriter, r *http.Request) {
	c, it, ok := s.loadItem(w, r)
	if !ok {
		return
	}
	if s.cfg.Renderer == nil {
		s.Error(w, r, mosaic.Errorf(mosaic.EINVALID, "Thumbnails are not available on this server."))
		return
	}
	b := it.Footprint.Bound()
	bw, bh := b.Max[0]-b.Min[0], b.Max[1]-b.Min[1]
	wpx, hpx := 200, 200
	if bw > bh {
		hpx = max(1, int(math.Round(200*bh/bw)))
	} else {
		wpx = max(1, int(math.Round(200*bw/bh)))
	}
	img, err := s.cfg.Renderer.Render(r.Context(), mosaic.RenderRequest{
		Sources: []mosaic.RenderSource{{OID: it.OID, Path: it.Path, Raster: it.Raster}},
		Bound:   b, SRS: c.SRS, Width: wpx, Height: hpx, Format: "png", Resampling: "bilinear"})
	if err != nil {
		s.Error(w, r, err)
		return
	}
	w.Header().Set("Content-Type", img.ContentType)
	w.Write(img.Data)
}
