package sqlite_test

import (
	"context"
	"fmt"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/tessera-gis/tessera/mosaic"
	"github.com/tessera-gis/tessera/mosaic/sqlite"
)

// TestRecentJobs lists jobs newest first with filters and each job's last
// messages.
func TestRecentJobs(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "t.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	t0 := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	jobs := []*mosaic.Job{
		{ID: "j1", Task: "AddImage", State: mosaic.JobSucceeded, Owner: "alice", SubmittedAt: t0},
		{ID: "j2", Task: "DeleteImage", State: mosaic.JobFailed, Owner: "bob", SubmittedAt: t0.Add(time.Minute)},
		{ID: "j3", Task: "DeleteImage", State: mosaic.JobSubmitted, Owner: "alice", SubmittedAt: t0.Add(2 * time.Minute)},
		{ID: "j4", Task: "RestoreImage", State: mosaic.JobExecuting, Owner: "anonymous", SubmittedAt: t0.Add(3 * time.Minute)},
	}
	err = db.Update(ctx, func(tx mosaic.Tx) error {
		for _, j := range jobs {
			if err := tx.CreateJob(j); err != nil {
				return err
			}
		}
		for i := range 5 {
			if err := tx.AddJobMessages("j2", mosaic.Info(fmt.Sprintf("step %d", i))); err != nil {
				return err
			}
		}
		return tx.AddJobMessages("j2", mosaic.ErrorMsg("it broke"))
	})
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name string
		f    mosaic.JobFilter
		want []string
	}{
		{"all, newest first", mosaic.JobFilter{}, []string{"j4", "j3", "j2", "j1"}},
		{"limit", mosaic.JobFilter{Limit: 2}, []string{"j4", "j3"}},
		{"task, any case", mosaic.JobFilter{Task: "deleteimage"}, []string{"j3", "j2"}},
		{"owner", mosaic.JobFilter{Owner: "alice"}, []string{"j3", "j1"}},
		{"states", mosaic.JobFilter{States: []mosaic.JobState{mosaic.JobExecuting, mosaic.JobFailed}}, []string{"j4", "j2"}},
		{"since", mosaic.JobFilter{Since: t0.Add(90 * time.Second)}, []string{"j4", "j3"}},
		{"nothing", mosaic.JobFilter{Owner: "carol"}, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var got []*mosaic.Job
			if err := db.View(ctx, func(tx mosaic.ReadTx) (err error) {
				got, err = tx.RecentJobs(tc.f)
				return err
			}); err != nil {
				t.Fatal(err)
			}
			var ids []string
			for _, j := range got {
				ids = append(ids, j.ID)
				if len(j.Messages) != 0 {
					t.Errorf("%s has messages without asking: %v", j.ID, j.Messages)
				}
			}
			if !slices.Equal(ids, tc.want) {
				t.Errorf("got %v, want %v", ids, tc.want)
			}
		})
	}

	var got []*mosaic.Job
	if err := db.View(ctx, func(tx mosaic.ReadTx) (err error) {
		got, err = tx.RecentJobs(mosaic.JobFilter{Owner: "bob", Messages: 2})
		return err
	}); err != nil {
		t.Fatal(err)
	}
	if len(got) != 1 {
		t.Fatalf("got %d jobs", len(got))
	}
	want := []mosaic.JobMessage{mosaic.Info("step 4"), mosaic.ErrorMsg("it broke")}
	if !slices.Equal(got[0].Messages, want) {
		t.Errorf("messages = %v, want %v", got[0].Messages, want)
	}
	if got[0].Task != "DeleteImage" || got[0].State != mosaic.JobFailed || !got[0].SubmittedAt.Equal(t0.Add(time.Minute)) {
		t.Errorf("job = %+v", got[0])
	}
}
