package sqlite

import (
	"fmt"
	"time"

	"github.com/tessera-gis/tessera/mosaic"
	"github.com/tessera-gis/tessera/mosaic/internal/storesql"
)

// CreateJob stores a new job with its messages.
func (tx *Tx) CreateJob(j *mosaic.Job) error {
	if err := storesql.InsertJob(tx.conn(), j); err != nil {
		return err
	}
	return tx.AddJobMessages(j.ID, j.Messages...)
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
	done, err := storesql.FinishJobRow(tx.conn(), id, state, results)
	if err != nil || !done {
		return false, err
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

// DeleteJob removes a job record and leaves a tombstone.
func (tx *Tx) DeleteJob(id string) error {
	res, err := tx.exec(`DELETE FROM jobs WHERE id = ?`, id)
	if err != nil {
		return fmt.Errorf("delete job: %w", err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return storesql.MissingJob(tx.conn(), id)
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
