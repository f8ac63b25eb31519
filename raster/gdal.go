package raster

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/airbusgeo/godal"
)

// ErrNotRaster reports a file that exists but that GDAL cannot read as a
// raster (unknown format, corrupt or truncated file).
var ErrNotRaster = errors.New("not a readable raster")

var initOnce sync.Once

// forcedConfig is set whatever the environment says: these keep sources
// untouched and opens cheap.
var forcedConfig = [][2]string{
	{"GDAL_PAM_ENABLED", "NO"},
	{"GDAL_DISABLE_READDIR_ON_OPEN", "EMPTY_DIR"},
}

// defaultConfig is set only when the environment does not set it already,
// so operators can tune remote access.
var defaultConfig = [][2]string{
	{"GDAL_INGESTED_BYTES_AT_OPEN", "32768"},
	{"GDAL_HTTP_MERGE_CONSECUTIVE_RANGES", "YES"},
	{"GDAL_HTTP_MULTIPLEX", "YES"},
	{"GDAL_HTTP_RETRY_DELAY", "1"},
	{"VSI_CACHE", "TRUE"},
	{"CPL_VSIL_CURL_CHUNK_SIZE", "65536"},
}

// cappedConfig bounds how long a stalled remote can hold a reader: the
// environment may lower these, never raise them. A read waits at most
// about (GDAL_HTTP_MAX_RETRY+1) × GDAL_HTTP_TIMEOUT seconds.
var cappedConfig = [][2]string{
	{"GDAL_HTTP_CONNECTTIMEOUT", "10"},
	{"GDAL_HTTP_TIMEOUT", "30"},
	{"GDAL_HTTP_MAX_RETRY", "2"},
	{"GDAL_HTTP_LOW_SPEED_TIME", "15"},
}

// rasterDrivers may open sources. VRT is added for files that checkOpen
// read as VRTs; remote sources never get it.
// HFA is left out: an .img names spill and dependent files by path.
var rasterDrivers = []string{"GTiff", "PNG", "JPEG", "JP2OpenJPEG", "AAIGrid", "USGSDEM", "DTED",
	"GSAG", "GSBG", "GS7BG", "NITF"}

// tableDrivers may open manifests. No OGR VRT, no SQLite, no CSV: prefix.
var tableDrivers = []string{"GPKG", "ESRI Shapefile", "FlatGeobuf", "GeoJSON", "GeoJSONSeq", "CSV"}

// keptDrivers stay registered: the drivers above and those tessera
// writes with. Every other driver is deregistered at start, so that a
// file a VRT references cannot be opened by one either.
var keptDrivers = append(append([]string{"VRT", "MEM", "Memory", "COG"}, rasterDrivers...), tableDrivers...)

// setup configures GDAL once per process. GDAL reads configuration options
// from the environment when they are not set otherwise, so setting the
// environment before the first GDAL call configures every thread without
// per-call churn. The network settings are set as GDAL configuration
// options instead, which take precedence over the environment and do not
// leak into child processes.
func setup() {
	initOnce.Do(func() {
		for _, kv := range forcedConfig {
			os.Setenv(kv[0], kv[1])
		}
		for _, kv := range defaultConfig {
			if _, ok := os.LookupEnv(kv[0]); !ok {
				os.Setenv(kv[0], kv[1])
			}
		}
		for _, kv := range cappedConfig {
			v, err := strconv.Atoi(os.Getenv(kv[0]))
			if limit, _ := strconv.Atoi(kv[1]); err != nil || v <= 0 || v > limit {
				os.Setenv(kv[0], kv[1])
			}
		}
		// curl would bypass the proxy for hosts listed here.
		os.Unsetenv("no_proxy")
		os.Unsetenv("NO_PROXY")
		proxy := startProxy()
		setConfig("GDAL_HTTP_PROXY", proxy)
		setConfig("GDAL_HTTPS_PROXY", proxy)
		// Credentials meant for an operator's own proxy would go to ours.
		os.Unsetenv("GDAL_HTTP_PROXYUSERPWD")
		os.Unsetenv("GDAL_PROXY_AUTH")
		setConfig("GDAL_VRT_ENABLE_PYTHON", "NO")
		// GMLJP2 boxes may name dictionary files and other resources.
		setConfig("GDAL_USE_GMLJP2", "NO")
		godal.RegisterAll()
		keepOnly(keptDrivers)
		go warmProj()
	})
}

