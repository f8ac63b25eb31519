package postgis

import (
	"fmt"
	"math"

	"github.com/tessera-gis/tessera/mosaic"
)

// BandStats returns per-band statistics pooled over c's live items that
// have statistics, each weighted by its pixel count, or nil when none has.
// AddItems records them in item_stats, one row per item and band.
func (tx *Tx) BandStats(c *mosaic.Collection) ([]mosaic.BandStats, error) {
	rows, err := tx.query(fmt.Sprintf(`SELECT s.band, sum(s.pixels), min(s.min), max(s.max),
		sum(s.pixels * s.mean), sum(s.pixels * (s.std * s.std + s.mean * s.mean))
		FROM item_stats AS s JOIN %s AS i ON i.%s = s.oid
		WHERE s.collection_id = ? AND i._deleted_at IS NULL
		GROUP BY s.band ORDER BY s.band`, itemsTable(c), quote(mosaic.FieldNameOID)), c.ID)
	if err != nil {
		return nil, fmt.Errorf("band statistics of %s: %w", c.Name, err)
	}
	defer rows.Close()
	var out []mosaic.BandStats
	for rows.Next() {
		var (
			band            int
			n, lo, hi, s, q float64
		)
		if err := rows.Scan(&band, &n, &lo, &hi, &s, &q); err != nil {
			return nil, fmt.Errorf("band statistics of %s: %w", c.Name, err)
		}
		for len(out) < band {
			out = append(out, mosaic.BandStats{}) // a band no item described
		}
		mean := s / n
		out = append(out, mosaic.BandStats{Min: lo, Max: hi, Mean: mean, Std: math.Sqrt(math.Max(q/n-mean*mean, 0))})
	}
	return out, rows.Err()
}
