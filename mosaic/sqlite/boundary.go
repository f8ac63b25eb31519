package sqlite

import (
	"database/sql"
	"fmt"
	"runtime"
	"sort"
	"sync"

	"github.com/paulmach/orb"
	"github.com/peterstace/simplefeatures/geom"
	"golang.org/x/sync/errgroup"

	"github.com/tessera-gis/tessera/mosaic"
	"github.com/tessera-gis/tessera/mosaic/internal/storesql"
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
// re-unions the whole catalog at once: the work is proportional to the
// cells whose set of footprints changed (all of them, in the worst case of
// distinct footprints removed from every cell). cell.go keeps the cells'
// aggregates and footprint counts.

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
	return storesql.MultiPolygonFromWKB(u)
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
	gs = mortonSorted(gs)
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

// mortonSorted sorts geometries by the Z-order of their envelopes
// centres, so that cascadedUnion pairs neighbours and its intermediate
// unions stay compact.
func mortonSorted(gs []geom.Geometry) []geom.Geometry {
	if len(gs) < 3 {
		return gs
	}
	type keyed struct {
		z uint64
		g geom.Geometry
	}
	var all geom.Envelope
	centres := make([]geom.XY, len(gs))
	for i, g := range gs {
		e := g.Envelope()
		all = all.ExpandToIncludeEnvelope(e)
		if c, ok := e.Center().XY(); ok {
			centres[i] = c
		}
	}
	lo, hi, ok := all.MinMaxXYs()
	if !ok {
		return gs
	}
	w, h := max(hi.X-lo.X, 1e-300), max(hi.Y-lo.Y, 1e-300)
	ks := make([]keyed, len(gs))
	for i, g := range gs {
		x := uint32(min(float64(1<<32-1), (centres[i].X-lo.X)/w*float64(1<<32-1)))
		y := uint32(min(float64(1<<32-1), (centres[i].Y-lo.Y)/h*float64(1<<32-1)))
		ks[i] = keyed{interleave(x) | interleave(y)<<1, g}
	}
	sort.Slice(ks, func(a, b int) bool { return ks[a].z < ks[b].z })
	for i := range ks {
		gs[i] = ks[i].g
	}
	return gs
}

// interleave spreads the bits of v over the even bits of a uint64.
func interleave(v uint32) uint64 {
	x := uint64(v)
	x = (x | x<<16) & 0x0000FFFF0000FFFF
	x = (x | x<<8) & 0x00FF00FF00FF00FF
	x = (x | x<<4) & 0x0F0F0F0F0F0F0F0F
	x = (x | x<<2) & 0x3333333333333333
	x = (x | x<<1) & 0x5555555555555555
	return x
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

// relate tests footprint a against query geometry b. A panic of the
// geometry library becomes an error: unwinding through SQLite's C frames
// it would reach database/sql's rollback, which waits for the statement's
// lock, and deadlock the transaction.
func relate(a, b []byte, pred func(geom.Geometry, geom.Geometry) (bool, error)) (ok bool, err error) {
	defer func() {
		if p := recover(); p != nil {
			ok, err = false, fmt.Errorf("spatial test: %v", p)
		}
	}()
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
