package server_test

import (
	"context"
	"io"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/tessera-gis/tessera/mosaic"
	"github.com/tessera-gis/tessera/server"
)

// TestExportImageSizeCap: an exportImage or thumbnail whose width × height
// × bands × bytes per sample exceeds MaxImageBytes is refused with a 400
// naming the limit, before anything is drawn; ArcGIS's largest image of
// one byte band (and of three) still renders.
func TestExportImageSizeCap(t *testing.T) {
	t.Parallel()
	f := newImageFixture(t, server.Config{})
	box := "&bbox=" + bboxParam(0, 0, 200, 100)
	// The fixture's items have 3 U8 bands.
	tests := []struct {
		query string
		ok    bool
	}{
		{"size=15000,4100&format=png", true},                 // 3 × 61.5 M bytes = 176 MiB
		{"size=15000,4100&format=tiff&pixelType=U8", true},   // the same
		{"size=15000,4100&format=tiff&pixelType=F32", false}, // 704 MiB
		{"size=15000,4100&format=tiff&pixelType=F64", false}, // the 2.7 GB request of issue 11
		{"size=8000,4100&format=tiff&pixelType=F64", false},
		{"size=4000,4000&format=tiff&pixelType=F64", false}, // 366 MiB
		{"size=2000,2000&format=tiff&pixelType=F64", true},  // 92 MiB
		{"size=400,400&format=tiff&pixelType=C128", true},
	}
	for _, tt := range tests {
		n := len(f.render.reqs)
		body, ct := get(t, f.IS()+"/exportImage?f=image&"+tt.query+box)
		if tt.ok {
			if ct != "image/png" || len(f.render.reqs) != n+1 {
				t.Errorf("%s: %s %.200s, want an image", tt.query, ct, body)
			}
			continue
		}
		code, msg := esriError(t, body)
		if code != 400 || !strings.Contains(msg, "exceeds the size limit") || !strings.Contains(msg, "--max-image-bytes") ||
			!strings.Contains(msg, "limit is 256.0 MiB") {
			t.Errorf("%s: %d %q, want 400 naming the limit", tt.query, code, msg)
		}
		if len(f.render.reqs) != n {
			t.Errorf("%s: rendered although refused", tt.query)
		}
	}
	body, _ := get(t, f.IS()+"/exportImage?f=image&pixelType=F65"+box)
	if code, msg := esriError(t, body); code != 400 || !strings.Contains(msg, "pixelType") {
		t.Errorf("pixelType=F65: %d %q", code, msg)
	}

	// A server with a smaller cap applies it to thumbnails too.
	small := newImageFixture(t, server.Config{MaxImageBytes: 100 * 100 * 3})
	if _, ct := get(t, small.IS()+"/exportImage?f=image&size=100,100"+box); ct != "image/png" {
		t.Errorf("100×100 under a 30000-byte cap: %s", ct)
	}
	body, _ = get(t, small.IS()+"/exportImage?f=image&size=101,100"+box)
	if code, msg := esriError(t, body); code != 400 || !strings.Contains(msg, "101×100 pixels × 3 bands × 1 bytes per sample is 30300 bytes; the limit is 30000 bytes") {
		t.Errorf("101×100: %d %q", code, msg)
	}
	body, _ = get(t, small.IS()+"/1/thumbnail?f=json")
	if code, msg := esriError(t, body); code != 400 || !strings.Contains(msg, "exceeds the size limit") {
		t.Errorf("thumbnail: %d %q", code, msg)
	}
	info := getJSON(t, f.IS()+"?f=json")
	if info["maxImageWidth"] != 15000.0 || info["maxImageHeight"] != 4100.0 {
		t.Errorf("service info: maxImageWidth %v maxImageHeight %v", info["maxImageWidth"], info["maxImageHeight"])
	}
}

// gatedRenderer holds every render until released, counting how many are
// in flight and checking the budget's accounting as each starts.
type gatedRenderer struct {
	budget  func() *server.RenderBudget
	release chan struct{}

	mu            sync.Mutex
	running, peak int
	overBudget    []int64
}

