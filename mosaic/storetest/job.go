package storetest

import (
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/tessera-gis/tessera/mosaic"
)

var jobTests = []test{
	{"CreateAndRead", testJobCreate},
	{"Transitions", testJobTransitions},
	{"Finish", testJobFinish},
	{"MessagesAndProgress", testJobMessages},
	{"Active", testActiveJobs},
	{"Recent", testRecentJobs},
	{"Delete", testDeleteJob},
	{"Expire", testExpireJobs},
}

func (b *bundle) job(t *testing.T, id string) *mosaic.Job {
	t.Helper()
	var j *mosaic.Job
	b.view(t, func(tx mosaic.ReadTx) (err error) {
		j, err = tx.Job(id)
		return err
	})
	return j
}

func (b *bundle) jobErr(id string) error {
	return b.db.View(b.ctx, func(tx mosaic.ReadTx) error {
		_, err := tx.Job(id)
		return err
	})
}

func newJob(id string, state mosaic.JobState) *mosaic.Job {
	return &mosaic.Job{ID: id, Task: "DeleteImage", State: state, Priority: 2, Owner: "ann",
		Inputs: map[string]string{"imageCollection": "Test", "where": "OBJECTID > 1"}}
}

func (b *bundle) createJob(t *testing.T, j *mosaic.Job) {
	t.Helper()
	b.update(t, func(tx mosaic.Tx) error { return tx.CreateJob(j) })
}

func (b *bundle) transition(t *testing.T, id string, from []mosaic.JobState, to mosaic.JobState) bool {
	t.Helper()
	var ok bool
	b.update(t, func(tx mosaic.Tx) (err error) {
		ok, err = tx.TransitionJob(id, from, to)
		return err
	})
	return ok
}

func testJobCreate(t *testing.T, open Opener) {
	b := &bundle{ctx: t.Context(), db: open(t)}
	j := newJob("j1", mosaic.JobSubmitted)
	j.Messages = []mosaic.JobMessage{mosaic.Info("Submitted."), mosaic.Warning("Odd.")}
	before := time.Now().Add(-time.Second)
	b.createJob(t, j)
	if j.SubmittedAt.Before(before) || time.Since(j.SubmittedAt) > time.Minute {
		t.Errorf("SubmittedAt = %v", j.SubmittedAt)
	}
	got := b.job(t, "j1")
	if got.ID != "j1" || got.Task != j.Task || got.State != mosaic.JobSubmitted || got.Priority != 2 || got.Owner != "ann" ||
		!maps.Equal(got.Inputs, j.Inputs) || len(got.Results) != 0 || got.Progress != nil {
		t.Errorf("job = %+v, want %+v", got, j)
	}
	if !slices.Equal(got.Messages, j.Messages) {
		t.Errorf("messages = %v, want %v", got.Messages, j.Messages)
	}
	if !got.SubmittedAt.Equal(j.SubmittedAt.Truncate(time.Millisecond)) && !got.SubmittedAt.Equal(j.SubmittedAt) {
		t.Errorf("SubmittedAt read back as %v, want %v", got.SubmittedAt, j.SubmittedAt)
	}
	if !got.StartedAt.IsZero() || !got.FinishedAt.IsZero() {
		t.Errorf("a submitted job has started %v, finished %v", got.StartedAt, got.FinishedAt)
	}
	// A given submission time is kept; a job created terminal is finished.
	at := time.Date(2024, 5, 6, 7, 8, 9, 0, time.UTC)
	failed := &mosaic.Job{ID: "j2", Task: "AddImage", State: mosaic.JobFailed, SubmittedAt: at, Priority: 1,
		Messages: []mosaic.JobMessage{mosaic.ErrorMsg("Bad input.")}}
	b.createJob(t, failed)
	got = b.job(t, "j2")
	if !got.SubmittedAt.Equal(at) || !got.FinishedAt.Equal(at) || got.State != mosaic.JobFailed || got.Owner != "" {
		t.Errorf("terminal job = %+v", got)
	}
	err := b.jobErr("nope")
	wantCode(t, "unknown job", err, mosaic.ENOTFOUND)
	err = b.db.Update(b.ctx, func(tx mosaic.Tx) error { return tx.CreateJob(newJob("j1", mosaic.JobNew)) })
	if err == nil {
		t.Error("a second job with the same ID was created")
	}
	err = b.db.Update(b.ctx, func(tx mosaic.Tx) error { return tx.CreateJob(newJob("j3", "bogus")) })
	if err == nil {
		t.Error("a job in an unknown state was created")
	}
}

