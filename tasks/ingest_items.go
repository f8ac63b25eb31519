package tasks

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"math"
	"path"
	"path/filepath"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/paulmach/orb"

	"github.com/tessera-gis/tessera/mosaic"
	"github.com/tessera-gis/tessera/raster"
)

// Items: what an ingest makes of a raster it read (buildItem), and the
// words it uses when it cannot (reason).

// maxRangeFactor multiplies an item's coarsest cell size (HighPS) to give
// its MaxPS, as ArcGIS's Calculate Cell Size Ranges does by default.
const maxRangeFactor = 10

// reprojectError reports a footprint that cannot be reprojected.
type reprojectError struct {
	to  raster.SRS
	err error
}

// Error says why without PROJ's text, which may quote the raster's own
// coordinate system.
func (e *reprojectError) Error() string {
	why := "no transformation applies"
	switch {
	case e.err == nil:
	case strings.Contains(e.err.Error(), "outside of projection domain"), strings.Contains(e.err.Error(), "Reprojection failed"):
		why = "it lies outside the projection's domain"
	case strings.Contains(e.err.Error(), "not a polygon"):
		why = "the reprojected footprint is not a polygon"
	}
	return fmt.Sprintf("it cannot be reprojected to the collection's spatial reference (%s): %s", srsName(e.to), why)
}

func (e *reprojectError) Unwrap() error { return e.err }

func srsName(s raster.SRS) string {
	if s.EPSG != 0 {
		return "EPSG:" + strconv.Itoa(s.EPSG)
	}
	if len(s.WKT) > 40 {
		return s.WKT[:40] + "…"
	}
	return s.WKT
}

// reason says in a few words why a raster failed. GDAL's own texts are
// not passed on, since they may quote the file (an XML element's name, a
// header line) and a path from a manifest may be any text: the phrases
// of gdalPhrases stand for them, and a generic one for the rest.
func reason(err error) string {
	var re *reprojectError
	var me *mosaic.Error
	switch {
	case errors.As(err, &re):
		return re.Error()
	case errors.As(err, &me):
		return strings.TrimSuffix(me.Message, ".")
	case errors.Is(err, raster.ErrNoStores):
		return "no data store is registered (tessera serve --data-store)"
	case errors.Is(err, raster.ErrNotInStore):
		return "it is " + raster.ErrNotInStore.Error()
	case errors.Is(err, raster.ErrForbiddenSource):
		return raster.ErrForbiddenSource.Error()
	case errors.Is(err, context.Canceled), errors.Is(err, context.DeadlineExceeded):
		return "reading it was stopped"
	case errors.Is(err, fs.ErrNotExist):
		return "the file does not exist"
	case errors.Is(err, fs.ErrPermission):
		return "permission denied"
	case errors.Is(err, raster.ErrNoSRS):
		return "it has no spatial reference (no geotransform or no coordinate system)"
	case errors.Is(err, raster.ErrNotRaster):
		return "GDAL cannot read it as a raster" + gdalPhrase(err.Error())
	}
	return "GDAL cannot read it" + gdalPhrase(err.Error())
}

// gdalPhrases map GDAL error texts onto words of tessera's own that say
// nothing of the file's contents. Every failure to reach a remote file
// reads the same, so that messages cannot tell a closed port from an open
// one, or a missing file from a forbidden one.
var gdalPhrases = []struct{ text, say string }{
	{"does not exist in the file system", unreachable},
	{"HTTP response code", unreachable},
	{"CURL error", unreachable},
	{"not recognized as a supported file format", "its format is not supported"},
	{"no raster bands", "it has no raster bands"},
	{"Parse error", "it is malformed"},
	{"IReadBlock failed", "a block of pixels cannot be read"},
	{"TIFFRead", "a block of pixels cannot be read"},
	{"Permission denied", "permission denied"},
}

const unreachable = "it does not exist or cannot be reached"

// gdalPhrase is ": " and the phrase for GDAL's text msg, or "".
func gdalPhrase(msg string) string {
	for _, p := range gdalPhrases {
		if strings.Contains(msg, p.text) {
			return ": " + p.say
		}
	}
	return ""
}

