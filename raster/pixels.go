package raster

import (
	"context"
	"errors"
	"fmt"
	"math"

	"github.com/airbusgeo/godal"
	"github.com/paulmach/orb"
	"github.com/paulmach/orb/planar"
)

// DefaultMaxPixels bounds the grid that Identify over an area and
// ComputeStatistics draw when the request sets no MaxPixels: 2048×2048
// cells, which hold at most 32 MiB per band of 64-bit pixels.
const DefaultMaxPixels = 2048 * 2048

// DefaultMaxSamples bounds the locations Samples reads when the request
// sets no MaxSamples: ArcGIS's default of 1000.
const DefaultMaxSamples = 1000

// InputError reports a request the parameters of which cannot be used (an
// unsupported geometry, a pixel size of zero…), as opposed to a failure
// to read the sources. Its message names no file and may be shown to
// clients.
type InputError struct{ Message string }

func (e *InputError) Error() string { return e.Message }

// invalidf returns an *InputError.
func invalidf(format string, args ...any) error {
	return &InputError{fmt.Sprintf(format, args...)}
}

// LimitError reports a request that would read more than its bound allows.
type LimitError struct {
	What      string // "pixels" or "sample locations"
	Requested int64
	Limit     int64
}

func (e *LimitError) Error() string {
	return fmt.Sprintf("%d %s requested, at most %d allowed", e.Requested, e.What, e.Limit)
}

// IdentifyRequest asks what a mosaic holds at a point or over an area.
type IdentifyRequest struct {
	// Sources are the mosaic's items, bottom first as in RenderRequest: where
	// several hold data, the last of them is the one seen.
	Sources []string
	// Geometry, in SRS, is an orb.Point, or an area: orb.Polygon,
	// orb.MultiPolygon or orb.Bound.
	Geometry orb.Geometry
	SRS      SRS
	// PixelSize is the cell size, in SRS units, of the grid over which the
	// visibilities of an area are counted. Required for areas.
	PixelSize float64
	// Origin anchors that grid: cell edges fall on Origin plus whole
	// multiples of PixelSize. The zero value anchors it at (0, 0).
	Origin orb.Point
	// MaxPixels bounds that grid (DefaultMaxPixels when zero); a larger one
	// fails with a *LimitError.
	MaxPixels int
}

// IdentifyResult is what a mosaic holds at a location.
type IdentifyResult struct {
	// Location, in SRS, is where the values were read: the point, or the
	// centroid of the area.
	Location orb.Point
	// Values holds the mosaic's value at Location, one per band, as read
	// from Source; nil when no source has data there.
	Values []float64
	// Source indexes Sources: the one seen at Location, or -1.
	Source int
	// Items holds one entry per source, in the order of Sources.
	Items []ItemValues
}

// ItemValues is what one mosaic source holds at an identified location.
type ItemValues struct {
	// Values holds the source's pixel at Location, one value per band; nil
	// when the source has no data there (outside it, or masked).
	Values []float64
	// Visibility is the share, from 0 to 1, of the identified location
	// where this source is the one seen: for a point 1 for the source of
	// the mosaic's value and 0 for the others, for an area the fraction of
	// its grid cells.
	Visibility float64
}

// Identify reads the mosaic's value and every source's value at a point, or
// at the centroid of an area, and how much of the location each source
// shows. Values are source pixels as stored, read as gdallocationinfo reads
// them: the pixel containing the location, in the source's own grid, with
// nodata, alpha and mask bands honoured (a pixel counts as data when any
// band holds data). Visibilities of an area are counted on the grid the
// request describes, warped as Render warps (nearest neighbour). Identify
// checks ctx between sources and is safe for concurrent use.
func Identify(ctx context.Context, r IdentifyRequest) (*IdentifyResult, error) {
	res, err := identifyMosaic(ctx, r)
	if err != nil {
		return nil, fmt.Errorf("raster: identify: %w", err)
	}
	return res, nil
}

func identifyMosaic(ctx context.Context, r IdentifyRequest) (*IdentifyResult, error) {
	setup()
	var (
		loc  orb.Point
		area orb.Geometry
	)
	switch g := r.Geometry.(type) {
	case orb.Point:
		loc = g
	case orb.Polygon, orb.MultiPolygon, orb.Bound:
		area = g
		c, a := planar.CentroidArea(g)
		if !(a > 0) {
			return nil, invalidf("the area is empty")
		}
		loc = c
	case nil:
		return nil, invalidf("no geometry")
	default:
		return nil, invalidf("unsupported geometry %s: identify takes a point or an area", g.GeoJSONType())
	}
	if _, err := r.SRS.gdalDefinition(); err != nil {
		return nil, err
	}
	var g *grid
	if area != nil {
		var err error
		if g, err = newGrid(area, r.PixelSize, r.Origin, r.MaxPixels); err != nil {
			return nil, err
		}
	}
	res := &IdentifyResult{Location: loc, Source: -1, Items: make([]ItemValues, len(r.Sources))}
	for i, path := range r.Sources {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		vals, err := readPoints(ctx, path, r.SRS, []orb.Point{loc})
		if err != nil {
			return nil, fmt.Errorf("source %d: %w", i, err)
		}
		res.Items[i].Values = vals[0].values
		if vals[0].values != nil {
			res.Values, res.Source = vals[0].values, i
		}
	}
	if g == nil {
		if res.Source >= 0 {
			res.Items[res.Source].Visibility = 1
		}
		return res, nil
	}
	// Visibilities: walk the sources top first; each takes the cells it
	// covers that no source above it took.
	inside := g.mask(area)
	total := 0
	for _, in := range inside {
		if in {
			total++
		}
	}
	if total == 0 {
		return res, nil
	}
	taken := make([]bool, len(inside))
	for i := len(r.Sources) - 1; i >= 0; i-- {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		alpha, err := coverage(ctx, r.Sources[i], g, r.SRS)
		if err != nil {
			return nil, fmt.Errorf("source %d: %w", i, err)
		}
		n := 0
		for j, a := range alpha {
			if a != 0 && inside[j] && !taken[j] {
				taken[j] = true
				n++
			}
		}
		res.Items[i].Visibility = float64(n) / float64(total)
	}
	return res, nil
}

