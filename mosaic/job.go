package mosaic

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"time"
)

// JobState is the state of a geoprocessing job. Package server maps each to
// an esriJob* status.
type JobState string

// Job states, in lifecycle order.
const (
	JobNew        JobState = "new"        // created, not yet queued
	JobSubmitted  JobState = "submitted"  // queued, waiting for a worker
	JobWaiting    JobState = "waiting"    // held back, e.g. behind a job on the same collection
	JobExecuting  JobState = "executing"  // a worker is running it
	JobSucceeded  JobState = "succeeded"  // finished; results are final
	JobFailed     JobState = "failed"     // finished with an error; nothing partial hidden
	JobTimedOut   JobState = "timed_out"  // stopped by its task's time limit
	JobCancelling JobState = "cancelling" // cancel requested while executing
	JobCancelled  JobState = "cancelled"  // stopped by a user before committing
	JobDeleted    JobState = "deleted"    // record removed by a user
)

// JobStates returns every job state.
func JobStates() []JobState {
	return []JobState{JobNew, JobSubmitted, JobWaiting, JobExecuting, JobSucceeded,
		JobFailed, JobTimedOut, JobCancelling, JobCancelled, JobDeleted}
}

// Terminal reports whether s is final: no further change will happen.
func (s JobState) Terminal() bool {
	switch s {
	case JobSucceeded, JobFailed, JobTimedOut, JobCancelled, JobDeleted:
		return true
	}
	return false
}

// Valid reports whether s is a known state.
func (s JobState) Valid() bool {
	for _, v := range JobStates() {
		if s == v {
			return true
		}
	}
	return false
}

// MessageType classifies a job message.
type MessageType string

// Message types, mapped to esriJobMessageType* by package server.
const (
	MessageInfo    MessageType = "informative"
	MessageWarning MessageType = "warning"
	MessageError   MessageType = "error"
)

// JobMessage is one line of a job's log.
type JobMessage struct {
	Type        MessageType `json:"type"`
	Description string      `json:"description"`
}

// Info, Warning and Error build job messages.
func Info(desc string) JobMessage    { return JobMessage{MessageInfo, desc} }
func Warning(desc string) JobMessage { return JobMessage{MessageWarning, desc} }
func ErrorMsg(desc string) JobMessage {
	return JobMessage{MessageError, desc}
}

// JobProgress is reported while a job executes.
type JobProgress struct {
	Message    string `json:"message"`
	Percentage int    `json:"percentage"`
}

// JobResult is one output parameter's value.
type JobResult struct {
	DataType string          `json:"dataType"`
	Value    json.RawMessage `json:"value"`
}

// Job is a geoprocessing job and everything clients read about it.
type Job struct {
	ID          string
	Task        string
	State       JobState
	Inputs      map[string]string // parameter text as submitted, known parameters only
	Results     map[string]JobResult
	Messages    []JobMessage
	Progress    *JobProgress // while executing
	Priority    int          // 1 (most urgent) to 4
	Owner       string       // user name; "" for anonymous
	SubmittedAt time.Time
	StartedAt   time.Time
	FinishedAt  time.Time
}

// NewJobID returns a new job ID: "j" and 32 hex digits, as ArcGIS issues.
func NewJobID() string { return "j" + randomHex(16) }

// NewItemID returns a new portal-style item ID: 32 hex digits.
func NewItemID() string { return randomHex(16) }

func randomHex(n int) string {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		panic(err) // crypto/rand never fails on supported platforms
	}
	return hex.EncodeToString(b)
}

// ParamDirection says whether a task parameter is an input or an output.
type ParamDirection string

// Parameter directions.
const (
	ParamInput  ParamDirection = "input"
	ParamOutput ParamDirection = "output"
)

// ParamInfo describes one task parameter as the GP task resource lists it.
type ParamInfo struct {
	Name        string
	DataType    string // GPString, GPBoolean, GPLong…
	DisplayName string
	Description string
	Direction   ParamDirection
	Required    bool
	Default     any // nil for none
	Choices     []string
}

// TaskInfo describes a geoprocessing task.
type TaskInfo struct {
	Name        string
	DisplayName string
	Description string
	Params      []ParamInfo
	// Permission is the role a caller needs to submit the task.
	Permission Role
}

// SubmitOptions carries the caller and queue controls of a submission.
type SubmitOptions struct {
	User     *User
	Priority int // 0 means the default; 1 is the most urgent
	// RequestID is the id of the HTTP request that submitted the job, if
	// any; the job's first message records it.
	RequestID string
}

// JobService runs geoprocessing tasks as durable jobs.
type JobService interface {
	// Tasks lists the tasks in the order the service root shows them.
	Tasks() []TaskInfo
	// Submit validates inputs and queues a job. Invalid inputs return
	// EINVALID, an unknown task ENOTFOUND, a full queue ELIMIT.
	Submit(ctx context.Context, task string, inputs map[string]string, opts SubmitOptions) (*Job, error)
	// Execute submits a job and waits for it to reach a terminal state.
	Execute(ctx context.Context, task string, inputs map[string]string, opts SubmitOptions) (*Job, error)
	// Job returns a job. Unknown jobs return ENOTFOUND; expired ones
	// ENOTFOUND with a message that says so.
	Job(ctx context.Context, id string) (*Job, error)
	// Cancel stops a job that has not finished, queued or executing, and
	// returns its state afterwards. Finished jobs are returned unchanged.
	Cancel(ctx context.Context, id string) (*Job, error)
	// Delete cancels a job if needed and removes its record.
	Delete(ctx context.Context, id string) (*Job, error)
}

// JobFilter selects jobs for a job list. Empty fields match everything.
type JobFilter struct {
	Task     string     // task name, case-insensitive
	Owner    string     // user name ("anonymous" for jobs submitted without a token)
	States   []JobState // any of these states
	Since    time.Time  // submitted at or after
	Limit    int        // at most this many (0 = 100)
	Messages int        // the last this many messages of each job (0 = none)
}
