package storesql

import (
	"crypto/sha256"
	"encoding/binary"
	"math"
	"sort"

	"github.com/paulmach/orb"

	"github.com/tessera-gis/tessera/mosaic"
)

// Boundary cells. A collection's live items are grouped into square grid
// cells by the centre of their footprint. Each cell keeps its item count,
// bounding box and pixel-size range, so that the extent and cell sizes an
// ImageServer reports are exact and cheap, and, once computed, the union of
// its distinct footprints. A count per distinct footprint (keyed by
// ShapeKey) tells when a change alters a cell's set of footprints, which is
// the only time its union goes stale: deleting some revisits of a tile that
// has others leaves the boundary as it was.
//
// Every change to the live items collects a CellChanges and hands it to
// ApplyCellChanges in the same transaction; the store provides the storage
// operations (CellDB).

// ChooseCellSize picks a grid cell about eight footprints wide, as a power
// of two so that cells of different collections line up.
func ChooseCellSize(items []*mosaic.Item) float64 {
	sizes := make([]float64, 0, len(items))
	for _, it := range items {
		b := it.Footprint.Bound()
		sizes = append(sizes, math.Max(b.Max[0]-b.Min[0], b.Max[1]-b.Min[1]))
	}
	if len(sizes) == 0 {
		return 1
	}
	sort.Float64s(sizes)
	m := sizes[len(sizes)/2] * 8
	if m <= 0 || math.IsNaN(m) || math.IsInf(m, 0) {
		return 1
	}
	return math.Pow(2, math.Ceil(math.Log2(m)))
}

const cellBias = 1 << 30

// CellKey returns the grid cell of point p for cells of the given size.
func CellKey(p orb.Point, size float64) int64 {
	clamp := func(v float64) int64 {
		f := math.Floor(v / size)
		if math.IsNaN(f) {
			f = 0
		}
		i := int64(max(-cellBias, min(cellBias-1, f)))
		return i + cellBias
	}
	return clamp(p[0])<<31 | clamp(p[1])
}

// ShapeKey is a 64-bit hash of a footprint's WKB: footprints with the same
// WKB share a key.
func ShapeKey(wkb []byte) int64 {
	h := sha256.Sum256(wkb)
	return int64(binary.LittleEndian.Uint64(h[:8]))
}

// CellShape names one distinct footprint in one cell.
type CellShape struct{ Cell, Key int64 }

// CellAgg is the aggregates of the items added to or removed from one cell.
type CellAgg struct {
	Count        int64
	Bound        orb.Bound
	MinPS, MaxPS float64 // 0 when unknown
}

func (a *CellAgg) include(b orb.Bound, lowPS, highPS any) {
	if a.Count == 0 {
		a.Bound = b
	} else {
		a.Bound = a.Bound.Union(b)
	}
	a.Count++
	if v, ok := lowPS.(float64); ok && v > 0 && (a.MinPS == 0 || v < a.MinPS) {
		a.MinPS = v
	}
	if v, ok := highPS.(float64); ok && v > a.MaxPS {
		a.MaxPS = v
	}
}

// merge adds the aggregates of b, as include does for each of its items.
func (a *CellAgg) merge(b CellAgg) {
	if b.Count <= 0 {
		return
	}
	if a.Count == 0 {
		a.Bound = b.Bound
	} else {
		a.Bound = a.Bound.Union(b.Bound)
	}
	a.Count += b.Count
	if b.MinPS > 0 && (a.MinPS == 0 || b.MinPS < a.MinPS) {
		a.MinPS = b.MinPS
	}
	if b.MaxPS > a.MaxPS {
		a.MaxPS = b.MaxPS
	}
}

// CellGroup is what the cells need of items that share a cell and a
// footprint (ShapeKey): their count, bounding box and pixel-size range
// (MinPS the least positive LowPS, MaxPS the greatest positive HighPS; 0
// when none is known). A store that aggregates a change in SQL returns
// one per (cell, footprint) instead of one row per item.
type CellGroup struct {
	Cell, ShapeKey int64
	CellAgg
}

// CellChanges collects what a change did to the boundary cells.
type CellChanges struct {
	Added   map[int64]*CellAgg
	Removed map[int64]*CellAgg
	Shapes  map[CellShape]int64 // net change in the count of each footprint
}

// NewCellChanges returns an empty CellChanges.
func NewCellChanges() *CellChanges {
	return &CellChanges{Added: map[int64]*CellAgg{}, Removed: map[int64]*CellAgg{}, Shapes: map[CellShape]int64{}}
}

