package main

import (
	"context"
	"errors"
	"fmt"

	"github.com/paulmach/orb"

	"github.com/tessera-gis/tessera/mosaic"
	"github.com/tessera-gis/tessera/raster"
)

// gdal adapts package raster to the mosaic.Renderer, mosaic.Projector and
// mosaic.PixelReader interfaces that the server uses. Every read is
// limited to stores (raster.WithStores); the zero value reads nothing.
type gdal struct{ stores *raster.Stores }

var (
	_ mosaic.Renderer    = gdal{}
	_ mosaic.Projector   = gdal{}
	_ mosaic.PixelReader = gdal{}
)

// srsOf returns the raster.SRS of sr; one the server does not know is
// EINVALID.
func srsOf(sr mosaic.SpatialRef) (raster.SRS, error) {
	s, err := raster.LookupSRS(sr.WKID, sr.WKT)
	if err != nil {
		return s, &mosaic.Error{Code: mosaic.EINVALID, Message: "Unknown spatial reference.",
			Details: []string{"The spatial reference is not known to this server."}, Err: err}
	}
	return s, nil
}

func (gdal) Project(g orb.Geometry, from, to mosaic.SpatialRef) (orb.Geometry, error) {
	f, err := srsOf(from)
	if err != nil {
		return nil, err
	}
	t, err := srsOf(to)
	if err != nil {
		return nil, err
	}
	out, err := raster.Transform(g, f, t)
	if err != nil {
		return nil, &mosaic.Error{Code: mosaic.EINVALID, Message: "Cannot project the geometry.",
			Details: []string{"The geometry cannot be transformed between these spatial references."}, Err: err}
	}
	return out, nil
}

func (g gdal) Render(ctx context.Context, r mosaic.RenderRequest) (*mosaic.Image, error) {
	ctx = raster.WithStores(ctx, g.stores)
	s, err := srsOf(r.SRS)
	if err != nil {
		return nil, err
	}
	paths := make([]string, len(r.Sources))
	for i, src := range r.Sources {
		paths[i] = src.Path
	}
	img, err := raster.Render(ctx, raster.RenderRequest{
		Sources: paths, Bound: r.Bound, SRS: s, Width: r.Width, Height: r.Height, Format: r.Format,
		PixelType: r.PixelType, NoData: r.NoData, Resampling: r.Resampling, BandIDs: r.BandIDs,
		LercCodec: r.LercCodec, Tolerance: r.Tolerance,
	})
	if err != nil {
		if ctx.Err() != nil {
			return nil, &mosaic.Error{Code: mosaic.ECANCELED, Message: "The request was cancelled.", Err: err}
		}
		return nil, sourceError(err)
	}
	return &mosaic.Image{Data: img.Data, ContentType: img.ContentType, Extension: img.Extension}, nil
}

func sourcePaths(srcs []mosaic.RenderSource) []string {
	paths := make([]string, len(srcs))
	for i, src := range srcs {
		paths[i] = src.Path
	}
	return paths
}

// pixelError classifies an error of package raster's pixel functions.
func pixelError(ctx context.Context, err error) error {
	var (
		le *raster.LimitError
		ie *raster.InputError
	)
	switch {
	case ctx.Err() != nil:
		return &mosaic.Error{Code: mosaic.ECANCELED, Message: "The request was cancelled.", Err: err}
	case errors.As(err, &le) && le.What == "pixels":
		return &mosaic.Error{Code: mosaic.ELIMIT, Message: "The requested area holds too many pixels.",
			Details: []string{fmt.Sprintf("It holds %d pixels at this pixel size; the limit is %d. "+
				"Use a larger pixelSize or a smaller geometry.", le.Requested, le.Limit)}, Err: err}
	case errors.As(err, &le):
		return &mosaic.Error{Code: mosaic.ELIMIT, Message: "Too many sample locations.",
			Details: []string{fmt.Sprintf("The geometry gives %d sample locations; the limit is %d. "+
				"Use a larger sampleDistance, a smaller sampleCount or fewer points.", le.Requested, le.Limit)}, Err: err}
	case errors.As(err, &ie):
		return &mosaic.Error{Code: mosaic.EINVALID, Message: "Invalid parameters.", Details: []string{ie.Message}, Err: err}
	}
	return sourceError(err)
}

