package sqlite

import (
	"crypto/sha256"
	"database/sql"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"sort"

	"github.com/paulmach/orb"

	"github.com/tessera-gis/tessera/mosaic"
)

// Boundary cells: the per-cell bookkeeping that every change to the live
// items does in its own transaction (see boundary.go for the design).

// chooseCellSize picks a grid cell about eight footprints wide, as a power
// of two so that cells of different collections line up.
func chooseCellSize(items []*mosaic.Item) float64 {
	sizes := make([]float64, 0, len(items))
	for _, it := range items {
		b := it.Footprint.Bound()
		sizes = append(sizes, math.Max(b.Max[0]-b.Min[0], b.Max[1]-b.Min[1]))
	}
	sort.Float64s(sizes)
	m := sizes[len(sizes)/2] * 8
	if m <= 0 || math.IsNaN(m) || math.IsInf(m, 0) {
		return 1
	}
	return math.Pow(2, math.Ceil(math.Log2(m)))
}

const cellBias = 1 << 30

// cellKey returns the grid cell of point p.
func cellKey(p orb.Point, size float64) int64 {
	clamp := func(v float64) int64 {
		i := int64(math.Floor(v / size))
		return max(-cellBias, min(cellBias-1, i)) + cellBias
	}
	return clamp(p[0])<<31 | clamp(p[1])
}

// shapeKey is a 64-bit hash of a footprint's WKB.
func shapeKey(wkb []byte) int64 {
	h := sha256.Sum256(wkb)
	return int64(binary.LittleEndian.Uint64(h[:8]))
}

type cellShapeRef struct{ cell, key int64 }

// cellAgg is the aggregates of the items added to or removed from one cell.
type cellAgg struct {
	count        int64
	bound        orb.Bound
	minPS, maxPS float64 // 0 when unknown
}

func (a *cellAgg) include(b orb.Bound, lowPS, highPS any) {
	if a.count == 0 {
		a.bound = b
	} else {
		a.bound = a.bound.Union(b)
	}
	a.count++
	if v, ok := lowPS.(float64); ok && v > 0 && (a.minPS == 0 || v < a.minPS) {
		a.minPS = v
	}
	if v, ok := highPS.(float64); ok && v > a.maxPS {
		a.maxPS = v
	}
}

// cellChanges collects what a change did to the boundary cells, for
// applyCellChanges to record in the same transaction.
type cellChanges struct {
	added   map[int64]*cellAgg
	removed map[int64]*cellAgg
	shapes  map[cellShapeRef]int64
}

func newCellChanges() *cellChanges {
	return &cellChanges{added: map[int64]*cellAgg{}, removed: map[int64]*cellAgg{}, shapes: map[cellShapeRef]int64{}}
}

func (cc *cellChanges) agg(m map[int64]*cellAgg, cell int64) *cellAgg {
	a := m[cell]
	if a == nil {
		a = &cellAgg{}
		m[cell] = a
	}
	return a
}

// add records a live item added to cell: its footprint's WKB and bounds,
// and its LowPS and HighPS values.
func (cc *cellChanges) add(cell int64, shape []byte, b orb.Bound, lowPS, highPS any) {
	cc.agg(cc.added, cell).include(b, lowPS, highPS)
	cc.shapes[cellShapeRef{cell, shapeKey(shape)}]++
}

// remove records a live item removed from cell.
func (cc *cellChanges) remove(cell int64, shape []byte, b orb.Bound, lowPS, highPS any) {
	cc.agg(cc.removed, cell).include(b, lowPS, highPS)
	cc.shapes[cellShapeRef{cell, shapeKey(shape)}]--
}

