package sqlite

import (
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	sq "github.com/Masterminds/squirrel"

	"github.com/tessera-gis/tessera/mosaic"
)

const jobColumns = `id, task, state, inputs, results, progress, priority, owner, submitted_at, started_at, finished_at`

func scanJob(s interface{ Scan(...any) error }) (*mosaic.Job, error) {
	var (
		j                 mosaic.Job
		inputs, results   string
		progress          sql.NullString
		submitted         int64
		started, finished sql.NullInt64
	)
	if err := s.Scan(&j.ID, &j.Task, &j.State, &inputs, &results, &progress, &j.Priority, &j.Owner,
		&submitted, &started, &finished); err != nil {
		return nil, err
	}
	if err := json.Unmarshal([]byte(inputs), &j.Inputs); err != nil {
		return nil, fmt.Errorf("decode inputs of %s: %w", j.ID, err)
	}
	if err := json.Unmarshal([]byte(results), &j.Results); err != nil {
		return nil, fmt.Errorf("decode results of %s: %w", j.ID, err)
	}
	if progress.Valid {
		j.Progress = &mosaic.JobProgress{}
		if err := json.Unmarshal([]byte(progress.String), j.Progress); err != nil {
			return nil, fmt.Errorf("decode progress of %s: %w", j.ID, err)
		}
	}
	j.SubmittedAt = time.UnixMilli(submitted).UTC()
	if started.Valid {
		j.StartedAt = time.UnixMilli(started.Int64).UTC()
	}
	if finished.Valid {
		j.FinishedAt = time.UnixMilli(finished.Int64).UTC()
	}
	return &j, nil
}

