package postgis

import (
	"fmt"

	"github.com/paulmach/orb"

	"github.com/tessera-gis/tessera/mosaic"
	"github.com/tessera-gis/tessera/mosaic/internal/storesql"
)

// The boundary is kept in grid cells as in package mosaic/sqlite (see
// package storesql): each cell stores the union of its distinct footprints
// once computed, and a change makes a cell's union stale only when a
// footprint appears in or disappears from it. PostGIS computes the unions
// (ST_Union): a stale cell's from its live items' distinct footprints
// (by _shape_key), and the boundary from the cells' unions.

// staleUnions selects, for each stale cell of a collection, its key,
// version and the WKB of the union of its distinct live footprints.
const staleUnions = `SELECT c.cell, c.version, ST_AsBinary(ST_Union(d.shape))
	FROM cells AS c
	LEFT JOIN (SELECT DISTINCT ON (_cell, _shape_key) _cell, %[2]s AS shape FROM %[1]s
		WHERE _deleted_at IS NULL AND _cell IN (SELECT cell FROM cells WHERE collection_id = ? AND shape IS NULL)) AS d
		ON d._cell = c.cell
	WHERE c.collection_id = ? AND c.shape IS NULL
	GROUP BY c.cell, c.version ORDER BY c.cell`

// Boundary returns the union of c's live footprints.
func (tx *Tx) Boundary(c *mosaic.Collection) (orb.MultiPolygon, error) {
	var u []byte
	err := tx.queryRow(fmt.Sprintf(`WITH parts AS (
			SELECT shape FROM cells WHERE collection_id = ? AND shape IS NOT NULL
			UNION ALL
			SELECT ST_Union(d.shape) FROM (SELECT DISTINCT ON (_cell, _shape_key) _cell, %[2]s AS shape FROM %[1]s
				WHERE _deleted_at IS NULL AND _cell IN (SELECT cell FROM cells WHERE collection_id = ? AND shape IS NULL)) AS d
			GROUP BY d._cell)
		SELECT ST_AsBinary(ST_Union(shape)) FROM parts`, itemsTable(c), quote(mosaic.FieldNameShape)), c.ID, c.ID).Scan(&u)
	if err != nil {
		return nil, fmt.Errorf("boundary of %s: %w", c.Name, err)
	}
	return storesql.MultiPolygonFromWKB(u)
}

// StaleBoundary computes the unions of c's stale cells.
func (tx *Tx) StaleBoundary(c *mosaic.Collection) (*mosaic.BoundaryPatch, error) {
	rows, err := tx.query(fmt.Sprintf(staleUnions, itemsTable(c), quote(mosaic.FieldNameShape)), c.ID, c.ID)
	if err != nil {
		return nil, fmt.Errorf("stale boundary of %s: %w", c.Name, err)
	}
	defer rows.Close()
	p := &mosaic.BoundaryPatch{CollectionID: c.ID}
	for rows.Next() {
		var bc mosaic.BoundaryCell
		if err := rows.Scan(&bc.Key, &bc.Version, &bc.Union); err != nil {
			return nil, err
		}
		if bc.Union == nil {
			bc.Union = []byte{} // a cell without live footprints
		}
		p.Cells = append(p.Cells, bc)
	}
	return p, rows.Err()
}

// UpdateBoundary stores the unions of p whose cells are unchanged since
// StaleBoundary computed them.
func (tx *Tx) UpdateBoundary(c *mosaic.Collection, p *mosaic.BoundaryPatch) (int, error) {
	if p == nil || p.CollectionID != c.ID || len(p.Cells) == 0 {
		return 0, nil
	}
	var (
		keys, versions []int64
		unions         [][]byte
	)
	for _, bc := range p.Cells {
		if bc.Union == nil {
			continue
		}
		keys, versions, unions = append(keys, bc.Key), append(versions, bc.Version), append(unions, bc.Union)
	}
	// An empty union is stored as an empty collection, which is not NULL
	// (stale) and adds nothing to the boundary.
	tag, err := tx.exec(`UPDATE cells AS c SET shape = CASE WHEN length(u.wkb) = 0
			THEN ST_GeomFromText('GEOMETRYCOLLECTION EMPTY') ELSE ST_GeomFromWKB(u.wkb) END
		FROM unnest(?::bigint[], ?::bigint[], ?::bytea[]) AS u (cell, version, wkb)
		WHERE c.collection_id = ? AND c.cell = u.cell AND c.version = u.version AND c.shape IS NULL`,
		keys, versions, unions, c.ID)
	if err != nil {
		return 0, fmt.Errorf("store cell boundary: %w", err)
	}
	return int(tag.RowsAffected()), nil
}
