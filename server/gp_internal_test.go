package server

import (
	"testing"

	"github.com/tessera-gis/tessera/mosaic"
)

// TestJobViewLinks: as on ArcGIS, a job lists links to its inputs while
// it is queued or running and once it has succeeded (with its results
// then), and none after it failed, timed out or was cancelled.
func TestJobViewLinks(t *testing.T) {
	t.Parallel()
	task := mosaic.TaskInfo{Name: "DeleteImage", Params: []mosaic.ParamInfo{
		{Name: "where", Direction: mosaic.ParamInput},
		{Name: "result", Direction: mosaic.ParamOutput},
	}}
	for _, c := range []struct {
		state           mosaic.JobState
		inputs, results int
	}{
		{mosaic.JobSubmitted, 1, 0},
		{mosaic.JobExecuting, 1, 0},
		{mosaic.JobSucceeded, 1, 1},
		{mosaic.JobFailed, 0, 0},
		{mosaic.JobTimedOut, 0, 0},
		{mosaic.JobCancelled, 0, 0},
	} {
		j := &mosaic.Job{ID: "j1", Task: "DeleteImage", State: c.state, Inputs: map[string]string{"where": "1=1"},
			Results: map[string]mosaic.JobResult{"result": {DataType: "GPString", Value: []byte(`{}`)}}}
		v := jobView(j, task, true)
		if len(v.Inputs) != c.inputs || len(v.Results) != c.results || v.Inputs == nil {
			t.Errorf("%s: inputs %v, results %v", c.state, v.Inputs, v.Results)
		}
	}
}
