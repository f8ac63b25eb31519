package raster

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
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
	{"GDAL_HTTP_MAX_RETRY", "3"},
	{"GDAL_HTTP_RETRY_DELAY", "1"},
	{"GDAL_HTTP_CONNECTTIMEOUT", "10"},
	{"GDAL_HTTP_TIMEOUT", "60"},
	{"VSI_CACHE", "TRUE"},
	{"CPL_VSIL_CURL_CHUNK_SIZE", "65536"},
}

// setup configures GDAL once per process. GDAL reads configuration options
// from the environment when they are not set otherwise, so setting the
// environment before the first GDAL call configures every thread without
// per-call churn.
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
		godal.RegisterAll()
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

// openSource opens a source raster read-only. Sidecar files next to local
// sources are found by stat, so GDAL never lists the directory.
func openSource(name string) (*godal.Dataset, error) {
	setup()
	opts := []godal.OpenOption{godal.RasterOnly(), quiet}
	if !isVSI(name) {
		dir := filepath.Dir(name)
		var found []string
		for _, s := range sidecarNames(name) {
			if _, err := os.Stat(filepath.Join(dir, s)); err == nil {
				found = append(found, s)
			}
		}
		if len(found) > 0 {
			opts = append(opts, godal.SiblingFiles(found...))
		}
	}
	ds, err := godal.Open(name, opts...)
	if err != nil {
		return nil, classifyOpenError(name, err)
	}
	return ds, nil
}

// classifyOpenError tells a missing file from one GDAL cannot read.
func classifyOpenError(name string, err error) error {
	if !isVSI(name) {
		if _, serr := os.Stat(name); serr != nil {
			return fmt.Errorf("open %q: %w", name, serr)
		}
	}
	return fmt.Errorf("open %q: %w: %w", name, ErrNotRaster, err)
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
