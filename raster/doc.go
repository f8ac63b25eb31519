/*
Package raster is tessera's only door to GDAL: it reads source rasters,
reprojects geometries, renders mosaics and reads their pixel values. It takes
and returns Go values (paths, orb geometries, byte slices); no GDAL handle
leaves the package.

# Pixel values

Identify, Samples and ComputeStatistics read mosaics the way Render draws
them: sources bottom first, the last one with data seen. Identify and
Samples read each source's own pixel under a point, as gdallocationinfo does;
ComputeStatistics draws the mosaic on a grid (nearest neighbour, as
gdalwarp) and counts the cells whose centre lies in the area, as
gdal_rasterize burns them, with GDAL's default histogram bins. Work is
bounded: grids by MaxPixels, sample locations by MaxSamples, past which they
fail with a *LimitError; unusable parameters fail with an *InputError.

Render's raw formats carry values unchanged: lerc writes Lerc2 blobs through
Esri's LERC library (cgo, pkg-config Lerc), bsq and bip little-endian values
followed by a bit mask of valid pixels, as ArcGIS Server sends them.

# Sources are never written

Every source is opened read-only. GDAL's auxiliary-file machinery
(GDAL_PAM_ENABLED) is switched off for the whole process, statistics are
computed in Go memory, and overviews are never built, so no function creates,
modifies, moves or deletes anything at or next to a source path.

# GDAL configuration

On first use the package registers GDAL's drivers and sets, once for the
process:

  - GDAL_PAM_ENABLED=NO (forced): no .aux.xml files, ever.
  - GDAL_DISABLE_READDIR_ON_OPEN=EMPTY_DIR (forced): opening a file never
    lists its directory. Sidecars that matter (.ovr, .msk, world files) are
    found with a few stat calls on local paths instead.
  - for remote rasters (/vsicurl/), unless already set in the environment:
    GDAL_INGESTED_BYTES_AT_OPEN, GDAL_HTTP_MERGE_CONSECUTIVE_RANGES,
    GDAL_HTTP_MULTIPLEX, GDAL_HTTP_RETRY_DELAY, VSI_CACHE and
    CPL_VSIL_CURL_CHUNK_SIZE; GDAL_HTTP_CONNECTTIMEOUT (10 s),
    GDAL_HTTP_TIMEOUT (30 s), GDAL_HTTP_MAX_RETRY (2) and
    GDAL_HTTP_LOW_SPEED_TIME (15 s) are caps the environment may only lower.
  - GDAL_HTTP_PROXY and GDAL_HTTPS_PROXY point at the in-process proxy that
    enforces the data stores on every request (see proxy.go), and
    GDAL_VRT_ENABLE_PYTHON=NO.
  - every driver but an allow-list is deregistered (see keptDrivers).

# Data stores

Every function that opens a source reads only inside the data stores of its
context (NewStores, WithStores); a context without stores reads nothing.
See stores.go and vrt.go for the checks, docs/security.md for the rules.

GDAL warnings are not errors; failures are, and they are wrapped as
"raster: <verb> <object>: <GDAL message>".

# Concurrency

Every exported function is safe for concurrent use. GDAL 3.6 datasets are not
thread-safe, so Inspect opens and closes its own dataset, and Render and the
pixel readers check source datasets out of a bounded cache exclusively (see
SetDatasetCacheSize). GDAL calls cannot be interrupted: they check their
context between sources.

Spatial references are identified (and a GeoTIFF's built from its GeoKeys)
on one OS thread, the PROJ thread, one at a time: GDAL keeps a PROJ context
per thread, and a thread's first lookup in PROJ's database is slow. The
answers are cached, so the thread sees only what the caches do not know.
*/
package raster
