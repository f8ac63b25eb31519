package raster

import (
	"fmt"
	"os"

	"github.com/airbusgeo/godal"
)

// TableCSV reads the first layer of any vector dataset GDAL opens (a
// GeoPackage such as gdaltindex writes, a shapefile, FlatGeobuf, GeoJSON…)
// and returns its attribute table as CSV text: a header row with the field
// names in the layer's order, then one row per feature. Geometries are
// left out. Like every source, the dataset is opened read-only.
func TableCSV(path string) ([]byte, error) {
	setup()
	ds, err := godal.Open(path, godal.VectorOnly(), quiet)
	if err != nil {
		if !isVSI(path) {
			if _, serr := os.Stat(path); serr != nil {
				return nil, fmt.Errorf("raster: open table: %w", serr)
			}
		}
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
