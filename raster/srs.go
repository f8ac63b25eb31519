package raster

import (
	"errors"
	"fmt"
	"runtime"
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
	return srsFromWKTWith(wkt, identify)
}

// srsFromWKTWith is srsFromWKT with the identification id, identify or,
// on the PROJ thread itself, identifyHere.
func srsFromWKTWith(wkt string, id func(func() (*godal.SpatialRef, error)) (SRS, error)) (SRS, error) {
	if wkt == "" {
		return SRS{}, ErrNoSRS
	}
	if srs, ok := cachedSRS(wkt); ok {
		return srs, nil
	}
	srs, err := id(func() (*godal.SpatialRef, error) {
		return godal.NewSpatialRefFromWKT(wkt, quiet)
	})
	if err != nil {
		return SRS{}, err
	}
	srs.WKT = wkt // keep the dataset's own definition
	cacheSRS(wkt, srs)
	return srs, nil
}

// The PROJ thread. GDAL keeps a PROJ context per OS thread, and a
// thread's first lookup in PROJ's database opens it and fills that
// context's caches: 12–40 ms here, where a warm context answers in about
// 1 ms. Go runs goroutines on many threads, so each thread paid it once (a
// fresh server paid it on each reading thread at its first raster).
// Identifications are rare (their answers are cached: srsCache), so they
// all run on one thread, whose context stays warm; setup warms it.
var (
	projCalls = make(chan func())
	projOnce  sync.Once
)

// onProjThread runs f on the PROJ thread and waits for it. f must not call
// onProjThread itself (identify does: f uses identifyHere).
func onProjThread(f func()) {
	projOnce.Do(func() {
		go func() {
			runtime.LockOSThread() // for good: the thread keeps its context
			for f := range projCalls {
				f()
			}
		}()
	})
	done := make(chan struct{})
	projCalls <- func() {
		defer close(done)
		f()
	}
	<-done
}

// warmProj fills the PROJ thread's context, and GDAL's reading of GeoTIFF
// georeferencing, in the background once GDAL is set up: the first raster
// an ingest reads would otherwise wait for them (about 40 ms). It writes a
// one-pixel GeoTIFF in memory (/vsimem), never a file.
func warmProj() {
	onProjThread(func() {
		name := vsimemName("tif")
		defer godal.VSIUnlink(name) //nolint:errcheck // best effort: it may not exist
		ds, err := godal.Create(godal.GTiff, name, 1, godal.Byte, 1, 1, quiet)
		if err != nil {
			return
		}
		sr, err := godal.NewSpatialRefFromEPSG(32633, quiet)
		if err != nil {
			ds.Close(quiet) //nolint:errcheck // nothing to keep
			return
		}
		err = errors.Join(ds.SetGeoTransform([6]float64{500000, 1, 0, 5000000, 0, -1}, quiet), ds.SetSpatialRef(sr, quiet))
		sr.Close()
		if err = errors.Join(err, ds.Close(quiet)); err != nil {
			return
		}
		if ds, err = godal.Open(name, godal.RasterOnly(), godal.Drivers("GTiff"), quiet); err != nil {
			return
		}
		_, _ = srsFromWKTWith(ds.Projection(), identifyHere)
		ds.Close(quiet) //nolint:errcheck // read only
	})
}

// identify builds a spatial reference and reports its EPSG code (0 when
// none can be identified) and WKT, on the PROJ thread.
func identify(build func() (*godal.SpatialRef, error)) (srs SRS, err error) {
	onProjThread(func() { srs, err = identifyHere(build) })
	return srs, err
}

// identifyHere is identify on the calling thread.
func identifyHere(build func() (*godal.SpatialRef, error)) (SRS, error) {
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
