package raster

import (
	"context"
	"fmt"
	"math"

	"github.com/airbusgeo/godal"
	"github.com/paulmach/orb"
)

// DefaultBins is the histogram size when a StatsRequest sets none.
const DefaultBins = 256

// StatsRequest asks for per-band statistics and histograms of a mosaic's
// pixels over an area.
type StatsRequest struct {
	// Sources are the mosaic's items, bottom first as in RenderRequest.
	Sources []string
	// Geometry, in SRS, is the area whose pixels count: an orb.Bound,
	// orb.Polygon or orb.MultiPolygon. A cell counts when its centre lies
	// inside.
	Geometry orb.Geometry
	SRS      SRS
	// PixelSize is the cell size of the grid the mosaic is drawn on, in SRS
	// units; cell edges fall on Origin plus whole multiples of it.
	PixelSize float64
	Origin    orb.Point
	// MaxPixels bounds the grid (DefaultMaxPixels when zero); a larger one
	// fails with a *LimitError.
	MaxPixels int
	// Bins is the number of histogram bins (DefaultBins when zero).
	Bins int
	// Ranges, when set, fixes each band's histogram range (the outer edges
	// of the first and last bins), so that histograms of several requests
	// add up; values outside are not counted. Otherwise the range is GDAL's
	// default histogram range: -0.5 to 255.5 for bytes, else the data's
	// minimum and maximum widened by half a bin on each side.
	Ranges [][2]float64
}

// StatsResult holds one BandSummary per band of the mosaic (the bands of
// its bottom source), and the grid they were computed on.
type StatsResult struct {
	Bands         []BandSummary
	Width, Height int       // grid size in cells
	Bound         orb.Bound // grid edges, in SRS
}

// BandSummary is one band's statistics over the valid pixels of an area.
// With Count zero, every other field is zero.
type BandSummary struct {
	Count                int64
	Min, Max, Sum, Mean  float64
	StdDev               float64 // population standard deviation, as gdalinfo -stats
	Median, Mode         float64 // centres of the histogram bins holding them
	Histogram            Histogram
	HistogramOutOfRanges int64 // values outside a fixed range, not counted
}

// Histogram counts values in len(Counts) equal bins from Min to Max (the
// outer bin edges). A value v falls in bin floor((v-Min)*len(Counts)/(Max-Min)),
// as in GDALGetRasterHistogramEx.
type Histogram struct {
	Min, Max float64
	Counts   []int64
}

// ComputeStatistics draws the mosaic on the request's grid, as Render does with
// nearest-neighbour resampling, and computes each band's statistics and
// histogram over the valid pixels (those some source covers with data)
// whose centre lies in the area. On a grid aligned with a source's pixels,
// the results equal those of gdalinfo -stats -hist on the same pixels. It
// checks ctx between sources and is safe for concurrent use.
func ComputeStatistics(ctx context.Context, r StatsRequest) (*StatsResult, error) {
	res, err := statistics(ctx, r)
	if err != nil {
		return nil, fmt.Errorf("raster: statistics: %w", err)
	}
	return res, nil
}

