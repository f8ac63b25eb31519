package main

import (
	"context"

	"github.com/paulmach/orb"

	"github.com/tessera-gis/tessera/mosaic"
	"github.com/tessera-gis/tessera/raster"
)

// gdal adapts package raster to the mosaic.Renderer and mosaic.Projector
// interfaces that the server uses.
type gdal struct{}

var (
	_ mosaic.Renderer  = gdal{}
	_ mosaic.Projector = gdal{}
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

func (gdal) Render(ctx context.Context, r mosaic.RenderRequest) (*mosaic.Image, error) {
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
	})
	if err != nil {
		if ctx.Err() != nil {
			return nil, &mosaic.Error{Code: mosaic.ECANCELED, Message: "The request was cancelled.", Err: err}
		}
		return nil, err
	}
	return &mosaic.Image{Data: img.Data, ContentType: img.ContentType, Extension: img.Extension}, nil
}
