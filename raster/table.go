package raster

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/airbusgeo/godal"
)

// TableCSV reads the first layer of a vector dataset (a GeoPackage such
// as gdaltindex writes, a shapefile, FlatGeobuf, GeoJSON, CSV) and returns
// its attribute table as CSV text: a header row with the field names in
// the layer's order, then one row per feature. Geometries are left out.
// Like every source, the dataset must lie in the data stores of ctx, its
// sidecar files too, and is opened read-only, by an allow-list of drivers
// (no OGR VRT, no SQLite).
func TableCSV(ctx context.Context, path string) ([]byte, error) {
	setup()
	stores := StoresFrom(ctx)
	resolved, err := stores.check(path)
	if err != nil {
		if errors.Is(err, ErrNoStores) {
			return nil, err
		}
		return nil, fmt.Errorf("raster: open table %q: %w", path, ErrNotInStore)
	}
	var siblings []string
	if !isVSI(resolved) {
		if siblings, err = tableSidecars(stores, resolved); err != nil {
			return nil, fmt.Errorf("raster: open table %q: %w", path, err)
		}
	}
	opts := []godal.OpenOption{godal.VectorOnly(), godal.Drivers(tableDrivers...), quiet}
	if len(siblings) > 0 {
		opts = append(opts, godal.SiblingFiles(siblings...))
	}
	ds, err := godal.Open(resolved, opts...)
	if err != nil {
		return nil, fmt.Errorf("raster: open table %q: not a table GDAL can read: %w", path, err)
	}
	defer ds.Close()
	layers := ds.Layers()
	if len(layers) == 0 {
		return nil, fmt.Errorf("raster: open table %q: no layer", path)
	}
	name := fmt.Sprintf("/vsimem/tessera-table-%d-%d.csv", os.Getpid(), vsimemSeq.Add(1))
	out, err := ds.VectorTranslate(name, []string{"-f", "CSV", "-lco", "LINEFORMAT=LF", "-nln", "table", layers[0].Name()}, quiet)
	if err != nil {
		return nil, fmt.Errorf("raster: convert table %q: %w", path, err)
	}
	if err := out.Close(); err != nil {
		godal.VSIUnlink(name) //nolint:errcheck // best effort cleanup
		return nil, fmt.Errorf("raster: convert table %q: %w", path, err)
	}
	return readVSIMem(name)
}

// tableSidecarExts are the files a shapefile (or a GeoPackage's journal)
// brings along; they must lie in the stores too.
var tableSidecarExts = []string{".dbf", ".shx", ".prj", ".cpg", ".qix", ".sbn", ".sbx", ".qpj", ".csvt", ".gpkg-wal", ".gpkg-shm"}

// tableSidecars checks the sidecars of a resolved manifest and returns
// their names. A sidecar that exists but is not readable refuses the
// whole manifest.
func tableSidecars(s *Stores, resolved string) ([]string, error) {
	dir, base := filepath.Split(resolved)
	stem := strings.TrimSuffix(base, filepath.Ext(base))
	var out []string
	for _, ext := range tableSidecarExts {
		for _, e := range []string{ext, strings.ToUpper(ext)} {
			p := filepath.Join(dir, stem+e)
			if _, err := os.Lstat(p); err != nil {
				continue
			}
			if _, err := s.check(p); err != nil {
				return nil, ErrForbiddenSource
			}
			out = append(out, stem+e)
		}
	}
	return out, nil
}
