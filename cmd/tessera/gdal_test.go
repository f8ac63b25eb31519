package main_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/tessera-gis/tessera/raster/rastertest"
)

// The real GDAL 3.6 clients against the real binary serving the demo:
// the ESRIJSON driver reads the catalog through query, and the WMS "AGS"
// minidriver renders the mosaic through exportImage, whose pixels must
// equal gdalwarp's for the same sources on the same grid. The commands
// and the service description are those of clients/NOTES.md §4.

func needGDAL(t *testing.T) {
	t.Helper()
	for _, tool := range []string{"ogrinfo", "gdal_translate", "gdalwarp", "gdalinfo"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Skipf("%s is not installed (apt-get install -y gdal-bin)", tool)
		}
	}
}

// gdalTool runs a GDAL command-line tool and returns its standard output
// and error.
func gdalTool(t *testing.T, env []string, name string, args ...string) (string, string) {
	t.Helper()
	cmd := exec.Command(name, args...)
	cmd.Env = append(os.Environ(), append([]string{"GDAL_HTTP_TIMEOUT=120"}, env...)...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("%s %s: %v\n%s", name, strings.Join(args, " "), err, stderr.String())
	}
	return stdout.String(), stderr.String()
}

var fidRE = regexp.MustCompile(`(?m)^OGRFeature\(ESRIJSON\):(\d+)$`)

// TestGDALReadsCatalog: ogrinfo reads every item across pages, whether
// the client (resultRecordCount) or the server (maxRecordCount) sets the
// page size, and its feature count, which it gets from returnCountOnly,
// agrees with the catalog.
func TestGDALReadsCatalog(t *testing.T) {
	needGDAL(t)
	dir := t.TempDir()
	p := startServer(t, dir, "--demo", "--max-record-count", "5")
	is := p.Services() + "/Demo/ImageServer"
	total := count(t, p, "Demo", "1=1")
	ids := getJSON(t, is+"/query?where=1%3D1&returnIdsOnly=true&f=json")
	var want []int
	for _, id := range ids["objectIds"].([]any) {
		want = append(want, int(id.(float64)))
	}
	if len(want) != total || total != 24 {
		t.Fatalf("the demo has %d items and %d IDs, want 24", total, len(want))
	}
	debug := []string{"CPL_DEBUG=ON"}

	t.Run("summary", func(t *testing.T) {
		out, log := gdalTool(t, debug, "ogrinfo", "-ro", "-so", "-al", "ESRIJSON:"+is+"/query?where=1%3D1&outFields=*&f=json")
		if !strings.Contains(out, "Geometry: Polygon") || !strings.Contains(out, fmt.Sprintf("Feature Count: %d\n", total)) {
			t.Errorf("ogrinfo -so:\n%s", out)
		}
		svc := getJSON(t, is+"?f=json")
		ext := svc["extent"].(map[string]any)
		wantExt := fmt.Sprintf("Extent: (%f, %f) - (%f, %f)", ext["xmin"], ext["ymin"], ext["xmax"], ext["ymax"])
		if !strings.Contains(out, wantExt) {
			t.Errorf("ogrinfo -so: want %q in\n%s", wantExt, out)
		}
		if !strings.Contains(out, "AcquisitionDate: String") || !strings.Contains(out, "CloudCover: Real") {
			t.Errorf("ogrinfo -so fields:\n%s", out)
		}
		// The first page exceeded the transfer limit, so GDAL took the count
		// from returnCountOnly and the extent from returnExtentOnly&f=geojson.
		for _, u := range []string{"&f=json&returnCountOnly=true)", "&f=geojson&returnExtentOnly=true)"} {
			if !strings.Contains(log, u) {
				t.Errorf("GDAL did not fetch …%s:\n%s", u, log)
			}
		}
	})
	for _, tt := range []struct{ name, extra string }{
		{"client page size", "&resultRecordCount=3"},
		{"server page size", ""},
	} {
		t.Run(tt.name, func(t *testing.T) {
			out, log := gdalTool(t, debug, "ogrinfo", "-ro", "-al", "-geom=NO",
				"ESRIJSON:"+is+"/query?where=1%3D1&outFields=*&orderByFields=OBJECTID+ASC"+tt.extra+"&f=json")
			var got []int
			for _, m := range fidRE.FindAllStringSubmatch(out, -1) {
				n, _ := strconv.Atoi(m[1])
				got = append(got, n)
			}
			if !slices.Equal(got, want) {
				t.Errorf("ogrinfo read FIDs %v, want %v", got, want)
			}
			if pages := strings.Count(log, "HTTP: Fetch("); pages < 5 {
				t.Errorf("GDAL fetched %d URLs; with pages of at most 5 it needs at least 5:\n%s", pages, log)
			}
			// GDAL 3.6 reads esriFieldTypeDate as a string of the epoch milliseconds.
			if !regexp.MustCompile(`(?m)^  AcquisitionDate \(String\) = 168\d{10}$`).MatchString(out) {
				t.Errorf("dates should reach GDAL as epoch milliseconds:\n%.2000s", out)
			}
		})
	}
}

