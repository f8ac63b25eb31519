package sqlite

import (
	"crypto/sha256"
	"database/sql"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"runtime"
	"sort"
	"sync"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/encoding/wkb"
	"github.com/peterstace/simplefeatures/geom"
	"golang.org/x/sync/errgroup"

	"github.com/tessera-gis/tessera/mosaic"
)

// The boundary of a collection is the union of its live footprints. Items
// are grouped into square grid cells by the centre of their footprint. Each
// cell row keeps its item count, bounding box and pixel-size range (so the
// extent and cell sizes the ImageServer reports are always exact and cheap),
// and, once computed, the union of its footprints.
//
// A cell's union is the union of its distinct footprints, and cell_shapes
// counts the live items of each distinct footprint (keyed by a hash of its
// WKB). So a change makes a cell's union stale only when a footprint appears
// in or disappears from the cell: deleting some revisits of a tile that has
// others, the common case in imagery archives, leaves the boundary as it
// was. A stale union is NULL; its cell's version goes up.
//
// Stale unions are computed per cell, in parallel, from a read snapshot
// (StaleBoundary), and stored by a short write (UpdateBoundary) only for
// cells whose version has not moved meanwhile. Boundary reads compute any
// cell still stale on the fly, so they are always correct. No change ever
// re-unions the whole catalog: the work is proportional to the cells whose
// set of footprints changed.

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

type cellShape struct {
	key     int64
	version int64
	shape   []byte // WKB of the cell's union; nil when stale
}

func (tx *Tx) cells(c *mosaic.Collection, staleOnly bool) ([]cellShape, error) {
	q := `SELECT cell, version, shape FROM cells WHERE collection_id = ?`
	if staleOnly {
		q += ` AND shape IS NULL`
	}
	rows, err := tx.query(q+` ORDER BY cell`, c.ID)
	if err != nil {
		return nil, fmt.Errorf("read cells: %w", err)
	}
	defer rows.Close()
	var out []cellShape
	for rows.Next() {
		var cs cellShape
		if err := rows.Scan(&cs.key, &cs.version, &cs.shape); err != nil {
			return nil, err
		}
		out = append(out, cs)
	}
	return out, rows.Err()
}

// unionStaleCells computes the union of every stale cell's distinct
// footprints, in parallel.
func (tx *Tx) unionStaleCells(c *mosaic.Collection, cells []cellShape) error {
	var stale []int
	for i := range cells {
		if cells[i].shape == nil {
			stale = append(stale, i)
		}
	}
	if len(stale) == 0 {
		return nil
	}
	stmt, err := tx.tx.PrepareContext(tx.ctx, fmt.Sprintf(`SELECT %s FROM %s WHERE _cell = ? AND _deleted_at IS NULL`,
		quote(mosaic.FieldNameShape), itemsTable(c)))
	if err != nil {
		return fmt.Errorf("read footprints: %w", err)
	}
	defer stmt.Close()
	var g errgroup.Group
	g.SetLimit(runtime.GOMAXPROCS(0))
	for _, i := range stale {
		// Read on this goroutine (a transaction is not safe for concurrent
		// use), union on others.
		footprints, err := distinctFootprints(tx, stmt, cells[i].key)
		if err != nil {
			g.Wait()
			return err
		}
		g.Go(func() error {
			u, err := unionWKB(footprints)
			if err != nil {
				return err
			}
			if u == nil {
				u = []byte{}
			}
			cells[i].shape = u
			return nil
		})
	}
	return g.Wait()
}

func distinctFootprints(tx *Tx, stmt *sql.Stmt, cell int64) ([][]byte, error) {
	rows, err := stmt.QueryContext(tx.ctx, cell)
	if err != nil {
		return nil, fmt.Errorf("read footprints: %w", err)
	}
	defer rows.Close()
	seen := map[string]bool{}
	var out [][]byte
	for rows.Next() {
		var b []byte
		if err := rows.Scan(&b); err != nil {
			return nil, err
		}
		if !seen[string(b)] {
			seen[string(b)] = true
			out = append(out, b)
		}
	}
	return out, rows.Err()
}

// Boundary returns the union of c's live footprints.
func (tx *Tx) Boundary(c *mosaic.Collection) (orb.MultiPolygon, error) {
	cells, err := tx.cells(c, false)
	if err != nil {
		return nil, err
	}
	if err := tx.unionStaleCells(c, cells); err != nil {
		return nil, err
	}
	shapes := make([][]byte, 0, len(cells))
	for _, cs := range cells {
		if len(cs.shape) > 0 {
			shapes = append(shapes, cs.shape)
		}
	}
	u, err := unionWKB(shapes)
	if err != nil || u == nil {
		return nil, err
	}
	g, err := wkb.Unmarshal(u)
	if err != nil {
		return nil, fmt.Errorf("decode boundary: %w", err)
	}
	switch g := g.(type) {
	case orb.Polygon:
		return orb.MultiPolygon{g}, nil
	case orb.MultiPolygon:
		return g, nil
	case orb.Collection:
		var mp orb.MultiPolygon
		for _, part := range g {
			switch p := part.(type) {
			case orb.Polygon:
				mp = append(mp, p)
			case orb.MultiPolygon:
				mp = append(mp, p...)
			}
		}
		return mp, nil
	}
	return nil, nil
}

