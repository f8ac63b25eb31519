package mosaic

import (
	"time"

	"github.com/paulmach/orb"
)

// Item is one catalog item: a reference to a source raster, its footprint and
// its attributes. The source file is never copied, written, moved or deleted.
type Item struct {
	OID  int64
	Path string // the source raster, as GDAL opens it (a path or /vsi… name)
	// Footprint is in the collection's spatial reference, exterior rings
	// first as orb stores them; package server applies Esri ring order.
	Footprint orb.Polygon
	// Attributes holds every other field by its canonical name. Values are
	// int64, float64, string, time.Time (UTC) or nil.
	Attributes map[string]any
	Raster     RasterInfo
	// Recycled is set on items read from the recycle bin.
	Recycled *Recycled
}

// Recycled records when and by which job an item was removed.
type Recycled struct {
	At    time.Time
	JobID string
}

// RasterInfo is what GDAL reported about the source raster when it was added.
type RasterInfo struct {
	Driver       string      `json:"driver,omitempty"`
	Width        int         `json:"width"`
	Height       int         `json:"height"`
	Bands        int         `json:"bands"`
	PixelType    string      `json:"pixelType"` // Esri pixel type: U8, S16, F32…
	NoData       *float64    `json:"noData,omitempty"`
	SRS          SpatialRef  `json:"srs"`
	GeoTransform [6]float64  `json:"geoTransform"`
	CellSizeX    float64     `json:"cellSizeX"`
	CellSizeY    float64     `json:"cellSizeY"`
	Overviews    int         `json:"overviews"`
	Stats        []BandStats `json:"stats,omitempty"`
}

// BandStats are one band's statistics.
type BandStats struct {
	Min  float64 `json:"min"`
	Max  float64 `json:"max"`
	Mean float64 `json:"mean"`
	Std  float64 `json:"std"`
}

// SpatialRel is a spatial relationship for item queries.
type SpatialRel string

// Spatial relationships, named as in the Esri REST API.
const (
	SpatialRelIntersects         SpatialRel = "esriSpatialRelIntersects"
	SpatialRelEnvelopeIntersects SpatialRel = "esriSpatialRelEnvelopeIntersects"
	SpatialRelContains           SpatialRel = "esriSpatialRelContains"
	SpatialRelWithin             SpatialRel = "esriSpatialRelWithin"
)

// ItemQuery selects catalog items. The zero value selects every live item.
type ItemQuery struct {
	Where     string  // standardized SQL over the collection's fields; "" = all
	ObjectIDs []int64 // combined with Where by AND
	// Geometry, in the collection's spatial reference, filters by SpatialRel
	// (intersects when empty).
	Geometry   orb.Geometry
	SpatialRel SpatialRel
	OutFields  string // "*" or a comma list; "" means only OBJECTID
	OrderBy    string // "Field [ASC|DESC], …"; "" means OBJECTID ASC
	// Rank, when set, orders items by a mosaic method's key before any
	// OrderBy keys (see MosaicRank).
	Rank   *MosaicRank
	Offset int
	Limit  int // 0 means no limit
	// ReturnGeometry includes footprints in the result.
	ReturnGeometry bool
	// NoRaster leaves each Item.Raster empty, which is cheaper when only
	// attributes and footprints are wanted.
	NoRaster   bool
	IDsOnly    bool
	CountOnly  bool
	ExtentOnly bool
	// Recycled queries the recycle bin instead of the live catalog.
	Recycled bool
}

// MosaicRank orders items as an image service's mosaic method does, the
// item drawn on top first. The key is the distance from the centre of each
// item's footprint extent to Point or, when Field is set, the field's value
// (its distance to Base when Base is set; dates count in epoch
// milliseconds). Items without a value come last; ties go by OBJECTID.
type MosaicRank struct {
	Point *orb.Point
	Field string
	Base  *float64
	Desc  bool // largest key first
}

// ItemPage is the answer to an ItemQuery.
type ItemPage struct {
	Fields []Field // the fields present in each item's Attributes, in order
	Items  []*Item
	IDs    []int64   // for IDsOnly
	Count  int64     // for CountOnly and ExtentOnly
	Extent orb.Bound // for ExtentOnly; meaningful when Count > 0
	More   bool      // more items match beyond Offset+Limit
}

// ItemStreamer is implemented by read transactions that can hand the items
// of a query to a caller one row at a time, without building an Item for
// each: the query endpoint encodes them straight into its answer, so a
// page costs neither an Item per row nor a decoded footprint.
// Both stores implement it; callers fall back to QueryItems without it.
type ItemStreamer interface {
	// StreamItems runs q, a page query (neither IDsOnly, CountOnly nor
	// ExtentOnly), over c with the same validation, order and paging as
	// QueryItems. It calls head once with the returned fields before any
	// row, then row for each item of the page, in order, and returns
	// whether more items match beyond Offset+Limit. The ItemRow and
	// everything it holds are valid only until row returns. An error from
	// head or row stops the query and is returned.
	StreamItems(c *Collection, q ItemQuery, head func(fields []Field) error, row func(r *ItemRow) error) (more bool, err error)
}

// CollectionDefiner is implemented by read transactions that can return a
// collection without its Summary, which costs an aggregate over the
// collection's cells: a query needs only the fields and spatial reference.
type CollectionDefiner interface {
	// CollectionDefinition is Collection with a zero Summary.
	CollectionDefinition(ref CollectionRef) (*Collection, error)
}

// ItemRow is one item of StreamItems.
type ItemRow struct {
	OID int64
	// Values holds the returned fields' values in the order of the fields
	// head received, with the types of Item.Attributes: int64, float64,
	// string, time.Time (UTC) or nil.
	Values []any
	// Footprint is the footprint as WKB (a polygon, in the collection's
	// spatial reference), nil unless q.ReturnGeometry.
	Footprint []byte
}

// DuplicateAction says what AddItems does with an item whose source path is
// already in the catalog.
type DuplicateAction string

// Duplicate actions, as in ArcGIS's Add Rasters To Mosaic Dataset.
const (
	DuplicatesAllow     DuplicateAction = "ALLOW"
	DuplicatesExclude   DuplicateAction = "EXCLUDE"
	DuplicatesOverwrite DuplicateAction = "OVERWRITE"
)

// AddOptions controls AddItems.
type AddOptions struct {
	Duplicates DuplicateAction // "" means ALLOW
}

// AddResult counts what AddItems did.
type AddResult struct {
	Added       int
	Skipped     int // duplicates excluded
	Overwritten int // duplicates replaced
	OIDs        []int64
}

// ItemDelete selects the items that DeleteItems removes. Where is required;
// "1=1" selects every item.
type ItemDelete struct {
	Where     string
	ObjectIDs []int64
	JobID     string // recorded in the recycle bin for RestoreItems
	DryRun    bool   // count and list, change nothing
	Purge     bool   // remove for good instead of recycling
	// Strict fails with EINVALID, changing nothing, when nothing matches or
	// when a listed ObjectID is not a live item.
	Strict bool
}

// DeleteResult reports what DeleteItems matched and removed.
type DeleteResult struct {
	Matched int64
	Removed int64
	OIDs    []int64 // the matched OBJECTIDs (for dry runs and the audit log)
}

// ItemRestore selects recycled items to put back: by where over the recycled
// items, by the job that removed them, or both (AND).
type ItemRestore struct {
	Where string
	JobID string
}

// RestoreResult reports what RestoreItems put back.
type RestoreResult struct {
	Restored int64
	OIDs     []int64
}