// agsXML is the WMS service description of NOTES.md §4.3 for a grid of
// w×h pixels over b (xmin, ymin, xmax, ymax), fetched in blocks.
func agsXML(serverURL string, wkid int, b [4]float64, w, h, block int) string {
	return fmt.Sprintf(`<GDAL_WMS>
  <Service name="AGS">
    <ServerUrl>%s</ServerUrl>
    <BBoxOrder>xyXY</BBoxOrder>
    <SRS>EPSG:%d</SRS>
    <ImageFormat>png</ImageFormat>
  </Service>
  <DataWindow>
    <UpperLeftX>%.10f</UpperLeftX><UpperLeftY>%.10f</UpperLeftY>
    <LowerRightX>%.10f</LowerRightX><LowerRightY>%.10f</LowerRightY>
    <SizeX>%d</SizeX><SizeY>%d</SizeY>
  </DataWindow>
  <BandsCount>3</BandsCount>
  <DataType>Byte</DataType>
  <BlockSizeX>%d</BlockSizeX><BlockSizeY>%d</BlockSizeY>
</GDAL_WMS>
`, strings.ReplaceAll(serverURL, "&", "&amp;"), wkid, b[0], b[3], b[2], b[1], w, h, block, block)
}

// rasterBytes returns the first three bands of a raster as raw bytes
// (band-sequential), with its size.
func rasterBytes(t *testing.T, path string) ([]byte, int, int) {
	t.Helper()
	out, _ := gdalTool(t, nil, "gdalinfo", "-json", path)
	var info struct {
		Size  []int `json:"size"`
		Bands []any `json:"bands"`
	}
	if err := json.Unmarshal([]byte(out), &info); err != nil {
		t.Fatal(err)
	}
	if len(info.Bands) < 3 {
		t.Fatalf("%s has %d bands, want at least 3", path, len(info.Bands))
	}
	raw := path + ".bin"
	gdalTool(t, nil, "gdal_translate", "-q", "-of", "ENVI", "-ot", "Byte", "-b", "1", "-b", "2", "-b", "3", path, raw)
	b, err := os.ReadFile(raw)
	if err != nil {
		t.Fatal(err)
	}
	return b, info.Size[0], info.Size[1]
}

// renderCase is one grid drawn through the WMS minidriver and by gdalwarp.
type renderCase struct {
	name    string
	is      string     // ImageServer URL
	wkid    int        // of the grid
	bbox    [4]float64 // in wkid
	w, h    int
	block   int
	sources []string // bottom first, for gdalwarp
}