// applyCellChanges updates the cells and footprint counts after a change to
// c's live items, and marks stale the unions of cells whose set of distinct
// footprints changed.
//
// Adds merge into their cells' aggregates. Removals subtract their count;
// a cell's bounding box or pixel-size range is recomputed only when a
// removed item sat on one of its edges and no live item of the cell still
// does (an index seek or a short scan of the covering index says).
func (tx *Tx) applyCellChanges(c *mosaic.Collection, cc *cellChanges) error {
	if len(cc.added) == 0 && len(cc.removed) == 0 {
		return nil
	}
	stale, err := tx.applyShapeCounts(c, cc.shapes)
	if err != nil {
		return err
	}
	rescan := map[int64]bool{}
	for cell := range cc.removed {
		if cc.added[cell] != nil {
			rescan[cell] = true // replaced items (OVERWRITE): recompute
		}
	}
	merge, err := tx.tx.PrepareContext(tx.ctx, `INSERT INTO cells
		(collection_id, cell, count, minx, miny, maxx, maxy, min_psx, min_psy, max_ps) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
		ON CONFLICT (collection_id, cell) DO UPDATE SET count = count + excluded.count,
		minx = min(minx, excluded.minx), miny = min(miny, excluded.miny),
		maxx = max(maxx, excluded.maxx), maxy = max(maxy, excluded.maxy),
		min_psx = CASE WHEN min_psx = 0 THEN excluded.min_psx WHEN excluded.min_psx = 0 THEN min_psx ELSE min(min_psx, excluded.min_psx) END,
		min_psy = CASE WHEN min_psy = 0 THEN excluded.min_psy WHEN excluded.min_psy = 0 THEN min_psy ELSE min(min_psy, excluded.min_psy) END,
		max_ps = max(max_ps, excluded.max_ps)`)
	if err != nil {
		return fmt.Errorf("update cells: %w", err)
	}
	defer merge.Close()
	for cell, a := range cc.added {
		if rescan[cell] {
			continue
		}
		if _, err := merge.ExecContext(tx.ctx, c.ID, cell, a.count, a.bound.Min[0], a.bound.Min[1],
			a.bound.Max[0], a.bound.Max[1], a.minPS, a.minPS, a.maxPS); err != nil {
			return fmt.Errorf("update cells: %w", err)
		}
	}
	if err := tx.subtractRemoved(c, cc.removed, rescan); err != nil {
		return err
	}
	if len(rescan) > 0 {
		keys := jsonKeys(rescan)
		// Recompute from the live items, through the covering partial
		// index on (_cell, bounds, pixel sizes): an index-only scan.
		if _, err := tx.exec(`UPDATE cells SET count = 0 WHERE collection_id = ? AND cell IN (SELECT value FROM json_each(?))`,
			c.ID, keys); err != nil {
			return fmt.Errorf("update cells: %w", err)
		}
		if _, err := tx.exec(fmt.Sprintf(`INSERT INTO cells (collection_id, cell, count, minx, miny, maxx, maxy, min_psx, min_psy, max_ps)
			SELECT ?, _cell, count(*), min(_minx), min(_miny), max(_maxx), max(_maxy),
			       coalesce(min(%[2]s), 0), coalesce(min(%[2]s), 0), coalesce(max(%[3]s), 0)
			FROM %[1]s WHERE _deleted_at IS NULL AND _cell IN (SELECT value FROM json_each(?)) GROUP BY _cell
			ON CONFLICT (collection_id, cell) DO UPDATE SET count = excluded.count,
			minx = excluded.minx, miny = excluded.miny, maxx = excluded.maxx, maxy = excluded.maxy,
			min_psx = excluded.min_psx, min_psy = excluded.min_psy, max_ps = excluded.max_ps`,
			itemsTable(c), quote(mosaic.FieldNameLowPS), quote(mosaic.FieldNameHighPS)), c.ID, keys); err != nil {
			return fmt.Errorf("refresh cells: %w", err)
		}
	}
	if len(cc.removed) > 0 {
		if _, err := tx.exec(`DELETE FROM cells WHERE collection_id = ? AND count <= 0`, c.ID); err != nil {
			return fmt.Errorf("refresh cells: %w", err)
		}
	}
	if len(stale) > 0 {
		if _, err := tx.exec(`UPDATE cells SET shape = NULL, version = version + 1
			WHERE collection_id = ? AND cell IN (SELECT value FROM json_each(?))`, c.ID, jsonKeys(stale)); err != nil {
			return fmt.Errorf("mark cells stale: %w", err)
		}
	}
	return nil
}

