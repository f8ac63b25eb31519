package raster_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"

	"github.com/paulmach/orb"

	"github.com/tessera-gis/tessera/raster"
	"github.com/tessera-gis/tessera/raster/rastertest"
)

// gateFixture is a store folder with a legitimate raster, the server's
// own files inside it (a data folder with a database, a token secret and
// a users file) and an outside folder with a raster and a secret.
type gateFixture struct {
	store, data, outside   string
	tif, outsideTif        string
	secret, db, users, out string // the server's secret, database, users file; a secret outside
	ctx                    context.Context
}

const secretText = "SECRET-7f3a9c-token-bytes-SECRET"

func newGateFixture(t *testing.T, urls ...string) *gateFixture {
	t.Helper()
	f := &gateFixture{store: t.TempDir(), outside: t.TempDir()}
	f.data = filepath.Join(f.store, "data")
	f.tif = rastertest.GeoTIFF(t, filepath.Join(f.store, "ok.tif"), rastertest.Size(32, 32), rastertest.EPSG(32633),
		rastertest.GeoTransform([6]float64{500000, 10, 0, 5000000, 0, -10}))
	f.outsideTif = rastertest.GeoTIFF(t, filepath.Join(f.outside, "other.tif"), rastertest.Size(32, 32), rastertest.EPSG(32633),
		rastertest.GeoTransform([6]float64{500000, 10, 0, 5000000, 0, -10}))
	f.secret = write(t, filepath.Join(f.data, "token.secret"), secretText)
	f.db = write(t, filepath.Join(f.data, "tessera.db"), "SQLite format 3\x00"+secretText)
	f.users = write(t, filepath.Join(f.store, "users.conf"), "admin:admin:"+secretText+"\n")
	f.out = write(t, filepath.Join(f.outside, "secret.txt"), secretText)
	stores, err := raster.NewStores(append([]string{f.store}, urls...), []string{f.secret, f.db, f.users}, []string{f.data})
	if err != nil {
		t.Fatal(err)
	}
	f.ctx = raster.WithStores(context.Background(), stores)
	return f
}

