package server

import (
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/gorilla/mux"

	"github.com/tessera-gis/tessera/mosaic"
)

// registerImageRoutes registers an ImageServer's routes, which need the
// viewer role.
func (s *Server) registerImageRoutes(r *mux.Router) {
	viewer := mosaic.RoleViewer
	s.handle(r, "", viewer, s.handleImageServer)
	s.handle(r, "/", viewer, s.handleImageServer)
	s.handle(r, "/query", viewer, s.handleQuery)
	s.handle(r, "/exportImage", viewer, s.handleExportImage)
	s.handle(r, "/boundary", viewer, s.handleBoundary)
	s.handle(r, "/{oid:[0-9]+}", viewer, s.handleItem)
	s.handle(r, "/{oid:[0-9]+}/thumbnail", viewer, s.handleThumbnail)
	s.handle(r, "/identify", viewer, s.handleIdentify)
	s.handle(r, "/getSamples", viewer, s.handleGetSamples)
	s.handle(r, "/computeHistograms", viewer, s.handleComputeHistograms)
	s.handle(r, "/computeStatisticsHistograms", viewer, s.handleComputeStatisticsHistograms)
	s.handle(r, "/statistics", viewer, s.handleServiceStatistics)
	s.handle(r, "/histograms", viewer, s.handleServiceHistograms)
	s.handle(r, "/keyProperties", viewer, s.handleKeyProperties)
	s.handle(r, "/legend", viewer, s.handleLegend)
	s.handle(r, "/{oid:[0-9]+}/info", viewer, s.handleItemInfo)
	s.handle(r, "/{oid:[0-9]+}/info/keyProperties", viewer, s.handleItemKeyProperties)
	s.handle(r, "/{oid:[0-9]+}/info/thumbnail", viewer, s.handleThumbnail)
}

// collection loads the collection named in the URL.
func (s *Server) collection(r *request) (*mosaic.Collection, error) {
	var c *mosaic.Collection
	name := r.vars("name")
	err := s.cfg.Store.View(r.Context(), func(tx mosaic.ReadTx) (err error) {
		c, err = tx.Collection(mosaic.CollectionRef{Name: name})
		return err
	})
	if mosaic.ErrorCode(err) == mosaic.ENOTFOUND {
		err = mosaic.Errorf(mosaic.ENOTFOUND, "Service not found.").WithDetails(
			"Service " + name + "/ImageServer does not exist (or was deleted).")
	}
	if err != nil {
		return nil, err
	}
	return c, nil
}

