package raster

import (
	"fmt"
	"math"

	"github.com/airbusgeo/godal"
	"github.com/paulmach/orb"
	"github.com/paulmach/orb/encoding/wkb"
	"github.com/paulmach/orb/planar"
	"github.com/paulmach/orb/simplify"
)

// GDAL mask flags (RFC 15).
const (
	gmfAllValid = 0x01
	gmfNoData   = 0x08
)

// simplifyPixels is the Douglas-Peucker tolerance for valid-data
// footprints, in reduced-resolution pixels: enough to turn the staircase of
// a slanted edge into a straight line.
const simplifyPixels = 2

// minHoleFraction is the smallest hole, relative to its polygon, that a
// valid-data footprint keeps.
const minHoleFraction = 0.02

// sample is a reduced-resolution read of a raster.
type sample struct {
	w, h     int
	bands    [][]float64 // one slice per band; nil when not read
	valid    []bool      // nil when every pixel is valid
	allValid bool
}

func isFloat(dt godal.DataType) bool {
	switch dt {
	case godal.Float32, godal.Float64, godal.CFloat32, godal.CFloat64:
		return true
	}
	return false
}

// readSample reads the raster at most o.maxSample pixels a side (GDAL picks
// a fitting overview) and works out which pixels hold valid data.
func readSample(ds *godal.Dataset, bands []godal.Band, st godal.DatasetStructure, o *inspectOptions) (*sample, error) {
	W, H := st.SizeX, st.SizeY
	f := (max(W, H) + o.maxSample - 1) / o.maxSample
	f = max(f, 1)
	s := &sample{w: (W + f - 1) / f, h: (H + f - 1) / f}
	n := s.w * s.h
	flags := bands[0].MaskFlags()
	noDataMask := o.nodata != nil || flags&gmfNoData != 0
	if o.stats || noDataMask || isFloat(st.DataType) {
		buf := make([]float64, n*len(bands))
		err := ds.Read(0, 0, buf, s.w, s.h, godal.Window(W, H), godal.BandInterleaved(),
			godal.Resampling(godal.Nearest), quiet)
		if err != nil {
			return nil, fmt.Errorf("read pixels: %w", err)
		}
		for b := range bands {
			s.bands = append(s.bands, buf[b*n:(b+1)*n])
		}
	}

	invalid := make([]bool, n)
	nInvalid := 0
	switch {
	case noDataMask:
		nd := make([]*float64, len(bands))
		for b, band := range bands {
			if o.nodata != nil {
				nd[b] = o.nodata
			} else if v, ok := band.NoData(); ok {
				nd[b] = &v
			}
		}
		for i := range n {
			if allBands(s.bands, i, func(b int, v float64) bool {
				return math.IsNaN(v) || (nd[b] != nil && (v == *nd[b] || math.IsNaN(*nd[b]) && math.IsNaN(v)))
			}) {
				invalid[i] = true
				nInvalid++
			}
		}
	case flags&gmfAllValid == 0: // alpha band or mask band
		mask := make([]uint8, n)
		err := bands[0].MaskBand().Read(0, 0, mask, s.w, s.h, godal.Window(W, H),
			godal.Resampling(godal.Nearest), quiet)
		if err != nil {
			return nil, fmt.Errorf("read mask: %w", err)
		}
		for i, m := range mask {
			if m == 0 {
				invalid[i] = true
				nInvalid++
			}
		}
	}
	if s.bands != nil && isFloat(st.DataType) { // NaN is never data
		for i := range n {
			if !invalid[i] && allBands(s.bands, i, func(_ int, v float64) bool { return math.IsNaN(v) }) {
				invalid[i] = true
				nInvalid++
			}
		}
	}
	s.allValid = nInvalid == 0
	if !s.allValid {
		s.valid = make([]bool, n)
		for i, bad := range invalid {
			s.valid[i] = !bad
		}
	}
	return s, nil
}

func allBands(bands [][]float64, i int, pred func(b int, v float64) bool) bool {
	for b := range bands {
		if !pred(b, bands[b][i]) {
			return false
		}
	}
	return true
}