// StaleBoundary computes the unions of c's stale cells.
func (tx *Tx) StaleBoundary(c *mosaic.Collection) (*mosaic.BoundaryPatch, error) {
	cells, err := tx.cells(c, true)
	if err != nil {
		return nil, err
	}
	if err := tx.unionStaleCells(c, cells); err != nil {
		return nil, err
	}
	p := &mosaic.BoundaryPatch{CollectionID: c.ID}
	for _, cs := range cells {
		p.Cells = append(p.Cells, mosaic.BoundaryCell{Key: cs.key, Version: cs.version, Union: cs.shape})
	}
	return p, nil
}

// UpdateBoundary stores the unions of p whose cells are unchanged since
// StaleBoundary computed them.
func (tx *Tx) UpdateBoundary(c *mosaic.Collection, p *mosaic.BoundaryPatch) (int, error) {
	if p == nil || p.CollectionID != c.ID {
		return 0, nil
	}
	stmt, err := tx.tx.PrepareContext(tx.ctx, `UPDATE cells SET shape = ?
		WHERE collection_id = ? AND cell = ? AND version = ? AND shape IS NULL`)
	if err != nil {
		return 0, fmt.Errorf("store cell boundary: %w", err)
	}
	defer stmt.Close()
	stored := 0
	for _, cs := range p.Cells {
		if cs.Union == nil {
			continue
		}
		res, err := stmt.ExecContext(tx.ctx, cs.Union, c.ID, cs.Key, cs.Version)
		if err != nil {
			return stored, fmt.Errorf("store cell boundary: %w", err)
		}
		if n, _ := res.RowsAffected(); n > 0 {
			stored++
		}
	}
	return stored, nil
}

// unionWKB returns the WKB of the union of WKB polygons; nil for none.
func unionWKB(parts [][]byte) ([]byte, error) {
	gs := make([]geom.Geometry, 0, len(parts))
	for _, p := range parts {
		if p == nil {
			continue
		}
		g, err := geom.UnmarshalWKB(p, geom.NoValidate{})
		if err != nil {
			return nil, fmt.Errorf("decode footprint: %w", err)
		}
		gs = append(gs, g)
	}
	if len(gs) == 0 {
		return nil, nil
	}
	u, err := cascadedUnion(gs)
	if err != nil {
		return nil, fmt.Errorf("union footprints: %w", err)
	}
	return u.AsBinary(), nil
}

// cascadedUnion unions geometries pairwise, in rounds, so that each
// overlay works on two inputs of similar size. It does not use
// geom.UnionMany, which in simplefeatures v0.50.0 can return spurious holes
// for many overlapping rectangles (TestUnionOfOverlappingRectangles).
func cascadedUnion(gs []geom.Geometry) (geom.Geometry, error) {
	if len(gs) == 1 {
		return geom.UnionMany(gs) // normalises a single input
	}
	for len(gs) > 1 {
		next := make([]geom.Geometry, 0, (len(gs)+1)/2)
		for i := 0; i+1 < len(gs); i += 2 {
			u, err := geom.Union(gs[i], gs[i+1])
			if err != nil {
				return geom.Geometry{}, err
			}
			next = append(next, u)
		}
		if len(gs)%2 == 1 {
			next = append(next, gs[len(gs)-1])
		}
		gs = next
	}
	return gs[0], nil
}

// spatialFunctions are registered on every connection for exact spatial
// filters, after the R*Tree has narrowed the candidates by bounding box.
var spatialFunctions = map[string]any{
	"tessera_intersects": func(a, b []byte) (bool, error) {
		return relate(a, b, func(x, y geom.Geometry) (bool, error) { return geom.Intersects(x, y), nil })
	},
	"tessera_contains": func(a, b []byte) (bool, error) { return relate(a, b, geom.Contains) },
	"tessera_within":   func(a, b []byte) (bool, error) { return relate(a, b, geom.Within) },
}

var queryGeoms struct {
	sync.Mutex
	m map[string]geom.Geometry
}

// parseQueryGeom parses the query geometry, which is the same for every row
// of a statement, through a small cache.
func parseQueryGeom(b []byte) (geom.Geometry, error) {
	queryGeoms.Lock()
	defer queryGeoms.Unlock()
	if g, ok := queryGeoms.m[string(b)]; ok {
		return g, nil
	}
	g, err := geom.UnmarshalWKB(b, geom.NoValidate{})
	if err != nil {
		return g, err
	}
	if len(queryGeoms.m) >= 64 || queryGeoms.m == nil {
		queryGeoms.m = map[string]geom.Geometry{}
	}
	queryGeoms.m[string(b)] = g
	return g, nil
}

func relate(a, b []byte, pred func(geom.Geometry, geom.Geometry) (bool, error)) (bool, error) {
	if a == nil || b == nil {
		return false, nil
	}
	ga, err := geom.UnmarshalWKB(a, geom.NoValidate{})
	if err != nil {
		return false, err
	}
	gb, err := parseQueryGeom(b)
	if err != nil {
		return false, err
	}
	return pred(ga, gb)
}
