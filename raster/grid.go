package raster

import (
	"math"
	"sort"

	"github.com/paulmach/orb"
)

// grid is a north-up raster grid over an area: cell (0,0) is the top left.
type grid struct {
	bound orb.Bound // outer edges, whole cells
	cell  float64
	w, h  int
}

// newGrid lays cells of size cell over the bound of area, with edges on
// origin plus whole multiples of cell, and checks the cell count against
// maxPixels (DefaultMaxPixels when zero).
func newGrid(area orb.Geometry, cell float64, origin orb.Point, maxPixels int) (*grid, error) {
	if !(cell > 0) || math.IsInf(cell, 0) {
		return nil, invalidf("a pixel size greater than zero is required")
	}
	if maxPixels <= 0 {
		maxPixels = DefaultMaxPixels
	}
	b := area.Bound()
	if !(b.Max[0] > b.Min[0] && b.Max[1] > b.Min[1]) {
		return nil, invalidf("the area is empty")
	}
	x0 := origin[0] + math.Floor((b.Min[0]-origin[0])/cell+1e-9)*cell
	x1 := origin[0] + math.Ceil((b.Max[0]-origin[0])/cell-1e-9)*cell
	y0 := origin[1] + math.Floor((b.Min[1]-origin[1])/cell+1e-9)*cell
	y1 := origin[1] + math.Ceil((b.Max[1]-origin[1])/cell-1e-9)*cell
	w, h := math.Round((x1-x0)/cell), math.Round((y1-y0)/cell)
	if n := w * h; n > float64(maxPixels) || math.IsNaN(n) {
		req := int64(math.MaxInt64)
		if n < float64(math.MaxInt64) {
			req = int64(n)
		}
		return nil, &LimitError{What: "pixels", Requested: req, Limit: int64(maxPixels)}
	}
	if w > MaxRenderSize || h > MaxRenderSize {
		return nil, &LimitError{What: "pixels", Requested: int64(w * h), Limit: int64(maxPixels)}
	}
	w, h = max(w, 1), max(h, 1)
	return &grid{bound: orb.Bound{Min: orb.Point{x0, y0}, Max: orb.Point{x0 + w*cell, y0 + h*cell}},
		cell: cell, w: int(w), h: int(h)}, nil
}

func (g *grid) renderRequest(sources []string, srs SRS) RenderRequest {
	return RenderRequest{Sources: sources, Bound: g.bound, SRS: srs, Width: g.w, Height: g.h}
}

// mask reports, for each cell, whether its centre lies inside area (an
// orb.Bound, orb.Polygon or orb.MultiPolygon) by the rule of gdal_rasterize
// without ALL_TOUCHED, which it follows step by step: in pixel
// coordinates, a scanline through the centres of a row meets the edges
// that span it (their top end included, the bottom one not), and the
// cells whose centre lies in (x1, x2] between each pair of crossings are
// inside. Rings combine by the even-odd rule, so holes are outside.
func (g *grid) mask(area orb.Geometry) []bool {
	in := make([]bool, g.w*g.h)
	var rings []orb.Ring
	switch a := area.(type) {
	case orb.Bound:
		rings = []orb.Ring{a.ToRing()}
	case orb.Polygon:
		rings = a
	case orb.MultiPolygon:
		for _, p := range a {
			rings = append(rings, p...)
		}
	}
	// vertices in pixel coordinates: x right, y down from the top left
	px := make([][]orb.Point, len(rings))
	for i, r := range rings {
		px[i] = make([]orb.Point, len(r))
		for j, p := range r {
			px[i][j] = orb.Point{(p[0] - g.bound.Min[0]) / g.cell, (g.bound.Max[1] - p[1]) / g.cell}
		}
	}
	var xs []float64
	for row := range g.h {
		y := float64(row) + 0.5
		xs = xs[:0]
		for _, r := range px {
			for i := range r {
				a, b := r[i], r[(i+1)%len(r)] // closes open rings; a closed ring adds a null edge
				if a[1] > b[1] {
					a, b = b, a
				}
				if !(y < b[1] && y >= a[1]) {
					continue
				}
				xs = append(xs, (y-a[1])*(b[0]-a[0])/(b[1]-a[1])+a[0])
			}
		}
		sort.Float64s(xs)
		for k := 0; k+1 < len(xs); k += 2 {
			c0 := int(max(math.Floor(xs[k]+0.5), 0))
			c1 := int(min(math.Floor(xs[k+1]+0.5), float64(g.w)))
			for c := c0; c < c1; c++ {
				in[row*g.w+c] = true
			}
		}
	}
	return in
}
