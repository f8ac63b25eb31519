package postgis

import (
	"github.com/tessera-gis/tessera/mosaic"
	"github.com/tessera-gis/tessera/mosaic/internal/storesql"
)

// BandStats returns per-band statistics pooled over c's live items that
// have statistics, each weighted by its pixel count, or nil when none has.
func (tx *Tx) BandStats(c *mosaic.Collection) ([]mosaic.BandStats, error) {
	return storesql.BandStats(tx.conn(), c, itemsTable(c))
}
