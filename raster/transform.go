package raster

import (
	"errors"
	"fmt"
	"math"
	"sync"

	"github.com/airbusgeo/godal"
	"github.com/paulmach/orb"
)

// maxEdgeSegments is how many segments the longest edge of a line or ring
// is split into before reprojection; shorter edges get proportionally fewer.
const maxEdgeSegments = 20

// Transform reprojects g from one spatial reference to another, with x as
// longitude or easting whatever the axis order of the SRS definitions.
// Lines and rings are densified first, so that reprojected edges follow the
// true curves: the longest edge is split into 20 segments (21 vertices),
// shorter ones into proportionally fewer. An orb.Bound is transformed as a
// polygon and returned as an orb.Polygon; other types keep their type.
// Transform returns ErrNoSRS when from or to is zero. It is safe for
// concurrent use.
func Transform(g orb.Geometry, from, to SRS) (orb.Geometry, error) {
	if g == nil {
		return nil, errors.New("raster: transform: nil geometry")
	}
	if b, ok := g.(orb.Bound); ok {
		g = b.ToPolygon()
	}
	if p, ok := g.(orb.Point); ok {
		mp, err := Transform(orb.MultiPoint{p}, from, to)
		if err != nil {
			return nil, err
		}
		return mp.(orb.MultiPoint)[0], nil
	}
	fromDef, err := from.gdalDefinition()
	if err != nil {
		return nil, fmt.Errorf("raster: transform: source: %w", err)
	}
	toDef, err := to.gdalDefinition()
	if err != nil {
		return nil, fmt.Errorf("raster: transform: target: %w", err)
	}
	out := densify(g)
	if fromDef == toDef {
		return restorePoints(g, out), nil
	}
	var xs, ys []float64
	eachPoint(out, func(p *orb.Point) { xs, ys = append(xs, p[0]), append(ys, p[1]) })
	if len(xs) == 0 {
		return restorePoints(g, out), nil
	}
	trn, err := transforms.get(from, to, fromDef+"\x00"+toDef)
	if err != nil {
		return nil, fmt.Errorf("raster: transform %s to %s: %w", abbreviate(fromDef), abbreviate(toDef), err)
	}
	ok := make([]bool, len(xs))
	err = trn.t.TransformEx(xs, ys, nil, ok)
	transforms.put(trn)
	for i := range ok {
		if !ok[i] || math.IsInf(xs[i], 0) || math.IsNaN(xs[i]) || math.IsInf(ys[i], 0) || math.IsNaN(ys[i]) {
			err = fmt.Errorf("point (%g, %g) cannot be transformed", xs[i], ys[i])
			break
		}
	}
	if err != nil {
		return nil, fmt.Errorf("raster: transform %s to %s: %w", abbreviate(fromDef), abbreviate(toDef), err)
	}
	i := 0
	eachPoint(out, func(p *orb.Point) { p[0], p[1] = xs[i], ys[i]; i++ })
	return restorePoints(g, out), nil
}

// restorePoints turns the one-point MultiPoints that densify made of the
// Points inside collections back into Points.
func restorePoints(orig, out orb.Geometry) orb.Geometry {
	oc, ok := orig.(orb.Collection)
	if !ok {
		return out
	}
	c := out.(orb.Collection)
	for i := range oc {
		switch oc[i].(type) {
		case orb.Point:
			c[i] = c[i].(orb.MultiPoint)[0]
		case orb.Collection:
			c[i] = restorePoints(oc[i], c[i])
		}
	}
	return c
}

// densify returns a deep copy of g with extra vertices on long edges.
func densify(g orb.Geometry) orb.Geometry {
	switch g := g.(type) {
	case orb.LineString:
		return orb.LineString(densifyPath(g, longestEdge(g)))
	case orb.Ring:
		return orb.Ring(densifyPath(g, longestEdge(g)))
	case orb.Polygon:
		return densifyPolygon(g)
	case orb.MultiLineString:
		out := make(orb.MultiLineString, len(g))
		for i, ls := range g {
			out[i] = densifyPath(ls, longestEdge(ls))
		}
		return out
	case orb.MultiPolygon:
		out := make(orb.MultiPolygon, len(g))
		for i, p := range g {
			out[i] = densifyPolygon(p)
		}
		return out
	case orb.Collection:
		out := make(orb.Collection, len(g))
		for i, c := range g {
			switch c := c.(type) {
			case orb.Bound:
				out[i] = densify(c.ToPolygon())
			case orb.Point:
				out[i] = orb.MultiPoint{c} // so that eachPoint reaches it
			default:
				out[i] = densify(c)
			}
		}
		return out
	}
	return orb.Clone(g)
}

