package storesql

import (
	"encoding/json"
	"fmt"
	"strings"
	"time"

	sq "github.com/Masterminds/squirrel"

	"github.com/tessera-gis/tessera/mosaic"
)

// Both stores keep jobs in the same tables: jobs (JSON text in inputs,
// results and progress; times in epoch milliseconds), job_messages,
// job_tombstones and audit_log.

// JobColumns are the columns of jobs that JobRow scans, in order.
const JobColumns = `id, task, state, inputs, results, progress, priority, owner, submitted_at, started_at, finished_at`

// JobRow is a row of jobs as scanned: pointers are NULLable columns.
type JobRow struct {
	Job               mosaic.Job
	Inputs, Results   string
	Progress          *string
	Submitted         int64
	Started, Finished *int64
}

// Dest returns the scan destinations of JobColumns.
func (r *JobRow) Dest() []any {
	j := &r.Job
	return []any{&j.ID, &j.Task, &j.State, &r.Inputs, &r.Results, &r.Progress, &j.Priority, &j.Owner,
		&r.Submitted, &r.Started, &r.Finished}
}

// Decode returns the job that the row holds.
func (r *JobRow) Decode() (*mosaic.Job, error) {
	j := r.Job
	if err := json.Unmarshal([]byte(r.Inputs), &j.Inputs); err != nil {
		return nil, fmt.Errorf("decode inputs of %s: %w", j.ID, err)
	}
	if err := json.Unmarshal([]byte(r.Results), &j.Results); err != nil {
		return nil, fmt.Errorf("decode results of %s: %w", j.ID, err)
	}
	if r.Progress != nil {
		j.Progress = &mosaic.JobProgress{}
		if err := json.Unmarshal([]byte(*r.Progress), j.Progress); err != nil {
			return nil, fmt.Errorf("decode progress of %s: %w", j.ID, err)
		}
	}
	j.SubmittedAt = time.UnixMilli(r.Submitted).UTC()
	if r.Started != nil {
		j.StartedAt = time.UnixMilli(*r.Started).UTC()
	}
	if r.Finished != nil {
		j.FinishedAt = time.UnixMilli(*r.Finished).UTC()
	}
	return &j, nil
}

// NewJobRow checks a job for CreateJob and fills what the store sets: the
// submission time if zero (now), and the finish time of a job created
// terminal. It returns the values of the columns id, task, state, inputs,
// results, priority, owner, submitted_at and finished_at, in that order.
func NewJobRow(j *mosaic.Job, now time.Time) ([]any, error) {
	if !j.State.Valid() {
		return nil, fmt.Errorf("create job: invalid state %q", j.State)
	}
	inputs, err := json.Marshal(orEmpty(j.Inputs))
	if err != nil {
		return nil, err
	}
	results, err := ResultsJSON(j.Results)
	if err != nil {
		return nil, err
	}
	if j.SubmittedAt.IsZero() {
		j.SubmittedAt = now
	}
	var finished *int64
	if j.State.Terminal() {
		j.FinishedAt = j.SubmittedAt
		ms := j.FinishedAt.UnixMilli()
		finished = &ms
	}
	return []any{j.ID, j.Task, string(j.State), string(inputs), results, j.Priority, j.Owner, j.SubmittedAt.UnixMilli(), finished}, nil
}

// ResultsJSON encodes a job's results for the results column.
func ResultsJSON(results map[string]mosaic.JobResult) (string, error) {
	if results == nil {
		results = map[string]mosaic.JobResult{}
	}
	b, err := json.Marshal(results)
	return string(b), err
}

// ProgressJSON encodes a job's progress for the progress column (nil for
// none).
func ProgressJSON(p *mosaic.JobProgress) (*string, error) {
	if p == nil {
		return nil, nil
	}
	b, err := json.Marshal(p)
	if err != nil {
		return nil, err
	}
	s := string(b)
	return &s, nil
}

func orEmpty(m map[string]string) map[string]string {
	if m == nil {
		return map[string]string{}
	}
	return m
}

// JobGone is the ENOTFOUND of a job that is not there: reason is the
// tombstone's ("expired" or "deleted", at epoch milliseconds at), or ""
// for a job that never existed.
func JobGone(id, reason string, at int64) error {
	when := time.UnixMilli(at).UTC().Format(time.RFC3339)
	switch reason {
	case "expired":
		return mosaic.Errorf(mosaic.ENOTFOUND, "Job %q expired at %s; its records were removed after the retention period.", id, when)
	case "deleted":
		return mosaic.Errorf(mosaic.ENOTFOUND, "Job %q was deleted at %s.", id, when)
	}
	return mosaic.Errorf(mosaic.ENOTFOUND, "Job %q does not exist.", id)
}

