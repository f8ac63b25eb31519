// Package tasks holds the geoprocessing tools of the RasterAnalysisTools
// GPServer: CreateImageCollection, AddImage (ingest.go reads rasters,
// table.go reads manifests), DeleteImage, DeleteImageCollection and
// RestoreImage, with the parsing of their parameters (params.go).
//
// Each tool implements jobs.Task. The engine that runs them as durable
// jobs (queueing, claiming, cancelling, progress, several instances on one
// database) is package tasks/jobs; its River queue is package
// tasks/riverqueue.
package tasks
