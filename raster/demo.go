package raster

import (
	"bytes"
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"time"

	"github.com/airbusgeo/godal"
	"github.com/paulmach/orb"
)

// DemoTile describes one raster written by WriteDemo.
type DemoTile struct {
	Path            string
	Bounds          orb.Bound // EPSG:32633
	AcquisitionDate time.Time // UTC midnight
	CloudCover      float64   // percent
	SensorName      string
	ProductName     string
}

// Demo raster layout: 256×256 tiles of 10 m pixels in UTM zone 33N
// (EPSG:32633), edge to edge on a grid whose top-left corner lies near
// Vienna.
const (
	demoTileSize = 256
	demoCellSize = 10.0
	demoEPSG     = 32633
	demoOriginX  = 600000.0
	demoOriginY  = 5360000.0
	demoSeed     = 20240611
)

var demoSensors = []struct {
	name string
	tint [3]float64
}{
	{"Sentinel-2A", [3]float64{1.05, 1.00, 0.95}},
	{"Sentinel-2B", [3]float64{0.96, 1.00, 1.05}},
	{"Landsat-8", [3]float64{1.00, 1.05, 0.97}},
	{"Landsat-9", [3]float64{1.03, 0.97, 1.03}},
}

// WriteDemo writes the demo collection's n source rasters (n ≥ 24) into
// dir: 256×256, 3-band Byte GeoTIFFs in EPSG:32633 with 10 m pixels, edge to
// edge on a grid (24 tiles make 6 columns × 4 rows). Together they draw one
// continuous procedural landscape; each sensor tints its tiles slightly.
// Each file carries the metadata items ACQUISITIONDATE (YYYY-MM-DD),
// CLOUDCOVER (0–100, about a third above 50), SENSORNAME and PRODUCTNAME.
//
// Output is deterministic. A file that already exists with the same content
// is left alone; one with different content is an error (it is not
// overwritten). New files are written to a temporary name and renamed.
func WriteDemo(dir string, n int) ([]DemoTile, error) {
	if n < 24 {
		return nil, fmt.Errorf("raster: write demo: n = %d, want at least 24", n)
	}
	setup()
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("raster: write demo: %w", err)
	}
	cols := int(math.Ceil(math.Sqrt(1.5 * float64(n))))
	tiles := make([]DemoTile, n)
	for i := range tiles {
		row, col := i/cols, i%cols
		t := demoTileMeta(i)
		t.Path = filepath.Join(dir, fmt.Sprintf("demo_%03d.tif", i))
		xmin := demoOriginX + float64(col*demoTileSize)*demoCellSize
		ymax := demoOriginY - float64(row*demoTileSize)*demoCellSize
		t.Bounds = orb.Bound{
			Min: orb.Point{xmin, ymax - demoTileSize*demoCellSize},
			Max: orb.Point{xmin + demoTileSize*demoCellSize, ymax},
		}
		data, err := demoTIFF(t, row, col)
		if err != nil {
			return nil, fmt.Errorf("raster: write demo %s: %w", t.Path, err)
		}
		if err := writeIfAbsent(t.Path, data); err != nil {
			return nil, fmt.Errorf("raster: write demo: %w", err)
		}
		tiles[i] = t
	}
	return tiles, nil
}

// demoTileMeta derives tile i's attributes from the seed.
func demoTileMeta(i int) DemoTile {
	h := func(k uint64) uint64 { return mix(uint64(demoSeed) ^ uint64(i)<<8 ^ k) }
	cc := float64(h(1)%450) / 10 // 0–45
	if i%3 == 1 {
		cc = 55 + float64(h(1)%400)/10 // 55–95
	}
	base := time.Date(2023, 4, 1, 0, 0, 0, 0, time.UTC)
	return DemoTile{
		AcquisitionDate: base.AddDate(0, 0, int(h(2)%180)),
		CloudCover:      cc,
		SensorName:      demoSensors[h(3)%uint64(len(demoSensors))].name,
		ProductName:     []string{"L1C", "L2A"}[h(4)%2],
	}
}

// demoTIFF renders one tile and encodes it as a GeoTIFF in memory.
func demoTIFF(t DemoTile, row, col int) ([]byte, error) {
	tint := [3]float64{1, 1, 1}
	for _, s := range demoSensors {
		if s.name == t.SensorName {
			tint = s.tint
		}
	}
	const n = demoTileSize * demoTileSize
	pix := make([]byte, 3*n)
	for y := range demoTileSize {
		for x := range demoTileSize {
			c := landscape(float64(col*demoTileSize+x), float64(row*demoTileSize+y))
			for b := range 3 {
				pix[b*n+y*demoTileSize+x] = uint8(min(max(math.Round(c[b]*tint[b]), 0), 255))
			}
		}
	}
	name := vsimemName("tif")
	ds, err := godal.Create(godal.GTiff, name, 3, godal.Byte, demoTileSize, demoTileSize, quiet,
		godal.CreationOption("TILED=YES", "COMPRESS=DEFLATE", "PREDICTOR=2", "PHOTOMETRIC=RGB"))
	if err != nil {
		return nil, err
	}
	sr, err := godal.NewSpatialRefFromEPSG(demoEPSG, quiet)
	if err != nil {
		ds.Close()
		godal.VSIUnlink(name) //nolint:errcheck // cleanup
		return nil, err
	}
	defer sr.Close()
	err = errors.Join(
		ds.SetGeoTransform([6]float64{t.Bounds.Min[0], demoCellSize, 0, t.Bounds.Max[1], 0, -demoCellSize}, quiet),
		ds.SetSpatialRef(sr, quiet),
		ds.SetMetadata("ACQUISITIONDATE", t.AcquisitionDate.Format("2006-01-02"), quiet),
		ds.SetMetadata("CLOUDCOVER", strconv.FormatFloat(t.CloudCover, 'f', -1, 64), quiet),
		ds.SetMetadata("SENSORNAME", t.SensorName, quiet),
		ds.SetMetadata("PRODUCTNAME", t.ProductName, quiet),
		ds.Write(0, 0, pix, demoTileSize, demoTileSize, godal.BandInterleaved(), quiet),
	)
	err = errors.Join(err, ds.Close(quiet))
	if err != nil {
		godal.VSIUnlink(name) //nolint:errcheck // cleanup
		return nil, err
	}
	return readVSIMem(name)
}

