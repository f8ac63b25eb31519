package jobs_test

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/tessera-gis/tessera/mosaic"
	"github.com/tessera-gis/tessera/mosaic/sqlite"
	"github.com/tessera-gis/tessera/tasks/jobs"
	"github.com/tessera-gis/tessera/tasks/riverqueue"
)

// TestTempFilesOfEndedJobs: at start, the engine removes the temporary
// files of jobs that ended (here, one that another process finished) and
// of jobs whose process died while they ran (failed at start), and keeps
// those of jobs it does not know, which may be another server's.
func TestTempFilesOfEndedJobs(t *testing.T) {
	ctx := context.Background()
	db, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "t.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	ended, died, unknown := mosaic.NewJobID(), mosaic.NewJobID(), mosaic.NewJobID()
	err = db.Update(ctx, func(tx mosaic.Tx) error {
		for _, id := range []string{ended, died} {
			if err := tx.CreateJob(&mosaic.Job{ID: id, Task: "Gate", State: mosaic.JobSubmitted, Priority: 2,
				Inputs: map[string]string{}, SubmittedAt: time.Now().UTC()}); err != nil {
				return err
			}
			if _, err := tx.TransitionJob(id, []mosaic.JobState{mosaic.JobSubmitted}, mosaic.JobExecuting); err != nil {
				return err
			}
		}
		_, err := tx.FinishJob(ended, mosaic.JobSucceeded, nil)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	files := map[string]string{}
	for _, id := range []string{ended, died, unknown} {
		f, err := jobs.CreateTemp(id, "stage-*.gob")
		if err != nil {
			t.Fatal(err)
		}
		f.Close()
		files[id] = f.Name()
		t.Cleanup(func() { os.Remove(f.Name()) })
	}
	q, err := riverqueue.NewSQLite(ctx, db.WriteDB(), riverqueue.Config{Workers: 1})
	if err != nil {
		t.Fatal(err)
	}
	e := jobs.New(db, q, jobs.Config{})
	if err := e.Start(ctx); err != nil {
		t.Fatal(err)
	}
	defer e.Stop(ctx)
	for id, want := range map[string]bool{ended: false, died: false, unknown: true} {
		_, err := os.Stat(files[id])
		if got := err == nil; got != want {
			t.Errorf("file of job %s kept: %v, want %v (%v)", id, got, want, err)
		}
	}
	j, err := e.Job(ctx, died)
	if err != nil || j.State != mosaic.JobFailed {
		t.Errorf("job of a dead process: %v %v", j, err)
	}
}
