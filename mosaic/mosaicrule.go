package mosaic

import (
	"cmp"
	"math"
	"slices"
	"strconv"
	"strings"

	"github.com/paulmach/orb"
)

// MosaicMethod is how a mosaic ranks the items it draws, as ArcGIS's
// mosaic methods do. The first item ranked is drawn on top, unless the
// rule says Last.
type MosaicMethod string

// Mosaic methods.
const (
	// MosaicNorthWest ranks items by the distance from their centre to the
	// north-west corner of the collection's extent. It is the default.
	MosaicNorthWest MosaicMethod = "NorthWest"
	// MosaicCenter ranks by the distance to the centre of the view.
	MosaicCenter MosaicMethod = "Center"
	// MosaicViewpoint ranks by the distance to the rule's viewpoint.
	MosaicViewpoint MosaicMethod = "Viewpoint"
	// MosaicAttribute ranks by a field's value, or by its distance to a
	// value.
	MosaicAttribute MosaicMethod = "Attribute"
	// MosaicLockRaster draws only the listed items, ranked in list order.
	MosaicLockRaster MosaicMethod = "LockRaster"
	// MosaicNone ranks by OBJECTID.
	MosaicNone MosaicMethod = "None"
)

// MosaicRule chooses the items a mosaic draws and their order, as the
// mosaicRule of an ArcGIS image service does. Only items whose footprint
// intersects the view take part.
type MosaicRule struct {
	Method MosaicMethod // "" means MosaicNorthWest
	Where  string       // standardized SQL over the collection's fields
	FIDs   []int64      // when set, only these items take part
	// Point is what MosaicCenter and MosaicViewpoint measure distances to:
	// the centre of the view or the viewpoint, in the collection's spatial
	// reference.
	Point *orb.Point
	// SortField and SortValue are MosaicAttribute's field and, optionally,
	// the value to measure distances to: a float64, or a string holding a
	// number or, for a date field, a date (see ParseDate), as JSON
	// decoding gives them.
	SortField string
	SortValue any
	// LockRasterIDs are MosaicLockRaster's items, in ranking order.
	LockRasterIDs []int64
	// Descending reverses the ranking (ArcGIS's ascending: false).
	Descending bool
	// Last draws the first item ranked at the bottom instead of on top
	// (ArcGIS's MT_LAST mosaic operation; MT_FIRST is the default).
	Last bool
}

// Query returns the catalog query for the items r draws in view, a
// geometry in c's spatial reference: the best ranked first, at most limit.
// ok is false when no item can take part, because FIDs leave out every
// locked raster. Pass what the query finds to Sources. A rule that does
// not fit c is EINVALID, with a message that can follow the rule's
// parameter name.
func (r MosaicRule) Query(c *Collection, view orb.Geometry, limit int) (q ItemQuery, ok bool, err error) {
	q = ItemQuery{Where: r.Where, Geometry: view, SpatialRel: SpatialRelIntersects, OutFields: FieldNamePath, Limit: limit}
	if len(r.FIDs) > 0 {
		q.ObjectIDs = r.FIDs
	}
	switch r.Method {
	case "", MosaicNorthWest:
		nw := orb.Point{c.Summary.Extent.Min[0], c.Summary.Extent.Max[1]}
		q.Rank = &MosaicRank{Point: &nw}
	case MosaicCenter, MosaicViewpoint:
		if r.Point == nil {
			return q, false, Errorf(EINVALID, "%s needs a point to measure distances to", r.Method)
		}
		p := *r.Point
		q.Rank = &MosaicRank{Point: &p}
	case MosaicAttribute:
		f, ok := c.Field(r.SortField)
		if !ok || f.Type == FieldGeometry {
			return q, false, Errorf(EINVALID, "sortField %s is not a field of %s", strconv.Quote(r.SortField), c.Name)
		}
		q.Rank = &MosaicRank{Field: f.Name}
		if r.SortValue != nil {
			base, ok := sortBase(f, r.SortValue)
			if !ok {
				return q, false, Errorf(EINVALID, "sortValue must be a number, or a date such as \"2024/06/30\" for a date sortField")
			}
			q.Rank.Base = &base
		}
	case MosaicNone:
		q.Rank = &MosaicRank{Field: FieldNameOID}
	case MosaicLockRaster:
		if len(r.LockRasterIDs) == 0 {
			return q, false, Errorf(EINVALID, "esriMosaicLockRaster needs lockRasterIds")
		}
		q.ObjectIDs = lockedIDs(r.LockRasterIDs, r.FIDs)
		q.Limit = 0 // at most len(LockRasterIDs); Sources ranks and caps them
		if len(q.ObjectIDs) == 0 {
			return q, false, nil
		}
	default:
		return q, false, Errorf(EINVALID, "unknown mosaic method %q", r.Method)
	}
	if q.Rank != nil {
		q.Rank.Desc = r.Descending
	}
	return q, true, nil
}

// Sources turns the items r's query found, best ranked first, into the
// sources of a render request, bottom first, at most limit.
func (r MosaicRule) Sources(items []*Item, limit int) []RenderSource {
	if r.Method == MosaicLockRaster {
		pos := make(map[int64]int, len(r.LockRasterIDs))
		for i, id := range r.LockRasterIDs {
			if _, ok := pos[id]; !ok {
				pos[id] = i
			}
		}
		items = slices.Clone(items)
		slices.SortStableFunc(items, func(a, b *Item) int { return cmp.Compare(pos[a.OID], pos[b.OID]) })
		if r.Descending {
			slices.Reverse(items)
		}
		items = items[:min(len(items), limit)]
	}
	out := make([]RenderSource, 0, len(items))
	for _, it := range items {
		out = append(out, RenderSource{OID: it.OID, Path: it.Path, Raster: it.Raster})
	}
	if !r.Last {
		slices.Reverse(out) // bottom first: the first ranked draws on top
	}
	return out
}

// lockedIDs returns the lock raster IDs, restricted to fids when given.
func lockedIDs(lock, fids []int64) []int64 {
	if len(fids) == 0 {
		return lock
	}
	keep := make(map[int64]bool, len(fids))
	for _, id := range fids {
		keep[id] = true
	}
	out := []int64{}
	for _, id := range lock {
		if keep[id] {
			out = append(out, id)
		}
	}
	return out
}

// sortBase reads a sortValue for field f: a number, or for a date field
// a date, as epoch milliseconds.
func sortBase(f Field, v any) (float64, bool) {
	switch x := v.(type) {
	case float64:
		return x, true
	case string:
		x = strings.TrimSpace(x)
		if f.Type == FieldDate {
			if t, ok := ParseDate(x); ok {
				return float64(t.UnixMilli()), true
			}
		}
		if n, err := strconv.ParseFloat(x, 64); err == nil && !math.IsNaN(n) && !math.IsInf(n, 0) {
			return n, true
		}
	}
	return 0, false
}