// buildItem turns a raster's description into a catalog item in target.
func buildItem(meta *metadataFields, src source, info *raster.Info, target raster.SRS, o *addOptions) (*mosaic.Item, error) {
	if info.SRS.IsZero() {
		return nil, raster.ErrNoSRS
	}
	if len(info.Footprint) == 0 || len(info.Footprint[0]) < 4 {
		return nil, mosaic.Errorf(mosaic.EINVALID, "It has no valid pixels, so no footprint.")
	}
	fp := info.Footprint.Clone() // an infoCache may give info to other rows
	cellX, cellY, coarse := info.CellSizeX, info.CellSizeY, info.CoarsestCellSize
	if !spatialRef(info.SRS).Equal(spatialRef(target)) {
		g, err := raster.Transform(info.Footprint, info.SRS, target)
		if err != nil {
			return nil, &reprojectError{to: target, err: errors.Unwrap(err)}
		}
		p, ok := g.(orb.Polygon)
		if !ok || len(p) == 0 {
			return nil, &reprojectError{to: target, err: errors.New("the footprint is not a polygon")}
		}
		// Scale cell sizes by the ratio of the reprojected to native extent.
		nb, tb := info.Footprint.Bound(), p.Bound()
		if w := nb.Max[0] - nb.Min[0]; w > 0 {
			s := (tb.Max[0] - tb.Min[0]) / w
			cellX, coarse = cellX*s, coarse*s
		}
		if h := nb.Max[1] - nb.Min[1]; h > 0 {
			cellY *= (tb.Max[1] - tb.Min[1]) / h
		}
		fp = p
	}
	if coarse <= 0 {
		coarse = cellX
	}
	bound := fp.Bound()
	center := bound.Center()
	attrs := make(map[string]any, 12)
	attrs[mosaic.FieldNameName] = itemName(src.Path)
	attrs[mosaic.FieldNameLowPS] = math.Min(cellX, cellY)
	attrs[mosaic.FieldNameHighPS] = coarse
	attrs[mosaic.FieldNameCategory] = int64(mosaic.CategoryPrimary)
	attrs[mosaic.FieldNameTag] = "Dataset"
	attrs[mosaic.FieldNameCenterX] = center[0]
	attrs[mosaic.FieldNameCenterY] = center[1]
	if o.UpdateCellSizes {
		attrs[mosaic.FieldNameMinPS] = 0.0
		attrs[mosaic.FieldNameMaxPS] = coarse * maxRangeFactor
	}
	meta.apply(info.Metadata, attrs)
	if src.Row != nil {
		for k, v := range src.Row.Values { // the manifest wins
			attrs[k] = v
		}
	}
	ri := mosaic.RasterInfo{
		Driver: info.Driver, Width: info.Width, Height: info.Height, Bands: info.Bands,
		PixelType: info.PixelType, NoData: info.NoData, GeoTransform: info.GeoTransform,
		CellSizeX: info.CellSizeX, CellSizeY: info.CellSizeY, Overviews: info.Overviews,
		SRS: mosaic.SpatialRef{WKID: info.SRS.EPSG},
	}
	if info.SRS.EPSG == 0 {
		ri.SRS.WKT = info.SRS.WKT // the EPSG code, when known, says it all
	}
	for _, s := range info.Stats {
		ri.Stats = append(ri.Stats, mosaic.BandStats(s))
	}
	return &mosaic.Item{Path: src.Path, Footprint: fp, Attributes: attrs, Raster: ri}, nil
}

// itemName is the file name without its extension; for URLs, without the
// query string.
func itemName(p string) string {
	if i := strings.IndexAny(p, "?#"); i >= 0 && isRemote(p) {
		p = p[:i]
	}
	base := path.Base(filepath.ToSlash(p))
	return strings.TrimSuffix(base, path.Ext(base))
}

// footprintFields are computed from the footprint or by the catalog; no
// metadata or manifest value overrides them.
var footprintFields = map[string]bool{"objectid": true, "shape": true, "shape_area": true, "shape_length": true,
	"centerx": true, "centery": true, "path": true}

// rasterFields are computed from the raster; GDAL metadata never overrides
// them, a manifest may.
var rasterFields = map[string]bool{"lowps": true, "highps": true, "minps": true, "maxps": true}