func statistics(ctx context.Context, r StatsRequest) (*StatsResult, error) {
	setup()
	switch r.Geometry.(type) {
	case orb.Bound, orb.Polygon, orb.MultiPolygon:
	case nil:
		return nil, invalidf("no geometry")
	default:
		return nil, invalidf("unsupported geometry %s: statistics take an area", r.Geometry.GeoJSONType())
	}
	bins := r.Bins
	if bins == 0 {
		bins = DefaultBins
	}
	if bins < 1 || bins > 65536 {
		return nil, invalidf("%d histogram bins, expected 1 to 65536", bins)
	}
	srsDef, err := r.SRS.gdalDefinition()
	if err != nil {
		return nil, err
	}
	g, err := newGrid(r.Geometry, r.PixelSize, r.Origin, r.MaxPixels)
	if err != nil {
		return nil, err
	}
	res := &StatsResult{Width: g.w, Height: g.h, Bound: g.bound}
	if len(r.Sources) == 0 {
		return res, nil
	}
	dst, err := warp(ctx, g.renderRequest(r.Sources, r.SRS), srsDef, "near", "")
	if err != nil {
		return nil, err
	}
	defer dst.Close()
	inside := g.mask(r.Geometry)
	bands := dst.Bands()
	nb := len(bands) - 1 // the last band is alpha
	if r.Ranges != nil && len(r.Ranges) != nb {
		return nil, invalidf("%d histogram ranges for %d bands", len(r.Ranges), nb)
	}
	isByte := dst.Structure().DataType == godal.Byte

	// Pass 1: count, sum, minimum and maximum.
	acc := make([]bandAcc, nb)
	for i := range acc {
		acc[i].min, acc[i].max = math.Inf(1), math.Inf(-1)
	}
	err = eachChunk(dst, g, inside, func(b int, v float64) {
		a := &acc[b]
		a.n++
		a.sum += v
		a.min, a.max = min(a.min, v), max(a.max, v)
	})
	if err != nil {
		return nil, err
	}
	// Pass 2: squared deviations and histograms.
	for b := range acc {
		a := &acc[b]
		if a.n == 0 {
			continue
		}
		a.mean = a.sum / float64(a.n)
		switch {
		case r.Ranges != nil:
			a.lo, a.hi = r.Ranges[b][0], r.Ranges[b][1]
		case isByte:
			a.lo, a.hi = -0.5, 255.5
		case a.max == a.min:
			a.lo, a.hi = a.min-0.5, a.max+0.5
		default:
			half := (a.max - a.min) / float64(2*max(bins-1, 1))
			a.lo, a.hi = a.min-half, a.max+half
		}
		if !(a.hi > a.lo) {
			return nil, invalidf("empty histogram range %g to %g", a.lo, a.hi)
		}
		a.counts = make([]int64, bins)
		a.scale = float64(bins) / (a.hi - a.lo)
	}
	err = eachChunk(dst, g, inside, func(b int, v float64) {
		a := &acc[b]
		d := v - a.mean
		a.m2 += d * d
		i := math.Floor((v - a.lo) * a.scale)
		if i < 0 || i >= float64(bins) {
			a.out++
			return
		}
		a.counts[int(i)]++
	})
	if err != nil {
		return nil, err
	}
	res.Bands = make([]BandSummary, nb)
	for b, a := range acc {
		if a.n == 0 {
			continue
		}
		s := BandSummary{Count: a.n, Min: a.min, Max: a.max, Sum: a.sum, Mean: a.mean,
			StdDev:               math.Sqrt(a.m2 / float64(a.n)),
			Histogram:            Histogram{Min: a.lo, Max: a.hi, Counts: a.counts},
			HistogramOutOfRanges: a.out}
		s.Median, s.Mode = s.Histogram.medianMode()
		res.Bands[b] = s
	}
	return res, nil
}

// bandAcc accumulates one band's statistics.
type bandAcc struct {
	n                   int64
	sum, min, max, mean float64
	m2                  float64
	lo, hi, scale       float64
	counts              []int64
	out                 int64
}

// chunkRows is how many grid rows eachChunk reads at a time.
const chunkRows = 256

// eachChunk calls fn for every valid value of every band of dst (a warped
// grid whose last band is alpha) in cells inside the area. NaN and
// infinite values do not count.
func eachChunk(dst *godal.Dataset, g *grid, inside []bool, fn func(b int, v float64)) error {
	bands := dst.Bands()
	nb := len(bands) - 1
	rows := min(chunkRows, g.h)
	buf := make([]float64, g.w*rows)
	alpha := make([]byte, g.w*rows)
	for y0 := 0; y0 < g.h; y0 += rows {
		n := min(rows, g.h-y0)
		if err := bands[nb].Read(0, y0, alpha[:g.w*n], g.w, n, quiet); err != nil {
			return fmt.Errorf("read alpha: %w", err)
		}
		for b := range nb {
			if err := bands[b].Read(0, y0, buf[:g.w*n], g.w, n, quiet); err != nil {
				return fmt.Errorf("read band %d: %w", b+1, err)
			}
			for i, v := range buf[:g.w*n] {
				if alpha[i] == 0 || !inside[y0*g.w+i] || math.IsNaN(v) || math.IsInf(v, 0) {
					continue
				}
				fn(b, v)
			}
		}
	}
	return nil
}

// medianMode returns the centres of the bins holding the median and the
// mode (the first of the fullest bins).
func (h Histogram) medianMode() (median, mode float64) {
	var total int64
	best := 0
	for i, c := range h.Counts {
		total += c
		if c > h.Counts[best] {
			best = i
		}
	}
	if total == 0 {
		return 0, 0
	}
	w := (h.Max - h.Min) / float64(len(h.Counts))
	centre := func(i int) float64 { return h.Min + (float64(i)+0.5)*w }
	var cum int64
	mi := len(h.Counts) - 1
	for i, c := range h.Counts {
		cum += c
		if 2*cum >= total {
			mi = i
			break
		}
	}
	return centre(mi), centre(best)
}
