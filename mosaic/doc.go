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
// Domain rules that need no storage live here too: MosaicRule decides which
// items a mosaic draws and in which order, and ParseBool, ParseIDs and
// ParseDate read the values that clients send to more than one package, so
// that the HTTP parameters, GP task inputs and manifests read them alike.
//
// Errors returned across package boundaries are *Error values carrying one of
// the codes EINVALID, ENOTFOUND, ECONFLICT, ECANCELED, EUNAUTHORIZED,
// EINVALIDTOKEN, EFORBIDDEN, ELIMIT, EUNAVAILABLE or EINTERNAL. Only package server maps
// them to HTTP statuses and Esri error envelopes.
package mosaic
