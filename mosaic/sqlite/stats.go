package sqlite

import (
	"fmt"

	"github.com/tessera-gis/tessera/mosaic"
	"github.com/tessera-gis/tessera/mosaic/internal/storesql"
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
	pixels := storesql.ItemPixels(ri)
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
	return storesql.BandStats(tx.conn(), c, itemsTable(c))
}
