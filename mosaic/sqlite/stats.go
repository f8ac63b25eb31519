package sqlite

import (
	"fmt"
	"math"

	"github.com/tessera-gis/tessera/mosaic"
)

// Band statistics of a collection are pooled from its items' statistics
// (mosaic.RasterInfo.Stats, present when an item was added with
// statistics). AddItems records them in item_stats, one row per item and
// band; BandStats aggregates the rows of live items. Items without
// statistics cost nothing, and a read costs one indexed pass over the rows
// of the items that have them.

// addItemStats records the statistics of an item just added.
func (tx *Tx) addItemStats(c *mosaic.Collection, oid int64, ri mosaic.RasterInfo) error {
	if len(ri.Stats) == 0 {
		return nil
	}
	pixels := float64(ri.Width) * float64(ri.Height)
	if !(pixels > 0) {
		pixels = 1
	}
	for band, st := range ri.Stats {
		if _, err := tx.exec(`INSERT OR REPLACE INTO item_stats (collection_id, oid, band, pixels, min, max, mean, std)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?)`, c.ID, oid, band, pixels, st.Min, st.Max, st.Mean, st.Std); err != nil {
			return fmt.Errorf("record statistics of item %d: %w", oid, err)
		}
	}
	return nil
}

// BandStats returns per-band statistics pooled over c's live items that
// have statistics, each weighted by its pixel count, or nil when none has.
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