// compareWithGDALWarp renders c through gdal_translate of the WMS AGS
// description and checks the size and that every pixel equals gdalwarp's
// nearest-neighbour mosaic of the same sources on the same grid.
func compareWithGDALWarp(t *testing.T, c renderCase) {
	t.Helper()
	dir := t.TempDir()
	xml := filepath.Join(dir, "ags.xml")
	if err := os.WriteFile(xml, []byte(agsXML(c.is+"/exportImage?", c.wkid, c.bbox, c.w, c.h, c.block)), 0o644); err != nil {
		t.Fatal(err)
	}
	wms := filepath.Join(dir, "wms.tif")
	gdalTool(t, nil, "gdal_translate", "-q", "-of", "GTiff", xml, wms)
	got, w, h := rasterBytes(t, wms)
	if w != c.w || h != c.h {
		t.Fatalf("gdal_translate made %dx%d, want %dx%d", w, h, c.w, c.h)
	}
	warped := filepath.Join(dir, "gdalwarp.tif")
	args := []string{"-q", "-of", "GTiff", "-r", "near", "-t_srs", fmt.Sprintf("EPSG:%d", c.wkid),
		"-te", ftoa(c.bbox[0]), ftoa(c.bbox[1]), ftoa(c.bbox[2]), ftoa(c.bbox[3]),
		"-ts", strconv.Itoa(c.w), strconv.Itoa(c.h)}
	gdalTool(t, nil, "gdalwarp", append(append(args, c.sources...), warped)...)
	want, _, _ := rasterBytes(t, warped)
	if len(got) != len(want) {
		t.Fatalf("%d bytes, gdalwarp %d", len(got), len(want))
	}
	diff, zero := 0, 0
	for i := range got {
		if got[i] != want[i] {
			diff++
		}
		if want[i] == 0 {
			zero++
		}
	}
	if diff > 0 {
		t.Errorf("%d of %d samples differ from gdalwarp's", diff, len(got))
	}
	if zero == len(want) {
		t.Errorf("the mosaic is empty")
	}
}

// getBytes GETs u and returns the body of a 200 answer.
func getBytes(t *testing.T, u string) []byte {
	t.Helper()
	resp, err := http.Get(u)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("GET %s: %d %v %.300s", u, resp.StatusCode, err, b)
	}
	return b
}

func ftoa(f float64) string { return strconv.FormatFloat(f, 'f', -1, 64) }

// TestGDALRendersMosaic draws the demo, and a collection of overlapping
// rasters whose order matters, through GDAL's WMS AGS minidriver, whole and
// in blocks, and compares each with gdalwarp of the same sources on the
// same grid. The grids are offset from the sources' pixel edges so that no
// target pixel centre falls on one (where rounding, not the server, would
// pick the pixel).
func TestGDALRendersMosaic(t *testing.T) {
	needGDAL(t)
	dir := t.TempDir()
	p := startServer(t, dir, "--demo")

	demo, err := filepath.Glob(filepath.Join(dir, "demo", "*.tif"))
	if err != nil || len(demo) != 24 {
		t.Fatalf("demo rasters: %v %v", demo, err)
	}
	demoIS := p.Services() + "/Demo/ImageServer"
	ext := getJSON(t, demoIS+"?f=json")["extent"].(map[string]any)
	x0, y0 := ext["xmin"].(float64), ext["ymin"].(float64)
	demoBox := [4]float64{x0 + 3.33, y0 + 1.77, x0 + 3.33 + 15000, y0 + 1.77 + 10000}

	// Six 64×64 rasters of 10 m pixels in a diagonal chain from north-west
	// to south-east, each overlapping the next by two thirds, each with its
	// own colours. NorthWest draws the first on top, so gdalwarp gets them
	// last to first.
	src := t.TempDir()
	var chain []string
	for i := range 6 {
		ox, oy := 700000+float64(i)*200, 5200000-float64(i)*200
		chain = append(chain, rastertest.GeoTIFF(t, filepath.Join(src, fmt.Sprintf("chain_%d.tif", i)),
			rastertest.Bands(3), rastertest.GeoTransform([6]float64{ox, 10, 0, oy, 0, -10}),
			rastertest.Fill(func(b, x, y int) float64 { return float64(1 + (i*40+b*70+x*3+y*5)%250) })))
	}
	before := rastertest.Checksums(t, chain...)
	job := wait(t, p, "CreateImageCollection", submit(t, p, "CreateImageCollection", url.Values{
		"imageCollection": {"Chain"}, "inputRasters": {src}, "context": {`{"computeStatistics":true}`}}))
	if job["jobStatus"] != "esriJobSucceeded" {
		t.Fatalf("CreateImageCollection: %v\n%s", job, messages(job))
	}
	chainIS := p.Services() + "/Chain/ImageServer"
	// Statistics computed at ingest reach the service description.
	info := getJSON(t, chainIS+"?f=json")
	for _, k := range []string{"minValues", "maxValues", "meanValues", "stdvValues"} {
		if v, _ := info[k].([]any); len(v) != 3 {
			t.Errorf("%s = %v, want three bands", k, info[k])
		}
	}
	if lo, hi := info["minValues"].([]any), info["maxValues"].([]any); len(lo) == 3 && (lo[0].(float64) < 1 || hi[0].(float64) > 250) {
		t.Errorf("band 1 range [%v, %v] is outside the fill's [1, 250]", lo[0], hi[0])
	}
	bottomFirst := slices.Clone(chain)
	slices.Reverse(bottomFirst)
	chainBox := [4]float64{700000 - 1.23, 5200000 - 1640 - 2.34, 700000 + 1640 - 1.23, 5200000 - 2.34}

	cases := []renderCase{
		{"demo whole", demoIS, 32633, demoBox, 600, 400, 600, demo},
		{"demo in 256-pixel blocks", demoIS, 32633, demoBox, 600, 400, 256, demo},
		{"overlapping whole", chainIS, 32633, chainBox, 300, 300, 300, bottomFirst},
		{"overlapping in 128-pixel blocks", chainIS, 32633, chainBox, 300, 300, 128, bottomFirst},
		{"overlapping in 100-pixel blocks, finer than the sources", chainIS, 32633,
			[4]float64{700100.17, 5199000.29, 700500.17, 5199400.29}, 700, 700, 100, bottomFirst},
		{"overlapping in Web Mercator", chainIS, 3857,
			[4]float64{1962500.5, 5927500.5, 1964500.5, 5929500.5}, 256, 256, 256, bottomFirst},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) { compareWithGDALWarp(t, c) })
	}
	before.AssertUnchanged(t)
}

