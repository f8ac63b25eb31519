package main_test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/tessera-gis/tessera/internal/subprocess"
	"github.com/tessera-gis/tessera/raster/rastertest"
)

// secretMark is written into the server's own files, so that a leak shows.
const secretMark = "TESSERA-SECRET-d41d8cd9"

// storeServer is a server whose data folder lies inside its only data
// store (the worst case an administrator can register), with its own
// files marked, a legitimate raster in the store and a folder outside it.
type storeServer struct {
	*proc
	root, data, outside string
	ok                  string // a raster in the store
}

func startStoreServer(t *testing.T, extra ...string) *storeServer {
	t.Helper()
	s := &storeServer{root: t.TempDir(), outside: t.TempDir()}
	s.data = filepath.Join(s.root, "data")
	for _, f := range []string{"token.secret"} {
		writeFile(t, filepath.Join(s.data, f), secretMark)
	}
	s.ok = rastertest.GeoTIFF(t, filepath.Join(s.root, "ok.tif"), rastertest.Size(32, 32), rastertest.EPSG(32633),
		rastertest.GeoTransform([6]float64{500000, 10, 0, 5000000, 0, -10}))
	s.proc = startServer(t, s.data, append([]string{"--data-store", s.root}, extra...)...)
	create := postForm(t, s.GP("CreateImageCollection")+"/submitJob", url.Values{"imageCollection": {"S"}, "context": {`{"outSR": 32633}`}})
	if id, _ := create["jobId"].(string); id == "" {
		t.Fatalf("create: %v", create)
	} else if m := wait(t, s.proc, "CreateImageCollection", id); m["jobStatus"] != "esriJobSucceeded" {
		t.Fatalf("create: %s", messages(m))
	}
	return s
}

