package tasks

import (
	"context"
	"strings"

	"github.com/tessera-gis/tessera/raster"
)

// objectStoreSchemes would make GDAL read with the server's own cloud
// credentials; they are refused (register an https:// prefix instead).
var objectStoreSchemes = []string{"s3://", "gs://", "gcs://", "az://", "azure://", "/vsis3", "/vsigs", "/vsiaz", "/vsiadls", "/vsioss", "/vsiswift"}

// checkSources refuses, at submission, inputs that no data store could
// hold: every input when no store is registered, and object-store URLs.
// Whether a path lies in a store is checked when the job reads it, with
// the same message for a missing file and a forbidden one.
func checkSources(ctx context.Context, o *addOptions) error {
	if len(o.Sources) == 0 {
		return nil
	}
	if raster.StoresFrom(ctx).Empty() {
		return invalidParam("inputRasters", "no data store is registered, so the server reads no raster. "+
			"An administrator registers folders and URL prefixes with tessera serve --data-store")
	}
	for _, s := range o.Sources {
		lower := strings.ToLower(strings.TrimSpace(s))
		for _, p := range objectStoreSchemes {
			if strings.HasPrefix(lower, p) {
				return invalidParam("inputRasters", "s3://, gs:// and az:// inputs are not supported: GDAL would read them "+
					"with the server's own cloud credentials. Register an https:// URL prefix of the bucket with --data-store and use https:// URLs")
			}
		}
	}
	return nil
}