func densifyPolygon(p orb.Polygon) orb.Polygon {
	longest := 0.0
	for _, r := range p {
		longest = max(longest, longestEdge(r))
	}
	out := make(orb.Polygon, len(p))
	for i, r := range p {
		out[i] = densifyPath(r, longest)
	}
	return out
}

func longestEdge[T ~[]orb.Point](pts T) float64 {
	l := 0.0
	for i := 1; i < len(pts); i++ {
		l = max(l, math.Hypot(pts[i][0]-pts[i-1][0], pts[i][1]-pts[i-1][1]))
	}
	return l
}

// densifyPath splits each edge into up to maxEdgeSegments segments, in
// proportion to its length relative to longest.
func densifyPath[T ~[]orb.Point](pts T, longest float64) T {
	if len(pts) < 2 || longest == 0 {
		return append(T(nil), pts...)
	}
	step := longest / maxEdgeSegments
	out := make(T, 0, len(pts))
	for i := 1; i < len(pts); i++ {
		a, b := pts[i-1], pts[i]
		n := int(math.Ceil(math.Hypot(b[0]-a[0], b[1]-a[1])/step - 1e-9))
		n = min(max(n, 1), maxEdgeSegments)
		for k := range n {
			t := float64(k) / float64(n)
			out = append(out, orb.Point{a[0] + t*(b[0]-a[0]), a[1] + t*(b[1]-a[1])})
		}
	}
	return append(out, pts[len(pts)-1])
}

// eachPoint calls fn for every vertex of g, in a fixed order. A lone
// orb.Point is a value and cannot be changed through it.
func eachPoint(g orb.Geometry, fn func(*orb.Point)) {
	path := func(pts []orb.Point) {
		for i := range pts {
			fn(&pts[i])
		}
	}
	switch g := g.(type) {
	case orb.MultiPoint:
		path(g)
	case orb.LineString:
		path(g)
	case orb.Ring:
		path(g)
	case orb.Polygon:
		for _, r := range g {
			path(r)
		}
	case orb.MultiLineString:
		for _, ls := range g {
			path(ls)
		}
	case orb.MultiPolygon:
		for _, p := range g {
			for _, r := range p {
				path(r)
			}
		}
	case orb.Collection:
		for _, c := range g {
			eachPoint(c, fn)
		}
	}
}

// transformPool keeps coordinate transformations, which are costly to
// create (a PROJ pipeline lookup), for reuse. Each is used by one goroutine
// at a time.
type transformPool struct {
	mu   sync.Mutex
	idle map[string][]*pooledTransform
	n    int
}

type pooledTransform struct {
	key string
	t   *godal.Transform
}

// maxIdleTransforms bounds the pool.
const maxIdleTransforms = 64

var transforms = &transformPool{idle: map[string][]*pooledTransform{}}

func (p *transformPool) get(from, to SRS, key string) (*pooledTransform, error) {
	p.mu.Lock()
	if l := p.idle[key]; len(l) > 0 {
		t := l[len(l)-1]
		p.idle[key] = l[:len(l)-1]
		p.n--
		p.mu.Unlock()
		return t, nil
	}
	p.mu.Unlock()
	src, err := from.spatialRef()
	if err != nil {
		return nil, err
	}
	defer src.Close()
	dst, err := to.spatialRef()
	if err != nil {
		return nil, err
	}
	defer dst.Close()
	t, err := godal.NewTransform(src, dst, quiet)
	if err != nil {
		return nil, err
	}
	return &pooledTransform{key: key, t: t}, nil
}

func (p *transformPool) put(t *pooledTransform) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.n >= maxIdleTransforms {
		for k, l := range p.idle { // drop one arbitrary idle transform
			if len(l) > 0 {
				l[len(l)-1].t.Close()
				p.idle[k] = l[:len(l)-1]
				p.n--
				break
			}
		}
	}
	p.idle[t.key] = append(p.idle[t.key], t)
	p.n++
}
