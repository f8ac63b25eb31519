package main_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"net/http"
	"net/url"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/airbusgeo/godal"

	"github.com/tessera-gis/tessera/internal/golden"
	"github.com/tessera-gis/tessera/raster/rastertest"
)

// The ImageServer's pixel operations over real HTTP on the real binary,
// with GeoTIFFs made by GDAL: every value must be what GDAL itself reads
// from the same pixels (gdallocationinfo for points, the raster's own
// window for histograms and statistics), and every answer must have the
// shape of the captured ArcGIS answers in testdata/golden/arcgis.

// locationInfo returns the band values gdallocationinfo reads at (x, y),
// in the raster's georeferenced coordinates.
func locationInfo(t *testing.T, path string, x, y float64) []string {
	t.Helper()
	out, err := exec.Command("gdallocationinfo", "-valonly", "-geoloc", path, ftoa(x), ftoa(y)).Output()
	if err != nil {
		t.Fatalf("gdallocationinfo %s %v %v: %v", path, x, y, err)
	}
	return strings.Fields(string(out))
}

// rawGet GETs u and returns the body, failing on any HTTP error or Esri
// error envelope.
func rawGet(t *testing.T, u string) []byte {
	t.Helper()
	resp, err := http.Get(u)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil || resp.StatusCode != http.StatusOK || bytes.HasPrefix(body, []byte(`{"error"`)) {
		t.Fatalf("GET %s: %d %v %.400s", u, resp.StatusCode, err, body)
	}
	return body
}

