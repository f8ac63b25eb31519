package server

import (
	"bytes"
	"crypto/md5"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"math"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/paulmach/orb"

	"github.com/tessera-gis/tessera/mosaic"
)

// The ImageServer's descriptive resources that the ArcGIS Maps SDK reads
// when it loads a layer: statistics, histograms, keyProperties, legend,
// and each item's info and keyProperties.

// serviceStatsGrid is the largest side, in pixels, of the grid on which
// the service's statistics and histograms are computed: the mosaic of the
// whole extent at a pixel size no finer than the items'.
const serviceStatsGrid = 512

// serviceStats caches the statistics of each collection's mosaic, as long
// as the collection does not change.
// A computation in flight is shared: the SDK asks for statistics and
// histograms at once when it loads a layer.
type serviceStats struct {
	mu      sync.Mutex
	entries map[string]*serviceStatsEntry
}

type serviceStatsEntry struct {
	key  string
	done chan struct{} // closed once res and err are set
	res  *mosaic.StatsResult
	err  error
}

func statsKey(c *mosaic.Collection) string {
	b := c.Summary.Extent
	return fmt.Sprint(c.ID, c.UpdatedAt.UnixNano(), c.Summary.Count, b.Min, b.Max)
}

// mosaicStats returns the statistics of the collection's whole mosaic,
// drawn with the default mosaic rule; nil when it has no items or pixels
// cannot be read here.
func (s *Server) mosaicStats(r *request, c *mosaic.Collection) (*mosaic.StatsResult, error) {
	if s.cfg.Pixels == nil || c.Summary.Count == 0 {
		return nil, nil
	}
	key := statsKey(c)
	s.stats.mu.Lock()
	if e, ok := s.stats.entries[c.Name]; ok && e.key == key {
		s.stats.mu.Unlock()
		select {
		case <-e.done:
			if e.err != nil {
				// The request that computed failed (it may have been
				// cancelled): try with this one's.
				return s.computeMosaicStats(r, c)
			}
			return e.res, nil
		case <-r.Context().Done():
			return nil, mosaic.Errorf(mosaic.ECANCELED, "The request was cancelled.")
		}
	}
	e := &serviceStatsEntry{key: key, done: make(chan struct{})}
	if s.stats.entries == nil {
		s.stats.entries = map[string]*serviceStatsEntry{}
	}
	s.stats.entries[c.Name] = e
	s.stats.mu.Unlock()
	e.res, e.err = s.computeMosaicStats(r, c)
	if e.err != nil {
		// Not kept: the next request tries again.
		s.stats.mu.Lock()
		if s.stats.entries[c.Name] == e {
			delete(s.stats.entries, c.Name)
		}
		s.stats.mu.Unlock()
	}
	close(e.done)
	return e.res, e.err
}

// computeMosaicStats computes what mosaicStats caches.
func (s *Server) computeMosaicStats(r *request, c *mosaic.Collection) (*mosaic.StatsResult, error) {
	b := c.Summary.Extent
	cell := math.Max(c.Summary.MinCellX, math.Max(b.Max[0]-b.Min[0], b.Max[1]-b.Min[1])/serviceStatsGrid)
	if cell <= 0 || !finite(cell) {
		return nil, nil
	}
	sources, err := s.selectSources(r, c, &exportRequest{bbox: b, imageSR: c.SRS})
	if err != nil {
		return nil, err
	}
	release, err := s.holdPixels(r.Context(), sources, b, cell)
	if err != nil {
		return nil, err
	}
	defer release()
	return s.cfg.Pixels.Statistics(r.Context(), mosaic.StatsRequest{Sources: sources, Geometry: b.ToPolygon(),
		SRS: c.SRS, PixelSize: cell, Origin: orb.Point{b.Min[0], b.Max[1]}})
}

func (s *Server) handleServiceStatistics(w http.ResponseWriter, r *request) error {
	return s.serveMosaicStats(w, r, "statistics")
}

func (s *Server) handleServiceHistograms(w http.ResponseWriter, r *request) error {
	return s.serveMosaicStats(w, r, "histograms")
}

// serveMosaicStats answers the service's statistics or histograms
// operation (what), both computed by mosaicStats.
func (s *Server) serveMosaicStats(w http.ResponseWriter, r *request, what string) error {
	c, err := s.collection(r)
	if err != nil {
		return err
	}
	res, err := s.mosaicStats(r, c)
	if err != nil {
		return err
	}
	stats, hists := []statisticsJSON{}, []histogramJSON{}
	if res != nil {
		stats, hists = statsJSON(res)
	}
	var out any = statisticsOnlyJSON{Statistics: stats}
	if what == "histograms" {
		out = histogramsJSON{Histograms: hists}
	}
	return s.respond(w, r, out, &htmlPage{Title: c.Name + " " + what, Breadcrumbs: s.serviceCrumbs(c)})
}