func testJobTransitions(t *testing.T, open Opener) {
	b := &bundle{ctx: t.Context(), db: open(t)}
	b.createJob(t, newJob("j1", mosaic.JobNew))
	if b.transition(t, "j1", []mosaic.JobState{mosaic.JobSubmitted}, mosaic.JobExecuting) {
		t.Error("moved from a state the job is not in")
	}
	if b.transition(t, "nope", []mosaic.JobState{mosaic.JobNew}, mosaic.JobSubmitted) {
		t.Error("moved an unknown job")
	}
	if b.transition(t, "j1", nil, mosaic.JobSubmitted) {
		t.Error("moved from no states")
	}
	if !b.transition(t, "j1", []mosaic.JobState{mosaic.JobNew, mosaic.JobWaiting}, mosaic.JobSubmitted) {
		t.Fatal("new → submitted refused")
	}
	if !b.transition(t, "j1", []mosaic.JobState{mosaic.JobSubmitted}, mosaic.JobExecuting) {
		t.Fatal("submitted → executing refused")
	}
	j := b.job(t, "j1")
	if j.State != mosaic.JobExecuting || j.StartedAt.IsZero() || !j.FinishedAt.IsZero() {
		t.Errorf("executing job = %+v", j)
	}
	b.update(t, func(tx mosaic.Tx) error {
		return tx.SetJobProgress("j1", &mosaic.JobProgress{Message: "half", Percentage: 50})
	})
	if !b.transition(t, "j1", []mosaic.JobState{mosaic.JobExecuting}, mosaic.JobCancelling) {
		t.Fatal("executing → cancelling refused")
	}
	j2 := b.job(t, "j1")
	if j2.Progress != nil {
		t.Errorf("a transition kept the progress %+v", j2.Progress)
	}
	if !j2.StartedAt.Equal(j.StartedAt) {
		t.Errorf("StartedAt moved from %v to %v", j.StartedAt, j2.StartedAt)
	}
	if !b.transition(t, "j1", []mosaic.JobState{mosaic.JobCancelling}, mosaic.JobCancelled) {
		t.Fatal("cancelling → cancelled refused")
	}
	if j := b.job(t, "j1"); j.State != mosaic.JobCancelled || j.FinishedAt.IsZero() {
		t.Errorf("cancelled job = %+v", j)
	}
}

func testJobFinish(t *testing.T, open Opener) {
	b := &bundle{ctx: t.Context(), db: open(t)}
	b.createJob(t, newJob("j1", mosaic.JobExecuting))
	results := map[string]mosaic.JobResult{"result": {DataType: "GPString", Value: json.RawMessage(`{"url":"http://x/ImageServer"}`)}}
	var ok bool
	b.update(t, func(tx mosaic.Tx) (err error) {
		ok, err = tx.FinishJob("j1", mosaic.JobSucceeded, results, mosaic.Info("Deleted 3 items."), mosaic.Info("Done."))
		return err
	})
	if !ok {
		t.Fatal("FinishJob refused an executing job")
	}
	j := b.job(t, "j1")
	if j.State != mosaic.JobSucceeded || j.FinishedAt.IsZero() || len(j.Results) != 1 ||
		string(j.Results["result"].Value) != `{"url":"http://x/ImageServer"}` || j.Results["result"].DataType != "GPString" {
		t.Errorf("finished job = %+v", j)
	}
	if want := []mosaic.JobMessage{mosaic.Info("Deleted 3 items."), mosaic.Info("Done.")}; !slices.Equal(j.Messages, want) {
		t.Errorf("messages = %v, want %v", j.Messages, want)
	}
	b.update(t, func(tx mosaic.Tx) (err error) {
		ok, err = tx.FinishJob("j1", mosaic.JobFailed, nil, mosaic.ErrorMsg("late"))
		return err
	})
	if ok {
		t.Error("FinishJob changed a finished job")
	}
	if j2 := b.job(t, "j1"); j2.State != mosaic.JobSucceeded || len(j2.Messages) != 2 || !j2.FinishedAt.Equal(j.FinishedAt) {
		t.Errorf("after a late finish: %+v", j2)
	}
	err := b.db.Update(b.ctx, func(tx mosaic.Tx) error {
		_, err := tx.FinishJob("j1", mosaic.JobExecuting, nil)
		return err
	})
	if err == nil {
		t.Error("FinishJob accepted a state that is not terminal")
	}
	// A finished job cannot be moved on either.
	if b.transition(t, "j1", []mosaic.JobState{mosaic.JobExecuting}, mosaic.JobCancelling) {
		t.Error("a finished job was moved")
	}
}