func TestPixelOperations(t *testing.T) {
	needGDAL(t)
	if _, err := exec.LookPath("gdallocationinfo"); err != nil {
		t.Skip("gdallocationinfo is not installed")
	}
	t.Parallel()
	// Three 64×64 rasters of 10 m pixels in a diagonal chain, each
	// overlapping the next: chain_0 covers x 700000–700640, y 5199360–
	// 5200000; each next one is 200 m further east and south.
	src := t.TempDir()
	var chain []string
	for i := range 3 {
		ox, oy := 700000+float64(i)*200, 5200000-float64(i)*200
		chain = append(chain, rastertest.GeoTIFF(t, filepath.Join(src, fmt.Sprintf("chain_%d.tif", i)),
			rastertest.Bands(3), rastertest.GeoTransform([6]float64{ox, 10, 0, oy, 0, -10}),
			rastertest.Fill(func(b, x, y int) float64 { return float64(1 + (i*40+b*70+x*3+y*5)%250) })))
	}
	before := rastertest.Checksums(t, chain...)
	p := startServer(t, t.TempDir())
	job := wait(t, p, "CreateImageCollection", submit(t, p, "CreateImageCollection", url.Values{
		"imageCollection": {"Pix"}, "inputRasters": {src}, "context": {`{"computeStatistics":true}`}}))
	if job["jobStatus"] != "esriJobSucceeded" {
		t.Fatalf("CreateImageCollection: %v\n%s", job, messages(job))
	}
	is := p.Services() + "/Pix/ImageServer"
	oid := map[string]int64{}
	for id, f := range liveItems(t, p, "Pix") {
		oid[filepath.Base(f["attributes"].(map[string]any)["Path"].(string))] = id
	}
	if len(oid) != 3 {
		t.Fatalf("items: %v", oid)
	}
	pathOf := func(id float64) string {
		for name, o := range oid {
			if float64(o) == id {
				return filepath.Join(src, name)
			}
		}
		t.Fatalf("no item %v", id)
		return ""
	}
	// stable replaces the temporary directory in answers kept as golden files.
	stable := func(body []byte) []byte {
		js, _ := json.Marshal(src)
		return bytes.ReplaceAll(body, js[1:len(js)-1], []byte("SRC"))
	}
	q := url.QueryEscape

	t.Run("identify", func(t *testing.T) {
		// In chain_0 and chain_1: NorthWest shows chain_0 on top.
		x, y := 700305.0, 5199705.0
		body := rawGet(t, is+"/identify?f=json&geometryType=esriGeometryPoint&geometry="+q(fmt.Sprintf(`{"x":%v,"y":%v}`, x, y)))
		golden.AssertShape(t, "identify.json", body, "catalogItems.features[].attributes.*") // each catalog has its fields
		golden.Assert(t, "identify.json", stable(body))
		var got struct {
			Value    string
			Location struct{ X, Y float64 }
			Props    struct{ Values []string } `json:"properties"`
			Items    struct {
				Features []struct{ Attributes map[string]any }
			} `json:"catalogItems"`
			Vis []float64 `json:"catalogItemVisibilities"`
		}
		if err := json.Unmarshal(body, &got); err != nil {
			t.Fatal(err)
		}
		top := locationInfo(t, chain[0], x, y)
		if got.Value != strings.Join(top, ", ") || got.Location.X != x || got.Location.Y != y {
			t.Errorf("value %q at (%v, %v), want %q from gdallocationinfo of chain_0", got.Value, got.Location.X, got.Location.Y, top)
		}
		if len(got.Items.Features) != 2 || len(got.Props.Values) != 2 || len(got.Vis) != 2 {
			t.Fatalf("catalog items: %s", body)
		}
		for i, f := range got.Items.Features {
			path := pathOf(f.Attributes["OBJECTID"].(float64))
			if want := strings.Join(locationInfo(t, path, x, y), " "); got.Props.Values[i] != want {
				t.Errorf("item %d (%s): %q, gdallocationinfo reads %q", i, filepath.Base(path), got.Props.Values[i], want)
			}
			if wantPath := chain[i]; path != wantPath {
				t.Errorf("catalog item %d is %s, want %s (top first)", i, path, wantPath)
			}
		}
		if got.Vis[0] != 1 || got.Vis[1] != 0 {
			t.Errorf("visibilities %v, want [1 0]", got.Vis)
		}

		// Locked to chain_1, the value is chain_1's.
		rule := q(fmt.Sprintf(`{"mosaicMethod":"esriMosaicLockRaster","lockRasterIds":[%d]}`, oid["chain_1.tif"]))
		m := getJSON(t, is+"/identify?f=json&returnCatalogItems=false&mosaicRule="+rule+"&geometry="+q(fmt.Sprintf("%v,%v", x, y)))
		if want := strings.Join(locationInfo(t, chain[1], x, y), ", "); m["value"] != want || m["catalogItems"] != nil {
			t.Errorf("locked to chain_1: %v, want value %q and no catalog items", m, want)
		}
		golden.AssertShape(t, "identify_pixel.json", rawGet(t, is+"/identify?f=json&returnCatalogItems=false&geometry="+q(fmt.Sprintf("%v,%v", x, y))))

		// The same point in Web Mercator: same value, location in 102100.
		cmd := exec.Command("gdaltransform", "-s_srs", "EPSG:32633", "-t_srs", "EPSG:3857", "-output_xy")
		cmd.Stdin = strings.NewReader(fmt.Sprintf("%v %v\n", x, y))
		out, err := cmd.Output()
		if err != nil {
			t.Fatalf("gdaltransform: %v", err)
		}
		xy := strings.Fields(string(out))
		m = getJSON(t, is+"/identify?f=json&geometry="+q(fmt.Sprintf(`{"x":%s,"y":%s,"spatialReference":{"wkid":3857}}`, xy[0], xy[1])))
		loc, _ := m["location"].(map[string]any)
		sr, _ := loc["spatialReference"].(map[string]any)
		if m["value"] != strings.Join(top, ", ") || sr["wkid"] != 102100.0 || sr["latestWkid"] != 3857.0 ||
			math.Abs(loc["x"].(float64)-mustFloat(t, xy[0])) > 1e-3 {
			t.Errorf("identify in Web Mercator: %v", m)
		}

		// An area: the value at its centroid, every item that shows.
		m = getJSON(t, is+"/identify?f=json&geometryType=esriGeometryPolygon&geometry="+
			q(`{"rings":[[[700100,5199500],[700100,5199900],[700500,5199900],[700500,5199500],[700100,5199500]]]}`))
		vis, _ := m["catalogItemVisibilities"].([]any)
		sum := 0.0
		for _, v := range vis {
			sum += v.(float64)
		}
		if want := strings.Join(locationInfo(t, chain[0], 700300, 5199700), ", "); m["value"] != want || len(vis) != 2 || math.Abs(sum-1) > 1e-9 {
			t.Errorf("identify of an area: value %v (want %q), visibilities %v summing to %v", m["value"], want, vis, sum)
		}
	})

	t.Run("getSamples", func(t *testing.T) {
		// In chain_0 and chain_1, in chain_2 only, and outside every item.
		pts := [][2]float64{{700305, 5199705}, {700955, 5199055}, {705000, 5190000}}
		mp, _ := json.Marshal(map[string]any{"points": pts})
		body := rawGet(t, is+"/getSamples?f=json&geometryType=esriGeometryMultipoint&returnFirstValueOnly=true&geometry="+q(string(mp)))
		golden.AssertShape(t, "getSamples.json", body)
		golden.Assert(t, "getSamples.json", body)
		var got struct {
			Samples []struct {
				Location   struct{ X, Y float64 }
				LocationID int
				Value      string
				RasterID   float64
				Resolution float64
			}
		}
		if err := json.Unmarshal(body, &got); err != nil {
			t.Fatal(err)
		}
		if len(got.Samples) != 3 {
			t.Fatalf("samples: %s", body)
		}
		for i, s := range got.Samples[:2] {
			want := strings.Join(locationInfo(t, pathOf(s.RasterID), pts[i][0], pts[i][1]), " ")
			if s.Value != want || s.LocationID != i || s.Location.X != pts[i][0] || s.Resolution != 10 {
				t.Errorf("sample %d: %+v, want value %q", i, s, want)
			}
		}
		if got.Samples[0].RasterID != float64(oid["chain_0.tif"]) || got.Samples[1].RasterID != float64(oid["chain_2.tif"]) {
			t.Errorf("rasterIds %v, %v", got.Samples[0].RasterID, got.Samples[1].RasterID)
		}
		if s := got.Samples[2]; s.Value != "NoData" || s.RasterID != 0 {
			t.Errorf("outside every item: %+v", s)
		}

		// A line at four evenly spread locations, with the items' fields.
		body = rawGet(t, is+"/getSamples?f=json&sampleCount=4&outFields=Name,OBJECTID&geometry="+
			q(`{"paths":[[[700005,5199995],[701035,5198965]]],"spatialReference":{"wkid":32633}}`))
		if err := json.Unmarshal(body, &got); err != nil {
			t.Fatal(err)
		}
		if len(got.Samples) != 4 {
			t.Fatalf("line samples: %s", body)
		}
		for _, s := range got.Samples {
			if want := strings.Join(locationInfo(t, pathOf(s.RasterID), s.Location.X, s.Location.Y), " "); s.Value != want {
				t.Errorf("line sample %+v, gdallocationinfo reads %q", s, want)
			}
		}
		if !strings.Contains(string(body), `"attributes":{"OBJECTID":`) || strings.Contains(string(body), `"Path"`) {
			t.Errorf("outFields=Name,OBJECTID: %.400s", body)
		}
	})

	t.Run("histograms", func(t *testing.T) {
		// Only chain_2 lies here: x 700840–701040, y 5199000–5199400, which
		// is its pixels 44–63 across and 20–59 down.
		env := q(`{"xmin":700840,"ymin":5199000,"xmax":701040,"ymax":5199400}`)
		body := rawGet(t, is+"/computeStatisticsHistograms?f=json&geometryType=esriGeometryEnvelope&pixelSize=10&geometry="+env)
		golden.AssertShape(t, "computeStatisticsHistograms.json", body)
		golden.Assert(t, "computeStatisticsHistograms.json", body)
		var got struct {
			Statistics []struct {
				Min, Max, Mean, StandardDeviation float64
				Count                             int64
			}
			Histograms []struct {
				Size     int
				Min, Max float64
				Counts   []int64
			}
		}
		if err := json.Unmarshal(body, &got); err != nil {
			t.Fatal(err)
		}
		ds, err := godal.Open(chain[2])
		if err != nil {
			t.Fatal(err)
		}
		defer ds.Close()
		if len(got.Statistics) != 3 || len(got.Histograms) != 3 {
			t.Fatalf("answer: %.300s", body)
		}
		for b, band := range ds.Bands() {
			px := make([]float64, 20*40)
			if err := band.Read(44, 20, px, 20, 40); err != nil {
				t.Fatal(err)
			}
			counts := make([]int64, 256)
			lo, hi, sum := math.Inf(1), math.Inf(-1), 0.0
			for _, v := range px {
				counts[int(v)]++
				lo, hi, sum = math.Min(lo, v), math.Max(hi, v), sum+v
			}
			h, s := got.Histograms[b], got.Statistics[b]
			if h.Size != 256 || h.Min != -0.5 || h.Max != 255.5 || jsonText(h.Counts) != jsonText(counts) {
				t.Errorf("band %d histogram %+v, GDAL reads %v", b, h, counts)
			}
			if s.Count != 800 || s.Min != lo || s.Max != hi || math.Abs(s.Mean-sum/800) > 1e-9 {
				t.Errorf("band %d statistics %+v, GDAL reads min %v max %v mean %v", b, s, lo, hi, sum/800)
			}
		}
		h := rawGet(t, is+"/computeHistograms?f=json&pixelSize="+q(`{"x":10,"y":10}`)+"&geometry="+env)
		golden.AssertShape(t, "computeHistograms.json", h)
		var hs struct{ Histograms json.RawMessage }
		json.Unmarshal(h, &hs)
		var both struct{ Histograms json.RawMessage }
		json.Unmarshal(body, &both)
		if string(hs.Histograms) != string(both.Histograms) {
			t.Errorf("computeHistograms differs from computeStatisticsHistograms:\n%s\n%s", hs.Histograms, both.Histograms)
		}
	})

	t.Run("service", func(t *testing.T) {
		// The SDK asks for both at once: concurrent first requests share
		// one computation and agree.
		var wg sync.WaitGroup
		answers := make([]string, 6)
		for i := range answers {
			wg.Add(1)
			go func() { // no t.Fatal here: not the test's goroutine
				defer wg.Done()
				resp, err := http.Get(is + []string{"/statistics", "/histograms"}[i%2] + "?f=json")
				if err != nil {
					answers[i] = err.Error()
					return
				}
				defer resp.Body.Close()
				body, _ := io.ReadAll(resp.Body)
				answers[i] = string(body)
			}()
		}
		wg.Wait()
		for i := range answers {
			if answers[i] != answers[i%2] || !strings.Contains(answers[i], `"counts"`) && !strings.Contains(answers[i], `"standardDeviation"`) {
				t.Errorf("concurrent answer %d: %.300s\nwant %.300s", i, answers[i], answers[i%2])
			}
		}
		info := getJSON(t, is+"?f=json")
		if info["hasHistograms"] != true {
			t.Errorf("hasHistograms = %v", info["hasHistograms"])
		}
		st := rawGet(t, is+"/statistics?f=json")
		golden.AssertShape(t, "statistics.json", st)
		golden.Assert(t, "statistics.json", st)
		hi := rawGet(t, is+"/histograms?f=json")
		golden.AssertShape(t, "histograms.json", hi)
		var s struct{ Statistics []struct{ Min, Max float64 } }
		json.Unmarshal(st, &s)
		lo, _ := info["minValues"].([]any)
		if len(s.Statistics) != 3 || len(lo) != 3 || s.Statistics[0].Min < lo[0].(float64) {
			t.Errorf("statistics %s against minValues %v", st, lo)
		}
		golden.AssertShape(t, "keyProperties.json", rawGet(t, is+"/keyProperties?f=json"),
			"BandProperties[].WavelengthMin", "BandProperties[].WavelengthMax")
		golden.AssertShape(t, "item_info.json", rawGet(t, is+"/"+strconv.FormatInt(oid["chain_1.tif"], 10)+"/info?f=json"))
	})

	t.Run("bad input", func(t *testing.T) {
		pt := "&geometry=" + q("700305,5199705")
		for _, c := range []struct {
			query string
			code  float64
		}{
			{"/identify?f=json" + pt + "&mosaicRule=" + q(`{"mosaicMethod":"esriMosaicSeamline"}`), 400},
			{"/identify?f=json" + pt + "&mosaicRule=" + q(`{"where":"Nope > 1"}`), 400},
			{"/getSamples?f=json&sampleDistance=0.0001&geometry=" + q(`{"paths":[[[700000,5200000],[701000,5199000]]]}`), 429},
			{"/computeHistograms?f=json&pixelSize=0.001&geometry=" + q(`{"xmin":700000,"ymin":5199000,"xmax":701000,"ymax":5200000}`), 429},
			{"/identify?f=json&pixelSize=0.0001&geometry=" + q(`{"xmin":700000,"ymin":5199000,"xmax":701000,"ymax":5200000}`), 429},
			{"/identify?f=json&geometry=" + q(`{"x":1,"y":2,"spatialReference":{"wkid":999999}}`), 400},
		} {
			m := getJSON(t, is+c.query)
			if errorCode(m) != int(c.code) {
				t.Errorf("%s: %v, want an Esri %v", c.query, m, c.code)
			}
		}
	})
	before.AssertUnchanged(t)
}

