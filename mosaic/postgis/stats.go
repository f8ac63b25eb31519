package postgis

import (
	"fmt"

	"github.com/tessera-gis/tessera/mosaic"
	"github.com/tessera-gis/tessera/mosaic/internal/storesql"
)

// BandStats returns per-band statistics pooled over c's live items that
// have statistics, each weighted by its pixel count, or nil when none has.
func (tx *Tx) BandStats(c *mosaic.Collection) ([]mosaic.BandStats, error) {
	rows, err := tx.query(storesql.BandStatsQuery(itemsTable(c)), c.ID)
	if err != nil {
		return nil, fmt.Errorf("band statistics of %s: %w", c.Name, err)
	}
	defer rows.Close()
	var out []mosaic.BandStats
	for rows.Next() {
		var b storesql.BandSums
		if err := rows.Scan(b.Dest()...); err != nil {
			return nil, fmt.Errorf("band statistics of %s: %w", c.Name, err)
		}
		out = storesql.AppendBandStats(out, b)
	}
	return out, rows.Err()
}