func testJobMessages(t *testing.T, open Opener) {
	b := &bundle{ctx: t.Context(), db: open(t)}
	b.createJob(t, &mosaic.Job{ID: "j1", Task: "AddImage", State: mosaic.JobExecuting, Messages: []mosaic.JobMessage{mosaic.Info("one")}})
	b.createJob(t, &mosaic.Job{ID: "j2", Task: "AddImage", State: mosaic.JobExecuting})
	for i, m := range []string{"two", "three", "four"} {
		b.update(t, func(tx mosaic.Tx) error {
			if err := tx.AddJobMessages("j2", mosaic.Info("other "+m)); err != nil {
				return err
			}
			if i == 1 {
				return tx.AddJobMessages("j1", mosaic.Warning(m), mosaic.Info(m+"+"))
			}
			return tx.AddJobMessages("j1", mosaic.Info(m))
		})
	}
	b.update(t, func(tx mosaic.Tx) error { return tx.AddJobMessages("j1") })
	want := []mosaic.JobMessage{mosaic.Info("one"), mosaic.Info("two"), mosaic.Warning("three"), mosaic.Info("three+"), mosaic.Info("four")}
	if got := b.job(t, "j1").Messages; !slices.Equal(got, want) {
		t.Errorf("messages = %v, want %v", got, want)
	}
	if got := b.job(t, "j2").Messages; len(got) != 3 || !strings.HasPrefix(got[0].Description, "other") {
		t.Errorf("j2's messages = %v", got)
	}
	p := &mosaic.JobProgress{Message: "Adding rasters", Percentage: 42}
	b.update(t, func(tx mosaic.Tx) error { return tx.SetJobProgress("j1", p) })
	if got := b.job(t, "j1").Progress; got == nil || *got != *p {
		t.Errorf("progress = %+v, want %+v", got, p)
	}
	b.update(t, func(tx mosaic.Tx) error { return tx.SetJobProgress("j1", nil) })
	if got := b.job(t, "j1").Progress; got != nil {
		t.Errorf("cleared progress = %+v", got)
	}
	b.update(t, func(tx mosaic.Tx) error {
		_, err := tx.FinishJob("j1", mosaic.JobSucceeded, nil)
		return err
	})
	b.update(t, func(tx mosaic.Tx) error { return tx.SetJobProgress("j1", p) })
	if got := b.job(t, "j1").Progress; got != nil {
		t.Errorf("a finished job took progress %+v", got)
	}
}

