package raster

import (
	"context"
	"errors"
	"fmt"
	"math"
	"path/filepath"
	"strconv"

	"github.com/airbusgeo/godal"
	"github.com/paulmach/orb"
)

// BandStats are one band's statistics.
type BandStats struct {
	Min, Max, Mean, Std float64
}

// Info describes a raster as its header reports it, plus what the options
// of Inspect ask for.
type Info struct {
	Path, Driver         string
	Width, Height, Bands int
	// PixelType is the Esri pixel type of band 1: U1 U2 U4 U8 S8 U16 S16
	// U32 S32 F32 F64 C64 C128, or UNKNOWN.
	PixelType string
	NoData    *float64 // band 1; nil when none is defined
	SRS       SRS      // zero value only with AllowNoSRS
	// GeoTransform maps pixel/line to SRS coordinates, as GDAL defines it.
	GeoTransform         [6]float64
	CellSizeX, CellSizeY float64 // absolute, in SRS units
	Overviews            int     // band 1 overview count
	// CoarsestCellSize is the X cell size of the coarsest overview, or
	// CellSizeX when there is none.
	CoarsestCellSize float64
	Bounds           orb.Bound // in SRS
	// Footprint, in SRS, is the image outline: its four corners (rotation
	// aware) or, with ValidDataFootprint, the outline of the valid pixels.
	// The exterior ring comes first and is counter-clockwise, holes are
	// clockwise; rings are closed. It is empty when no pixel is valid.
	Footprint orb.Polygon
	// Metadata holds the default-domain metadata items, keyed as GDAL
	// reports them.
	Metadata map[string]string
	Stats    []BandStats // per band, only with Statistics
}

type inspectOptions struct {
	validFootprint bool
	stats          bool
	nodata         *float64
	allowNoSRS     bool
	maxSample      int
	listed         *Listing // what the caller's listing saw next to the raster
}

// InspectOption changes what Inspect computes.
type InspectOption func(*inspectOptions)

// ValidDataFootprint makes Inspect outline the valid pixels (honouring
// nodata, alpha and mask bands) instead of returning the image corners. The
// mask is read at reduced resolution (at most 512 pixels a side, from an
// overview when one fits), polygonized and simplified to within two reduced
// pixels. When the valid area has several parts, the largest is kept; holes
// smaller than 2% of it are dropped.
func ValidDataFootprint() InspectOption {
	return func(o *inspectOptions) { o.validFootprint = true }
}

// Statistics makes Inspect compute approximate per-band statistics from a
// reduced-resolution read. They are computed in memory and never written.
func Statistics() InspectOption {
	return func(o *inspectOptions) { o.stats = true }
}

// NoData overrides the nodata value of every band (ArcGIS's defineNodata).
// Info.NoData reports v, and footprints and statistics ignore pixels whose
// bands all equal v.
func NoData(v float64) InspectOption {
	return func(o *inspectOptions) { o.nodata = &v }
}

// AllowNoSRS makes Inspect succeed on a raster without a spatial reference
// or geotransform, reporting a zero SRS (and GDAL's default geotransform
// when there is none). Without it such a raster fails with ErrNoSRS.
func AllowNoSRS() InspectOption {
	return func(o *inspectOptions) { o.allowNoSRS = true }
}

// Listing is what a caller saw in one directory when it listed it: the
// directory's resolved path, and which of its entries could be sidecars
// (external overviews, masks, world files). An ingest that walks a folder
// makes one per directory and hands it to Inspect (Listed), which then
// finds a raster's sidecars without asking the file system about each
// candidate name.
type Listing struct {
	dir   string
	names map[string]struct{}
}

// NewListing starts the listing of dir, a resolved directory path.
func NewListing(dir string) *Listing { return &Listing{dir: filepath.Clean(dir)} }