// AuditSelect is the query of AuditLog, with ? placeholders; AuditRow
// scans its rows.
func AuditSelect(f mosaic.AuditFilter) sq.SelectBuilder {
	if f.Limit <= 0 {
		f.Limit = 100
	}
	q := sq.Select("at", "user_name", "action", "collection", "job_id", "where_clause", "count", "detail").
		From("audit_log").OrderBy("id DESC").Limit(uint64(f.Limit))
	for _, c := range []struct{ col, v string }{{"user_name", f.User}, {"action", f.Action}, {"collection", f.Collection}, {"job_id", f.JobID}} {
		if c.v != "" {
			q = q.Where(sq.Eq{c.col: c.v})
		}
	}
	if !f.Since.IsZero() {
		q = q.Where(sq.GtOrEq{"at": f.Since.UnixMilli()})
	}
	return q
}

// AuditRow scans one row of AuditSelect.
func AuditRow(scan func(dest ...any) error) (mosaic.AuditEntry, error) {
	var (
		e  mosaic.AuditEntry
		at int64
	)
	if err := scan(&at, &e.User, &e.Action, &e.Collection, &e.JobID, &e.Where, &e.Count, &e.Detail); err != nil {
		return e, err
	}
	e.Time = time.UnixMilli(at).UTC()
	return e, nil
}

// AuditValues returns the values of the columns at, user_name, action,
// collection, job_id, where_clause, count and detail of an entry; a zero
// Time is now.
func AuditValues(e mosaic.AuditEntry, now time.Time) []any {
	if e.Time.IsZero() {
		e.Time = now
	}
	return []any{e.Time.UnixMilli(), e.User, e.Action, e.Collection, e.JobID, e.Where, e.Count, e.Detail}
}

// RecentJobsSelect is the query of RecentJobs, with ? placeholders: the
// jobs f selects, most recently submitted first (JobColumns; scan them
// with JobRow).
func RecentJobsSelect(f mosaic.JobFilter) sq.SelectBuilder {
	if f.Limit <= 0 {
		f.Limit = 100
	}
	q := sq.Select(JobColumns).From("jobs").OrderBy("submitted_at DESC", "id DESC").Limit(uint64(f.Limit))
	if f.Task != "" {
		q = q.Where("lower(task) = lower(?)", f.Task)
	}
	if f.Owner != "" {
		q = q.Where(sq.Eq{"owner": f.Owner})
	}
	if len(f.States) > 0 {
		states := make([]string, len(f.States))
		for i, s := range f.States {
			states[i] = string(s)
		}
		q = q.Where(sq.Eq{"state": states})
	}
	if !f.Since.IsZero() {
		q = q.Where(sq.GtOrEq{"submitted_at": f.Since.UnixMilli()})
	}
	return q
}

// LastMessagesSelect selects the last n messages of each of the jobs ids,
// in order (job_id, type, description), with ? placeholders. order is the
// column that orders a job's messages.
func LastMessagesSelect(ids []string, n int, order string) (string, []any) {
	args := make([]any, 0, len(ids)+1)
	marks := make([]string, len(ids))
	for i, id := range ids {
		args = append(args, id)
		marks[i] = "?"
	}
	args = append(args, n)
	return `SELECT job_id, type, description FROM (
		SELECT job_id, ` + order + ` AS o, type, description,
			row_number() OVER (PARTITION BY job_id ORDER BY ` + order + ` DESC) AS rn
		FROM job_messages WHERE job_id IN (` + strings.Join(marks, ",") + `)) AS last
		WHERE rn <= ? ORDER BY job_id, o`, args
}

// AddLastMessages runs LastMessagesSelect's rows into the jobs' Messages.
func AddLastMessages(jobs []*mosaic.Job, next func() bool, scan func(dest ...any) error) error {
	byID := make(map[string]*mosaic.Job, len(jobs))
	for _, j := range jobs {
		byID[j.ID] = j
	}
	for next() {
		var (
			id string
			m  mosaic.JobMessage
		)
		if err := scan(&id, &m.Type, &m.Description); err != nil {
			return err
		}
		if j := byID[id]; j != nil {
			j.Messages = append(j.Messages, m)
		}
	}
	return nil
}
