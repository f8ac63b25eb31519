package raster

import (
	"context"
	"fmt"
	"math"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/planar"
)

// DefaultAreaSamples is how many locations Samples takes from an area when
// the request sets no SampleCount, as ArcGIS does.
const DefaultAreaSamples = 100

// SampleRequest asks for a mosaic's pixel values at sample locations.
type SampleRequest struct {
	// Sources are the mosaic's items, bottom first as in RenderRequest.
	Sources []string
	// Geometry, in SRS, holds the locations: an orb.Point or
	// orb.MultiPoint (sampled as they are), an orb.LineString or
	// orb.MultiLineString, or an area (orb.Polygon, orb.MultiPolygon,
	// orb.Bound).
	Geometry orb.Geometry
	SRS      SRS
	// SampleDistance samples lines every that many SRS units from the
	// start of each line (the end is sampled too).
	SampleDistance float64
	// SampleCount samples lines at about that many locations evenly spread
	// along them, and areas at about that many locations on a square
	// lattice inside them (DefaultAreaSamples for areas when zero). Without
	// SampleDistance or SampleCount, a line is sampled at its vertices.
	SampleCount int
	// AllValues returns a sample for every source with data at each
	// location, top first, instead of only the one seen there.
	AllValues bool
	// MaxSamples bounds the locations (DefaultMaxSamples when zero); more
	// fail with a *LimitError.
	MaxSamples int
}

// Sample is one source's pixel at one location.
type Sample struct {
	// Location, in SRS, is the sampled location; LocationID numbers the
	// locations from zero in the order the geometry gives them.
	Location   orb.Point
	LocationID int
	// Source indexes SampleRequest.Sources; -1 when no source has data
	// here (then Values is nil).
	Source int
	// Values holds the source's pixel, one value per band, read as
	// Identify reads it.
	Values []float64
	// Resolution is the source's cell size (mean of x and y) in the units
	// of its own spatial reference.
	Resolution float64
}

// Samples reads the mosaic at the locations the request describes. By
// default each location gives one sample, from the source seen there (or
// none, with Source -1). It checks ctx between sources and is safe for
// concurrent use.
func Samples(ctx context.Context, r SampleRequest) ([]Sample, error) {
	s, err := samples(ctx, r)
	if err != nil {
		return nil, fmt.Errorf("raster: samples: %w", err)
	}
	return s, nil
}

func samples(ctx context.Context, r SampleRequest) ([]Sample, error) {
	setup()
	if _, err := r.SRS.gdalDefinition(); err != nil {
		return nil, err
	}
	limit := r.MaxSamples
	if limit <= 0 {
		limit = DefaultMaxSamples
	}
	pts, err := SampleLocations(r.Geometry, r.SampleDistance, r.SampleCount, limit)
	if err != nil {
		return nil, err
	}
	vals := make([][]pointValue, len(r.Sources))
	for i, path := range r.Sources {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		if vals[i], err = readPoints(ctx, path, r.SRS, pts); err != nil {
			return nil, fmt.Errorf("source %d: %w", i, err)
		}
	}
	var out []Sample
	for j, p := range pts {
		found := false
		for i := len(r.Sources) - 1; i >= 0; i-- {
			v := vals[i][j]
			if v.values == nil {
				continue
			}
			out = append(out, Sample{Location: p, LocationID: j, Source: i, Values: v.values, Resolution: v.resolution})
			found = true
			if !r.AllValues {
				break
			}
		}
		if !found {
			out = append(out, Sample{Location: p, LocationID: j, Source: -1})
		}
	}
	return out, nil
}

// SampleLocations returns the locations Samples reads for a geometry (see
// SampleRequest), or a *LimitError when there would be more than limit.
func SampleLocations(g orb.Geometry, distance float64, count, limit int) ([]orb.Point, error) {
	if distance < 0 || math.IsNaN(distance) || math.IsInf(distance, 0) {
		return nil, invalidf("sample distance %g: expected a positive number", distance)
	}
	if count < 0 {
		return nil, invalidf("sample count %d: expected a positive number", count)
	}
	tooMany := func(n float64) error {
		return &LimitError{What: "sample locations", Requested: int64(min(n, math.MaxInt64/2)), Limit: int64(limit)}
	}
	var pts []orb.Point
	switch g := g.(type) {
	case orb.Point:
		pts = []orb.Point{g}
	case orb.MultiPoint:
		pts = append(pts, g...)
	case orb.LineString:
		return sampleLines(orb.MultiLineString{g}, distance, count, limit)
	case orb.MultiLineString:
		return sampleLines(g, distance, count, limit)
	case orb.Bound, orb.Polygon, orb.MultiPolygon:
		if count == 0 {
			count = DefaultAreaSamples
		}
		if count > limit {
			return nil, tooMany(float64(count))
		}
		if pts = sampleArea(g, count); len(pts) > limit {
			pts = pts[:limit]
		}
	case nil:
		return nil, invalidf("no geometry")
	default:
		return nil, invalidf("unsupported geometry %s", g.GeoJSONType())
	}
	if len(pts) > limit {
		return nil, tooMany(float64(len(pts)))
	}
	return pts, nil
}

