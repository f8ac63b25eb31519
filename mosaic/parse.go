package mosaic

import (
	"encoding/json"
	"strconv"
	"strings"
	"time"
)

// This file holds the parsers for values that clients send in more than
// one place: HTTP parameters, GP task inputs and manifests all read
// booleans, OBJECTID lists, dates and spatial references the same way.

// ParseBool reads a boolean as clients send it: true or false, yes or no,
// on or off, 1 or 0, in any case and with spaces around. Blank text means
// def. ok is false for anything else.
func ParseBool(s string, def bool) (v, ok bool) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "":
		return def, true
	case "true", "yes", "on", "1":
		return true, true
	case "false", "no", "off", "0":
		return false, true
	}
	return false, false
}

// MaxIDs is the most OBJECTIDs that one list may hold.
const MaxIDs = 100000

// ParseIDs reads a list of OBJECTIDs: integers separated by commas, also
// inside JSON array brackets ("1,2,3", "[1, 2, 3]"). Empty entries are
// skipped, and blank text is a nil list. Its EINVALID errors say what is
// wrong in words that can follow a parameter's name.
func ParseIDs(s string) ([]int64, error) {
	s = strings.Trim(strings.TrimSpace(s), "[] ")
	if s == "" {
		return nil, nil
	}
	parts := strings.Split(s, ",")
	if len(parts) > MaxIDs {
		return nil, Errorf(EINVALID, "more than %d,%03d IDs", MaxIDs/1000, MaxIDs%1000)
	}
	ids := make([]int64, 0, len(parts))
	for _, p := range parts {
		if p = strings.TrimSpace(p); p == "" {
			continue
		}
		n, err := strconv.ParseInt(p, 10, 64)
		if err != nil {
			return nil, Errorf(EINVALID, "%q is not an integer", p)
		}
		ids = append(ids, n)
	}
	return ids, nil
}

// dateLayouts are the date and time forms ParseDate reads: ISO 8601 and
// RFC 3339 with or without a time, fraction or zone, the slashed forms of
// ArcGIS clients, EXIF's colons and compact yyyymmdd.
var dateLayouts = []string{time.RFC3339Nano, "2006-01-02T15:04:05", "2006-01-02 15:04:05", "2006-01-02T15:04:05.000",
	"2006-01-02", "2006:01:02 15:04:05", "2006/01/02 15:04:05", "2006/01/02 15:04:05.000", "2006/01/02",
	"20060102", "2006-01-02T15:04Z", "2006-01-02T15:04:05Z07:00", "2006-01-02 15:04:05Z07:00", "2006-01-02 15:04:05.999999999"}

// ParseDate reads a date or date and time in one of the forms clients and
// raster metadata use (times without a zone are UTC), or epoch
// milliseconds (a number over 10^11, so after March 1973). The result is
// in UTC. It does not trim s.
func ParseDate(s string) (time.Time, bool) {
	if t, ok := parseISODate(s); ok { // the commonest form, which the loop reaches fifth
		return t, true
	}
	for _, l := range dateLayouts {
		if t, err := time.Parse(l, s); err == nil {
			return t.UTC(), true
		}
	}
	if ms, err := strconv.ParseInt(s, 10, 64); err == nil && ms > 1e11 {
		return time.UnixMilli(ms).UTC(), true
	}
	return time.Time{}, false
}

// parseISODate reads yyyy-mm-dd as time.Parse("2006-01-02", s) does,
// without its layout machinery: an ingest parses one per raster.
func parseISODate(s string) (time.Time, bool) {
	if len(s) != 10 || s[4] != '-' || s[7] != '-' {
		return time.Time{}, false
	}
	num := func(b string) (int, bool) {
		n := 0
		for i := 0; i < len(b); i++ {
			if b[i] < '0' || b[i] > '9' {
				return 0, false
			}
			n = n*10 + int(b[i]-'0')
		}
		return n, true
	}
	y, ok1 := num(s[:4])
	m, ok2 := num(s[5:7])
	d, ok3 := num(s[8:])
	if !ok1 || !ok2 || !ok3 || m < 1 || m > 12 || d < 1 {
		return time.Time{}, false
	}
	t := time.Date(y, time.Month(m), d, 0, 0, 0, 0, time.UTC)
	if t.Day() != d { // past the month's end, as time.Parse refuses
		return time.Time{}, false
	}
	return t, true
}

// ParseSpatialRef reads a spatial reference as Esri clients send one: a
// WKID ("4326"), "EPSG:4326", or Esri JSON ({"wkid":…}, {"latestWkid":…},
// {"wkt":…}; latestWkid wins over wkid). Blank text is the zero value. Its
// EINVALID errors say what is wrong in words that can follow a
// parameter's name. Whether the server knows the reference is for the
// Projector to say.
func ParseSpatialRef(s string) (SpatialRef, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return SpatialRef{}, nil
	}
	if strings.HasPrefix(s, "{") {
		var j struct {
			WKID       int    `json:"wkid"`
			LatestWKID int    `json:"latestWkid"`
			WKT        string `json:"wkt"`
		}
		if err := json.Unmarshal([]byte(s), &j); err != nil {
			return SpatialRef{}, Errorf(EINVALID, "not valid JSON")
		}
		if j.LatestWKID != 0 {
			return SpatialRef{WKID: j.LatestWKID}, nil
		}
		if j.WKID != 0 || j.WKT != "" {
			return SpatialRef{WKID: j.WKID, WKT: j.WKT}, nil
		}
		return SpatialRef{}, Errorf(EINVALID, "expected wkid, latestWkid or wkt")
	}
	n, err := strconv.Atoi(strings.TrimPrefix(strings.ToUpper(s), "EPSG:"))
	if err != nil || n <= 0 {
		return SpatialRef{}, Errorf(EINVALID, "expected a WKID or a spatial reference object")
	}
	return SpatialRef{WKID: n}, nil
}