func write(t *testing.T, p, text string) string {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

// rawVRT is a VRT whose raw band reads src as bytes.
func rawVRT(src string, relative bool) string {
	rel := 0
	if relative {
		rel = 1
	}
	return fmt.Sprintf(`<VRTDataset rasterXSize="8" rasterYSize="4">
  <SRS>EPSG:32633</SRS>
  <GeoTransform>500000, 10, 0, 5000000, 0, -10</GeoTransform>
  <VRTRasterBand dataType="Byte" band="1" subClass="VRTRawRasterBand">
    <SourceFilename relativeToVRT="%d">%s</SourceFilename>
    <ImageOffset>0</ImageOffset><PixelOffset>1</PixelOffset><LineOffset>8</LineOffset>
  </VRTRasterBand>
</VRTDataset>`, rel, src)
}

// simpleVRT is a VRT with one simple source.
func simpleVRT(src string, relative bool) string {
	rel := 0
	if relative {
		rel = 1
	}
	return fmt.Sprintf(`<VRTDataset rasterXSize="32" rasterYSize="32">
  <SRS>EPSG:32633</SRS>
  <GeoTransform>500000, 10, 0, 5000000, 0, -10</GeoTransform>
  <VRTRasterBand dataType="Byte" band="1">
    <SimpleSource><SourceFilename relativeToVRT="%d">%s</SourceFilename><SourceBand>1</SourceBand></SimpleSource>
  </VRTRasterBand>
</VRTDataset>`, rel, src)
}

// assertRefused checks that reading name fails with one of the gate's
// errors, and that the error shows neither the secret nor an outside path.
func (f *gateFixture) assertRefused(t *testing.T, name string) {
	t.Helper()
	info, err := raster.Inspect(f.ctx, name)
	if err == nil {
		t.Fatalf("Inspect(%s) = %+v, want refused", name, info)
	}
	if !errors.Is(err, raster.ErrNotInStore) && !errors.Is(err, raster.ErrForbiddenSource) {
		t.Fatalf("Inspect(%s): %v, want ErrNotInStore or ErrForbiddenSource", name, err)
	}
	_, rerr := raster.Render(f.ctx, raster.RenderRequest{Sources: []string{name}, Bound: orb.Bound{Min: orb.Point{500000, 4999680}, Max: orb.Point{500320, 5000000}},
		SRS: mustSRS(t, 32633), Width: 8, Height: 8, Format: "png"})
	if rerr == nil {
		t.Fatalf("Render(%s) succeeded, want refused", name)
	}
	for _, e := range []error{err, rerr} {
		for _, leak := range []string{secretText, f.outside, f.data, "/proc", "/etc"} {
			if strings.Contains(e.Error(), leak) && !strings.Contains(name, leak) {
				t.Errorf("error for %s shows %q: %v", name, leak, e)
			}
		}
	}
}

// TestGateVRTSources: a VRT inside a store may reference only files the
// gate allows; raw bands, simple sources, warped VRTs and nested VRTs
// that point at the server's secret, database or users file, at /proc or
// outside the stores are refused, as are pixel-function code, open
// options, relative names GDAL would resolve against the working
// directory, remote and inline sources.
func TestGateVRTSources(t *testing.T) {
	f := newGateFixture(t)
	link := filepath.Join(f.store, "link.tif")
	if err := os.Symlink(f.outsideTif, link); err != nil {
		t.Fatal(err)
	}
	nested := write(t, filepath.Join(f.store, "nested", "inner.vrt"), rawVRT(f.secret, false))
	// GDAL's VRT driver sniffs 1,024 bytes of the name it opens, but a
	// nested source is refused if "<VRTDataset" appears in its first 64 KiB.
	padded := write(t, filepath.Join(f.store, "nested", "padded.vrt"), strings.Repeat(" ", 4000)+rawVRT(f.secret, false))
	cases := map[string]string{
		"raw band to token secret":       rawVRT(f.secret, false),
		"raw band to database":           rawVRT(f.db, false),
		"raw band to users file":         rawVRT(f.users, false),
		"raw band to /proc":              rawVRT("/proc/self/cmdline", false),
		"raw band to /etc/passwd":        rawVRT("/etc/passwd", false),
		"raw band outside":               rawVRT(f.out, false),
		"raw band relative ..":           rawVRT("../"+filepath.Base(f.outside)+"/secret.txt", true),
		"raw band relative no flag":      rawVRT("users.conf", false),
		"raw band through symlink":       rawVRT(link, false),
		"simple source outside":          simpleVRT(f.outsideTif, false),
		"simple source symlink":          simpleVRT("link.tif", true),
		"simple source /vsicurl":         simpleVRT("/vsicurl/http://127.0.0.1:1/x.tif", false),
		"simple source url":              simpleVRT("http://127.0.0.1:1/x.tif", false),
		"simple source vsizip":           simpleVRT("/vsizip/"+f.tif+".zip/x.tif", false),
		"simple source vrt://":           simpleVRT("vrt://"+f.tif, false),
		"simple source GTIFF_DIR:":       simpleVRT("GTIFF_DIR:1:"+f.outsideTif, false),
		"simple source inline VRT":       simpleVRT("&lt;VRTDataset&gt;&lt;/VRTDataset&gt;", false),
		"nested VRT to secret":           simpleVRT(nested, false),
		"nested VRT after 4,000 spaces":  simpleVRT(padded, false),
		"nested VRT relative":            simpleVRT("nested/inner.vrt", true),
		"warped VRT outside":             `<VRTDataset subClass="VRTWarpedDataset" rasterXSize="8" rasterYSize="8"><GDALWarpOptions><SourceDataset relativeToVRT="0">` + f.outsideTif + `</SourceDataset></GDALWarpOptions></VRTDataset>`,
		"pixel function python":          `<VRTDataset rasterXSize="8" rasterYSize="8"><VRTRasterBand dataType="Byte" band="1" subClass="VRTDerivedRasterBand"><PixelFunctionType>f</PixelFunctionType><PixelFunctionLanguage>Python</PixelFunctionLanguage><PixelFunctionCode>import os</PixelFunctionCode></VRTRasterBand></VRTDataset>`,
		"open options":                   `<VRTDataset rasterXSize="32" rasterYSize="32"><VRTRasterBand dataType="Byte" band="1"><SimpleSource><SourceFilename relativeToVRT="1">ok.tif</SourceFilename><OpenOptions><OOI key="X">Y</OOI></OpenOptions></SimpleSource></VRTRasterBand></VRTDataset>`,
		"SRS from a file":                `<VRTDataset rasterXSize="32" rasterYSize="32"><SRS>` + f.out + `</SRS><VRTRasterBand dataType="Byte" band="1"><SimpleSource><SourceFilename relativeToVRT="1">ok.tif</SourceFilename></SimpleSource></VRTRasterBand></VRTDataset>`,
		"overview outside":               `<VRTDataset rasterXSize="32" rasterYSize="32"><VRTRasterBand dataType="Byte" band="1"><SimpleSource><SourceFilename relativeToVRT="1">ok.tif</SourceFilename></SimpleSource><Overview><SourceFilename relativeToVRT="0">` + f.outsideTif + `</SourceFilename><SourceBand>1</SourceBand></Overview></VRTRasterBand></VRTDataset>`,
		"VRT in a .tif":                  rawVRT(f.secret, false),
		"VRT after whitespace and BOM":   "\xef\xbb\xbf   \n" + rawVRT(f.secret, false),
		"case-mangled raw band filename": strings.Replace(rawVRT(f.secret, false), "SourceFilename", "sourceFilename", 2),
	}
	for name, doc := range cases {
		t.Run(name, func(t *testing.T) {
			ext := ".vrt"
			if strings.Contains(name, ".tif") {
				ext = ".tif"
			}
			base := strings.Map(func(r rune) rune {
				if r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' {
					return r
				}
				return '_'
			}, name)
			p := write(t, filepath.Join(f.store, base+ext), doc)
			f.assertRefused(t, p)
		})
	}
	// A nested VRT deeper than the bound is refused too.
	prev := f.tif
	for i := range 10 {
		prev = write(t, filepath.Join(f.store, fmt.Sprintf("deep%02d.vrt", i)), simpleVRT(prev, false))
	}
	f.assertRefused(t, prev)
}