// sampleLines places samples along lines: every distance units, at count
// evenly spread locations, or at the vertices.
func sampleLines(ml orb.MultiLineString, distance float64, count, limit int) ([]orb.Point, error) {
	total := 0.0
	for _, ls := range ml {
		total += planar.Length(ls)
	}
	var pts []orb.Point
	switch {
	case distance > 0:
		n := 0.0
		for _, ls := range ml {
			n += math.Floor(planar.Length(ls)/distance) + 2
		}
		if n > float64(limit) {
			return nil, &LimitError{What: "sample locations", Requested: int64(min(n, math.MaxInt64/2)), Limit: int64(limit)}
		}
		for _, ls := range ml {
			pts = append(pts, along(ls, distance)...)
		}
	case count > 0:
		if count > limit {
			return nil, &LimitError{What: "sample locations", Requested: int64(count), Limit: int64(limit)}
		}
		if count == 1 || total == 0 {
			if len(ml) > 0 && len(ml[0]) > 0 {
				pts = append(pts, ml[0][0])
			}
			break
		}
		step := total / float64(count-1)
		for _, ls := range ml {
			pts = append(pts, along(ls, step)...)
		}
	default:
		for _, ls := range ml {
			pts = append(pts, ls...)
		}
		if len(pts) > limit {
			return nil, &LimitError{What: "sample locations", Requested: int64(len(pts)), Limit: int64(limit)}
		}
	}
	return pts, nil
}

// along returns points every step along ls from its start, and its end.
func along(ls orb.LineString, step float64) []orb.Point {
	if len(ls) == 0 {
		return nil
	}
	out := []orb.Point{ls[0]}
	next := step // distance from the start of the line to the next sample
	pos := 0.0   // distance from the start to the current vertex
	for i := 1; i < len(ls); i++ {
		a, b := ls[i-1], ls[i]
		l := math.Hypot(b[0]-a[0], b[1]-a[1])
		for next < pos+l-1e-9*step {
			t := (next - pos) / l
			out = append(out, orb.Point{a[0] + t*(b[0]-a[0]), a[1] + t*(b[1]-a[1])})
			next += step
		}
		pos += l
	}
	if last := ls[len(ls)-1]; out[len(out)-1] != last {
		out = append(out, last)
	}
	return out
}

// sampleArea places about count samples on a square lattice inside an
// area: the centres of cells of side sqrt(area/count) whose centre lies
// inside, in rows from the top.
func sampleArea(g orb.Geometry, count int) []orb.Point {
	b := g.Bound()
	area := planar.Area(g)
	if !(area > 0) {
		return []orb.Point{b.Center()}
	}
	bw, bh := b.Max[0]-b.Min[0], b.Max[1]-b.Min[1]
	// A thin, slanted area has a bound far larger than itself: never scan
	// more than 64 lattice cells per sample.
	cell := max(math.Sqrt(area/float64(count)), math.Sqrt(bw*bh/float64(64*count)))
	w := max(1, int(math.Round(bw/cell)))
	h := max(1, int(math.Round(bh/cell)))
	cw, ch := bw/float64(w), bh/float64(h)
	var pts []orb.Point
	for row := range h {
		y := b.Max[1] - (float64(row)+0.5)*ch
		for col := range w {
			p := orb.Point{b.Min[0] + (float64(col)+0.5)*cw, y}
			if contains(g, p) && len(pts) < 2*count {
				pts = append(pts, p)
			}
		}
	}
	if len(pts) == 0 {
		c, _ := planar.CentroidArea(g)
		pts = []orb.Point{c}
	}
	return pts
}

func contains(g orb.Geometry, p orb.Point) bool {
	switch g := g.(type) {
	case orb.Bound:
		return g.Contains(p)
	case orb.Polygon:
		return planar.PolygonContains(g, p)
	case orb.MultiPolygon:
		return planar.MultiPolygonContains(g, p)
	}
	return false
}