// failuresOnly is godal's error handler for this package: GDAL failures
// become errors, warnings and debug messages are dropped.
func failuresOnly(ec godal.ErrorCategory, _ int, msg string) error {
	if ec >= godal.CE_Failure {
		return errors.New(msg)
	}
	return nil
}

var quiet = godal.ErrLogger(failuresOnly)

// isVSI reports whether name is a GDAL virtual path rather than a local file.
func isVSI(name string) bool {
	return strings.HasPrefix(name, "/vsi")
}

// mayBeSidecar reports whether a file name has the form of a name that
// sidecarNames gives: an external overview or mask, or a world file
// (whose extension ends in w).
func mayBeSidecar(name string) bool {
	ext := filepath.Ext(name)
	return ext == ".ovr" || ext == ".msk" || ext == ".wld" || len(ext) >= 3 && ext[len(ext)-1] == 'w'
}

// sidecarNames lists the sidecars worth finding next to a source: external
// overviews, an external mask and world files. openSource looks for them
// with os.Stat on local files only; remote rasters get none (each probe
// would be an HTTP request).
func sidecarNames(name string) []string {
	base := filepath.Base(name)
	ext := filepath.Ext(base)
	stem := strings.TrimSuffix(base, ext)
	c := []string{base + ".ovr", base + ".msk", stem + ".wld"}
	if e := strings.TrimPrefix(ext, "."); len(e) >= 2 {
		c = append(c, stem+"."+e[:1]+e[len(e)-1:]+"w", stem+"."+e+"w")
	}
	return c
}

// openSource opens a source raster read-only, after checking it and
// every file it references against the stores s (checkOpen). Sidecar
// files next to a local source are found by stat and offered to GDAL only
// when they pass the same check, so GDAL never lists the directory nor
// reads a sidecar that points out of the stores. Remote sources are never
// opened as VRTs. When the caller listed the raster's directory (listed,
// may be nil), the candidates are looked for in that listing instead.
func openSource(s *Stores, name string, listed *Listing) (*godal.Dataset, error) {
	setup()
	resolved, vrt, err := s.checkOpen(name)
	if err != nil {
		if errors.Is(err, ErrNoStores) {
			return nil, err
		}
		return nil, fmt.Errorf("open %q: %w", name, errors.Unwrap(err))
	}
	drivers := rasterDrivers
	if vrt {
		drivers = append(append([]string(nil), rasterDrivers...), "VRT")
	}
	opts := []godal.OpenOption{godal.RasterOnly(), godal.Drivers(drivers...), quiet}
	if !isVSI(resolved) {
		dir := filepath.Dir(resolved)
		if listed != nil && listed.dir != dir {
			listed = nil // resolved elsewhere: the listing says nothing of it
		}
		var found []string
		for _, c := range sidecarNames(resolved) {
			if listed != nil && !listed.has(c) {
				continue
			}
			p := filepath.Join(dir, c)
			if listed == nil && !exists(p) {
				continue
			}
			if _, _, err := s.checkOpen(p); err == nil {
				found = append(found, c)
			}
		}
		if len(found) > 0 {
			opts = append(opts, godal.SiblingFiles(found...))
		}
	}
	ds, err := godal.Open(resolved, opts...)
	if err != nil {
		return nil, fmt.Errorf("open %q: %w: %w", name, ErrNotRaster, err)
	}
	return ds, nil
}

var vsimemSeq atomic.Uint64

// vsimemName returns a process-unique /vsimem/ path with the given extension.
func vsimemName(ext string) string {
	return fmt.Sprintf("/vsimem/tessera-raster/%d-%d.%s", os.Getpid(), vsimemSeq.Add(1), ext)
}

// readVSIMem reads and removes a /vsimem/ file.
func readVSIMem(name string) ([]byte, error) {
	defer godal.VSIUnlink(name) //nolint:errcheck // best effort cleanup
	f, err := godal.VSIOpen(name)
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", name, err)
	}
	defer f.Close()
	b, err := io.ReadAll(f)
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", name, err)
	}
	if len(b) == 0 {
		return nil, fmt.Errorf("read %s: empty file", name)
	}
	return b, nil
}