// TestGatePaths: symbolic links and ".." out of a store, the server's own
// files inside a store, system folders, GDAL prefixes and connection
// strings are all refused, with the same error as a missing file.
func TestGatePaths(t *testing.T) {
	f := newGateFixture(t)
	link := filepath.Join(f.store, "escape.tif")
	if err := os.Symlink(f.outsideTif, link); err != nil {
		t.Fatal(err)
	}
	dirLink := filepath.Join(f.store, "up")
	if err := os.Symlink(f.outside, dirLink); err != nil {
		t.Fatal(err)
	}
	fifo := filepath.Join(f.store, "pipe.tif")
	if err := syscall.Mkfifo(fifo, 0o644); err != nil {
		t.Fatal(err)
	}
	protectedTif := rastertest.GeoTIFF(t, filepath.Join(f.data, "own.tif"), rastertest.Size(8, 8), rastertest.EPSG(32633))
	for _, name := range []string{
		link,
		filepath.Join(dirLink, "other.tif"),
		f.store + "/../" + filepath.Base(f.outside) + "/other.tif",
		f.outsideTif,
		f.secret, f.db, f.users, protectedTif,
		"/proc/self/cmdline", "/etc/passwd", "/",
		"/vsimem/x.tif", "/vsizip/" + f.tif, "/vsicurl/http://127.0.0.1:1/x.tif", "/vsis3/bucket/x.tif",
		"CSV:" + f.tif, "GPKG:" + f.tif + ":t", "GTIFF_DIR:1:" + f.tif, "vrt://" + f.tif, "NETCDF:\"" + f.tif + "\":x",
		"<VRTDataset></VRTDataset>", "ok.tif", "file://" + f.tif, "http://127.0.0.1:1/x.tif", "s3://bucket/x.tif",
		f.store, filepath.Join(f.store, "missing.tif"), fifo,
	} {
		t.Run(name, func(t *testing.T) { f.assertRefused(t, name) })
	}
	// Missing and forbidden answer alike.
	_, missing := raster.Inspect(f.ctx, filepath.Join(f.store, "nope.tif"))
	_, forbidden := raster.Inspect(f.ctx, f.outsideTif)
	norm := func(err error, name string) string { return strings.ReplaceAll(err.Error(), name, "NAME") }
	if norm(missing, filepath.Join(f.store, "nope.tif")) != norm(forbidden, f.outsideTif) {
		t.Errorf("missing and forbidden differ:\n%v\n%v", missing, forbidden)
	}
	// No stores at all: everything is refused, naming the flag.
	if _, err := raster.Inspect(context.Background(), f.tif); !errors.Is(err, raster.ErrNoStores) || !strings.Contains(err.Error(), "--data-store") {
		t.Errorf("no stores: %v", err)
	}
}

