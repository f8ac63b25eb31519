package mosaic

import (
	"context"

	"github.com/paulmach/orb"
)

// PixelReader reads a mosaic's pixel values: the image service operations
// identify, getSamples, computeHistograms, computeStatisticsHistograms and
// the service's statistics and histograms. Sources are the items the
// mosaic rule selected, bottom first as in RenderRequest: where several
// hold data, the last of them is the one seen, so values equal the pixels
// exportImage draws. Values are source pixels as stored (no rendering).
//
// Methods return EINVALID for an unusable request (say, a geometry of the
// wrong type), ELIMIT when it would read more than its bound allows
// (MaxPixels, MaxSamples), ECANCELED when ctx ends first, and EINTERNAL
// when a source cannot be read.
type PixelReader interface {
	// Identify reads the mosaic's value and every source's value at a
	// point, or at the centroid of an area, and how much of the location
	// each source shows.
	Identify(ctx context.Context, r IdentifyRequest) (*IdentifyResult, error)
	// Samples reads the mosaic at the sample locations of a geometry.
	Samples(ctx context.Context, r SampleRequest) ([]PixelSample, error)
	// Statistics computes each band's statistics and histogram over the
	// mosaic's valid pixels in an area, drawn at a pixel size.
	Statistics(ctx context.Context, r StatsRequest) (*StatsResult, error)
}

// IdentifyRequest asks what a mosaic holds at a location.
type IdentifyRequest struct {
	Sources []RenderSource // bottom first
	// Geometry, in SRS, is an orb.Point or an area: orb.Polygon,
	// orb.MultiPolygon or orb.Bound.
	Geometry orb.Geometry
	SRS      SpatialRef
	// PixelSize is the cell size (SRS units) of the grid on which an
	// area's visibilities are counted; cell edges fall on Origin plus whole
	// multiples of it. MaxPixels bounds that grid.
	PixelSize float64
	Origin    orb.Point
	MaxPixels int
}

// IdentifyResult is what a mosaic holds at a location.
type IdentifyResult struct {
	// Location, in the request's SRS, is where values were read: the point,
	// or the centroid of the area.
	Location orb.Point
	// Values is the mosaic's pixel at Location, one value per band; nil
	// when no source has data there.
	Values []float64
	// OID is the item Values come from (0 when none).
	OID int64
	// Items has one entry per source, in the order of the request.
	Items []ItemPixel
}

// ItemPixel is one item's pixel at an identified location.
type ItemPixel struct {
	OID int64
	// Values is the item's pixel, one value per band; nil when the item
	// has no data at the location.
	Values []float64
	// Visibility is the share of the location (0 to 1) where this item is
	// the one seen.
	Visibility float64
}

// SampleRequest asks for a mosaic's values at the sample locations of a
// geometry: points as they are, lines every SampleDistance or at
// SampleCount evenly spread locations (at their vertices without either),
// areas at about SampleCount locations on a lattice.
type SampleRequest struct {
	Sources        []RenderSource // bottom first
	Geometry       orb.Geometry   // in SRS
	SRS            SpatialRef
	SampleDistance float64
	SampleCount    int
	// AllValues returns every item's value at each location, top first,
	// not only the one seen there.
	AllValues  bool
	MaxSamples int
}

// PixelSample is one item's pixel at one sample location.
type PixelSample struct {
	Location   orb.Point // in the request's SRS
	LocationID int       // numbers the locations from zero
	// OID is the item read; 0 with nil Values when no item has data here.
	OID        int64
	Values     []float64
	Resolution float64 // the item's cell size, in its own SRS units
}

// StatsRequest asks for per-band statistics and histograms of a mosaic's
// pixels in an area (an orb.Bound, orb.Polygon or orb.MultiPolygon in SRS),
// drawn on a grid of PixelSize cells whose edges fall on Origin plus whole
// multiples of it. A cell counts when its centre lies in the area.
type StatsRequest struct {
	Sources   []RenderSource // bottom first
	Geometry  orb.Geometry
	SRS       SpatialRef
	PixelSize float64
	Origin    orb.Point
	MaxPixels int
	// Bins is the histogram size (256 when zero). Ranges, when set, fixes
	// each band's histogram range; otherwise it is -0.5 to 255.5 for 8-bit
	// data, else the data's range widened by half a bin on each side (the
	// default histogram of GDAL).
	Bins   int
	Ranges [][2]float64
}

// StatsResult holds one BandSummary per band, and the size of the grid
// they were computed on.
type StatsResult struct {
	Bands         []BandSummary
	Width, Height int
}

// BandSummary is one band's statistics over an area's valid pixels. With
// Count zero every other field is zero.
type BandSummary struct {
	Count               int64
	Min, Max, Sum, Mean float64
	StdDev              float64 // population standard deviation
	Median, Mode        float64 // centres of the histogram bins holding them
	Histogram           Histogram
}

// Histogram counts values in len(Counts) equal bins between Min and Max,
// the outer edges of the first and last bins.
type Histogram struct {
	Min, Max float64
	Counts   []int64
}
