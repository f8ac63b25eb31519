package postgis

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
	types, descs := make([]string, len(msgs)), make([]string, len(msgs))
	for i, m := range msgs {
		// A message may quote a file name that is not UTF-8, which
		// PostgreSQL's text refuses: its bad bytes become U+FFFD, as the
		// JSON answers would show them.
		types[i], descs[i] = string(m.Type), textValue(m.Description)
	}
	if _, err := tx.exec(`INSERT INTO job_messages (job_id, type, description, at)
		SELECT ?, u.type, u.description, ? FROM unnest(?::text[], ?::text[]) WITH ORDINALITY AS u (type, description, n) ORDER BY u.n`,
		id, tx.now().UnixMilli(), types, descs); err != nil {
		return fmt.Errorf("add job message: %w", err)
	}
	return nil
}

// DeleteJob removes a job record and leaves a tombstone.
func (tx *Tx) DeleteJob(id string) error {
	tag, err := tx.exec(`DELETE FROM jobs WHERE id = ?`, id)
	if err != nil {
		return fmt.Errorf("delete job: %w", err)
	}
	if tag.RowsAffected() == 0 {
		return storesql.MissingJob(tx.conn(), id)
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