// TestGateAllows: a raster in a store, through a symbolic link inside the
// store, a VRT with relative sources and a nested VRT all read and render.
func TestGateAllows(t *testing.T) {
	f := newGateFixture(t)
	inner := filepath.Join(f.store, "link-in.tif")
	if err := os.Symlink(f.tif, inner); err != nil {
		t.Fatal(err)
	}
	vrt := write(t, filepath.Join(f.store, "mosaic.vrt"), simpleVRT("ok.tif", true))
	outer := write(t, filepath.Join(f.store, "sub", "outer.vrt"), simpleVRT("../mosaic.vrt", true))
	for _, p := range []string{f.tif, inner, vrt, outer, f.store + "/sub/../ok.tif"} {
		info, err := raster.Inspect(f.ctx, p)
		if err != nil || info.Width != 32 {
			t.Fatalf("Inspect(%s) = %+v, %v", p, info, err)
		}
		img, err := raster.Render(f.ctx, raster.RenderRequest{Sources: []string{p}, Bound: orb.Bound{Min: orb.Point{500000, 4999680}, Max: orb.Point{500320, 5000000}},
			SRS: mustSRS(t, 32633), Width: 8, Height: 8, Format: "png"})
		if err != nil || len(img.Data) == 0 {
			t.Fatalf("Render(%s): %v", p, err)
		}
	}
}

// TestGateSidecars: an overview or mask next to a raster that links out of
// the store is not offered to GDAL; the raster itself still reads.
func TestGateSidecars(t *testing.T) {
	f := newGateFixture(t)
	ovr := rastertest.GeoTIFF(t, filepath.Join(f.outside, "big.tif"), rastertest.Size(16, 16), rastertest.EPSG(32633))
	if err := os.Symlink(ovr, f.tif+".ovr"); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(f.out, f.tif+".msk"); err != nil {
		t.Fatal(err)
	}
	info, err := raster.Inspect(f.ctx, f.tif)
	if err != nil {
		t.Fatal(err)
	}
	if info.Width != 32 {
		t.Fatalf("%+v", info)
	}
}

// TestGateListedSidecars: a sidecar that a listing names is checked as one
// found by stat is: an overview that links out of the store, or one the
// listing saw but that is gone, is not offered to GDAL.
func TestGateListedSidecars(t *testing.T) {
	f := newGateFixture(t)
	ovr := rastertest.GeoTIFF(t, filepath.Join(f.outside, "big.tif"), rastertest.Size(16, 16), rastertest.EPSG(32633))
	if err := os.Symlink(ovr, f.tif+".ovr"); err != nil {
		t.Fatal(err)
	}
	l := raster.NewListing(f.store)
	for _, n := range []string{"ok.tif", "ok.tif.ovr", "ok.tif.msk", "ok.wld"} { // the last two are gone
		l.Add(n)
	}
	info, err := raster.Inspect(f.ctx, f.tif, raster.Listed(l))
	if err != nil {
		t.Fatal(err)
	}
	if info.Width != 32 || info.Overviews != 0 {
		t.Fatalf("%+v", info)
	}
}

