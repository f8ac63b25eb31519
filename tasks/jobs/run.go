package jobs

import (
	"context"
	"fmt"
	"net/url"
	"sync"
	"time"

	"github.com/tessera-gis/tessera/mosaic"
)

// Task is one geoprocessing task (package tasks has the tools).
type Task interface {
	// Info describes the task and its parameters.
	Info() mosaic.TaskInfo
	// Validate checks inputs (the task's input parameters as submitted)
	// when the job is submitted, so that bad input, a missing required
	// parameter included, is a synchronous error and never a queued job.
	// It must be cheap.
	Validate(ctx context.Context, tx mosaic.ReadTx, in map[string]string) error
	// Run does the work. It must commit its changes and its final state
	// together through Run.Finish, check ctx between items, and return an
	// error (nothing committed by Finish) to fail the job.
	Run(ctx context.Context, r *Run) error
}

// Run is one execution of a job, handed to Task.Run.
type Run struct {
	engine  *Engine
	job     *mosaic.Job
	cancel  context.CancelCauseFunc
	started time.Time

	mu       sync.Mutex
	progress *mosaic.JobProgress
	finished bool
	hooks    []func(*Engine) // to run once finished (AfterCommit)
}

// ID returns the job ID.
func (r *Run) ID() string { return r.job.ID }

// Job returns the job as it was when it started.
func (r *Run) Job() *mosaic.Job { return r.job }

// Inputs returns the job's inputs.
func (r *Run) Inputs() map[string]string { return r.job.Inputs }

// Store returns the store, for tasks that commit in several transactions.
func (r *Run) Store() mosaic.Store { return r.engine.store }

// Elapsed returns the time since the job started executing.
func (r *Run) Elapsed() time.Duration { return time.Since(r.started) }

// Progress reports progress. It never blocks on the store: clients read it
// from memory while the job runs in this process.
func (r *Run) Progress(percentage int, format string, args ...any) {
	r.mu.Lock()
	r.progress = &mosaic.JobProgress{Message: fmt.Sprintf(format, args...), Percentage: max(0, min(100, percentage))}
	r.mu.Unlock()
}

func (r *Run) progressSnapshot() *mosaic.JobProgress {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.progress == nil {
		return &mosaic.JobProgress{Message: "Executing", Percentage: 0}
	}
	p := *r.progress
	return &p
}

// Log appends messages in a transaction of their own. Do not call it inside
// a store transaction; use tx.AddJobMessages(r.ID(), …) there.
func (r *Run) Log(ctx context.Context, msgs ...mosaic.JobMessage) error {
	return r.engine.store.Update(ctx, func(tx mosaic.Tx) error { return tx.AddJobMessages(r.job.ID, msgs...) })
}

// Finish runs fn in a transaction, then marks the job succeeded with the
// results and messages fn returns, in the same transaction: the catalog
// change and the job's final state commit together or not at all. If the
// job was deleted meanwhile, nothing commits.
func (r *Run) Finish(ctx context.Context, fn func(tx mosaic.Tx) (map[string]mosaic.JobResult, []mosaic.JobMessage, error)) error {
	err := r.engine.store.Update(ctx, func(tx mosaic.Tx) error {
		results, msgs, err := fn(tx)
		if err != nil {
			return err
		}
		msgs = append(msgs, mosaic.Info(fmt.Sprintf("Succeeded at %s (Elapsed Time: %.2f seconds)",
			time.Now().UTC().Format(esriTime), r.Elapsed().Seconds())))
		ok, err := r.engine.finishJob(ctx, tx, r.job.ID, mosaic.JobSucceeded, results, msgs...)
		if err != nil {
			return err
		}
		if !ok {
			return mosaic.Errorf(mosaic.ECONFLICT, "Job %s finished elsewhere; nothing was committed.", r.job.ID)
		}
		return nil
	})
	if err != nil {
		return err
	}
	r.mu.Lock()
	r.finished = true
	hooks := r.hooks
	r.hooks = nil
	r.mu.Unlock()
	r.engine.signal(r.job.ID, mosaic.JobSucceeded, r.engine.cfg.Instance)
	for _, h := range hooks {
		h(r.engine)
	}
	return nil
}

// AfterCommit registers hook to run once the job's changes have committed
// with its success (Finish): at once if they have, else when they do, and
// never if they do not. Hooks run in the job's goroutine and must return
// quickly (start background work, such as Engine.RefreshBoundary).
func (r *Run) AfterCommit(hook func(e *Engine)) {
	r.mu.Lock()
	if !r.finished {
		r.hooks = append(r.hooks, hook)
		r.mu.Unlock()
		return
	}
	r.mu.Unlock()
	hook(r.engine)
}

// isFinished reports whether Finish committed.
func (r *Run) isFinished() bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.finished
}

// ServiceURL returns the public URL of a collection's ImageServer.
func (r *Run) ServiceURL(name string) string { return r.engine.ServiceURL(name) }

// ServiceURL returns the public URL of a collection's ImageServer.
func (e *Engine) ServiceURL(name string) string {
	return e.cfg.ServicesURL + "/" + url.PathEscape(name) + "/ImageServer"
}
