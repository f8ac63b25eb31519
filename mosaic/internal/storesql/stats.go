package storesql

import (
	"fmt"
	"math"

	"github.com/tessera-gis/tessera/mosaic"
)

// Band statistics of a collection are pooled from its items' statistics
// (mosaic.RasterInfo.Stats), recorded in item_stats, one row per item and
// band, weighted by the item's pixel count. Reads join the live items, so
// rows of recycled or purged items do not count.

// BandStatsQuery selects, per band, the sums that PoolBandStats pools,
// for the collection whose ID is the one parameter; items is its table.
func BandStatsQuery(items string) string {
	return fmt.Sprintf(`SELECT s.band, sum(s.pixels), min(s.min), max(s.max),
		sum(s.pixels * s.mean), sum(s.pixels * (s.std * s.std + s.mean * s.mean))
		FROM item_stats AS s JOIN %s AS i ON i.%s = s.oid
		WHERE s.collection_id = ? AND i._deleted_at IS NULL
		GROUP BY s.band ORDER BY s.band`, items, Quote(mosaic.FieldNameOID))
}

// ItemPixels is the weight of an item's statistics: its pixel count, or
// 1 when unknown.
func ItemPixels(ri mosaic.RasterInfo) float64 {
	pixels := float64(ri.Width) * float64(ri.Height)
	if !(pixels > 0) {
		return 1
	}
	return pixels
}

// BandSums is one row of BandStatsQuery.
type BandSums struct {
	Band                         int
	Pixels, Min, Max, Sum, SumSq float64
}

// Dest returns the scan destinations of a row.
func (b *BandSums) Dest() []any { return []any{&b.Band, &b.Pixels, &b.Min, &b.Max, &b.Sum, &b.SumSq} }

// AppendBandStats adds a band's pooled statistics to out, with empty
// statistics for bands no item described.
func AppendBandStats(out []mosaic.BandStats, b BandSums) []mosaic.BandStats {
	for len(out) < b.Band {
		out = append(out, mosaic.BandStats{})
	}
	mean := b.Sum / b.Pixels
	return append(out, mosaic.BandStats{Min: b.Min, Max: b.Max, Mean: mean, Std: math.Sqrt(math.Max(b.SumSq/b.Pixels-mean*mean, 0))})
}