func agg(m map[int64]*CellAgg, cell int64) *CellAgg {
	a := m[cell]
	if a == nil {
		a = &CellAgg{}
		m[cell] = a
	}
	return a
}

// CellItem is what the cells need of one item: its cell, the ShapeKey of
// its footprint, its bounds and its LowPS and HighPS values (float64 or
// nil).
type CellItem struct {
	Cell, ShapeKey int64
	Bound          orb.Bound
	LowPS, HighPS  any
}

// Add records a live item added to its cell.
func (cc *CellChanges) Add(it CellItem) {
	agg(cc.Added, it.Cell).include(it.Bound, it.LowPS, it.HighPS)
	cc.Shapes[CellShape{it.Cell, it.ShapeKey}]++
}

// Remove records a live item removed from its cell.
func (cc *CellChanges) Remove(it CellItem) {
	agg(cc.Removed, it.Cell).include(it.Bound, it.LowPS, it.HighPS)
	cc.Shapes[CellShape{it.Cell, it.ShapeKey}]--
}

// AddGroup records live items added to their cell.
func (cc *CellChanges) AddGroup(g CellGroup) {
	agg(cc.Added, g.Cell).merge(g.CellAgg)
	cc.Shapes[CellShape{g.Cell, g.ShapeKey}] += g.Count
}

// RemoveGroup records live items removed from their cell.
func (cc *CellChanges) RemoveGroup(g CellGroup) {
	agg(cc.Removed, g.Cell).merge(g.CellAgg)
	cc.Shapes[CellShape{g.Cell, g.ShapeKey}] -= g.Count
}

// Empty reports whether nothing changed.
func (cc *CellChanges) Empty() bool { return len(cc.Added) == 0 && len(cc.Removed) == 0 }

// Edge is one of the values a cell keeps as a minimum or maximum over its
// items: a side of its bounding box, or an end of its pixel-size range.
type Edge int

// Edges.
const (
	EdgeMinX Edge = iota
	EdgeMinY
	EdgeMaxX
	EdgeMaxY
	EdgeLowPS
	EdgeHighPS
)

// Edges returns every edge.
func Edges() []Edge { return []Edge{EdgeMinX, EdgeMinY, EdgeMaxX, EdgeMaxY, EdgeLowPS, EdgeHighPS} }

// Column returns the items-table column that holds the edge's value.
func (e Edge) Column() string {
	switch e {
	case EdgeMinX:
		return "_minx"
	case EdgeMinY:
		return "_miny"
	case EdgeMaxX:
		return "_maxx"
	case EdgeMaxY:
		return "_maxy"
	case EdgeLowPS:
		return Quote(mosaic.FieldNameLowPS)
	default:
		return Quote(mosaic.FieldNameHighPS)
	}
}

func (e Edge) of(b orb.Bound, minPS, maxPS float64) float64 {
	switch e {
	case EdgeMinX:
		return b.Min[0]
	case EdgeMinY:
		return b.Min[1]
	case EdgeMaxX:
		return b.Max[0]
	case EdgeMaxY:
		return b.Max[1]
	case EdgeLowPS:
		return minPS
	default:
		return maxPS
	}
}

// StoredCell is a cell as stored before a change.
type StoredCell struct {
	Key, Count   int64
	Bound        orb.Bound
	MinPS, MaxPS float64
}

// CellDB is the storage of one collection's cells, inside the transaction
// of a change.
type CellDB interface {
	// ApplyShapeCounts adds the deltas to the footprint counts, drops the
	// counts that reach zero, and returns the cells in which a footprint
	// appeared (its count was zero) or disappeared (it reached zero, or
	// was not counted at all).
	ApplyShapeCounts(deltas map[CellShape]int64) (map[int64]bool, error)
	// MergeAdded merges the aggregates of added items into their cells,
	// creating cells as needed. A pixel size of 0 is unknown and merges
	// as nothing.
	MergeAdded(added map[int64]*CellAgg) error
	// Cells returns the stored cells among keys.
	Cells(keys []int64) ([]StoredCell, error)
	// Subtract lowers the counts of cells.
	Subtract(counts map[int64]int64) error
	// EdgeHeld reports whether a live item of cell has value v on edge e.
	EdgeHeld(e Edge, cell int64, v float64) (bool, error)
	// Recompute sets the aggregates of the cells keys from their live
	// items (a cell with none gets count 0).
	Recompute(keys []int64) error
	// DropEmpty removes cells whose count is zero or less.
	DropEmpty() error
	// MarkStale clears the stored unions of cells keys and bumps their
	// versions.
	MarkStale(keys []int64) error
}

