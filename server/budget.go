package server

import (
	"context"
	"errors"
	"fmt"
	"math"
	"strings"
	"sync/atomic"
	"time"

	"github.com/paulmach/orb"
	"golang.org/x/sync/semaphore"

	"github.com/tessera-gis/tessera/mosaic"
)

// Render limits. A render holds its whole image in memory, several times
// over (the warped bands with an alpha band, then the bands it encodes,
// then the encoded file), so two limits bound what renders cost:
//
//   - MaxImageBytes caps one request: width × height × bands × bytes per
//     sample, where bands are the bands the render warps (every band of
//     the sources, whatever bandIds selects) and the sample size is that
//     of pixelType or else of the widest source. A larger request is
//     refused at once (400), whatever the server's load.
//   - RenderBudget bounds the estimated memory (renderCost) of every
//     render in flight. A render that does not fit waits for others to
//     finish, at most RenderWait and never past its request's end, then
//     is refused as busy (429) rather than pile up.
const (
	DefaultMaxImageBytes = 256 << 20
	DefaultRenderMemory  = 1 << 30
	DefaultRenderWait    = 10 * time.Second
)

// RenderBudget is a server-wide budget of render memory: a weighted
// semaphore over the estimated bytes of the renders in flight. Its
// counters are safe to read at any time, for metrics.
type RenderBudget struct {
	sem   *semaphore.Weighted
	limit int64
	wait  time.Duration

	inUse    atomic.Int64 // estimated bytes held by renders in flight
	inFlight atomic.Int64 // renders in flight
	peak     atomic.Int64 // most renders in flight at once
	refused  atomic.Int64 // renders refused as busy
	waiting  atomic.Int64 // renders waiting for room
}

// NewRenderBudget returns a budget of limit bytes (DefaultRenderMemory if
// limit ≤ 0); a render waits at most wait (DefaultRenderWait if ≤ 0) for
// room.
func NewRenderBudget(limit int64, wait time.Duration) *RenderBudget {
	if limit <= 0 {
		limit = DefaultRenderMemory
	}
	if wait <= 0 {
		wait = DefaultRenderWait
	}
	return &RenderBudget{sem: semaphore.NewWeighted(limit), limit: limit, wait: wait}
}

// Limit returns the budget in bytes.
func (b *RenderBudget) Limit() int64 { return b.limit }

// InUse returns the estimated bytes that renders in flight hold.
func (b *RenderBudget) InUse() int64 { return b.inUse.Load() }

// InFlight returns the number of renders in flight.
func (b *RenderBudget) InFlight() int64 { return b.inFlight.Load() }

// PeakInFlight returns the largest number of renders that were in flight
// at once.
func (b *RenderBudget) PeakInFlight() int64 { return b.peak.Load() }

// Waiting returns the number of renders waiting for room.
func (b *RenderBudget) Waiting() int64 { return b.waiting.Load() }

// Refused returns the number of renders refused because the budget stayed
// full.
func (b *RenderBudget) Refused() int64 { return b.refused.Load() }

// errBusy is the answer to a render that found no room in the budget.
var errBusy = &mosaic.Error{Code: mosaic.ELIMIT, Message: "The server is busy rendering other images.",
	Details: []string{"Too many large images are being drawn at once; try again shortly, or ask for a smaller image."}}

// Acquire reserves n bytes (at most the whole budget, so that any render
// allowed by MaxImageBytes can run alone), waiting while the budget is
// full, at most the budget's wait and never past ctx. It returns the
// function that gives the bytes back. A render that cannot get room fails
// with ELIMIT ("busy"), or ECANCELED if ctx ended.
func (b *RenderBudget) Acquire(ctx context.Context, n int64) (release func(), err error) {
	n = max(1, min(n, b.limit))
	if !b.sem.TryAcquire(n) {
		wctx, cancel := context.WithTimeout(ctx, b.wait)
		defer cancel()
		b.waiting.Add(1)
		err := b.sem.Acquire(wctx, n)
		b.waiting.Add(-1)
		if err != nil {
			if ctx.Err() != nil {
				return nil, &mosaic.Error{Code: mosaic.ECANCELED, Message: "The request was cancelled.", Err: ctx.Err()}
			}
			b.refused.Add(1)
			return nil, errBusy
		}
	}
	b.inUse.Add(n)
	for cur := b.inFlight.Add(1); ; {
		p := b.peak.Load()
		if cur <= p || b.peak.CompareAndSwap(p, cur) {
			break
		}
	}
	var done atomic.Bool
	return func() {
		if done.CompareAndSwap(false, true) {
			b.inFlight.Add(-1)
			b.inUse.Add(-n)
			b.sem.Release(n)
		}
	}, nil
}

// RenderBudget returns the server's render budget, for metrics.
func (s *Server) RenderBudget() *RenderBudget { return s.budget }

// sampleBytes is the size in bytes of one sample of each Esri pixel type,
// as package raster renders it (S8 as Int16; U1–U4 as bytes).
var sampleBytes = map[string]int64{
	"U1": 1, "U2": 1, "U4": 1, "U8": 1, "S8": 2, "U16": 2, "S16": 2,
	"U32": 4, "S32": 4, "F32": 4, "F64": 8, "C64": 8, "C128": 16,
}