// writeIfAbsent writes data to path through a temporary file, unless path
// already holds exactly data. It never replaces different content.
func writeIfAbsent(path string, data []byte) error {
	old, err := os.ReadFile(path)
	switch {
	case err == nil && bytes.Equal(old, data):
		return nil
	case err == nil:
		return fmt.Errorf("%s exists with different content; not overwriting", path)
	case !errors.Is(err, os.ErrNotExist):
		return err
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), ".demo-*.tmp")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	_, err = tmp.Write(data)
	if err = errors.Join(err, tmp.Close()); err != nil {
		return err
	}
	// A link, not a rename: it never replaces a file that another process
	// (another instance sharing the folder) wrote in the meantime. On a
	// file system without hard links, a rename (which would replace such a
	// file with the same bytes).
	switch err = os.Link(tmp.Name(), path); {
	case errors.Is(err, os.ErrExist):
		return writeIfAbsent(path, data)
	case err != nil:
		return os.Rename(tmp.Name(), path)
	}
	return nil
}

// landscape returns the RGB colour of the demo world at global pixel (x, y):
// fractal-noise terrain with water, shores, patchwork fields, forest, rock
// and snow.
func landscape(x, y float64) [3]float64 {
	e := fbm(x/420, y/420, 5, 1)            // elevation
	m := fbm(x/260+37.1, y/260-11.7, 4, 2)  // moisture
	tex := (fbm(x/6, y/6, 2, 3) - 0.5) * 18 // fine texture
	lerp := func(a, b [3]float64, t float64) [3]float64 {
		t = min(max(t, 0), 1)
		return [3]float64{a[0] + (b[0]-a[0])*t, a[1] + (b[1]-a[1])*t, a[2] + (b[2]-a[2])*t}
	}
	var c [3]float64
	switch {
	case e < 0.40:
		c = lerp([3]float64{18, 45, 100}, [3]float64{55, 110, 150}, (e-0.25)/0.15)
		tex /= 3
	case e < 0.425:
		c = [3]float64{196, 182, 134}
	case e < 0.63 && m < 0.58:
		c = field(x, y)
	case e < 0.75:
		c = lerp([3]float64{46, 92, 44}, [3]float64{30, 70, 36}, (m-0.4)/0.3)
	case e < 0.86:
		c = lerp([3]float64{96, 110, 70}, [3]float64{128, 122, 112}, (e-0.75)/0.11)
	default:
		c = lerp([3]float64{150, 146, 140}, [3]float64{238, 238, 242}, (e-0.86)/0.05)
	}
	return [3]float64{c[0] + tex, c[1] + tex, c[2] + tex}
}

// field colours the patchwork of parcels, with darker hedges between them.
func field(x, y float64) [3]float64 {
	crops := [][3]float64{
		{214, 192, 108}, {118, 166, 74}, {84, 132, 58}, {146, 114, 82}, {160, 186, 96}, {196, 170, 90},
	}
	wx := x + 14*fbm(x/90, y/90, 2, 4) // gently wobbling parcel edges
	cx, cy := math.Floor(wx/58), math.Floor(y/41)
	if math.Mod(wx, 58) < 1.2 || math.Mod(y, 41) < 1.2 {
		return [3]float64{70, 96, 52}
	}
	return crops[mix(uint64(int64(cx))*0x9E37+uint64(int64(cy))*0x85EB+demoSeed)%uint64(len(crops))]
}

// fbm is fractal value noise in [0, 1].
func fbm(x, y float64, octaves int, salt uint64) float64 {
	sum, amp, norm := 0.0, 1.0, 0.0
	for o := range octaves {
		sum += amp * valueNoise(x, y, salt*131+uint64(o))
		norm += amp
		amp /= 2
		x, y = x*2.03, y*2.03
	}
	return sum / norm
}

func valueNoise(x, y float64, salt uint64) float64 {
	x0, y0 := math.Floor(x), math.Floor(y)
	fx, fy := x-x0, y-y0
	fx, fy = fx*fx*(3-2*fx), fy*fy*(3-2*fy)
	corner := func(dx, dy float64) float64 {
		k := uint64(int64(x0+dx))*0x9E3779B97F4A7C15 ^ uint64(int64(y0+dy))*0xC2B2AE3D27D4EB4F ^ salt*0x165667B19E3779F9 ^ demoSeed
		return float64(mix(k)>>11) / (1 << 53)
	}
	a, b := corner(0, 0), corner(1, 0)
	c, d := corner(0, 1), corner(1, 1)
	return (a+(b-a)*fx)*(1-fy) + (c+(d-c)*fx)*fy
}

// mix is the SplitMix64 finaliser.
func mix(z uint64) uint64 {
	z += 0x9E3779B97F4A7C15
	z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9
	z = (z ^ (z >> 27)) * 0x94D049BB133111EB
	return z ^ (z >> 31)
}