// TestExportImageSizes: the image has exactly the requested size whatever
// the aspect ratio, format or extent, including one with no items.
func TestExportImageSizes(t *testing.T) {
	needGDAL(t)
	dir := t.TempDir()
	p := startServer(t, dir, "--demo")
	is := p.Services() + "/Demo/ImageServer"
	ext := getJSON(t, is+"?f=json")["extent"].(map[string]any)
	x0, y0 := ext["xmin"].(float64), ext["ymin"].(float64)
	tests := []struct {
		query string
		w, h  int
		ext   string
	}{
		{fmt.Sprintf("bbox=%f,%f,%f,%f&size=333,111&format=png", x0, y0, x0+5000, y0+5000), 333, 111, ".png"},
		{fmt.Sprintf("bbox=%f,%f,%f,%f&size=17,301&format=png8", x0, y0, x0+5000, y0+5000), 17, 301, ".png"},
		{fmt.Sprintf("bbox=%f,%f,%f,%f&size=120,80&format=jpg", x0, y0, x0+3000, y0+2000), 120, 80, ".jpg"},
		{fmt.Sprintf("bbox=%f,%f,%f,%f&size=64,48&format=tiff&adjustAspectRatio=false", x0, y0, x0+3000, y0+3000), 64, 48, ".tif"},
		{"bbox=0,0,1000,1000&size=50,60&format=png", 50, 60, ".png"},
		{"bbox=16.3,48.3,16.5,48.4&bboxSR=4326&imageSR=3857&size=200,100&format=png", 200, 100, ".png"},
	}
	for i, tt := range tests {
		out := filepath.Join(t.TempDir(), fmt.Sprintf("img%d%s", i, tt.ext))
		body := getBytes(t, is+"/exportImage?f=image&"+tt.query)
		if err := os.WriteFile(out, body, 0o644); err != nil {
			t.Fatal(err)
		}
		info, _ := gdalTool(t, nil, "gdalinfo", "-json", out)
		var m struct {
			Size []int `json:"size"`
		}
		if err := json.Unmarshal([]byte(info), &m); err != nil || len(m.Size) != 2 || m.Size[0] != tt.w || m.Size[1] != tt.h {
			t.Errorf("%s: size %v (%v), want %dx%d: %.200s", tt.query, m.Size, err, tt.w, tt.h, body)
		}
	}
}