// Job returns a job and its messages.
func (tx *Tx) Job(id string) (*mosaic.Job, error) {
	j, err := scanJob(tx.queryRow(`SELECT `+jobColumns+` FROM jobs WHERE id = ?`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, tx.missingJob(id)
	}
	if err != nil {
		return nil, fmt.Errorf("find job: %w", err)
	}
	rows, err := tx.query(`SELECT type, description FROM job_messages WHERE job_id = ? ORDER BY seq`, id)
	if err != nil {
		return nil, fmt.Errorf("job messages: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var m mosaic.JobMessage
		if err := rows.Scan(&m.Type, &m.Description); err != nil {
			return nil, err
		}
		j.Messages = append(j.Messages, m)
	}
	return j, rows.Err()
}

// missingJob explains why a job is not there: expired, deleted or unknown.
func (tx *Tx) missingJob(id string) error {
	var (
		reason string
		at     int64
	)
	err := tx.queryRow(`SELECT reason, at FROM job_tombstones WHERE id = ?`, id).Scan(&reason, &at)
	if errors.Is(err, sql.ErrNoRows) {
		return mosaic.Errorf(mosaic.ENOTFOUND, "Job %q does not exist.", id)
	}
	if err != nil {
		return fmt.Errorf("find job tombstone: %w", err)
	}
	when := time.UnixMilli(at).UTC().Format(time.RFC3339)
	if reason == "expired" {
		return mosaic.Errorf(mosaic.ENOTFOUND, "Job %q expired at %s; its records were removed after the retention period.", id, when)
	}
	return mosaic.Errorf(mosaic.ENOTFOUND, "Job %q was deleted at %s.", id, when)
}

// ActiveJobs returns the jobs that are not terminal, oldest first.
func (tx *Tx) ActiveJobs() ([]*mosaic.Job, error) {
	rows, err := tx.query(`SELECT ` + jobColumns + ` FROM jobs
		WHERE state IN ('new', 'submitted', 'waiting', 'executing', 'cancelling') ORDER BY submitted_at`)
	if err != nil {
		return nil, fmt.Errorf("active jobs: %w", err)
	}
	defer rows.Close()
	var out []*mosaic.Job
	for rows.Next() {
		j, err := scanJob(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, j)
	}
	return out, rows.Err()
}

// Jobs returns the jobs that f selects, newest first, without messages.
func (tx *Tx) Jobs(f mosaic.JobFilter) ([]*mosaic.Job, error) {
	if f.Limit <= 0 {
		f.Limit = 100
	}
	q := sq.Select(jobColumns).From("jobs").OrderBy("submitted_at DESC", "id").Limit(uint64(f.Limit))
	if f.Owner != "" {
		q = q.Where(sq.Eq{"owner": f.Owner})
	}
	if f.Task != "" {
		q = q.Where(sq.Eq{"task": f.Task})
	}
	if f.Active {
		q = q.Where("finished_at IS NULL")
	}
	query, args, err := q.ToSql()
	if err != nil {
		return nil, err
	}
	rows, err := tx.query(query, args...)
	if err != nil {
		return nil, fmt.Errorf("list jobs: %w", err)
	}
	defer rows.Close()
	var out []*mosaic.Job
	for rows.Next() {
		j, err := scanJob(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, j)
	}
	return out, rows.Err()
}

// CreateJob stores a new job with its messages.
func (tx *Tx) CreateJob(j *mosaic.Job) error {
	if !j.State.Valid() {
		return fmt.Errorf("create job: invalid state %q", j.State)
	}
	inputs, err := json.Marshal(orEmpty(j.Inputs))
	if err != nil {
		return err
	}
	results, err := json.Marshal(orEmptyResults(j.Results))
	if err != nil {
		return err
	}
	if j.SubmittedAt.IsZero() {
		j.SubmittedAt = tx.now()
	}
	var finished any
	if j.State.Terminal() {
		j.FinishedAt = j.SubmittedAt
		finished = j.FinishedAt.UnixMilli()
	}
	if _, err := tx.exec(`INSERT INTO jobs (id, task, state, inputs, results, priority, owner, submitted_at, finished_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`, j.ID, j.Task, j.State, string(inputs), string(results), j.Priority,
		j.Owner, j.SubmittedAt.UnixMilli(), finished); err != nil {
		return fmt.Errorf("create job: %w", err)
	}
	return tx.AddJobMessages(j.ID, j.Messages...)
}

func orEmpty(m map[string]string) map[string]string {
	if m == nil {
		return map[string]string{}
	}
	return m
}

func orEmptyResults(m map[string]mosaic.JobResult) map[string]mosaic.JobResult {
	if m == nil {
		return map[string]mosaic.JobResult{}
	}
	return m
}

// TransitionJob moves a job from one of the from states to state to.
func (tx *Tx) TransitionJob(id string, from []mosaic.JobState, to mosaic.JobState) (bool, error) {
	if len(from) == 0 {
		return false, nil
	}
	now := tx.now().UnixMilli()
	args := []any{to, to, now, to, now, id}
	for _, s := range from {
		args = append(args, s)
	}
	res, err := tx.exec(`UPDATE jobs SET state = ?,
		started_at = CASE WHEN ? = 'executing' AND started_at IS NULL THEN ? ELSE started_at END,
		finished_at = CASE WHEN ? IN ('succeeded', 'failed', 'timed_out', 'cancelled', 'deleted') THEN ? ELSE NULL END,
		progress = NULL
		WHERE id = ? AND state IN (`+placeholders(len(from))+`)`, args...)
	if err != nil {
		return false, fmt.Errorf("transition job %s: %w", id, err)
	}
	n, err := res.RowsAffected()
	return n == 1, err
}

// FinishJob sets a job's terminal state, results and final messages unless
// it is already terminal.
func (tx *Tx) FinishJob(id string, state mosaic.JobState, results map[string]mosaic.JobResult, msgs ...mosaic.JobMessage) (bool, error) {
	if !state.Terminal() {
		return false, fmt.Errorf("finish job %s: %q is not terminal", id, state)
	}
	b, err := json.Marshal(orEmptyResults(results))
	if err != nil {
		return false, err
	}
	res, err := tx.exec(`UPDATE jobs SET state = ?, results = ?, finished_at = ?, progress = NULL
		WHERE id = ? AND finished_at IS NULL`, state, string(b), tx.now().UnixMilli(), id)
	if err != nil {
		return false, fmt.Errorf("finish job %s: %w", id, err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return false, nil
	}
	return true, tx.AddJobMessages(id, msgs...)
}

// AddJobMessages appends messages to a job's log.
func (tx *Tx) AddJobMessages(id string, msgs ...mosaic.JobMessage) error {
	if len(msgs) == 0 {
		return nil
	}
	var seq int64
	if err := tx.queryRow(`SELECT coalesce(max(seq), 0) FROM job_messages WHERE job_id = ?`, id).Scan(&seq); err != nil {
		return err
	}
	now := tx.now().UnixMilli()
	for _, m := range msgs {
		seq++
		if _, err := tx.exec(`INSERT INTO job_messages (job_id, seq, type, description, at) VALUES (?, ?, ?, ?, ?)`,
			id, seq, m.Type, m.Description, now); err != nil {
			return fmt.Errorf("add job message: %w", err)
		}
	}
	return nil
}

// SetJobProgress records a running job's progress; nil clears it.
func (tx *Tx) SetJobProgress(id string, p *mosaic.JobProgress) error {
	var v any
	if p != nil {
		b, err := json.Marshal(p)
		if err != nil {
			return err
		}
		v = string(b)
	}
	_, err := tx.exec(`UPDATE jobs SET progress = ? WHERE id = ? AND finished_at IS NULL`, v, id)
	return err
}

// DeleteJob removes a job record and leaves a tombstone.
func (tx *Tx) DeleteJob(id string) error {
	res, err := tx.exec(`DELETE FROM jobs WHERE id = ?`, id)
	if err != nil {
		return fmt.Errorf("delete job: %w", err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return tx.missingJob(id)
	}
	_, err = tx.exec(`INSERT OR REPLACE INTO job_tombstones (id, reason, at) VALUES (?, 'deleted', ?)`, id, tx.now().UnixMilli())
	return err
}

// ExpireJobs removes terminal jobs that finished before t.
func (tx *Tx) ExpireJobs(before time.Time) (int64, error) {
	now := tx.now().UnixMilli()
	if _, err := tx.exec(`INSERT OR REPLACE INTO job_tombstones (id, reason, at)
		SELECT id, 'expired', ? FROM jobs WHERE finished_at IS NOT NULL AND finished_at < ?`, now, before.UnixMilli()); err != nil {
		return 0, fmt.Errorf("expire jobs: %w", err)
	}
	res, err := tx.exec(`DELETE FROM jobs WHERE finished_at IS NOT NULL AND finished_at < ?`, before.UnixMilli())
	if err != nil {
		return 0, fmt.Errorf("expire jobs: %w", err)
	}
	// Tombstones outlive jobs by the same period again, then go too.
	if _, err := tx.exec(`DELETE FROM job_tombstones WHERE at < ?`, now-2*(now-before.UnixMilli())); err != nil {
		return 0, err
	}
	return res.RowsAffected()
}

// Audit appends an entry to the audit log.
func (tx *Tx) Audit(e mosaic.AuditEntry) error {
	if e.Time.IsZero() {
		e.Time = tx.now()
	}
	_, err := tx.exec(`INSERT INTO audit_log (at, user_name, action, collection, job_id, where_clause, count, detail)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?)`, e.Time.UnixMilli(), e.User, e.Action, e.Collection, e.JobID, e.Where, e.Count, e.Detail)
	if err != nil {
		return fmt.Errorf("audit: %w", err)
	}
	return nil
}

// AuditLog returns the audit entries that f selects, newest first.
func (tx *Tx) AuditLog(f mosaic.AuditFilter) ([]mosaic.AuditEntry, error) {
	if f.Limit <= 0 {
		f.Limit = 100
	}
	q := sq.Select("at", "user_name", "action", "collection", "job_id", "where_clause", "count", "detail").
		From("audit_log").OrderBy("id DESC").Limit(uint64(f.Limit))
	for col, v := range map[string]string{"user_name": f.User, "action": f.Action, "collection": f.Collection, "job_id": f.JobID} {
		if v != "" {
			q = q.Where(sq.Eq{col: v})
		}
	}
	if !f.Since.IsZero() {
		q = q.Where(sq.GtOrEq{"at": f.Since.UnixMilli()})
	}
	query, args, err := q.ToSql()
	if err != nil {
		return nil, err
	}
	rows, err := tx.query(query, args...)
	if err != nil {
		return nil, fmt.Errorf("audit log: %w", err)
	}
	defer rows.Close()
	var out []mosaic.AuditEntry
	for rows.Next() {
		var (
			e  mosaic.AuditEntry
			at int64
		)
		if err := rows.Scan(&at, &e.User, &e.Action, &e.Collection, &e.JobID, &e.Where, &e.Count, &e.Detail); err != nil {
			return nil, err
		}
		e.Time = time.UnixMilli(at).UTC()
		out = append(out, e)
	}
	return out, rows.Err()
}