func (s *Server) serviceCrumbs(c *mosaic.Collection) []link {
	return []link{{"Home", "/arcgis/rest/services"}, {c.Name, "/arcgis/rest/services/" + c.Name + "/ImageServer"}}
}

// keyPropertiesJSON are a raster's key properties, as in ArcGIS. Item
// properties that tessera keeps as attributes (AcquisitionDate…) are
// added when the item has them.
type keyPropertiesJSON map[string]any

type bandPropertyJSON struct {
	BandName string `json:"BandName"`
}

func bandProperties(n int) []bandPropertyJSON {
	out := make([]bandPropertyJSON, max(n, 0))
	for i := range out {
		out[i] = bandPropertyJSON{BandName: "Band_" + itoa(i+1)}
	}
	return out
}

func (s *Server) handleKeyProperties(w http.ResponseWriter, r *request) error {
	c, err := s.collection(r)
	if err != nil {
		return err
	}
	out := keyPropertiesJSON{"DataType": "Generic", "LowCellSize": c.Summary.MinCellX, "HighCellSize": c.Summary.MaxCell,
		"MaxCellSize": c.Summary.MaxCell, "ConfigKeyword": "", "BandDefinitionKeyword": "",
		"BandProperties": bandProperties(c.Summary.BandCount)}
	return s.respond(w, r, out, &htmlPage{Title: c.Name + " key properties", Breadcrumbs: s.serviceCrumbs(c)})
}

// itemKeyNames are attributes that ArcGIS reports as key properties of a
// raster, matched case-insensitively.
var itemKeyNames = []string{"AcquisitionDate", "SensorName", "ProductName", "CloudCover", "SunAzimuth", "SunElevation"}

func (s *Server) handleItemKeyProperties(w http.ResponseWriter, r *request) error {
	c, it, err := s.item(r)
	if err != nil {
		return err
	}
	cell := math.Max(it.Raster.CellSizeX, it.Raster.CellSizeY)
	out := keyPropertiesJSON{"DataType": "Generic", "LowCellSize": cell, "HighCellSize": cell,
		"BandProperties": bandProperties(it.Raster.Bands)}
	for _, name := range itemKeyNames {
		for k, v := range it.Attributes {
			if strings.EqualFold(k, name) && v != nil {
				if t, ok := v.(time.Time); ok {
					v = t.UnixMilli()
				}
				out[name] = v
			}
		}
	}
	return s.respond(w, r, out, &htmlPage{Title: c.Name + " item " + itoa(int(it.OID)) + " key properties",
		Breadcrumbs: s.serviceCrumbs(c)})
}

type rasterInfoResourceJSON struct {
	Origin            pointJSON       `json:"origin"`
	BlockWidth        int             `json:"blockWidth"`
	BlockHeight       int             `json:"blockHeight"`
	PixelSizeX        float64         `json:"pixelSizeX"`
	PixelSizeY        float64         `json:"pixelSizeY"`
	Extent            extentJSON      `json:"extent"`
	Width             int             `json:"width"`
	Height            int             `json:"height"`
	BandCount         int             `json:"bandCount"`
	PixelType         string          `json:"pixelType"`
	FirstPyramidLevel int             `json:"firstPyramidLevel"`
	MaxPyramidLevel   int             `json:"maxPyramidLevel"`
	Statistics        [][4]float64    `json:"statistics"`
	Histograms        []histogramJSON `json:"histograms"`
	SpatialReference  *spatialRefJSON `json:"spatialReference"`
}

// blockSize is the block size reported for items: GDAL reads GeoTIFFs
// in their own blocks, which the catalog does not record, so the info
// reports the tile size tessera renders in.
const blockSize = 256

