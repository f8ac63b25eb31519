package server_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/project"

	"github.com/tessera-gis/tessera/mosaic"
	"github.com/tessera-gis/tessera/mosaic/sqlite"
	"github.com/tessera-gis/tessera/server"
)

// The image fixture is the collection "Golden" in EPSG:32633 with five
// items, relative to (gx0, gy0):
//
//	1  square (0,0)–(100,100)       CloudCover 10, 2024-01-01, sensor A, statistics
//	2  square (50,50)–(150,150)     CloudCover 80, 2024-02-01, sensor B, statistics
//	3  square (100,0)–(200,100)     CloudCover 30, 2024-03-01, sensor A
//	4  square (300,300)–(400,400) with a hole (320,320)–(380,380), no CloudCover
//	5  square (1000,1000)–(1100,1100) CloudCover 50
//
// Items 1–3 overlap; footprints are stored with orb's counter-clockwise
// exterior rings, so the Esri JSON must reverse them.
const (
	gx0 = 600000.0
	gy0 = 5300000.0
)

// fiveName needs escaping in JSON.
const fiveName = "five \"5\" <&> é\t\u2028\x01"

type imageFixture struct {
	db     *sqlite.DB
	c      *mosaic.Collection
	srv    *httptest.Server
	render *recordingRenderer
	out    string // OutputDir
	server *server.Server
}

// IS returns the ImageServer URL of the fixture's collection.
func (f *imageFixture) IS() string { return f.srv.URL + "/arcgis/rest/services/Golden/ImageServer" }

func fixtureSquare(x0, y0, x1, y1 float64) orb.Ring {
	return orb.Ring{{gx0 + x0, gy0 + y0}, {gx0 + x1, gy0 + y0}, {gx0 + x1, gy0 + y1}, {gx0 + x0, gy0 + y1}, {gx0 + x0, gy0 + y0}}
}

