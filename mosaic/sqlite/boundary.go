package sqlite

import (
	"encoding/json"
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
// are grouped into square grid cells by the centre of their footprint; each
// cell row keeps its count, bounding box, pixel-size range and, once
// computed, the union of its footprints. A change recomputes the aggregates
// of the cells it touches (through the partial index on _cell) and marks
// their unions stale; unions are computed per cell, in parallel, only when
// the boundary is read or refreshed. So no change ever re-unions the whole
// catalog, and the extent the ImageServer reports is always current.

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

// refreshCells recomputes the aggregates of the touched cells from their
// live items and marks their unions stale.
func (tx *Tx) refreshCells(c *mosaic.Collection, touched map[int64]bool) error {
	if len(touched) == 0 {
		return nil
	}
	keys := make([]int64, 0, len(touched))
	for k := range touched {
		keys = append(keys, k)
	}
	b, _ := json.Marshal(keys)
	if _, err := tx.exec(`DELETE FROM cells WHERE collection_id = ? AND cell IN (SELECT value FROM json_each(?))`, c.ID, string(b)); err != nil {
		return fmt.Errorf("refresh cells: %w", err)
	}
	_, err := tx.exec(fmt.Sprintf(`INSERT INTO cells (collection_id, cell, count, minx, miny, maxx, maxy, min_psx, min_psy, max_ps, stats)
		SELECT ?, _cell, count(*), min(_minx), min(_miny), max(_maxx), max(_maxy),
		       coalesce(min(%[2]s), 0), coalesce(min(%[2]s), 0), coalesce(max(%[3]s), 0),
		       tessera_raster_moments(_raster) FILTER (WHERE instr(_raster, '"stats":') > 0)
		FROM %[1]s WHERE _deleted_at IS NULL AND _cell IN (SELECT value FROM json_each(?)) GROUP BY _cell`,
		itemsTable(c), quote(mosaic.FieldNameLowPS), quote(mosaic.FieldNameHighPS)), c.ID, string(b))
	if err != nil {
		return fmt.Errorf("refresh cells: %w", err)
	}
	return nil
}

type cellShape struct {
	key   int64
	shape []byte // WKB of the cell's union; nil when stale
}

func (tx *Tx) cells(c *mosaic.Collection) ([]cellShape, error) {
	rows, err := tx.query(`SELECT cell, shape FROM cells WHERE collection_id = ? ORDER BY cell`, c.ID)
	if err != nil {
		return nil, fmt.Errorf("read cells: %w", err)
	}
	defer rows.Close()
	var out []cellShape
	for rows.Next() {
		var cs cellShape
		if err := rows.Scan(&cs.key, &cs.shape); err != nil {
			return nil, err
		}
		out = append(out, cs)
	}
	return out, rows.Err()
}

// unionStaleCells computes the union of every stale cell, in parallel.
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
	// Read footprints first: one transaction is not safe for concurrent use.
	footprints := make([][][]byte, len(stale))
	for j, i := range stale {
		rows, err := tx.query(fmt.Sprintf(`SELECT %s FROM %s WHERE _cell = ? AND _deleted_at IS NULL`,
			quote(mosaic.FieldNameShape), itemsTable(c)), cells[i].key)
		if err != nil {
			return fmt.Errorf("read footprints: %w", err)
		}
		for rows.Next() {
			var b []byte
			if err := rows.Scan(&b); err != nil {
				rows.Close()
				return err
			}
			footprints[j] = append(footprints[j], b)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
	}
	var g errgroup.Group
	g.SetLimit(runtime.GOMAXPROCS(0))
	for j, i := range stale {
		g.Go(func() error {
			u, err := unionWKB(footprints[j])
			if err != nil {
				return err
			}
			cells[i].shape = u
			return nil
		})
	}
	return g.Wait()
}

// Boundary returns the union of c's live footprints.
func (tx *Tx) Boundary(c *mosaic.Collection) (orb.MultiPolygon, error) {
	cells, err := tx.cells(c)
	if err != nil {
		return nil, err
	}
	if err := tx.unionStaleCells(c, cells); err != nil {
		return nil, err
	}
	shapes := make([][]byte, 0, len(cells))
	for _, cs := range cells {
		shapes = append(shapes, cs.shape)
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

// UpdateBoundary computes and stores the unions of c's stale cells, so that
// later boundary reads are cheap.
func (tx *Tx) UpdateBoundary(c *mosaic.Collection) error {
	cells, err := tx.cells(c)
	if err != nil {
		return err
	}
	if err := tx.unionStaleCells(c, cells); err != nil {
		return err
	}
	for _, cs := range cells {
		if _, err := tx.exec(`UPDATE cells SET shape = ? WHERE collection_id = ? AND cell = ? AND shape IS NULL`,
			cs.shape, c.ID, cs.key); err != nil {
			return fmt.Errorf("store cell boundary: %w", err)
		}
	}
	return nil
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
	u, err := geom.UnionMany(gs)
	if err != nil {
		return nil, fmt.Errorf("union footprints: %w", err)
	}
	return u.AsBinary(), nil
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