func (g *gatedRenderer) Render(ctx context.Context, req mosaic.RenderRequest) (*mosaic.Image, error) {
	g.mu.Lock()
	g.running++
	g.peak = max(g.peak, g.running)
	if b := g.budget(); b.InUse() > b.Limit() {
		g.overBudget = append(g.overBudget, b.InUse())
	}
	g.mu.Unlock()
	defer func() {
		g.mu.Lock()
		g.running--
		g.mu.Unlock()
	}()
	select {
	case <-g.release:
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	return &mosaic.Image{Data: []byte("\x89PNG stub"), ContentType: "image/png", Extension: "png"}, nil
}

// fetch GETs u from another goroutine: it returns the body and content
// type, or the error as the body.
func fetch(u string) ([]byte, string) {
	resp, err := http.Get(u)
	if err != nil {
		return []byte(err.Error()), ""
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		return []byte(err.Error()), ""
	}
	return body, resp.Header.Get("Content-Type")
}

// waitFor polls cond until it holds, failing the test after 30 s.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(2 * time.Millisecond)
	}
}

// TestRenderBudget fires six large exportImages at once at a server whose
// render memory fits two of them: two render, four wait, and all six
// succeed as the first ones finish; the budget never holds more than its
// limit. With a short wait, a render that finds no room is refused as
// busy (429), never a 500.
func TestRenderBudget(t *testing.T) {
	t.Parallel()
	// 1000×1000 of 3 U8 bands as PNG costs 4 MB warped + 8 + 2 MB encoding.
	const cost = 14_000_000
	g := &gatedRenderer{release: make(chan struct{})}
	f := newImageFixture(t, server.Config{Renderer: g, RenderMemory: 2*cost + cost/2, RenderWait: time.Minute})
	g.budget = f.server.RenderBudget
	budget := f.server.RenderBudget()
	u := f.IS() + "/exportImage?f=image&format=png&size=1000,1000&bbox=" + bboxParam(0, 0, 200, 100)

	const n = 6
	type answer struct {
		ct   string
		body []byte
	}
	answers := make(chan answer, n)
	for range n {
		go func() {
			body, ct := fetch(u)
			answers <- answer{ct, body}
		}()
	}
	waitFor(t, "2 renders in flight and 4 waiting", func() bool { return budget.InFlight() == 2 && budget.Waiting() == n-2 })
	g.mu.Lock()
	if g.running != 2 {
		t.Errorf("%d renders running, want 2", g.running)
	}
	g.mu.Unlock()
	if budget.InUse() != 2*cost {
		t.Errorf("budget in use %d, want %d", budget.InUse(), 2*cost)
	}
	for i := range n {
		g.release <- struct{}{}
		a := <-answers
		if a.ct != "image/png" {
			t.Errorf("answer %d: %s %.200s", i, a.ct, a.body)
		}
	}
	g.mu.Lock()
	if g.peak != 2 || budget.PeakInFlight() != 2 || len(g.overBudget) > 0 {
		t.Errorf("peak %d renders (budget says %d), over budget %v; want 2", g.peak, budget.PeakInFlight(), g.overBudget)
	}
	g.mu.Unlock()
	if budget.InUse() != 0 || budget.InFlight() != 0 || budget.Waiting() != 0 {
		t.Errorf("after: in use %d, in flight %d, waiting %d", budget.InUse(), budget.InFlight(), budget.Waiting())
	}

	// A budget that fits one render, with a 50 ms wait: the second render
	// is refused as busy while the first holds the budget.
	g2 := &gatedRenderer{release: make(chan struct{})}
	busy := newImageFixture(t, server.Config{Renderer: g2, RenderMemory: cost, RenderWait: 50 * time.Millisecond})
	g2.budget = busy.server.RenderBudget
	u = busy.IS() + "/exportImage?f=image&format=png&size=1000,1000&bbox=" + bboxParam(0, 0, 200, 100)
	first := make(chan string, 1)
	go func() {
		_, ct := fetch(u)
		first <- ct
	}()
	waitFor(t, "the first render", func() bool { return busy.server.RenderBudget().InFlight() == 1 })
	for _, f := range []string{"image", "json"} {
		body, ct := get(t, strings.Replace(u, "f=image", "f="+f, 1))
		code, msg := esriError(t, body)
		if code != 429 || !strings.Contains(msg, "busy") || !strings.HasPrefix(ct, "application/json") {
			t.Errorf("f=%s while busy: %s %d %q, want 429 busy", f, ct, code, msg)
		}
	}
	if busy.server.RenderBudget().Refused() != 2 {
		t.Errorf("refused %d, want 2", busy.server.RenderBudget().Refused())
	}
	close(g2.release)
	if ct := <-first; ct != "image/png" {
		t.Errorf("first render: %s", ct)
	}
	// The html form of a busy answer is HTTP 429, not 500.
	hold := make(chan struct{})
	g3 := &gatedRenderer{release: hold}
	h := newImageFixture(t, server.Config{Renderer: g3, RenderMemory: cost, RenderWait: 20 * time.Millisecond})
	g3.budget = h.server.RenderBudget
	u = h.IS() + "/exportImage?f=image&format=png&size=1000,1000&bbox=" + bboxParam(0, 0, 200, 100)
	go fetch(u)
	waitFor(t, "the first render", func() bool { return h.server.RenderBudget().InFlight() == 1 })
	resp, err := http.Get(h.IS() + "/1/thumbnail?f=html")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	close(hold)
	if resp.StatusCode == http.StatusInternalServerError {
		t.Errorf("busy thumbnail: HTTP %d", resp.StatusCode)
	}
}