func testActiveJobs(t *testing.T, open Opener) {
	b := &bundle{ctx: t.Context(), db: open(t)}
	base := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)
	states := []mosaic.JobState{mosaic.JobSucceeded, mosaic.JobExecuting, mosaic.JobNew, mosaic.JobFailed, mosaic.JobWaiting,
		mosaic.JobCancelling, mosaic.JobSubmitted, mosaic.JobCancelled, mosaic.JobTimedOut}
	// Created out of order: IDs by state, submission times reversed.
	for i, s := range states {
		j := newJob("j"+string(rune('a'+i)), s)
		j.SubmittedAt = base.Add(time.Duration(len(states)-i) * time.Minute)
		b.createJob(t, j)
	}
	var active []*mosaic.Job
	b.view(t, func(tx mosaic.ReadTx) (err error) {
		active, err = tx.ActiveJobs()
		return err
	})
	var got []string
	for _, j := range active {
		got = append(got, j.ID+":"+string(j.State))
	}
	want := []string{"jg:submitted", "jf:cancelling", "je:waiting", "jc:new", "jb:executing"}
	if !slices.Equal(got, want) {
		t.Errorf("active jobs = %v, want %v (oldest first)", got, want)
	}
	// Another owner's jobs are not counted as ann's.
	for i, s := range []mosaic.JobState{mosaic.JobExecuting, mosaic.JobSubmitted, mosaic.JobSucceeded} {
		j := newJob("bob"+string(rune('a'+i)), s)
		j.Owner = "bob"
		b.createJob(t, j)
	}
	for _, c := range []struct {
		owner               string
		unfinished, running int
	}{{"ann", 5, 2}, {"bob", 2, 1}, {"nobody", 0, 0}} {
		var unfinished, running int
		b.view(t, func(tx mosaic.ReadTx) (err error) {
			unfinished, running, err = tx.OwnerJobCounts(c.owner)
			return err
		})
		if unfinished != c.unfinished || running != c.running {
			t.Errorf("OwnerJobCounts(%s) = %d, %d; want %d unfinished, %d executing or cancelling", c.owner, unfinished, running, c.unfinished, c.running)
		}
	}
}

func testDeleteJob(t *testing.T, open Opener) {
	b := &bundle{ctx: t.Context(), db: open(t)}
	j := newJob("j1", mosaic.JobSucceeded)
	j.Messages = []mosaic.JobMessage{mosaic.Info("x")}
	b.createJob(t, j)
	b.update(t, func(tx mosaic.Tx) error { return tx.DeleteJob("j1") })
	err := b.jobErr("j1")
	wantCode(t, "deleted job", err, mosaic.ENOTFOUND)
	if msg := mosaic.ErrorMessage(err); !strings.Contains(msg, "deleted") {
		t.Errorf("deleted job: message %q does not say it was deleted", msg)
	}
	err = b.db.Update(b.ctx, func(tx mosaic.Tx) error { return tx.DeleteJob("j1") })
	wantCode(t, "deleting it again", err, mosaic.ENOTFOUND)
	err = b.db.Update(b.ctx, func(tx mosaic.Tx) error { return tx.DeleteJob("nope") })
	wantCode(t, "deleting an unknown job", err, mosaic.ENOTFOUND)
	if msg := mosaic.ErrorMessage(b.jobErr("nope")); strings.Contains(msg, "deleted") || strings.Contains(msg, "expired") {
		t.Errorf("unknown job: %q", msg)
	}
	var active []*mosaic.Job
	b.createJob(t, newJob("j2", mosaic.JobExecuting))
	b.update(t, func(tx mosaic.Tx) error { return tx.DeleteJob("j2") })
	b.view(t, func(tx mosaic.ReadTx) (err error) {
		active, err = tx.ActiveJobs()
		return err
	})
	if len(active) != 0 {
		t.Errorf("a deleted job is still active: %v", active)
	}
}

func testExpireJobs(t *testing.T, open Opener) {
	b := &bundle{ctx: t.Context(), db: open(t)}
	now := time.Now()
	old := newJob("old", mosaic.JobSucceeded)
	old.SubmittedAt = now.Add(-3 * time.Hour)
	b.createJob(t, old)
	b.createJob(t, newJob("running", mosaic.JobExecuting))
	oldRunning := newJob("oldrunning", mosaic.JobExecuting)
	oldRunning.SubmittedAt = now.Add(-3 * time.Hour)
	b.createJob(t, oldRunning)
	b.createJob(t, newJob("recent", mosaic.JobFailed))
	var n int64
	b.update(t, func(tx mosaic.Tx) (err error) {
		n, err = tx.ExpireJobs(now.Add(-time.Hour))
		return err
	})
	if n != 1 {
		t.Errorf("expired %d jobs, want 1", n)
	}
	err := b.jobErr("old")
	wantCode(t, "expired job", err, mosaic.ENOTFOUND)
	if msg := mosaic.ErrorMessage(err); !strings.Contains(msg, "expired") {
		t.Errorf("expired job: message %q does not say it expired", msg)
	}
	for _, id := range []string{"running", "oldrunning", "recent"} {
		if err := b.jobErr(id); err != nil {
			t.Errorf("job %s: %v", id, err)
		}
	}
}