// stats computes per-band statistics over valid, non-NaN pixels.
func (s *sample) stats() []BandStats {
	out := make([]BandStats, len(s.bands))
	for b, px := range s.bands {
		var cnt int
		var sum, sumSq float64
		lo, hi := math.Inf(1), math.Inf(-1)
		for i, v := range px {
			if (s.valid != nil && !s.valid[i]) || math.IsNaN(v) {
				continue
			}
			cnt++
			sum += v
			sumSq += v * v
			lo, hi = min(lo, v), max(hi, v)
		}
		if cnt == 0 {
			continue
		}
		mean := sum / float64(cnt)
		out[b] = BandStats{Min: lo, Max: hi, Mean: mean, Std: math.Sqrt(max(sumSq/float64(cnt)-mean*mean, 0))}
	}
	return out
}

// footprint outlines the valid pixels: GDAL polygonizes the reduced mask,
// the largest part is kept and simplified to within one reduced pixel.
func (s *sample) footprint(gt [6]float64, W, H int) (orb.Polygon, error) {
	found := false
	mask := make([]uint8, len(s.valid))
	for i, v := range s.valid {
		if v {
			mask[i] = 1
			found = true
		}
	}
	if !found {
		return nil, nil
	}
	sx, sy := float64(W)/float64(s.w), float64(H)/float64(s.h)
	rgt := [6]float64{gt[0], gt[1] * sx, gt[2] * sy, gt[3], gt[4] * sx, gt[5] * sy}

	parts, err := polygonize(mask, s.w, s.h, rgt)
	if err != nil {
		return nil, fmt.Errorf("polygonize valid data: %w", err)
	}
	if len(parts) == 0 {
		return nil, nil
	}
	best, bestArea := parts[0], -1.0
	for _, p := range parts {
		if a := math.Abs(planar.Area(p[0])); a > bestArea {
			best, bestArea = p, a
		}
	}
	kept := orb.Polygon{best[0]}
	for _, hole := range best[1:] {
		if math.Abs(planar.Area(hole)) >= minHoleFraction*bestArea {
			kept = append(kept, hole)
		}
	}
	tol := simplifyPixels * math.Hypot(rgt[1], rgt[4])
	simple := orb.Polygon{}
	for i, r := range kept {
		sr := simplify.DouglasPeucker(tol).Ring(r.Clone())
		switch {
		case len(sr) >= 4:
			simple = append(simple, sr)
		case i == 0:
			simple = append(simple, r)
		}
	}
	return normalizeOrientation(simple), nil
}

// polygonize turns a 0/1 mask into the polygons of its 1-regions, in the
// coordinates of gt.
func polygonize(mask []uint8, w, h int, gt [6]float64) ([]orb.Polygon, error) {
	mem, err := godal.Create(godal.Memory, "", 1, godal.Byte, w, h, quiet)
	if err != nil {
		return nil, err
	}
	defer mem.Close()
	if err := mem.SetGeoTransform(gt, quiet); err != nil {
		return nil, err
	}
	band := mem.Bands()[0]
	if err := band.Write(0, 0, mask, w, h, quiet); err != nil {
		return nil, err
	}
	vds, err := godal.CreateVector(godal.Memory, "", quiet)
	if err != nil {
		return nil, err
	}
	defer vds.Close()
	layer, err := vds.CreateLayer("valid", nil, godal.GTPolygon,
		godal.NewFieldDefinition("v", godal.FTInt), quiet)
	if err != nil {
		return nil, err
	}
	if err := band.Polygonize(layer, godal.Mask(band), godal.PixelValueFieldIndex(0), quiet); err != nil {
		return nil, err
	}
	var out []orb.Polygon
	layer.ResetReading()
	for f := layer.NextFeature(); f != nil; f = layer.NextFeature() {
		b, err := f.Geometry().WKB(quiet)
		f.Close()
		if err != nil {
			return nil, err
		}
		g, err := wkb.Unmarshal(b)
		if err != nil {
			return nil, err
		}
		switch g := g.(type) {
		case orb.Polygon:
			out = append(out, g)
		case orb.MultiPolygon:
			out = append(out, g...)
		}
	}
	return out, nil
}