func newImageFixture(t *testing.T, cfg server.Config) *imageFixture {
	t.Helper()
	ctx := context.Background()
	db, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "tessera.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	c := &mosaic.Collection{Name: "Golden", ItemID: "0123456789abcdef0123456789abcdef", SRS: mosaic.SpatialRef{WKID: 32633}}
	day := func(m int) time.Time { return time.Date(2024, time.Month(m), 1, 0, 0, 0, 0, time.UTC) }
	raster := func(stats ...mosaic.BandStats) mosaic.RasterInfo {
		return mosaic.RasterInfo{Driver: "GTiff", Width: 10, Height: 10, Bands: 3, PixelType: "U8",
			SRS: mosaic.SpatialRef{WKID: 32633}, GeoTransform: [6]float64{gx0, 10, 0, gy0 + 100, 0, -10},
			CellSizeX: 10, CellSizeY: 10, Stats: stats}
	}
	st := func(lo, hi, mean, std float64) mosaic.BandStats {
		return mosaic.BandStats{Min: lo, Max: hi, Mean: mean, Std: std}
	}
	items := []*mosaic.Item{
		{Path: "/data/one.tif", Footprint: orb.Polygon{fixtureSquare(0, 0, 100, 100)},
			Attributes: map[string]any{"Name": "one", "CloudCover": 10.0, "AcquisitionDate": day(1), "SensorName": "A", "LowPS": 10.0, "HighPS": 10.0},
			Raster:     raster(st(0, 200, 100, 10), st(0, 100, 50, 5), st(10, 20, 15, 1))},
		{Path: "/data/two.tif", Footprint: orb.Polygon{fixtureSquare(50, 50, 150, 150)},
			Attributes: map[string]any{"Name": "two", "CloudCover": 80.0, "AcquisitionDate": day(2), "SensorName": "B", "LowPS": 10.0, "HighPS": 10.0},
			Raster:     raster(st(50, 250, 100, 10), st(0, 100, 50, 5), st(10, 20, 15, 1))},
		{Path: "/data/three.tif", Footprint: orb.Polygon{fixtureSquare(100, 0, 200, 100)},
			Attributes: map[string]any{"Name": "three", "CloudCover": 30.0, "AcquisitionDate": day(3), "SensorName": "A", "LowPS": 20.0, "HighPS": 20.0},
			Raster:     raster()},
		{Path: "/data/four.tif", Footprint: orb.Polygon{fixtureSquare(300, 300, 400, 400), reversed(fixtureSquare(320, 320, 380, 380))},
			Attributes: map[string]any{"Name": "four", "LowPS": 10.0, "HighPS": 10.0},
			Raster:     raster()},
		{Path: "/data/five.tif", Footprint: orb.Polygon{fixtureSquare(1000, 1000, 1100, 1100)},
			Attributes: map[string]any{"Name": fiveName, "CloudCover": 50.0, "LowPS": 10.0, "HighPS": 10.0},
			Raster:     raster()},
	}
	// "Web" is a one-item collection in Web Mercator, for reprojection:
	// its item covers 16°–16.1° E, 48°–48.1° N.
	web := &mosaic.Collection{Name: "Web", ItemID: "fedcba9876543210fedcba9876543210", SRS: mosaic.SpatialRef{WKID: 102100}}
	webItem := &mosaic.Item{Path: "/data/web.tif", Raster: raster(),
		Footprint: project.Polygon(orb.Bound{Min: orb.Point{16, 48}, Max: orb.Point{16.1, 48.1}}.ToPolygon(), project.WGS84.ToMercator)}
	err = db.Update(ctx, func(tx mosaic.Tx) error {
		if err := tx.CreateCollection(c); err != nil {
			return err
		}
		if _, err := tx.AddItems(c, items, mosaic.AddOptions{}); err != nil {
			return err
		}
		if err := tx.CreateCollection(web); err != nil {
			return err
		}
		_, err := tx.AddItems(web, []*mosaic.Item{webItem}, mosaic.AddOptions{})
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	f := &imageFixture{db: db, c: c, render: &recordingRenderer{}, out: filepath.Join(t.TempDir(), "output")}
	cfg.Store = db
	if cfg.Renderer == nil {
		cfg.Renderer = f.render
	}
	if cfg.Projector == nil {
		cfg.Projector = mercator{}
	}
	if cfg.OutputDir == "" {
		cfg.OutputDir = f.out
	}
	f.server = server.New(cfg)
	f.srv = httptest.NewServer(f.server)
	t.Cleanup(f.srv.Close)
	return f
}

func reversed(r orb.Ring) orb.Ring {
	out := make(orb.Ring, len(r))
	for i := range r {
		out[i] = r[len(r)-1-i]
	}
	return out
}

// get GETs u and returns the body and content type.
func get(t *testing.T, u string) ([]byte, string) {
	t.Helper()
	resp, err := http.Get(u)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET %s: HTTP %d: %.300s", u, resp.StatusCode, body)
	}
	return body, resp.Header.Get("Content-Type")
}

// getJSON GETs u and decodes a JSON object.
func getJSON(t *testing.T, u string) map[string]any {
	t.Helper()
	body, _ := get(t, u)
	var m map[string]any
	if err := json.Unmarshal(body, &m); err != nil {
		t.Fatalf("GET %s: not JSON (%v): %.300s", u, err, body)
	}
	return m
}

// esriError returns the error envelope's code and message, or 0 if the
// body is not an error.
func esriError(t *testing.T, body []byte) (int, string) {
	t.Helper()
	var e struct {
		Error *struct {
			Code    int      `json:"code"`
			Message string   `json:"message"`
			Details []string `json:"details"`
		} `json:"error"`
	}
	if err := json.Unmarshal(body, &e); err != nil || e.Error == nil {
		return 0, ""
	}
	return e.Error.Code, e.Error.Message + " " + strings.Join(e.Error.Details, " ")
}

// recordingRenderer records render requests and answers with a stub
// image. Package server must not depend on GDAL; the real renderer is
// tested against gdalwarp in cmd/tessera.
type recordingRenderer struct {
	mu   sync.Mutex
	reqs []mosaic.RenderRequest
}

func (r *recordingRenderer) Render(ctx context.Context, req mosaic.RenderRequest) (*mosaic.Image, error) {
	r.mu.Lock()
	r.reqs = append(r.reqs, req)
	r.mu.Unlock()
	return &mosaic.Image{Data: []byte("\x89PNG stub"), ContentType: "image/png", Extension: "png"}, nil
}

func (r *recordingRenderer) last(t *testing.T) mosaic.RenderRequest {
	t.Helper()
	r.mu.Lock()
	defer r.mu.Unlock()
	if len(r.reqs) == 0 {
		t.Fatal("nothing was rendered")
	}
	return r.reqs[len(r.reqs)-1]
}

// mercator projects between WGS 84 (4326) and Web Mercator (3857/102100)
// with orb's formulas, and maps EPSG:32633 to itself only.
type mercator struct{}

func (mercator) Project(g orb.Geometry, from, to mosaic.SpatialRef) (orb.Geometry, error) {
	a, b := mosaic.NormalizeWKID(from.WKID), mosaic.NormalizeWKID(to.WKID)
	switch {
	case a == b:
		return g, nil
	case a == 4326 && b == 3857:
		return project.Geometry(orb.Clone(g), project.WGS84.ToMercator), nil
	case a == 3857 && b == 4326:
		return project.Geometry(orb.Clone(g), project.Mercator.ToWGS84), nil
	}
	return nil, mosaic.Errorf(mosaic.EINVALID, "Unknown spatial reference.")
}

func (mercator) Resolve(sr mosaic.SpatialRef) (mosaic.SpatialRef, error) { return sr, nil }