func (g gdal) Identify(ctx context.Context, r mosaic.IdentifyRequest) (*mosaic.IdentifyResult, error) {
	ctx = raster.WithStores(ctx, g.stores)
	s, err := srsOf(r.SRS)
	if err != nil {
		return nil, err
	}
	res, err := raster.Identify(ctx, raster.IdentifyRequest{Sources: sourcePaths(r.Sources), Geometry: r.Geometry,
		SRS: s, PixelSize: r.PixelSize, Origin: r.Origin, MaxPixels: r.MaxPixels})
	if err != nil {
		return nil, pixelError(ctx, err)
	}
	out := &mosaic.IdentifyResult{Location: res.Location, Values: res.Values, Items: make([]mosaic.ItemPixel, len(res.Items))}
	if res.Source >= 0 {
		out.OID = r.Sources[res.Source].OID
	}
	for i, it := range res.Items {
		out.Items[i] = mosaic.ItemPixel{OID: r.Sources[i].OID, Values: it.Values, Visibility: it.Visibility}
	}
	return out, nil
}

func (g gdal) Samples(ctx context.Context, r mosaic.SampleRequest) ([]mosaic.PixelSample, error) {
	ctx = raster.WithStores(ctx, g.stores)
	s, err := srsOf(r.SRS)
	if err != nil {
		return nil, err
	}
	res, err := raster.Samples(ctx, raster.SampleRequest{Sources: sourcePaths(r.Sources), Geometry: r.Geometry, SRS: s,
		SampleDistance: r.SampleDistance, SampleCount: r.SampleCount, AllValues: r.AllValues, MaxSamples: r.MaxSamples})
	if err != nil {
		return nil, pixelError(ctx, err)
	}
	out := make([]mosaic.PixelSample, len(res))
	for i, sm := range res {
		out[i] = mosaic.PixelSample{Location: sm.Location, LocationID: sm.LocationID, Values: sm.Values, Resolution: sm.Resolution}
		if sm.Source >= 0 {
			out[i].OID = r.Sources[sm.Source].OID
		}
	}
	return out, nil
}

func (g gdal) Statistics(ctx context.Context, r mosaic.StatsRequest) (*mosaic.StatsResult, error) {
	ctx = raster.WithStores(ctx, g.stores)
	s, err := srsOf(r.SRS)
	if err != nil {
		return nil, err
	}
	res, err := raster.ComputeStatistics(ctx, raster.StatsRequest{Sources: sourcePaths(r.Sources), Geometry: r.Geometry,
		SRS: s, PixelSize: r.PixelSize, Origin: r.Origin, MaxPixels: r.MaxPixels, Bins: r.Bins, Ranges: r.Ranges})
	if err != nil {
		return nil, pixelError(ctx, err)
	}
	out := &mosaic.StatsResult{Width: res.Width, Height: res.Height, Bands: make([]mosaic.BandSummary, len(res.Bands))}
	for i, b := range res.Bands {
		out.Bands[i] = mosaic.BandSummary{Count: b.Count, Min: b.Min, Max: b.Max, Sum: b.Sum, Mean: b.Mean,
			StdDev: b.StdDev, Median: b.Median, Mode: b.Mode,
			Histogram: mosaic.Histogram{Min: b.Histogram.Min, Max: b.Histogram.Max, Counts: b.Histogram.Counts}}
	}
	return out, nil
}

// sourceError maps a source that the data stores refuse (or that is
// missing: the two look alike) to a client error that names no file.
func sourceError(err error) error {
	if errors.Is(err, raster.ErrNotInStore) || errors.Is(err, raster.ErrForbiddenSource) || errors.Is(err, raster.ErrNoStores) {
		return &mosaic.Error{Code: mosaic.ENOTFOUND, Message: "A source raster cannot be read.",
			Details: []string{"A source raster of this request is not a readable file inside a registered data store."}, Err: err}
	}
	return err
}