// Add records an entry of the directory (its base name). Names that cannot
// be sidecars are not kept, so that a listing of a large folder of rasters
// stays small.
func (l *Listing) Add(name string) {
	if !mayBeSidecar(name) {
		return
	}
	if l.names == nil {
		l.names = map[string]struct{}{}
	}
	l.names[name] = struct{}{}
}

// Dir is the directory listed.
func (l *Listing) Dir() string { return l.dir }

// has reports whether the listing saw name.
func (l *Listing) has(name string) bool {
	_, ok := l.names[name]
	return ok
}

// Listed tells Inspect that the caller listed the raster's directory: a
// sidecar is looked for among the names l saw rather than by asking the
// file system for each candidate name. Every sidecar found is still
// checked against the data stores as it would be without the option. A
// raster that resolves into another directory than l's is looked at as
// without the option. A sidecar created after the listing is not seen, as
// with GDAL's own cache of directory listings.
func Listed(l *Listing) InspectOption {
	return func(o *inspectOptions) { o.listed = l }
}

// sampleSize is the longest side of the reduced-resolution read.
const sampleSize = 512

// Inspect opens the raster at path read-only and describes it. Without
// options it reads only the header. path may be a local file, an http(s)
// URL or its /vsicurl/ name, inside the data stores of ctx (WithStores).
//
// Errors wrap ErrNoStores, ErrNotInStore (for a missing file too),
// ErrForbiddenSource, ErrNotRaster for a file GDAL cannot read and ErrNoSRS
// for a raster without spatial reference. Inspect is safe for concurrent
// use.
func Inspect(ctx context.Context, path string, opts ...InspectOption) (*Info, error) {
	o := inspectOptions{maxSample: sampleSize}
	for _, opt := range opts {
		opt(&o)
	}
	ds, err := openSource(StoresFrom(ctx), path, o.listed)
	if err != nil {
		return nil, fmt.Errorf("raster: %w", err)
	}
	defer ds.Close()
	info, err := inspect(ds, path, &o)
	if err != nil {
		return nil, fmt.Errorf("raster: inspect %q: %w", path, err)
	}
	return info, nil
}

func inspect(ds *godal.Dataset, path string, o *inspectOptions) (*Info, error) {
	st := ds.Structure()
	if st.NBands == 0 {
		return nil, fmt.Errorf("%w: no raster bands", ErrNotRaster)
	}
	bands := ds.Bands()
	band1 := bands[0]
	info := &Info{
		Path:      path,
		Driver:    ds.Driver().ShortName(),
		Width:     st.SizeX,
		Height:    st.SizeY,
		Bands:     st.NBands,
		PixelType: esriPixelType(band1, st.DataType),
		Metadata:  ds.Metadatas(),
	}
	if info.Metadata == nil {
		info.Metadata = map[string]string{}
	}
	if o.nodata != nil {
		v := *o.nodata
		info.NoData = &v
	} else if v, ok := band1.NoData(); ok {
		info.NoData = &v
	}

	gt, gtErr := ds.GeoTransform(quiet)
	// The GeoKeys are read from the name GDAL opened (the checked, resolved
	// one), not from the name given, which is not opened again.
	srs, srsErr := datasetSRS(ds, ds.Description(), info.Driver)
	switch {
	case gtErr == nil && srsErr == nil:
	case !o.allowNoSRS && gtErr != nil:
		return nil, fmt.Errorf("%w: no geotransform", ErrNoSRS)
	case !o.allowNoSRS && errors.Is(srsErr, ErrNoSRS):
		return nil, srsErr
	case !o.allowNoSRS:
		return nil, fmt.Errorf("%w: %w", ErrNoSRS, srsErr)
	default:
		if gtErr != nil {
			gt = [6]float64{0, 1, 0, 0, 0, 1}
		}
		if srsErr != nil {
			srs = SRS{}
		}
	}
	info.SRS = srs
	info.GeoTransform = gt
	info.CellSizeX = math.Hypot(gt[1], gt[4])
	info.CellSizeY = math.Hypot(gt[2], gt[5])

	info.CoarsestCellSize = info.CellSizeX
	ovs := band1.Overviews()
	info.Overviews = len(ovs)
	for _, ov := range ovs {
		if w := ov.Structure().SizeX; w > 0 {
			if c := info.CellSizeX * float64(info.Width) / float64(w); c > info.CoarsestCellSize {
				info.CoarsestCellSize = c
			}
		}
	}

	info.Footprint = cornerFootprint(gt, info.Width, info.Height)
	info.Bounds = info.Footprint.Bound()

	if !o.validFootprint && !o.stats {
		return info, nil
	}
	s, err := readSample(ds, bands, st, o)
	if err != nil {
		return nil, err
	}
	if o.stats {
		info.Stats = s.stats()
	}
	if o.validFootprint && !s.allValid {
		fp, err := s.footprint(gt, info.Width, info.Height)
		if err != nil {
			return nil, err
		}
		info.Footprint = fp
		if len(fp) > 0 {
			info.Bounds = fp.Bound()
		}
	}
	return info, nil
}

