package raster

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/airbusgeo/godal"
)

// ErrNoSRS reports a raster or SRS value without a spatial reference.
var ErrNoSRS = errors.New("no spatial reference")

// SRS is a spatial reference: its EPSG code when one can be identified, and
// its WKT. The zero value means "none".
type SRS struct {
	EPSG int
	WKT  string
}

// IsZero reports whether s is the zero SRS (no spatial reference).
func (s SRS) IsZero() bool { return s.EPSG == 0 && s.WKT == "" }

// String returns "EPSG:<code>" when the code is known, else the WKT.
func (s SRS) String() string {
	if s.EPSG != 0 {
		return "EPSG:" + strconv.Itoa(s.EPSG)
	}
	return s.WKT
}

// gdalDefinition is what GDAL is given to build the spatial reference.
func (s SRS) gdalDefinition() (string, error) {
	switch {
	case s.EPSG != 0:
		return "EPSG:" + strconv.Itoa(s.EPSG), nil
	case s.WKT != "":
		return s.WKT, nil
	}
	return "", ErrNoSRS
}

// esriAliases maps Esri well-known IDs that stand for an EPSG code.
var esriAliases = map[int]int{
	102100: 3857, // WGS 1984 Web Mercator (auxiliary sphere)
	102113: 3857, // WGS 1984 Web Mercator
	900913: 3857, // Google's unofficial code
}

// srsCache memoises parsing and identification: the same definitions come
// back for every item of a collection, and identifying one costs a PROJ
// database lookup. Definitions come from clients too, so it is bounded:
// when full it starts afresh.
var srsCache struct {
	m sync.Map // string → SRS
	n atomic.Int64
}

const maxCachedSRS = 4096

func cachedSRS(key string) (SRS, bool) {
	v, ok := srsCache.m.Load(key)
	if !ok {
		return SRS{}, false
	}
	return v.(SRS), true
}

func cacheSRS(key string, srs SRS) {
	if srsCache.n.Add(1) > maxCachedSRS {
		srsCache.m.Clear()
		srsCache.n.Store(1)
	}
	srsCache.m.Store(key, srs)
}

// ParseSRS parses a spatial reference given as "EPSG:32633", a bare code
// ("32633", or an Esri WKID such as "102100", which means EPSG:3857), a WKT
// string (OGC or Esri flavour), a PROJ string or any other definition GDAL's
// OSRSetFromUserInput accepts.
func ParseSRS(s string) (SRS, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return SRS{}, fmt.Errorf("raster: parse SRS: %w", ErrNoSRS)
	}
	if srs, ok := cachedSRS(s); ok {
		return srs, nil
	}
	srs, err := parseSRS(s)
	if err != nil {
		return SRS{}, fmt.Errorf("raster: parse SRS %q: %w", abbreviate(s), err)
	}
	cacheSRS(s, srs)
	return srs, nil
}

func parseSRS(s string) (SRS, error) {
	setup()
	if code, err := strconv.Atoi(s); err == nil {
		if alias, ok := esriAliases[code]; ok {
			code = alias
		}
		if srs, err := identify(func() (*godal.SpatialRef, error) {
			return godal.NewSpatialRefFromEPSG(code, quiet)
		}); err == nil {
			return srs, nil
		}
		return identify(func() (*godal.SpatialRef, error) {
			return godal.NewSpatialRef("ESRI:"+s, quiet)
		})
	}
	if rest, ok := cutPrefixFold(s, "EPSG:"); ok {
		if code, err := strconv.Atoi(strings.TrimSpace(rest)); err == nil {
			return SRSFromEPSG(code)
		}
	}
	if strings.HasPrefix(s, "+") {
		return identify(func() (*godal.SpatialRef, error) {
			return godal.NewSpatialRefFromProj4(s, quiet)
		})
	}
	return identify(func() (*godal.SpatialRef, error) {
		return godal.NewSpatialRef(s, quiet)
	})
}

// SRSFromEPSG returns the spatial reference with the given EPSG code.
func SRSFromEPSG(code int) (SRS, error) {
	key := "EPSG:" + strconv.Itoa(code)
	if srs, ok := cachedSRS(key); ok {
		return srs, nil
	}
	setup()
	srs, err := identify(func() (*godal.SpatialRef, error) {
		return godal.NewSpatialRefFromEPSG(code, quiet)
	})
	if err != nil {
		return SRS{}, fmt.Errorf("raster: SRS from EPSG:%d: %w", code, err)
	}
	cacheSRS(key, srs)
	return srs, nil
}

// LookupSRS returns the spatial reference that a well-known ID names (an
// EPSG code, or one of Esri's aliases for one, such as 102100 for
// EPSG:3857) or, when wkid is 0, the one wkt defines. It is how a
// spatial reference stored as WKID and WKT becomes an SRS.
func LookupSRS(wkid int, wkt string) (SRS, error) {
	if wkid != 0 {
		if alias, ok := esriAliases[wkid]; ok {
			wkid = alias
		}
		return SRSFromEPSG(wkid)
	}
	return ParseSRS(wkt)
}

// srsFromWKT turns a dataset's WKT into an SRS, identifying its EPSG code
// once per distinct WKT.
func srsFromWKT(wkt string) (SRS, error) {
	if wkt == "" {
		return SRS{}, ErrNoSRS
	}
	if srs, ok := cachedSRS(wkt); ok {
		return srs, nil
	}
	srs, err := identify(func() (*godal.SpatialRef, error) {
		return godal.NewSpatialRefFromWKT(wkt, quiet)
	})
	if err != nil {
		return SRS{}, err
	}
	srs.WKT = wkt // keep the dataset's own definition
	cacheSRS(wkt, srs)
	return srs, nil
}

// identify builds a spatial reference and reports its EPSG code (0 when
// none can be identified) and WKT.
func identify(build func() (*godal.SpatialRef, error)) (SRS, error) {
	sr, err := build()
	if err != nil {
		return SRS{}, err
	}
	defer sr.Close()
	wkt, err := sr.WKT(quiet)
	if err != nil {
		return SRS{}, err
	}
	if wkt == "" {
		return SRS{}, ErrNoSRS
	}
	return SRS{EPSG: epsgCode(sr), WKT: wkt}, nil
}

func epsgCode(sr *godal.SpatialRef) int {
	code := func() int {
		if !strings.EqualFold(sr.AuthorityName(""), "EPSG") {
			return 0
		}
		c, _ := strconv.Atoi(sr.AuthorityCode(""))
		return c
	}
	if c := code(); c != 0 {
		return c
	}
	if sr.AutoIdentifyEPSG() == nil {
		return code()
	}
	return 0
}

// spatialRef builds a GDAL spatial reference with traditional GIS axis
// order (x = longitude/easting). The caller closes it.
func (s SRS) spatialRef() (*godal.SpatialRef, error) {
	setup()
	switch {
	case s.EPSG != 0:
		return godal.NewSpatialRefFromEPSG(s.EPSG, quiet)
	case s.WKT != "":
		return godal.NewSpatialRef(s.WKT, quiet)
	}
	return nil, ErrNoSRS
}

func cutPrefixFold(s, prefix string) (string, bool) {
	if len(s) >= len(prefix) && strings.EqualFold(s[:len(prefix)], prefix) {
		return s[len(prefix):], true
	}
	return s, false
}

// abbreviate shortens long definitions (WKT) for error messages.
func abbreviate(s string) string {
	const max = 60
	if len(s) <= max {
		return s
	}
	return s[:max] + "…"
}
