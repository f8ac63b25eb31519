package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/tessera-gis/tessera/internal/pgtest"
	"github.com/tessera-gis/tessera/internal/synthcat"
	"github.com/tessera-gis/tessera/mosaic"
	"github.com/tessera-gis/tessera/mosaic/postgis"
	"github.com/tessera-gis/tessera/mosaic/sqlite"
	"github.com/tessera-gis/tessera/raster"
	"github.com/tessera-gis/tessera/server"
	"github.com/tessera-gis/tessera/tasks"
	"github.com/tessera-gis/tessera/tasks/jobs"
	"github.com/tessera-gis/tessera/tasks/riverqueue"
)

// The HTTP surface's fuzzers send arbitrary parameters through the whole
// handler chain of a real server (store, job engine, River queue), on a
// 3,000-item catalog, and fail on a panic, an HTTP status other than 200
// (an image, or JSON) or an error envelope with a 5xx code or "Internal
// error". Each runs on SQLite (FuzzQueryParams) and on PostGIS
// (FuzzQueryParamsPG, in a throwaway database), whose seeds include the
// SQLite fuzzer's corpus (testdata/fuzz/FuzzQueryParams), so that every
// input kept there is tried on both stores. Their seeds run with every go test; fuzz them
// with
//
//	nice -n 15 go test -run '^$' -fuzz '^FuzzQueryParams$' -fuzztime 10m -parallel 1 ./reliability
//	nice -n 15 go test -run '^$' -fuzz '^FuzzSubmitJob$' -fuzztime 10m -parallel 1 ./reliability
//	nice -n 15 go test -run '^$' -fuzz '^FuzzQueryParamsPG$' -fuzztime 10m -parallel 1 ./reliability
//	nice -n 15 go test -run '^$' -fuzz '^FuzzSubmitJobPG$' -fuzztime 10m -parallel 1 ./reliability
//
// and likewise FuzzQueryGeometry and FuzzQueryGeometryPG.
//
// The engine is not started: submitted jobs stay queued, so that every
// input meets the same catalog; a job that is accepted is deleted again.

type stack struct {
	h        http.Handler
	location string // of serve's last answer, a redirect
}

// Stores the fuzzers run on: the SQLite file a server's data directory
// holds, or a throwaway PostgreSQL database with PostGIS (the *PG
// fuzzers; skipped when PostgreSQL is unreachable, unless
// TESSERA_REQUIRE_POSTGRES=1).
const (
	storeSQLite  = "sqlite"
	storePostGIS = "postgis"
)

func newStack(t testing.TB, kind string) *stack {
	t.Helper()
	ctx := context.Background()
	dir := t.TempDir()
	sc, err := synthcat.New(synthcat.Spec{Items: 3000, Revisits: 100}, Collection, []string{"/data/a.tif", "/data/b.tif"})
	if err != nil {
		t.Fatal(err)
	}
	var (
		store   mosaic.Store
		queue   jobs.Queue
		protect []string // the database's files, which no data store may reach
	)
	switch kind {
	case storeSQLite:
		path := filepath.Join(dir, "tessera.db")
		cat := &Catalog{Catalog: sc, Items: sc.Spec.Items}
		if err := cat.generate(ctx, path); err != nil {
			t.Fatal(err)
		}
		db, err := sqlite.Open(ctx, path)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { db.Close() })
		q, err := riverqueue.NewSQLite(ctx, db.WriteDB(), riverqueue.Config{Workers: 1})
		if err != nil {
			t.Fatal(err)
		}
		store, queue, protect = db, q, []string{path, path + "-wal", path + "-shm"}
	case storePostGIS:
		pdb := pgtest.NewDatabase(t, "tessera_fuzz")
		db, err := postgis.Open(ctx, pdb.DSN)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { db.Close() }) // before the database is dropped
		if err := sc.Write(ctx, db); err != nil {
			t.Fatal(err)
		}
		q, err := riverqueue.NewPostgres(ctx, db.Pool(), riverqueue.Config{Workers: 1, ID: "fuzz"})
		if err != nil {
			t.Fatal(err)
		}
		store, queue = db, q
	default:
		t.Fatalf("store %q", kind)
	}
	os.MkdirAll(filepath.Join(dir, "src"), 0o755)
	stores, err := raster.NewStores([]string{dir + "/src", "http://127.0.0.1:1/"}, protect, nil)
	if err != nil {
		t.Fatal(err)
	}
	quiet := slog.New(slog.NewTextHandler(io.Discard, nil))
	e := jobs.New(store, queue, jobs.Config{ServicesURL: "http://127.0.0.1:8080/arcgis/rest/services", Stores: stores, Logger: quiet},
		tasks.CreateImageCollection{}, tasks.AddImage{}, tasks.DeleteImage{}, tasks.DeleteImageCollection{}, tasks.RestoreImage{})
	srv := server.New(server.Config{Store: store, Jobs: e, OutputDir: filepath.Join(dir, "output"), Logger: quiet,
		DataStores: stores.List(), MaxRecordCount: 1000})
	return &stack{h: srv}
}

