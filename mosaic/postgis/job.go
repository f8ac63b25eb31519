package postgis

import (
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/tessera-gis/tessera/mosaic"
	"github.com/tessera-gis/tessera/mosaic/internal/storesql"
)

func scanJob(s pgx.Row) (*mosaic.Job, error) {
	var r storesql.JobRow
	if err := s.Scan(r.Dest()...); err != nil {
		return nil, err
	}
	return r.Decode()
}

// Job returns a job and its messages.
func (tx *Tx) Job(id string) (*mosaic.Job, error) {
	j, err := scanJob(tx.queryRow(`SELECT `+storesql.JobColumns+` FROM jobs WHERE id = ?`, id))
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, tx.missingJob(id)
	}
	if err != nil {
		return nil, fmt.Errorf("find job: %w", err)
	}
	rows, err := tx.query(`SELECT type, description FROM job_messages WHERE job_id = ? ORDER BY id`, id)
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
	if errors.Is(err, pgx.ErrNoRows) {
		return storesql.JobGone(id, "", 0)
	}
	if err != nil {
		return fmt.Errorf("find job tombstone: %w", err)
	}
	return storesql.JobGone(id, reason, at)
}

// ActiveJobs returns the jobs that are not terminal, oldest first.
func (tx *Tx) ActiveJobs() ([]*mosaic.Job, error) {
	rows, err := tx.query(`SELECT ` + storesql.JobColumns + ` FROM jobs
		WHERE state IN ('new', 'submitted', 'waiting', 'executing', 'cancelling') ORDER BY submitted_at, id`)
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

// CreateJob stores a new job with its messages.
func (tx *Tx) CreateJob(j *mosaic.Job) error {
	vals, err := storesql.NewJobRow(j, tx.now())
	if err != nil {
		return err
	}
	if _, err := tx.exec(`INSERT INTO jobs (id, task, state, inputs, results, priority, owner, submitted_at, finished_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`, vals...); err != nil {
		return fmt.Errorf("create job: %w", err)
	}
	return tx.AddJobMessages(j.ID, j.Messages...)
}

func stateStrings(states []mosaic.JobState) []string {
	out := make([]string, len(states))
	for i, st := range states {
		out[i] = string(st)
	}
	return out
}

// TransitionJob moves a job from one of the from states to state to.
func (tx *Tx) TransitionJob(id string, from []mosaic.JobState, to mosaic.JobState) (bool, error) {
	if len(from) == 0 {
		return false, nil
	}
	var finished *int64
	now := tx.now().UnixMilli()
	if to.Terminal() {
		finished = &now
	}
	tag, err := tx.exec(`UPDATE jobs SET state = ?,
		started_at = CASE WHEN ? AND started_at IS NULL THEN ? ELSE started_at END,
		finished_at = ?, progress = NULL
		WHERE id = ? AND state = ANY(?)`, string(to), to == mosaic.JobExecuting, now, finished, id, stateStrings(from))
	if err != nil {
		return false, fmt.Errorf("transition job %s: %w", id, err)
	}
	return tag.RowsAffected() == 1, nil
}

// FinishJob sets a job's terminal state, results and final messages unless
// it is already terminal.
func (tx *Tx) FinishJob(id string, state mosaic.JobState, results map[string]mosaic.JobResult, msgs ...mosaic.JobMessage) (bool, error) {
	if !state.Terminal() {
		return false, fmt.Errorf("finish job %s: %q is not terminal", id, state)
	}
	b, err := storesql.ResultsJSON(results)
	if err != nil {
		return false, err
	}
	tag, err := tx.exec(`UPDATE jobs SET state = ?, results = ?, finished_at = ?, progress = NULL
		WHERE id = ? AND finished_at IS NULL`, string(state), b, tx.now().UnixMilli(), id)
	if err != nil {
		return false, fmt.Errorf("finish job %s: %w", id, err)
	}
	if tag.RowsAffected() == 0 {
		return false, nil
	}
	return true, tx.AddJobMessages(id, msgs...)
}

// AddJobMessages appends messages to a job's log.
func (tx *Tx) AddJobMessages(id string, msgs ...mosaic.JobMessage) error {
	if len(msgs) == 0 {
		return nil
	}
	types, descs := make([]string, len(msgs)), make([]string, len(msgs))
	for i, m := range msgs {
		types[i], descs[i] = string(m.Type), m.Description
	}
	if _, err := tx.exec(`INSERT INTO job_messages (job_id, type, description, at)
		SELECT ?, u.type, u.description, ? FROM unnest(?::text[], ?::text[]) WITH ORDINALITY AS u (type, description, n) ORDER BY u.n`,
		id, tx.now().UnixMilli(), types, descs); err != nil {
		return fmt.Errorf("add job message: %w", err)
	}
	return nil
}

// SetJobProgress records a running job's progress; nil clears it.
func (tx *Tx) SetJobProgress(id string, p *mosaic.JobProgress) error {
	v, err := storesql.ProgressJSON(p)
	if err != nil {
		return err
	}
	_, err = tx.exec(`UPDATE jobs SET progress = ? WHERE id = ? AND finished_at IS NULL`, v, id)
	return err
}

// DeleteJob removes a job record and leaves a tombstone.
func (tx *Tx) DeleteJob(id string) error {
	tag, err := tx.exec(`DELETE FROM jobs WHERE id = ?`, id)
	if err != nil {
		return fmt.Errorf("delete job: %w", err)
	}
	if tag.RowsAffected() == 0 {
		return tx.missingJob(id)
	}
	_, err = tx.exec(`INSERT INTO job_tombstones (id, reason, at) VALUES (?, 'deleted', ?)
		ON CONFLICT (id) DO UPDATE SET reason = excluded.reason, at = excluded.at`, id, tx.now().UnixMilli())
	return err
}

// ExpireJobs removes terminal jobs that finished before t.
func (tx *Tx) ExpireJobs(before time.Time) (int64, error) {
	now := tx.now().UnixMilli()
	var n int64
	err := tx.queryRow(`WITH gone AS (DELETE FROM jobs WHERE finished_at IS NOT NULL AND finished_at < ? RETURNING id),
		marked AS (INSERT INTO job_tombstones (id, reason, at) SELECT id, 'expired', ? FROM gone
			ON CONFLICT (id) DO UPDATE SET reason = excluded.reason, at = excluded.at)
		SELECT count(*) FROM gone`, before.UnixMilli(), now).Scan(&n)
	if err != nil {
		return 0, fmt.Errorf("expire jobs: %w", err)
	}
	// Tombstones outlive jobs by the same period again, then go too.
	if _, err := tx.exec(`DELETE FROM job_tombstones WHERE at < ?`, now-2*(now-before.UnixMilli())); err != nil {
		return 0, fmt.Errorf("expire jobs: %w", err)
	}
	return n, nil
}

// Audit appends an entry to the audit log.
func (tx *Tx) Audit(e mosaic.AuditEntry) error {
	_, err := tx.exec(`INSERT INTO audit_log (at, user_name, action, collection, job_id, where_clause, count, detail)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?)`, storesql.AuditValues(e, tx.now())...)
	if err != nil {
		return fmt.Errorf("audit: %w", err)
	}
	return nil
}

// AuditLog returns the audit entries that f selects, newest first.
func (tx *Tx) AuditLog(f mosaic.AuditFilter) ([]mosaic.AuditEntry, error) {
	query, args, err := storesql.AuditSelect(f).ToSql()
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
		e, err := storesql.AuditRow(rows.Scan)
		if err != nil {
			return nil, err
		}
		out = append(out, e)
	}
	return out, rows.Err()
}

// RecentJobs returns the jobs that f selects, most recently submitted
// first, each with its last f.Messages messages.
func (tx *Tx) RecentJobs(f mosaic.JobFilter) ([]*mosaic.Job, error) {
	query, args, err := storesql.RecentJobsSelect(f).ToSql()
	if err != nil {
		return nil, err
	}
	rows, err := tx.query(query, args...)
	if err != nil {
		return nil, fmt.Errorf("recent jobs: %w", err)
	}
	var out []*mosaic.Job
	for rows.Next() {
		j, err := scanJob(rows)
		if err != nil {
			rows.Close()
			return nil, err
		}
		out = append(out, j)
	}
	rows.Close()
	if err := rows.Err(); err != nil || f.Messages <= 0 || len(out) == 0 {
		return out, err
	}
	ids := make([]string, len(out))
	for i, j := range out {
		ids[i] = j.ID
	}
	query, args = storesql.LastMessagesSelect(ids, f.Messages, "id")
	rows, err = tx.query(query, args...)
	if err != nil {
		return nil, fmt.Errorf("recent job messages: %w", err)
	}
	defer rows.Close()
	if err := storesql.AddLastMessages(out, rows.Next, rows.Scan); err != nil {
		return nil, err
	}
	return out, rows.Err()
}
