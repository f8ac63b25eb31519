package main

import (
	"bytes"
	"context"
	"fmt"
	"image"
	"image/png"
	"math"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"time"

	"github.com/tessera-gis/tessera/internal/subprocess"
	"github.com/tessera-gis/tessera/raster"
)

// The export benchmark (issue 7): exportImage of 512×512 pixels over about
// 50 overlapping sources, against gdalwarp making the same mosaic from the
// same files on the same grid, in the same run. The target is at most
// 1.2× gdalwarp's time; with warm caches (open datasets) it should beat it.
// Before timing, it checks that the two mosaics have identical pixels.
func init() {
	register(Benchmark{Name: "export", Issue: 7, Run: runExportBench})
}

func runExportBench(ctx context.Context, env *Env) ([]Measurement, error) {
	n, size := 50, 512
	if env.Quick {
		n, size = 10, 256
	}
	srcDir, err := exportSources(ctx, env, n)
	if err != nil {
		return nil, err
	}
	// The request: a 2 km square around the sources' common centre, at
	// about 3.9 m per pixel (the sources have 10 m pixels), offset from
	// their pixel edges.
	const cx, cy = 705000.0, 5205000.0
	bbox := [4]float64{cx - 1000 + 0.37, cy - 1000 + 0.61, cx + 1000 + 0.37, cy + 1000 + 0.61}

	dataDir := filepath.Join(env.Work, "export")
	srv, err := StartServer(ctx, env, dataDir)
	if err != nil {
		return nil, err
	}
	if _, _, err := RunJob(ctx, srv, "CreateImageCollection", url.Values{
		"imageCollection": {"Export"}, "inputRasters": {srcDir}}, 100*time.Millisecond); err != nil {
		srv.Stop()
		return nil, err
	}
	is := srv.URL + "/rest/services/Export/ImageServer"
	exportURL := func(s *subprocess.Server) string {
		return fmt.Sprintf("%s/rest/services/Export/ImageServer/exportImage?f=image&format=png&size=%d,%d&bboxSR=32633&imageSR=32633&bbox=%f,%f,%f,%f",
			s.URL, size, size, bbox[0], bbox[1], bbox[2], bbox[3])
	}
	order, err := northWestOrder(ctx, is)
	if err != nil {
		srv.Stop()
		return nil, err
	}
	if len(order) != n {
		srv.Stop()
		return nil, fmt.Errorf("export: the collection has %d items, want %d", len(order), n)
	}
	warp := filepath.Join(env.Work, "gdalwarp.tif")
	warpArgs := []string{"-q", "-overwrite", "-of", "GTiff", "-r", "near", "-t_srs", "EPSG:32633",
		"-te", ftoa(bbox[0]), ftoa(bbox[1]), ftoa(bbox[2]), ftoa(bbox[3]), "-ts", fmt.Sprint(size), fmt.Sprint(size)}
	warpArgs = append(append(warpArgs, order...), warp)
	runWarp := func() error {
		cmd := exec.CommandContext(ctx, "gdalwarp", warpArgs...)
		if out, err := cmd.CombinedOutput(); err != nil {
			return fmt.Errorf("gdalwarp: %v: %s", err, out)
		}
		return nil
	}
	hc := &http.Client{Timeout: 5 * time.Minute}
	runOurs := func(s *subprocess.Server) ([]byte, error) { return fetch(ctx, hc, exportURL(s)) }

	// Same pixels as gdalwarp, or the timing means nothing.
	ours, err := runOurs(srv)
	if err != nil {
		srv.Stop()
		return nil, err
	}
	if err := runWarp(); err != nil {
		srv.Stop()
		return nil, err
	}
	if err := samePixels(ctx, ours, warp, env.Work); err != nil {
		srv.Stop()
		return nil, err
	}
	env.Logf("exportImage and gdalwarp agree on every pixel of %d×%d over %d sources", size, size, n)

	warm, err := repeat(env, func(int) (float64, error) {
		return timeIt(time.Millisecond, func() error { _, err := runOurs(srv); return err })
	})
	if err != nil {
		srv.Stop()
		return nil, err
	}
	rss := srv.PeakRSS()
	srv.Stop()
	peer, err := repeat(env, func(int) (float64, error) { return timeIt(time.Millisecond, runWarp) })
	if err != nil {
		return nil, err
	}
	// Cold: the first request of a fresh process, with no dataset open.
	cold, err := repeat(env, func(int) (float64, error) {
		s, err := StartServer(ctx, env, dataDir)
		if err != nil {
			return 0, err
		}
		defer s.Stop()
		return timeIt(time.Millisecond, func() error { _, err := runOurs(s); return err })
	})
	if err != nil {
		return nil, err
	}
	name := fmt.Sprintf("exportImage %d×%d PNG over %d overlapping sources", size, size, n)
	peerName := "gdalwarp -r near, same sources and grid (GeoTIFF, new process)"
	return []Measurement{
		{Name: name + ", warm (datasets open)", Unit: "ms", Ours: warm, Peer: peerName, PeerS: peer,
			Target: "≤ 1.2× peer, better when warm", PeakRSS: rss, Note: "identical pixels checked"},
		{Name: name + ", cold (first request after start)", Unit: "ms", Ours: cold, Peer: peerName, PeerS: peer,
			Target: "≤ 1.2× peer"},
	}, nil
}

