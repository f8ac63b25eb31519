package mosaic

import (
	"context"

	"github.com/paulmach/orb"
)

// Renderer draws mosaics. Package raster implements it with GDAL.
type Renderer interface {
	// Render draws r's sources into an encoded image.
	Render(ctx context.Context, r RenderRequest) (*Image, error)
}

// RenderRequest asks for a mosaic of sources drawn into a grid.
type RenderRequest struct {
	Sources    []RenderSource // bottom first: later sources draw over earlier ones
	Bound      orb.Bound      // in SRS
	SRS        SpatialRef
	Width      int
	Height     int
	Format     string   // png, png8, png24, png32, jpg, jpgpng, tiff, or raw: lerc, bip, bsq
	PixelType  string   // Esri pixel type of the output; "" keeps the sources'
	NoData     *float64 // output nodata
	Resampling string   // nearest, bilinear, cubic, mode
	BandIDs    []int    // zero-based source bands to output; nil = first 3 (or 1), every band for raw formats
	LercCodec  int      // Lerc2 codec version for lerc, 2 to 6; 0 = the renderer's default
	Tolerance  float64  // largest error per pixel lerc may introduce; 0 = lossless
}

// RenderSource is one item to draw.
type RenderSource struct {
	OID    int64
	Path   string
	Raster RasterInfo
}

// Image is encoded image bytes.
type Image struct {
	Data        []byte
	ContentType string
	Extension   string // without dot: png, jpg, tif
}

// Projector transforms geometries between spatial references.
type Projector interface {
	// Project returns g transformed from one reference to another. An
	// unknown reference returns EINVALID.
	Project(g orb.Geometry, from, to SpatialRef) (orb.Geometry, error)
}