// nopPixels answers every pixel operation with nothing.
type nopPixels struct{}

func (nopPixels) Identify(context.Context, mosaic.IdentifyRequest) (*mosaic.IdentifyResult, error) {
	return &mosaic.IdentifyResult{}, nil
}
func (nopPixels) Samples(context.Context, mosaic.SampleRequest) ([]mosaic.PixelSample, error) {
	return nil, nil
}
func (nopPixels) Statistics(context.Context, mosaic.StatsRequest) (*mosaic.StatsResult, error) {
	return &mosaic.StatsResult{}, nil
}

// TestPixelOperationsShareTheBudget: reading an area's pixels
// (computeHistograms, identify of an area) takes room in the render
// budget, so while renders fill it they are refused as busy; identify of
// a point reads a pixel or two and always runs.
func TestPixelOperationsShareTheBudget(t *testing.T) {
	t.Parallel()
	hold := make(chan struct{})
	g := &gatedRenderer{release: hold}
	const cost = 14_000_000 // a 1000×1000 PNG of 3 U8 bands
	f := newImageFixture(t, server.Config{Renderer: g, Pixels: nopPixels{}, RenderMemory: cost, RenderWait: 20 * time.Millisecond})
	g.budget = f.server.RenderBudget
	area := url.QueryEscape(`{"xmin":600010,"ymin":5300010,"xmax":600090,"ymax":5300090}`)
	point := url.QueryEscape(`{"x":600010,"y":5300010}`)
	histograms := f.IS() + "/computeHistograms?f=json&geometryType=esriGeometryEnvelope&geometry=" + area
	identifyArea := f.IS() + "/identify?f=json&geometryType=esriGeometryEnvelope&geometry=" + area
	identifyPoint := f.IS() + "/identify?f=json&geometryType=esriGeometryPoint&geometry=" + point
	for _, u := range []string{histograms, identifyArea, identifyPoint} {
		if body, _ := fetch(u); strings.Contains(string(body), `"error"`) {
			t.Fatalf("%s with an idle budget: %s", u, body)
		}
	}
	go fetch(f.IS() + "/exportImage?f=image&format=png&size=1000,1000&bbox=" + bboxParam(0, 0, 200, 100))
	waitFor(t, "the render", func() bool { return f.server.RenderBudget().InFlight() == 1 })
	for _, u := range []string{histograms, identifyArea} {
		body, _ := fetch(u)
		if code, msg := esriError(t, body); code != 429 || !strings.Contains(msg, "busy") {
			t.Errorf("%s while the budget is full: %d %q", u, code, msg)
		}
	}
	if body, _ := fetch(identifyPoint); strings.Contains(string(body), `"error"`) {
		t.Errorf("identify of a point while the budget is full: %s", body)
	}
	close(hold)
}