// EdgeCheck asks whether a live item of Cell still has Value on Edge.
type EdgeCheck struct {
	Edge  Edge
	Cell  int64
	Value float64
}

// EdgesHeldDB is a CellDB that answers many EdgeChecks in one statement,
// which ApplyCellChanges then uses instead of EdgeHeld.
type EdgesHeldDB interface {
	CellDB
	// EdgesHeld reports, for each check, whether a live item of its cell
	// has its value on its edge.
	EdgesHeld(checks []EdgeCheck) ([]bool, error)
}

// ApplyCellChanges updates the cells and footprint counts after a change,
// and marks stale the unions of cells whose set of distinct footprints
// changed.
//
// Adds merge into their cells' aggregates. Removals subtract their count;
// a cell's bounding box or pixel-size range is recomputed only when a
// removed item sat on one of its edges and no live item of the cell still
// does. Cells that both gained and lost items are recomputed.
func ApplyCellChanges(db CellDB, cc *CellChanges) error {
	if cc.Empty() {
		return nil
	}
	stale, err := db.ApplyShapeCounts(cc.Shapes)
	if err != nil {
		return err
	}
	rescan := map[int64]bool{}
	for cell := range cc.Removed {
		if cc.Added[cell] != nil {
			rescan[cell] = true // replaced items (OVERWRITE)
		}
	}
	merge := make(map[int64]*CellAgg, len(cc.Added))
	for cell, a := range cc.Added {
		if !rescan[cell] {
			merge[cell] = a
		}
	}
	if len(merge) > 0 {
		if err := db.MergeAdded(merge); err != nil {
			return err
		}
	}
	if len(cc.Removed) > 0 {
		if err := subtractRemoved(db, cc.Removed, rescan); err != nil {
			return err
		}
	}
	if len(rescan) > 0 {
		if err := db.Recompute(SortedKeys(rescan)); err != nil {
			return err
		}
	}
	if len(cc.Removed) > 0 {
		if err := db.DropEmpty(); err != nil {
			return err
		}
	}
	if len(stale) > 0 {
		if err := db.MarkStale(SortedKeys(stale)); err != nil {
			return err
		}
	}
	return nil
}

// subtractRemoved lowers the counts of cells that lost items, and adds to
// rescan the cells whose bounds or pixel-size range may have shrunk.
func subtractRemoved(db CellDB, removed map[int64]*CellAgg, rescan map[int64]bool) error {
	keys := make(map[int64]bool, len(removed))
	for k := range removed {
		keys[k] = true
	}
	cells, err := db.Cells(SortedKeys(keys))
	if err != nil {
		return err
	}
	sub := map[int64]int64{}
	for _, s := range cells {
		if !rescan[s.Key] {
			sub[s.Key] = removed[s.Key].Count
		}
	}
	if len(sub) > 0 {
		if err := db.Subtract(sub); err != nil {
			return err
		}
	}
	var checks []EdgeCheck
	for _, s := range cells {
		r := removed[s.Key]
		if rescan[s.Key] || r.Count >= s.Count {
			continue // rescanned anyway, or emptied and dropped
		}
		for _, e := range Edges() {
			v := e.of(s.Bound, s.MinPS, s.MaxPS)
			if e.of(r.Bound, r.MinPS, r.MaxPS) != v || v == 0 && (e == EdgeLowPS || e == EdgeHighPS) {
				continue // no removed item sat on this edge (or the size is unknown)
			}
			checks = append(checks, EdgeCheck{Edge: e, Cell: s.Key, Value: v})
		}
	}
	if len(checks) == 0 {
		return nil
	}
	if b, ok := db.(EdgesHeldDB); ok {
		// One statement for every cell.
		held, err := b.EdgesHeld(checks)
		if err != nil {
			return err
		}
		for i, ch := range checks {
			if !held[i] {
				rescan[ch.Cell] = true
			}
		}
		return nil
	}
	for _, ch := range checks {
		if rescan[ch.Cell] {
			continue // an edge of the cell moved already
		}
		held, err := db.EdgeHeld(ch.Edge, ch.Cell, ch.Value)
		if err != nil {
			return err
		}
		if !held {
			rescan[ch.Cell] = true
		}
	}
	return nil
}

// SortedKeys returns the keys of m in increasing order.
func SortedKeys(m map[int64]bool) []int64 {
	out := make([]int64, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Slice(out, func(i, j int) bool { return out[i] < out[j] })
	return out
}
