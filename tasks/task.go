package tasks

import (
	"github.com/tessera-gis/tessera/mosaic"
	"github.com/tessera-gis/tessera/tasks/jobs"
)

// Run is what the engine hands a tool's Run method: the job, its progress
// and messages, and Finish, which commits the tool's changes with the job's
// success.
type Run = jobs.Run

// The tools are jobs.Tasks.
var (
	_ jobs.Task = AddImage{}
	_ jobs.Task = CreateImageCollection{}
	_ jobs.Task = DeleteImage{}
	_ jobs.Task = DeleteImageCollection{}
	_ jobs.Task = RestoreImage{}
)

// required returns a tool's inputs, or an error naming the first required
// parameter missing from them.
func required(t interface{ Info() mosaic.TaskInfo }, params map[string]string) (Inputs, error) {
	in := Inputs(params)
	if err := checkRequired(t.Info(), in); err != nil {
		return nil, err
	}
	return in, nil
}

// refreshBoundary is a hook (Run.AfterCommit) that brings collection
// name's stored boundary up to date in the background.
func refreshBoundary(name string) func(*jobs.Engine) {
	return func(e *jobs.Engine) { e.RefreshBoundary(name) }
}