func writeFile(t *testing.T, p, text string) string {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// add runs AddImage and returns the job and how many items S has.
func (s *storeServer) add(t *testing.T, form url.Values) (map[string]any, int) {
	t.Helper()
	form.Set("imageCollection", "S")
	m := postForm(t, s.GP("AddImage")+"/submitJob", form)
	id, _ := m["jobId"].(string)
	if id == "" {
		return m, count(t, s.proc, "S", "1=1")
	}
	return wait(t, s.proc, "AddImage", id), count(t, s.proc, "S", "1=1")
}

func rawBandVRT(src string) string {
	return fmt.Sprintf(`<VRTDataset rasterXSize="8" rasterYSize="4"><SRS>EPSG:32633</SRS>
<GeoTransform>500000, 10, 0, 5000000, 0, -10</GeoTransform>
<VRTRasterBand dataType="Byte" band="1" subClass="VRTRawRasterBand">
<SourceFilename relativeToVRT="0">%s</SourceFilename><ImageOffset>0</ImageOffset><PixelOffset>1</PixelOffset><LineOffset>8</LineOffset>
</VRTRasterBand></VRTDataset>`, src)
}

func simpleSourceVRT(src string) string {
	return fmt.Sprintf(`<VRTDataset rasterXSize="32" rasterYSize="32"><SRS>EPSG:32633</SRS>
<GeoTransform>500000, 10, 0, 5000000, 0, -10</GeoTransform>
<VRTRasterBand dataType="Byte" band="1"><SimpleSource><SourceFilename relativeToVRT="0">%s</SourceFilename><SourceBand>1</SourceBand></SimpleSource></VRTRasterBand></VRTDataset>`, src)
}

// TestDataStoreVRTTheft: a publisher's VRT whose raw band (or source)
// names the token secret, the database, /proc or a file outside the store
// adds nothing and shows nothing, even though the data folder lies inside
// the store; and a VRT added legitimately that is later rewritten to point
// at the secret renders nothing at exportImage (the gate holds at every
// open).
func TestDataStoreVRTTheft(t *testing.T) {
	t.Parallel()
	s := startStoreServer(t)
	outsideTif := rastertest.GeoTIFF(t, filepath.Join(s.outside, "o.tif"), rastertest.Size(32, 32), rastertest.EPSG(32633),
		rastertest.GeoTransform([6]float64{500000, 10, 0, 5000000, 0, -10}))
	targets := map[string]string{
		"secret":   rawBandVRT(filepath.Join(s.data, "token.secret")),
		"db":       rawBandVRT(filepath.Join(s.data, "tessera.db")),
		"proc":     rawBandVRT("/proc/self/cmdline"),
		"environ":  rawBandVRT("/proc/self/environ"),
		"shadow":   rawBandVRT("/etc/shadow"),
		"outside":  simpleSourceVRT(outsideTif),
		"vsicurl":  simpleSourceVRT("/vsicurl/" + s.URL + "/rest/services"),
		"dotdot":   simpleSourceVRT(s.root + "/../" + filepath.Base(s.outside) + "/o.tif"),
		"selfhost": simpleSourceVRT(s.URL + "/arcgis/%3CVRTDataset%3E"),
	}
	for name, doc := range targets {
		p := writeFile(t, filepath.Join(s.root, "evil-"+name+".vrt"), doc)
		m, n := s.add(t, url.Values{"inputRasters": {p}})
		if n != 0 {
			t.Fatalf("%s: %d items added: %s", name, n, messages(m))
		}
		if msg := messages(m); strings.Contains(msg, secretMark) || strings.Contains(msg, s.outside) || !strings.Contains(msg, "Failed to add") {
			t.Errorf("%s: messages %s", name, msg)
		}
	}
	// Added while it pointed at a legitimate raster, then rewritten.
	vrt := writeFile(t, filepath.Join(s.root, "swap.vrt"), simpleSourceVRT(s.ok))
	if m, n := s.add(t, url.Values{"inputRasters": {vrt}}); n != 1 {
		t.Fatalf("legit VRT: %d items: %s", n, messages(m))
	}
	export := s.Services() + "/S/ImageServer/exportImage?f=image&format=tiff&pixelType=U8&size=8,4&bbox=500000,4999960,500080,5000000&bboxSR=32633"
	resp, err := http.Get(export)
	if err != nil {
		t.Fatal(err)
	}
	io.Copy(io.Discard, resp.Body) //nolint:errcheck // test
	resp.Body.Close()
	if resp.StatusCode != 200 || !strings.HasPrefix(resp.Header.Get("Content-Type"), "image/") {
		t.Fatalf("legit export: %d %s", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	writeFile(t, vrt, rawBandVRT(filepath.Join(s.data, "token.secret"))+strings.Repeat(" ", 64))
	resp, err = http.Get(strings.Replace(export, "f=image", "f=json", 1) + "&lockRasterIds=1&mosaicRule=" + url.QueryEscape(`{"mosaicMethod":"esriMosaicLockRaster","lockRasterIds":[1]}`))
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if strings.Contains(string(body), secretMark) || !strings.Contains(string(body), `"error"`) || strings.Contains(string(body), `"code":500`) {
		t.Errorf("export of a rewritten VRT: %d %.400s", resp.StatusCode, body)
	}
}

// TestDataStoreEnumeration: inputRasters=/ and globs outside the stores
// list nothing; a missing file and a forbidden one fail alike.
func TestDataStoreEnumeration(t *testing.T) {
	t.Parallel()
	s := startStoreServer(t)
	rastertest.GeoTIFF(t, filepath.Join(s.outside, "hidden.tif"), rastertest.Size(8, 8), rastertest.EPSG(32633))
	for _, in := range []string{"/", "/*", "/*.tif", s.outside, s.outside + "/*.tif", filepath.Join(s.outside, "*", "*.tif"), "/etc", "/proc/self"} {
		m, n := s.add(t, url.Values{"inputRasters": {in}})
		if n != 0 {
			t.Fatalf("%s: %d items added", in, n)
		}
		if msg := messages(m); strings.Contains(msg, "hidden.tif") || strings.Contains(msg, "passwd") || strings.Count(msg, "Failed to add") > 1 {
			t.Errorf("%s lists files: %s", in, msg)
		}
	}
	// Missing and forbidden: one message, but for the name.
	missing, _ := s.add(t, url.Values{"inputRasters": {filepath.Join(s.root, "nope.tif")}})
	forbidden, _ := s.add(t, url.Values{"inputRasters": {filepath.Join(s.outside, "hidden.tif")}})
	why := func(m map[string]any, name string) string {
		for _, l := range strings.Split(messages(m), "\n") {
			if strings.Contains(l, "Failed to add") {
				return strings.ReplaceAll(l, name, "NAME")
			}
		}
		return ""
	}
	if a, b := why(missing, filepath.Join(s.root, "nope.tif")), why(forbidden, filepath.Join(s.outside, "hidden.tif")); a != b || a == "" {
		t.Errorf("missing and forbidden differ:\n%s\n%s", a, b)
	}
	// The legitimate raster still adds and renders.
	if m, n := s.add(t, url.Values{"inputRasters": {s.root + "/*.tif"}}); n != 1 {
		t.Fatalf("legit: %d items: %s", n, messages(m))
	}
}

// TestDataStoreManifests: a Table manifest naming the database, a text
// file outside the store, a CSV: prefix or an OGR VRT reads nothing and
// shows no contents.
func TestDataStoreManifests(t *testing.T) {
	t.Parallel()
	s := startStoreServer(t)
	outsideCSV := writeFile(t, filepath.Join(s.outside, "m.csv"), "path\n"+secretMark+"\n")
	ogrVRT := writeFile(t, filepath.Join(s.root, "m.vrt"), `<OGRVRTDataSource><OGRVRTLayer name="x"><SrcDataSource>`+
		filepath.Join(s.data, "tessera.db")+`</SrcDataSource><SrcSQL>SELECT * FROM audit</SrcSQL></OGRVRTLayer></OGRVRTDataSource>`)
	ogrCSV := writeFile(t, filepath.Join(s.root, "m2.vrt"), `<OGRVRTDataSource><OGRVRTLayer name="x"><SrcDataSource>CSV:`+outsideCSV+`</SrcDataSource></OGRVRTLayer></OGRVRTDataSource>`)
	for _, in := range []string{filepath.Join(s.data, "tessera.db"), filepath.Join(s.data, "token.secret"), outsideCSV, "CSV:" + outsideCSV, ogrVRT, ogrCSV, "/etc/passwd"} {
		m, n := s.add(t, url.Values{"inputRasters": {in}, "rasterType": {"Table"}})
		all := fmt.Sprint(m)
		if n != 0 || strings.Contains(all, secretMark) || strings.Contains(all, "root:") || strings.Contains(all, "audit") {
			t.Errorf("%s: %d items: %.600s", in, n, all)
		}
	}
}

// TestDataStoreSSRF: an unregistered loopback port receives nothing, not
// from a URL input, a redirect of a registered host, a VRT source or a
// manifest row; a raster under the registered prefix adds and renders.
func TestDataStoreSSRF(t *testing.T) {
	t.Parallel()
	var mu sync.Mutex
	var seen []string
	hidden := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		seen = append(seen, r.URL.String())
		mu.Unlock()
		w.Write([]byte(secretMark)) //nolint:errcheck // test
	}))
	defer hidden.Close()
	pub := t.TempDir()
	rastertest.GeoTIFF(t, filepath.Join(pub, "a.tif"), rastertest.Size(32, 32), rastertest.EPSG(32633),
		rastertest.GeoTransform([6]float64{500000, 10, 0, 5000000, 0, -10}))
	files := http.FileServer(http.Dir(pub))
	reg := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.HasPrefix(r.URL.Path, "/cogs/redirect") {
			http.Redirect(w, r, hidden.URL+"/latest/meta-data/a.tif", http.StatusFound)
			return
		}
		http.StripPrefix("/cogs", files).ServeHTTP(w, r)
	}))
	defer reg.Close()
	s := startStoreServer(t, "--data-store", reg.URL+"/cogs/")
	vrt := writeFile(t, filepath.Join(s.root, "ssrf.vrt"), simpleSourceVRT("/vsicurl/"+hidden.URL+"/a.tif"))
	manifest := writeFile(t, filepath.Join(s.root, "m.csv"), "path\n"+hidden.URL+"/a.tif\n")
	for _, form := range []url.Values{
		{"inputRasters": {hidden.URL + "/a.tif"}},
		{"inputRasters": {"/vsicurl/" + hidden.URL + "/a.tif"}},
		{"inputRasters": {strings.Replace(hidden.URL, "127.0.0.1", "localhost", 1) + "/a.tif"}},
		{"inputRasters": {reg.URL + "/cogs/redirect.tif"}},
		{"inputRasters": {reg.URL + "/other/a.tif"}},
		{"inputRasters": {vrt}},
		{"inputRasters": {manifest}, "rasterType": {"Table"}},
		{"inputRasters": {"http://169.254.169.254/latest/meta-data/"}},
	} {
		if m, n := s.add(t, form); n != 0 {
			t.Errorf("%v: %d items: %s", form, n, messages(m))
		}
	}
	mu.Lock()
	if len(seen) > 0 {
		t.Errorf("the unregistered server was reached: %v", seen)
	}
	mu.Unlock()
	if m, n := s.add(t, url.Values{"inputRasters": {reg.URL + "/cogs/a.tif"}}); n != 1 {
		t.Fatalf("registered URL: %d items: %s", n, messages(m))
	}
	resp, err := http.Get(s.Services() + "/S/ImageServer/exportImage?f=image&format=png&size=8,8&bbox=500000,4999680,500320,5000000&bboxSR=32633")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "image/png" {
		t.Errorf("export of the remote item: %d %s", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
}

// TestDataStoreNone: without a store AddImage refuses every input and the
// error names the flag; object-store URLs are refused with a reason; bad
// --data-store values stop the server; admins see the stores.
func TestDataStoreNone(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	srv, err := subprocess.Start(context.Background(), binary, dir)
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Stop() //nolint:errcheck // test
	p := &proc{Server: srv, t: t}
	tif := rastertest.GeoTIFF(t, filepath.Join(t.TempDir(), "a.tif"), rastertest.Size(8, 8), rastertest.EPSG(32633))
	m := postForm(t, p.GP("CreateImageCollection")+"/submitJob", url.Values{"imageCollection": {"N"}, "inputRasters": {tif}})
	if !strings.Contains(fmt.Sprint(m), "--data-store") {
		t.Errorf("no store: %v", m)
	}
	if items := getJSON(t, srv.URL+"/admin/data/items?f=json")["items"]; fmt.Sprint(items) != "[]" {
		t.Errorf("items without stores: %v", items)
	}

	s := startStoreServer(t)
	for _, in := range []string{"s3://bucket/a.tif", "gs://b/a.tif", "az://c/a.tif"} {
		m := postForm(t, s.GP("AddImage")+"/submitJob", url.Values{"imageCollection": {"S"}, "inputRasters": {in}})
		if !strings.Contains(fmt.Sprint(m), "not supported") {
			t.Errorf("%s: %v", in, m)
		}
	}
	items := fmt.Sprint(getJSON(t, s.URL+"/admin/data/items?f=json")["items"])
	if !strings.Contains(items, s.root) || !strings.Contains(items, "/fileShares/store1") {
		t.Errorf("admin/data/items: %s", items)
	}
	for _, bad := range []string{"s3://bucket/", "/no/such/folder", "ftp://host/"} {
		if out, err := execTessera("serve", "--addr", "127.0.0.1:0", "--data", t.TempDir(), "--data-store", bad); err == nil || !strings.Contains(out, "data store") {
			t.Errorf("--data-store %s: %v %s", bad, err, out)
		}
	}
}

// TestCancelStalledRemoteRead: an AddImage whose remote source never
// answers (a registered store that holds every request) is cancelled
// promptly: the job does not wait for GDAL's HTTP timeouts and retries, adds
// nothing, and the server goes on serving.
func TestCancelStalledRemoteRead(t *testing.T) {
	t.Parallel()
	release := make(chan struct{})
	var once sync.Once
	reached := make(chan struct{}, 64)
	stall := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case reached <- struct{}{}:
		default:
		}
		select {
		case <-release:
		case <-r.Context().Done():
		}
	}))
	defer func() { once.Do(func() { close(release) }); stall.Close() }()
	s := startStoreServer(t, "--data-store", stall.URL+"/cogs/")
	id := submit(t, s.proc, "AddImage", url.Values{"imageCollection": {"S"}, "inputRasters": {stall.URL + "/cogs/a.tif"}})
	select {
	case <-reached:
	case <-time.After(time.Minute):
		t.Fatal("the remote source was never asked")
	}
	start := time.Now()
	postForm(t, s.GP("AddImage")+"/jobs/"+id+"/cancel", url.Values{"f": {"json"}})
	m := wait(t, s.proc, "AddImage", id)
	took := time.Since(start)
	if m["jobStatus"] != "esriJobCancelled" {
		t.Fatalf("status %v: %s", m["jobStatus"], messages(m))
	}
	// GDAL's own bounds are 10 s to connect, 30 s per request and 2
	// retries; a cancel that waited on them would take that long.
	if took > 12*time.Second { // under GDAL_HTTP_LOW_SPEED_TIME (15 s)
		t.Errorf("cancel took %v: it waited on the stalled read", took)
	}
	if n := count(t, s.proc, "S", "1=1"); n != 0 {
		t.Errorf("a cancelled AddImage left %d items", n)
	}
}
