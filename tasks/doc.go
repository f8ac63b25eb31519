// Package tasks runs the geoprocessing tasks of the RasterAnalysisTools
// GPServer (CreateImageCollection, AddImage, DeleteImage,
// DeleteImageCollection, RestoreImage) as durable jobs.
//
// The Engine implements mosaic.JobService. Every state change of a job is a
// row in the store; the Queue (River, in package tasks/riverqueue) only
// decides when a job runs. A worker claims a job with a compare-and-set from
// submitted to executing, so a job never runs twice, and a task commits its
// catalog change and the job's final state in one transaction, so the
// status a client reads is always true, even after a crash.
package tasks