type imageServerJSON struct {
	CurrentVersion           float64           `json:"currentVersion"`
	ServiceDescription       string            `json:"serviceDescription"`
	Name                     string            `json:"name"`
	Description              string            `json:"description"`
	ServiceItemID            string            `json:"serviceItemId"`
	Extent                   extentJSON        `json:"extent"`
	InitialExtent            extentJSON        `json:"initialExtent"`
	FullExtent               extentJSON        `json:"fullExtent"`
	HasMultidimensions       bool              `json:"hasMultidimensions"`
	PixelSizeX               float64           `json:"pixelSizeX"`
	PixelSizeY               float64           `json:"pixelSizeY"`
	BandCount                int               `json:"bandCount"`
	PixelType                string            `json:"pixelType"`
	BandNames                []string          `json:"bandNames"`
	MinPixelSize             float64           `json:"minPixelSize"`
	MaxPixelSize             float64           `json:"maxPixelSize"`
	CopyrightText            string            `json:"copyrightText"`
	ServiceDataType          string            `json:"serviceDataType"`
	ServiceSourceType        string            `json:"serviceSourceType"`
	MinValues                []float64         `json:"minValues"`
	MaxValues                []float64         `json:"maxValues"`
	MeanValues               []float64         `json:"meanValues"`
	StdvValues               []float64         `json:"stdvValues"`
	ObjectIDField            string            `json:"objectIdField"`
	Fields                   []fieldJSON       `json:"fields"`
	Capabilities             string            `json:"capabilities"`
	DefaultMosaicMethod      string            `json:"defaultMosaicMethod"`
	AllowedMosaicMethods     string            `json:"allowedMosaicMethods"`
	SortField                string            `json:"sortField"`
	SortValue                *string           `json:"sortValue"`
	SortAscending            bool              `json:"sortAscending"`
	MosaicOperator           string            `json:"mosaicOperator"`
	DefaultCompressionQual   int               `json:"defaultCompressionQuality"`
	DefaultResamplingMethod  string            `json:"defaultResamplingMethod"`
	MaxImageHeight           int               `json:"maxImageHeight"`
	MaxImageWidth            int               `json:"maxImageWidth"`
	MaxRecordCount           int               `json:"maxRecordCount"`
	MaxDownloadImageCount    int               `json:"maxDownloadImageCount"`
	MaxMosaicImageCount      int               `json:"maxMosaicImageCount"`
	AllowRasterFunction      bool              `json:"allowRasterFunction"`
	RasterFunctionInfos      []map[string]any  `json:"rasterFunctionInfos"`
	RasterTypeInfos          []map[string]any  `json:"rasterTypeInfos"`
	MensurationCapabilities  string            `json:"mensurationCapabilities"`
	HasHistograms            bool              `json:"hasHistograms"`
	HasColormap              bool              `json:"hasColormap"`
	HasRasterAttributeTable  bool              `json:"hasRasterAttributeTable"`
	MinScale                 float64           `json:"minScale"`
	MaxScale                 float64           `json:"maxScale"`
	ExportTilesAllowed       bool              `json:"exportTilesAllowed"`
	SupportsStatistics       bool              `json:"supportsStatistics"`
	SupportsAdvancedQueries  bool              `json:"supportsAdvancedQueries"`
	UseStandardizedQueries   bool              `json:"useStandardizedQueries"`
	AdvancedQueryCapabilites map[string]bool   `json:"advancedQueryCapabilities"`
	SpatialReference         *spatialRefJSON   `json:"spatialReference"`
	SortableFields           string            `json:"sortableFields"`
	DatasetFormat            string            `json:"datasetFormat"`
	UncompressedSize         int64             `json:"uncompressedSize"`
	BlockWidth               int               `json:"blockWidth"`
	BlockHeight              int               `json:"blockHeight"`
	CompressionType          string            `json:"compressionType"`
	AllowCopy                bool              `json:"allowCopy"`
	AllowAnalysis            bool              `json:"allowAnalysis"`
	MaxDownloadSizeLimit     int               `json:"maxDownloadSizeLimit"`
	EditFieldsInfo           *struct{}         `json:"editFieldsInfo"`
	OwnershipBasedACL        *struct{}         `json:"ownershipBasedAccessControlForRasters"`
	AllowComputeTiePoints    bool              `json:"allowComputeTiePoints"`
	TimeInfo                 *timeInfoJSON     `json:"timeInfo,omitempty"`
	ItemCount                int64             `json:"itemCount"`
	Extra                    map[string]string `json:"tessera,omitempty"`
}

// maxImageSize is the largest exportImage the server renders.
const (
	maxImageWidth  = 15000
	maxImageHeight = 4100
)

