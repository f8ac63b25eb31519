package client

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// Job statuses, as the GPServer reports them.
const (
	StatusSubmitted  = "esriJobSubmitted"
	StatusWaiting    = "esriJobWaiting"
	StatusExecuting  = "esriJobExecuting"
	StatusSucceeded  = "esriJobSucceeded"
	StatusFailed     = "esriJobFailed"
	StatusTimedOut   = "esriJobTimedOut"
	StatusCancelling = "esriJobCancelling"
	StatusCancelled  = "esriJobCancelled"
	StatusDeleted    = "esriJobDeleted"
)

// Terminal reports whether a job with status s will change no more.
func Terminal(s string) bool {
	switch s {
	case StatusSucceeded, StatusFailed, StatusTimedOut, StatusCancelled, StatusDeleted:
		return true
	}
	return false
}

// Message is one line of a job's log.
type Message struct {
	Type        string `json:"type"` // esriJobMessageTypeInformative, …Warning, …Error
	Description string `json:"description"`
}

// Progress is a running job's progress.
type Progress struct {
	Message    string `json:"message"`
	Percentage int    `json:"percentage"`
}

// Job is a GP job: its status, and once it has ended its messages and
// result values.
type Job struct {
	ID       string                     `json:"jobId"`
	Task     string                     `json:"task"`
	Status   string                     `json:"jobStatus"`
	Progress *Progress                  `json:"progress,omitempty"`
	Messages []Message                  `json:"messages,omitempty"`
	Results  map[string]json.RawMessage `json:"results,omitempty"` // result values by parameter name
}

// Done reports whether the job has ended.
func (j *Job) Done() bool { return Terminal(j.Status) }

// jobJSON is the job resource.
type jobJSON struct {
	ID       string          `json:"jobId"`
	Status   string          `json:"jobStatus"`
	Progress *Progress       `json:"progress"`
	Messages []Message       `json:"messages"`
	Results  json.RawMessage `json:"results"`
}

func taskPath(task string) string { return GPPath + "/" + url.PathEscape(task) }

func jobPath(task, id string) string { return taskPath(task) + "/jobs/" + url.PathEscape(id) }

// Submit submits a job of task with the given parameters.
func (c *Client) Submit(ctx context.Context, task string, params url.Values) (*Job, error) {
	var out jobJSON
	if err := c.do(ctx, http.MethodPost, taskPath(task)+"/submitJob", params, &out); err != nil {
		return nil, err
	}
	if out.ID == "" {
		return nil, &ResponseError{URL: c.URL + taskPath(task) + "/submitJob", Status: 200, Body: "no jobId in the answer"}
	}
	return &Job{ID: out.ID, Task: task, Status: out.Status}, nil
}

// Status reads a job's status and progress, without its messages.
func (c *Client) Status(ctx context.Context, task, id string) (*Job, error) {
	var out jobJSON
	if err := c.do(ctx, http.MethodGet, jobPath(task, id), url.Values{"returnMessages": {"false"}}, &out); err != nil {
		return nil, err
	}
	return &Job{ID: out.ID, Task: task, Status: out.Status, Progress: out.Progress}, nil
}

// Job reads a job with its messages and, if it succeeded, its results.
func (c *Client) Job(ctx context.Context, task, id string) (*Job, error) {
	var out jobJSON
	if err := c.do(ctx, http.MethodGet, jobPath(task, id), nil, &out); err != nil {
		return nil, err
	}
	j := &Job{ID: out.ID, Task: task, Status: out.Status, Progress: out.Progress, Messages: out.Messages}
	if j.Status != StatusSucceeded {
		return j, nil
	}
	var results []struct {
		ParamName string          `json:"paramName"`
		Value     json.RawMessage `json:"value"`
	}
	if err := c.do(ctx, http.MethodGet, jobPath(task, id)+"/results", nil, &results); err != nil {
		return nil, err
	}
	j.Results = map[string]json.RawMessage{}
	for _, r := range results {
		j.Results[r.ParamName] = r.Value
	}
	return j, nil
}

// Input returns the value of one of a job's inputs.
func (c *Client) Input(ctx context.Context, task, id, name string) (json.RawMessage, error) {
	var out struct {
		Value json.RawMessage `json:"value"`
	}
	if err := c.do(ctx, http.MethodGet, jobPath(task, id)+"/inputs/"+url.PathEscape(name), nil, &out); err != nil {
		return nil, err
	}
	return out.Value, nil
}

// Cancel asks the server to cancel a job and returns its status after.
func (c *Client) Cancel(ctx context.Context, task, id string) (*Job, error) {
	var out jobJSON
	if err := c.do(ctx, http.MethodPost, jobPath(task, id)+"/cancel", url.Values{"returnMessages": {"false"}}, &out); err != nil {
		return nil, err
	}
	return &Job{ID: out.ID, Task: task, Status: out.Status, Progress: out.Progress}, nil
}

