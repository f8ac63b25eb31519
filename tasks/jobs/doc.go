// Package jobs is the job engine behind the RasterAnalysisTools GPServer:
// it runs geoprocessing tasks (package tasks has them) as durable jobs and
// implements mosaic.JobService.
//
// Every state change of a job is a row in the store; the Queue (River, in
// package tasks/riverqueue) only decides when and where a job runs. A
// worker claims a job with a compare-and-set from submitted to executing,
// so a job never runs twice, and a task commits its catalog change and the
// job's final state in one transaction (Run.Finish), so the status a
// client reads is always true, even after a crash.
//
// Where to look:
//   - engine.go: Engine, Config; submit, execute, cancel, delete, and work,
//     which claims and runs one job;
//   - run.go: Task, the interface a geoprocessing tool implements, and Run,
//     what a task is handed (progress, messages, Finish, AfterCommit hooks);
//   - queue.go: Queue and the optional interfaces a queue may implement
//     (Committer, Notifier, OwnerLocker);
//   - signal.go: how waiters and running jobs learn that a job ended or is
//     cancelled: one "done" signal per job, carried between instances by
//     the Notifier (PostgreSQL LISTEN/NOTIFY), with a slow safety-net read;
//   - cluster.go: several instances on one store: heartbeats, failing the
//     jobs of a dead instance, queueing again what its queue lost;
//   - boundary.go: background boundary refreshes after catalog changes;
//   - temp.go: temporary files of running jobs, and their cleanup.
package jobs