func mustFloat(t *testing.T, s string) float64 {
	t.Helper()
	f, err := strconv.ParseFloat(s, 64)
	if err != nil {
		t.Fatal(err)
	}
	return f
}

// TestImageryClients runs clients/imagery.test.mjs: @arcgis/core 5.1.25's
// rest/imageService identify, getSamples, computeHistograms and
// computeStatisticsHistograms, and REST JS 4.10.2's request() identify, on
// the demo collection, each value compared with GDAL's (gdallocationinfo,
// gdalinfo -hist); open, then with token security and a publisher account
// (the test reads each item's source path, which viewers do not see).
func TestImageryClients(t *testing.T) {
	needGDAL(t)
	needNode(t)
	t.Parallel()
	t.Run("anonymous", func(t *testing.T) {
		t.Parallel()
		p := startServer(t, t.TempDir(), "--demo")
		runNode(t, p, nil, "imagery.test.mjs")
	})
	t.Run("tokens", func(t *testing.T) {
		t.Parallel()
		dir := t.TempDir()
		users := pubUsersFile(t, dir)
		p := startServer(t, dir, "--demo", "--users", users)
		// Without a token the pixel operations need one.
		if m := getJSON(t, p.Services()+"/Demo/ImageServer/identify?f=json&geometry=605000,5355000"); errorCode(m) != 499 {
			t.Errorf("identify without a token: %v", m)
		}
		runNode(t, p, []string{"TESSERA_USER=pub", "TESSERA_PASSWORD=pub-password"}, "imagery.test.mjs")
	})
}