// subtractRemoved lowers the counts of cells that lost items, and adds to
// rescan the cells whose bounds or pixel-size range may have shrunk.
func (tx *Tx) subtractRemoved(c *mosaic.Collection, removed map[int64]*cellAgg, rescan map[int64]bool) error {
	if len(removed) == 0 {
		return nil
	}
	type edge struct {
		col  string
		get  func(b orb.Bound, minPS, maxPS float64) float64
		stmt *sql.Stmt
	}
	edges := []*edge{
		{col: "_minx", get: func(b orb.Bound, _, _ float64) float64 { return b.Min[0] }},
		{col: "_miny", get: func(b orb.Bound, _, _ float64) float64 { return b.Min[1] }},
		{col: "_maxx", get: func(b orb.Bound, _, _ float64) float64 { return b.Max[0] }},
		{col: "_maxy", get: func(b orb.Bound, _, _ float64) float64 { return b.Max[1] }},
		{col: quote(mosaic.FieldNameLowPS), get: func(_ orb.Bound, lo, _ float64) float64 { return lo }},
		{col: quote(mosaic.FieldNameHighPS), get: func(_ orb.Bound, _, hi float64) float64 { return hi }},
	}
	for _, e := range edges {
		stmt, err := tx.tx.PrepareContext(tx.ctx, fmt.Sprintf(`SELECT EXISTS (SELECT 1 FROM %s
			WHERE _deleted_at IS NULL AND _cell = ? AND %s = ?)`, itemsTable(c), e.col))
		if err != nil {
			return fmt.Errorf("update cells: %w", err)
		}
		defer stmt.Close()
		e.stmt = stmt
	}
	rows, err := tx.query(`SELECT cell, count, minx, miny, maxx, maxy, min_psx, max_ps FROM cells
		WHERE collection_id = ? AND cell IN (SELECT value FROM json_each(?))`, c.ID, jsonKeys(keysOf(removed)))
	if err != nil {
		return fmt.Errorf("read cells: %w", err)
	}
	type stored struct {
		cell, count  int64
		bound        orb.Bound
		minPS, maxPS float64
	}
	var cells []stored
	for rows.Next() {
		var s stored
		if err := rows.Scan(&s.cell, &s.count, &s.bound.Min[0], &s.bound.Min[1], &s.bound.Max[0], &s.bound.Max[1],
			&s.minPS, &s.maxPS); err != nil {
			rows.Close()
			return err
		}
		cells = append(cells, s)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return err
	}
	sub, err := tx.tx.PrepareContext(tx.ctx, `UPDATE cells SET count = count - ? WHERE collection_id = ? AND cell = ?`)
	if err != nil {
		return fmt.Errorf("update cells: %w", err)
	}
	defer sub.Close()
	for _, s := range cells {
		if rescan[s.cell] {
			continue
		}
		r := removed[s.cell]
		if _, err := sub.ExecContext(tx.ctx, r.count, c.ID, s.cell); err != nil {
			return fmt.Errorf("update cells: %w", err)
		}
		if r.count >= s.count {
			continue // emptied; deleted below
		}
		for _, e := range edges {
			v := e.get(s.bound, s.minPS, s.maxPS)
			rv := e.get(r.bound, r.minPS, r.maxPS)
			if rv != v || v == 0 && e.col != "_minx" && e.col != "_miny" && e.col != "_maxx" && e.col != "_maxy" {
				continue // no removed item sat on this edge (or the size is unknown)
			}
			var still bool
			if err := e.stmt.QueryRowContext(tx.ctx, s.cell, v).Scan(&still); err != nil {
				return fmt.Errorf("update cells: %w", err)
			}
			if !still {
				rescan[s.cell] = true
				break
			}
		}
	}
	return nil
}

func keysOf(m map[int64]*cellAgg) map[int64]bool {
	out := make(map[int64]bool, len(m))
	for k := range m {
		out[k] = true
	}
	return out
}

// applyShapeCounts applies net changes to the footprint counts and returns
// the cells in which a footprint appeared or disappeared.
func (tx *Tx) applyShapeCounts(c *mosaic.Collection, deltas map[cellShapeRef]int64) (map[int64]bool, error) {
	stale := map[int64]bool{}
	inc, err := tx.tx.PrepareContext(tx.ctx, `INSERT INTO cell_shapes (collection_id, cell, shape_key, count) VALUES (?, ?, ?, ?)
		ON CONFLICT (collection_id, cell, shape_key) DO UPDATE SET count = count + excluded.count RETURNING count`)
	if err != nil {
		return nil, fmt.Errorf("count footprints: %w", err)
	}
	defer inc.Close()
	dec, err := tx.tx.PrepareContext(tx.ctx, `UPDATE cell_shapes SET count = count + ?
		WHERE collection_id = ? AND cell = ? AND shape_key = ? RETURNING count`)
	if err != nil {
		return nil, fmt.Errorf("count footprints: %w", err)
	}
	defer dec.Close()
	for ref, d := range deltas {
		var n int64
		switch {
		case d > 0:
			if err := inc.QueryRowContext(tx.ctx, c.ID, ref.cell, ref.key, d).Scan(&n); err != nil {
				return nil, fmt.Errorf("count footprints: %w", err)
			}
			if n == d {
				stale[ref.cell] = true // a new footprint
			}
		case d < 0:
			err := dec.QueryRowContext(tx.ctx, d, c.ID, ref.cell, ref.key).Scan(&n)
			if errors.Is(err, sql.ErrNoRows) {
				stale[ref.cell] = true // not counted (added before counting began)
				continue
			}
			if err != nil {
				return nil, fmt.Errorf("count footprints: %w", err)
			}
			if n <= 0 {
				stale[ref.cell] = true // the last item of this footprint left
			}
		}
	}
	if _, err := tx.exec(`DELETE FROM cell_shapes WHERE collection_id = ? AND count <= 0`, c.ID); err != nil {
		return nil, fmt.Errorf("count footprints: %w", err)
	}
	return stale, nil
}

func jsonKeys(m map[int64]bool) string {
	keys := make([]int64, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	b, _ := json.Marshal(keys)
	return string(b)
}