// cornerFootprint is the polygon through the four image corners.
func cornerFootprint(gt [6]float64, w, h int) orb.Polygon {
	at := func(px, py float64) orb.Point {
		return orb.Point{gt[0] + px*gt[1] + py*gt[2], gt[3] + px*gt[4] + py*gt[5]}
	}
	fw, fh := float64(w), float64(h)
	ring := orb.Ring{at(0, 0), at(0, fh), at(fw, fh), at(fw, 0), at(0, 0)}
	return normalizeOrientation(orb.Polygon{ring})
}

// normalizeOrientation makes the exterior ring counter-clockwise and holes
// clockwise (GeoJSON's right-hand rule).
func normalizeOrientation(p orb.Polygon) orb.Polygon {
	for i, r := range p {
		want := orb.CCW
		if i > 0 {
			want = orb.CW
		}
		if o := r.Orientation(); o != 0 && o != want {
			r.Reverse()
		}
	}
	return p
}

// esriPixelType maps a GDAL data type (and, for bytes, the NBITS and
// PIXELTYPE band metadata) to its Esri name.
func esriPixelType(band godal.Band, dt godal.DataType) string {
	switch dt {
	case godal.Byte:
		if band.Metadata("PIXELTYPE", godal.Domain("IMAGE_STRUCTURE")) == "SIGNEDBYTE" {
			return "S8"
		}
		switch n, _ := strconv.Atoi(band.Metadata("NBITS", godal.Domain("IMAGE_STRUCTURE"))); n {
		case 1:
			return "U1"
		case 2:
			return "U2"
		case 4:
			return "U4"
		}
		return "U8"
	case godal.Int8:
		return "S8"
	case godal.UInt16:
		return "U16"
	case godal.Int16:
		return "S16"
	case godal.UInt32:
		return "U32"
	case godal.Int32:
		return "S32"
	case godal.Float32:
		return "F32"
	case godal.Float64:
		return "F64"
	case godal.CFloat32:
		return "C64"
	case godal.CFloat64:
		return "C128"
	}
	return "UNKNOWN"
}

// gdalDataType maps an Esri pixel type to the GDAL type name used by -ot.
func gdalDataType(esri string) (string, error) {
	switch esri {
	case "U1", "U2", "U4", "U8":
		return "Byte", nil
	case "S8":
		return "Int16", nil // GDAL 3.6 has no Int8; Int16 holds every S8 value
	case "U16":
		return "UInt16", nil
	case "S16":
		return "Int16", nil
	case "U32":
		return "UInt32", nil
	case "S32":
		return "Int32", nil
	case "F32":
		return "Float32", nil
	case "F64":
		return "Float64", nil
	case "C64":
		return "CFloat32", nil
	case "C128":
		return "CFloat64", nil
	}
	return "", fmt.Errorf("unknown pixel type %q", esri)
}