// metadataFields finds the catalog field a GDAL metadata item names
// (case-insensitively, the first of the fields in order), looked up once
// per ingest rather than per raster.
type metadataFields struct {
	fields   []mosaic.Field
	computed []bool         // by position: footprintFields and rasterFields, which metadata never sets
	byName   map[string]int // a field's name as given, lower- and upper-cased → its position
}

func newMetadataFields(fields []mosaic.Field) *metadataFields {
	m := &metadataFields{fields: fields, computed: make([]bool, len(fields)), byName: make(map[string]int, 3*len(fields))}
	for i := len(fields) - 1; i >= 0; i-- { // the first wins
		n := fields[i].Name
		m.byName[n], m.byName[strings.ToLower(n)], m.byName[strings.ToUpper(n)] = i, i, i
		m.computed[i] = footprintFields[strings.ToLower(n)] || rasterFields[strings.ToLower(n)]
	}
	return m
}

// index returns the position of the field named name, case-insensitively,
// or -1.
func (m *metadataFields) index(name string) int {
	// Changing case is not folding ("İ" lower-cases to "i", "ı" upper-cases
	// to "I", and neither folds to them), so a hit must also match as
	// fieldNamed does.
	if i, ok := m.byName[name]; ok && strings.EqualFold(m.fields[i].Name, name) {
		return i
	}
	if i, ok := m.byName[strings.ToLower(name)]; ok && strings.EqualFold(m.fields[i].Name, name) {
		return i
	}
	for i := 0; i < len(name); i++ {
		if name[i] >= utf8.RuneSelf { // names equal under Unicode case folding only
			for j, f := range m.fields {
				if strings.EqualFold(f.Name, name) {
					return j
				}
			}
			return -1
		}
	}
	return -1
}

// apply copies GDAL metadata items onto catalog fields with the same name
// (case-insensitively), converting values to the field's type. Fields
// computed from the footprint or the raster are left alone; of two items
// that name one field, the later in byte order wins.
func (m *metadataFields) apply(md map[string]string, attrs map[string]any) {
	// Two items seldom name one field: the item that wins a field is found
	// by comparing keys, without sorting them all. The first few fields
	// set are tracked on the stack, any more in a map.
	var won [8]struct{ field, key string }
	n := 0
	var more map[string]string // field → key, past len(won)
	for k, text := range md {
		i := m.index(k)
		if i < 0 || m.computed[i] {
			continue
		}
		f := m.fields[i]
		v, ok := convertText(f.Type, text)
		if !ok {
			continue
		}
		seen := false
		for j := range n {
			if won[j].field == f.Name {
				seen = true
				if k < won[j].key {
					ok = false // an item later in byte order set it
				} else {
					won[j].key = k
				}
				break
			}
		}
		if !seen {
			switch prev, had := more[f.Name]; {
			case had && k < prev:
				ok = false
			case had || n == len(won):
				if more == nil {
					more = map[string]string{}
				}
				more[f.Name] = k
			default:
				won[n].field, won[n].key = f.Name, k
				n++
			}
		}
		if ok {
			attrs[f.Name] = v
		}
	}
}

// convertText parses text as a field type.
func convertText(t mosaic.FieldType, s string) (any, bool) {
	s = strings.TrimSpace(s)
	if s == "" {
		return nil, false
	}
	switch t {
	case mosaic.FieldString:
		return s, true
	case mosaic.FieldInteger:
		if n, err := strconv.ParseInt(s, 10, 64); err == nil {
			return n, true
		}
		if f, err := strconv.ParseFloat(s, 64); err == nil && f == math.Trunc(f) && math.Abs(f) < 1<<53 {
			return int64(f), true
		}
	case mosaic.FieldDouble:
		if f, err := strconv.ParseFloat(s, 64); err == nil && !math.IsNaN(f) && !math.IsInf(f, 0) {
			return f, true
		}
	case mosaic.FieldDate:
		if t, ok := mosaic.ParseDate(s); ok {
			return t, true
		}
	}
	return nil, false
}

// spatialRef is s as the catalog stores spatial references.
func spatialRef(s raster.SRS) mosaic.SpatialRef { return mosaic.SpatialRef{WKID: s.EPSG, WKT: s.WKT} }