// serve sends one request and checks the answer; it returns the decoded
// JSON (nil for an image).
func (s *stack) serve(t *testing.T, method, path string, params url.Values) map[string]any {
	t.Helper()
	var req *http.Request
	if method == http.MethodPost {
		req = httptest.NewRequest(method, path, strings.NewReader(params.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	} else {
		req = httptest.NewRequest(method, path+"?"+params.Encode(), nil)
	}
	req.Host = "127.0.0.1:8080"
	ctx, cancel := context.WithTimeout(req.Context(), 30*time.Second)
	defer cancel()
	rec := httptest.NewRecorder()
	s.h.ServeHTTP(rec, req.WithContext(ctx))
	if f := params.Get("f"); f != "json" && f != "pjson" {
		// A fuzzed parameter replaced the format (f= or f=html): an HTML
		// page, whose status says what went wrong, or a redirect (a job
		// submitted from the HTML form goes to its page, 303 with no body
		// after a POST), but never a server error.
		s.location = ""
		if rec.Code >= 300 && rec.Code < 400 {
			if s.location = rec.Header().Get("Location"); s.location == "" {
				t.Fatalf("%s %v: HTTP %d without a Location", path, params, rec.Code)
			}
			return nil
		}
		if rec.Code >= 500 || rec.Body.Len() == 0 || strings.Contains(rec.Body.String(), "Internal error") {
			t.Fatalf("%s %v: HTTP %d: %.300s", path, params, rec.Code, rec.Body)
		}
		return nil
	}
	if rec.Code != http.StatusOK {
		t.Fatalf("%s %v: HTTP %d: %.300s", path, params, rec.Code, rec.Body)
	}
	if strings.HasPrefix(rec.Header().Get("Content-Type"), "image/") {
		return nil
	}
	var m map[string]any
	if err := json.Unmarshal(rec.Body.Bytes(), &m); err != nil {
		t.Fatalf("%s %v: not JSON (%v): %.300s", path, params, err, rec.Body)
	}
	if e, ok := m["error"].(map[string]any); ok {
		code, _ := e["code"].(float64)
		msg, _ := e["message"].(string)
		if code >= 500 || code == 0 || msg == "Internal error." {
			t.Fatalf("%s %v: %s", path, params, rec.Body)
		}
	}
	return m
}

// FuzzQueryParams fuzzes the query's where clause, outFields,
// orderByFields, paging, statistics and the return* switches together.
func FuzzQueryParams(f *testing.F) { fuzzQueryParams(f, storeSQLite) }

// FuzzQueryParamsPG is FuzzQueryParams on the PostGIS store.
func FuzzQueryParamsPG(f *testing.F) { fuzzQueryParams(f, storePostGIS) }

func fuzzQueryParams(f *testing.F, kind string) {
	s := newStack(f, kind)
	if kind != storeSQLite {
		addCorpus(f, "FuzzQueryParams")
	}
	for _, seed := range [][8]string{
		{"1=1", "*", "", "", "", "", "", ""},
		{"CloudCover < 20 AND SensorName = 'Landsat-8'", "OBJECTID,Name,CloudCover", "AcquisitionDate DESC", "10", "5", "", "", ""},
		{"OBJECTID >= 5 AND OBJECTID < 10", "Name", "OBJECTID", "", "", "ids", "", ""},
		{"Name LIKE 'T0000%'", "SensorName", "SensorName", "", "", "distinct", "", ""},
		{"AcquisitionDate > DATE '2016-01-01'", "", "", "0", "1000", "count", "", "SensorName"},
		{"", "", "", "-1", "0", "extent", `[{"statisticType":"count","onStatisticField":"OBJECTID","outStatisticFieldName":"n"}]`, "SensorName"},
		{"CloudCover IN (1, 2.5, 'x')", "*", "CloudCover ASC, Name DESC", "1e9", "abc", "", `[{"statisticType":"avg","onStatisticField":"CloudCover"}]`, ""},
		{"Shape_Area > 0 OR (Name IS NULL)", "Shape,_raster", "Shape", "", "", "", "[", "x;y"},
		{"UPPER(Name) = 'A' AND CAST(CloudCover AS INTEGER) = 3", "OBJECTID", "", "", "", "", "", ""},
		{"1=1; DROP TABLE items_1", "*", "(SELECT 1)", "", "", "", "", ""},
	} {
		f.Add(seed[0], seed[1], seed[2], seed[3], seed[4], seed[5], seed[6], seed[7])
	}
	f.Fuzz(func(t *testing.T, where, outFields, orderBy, offset, count, mode, stats, groupBy string) {
		p := url.Values{"f": {"json"}, "where": {where}, "outFields": {outFields}, "orderByFields": {orderBy},
			"resultOffset": {offset}, "resultRecordCount": {count}, "returnGeometry": {"true"}}
		switch mode {
		case "ids":
			p.Set("returnIdsOnly", "true")
		case "count":
			p.Set("returnCountOnly", "true")
		case "distinct":
			p.Set("returnDistinctValues", "true")
			p.Set("returnGeometry", "false")
		case "extent":
			p.Set("returnExtentOnly", "true")
		default:
			p.Set("maxAllowableOffset", mode)
		}
		if stats != "" {
			p.Set("outStatistics", stats)
			p.Set("groupByFieldsForStatistics", groupBy)
		}
		s.serve(t, http.MethodPost, "/arcgis/rest/services/"+Collection+"/ImageServer/query", p)
	})
}

var fuzzTasks = []string{"AddImage", "DeleteImage", "CreateImageCollection", "DeleteImageCollection", "RestoreImage"}

// FuzzSubmitJob fuzzes submitJob of every GP task through the HTTP
// handler: each task's parameters, the priority, the format and one
// parameter of any name.
func FuzzSubmitJob(f *testing.F) { fuzzSubmitJob(f, storeSQLite) }

// FuzzSubmitJobPG is FuzzSubmitJob on the PostGIS store.
func FuzzSubmitJobPG(f *testing.F) { fuzzSubmitJob(f, storePostGIS) }

func fuzzSubmitJob(f *testing.F, kind string) {
	s := newStack(f, kind)
	if kind != storeSQLite {
		addCorpus(f, "FuzzSubmitJob")
	}
	for _, seed := range []struct {
		task                                                   uint8
		coll, rasters, rtype, ctx, where, job, prio, name, val string
	}{
		{0, Collection, "/data/a.tif", "", "", "", "", "", "", ""},
		{0, `{"name":"Rel"}`, `{"uris":["http://127.0.0.1:1/x.tif"]}`, `{"rasterTypeName":"Raster Dataset"}`, `{"duplicateItemsAction":"EXCLUDE"}`, "", "", "urgent", "env:outSR", "3857"},
		{0, "http://127.0.0.1:8080/arcgis/rest/services/Rel/ImageServer", "*.tif", "Table", "{bad", "", "", "7", "", ""},
		{1, Collection, "", "", "", "OBJECTID >= 5 AND OBJECTID < 10", "", "", "", ""},
		{1, Collection, "", "", "", "1=1", "", "low", "context", "{}"},
		{1, "Nope", "", "", "", "CloudCover <", "", "", "", ""},
		{2, `{"serviceProperties":{"name":"New"}}`, "", "", `{"outSR":{"wkid":4326}}`, "", "", "", "", ""},
		{2, "Bad Name!", "", "", "", "", "", "", "", ""},
		{3, Collection, "", "", "", "", "", "", "", ""},
		{4, Collection, "", "", "", "", "j0123456789abcdef0123456789abcdef", "", "", ""},
		{4, Collection, "", "", "", "", "../../etc", "1", "", ""},
	} {
		f.Add(seed.task, seed.coll, seed.rasters, seed.rtype, seed.ctx, seed.where, seed.job, seed.prio, seed.name, seed.val)
	}
	f.Fuzz(func(t *testing.T, task uint8, coll, rasters, rtype, ctxJSON, where, job, prio, name, val string) {
		tk := fuzzTasks[int(task)%len(fuzzTasks)]
		p := url.Values{"f": {"json"}, "imageCollection": {coll}, "inputRasters": {rasters}, "rasterType": {rtype},
			"context": {ctxJSON}, "where": {where}, "jobId": {job}, "priority": {prio}}
		if name != "" {
			p.Set(name, val)
		}
		base := "/arcgis/rest/services/System/RasterAnalysisTools/GPServer/" + tk
		m := s.serve(t, http.MethodPost, base+"/submitJob", p)
		if m == nil && strings.HasPrefix(s.location, base+"/jobs/") {
			// Submitted from the HTML form (a fuzzed f): to the job's page.
			job, _, _ := strings.Cut(strings.TrimPrefix(s.location, base+"/jobs/"), "?")
			s.serve(t, http.MethodPost, base+"/jobs/"+job+"/delete", url.Values{"f": {"json"}})
			return
		}
		if _, failed := m["error"]; failed || m == nil {
			return // refused, or answered in HTML (a fuzzed f)
		}
		id, _ := m["jobId"].(string)
		if id == "" || m["jobStatus"] != "esriJobSubmitted" {
			t.Fatalf("submit %s %v: %v", tk, p, m)
		}
		s.serve(t, http.MethodPost, base+"/jobs/"+url.PathEscape(id)+"/delete", url.Values{"f": {"json"}})
	})
}

// addCorpus adds the seed corpus of fuzzer name (testdata/fuzz/name, the
// files go test writes: string and byte values) to f, so that a variant
// on another store replays it.
func addCorpus(f *testing.F, name string) {
	f.Helper()
	files, err := filepath.Glob(filepath.Join("testdata", "fuzz", name, "*"))
	if err != nil {
		f.Fatal(err)
	}
	for _, file := range files {
		b, err := os.ReadFile(file)
		if err != nil {
			f.Fatal(err)
		}
		lines := strings.Split(strings.TrimSpace(string(b)), "\n")
		if len(lines) == 0 || lines[0] != "go test fuzz v1" {
			f.Fatalf("%s: not a go test fuzz v1 file", file)
		}
		var args []any
		for _, line := range lines[1:] {
			v, err := corpusValue(line)
			if err != nil {
				f.Fatalf("%s: %v", file, err)
			}
			args = append(args, v)
		}
		f.Add(args...)
	}
}

// corpusValue parses one line of a corpus file: string("…") or byte('…').
func corpusValue(line string) (any, error) {
	switch {
	case strings.HasPrefix(line, "string(") && strings.HasSuffix(line, ")"):
		return strconv.Unquote(line[len("string(") : len(line)-1])
	case strings.HasPrefix(line, "byte(") && strings.HasSuffix(line, ")"):
		lit := line[len("byte(") : len(line)-1]
		if len(lit) < 2 || lit[0] != '\'' || lit[len(lit)-1] != '\'' {
			break
		}
		r, _, tail, err := strconv.UnquoteChar(lit[1:len(lit)-1], '\'')
		if err != nil || tail != "" || r > 0xff {
			return nil, fmt.Errorf("corpus value %s", line)
		}
		return byte(r), nil
	}
	return nil, fmt.Errorf("corpus value %s: want string(…) or byte(…)", line)
}

// FuzzQueryGeometry fuzzes the spatial side of the query and of the pixel
// operations: the geometry, its type, the spatial relation, inSR and
// outSR, time and the mosaic rule, which FuzzQueryParams leaves alone.
func FuzzQueryGeometry(f *testing.F) { fuzzQueryGeometry(f, storeSQLite) }

// FuzzQueryGeometryPG is FuzzQueryGeometry on the PostGIS store.
func FuzzQueryGeometryPG(f *testing.F) { fuzzQueryGeometry(f, storePostGIS) }

var geometryOps = []string{"query", "identify", "getSamples", "computeHistograms", "exportImage"}

func fuzzQueryGeometry(f *testing.F, kind string) {
	s := newStack(f, kind)
	if kind != storeSQLite {
		addCorpus(f, "FuzzQueryGeometry")
	}
	for _, seed := range []struct {
		op                                    uint8
		geometry, gtype, rel, inSR, outSR, tm string
		mosaicRule                            string
	}{
		{0, "400000,5000000,410000,5010000", "", "", "", "", "", ""},
		{0, `{"x":400100,"y":5000100}`, "esriGeometryPoint", "esriSpatialRelIntersects", "", "4326", "", ""},
		{0, `{"xmin":10,"ymin":45,"xmax":11,"ymax":46,"spatialReference":{"wkid":4326}}`, "esriGeometryEnvelope", "esriSpatialRelContains", "", "", "1420070400000,1500000000000", ""},
		{0, `{"rings":[[[400000,5000000],[400000,5010000],[410000,5010000],[410000,5000000],[400000,5000000]]]}`, "esriGeometryPolygon", "esriSpatialRelWithin", "32633", "3857", "", `{"where":"CloudCover < 50"}`},
		{0, `{"paths":[[[400000,5000000],[410000,5010000]]]}`, "esriGeometryPolyline", "esriSpatialRelEnvelopeIntersects", "", "", "", ""},
		{0, `{"points":[[400100,5000100],[405000,5005000]]}`, "esriGeometryMultipoint", "", "", "", "", ""},
		// Found by hand: PostGIS refused a one-vertex path (XX000);
		// simplefeatures panicked on a float-range envelope (SQLite).
		{0, `{"paths":[[[0,0]]]}`, "", "esriSpatialRelIntersects", "", "", "", ""},
		{0, `{"xmin":-1.7976931348623157e308,"ymin":-1.7976931348623157e308,"xmax":1.7976931348623157e308,"ymax":1.7976931348623157e308}`, "", "esriSpatialRelWithin", "", "", "", ""},
		{0, `{"rings":[[[0,0],[1,1],[0,0]]]}`, "", "", "", "", "", ""},
		{0, `{"x":1e300,"y":1e300}`, "", "", "4326", "", "", ""},
		{1, `{"x":400100,"y":5000100}`, "esriGeometryPoint", "", "", "", "", `{"mosaicMethod":"esriMosaicAttribute","sortField":"AcquisitionDate","sortValue":"2024-13-45"}`},
		{2, `{"points":[[400100,5000100]]}`, "esriGeometryMultipoint", "", "", "", "99999999999999999999", `{"mosaicMethod":"esriMosaicLockRaster","lockRasterIds":[99999999999999999999]}`},
		{3, `{"xmin":400000,"ymin":5000000,"xmax":410000,"ymax":5010000}`, "esriGeometryEnvelope", "", "", "", "", `{"where":"1/0=1"}`},
		{4, "400000,5000000,410000,5010000", "", "", "", "", "", `{"mosaicMethod":"esriMosaicViewpoint","viewpoint":{"x":1e308,"y":-1e308}}`},
		{4, "-1e308,-1e308,1e308,1e308", "", "", "3857", "4326", "0,1", `{"fids":[1,2,3]}`},
	} {
		f.Add(seed.op, seed.geometry, seed.gtype, seed.rel, seed.inSR, seed.outSR, seed.tm, seed.mosaicRule)
	}
	f.Fuzz(func(t *testing.T, op uint8, geometry, gtype, rel, inSR, outSR, tm, mosaicRule string) {
		name := geometryOps[int(op)%len(geometryOps)]
		p := url.Values{"f": {"json"}, "geometry": {geometry}, "geometryType": {gtype}, "spatialRel": {rel},
			"inSR": {inSR}, "outSR": {outSR}, "time": {tm}, "mosaicRule": {mosaicRule}}
		switch name {
		case "query":
			p.Set("returnCountOnly", fmt.Sprint(op&8 != 0))
			p.Set("resultRecordCount", "3")
		case "exportImage":
			p.Del("geometry")
			p.Set("bbox", geometry)
			p.Set("bboxSR", inSR)
			p.Set("imageSR", outSR)
			p.Set("size", "64,64")
		}
		s.serve(t, http.MethodPost, "/arcgis/rest/services/"+Collection+"/ImageServer/"+name, p)
	})
}