// renderShape returns the bands a render warps and the bytes of each of
// their samples: every band of the widest source (the blank image of no
// sources has three, or as many as bandIds names), in pixelType or else
// the widest source type.
func renderShape(r mosaic.RenderRequest) (bands, sample int64) {
	for _, src := range r.Sources {
		bands = max(bands, int64(src.Raster.Bands))
		sample = max(sample, sampleBytes[src.Raster.PixelType])
	}
	if len(r.Sources) == 0 {
		bands = 3
		for _, id := range r.BandIDs {
			bands = max(bands, int64(id)+1)
		}
	}
	if bands <= 0 {
		bands = 3 // not recorded: assume an RGB source
	}
	if sample <= 0 {
		sample = 1
	}
	if n, ok := sampleBytes[r.PixelType]; ok {
		sample = n
	}
	return bands, sample
}

// imageBytes is what MaxImageBytes caps: width × height × bands × bytes
// per sample.
func imageBytes(r mosaic.RenderRequest) int64 {
	bands, sample := renderShape(r)
	return int64(r.Width) * int64(r.Height) * bands * sample
}

// renderCost estimates the peak memory of a render (package raster's):
// the warped bands and their alpha band, then what encoding adds. PNG and
// JPEG read the output bands and the alpha band as byte planes (values of
// other types pass through float64 to be stretched), copy them into a
// GDAL dataset and encode that, the file taken at a quarter of the planes
// and held twice (GDAL's and ours). TIFF and the raw formats encode the
// output bands as they are, in a file also held twice.
func renderCost(r mosaic.RenderRequest) int64 {
	bands, sample := renderShape(r)
	px := int64(r.Width) * int64(r.Height)
	format := strings.ToLower(r.Format)
	raw := format == "lerc" || format == "bip" || format == "bsq"
	out := int64(len(r.BandIDs))
	switch {
	case out > 0:
	case raw:
		out = bands // raw formats carry every band
	default:
		out = min(bands, 3)
	}
	warped := px * (bands + 1) * sample
	var encode int64
	switch {
	case raw || format == "tiff" || format == "tif":
		encode = 2 * px * out * sample
	default:
		planes := out + 1
		encode = 2*px*planes + px*planes/2
		if sample > 1 {
			encode += px * out * 8
		}
	}
	return warped + encode
}

// checkImageSize refuses a render larger than MaxImageBytes.
func (s *Server) checkImageSize(r mosaic.RenderRequest) error {
	n := imageBytes(r)
	if n <= s.cfg.MaxImageBytes {
		return nil
	}
	bands, sample := renderShape(r)
	return mosaic.Errorf(mosaic.EINVALID, "Requested image exceeds the size limit.").WithDetails(fmt.Sprintf(
		"%d×%d pixels × %d bands × %d bytes per sample is %s; the limit is %s (--max-image-bytes). "+
			"Ask for fewer pixels, or a smaller pixelType.", r.Width, r.Height, bands, sample, mib(n), mib(s.cfg.MaxImageBytes)))
}

// render draws r within the image size limit and the render budget.
func (s *Server) render(ctx context.Context, r mosaic.RenderRequest) (*mosaic.Image, error) {
	if err := s.checkImageSize(r); err != nil {
		return nil, err
	}
	release, err := s.budget.Acquire(ctx, renderCost(r))
	if err != nil {
		return nil, err
	}
	defer release()
	img, err := s.cfg.Renderer.Render(ctx, r)
	if err != nil && ctx.Err() != nil && !errors.As(err, new(*mosaic.Error)) {
		return nil, &mosaic.Error{Code: mosaic.ECANCELED, Message: "The request was cancelled.", Err: err}
	}
	return img, err
}

// pixelGrid is the largest grid a pixel operation reads an area on
// (package raster's DefaultMaxPixels, 2048×2048).
const pixelGrid = 2048 * 2048

// holdPixels reserves, in the render budget, what reading the pixels of
// area (in cells of size cell) may take: its grid (at most pixelGrid
// cells), every band of the widest source and a validity mask, as 8-byte
// values, twice (the mosaic and the source being read into it).
// Statistics and identify over an area call it.
func (s *Server) holdPixels(ctx context.Context, sources []mosaic.RenderSource, area orb.Bound, cell float64) (func(), error) {
	bands, _ := renderShape(mosaic.RenderRequest{Sources: sources})
	grid := float64(pixelGrid)
	if cell > 0 {
		grid = min(grid, (math.Ceil((area.Max[0]-area.Min[0])/cell)+1)*(math.Ceil((area.Max[1]-area.Min[1])/cell)+1))
	}
	if !(grid >= 1) {
		grid = pixelGrid
	}
	return s.budget.Acquire(ctx, 2*int64(grid)*(bands+1)*8)
}

// mib formats a byte count in MiB (or bytes, below 1 MiB).
func mib(n int64) string {
	if n < 1<<20 {
		return fmt.Sprintf("%d bytes", n)
	}
	return fmt.Sprintf("%.1f MiB", float64(n)/(1<<20))
}