func testRecentJobs(t *testing.T, open Opener) {
	b := &bundle{ctx: t.Context(), db: open(t)}
	t0 := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	// Created out of submission order.
	for _, j := range []*mosaic.Job{
		{ID: "j3", Task: "DeleteImage", State: mosaic.JobSubmitted, Owner: "alice", SubmittedAt: t0.Add(2 * time.Minute)},
		{ID: "j1", Task: "AddImage", State: mosaic.JobSucceeded, Owner: "alice", SubmittedAt: t0},
		{ID: "j4", Task: "RestoreImage", State: mosaic.JobExecuting, Owner: "anonymous", SubmittedAt: t0.Add(3 * time.Minute)},
		{ID: "j2", Task: "DeleteImage", State: mosaic.JobFailed, Owner: "bob", SubmittedAt: t0.Add(time.Minute)},
	} {
		b.createJob(t, j)
	}
	b.update(t, func(tx mosaic.Tx) error {
		for i := range 5 {
			if err := tx.AddJobMessages("j2", mosaic.Info(fmt.Sprintf("step %d", i))); err != nil {
				return err
			}
		}
		return tx.AddJobMessages("j2", mosaic.ErrorMsg("it broke"))
	})
	recent := func(f mosaic.JobFilter) []*mosaic.Job {
		t.Helper()
		var got []*mosaic.Job
		b.view(t, func(tx mosaic.ReadTx) (err error) {
			got, err = tx.RecentJobs(f)
			return err
		})
		return got
	}
	for _, tc := range []struct {
		name string
		f    mosaic.JobFilter
		want []string
	}{
		{"all, newest first", mosaic.JobFilter{}, []string{"j4", "j3", "j2", "j1"}},
		{"limit", mosaic.JobFilter{Limit: 2}, []string{"j4", "j3"}},
		{"task in any case", mosaic.JobFilter{Task: "deleteimage"}, []string{"j3", "j2"}},
		{"owner", mosaic.JobFilter{Owner: "alice"}, []string{"j3", "j1"}},
		{"states", mosaic.JobFilter{States: []mosaic.JobState{mosaic.JobExecuting, mosaic.JobFailed}}, []string{"j4", "j2"}},
		{"since", mosaic.JobFilter{Since: t0.Add(90 * time.Second)}, []string{"j4", "j3"}},
		{"nothing", mosaic.JobFilter{Owner: "carol"}, nil},
	} {
		var ids []string
		for _, j := range recent(tc.f) {
			ids = append(ids, j.ID)
			if len(j.Messages) != 0 {
				t.Errorf("%s: %s has messages without asking: %v", tc.name, j.ID, j.Messages)
			}
		}
		if !slices.Equal(ids, tc.want) {
			t.Errorf("%s: got %v, want %v", tc.name, ids, tc.want)
		}
	}
	got := recent(mosaic.JobFilter{Messages: 2})
	if len(got) != 4 {
		t.Fatalf("got %d jobs", len(got))
	}
	want := []mosaic.JobMessage{mosaic.Info("step 4"), mosaic.ErrorMsg("it broke")}
	if j := got[2]; j.ID != "j2" || !slices.Equal(j.Messages, want) || j.Task != "DeleteImage" || j.State != mosaic.JobFailed ||
		j.Owner != "bob" || !j.SubmittedAt.Equal(t0.Add(time.Minute)) {
		t.Errorf("j2 = %+v, want its last 2 messages %v", j, want)
	}
	if len(got[0].Messages) != 0 {
		t.Errorf("j4 has messages %v", got[0].Messages)
	}
}