// coverage warps one source onto g and returns its alpha: non-zero where
// the source has data.
func coverage(ctx context.Context, path string, g *grid, srs SRS) ([]byte, error) {
	srsDef, err := srs.gdalDefinition()
	if err != nil {
		return nil, err
	}
	dst, err := warp(ctx, g.renderRequest([]string{path}, srs), srsDef, "near", "")
	if err != nil {
		return nil, err
	}
	defer dst.Close()
	bands := dst.Bands()
	alpha := make([]byte, g.w*g.h)
	if err := bands[len(bands)-1].Read(0, 0, alpha, g.w, g.h, quiet); err != nil {
		return nil, fmt.Errorf("read alpha: %w", err)
	}
	return alpha, nil
}

// pointValue is what one source holds at one point.
type pointValue struct {
	values     []float64 // nil: no data
	resolution float64   // the source's cell size, mean of x and y, in its SRS units
}

// readPoints reads the source's pixel under each point (given in srs).
func readPoints(ctx context.Context, path string, srs SRS, pts []orb.Point) ([]pointValue, error) {
	src, err := datasets.checkout(ctx, path)
	if err != nil {
		return nil, err
	}
	out, err := readPointsFrom(src.ds, srs, pts)
	if err != nil {
		datasets.discard(src)
		return nil, err
	}
	datasets.checkin(src)
	return out, nil
}

func readPointsFrom(ds *godal.Dataset, srs SRS, pts []orb.Point) ([]pointValue, error) {
	gt, err := ds.GeoTransform(quiet)
	if err != nil {
		return nil, ErrNoSRS
	}
	srcSRS, err := ParseSRS(ds.Projection())
	if err != nil {
		return nil, err
	}
	local := orb.MultiPoint(pts)
	if srs != srcSRS {
		g, err := Transform(orb.MultiPoint(pts), srs, srcSRS)
		if err != nil {
			return nil, err
		}
		local = g.(orb.MultiPoint)
	}
	inv, ok := invertGeoTransform(gt)
	if !ok {
		return nil, errors.New("the geotransform cannot be inverted")
	}
	st := ds.Structure()
	bands := ds.Bands()
	res := (math.Hypot(gt[1], gt[4]) + math.Hypot(gt[2], gt[5])) / 2
	out := make([]pointValue, len(pts))
	one := make([]float64, 1)
	mask := make([]byte, 1)
	for i, p := range local {
		out[i].resolution = res
		col := math.Floor(inv[0] + inv[1]*p[0] + inv[2]*p[1])
		row := math.Floor(inv[3] + inv[4]*p[0] + inv[5]*p[1])
		if !(col >= 0 && row >= 0 && col < float64(st.SizeX) && row < float64(st.SizeY)) {
			continue
		}
		x, y := int(col), int(row)
		vals := make([]float64, len(bands))
		valid := false
		for b, band := range bands {
			if err := band.Read(x, y, one, 1, 1, quiet); err != nil {
				return nil, fmt.Errorf("read pixel %d,%d: %w", x, y, err)
			}
			vals[b] = one[0]
			if math.IsNaN(one[0]) {
				continue
			}
			if band.MaskFlags()&gmfAllValid != 0 {
				valid = true
				continue
			}
			if err := band.MaskBand().Read(x, y, mask, 1, 1, quiet); err != nil {
				return nil, fmt.Errorf("read mask %d,%d: %w", x, y, err)
			}
			if mask[0] != 0 {
				valid = true
			}
		}
		if valid {
			out[i].values = vals
		}
	}
	return out, nil
}

// invertGeoTransform inverts a geotransform, as GDALInvGeoTransform does.
func invertGeoTransform(gt [6]float64) ([6]float64, bool) {
	if gt[2] == 0 && gt[4] == 0 && gt[1] != 0 && gt[5] != 0 {
		return [6]float64{-gt[0] / gt[1], 1 / gt[1], 0, -gt[3] / gt[5], 0, 1 / gt[5]}, true
	}
	det := gt[1]*gt[5] - gt[2]*gt[4]
	if math.Abs(det) < 1e-15 {
		return [6]float64{}, false
	}
	inv := 1 / det
	return [6]float64{
		(gt[2]*gt[3] - gt[0]*gt[5]) * inv,
		gt[5] * inv,
		-gt[2] * inv,
		(-gt[1]*gt[3] + gt[0]*gt[4]) * inv,
		-gt[4] * inv,
		gt[1] * inv,
	}, true
}
