package sqlite

import (
	"encoding/json"
	"fmt"
	"math"

	"github.com/tessera-gis/tessera/mosaic"
)

// Band statistics of a collection are pooled from its items' statistics
// (mosaic.RasterInfo.Stats, present when an item was added with statistics)
// in two steps, like the rest of the summary: each boundary cell keeps the
// moments of its items in cells.stats, recomputed with the cell's other
// aggregates, and BandStats merges the cells' moments. So reading the
// statistics never scans the catalog.

// moments are one band's pooled moments: pixel count, extremes, and the
// sums of values and squared values.
type moments struct {
	N   float64 `json:"n"`
	Min float64 `json:"min"`
	Max float64 `json:"max"`
	Sum float64 `json:"sum"`
	Sq  float64 `json:"sq"`
}

func (m *moments) add(o moments) {
	if o.N <= 0 {
		return
	}
	if m.N == 0 {
		*m = o
		return
	}
	m.N += o.N
	m.Min, m.Max = math.Min(m.Min, o.Min), math.Max(m.Max, o.Max)
	m.Sum += o.Sum
	m.Sq += o.Sq
}

// merge adds per-band moments to acc, growing it as needed.
func merge(acc []moments, bands []moments) []moments {
	for len(acc) < len(bands) {
		acc = append(acc, moments{})
	}
	for i, b := range bands {
		acc[i].add(b)
	}
	return acc
}

func momentsJSON(acc []moments) any {
	if len(acc) == 0 {
		return nil
	}
	b, err := json.Marshal(acc)
	if err != nil {
		return nil
	}
	return string(b)
}

func textOf(v any) (string, bool) {
	switch x := v.(type) {
	case string:
		return x, true
	case []byte:
		return string(x), true
	}
	return "", false
}

// rasterMoments is the aggregate tessera_raster_moments(_raster): the
// pooled moments of items' statistics, each weighted by its pixel count;
// NULL when no item has statistics.
type rasterMoments struct{ acc []moments }

func (a *rasterMoments) Step(v any) {
	s, ok := textOf(v)
	if !ok {
		return
	}
	var ri struct {
		Width  float64            `json:"width"`
		Height float64            `json:"height"`
		Stats  []mosaic.BandStats `json:"stats"`
	}
	if json.Unmarshal([]byte(s), &ri) != nil || len(ri.Stats) == 0 {
		return
	}
	n := ri.Width * ri.Height
	if !(n > 0) {
		n = 1
	}
	bands := make([]moments, len(ri.Stats))
	for i, st := range ri.Stats {
		bands[i] = moments{N: n, Min: st.Min, Max: st.Max, Sum: n * st.Mean, Sq: n * (st.Std*st.Std + st.Mean*st.Mean)}
	}
	a.acc = merge(a.acc, bands)
}

func (a *rasterMoments) Done() any { return momentsJSON(a.acc) }

// mergeMoments is the aggregate tessera_merge_moments(stats) over cells.
type mergeMoments struct{ acc []moments }

func (a *mergeMoments) Step(v any) {
	s, ok := textOf(v)
	if !ok {
		return
	}
	var bands []moments
	if json.Unmarshal([]byte(s), &bands) == nil {
		a.acc = merge(a.acc, bands)
	}
}

func (a *mergeMoments) Done() any { return momentsJSON(a.acc) }

// aggregateFunctions are registered on every connection.
var aggregateFunctions = map[string]any{
	"tessera_raster_moments": func() *rasterMoments { return &rasterMoments{} },
	"tessera_merge_moments":  func() *mergeMoments { return &mergeMoments{} },
}

// BandStats returns per-band statistics pooled over c's live items that
// have statistics, weighted by their pixel counts, or nil when none has.
func (tx *Tx) BandStats(c *mosaic.Collection) ([]mosaic.BandStats, error) {
	var text any
	if err := tx.queryRow(`SELECT tessera_merge_moments(stats) FROM cells WHERE collection_id = ? AND stats IS NOT NULL`,
		c.ID).Scan(&text); err != nil {
		return nil, fmt.Errorf("band statistics of %s: %w", c.Name, err)
	}
	s, ok := textOf(text)
	if !ok {
		return nil, nil
	}
	var bands []moments
	if err := json.Unmarshal([]byte(s), &bands); err != nil {
		return nil, fmt.Errorf("band statistics of %s: %w", c.Name, err)
	}
	out := make([]mosaic.BandStats, len(bands))
	for i, m := range bands {
		if m.N <= 0 {
			continue
		}
		mean := m.Sum / m.N
		out[i] = mosaic.BandStats{Min: m.Min, Max: m.Max, Mean: mean, Std: math.Sqrt(math.Max(m.Sq/m.N-mean*mean, 0))}
	}
	return out, nil
}