// exportSources writes n overlapping GeoTIFFs (once, into the cache): the
// demo tiles, 256×256 pixels of 10 m, moved with gdal_translate -a_ullr to
// deterministic offsets of up to ±1.2 km around (705000, 5205000), so every
// one of them overlaps the benchmark's 2 km request.
func exportSources(ctx context.Context, env *Env, n int) (string, error) {
	dir := filepath.Join(env.Cache, fmt.Sprintf("export-sources-v1-%d", n))
	if m, _ := filepath.Glob(filepath.Join(dir, "*.tif")); len(m) == n {
		return dir, nil
	}
	tiles, err := raster.WriteDemo(filepath.Join(env.Cache, "demo"), 24)
	if err != nil {
		return "", err
	}
	tmp := dir + ".tmp"
	os.RemoveAll(tmp)
	if err := os.MkdirAll(tmp, 0o755); err != nil {
		return "", err
	}
	for j := range n {
		h := mixBits(uint64(j) + 7)
		dx := float64(int(h%241)-120) * 10
		dy := float64(int((h>>16)%241)-120) * 10
		x0, y1 := 705000+dx-1280, 5205000+dy+1280
		out := filepath.Join(tmp, fmt.Sprintf("src_%02d.tif", j))
		cmd := exec.CommandContext(ctx, "gdal_translate", "-q", "-a_srs", "EPSG:32633",
			"-a_ullr", ftoa(x0), ftoa(y1), ftoa(x0+2560), ftoa(y1-2560), tiles[j%len(tiles)].Path, out)
		if b, err := cmd.CombinedOutput(); err != nil {
			return "", fmt.Errorf("gdal_translate: %v: %s", err, b)
		}
	}
	os.RemoveAll(dir)
	return dir, os.Rename(tmp, dir)
}

// northWestOrder returns the collection's source paths in the order
// exportImage draws them by default (esriMosaicNorthwest): the item whose
// centre is nearest the north-west corner of the service's extent on top,
// ties by OBJECTID; bottom first, as gdalwarp takes them.
func northWestOrder(ctx context.Context, is string) ([]string, error) {
	info, err := PostJSON(ctx, is, url.Values{})
	if err != nil {
		return nil, err
	}
	ext, _ := info["extent"].(map[string]any)
	nwx, _ := ext["xmin"].(float64)
	nwy, _ := ext["ymax"].(float64)
	page, err := PostJSON(ctx, is+"/query", url.Values{"where": {"1=1"}, "outFields": {"Path"}, "returnGeometry": {"true"}})
	if err != nil {
		return nil, err
	}
	type item struct {
		oid  float64
		path string
		d    float64
	}
	var items []item
	feats, _ := page["features"].([]any)
	for _, f := range feats {
		fm, _ := f.(map[string]any)
		attrs, _ := fm["attributes"].(map[string]any)
		geom, _ := fm["geometry"].(map[string]any)
		rings, _ := geom["rings"].([]any)
		minx, miny, maxx, maxy := math.Inf(1), math.Inf(1), math.Inf(-1), math.Inf(-1)
		for _, r := range rings {
			for _, p := range r.([]any) {
				xy := p.([]any)
				x, y := xy[0].(float64), xy[1].(float64)
				minx, miny, maxx, maxy = math.Min(minx, x), math.Min(miny, y), math.Max(maxx, x), math.Max(maxy, y)
			}
		}
		cx, cy := (minx+maxx)/2, (miny+maxy)/2
		oid, _ := attrs["OBJECTID"].(float64)
		path, _ := attrs["Path"].(string)
		items = append(items, item{oid, path, (cx-nwx)*(cx-nwx) + (cy-nwy)*(cy-nwy)})
	}
	sort.Slice(items, func(i, j int) bool {
		if items[i].d != items[j].d {
			return items[i].d > items[j].d // bottom first: farthest first
		}
		return items[i].oid > items[j].oid
	})
	out := make([]string, len(items))
	for i, it := range items {
		out[i] = it.path
	}
	return out, nil
}

// samePixels checks that the PNG from exportImage and gdalwarp's GeoTIFF
// have the same RGB values everywhere.
func samePixels(ctx context.Context, ours []byte, warped, work string) error {
	a, err := png.Decode(bytes.NewReader(ours))
	if err != nil {
		return fmt.Errorf("export: decode PNG: %w", err)
	}
	pngPath := filepath.Join(work, "gdalwarp.png")
	if b, err := exec.CommandContext(ctx, "gdal_translate", "-q", "-of", "PNG", warped, pngPath).CombinedOutput(); err != nil {
		return fmt.Errorf("gdal_translate: %v: %s", err, b)
	}
	f, err := os.Open(pngPath)
	if err != nil {
		return err
	}
	defer f.Close()
	b, err := png.Decode(f)
	if err != nil {
		return err
	}
	if a.Bounds() != b.Bounds() {
		return fmt.Errorf("export: %v pixels, gdalwarp %v", a.Bounds(), b.Bounds())
	}
	diff := 0
	for y := a.Bounds().Min.Y; y < a.Bounds().Max.Y; y++ {
		for x := a.Bounds().Min.X; x < a.Bounds().Max.X; x++ {
			if rgb(a, x, y) != rgb(b, x, y) {
				diff++
			}
		}
	}
	if diff > 0 {
		return fmt.Errorf("export: %d pixels differ from gdalwarp's", diff)
	}
	return nil
}

func rgb(img image.Image, x, y int) [3]uint32 {
	r, g, b, _ := img.At(x, y).RGBA()
	return [3]uint32{r, g, b}
}

func ftoa(f float64) string { return fmt.Sprint(f) }