func (s *Server) imageServerInfo(c *mosaic.Collection, stats []mosaic.BandStats) imageServerJSON {
	sum := c.Summary
	ext := extent(sum.Extent, c.SRS)
	bands := max(sum.BandCount, 0)
	names := make([]string, bands)
	for i := range names {
		names[i] = "Band_" + itoa(i+1)
	}
	min, maxv, mean, std := statValues(stats)
	pixelType := sum.PixelType
	if pixelType == "" {
		pixelType = "UNKNOWN"
	}
	return imageServerJSON{
		CurrentVersion: Version, Name: c.Name, ServiceItemID: c.ItemID,
		ServiceDescription: "Image collection " + c.Name,
		Extent:             ext, InitialExtent: ext, FullExtent: ext,
		PixelSizeX: sum.MinCellX, PixelSizeY: sum.MinCellY, BandCount: bands, PixelType: pixelType, BandNames: names,
		MinPixelSize: sum.MinCellX, MaxPixelSize: sum.MaxCell,
		ServiceDataType: "esriImageServiceDataTypeGeneric", ServiceSourceType: "esriImageServiceSourceTypeMosaicDataset",
		MinValues: min, MaxValues: maxv, MeanValues: mean, StdvValues: std,
		ObjectIDField: mosaic.FieldNameOID, Fields: fieldsJSON(c.Fields),
		Capabilities:         "Image,Metadata,Catalog",
		DefaultMosaicMethod:  "Northwest",
		AllowedMosaicMethods: "NorthWest,Center,LockRaster,ByAttribute,Viewpoint,None",
		SortAscending:        true, MosaicOperator: "First",
		DefaultCompressionQual: 75, DefaultResamplingMethod: "NearestNeighbor",
		MaxImageHeight: maxImageHeight, MaxImageWidth: maxImageWidth, MaxRecordCount: s.cfg.MaxRecordCount,
		MaxDownloadImageCount: 0, MaxMosaicImageCount: s.cfg.MaxMosaicImages,
		RasterFunctionInfos:     []map[string]any{{"name": "None", "description": "", "help": ""}},
		RasterTypeInfos:         []map[string]any{{"name": "Raster Dataset", "description": "Any raster GDAL reads", "help": ""}},
		MensurationCapabilities: "None",
		SupportsAdvancedQueries: true, UseStandardizedQueries: true,
		AdvancedQueryCapabilites: map[string]bool{"useStandardizedQueries": true, "supportsStatistics": false,
			"supportsOrderBy": true, "supportsDistinct": false, "supportsPagination": true,
			"supportsReturningQueryExtent": true, "supportsQueryWithResultType": false},
		SpatialReference: srJSON(c.SRS),
		ItemCount:        sum.Count,
		HasHistograms:    s.cfg.Pixels != nil && sum.Count > 0,
		SortableFields:   sortableFields(c), DatasetFormat: "AMD", UncompressedSize: uncompressedSize(c),
		BlockWidth: blockSize, BlockHeight: blockSize, CompressionType: "None",
		AllowAnalysis: true, MaxDownloadSizeLimit: 0,
	}
}

type timeInfoJSON struct {
	StartTimeField string    `json:"startTimeField"`
	EndTimeField   string    `json:"endTimeField"`
	TimeExtent     [2]int64  `json:"timeExtent"`
	TimeReference  *struct{} `json:"timeReference"`
}

// sortableFields lists the fields a mosaic rule may sort by
// (esriMosaicAttribute), comma-separated.
func sortableFields(c *mosaic.Collection) string {
	var names []string
	for _, f := range c.Fields {
		switch f.Type {
		case mosaic.FieldOID, mosaic.FieldInteger, mosaic.FieldDouble, mosaic.FieldDate:
			names = append(names, f.Name)
		}
	}
	return strings.Join(names, ",")
}

// uncompressedSize estimates the bytes of the collection's pixels: its
// extent at the finest pixel size, in its bands of its pixel type.
func uncompressedSize(c *mosaic.Collection) int64 {
	sum := c.Summary
	if sum.Count == 0 || sum.MinCellX <= 0 || sum.MinCellY <= 0 {
		return 0
	}
	b := sum.Extent
	px := (b.Max[0] - b.Min[0]) / sum.MinCellX * (b.Max[1] - b.Min[1]) / sum.MinCellY
	size := px * float64(max(sum.BandCount, 1)) * float64(pixelBytes(sum.PixelType))
	if !(size > 0) || size > 1<<62 {
		return 0
	}
	return int64(size)
}

func pixelBytes(t string) int {
	switch t {
	case "U16", "S16":
		return 2
	case "U32", "S32", "F32":
		return 4
	case "F64", "C64":
		return 8
	case "C128":
		return 16
	}
	return 1
}