// TestGateManifests: manifests are opened by the same gate and an
// allow-list of vector drivers: no OGR VRT, no CSV: prefix, no SQLite
// database, nothing outside the stores, no shapefile sidecar linking out.
func TestGateManifests(t *testing.T) {
	f := newGateFixture(t)
	csv := write(t, filepath.Join(f.store, "ok.csv"), "path,name\nok.tif,a\n")
	b, err := raster.TableCSV(f.ctx, csv)
	if err != nil || !strings.Contains(string(b), "ok.tif") {
		t.Fatalf("TableCSV(%s) = %q, %v", csv, b, err)
	}
	ogrVRT := write(t, filepath.Join(f.store, "m.vrt"), `<OGRVRTDataSource><OGRVRTLayer name="x"><SrcDataSource>`+f.users+`</SrcDataSource></OGRVRTLayer></OGRVRTDataSource>`)
	ogrVRTcsv := write(t, filepath.Join(f.store, "m2.csv.vrt"), `<OGRVRTDataSource><OGRVRTLayer name="x"><SrcDataSource>CSV:`+f.out+`</SrcDataSource></OGRVRTLayer></OGRVRTDataSource>`)
	sqlite := filepath.Join(f.store, "copy.sqlite")
	shp := write(t, filepath.Join(f.store, "idx.shp"), "not really")
	if err := os.Symlink(f.out, filepath.Join(f.store, "idx.dbf")); err != nil {
		t.Fatal(err)
	}
	write(t, sqlite, "SQLite format 3\x00")
	for _, name := range []string{ogrVRT, ogrVRTcsv, sqlite, shp, f.db, f.users, f.out, "CSV:" + f.out, "CSV:" + csv,
		"/vsicurl/http://127.0.0.1:1/m.csv", "/proc/self/environ", filepath.Join(f.store, "missing.csv")} {
		b, err := raster.TableCSV(f.ctx, name)
		if err == nil {
			t.Errorf("TableCSV(%s) = %q, want refused", name, b)
			continue
		}
		if strings.Contains(err.Error(), secretText) || strings.Contains(err.Error(), "admin:admin") {
			t.Errorf("TableCSV(%s) error shows contents: %v", name, err)
		}
	}
}

// logServer is a local HTTP server that records every request reaching it.
type logServer struct {
	*httptest.Server
	mu   sync.Mutex
	seen []string
}

func newLogServer(t *testing.T, h http.Handler) *logServer {
	s := &logServer{}
	s.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.mu.Lock()
		s.seen = append(s.seen, r.Method+" "+r.URL.String())
		s.mu.Unlock()
		if h != nil {
			h.ServeHTTP(w, r)
			return
		}
		w.Write([]byte(secretText)) //nolint:errcheck // test server
	}))
	t.Cleanup(s.Close)
	return s
}

func (s *logServer) requests() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.seen...)
}

// TestGateNetwork: only registered URL prefixes are contacted. An
// unregistered loopback port (a local server that logs what reaches it)
// receives nothing: not from a direct URL, not from a redirect of a
// registered host, not from a VRT source, not from a path outside the
// registered prefix. A raster under the registered prefix still reads and
// renders, through the proxy.
func TestGateNetwork(t *testing.T) {
	secret := newLogServer(t, nil)
	dir := t.TempDir()
	if err := os.Mkdir(filepath.Join(dir, "pub"), 0o755); err != nil {
		t.Fatal(err)
	}
	rastertest.GeoTIFF(t, filepath.Join(dir, "pub", "a.tif"), rastertest.Size(32, 32), rastertest.EPSG(32633),
		rastertest.GeoTransform([6]float64{500000, 10, 0, 5000000, 0, -10}))
	files := http.FileServer(http.Dir(dir))
	reg := newLogServer(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.HasPrefix(r.URL.Path, "/pub/redirect") {
			http.Redirect(w, r, secret.URL+"/latest/meta-data.tif", http.StatusFound)
			return
		}
		files.ServeHTTP(w, r)
	}))
	f := newGateFixture(t, reg.URL+"/pub/")
	ok := reg.URL + "/pub/a.tif"
	info, err := raster.Inspect(f.ctx, ok)
	if err != nil || info.Width != 32 {
		t.Fatalf("Inspect(%s) = %+v, %v\nrequests: %v", ok, info, err, reg.requests())
	}
	if _, err := raster.Render(f.ctx, raster.RenderRequest{Sources: []string{"/vsicurl/" + ok}, Bound: orb.Bound{Min: orb.Point{500000, 4999680}, Max: orb.Point{500320, 5000000}},
		SRS: mustSRS(t, 32633), Width: 8, Height: 8, Format: "png"}); err != nil {
		t.Fatalf("Render(%s): %v", ok, err)
	}
	vrt := write(t, filepath.Join(f.store, "ssrf.vrt"), simpleVRT("/vsicurl/"+secret.URL+"/x.tif", false))
	for _, name := range []string{
		secret.URL + "/x.tif",
		"/vsicurl/" + secret.URL + "/x.tif",
		"/vsicurl?url=" + secret.URL + "/x.tif",
		reg.URL + "/pub/redirect.tif",
		reg.URL + "/other/a.tif",
		reg.URL + "/pub/../other/a.tif",
		reg.URL + "/pub/%2e%2e/other/a.tif",
		strings.Replace(reg.URL, "127.0.0.1", "localhost", 1) + "/pub/a.tif",
		strings.Replace(reg.URL, "http://", "http://user@", 1) + "/pub/a.tif",
		vrt,
	} {
		if _, err := raster.Inspect(f.ctx, name); err == nil {
			t.Errorf("Inspect(%s) succeeded", name)
		}
	}
	if got := secret.requests(); len(got) > 0 {
		t.Errorf("the unregistered server was reached: %v", got)
	}
	for _, r := range reg.requests() {
		if strings.Contains(r, "/other/") {
			t.Errorf("a path outside the registered prefix was requested: %s", r)
		}
	}
}