func (s *Server) handleItemInfo(w http.ResponseWriter, r *request) error {
	c, it, err := s.item(r)
	if err != nil {
		return err
	}
	ri := it.Raster
	gt := ri.GeoTransform
	x0, y0 := gt[0], gt[3]
	x1, y1 := gt[0]+float64(ri.Width)*gt[1]+float64(ri.Height)*gt[2], gt[3]+float64(ri.Width)*gt[4]+float64(ri.Height)*gt[5]
	sr := ri.SRS
	if sr.IsZero() {
		sr = c.SRS
	}
	out := rasterInfoResourceJSON{Origin: pointJSON{X: x0, Y: y0}, BlockWidth: min(blockSize, max(ri.Width, 1)),
		BlockHeight: min(blockSize, max(ri.Height, 1)), PixelSizeX: ri.CellSizeX, PixelSizeY: ri.CellSizeY,
		Extent: extent(normBound(x0, y0, x1, y1), sr), Width: ri.Width, Height: ri.Height, BandCount: ri.Bands,
		PixelType: ri.PixelType, FirstPyramidLevel: 1, MaxPyramidLevel: ri.Overviews,
		Statistics: [][4]float64{}, Histograms: []histogramJSON{}, SpatialReference: srJSON(sr)}
	if out.PixelType == "" {
		out.PixelType = "UNKNOWN"
	}
	if ri.Overviews == 0 {
		out.FirstPyramidLevel = 0
	}
	for _, b := range ri.Stats {
		out.Statistics = append(out.Statistics, [4]float64{b.Min, b.Max, b.Mean, b.Std})
	}
	base := "/arcgis/rest/services/" + c.Name + "/ImageServer/" + itoa(int(it.OID))
	return s.respond(w, r, out, &htmlPage{Title: c.Name + " item " + itoa(int(it.OID)) + " raster info",
		Breadcrumbs: append(s.serviceCrumbs(c), link{"Item " + itoa(int(it.OID)), base}),
		Links:       []link{{"Key properties", base + "/info/keyProperties"}, {"Thumbnail", base + "/info/thumbnail"}}})
}

type legendJSON struct {
	Layers []legendLayerJSON `json:"layers"`
}

type legendLayerJSON struct {
	LayerID    int              `json:"layerId"`
	LayerName  string           `json:"layerName"`
	LayerType  string           `json:"layerType"`
	MinScale   float64          `json:"minScale"`
	MaxScale   float64          `json:"maxScale"`
	LegendType string           `json:"legendType"`
	Legend     []legendItemJSON `json:"legend"`
}

type legendItemJSON struct {
	Label       string `json:"label"`
	URL         string `json:"url"`
	ImageData   string `json:"imageData"`
	ContentType string `json:"contentType"`
	Height      int    `json:"height"`
	Width       int    `json:"width"`
}

// swatch returns a 20×20 PNG legend entry of one colour.
func swatch(label string, c color.Color) legendItemJSON {
	img := image.NewRGBA(image.Rect(0, 0, 20, 20))
	for y := range 20 {
		for x := range 20 {
			img.Set(x, y, c)
		}
	}
	var buf bytes.Buffer
	png.Encode(&buf, img) // writing to memory cannot fail
	sum := md5.Sum(buf.Bytes())
	return legendItemJSON{Label: label, URL: hex.EncodeToString(sum[:]), ImageData: base64.StdEncoding.EncodeToString(buf.Bytes()),
		ContentType: "image/png", Height: 20, Width: 20}
}

func (s *Server) handleLegend(w http.ResponseWriter, r *request) error {
	c, err := s.collection(r)
	if err != nil {
		return err
	}
	layer := legendLayerJSON{LayerName: c.Name, LayerType: "Raster Layer"}
	if c.Summary.BandCount >= 3 {
		layer.LegendType = "RGB Composite"
		layer.Legend = []legendItemJSON{
			swatch("Red:    Band_1", color.RGBA{255, 0, 0, 255}),
			swatch("Green: Band_2", color.RGBA{0, 255, 0, 255}),
			swatch("Blue:   Band_3", color.RGBA{0, 0, 255, 255}),
		}
	} else {
		stats, err := s.bandStats(r, c)
		if err != nil {
			return err
		}
		hi, lo := "High", "Low"
		if len(stats) > 0 {
			hi, lo = "High : "+pixelText([]float64{stats[0].Max}, c.Summary.PixelType, ""),
				"Low : "+pixelText([]float64{stats[0].Min}, c.Summary.PixelType, "")
		}
		layer.LegendType = "Stretched"
		layer.Legend = []legendItemJSON{
			swatch(hi, color.Gray{255}), swatch("", color.Gray{128}), swatch(lo, color.Gray{0}),
		}
	}
	return s.respond(w, r, legendJSON{Layers: []legendLayerJSON{layer}},
		&htmlPage{Title: c.Name + " legend", Breadcrumbs: s.serviceCrumbs(c)})
}
