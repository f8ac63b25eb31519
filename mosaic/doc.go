// Package mosaic is the domain core of tessera: image collections (mosaic
// datasets), their catalog items, the jobs that change them, and the service
// interfaces that the technology packages implement.
//
// It imports only the standard library and orb. Storage (the Store
// interface in store.go, made of named pieces) lives in mosaic/sqlite and
// mosaic/postgis, both checked by the contract suite in mosaic/storetest;
// GDAL in raster, the job engine in tasks and the Esri REST protocol in
// server; all of them depend on this package, never the reverse.
//
// Errors returned across package boundaries are *Error values carrying one of
// the codes EINVALID, ENOTFOUND, ECONFLICT, ECANCELED, EUNAUTHORIZED,
// EINVALIDTOKEN, EFORBIDDEN, ELIMIT or EINTERNAL. Only package server maps
// them to HTTP statuses and Esri error envelopes.
package mosaic