// timeInfo describes the time extent of a catalog with dates: the first
// date field, from its earliest to its latest value. nil when the catalog
// has no dates.
func (s *Server) timeInfo(r *request, c *mosaic.Collection) (*timeInfoJSON, error) {
	field := ""
	for _, f := range c.Fields {
		if f.Type == mosaic.FieldDate {
			field = f.Name
			break
		}
	}
	if field == "" || c.Summary.Count == 0 {
		return nil, nil
	}
	var ext [2]int64
	found := 0
	err := s.cfg.Store.View(r.Context(), func(tx mosaic.ReadTx) error {
		for i, dir := range []string{" ASC", " DESC"} {
			page, err := tx.QueryItems(c, mosaic.ItemQuery{Where: field + " IS NOT NULL", OutFields: field,
				OrderBy: field + dir, Limit: 1, NoRaster: true})
			if err != nil {
				return err
			}
			if len(page.Items) == 1 {
				if t, ok := page.Items[0].Attributes[field].(time.Time); ok {
					ext[i] = t.UnixMilli()
					found++
				}
			}
		}
		return nil
	})
	if err != nil || found < 2 {
		return nil, err
	}
	return &timeInfoJSON{StartTimeField: field, EndTimeField: field, TimeExtent: ext}, nil
}

// statValues splits per-band statistics into the info's value lists,
// which are empty when the statistics are not known.
func statValues(stats []mosaic.BandStats) (min, max, mean, std []float64) {
	min, max, mean, std = []float64{}, []float64{}, []float64{}, []float64{}
	for _, b := range stats {
		min, max = append(min, b.Min), append(max, b.Max)
		mean, std = append(mean, b.Mean), append(std, b.Std)
	}
	return min, max, mean, std
}

// bandStats returns c's band statistics pooled from its items (see
// mosaic.CatalogReader.BandStats).
func (s *Server) bandStats(r *request, c *mosaic.Collection) (stats []mosaic.BandStats, err error) {
	err = s.cfg.Store.View(r.Context(), func(tx mosaic.ReadTx) (err error) {
		stats, err = tx.BandStats(c)
		return err
	})
	return stats, err
}

func (s *Server) handleImageServer(w http.ResponseWriter, r *request) error {
	c, err := s.collection(r)
	if err != nil {
		return err
	}
	stats, err := s.bandStats(r, c)
	if err != nil {
		return err
	}
	info := s.imageServerInfo(r.visible(c), stats)
	if info.TimeInfo, err = s.timeInfo(r, c); err != nil {
		return err
	}
	base := "/arcgis/rest/services/" + c.Name + "/ImageServer"
	return s.respond(w, r, info, &htmlPage{Title: c.Name + " (ImageServer)",
		Breadcrumbs: []link{{"Home", "/arcgis/rest/services"}},
		Links: []link{
			{"View in map", webMapPath + "/map.html?url=" + url.QueryEscape(base)},
			{"Query", base + "/query?where=1%3D1&outFields=*&f=html"},
			{"Export Image (PNG of the full extent)", base + "/exportImage?f=image&format=png&size=800,600&bbox=" + bboxParam(c)},
			{"Boundary", base + "/boundary"},
		}})
}

func bboxParam(c *mosaic.Collection) string {
	b := c.Summary.Extent
	return strings.Join([]string{ftoa(b.Min[0]), ftoa(b.Min[1]), ftoa(b.Max[0]), ftoa(b.Max[1])}, ",")
}

type boundaryJSON struct {
	GeometryType string      `json:"geometryType"`
	Geometry     polygonJSON `json:"geometry"`
}

func (s *Server) handleBoundary(w http.ResponseWriter, r *request) error {
	c, err := s.collection(r)
	if err != nil {
		return err
	}
	var out boundaryJSON
	err = s.cfg.Store.View(r.Context(), func(tx mosaic.ReadTx) error {
		mp, err := tx.Boundary(c)
		if err != nil {
			return err
		}
		out = boundaryJSON{GeometryType: "esriGeometryPolygon", Geometry: polygonJSON{Rings: esriRings(mp...), SpatialReference: srJSON(c.SRS)}}
		if out.Geometry.Rings == nil {
			out.Geometry.Rings = [][][2]float64{}
		}
		return nil
	})
	if err != nil {
		return err
	}
	return s.respond(w, r, out, &htmlPage{Title: c.Name + " boundary"})
}