// Tasks lists the GPServer's tasks.
func (c *Client) Tasks(ctx context.Context) ([]string, error) {
	var out struct {
		Tasks []string `json:"tasks"`
	}
	if err := c.do(ctx, http.MethodGet, GPPath, nil, &out); err != nil {
		return nil, err
	}
	return out.Tasks, nil
}

// FindJob finds the task of a job, given its ID alone, and returns the job
// as Job does.
func (c *Client) FindJob(ctx context.Context, id string) (*Job, error) {
	tasks, err := c.Tasks(ctx)
	if err != nil {
		return nil, err
	}
	var notFound error
	for _, t := range tasks {
		j, err := c.Job(ctx, t, id)
		if err == nil {
			return j, nil
		}
		if !IsNotFound(err) {
			return nil, err
		}
		// Every task says the same of an expired or deleted job; "does
		// not exist" may only mean another task.
		if notFound == nil || !strings.Contains(err.Error(), "does not exist") {
			notFound = err
		}
	}
	if notFound == nil {
		notFound = &Error{Code: 404, Message: "Job " + id + " does not exist."}
	}
	return nil, notFound
}

// JobSummary is one entry of the job list.
type JobSummary struct {
	ID              string    `json:"jobId"`
	Task            string    `json:"task"`
	Status          string    `json:"jobStatus"`
	Owner           string    `json:"owner"`
	Priority        int       `json:"priority"`
	ImageCollection string    `json:"imageCollection,omitempty"` // the imageCollection input
	Submitted       int64     `json:"submitted"`                 // epoch ms
	Started         int64     `json:"started,omitempty"`         // epoch ms, 0 until it starts
	Finished        int64     `json:"finished,omitempty"`        // epoch ms, 0 until it ends
	Progress        *Progress `json:"progress,omitempty"`
}

// JobFilter selects jobs to list. Empty fields match everything.
type JobFilter struct {
	Active bool   // only jobs that have not ended
	Task   string // one task's jobs
	Owner  string // one user's jobs
	Limit  int    // at most this many (0: the server's default, 100)
}

// activeStatuses are the statuses of jobs that have not ended.
const activeStatuses = StatusSubmitted + "," + StatusWaiting + "," + StatusExecuting + "," + StatusCancelling + ",esriJobNew"

// Jobs lists jobs of every task, newest first (GPServer/jobs).
func (c *Client) Jobs(ctx context.Context, f JobFilter) ([]JobSummary, error) {
	form := url.Values{"messages": {"0"}}
	if f.Active {
		form.Set("status", activeStatuses)
	}
	if f.Task != "" {
		form.Set("task", f.Task)
	}
	if f.Owner != "" {
		form.Set("owner", f.Owner)
	}
	if f.Limit > 0 {
		form.Set("limit", strconv.Itoa(f.Limit))
	}
	var out struct {
		Jobs []struct {
			JobSummary
			Inputs map[string]string `json:"inputs"`
		} `json:"jobs"`
	}
	if err := c.do(ctx, http.MethodGet, GPPath+"/jobs", form, &out); err != nil {
		return nil, err
	}
	jobs := make([]JobSummary, len(out.Jobs))
	for i, j := range out.Jobs {
		jobs[i] = j.JobSummary
		jobs[i].ImageCollection = j.Inputs["imageCollection"]
	}
	return jobs, nil
}

// Wait polls a job until it ends, calling progress (if not nil) after
// every poll, and returns it as Job does. The pause between polls grows
// from PollMin to PollMax. If ctx ends first, Wait returns ctx's error and
// the job keeps running on the server.
func (c *Client) Wait(ctx context.Context, task, id string, progress func(*Job)) (*Job, error) {
	pause := c.PollMin
	for {
		j, err := c.Status(ctx, task, id)
		if err != nil {
			return nil, err
		}
		if progress != nil {
			progress(j)
		}
		if j.Done() {
			return c.Job(ctx, task, id)
		}
		t := time.NewTimer(pause)
		select {
		case <-ctx.Done():
			t.Stop()
			return nil, ctx.Err()
		case <-t.C:
		}
		pause = min(c.PollMax, pause*3/2)
	}
}

// ErrNoResult is returned by Result for a job without the named result.
var ErrNoResult = errors.New("the job has no such result")

// Result decodes one of a succeeded job's result values into v.
func (j *Job) Result(name string, v any) error {
	raw, ok := j.Results[name]
	if !ok {
		return ErrNoResult
	}
	return json.Unmarshal(raw, v)
}