// TestGateVRTParserTricks: what GDAL's XML parser and a path library might
// read differently from the check is refused: comments, entities, CDATA or
// child elements inside a file name, duplicate relativeToVRT attributes,
// relativeToVRT values other than 1 on relative names, and ".." after a
// symbolic link (which the kernel resolves from the link's target).
func TestGateVRTParserTricks(t *testing.T) {
	f := newGateFixture(t)
	deep := filepath.Join(f.outside, "a", "b")
	if err := os.MkdirAll(deep, 0o755); err != nil {
		t.Fatal(err)
	}
	rastertest.GeoTIFF(t, filepath.Join(f.outside, "a", "ok.tif"), rastertest.Size(32, 32), rastertest.EPSG(32633))
	if err := os.Symlink(deep, filepath.Join(f.store, "d")); err != nil {
		t.Fatal(err)
	}
	up := strings.Repeat("../", strings.Count(f.secret, "/"))
	cases := map[string]string{
		"comment splits the name":     simpleVRT(f.secret+"<!-- -->/"+up+strings.TrimPrefix(f.tif, "/"), false),
		"entity in the name":          simpleVRT("&#47;"+strings.TrimPrefix(f.tif, "/"), false),
		"CDATA in the name":           simpleVRT("<![CDATA["+f.tif+"]]>", false),
		"child element in the name":   simpleVRT(f.secret+"<x/>", false),
		"dot-dot after a link":        simpleVRT(filepath.Join(f.store, "d")+"/../ok.tif", false),
		"relative dot-dot after link": simpleVRT("d/../ok.tif", true),
		"duplicate relativeToVRT":     strings.Replace(simpleVRT("users.conf", true), `relativeToVRT="1"`, `relativeToVRT="0" relativeToVRT="1"`, 1),
		"relativeToVRT=01":            strings.Replace(simpleVRT("ok.tif", true), `relativeToVRT="1"`, `relativeToVRT="x"`, 1),
		"not well-formed":             strings.Replace(simpleVRT(f.tif, false), "</VRTDataset>", "", 1),
	}
	for name, doc := range cases {
		t.Run(name, func(t *testing.T) {
			p := write(t, filepath.Join(f.store, strings.ReplaceAll(name, " ", "_")+".vrt"), doc)
			f.assertRefused(t, p)
		})
	}
}

// TestContainsResolved: a resolved path in a store is allowed, the
// server's own files, paths outside, relative and empty paths are not.
func TestContainsResolved(t *testing.T) {
	f := newGateFixture(t)
	stores := raster.StoresFrom(f.ctx)
	resolve := func(p string) string {
		r, err := filepath.EvalSymlinks(p)
		if err != nil {
			t.Fatal(err)
		}
		return r
	}
	if !stores.ContainsResolved(resolve(f.tif)) {
		t.Errorf("%s refused", f.tif)
	}
	for _, p := range []string{resolve(f.secret), resolve(f.db), resolve(f.users), resolve(f.outsideTif), resolve(f.out),
		"ok.tif", "", "/"} {
		if stores.ContainsResolved(p) {
			t.Errorf("%q allowed", p)
		}
	}
	var none *raster.Stores
	if none.ContainsResolved(resolve(f.tif)) {
		t.Error("no stores allowed a path")
	}
}
