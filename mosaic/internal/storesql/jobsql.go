package storesql

import (
	"crypto/rand"
	"errors"
	"fmt"

	"github.com/tessera-gis/tessera/mosaic"
)

// JobTx implements the methods of mosaic.Tx for jobs, the audit log and
// secrets that both stores run with the same SQL; each store's Tx embeds
// it. What the stores write differently (message numbering, tombstone
// upserts, state transitions, expiry) stays in each store, with the
// helpers below (InsertJob, FinishJobRow, MissingJob).
type JobTx struct {
	db DB
	// messageOrder is the job_messages column that orders a job's
	// messages; activeOrder the ORDER BY of ActiveJobs.
	messageOrder, activeOrder string
}

// NewJobTx returns the shared job methods on db. messageOrder is the
// job_messages column that orders a job's messages; activeOrder is the
// ORDER BY of ActiveJobs (after submitted_at, the tie-break differs).
func NewJobTx(db DB, messageOrder, activeOrder string) JobTx {
	return JobTx{db: db, messageOrder: messageOrder, activeOrder: activeOrder}
}

func scanJob(r Row) (*mosaic.Job, error) {
	var jr JobRow
	if err := r.Scan(jr.Dest()...); err != nil {
		return nil, err
	}
	return jr.Decode()
}

// Job returns a job with its messages; see mosaic.JobReader.
func (s JobTx) Job(id string) (*mosaic.Job, error) {
	j, err := scanJob(s.db.QueryRow(`SELECT `+JobColumns+` FROM jobs WHERE id = ?`, id))
	if errors.Is(err, ErrNoRows) {
		return nil, MissingJob(s.db, id)
	}
	if err != nil {
		return nil, fmt.Errorf("find job: %w", err)
	}
	rows, err := s.db.Query(`SELECT type, description FROM job_messages WHERE job_id = ? ORDER BY `+s.messageOrder, id)
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

// MissingJob explains why a job is not there: expired, deleted or unknown
// (see JobGone).
func MissingJob(db DB, id string) error {
	var (
		reason string
		at     int64
	)
	err := db.QueryRow(`SELECT reason, at FROM job_tombstones WHERE id = ?`, id).Scan(&reason, &at)
	if errors.Is(err, ErrNoRows) {
		return JobGone(id, "", 0)
	}
	if err != nil {
		return fmt.Errorf("find job tombstone: %w", err)
	}
	return JobGone(id, reason, at)
}

// ActiveJobs returns the jobs that are not terminal, oldest first.
func (s JobTx) ActiveJobs() ([]*mosaic.Job, error) {
	rows, err := s.db.Query(`SELECT ` + JobColumns + ` FROM jobs
		WHERE state IN ('new', 'submitted', 'waiting', 'executing', 'cancelling') ORDER BY ` + s.activeOrder)
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

// OwnerJobCounts counts owner's unfinished jobs and, of those, the
// executing or cancelling ones; see mosaic.JobReader.
func (s JobTx) OwnerJobCounts(owner string) (unfinished, running int, err error) {
	err = s.db.QueryRow(`SELECT count(*),
		coalesce(sum(CASE WHEN state IN ('executing', 'cancelling') THEN 1 ELSE 0 END), 0)
		FROM jobs WHERE owner = ? AND state IN ('new', 'submitted', 'waiting', 'executing', 'cancelling')`, owner).Scan(&unfinished, &running)
	if err != nil {
		return 0, 0, fmt.Errorf("count jobs of %s: %w", owner, err)
	}
	return unfinished, running, nil
}

// RecentJobs returns the jobs that f selects, most recently submitted
// first, each with its last f.Messages messages.
func (s JobTx) RecentJobs(f mosaic.JobFilter) ([]*mosaic.Job, error) {
	query, args, err := RecentJobsSelect(f).ToSql()
	if err != nil {
		return nil, err
	}
	rows, err := s.db.Query(query, args...)
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
	query, args = LastMessagesSelect(ids, f.Messages, s.messageOrder)
	rows, err = s.db.Query(query, args...)
	if err != nil {
		return nil, fmt.Errorf("recent job messages: %w", err)
	}
	defer rows.Close()
	if err := AddLastMessages(out, rows.Next, rows.Scan); err != nil {
		return nil, err
	}
	return out, rows.Err()
}

// InsertJob stores a new job's row; the store then adds its messages.
func InsertJob(db DB, j *mosaic.Job) error {
	vals, err := NewJobRow(j, db.Now())
	if err != nil {
		return err
	}
	if _, err := db.Exec(`INSERT INTO jobs (id, task, state, inputs, results, priority, owner, submitted_at, finished_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`, vals...); err != nil {
		return fmt.Errorf("create job: %w", err)
	}
	return nil
}

// FinishJobRow sets a job's terminal state and results unless it is
// already terminal, and reports whether it did; the store then adds the
// final messages.
func FinishJobRow(db DB, id string, state mosaic.JobState, results map[string]mosaic.JobResult) (bool, error) {
	if !state.Terminal() {
		return false, fmt.Errorf("finish job %s: %q is not terminal", id, state)
	}
	b, err := ResultsJSON(results)
	if err != nil {
		return false, err
	}
	n, err := db.Exec(`UPDATE jobs SET state = ?, results = ?, finished_at = ?, progress = NULL
		WHERE id = ? AND finished_at IS NULL`, string(state), b, db.Now().UnixMilli(), id)
	if err != nil {
		return false, fmt.Errorf("finish job %s: %w", id, err)
	}
	return n > 0, nil
}

// SetJobProgress records an unfinished job's progress; nil clears it.
func (s JobTx) SetJobProgress(id string, p *mosaic.JobProgress) error {
	v, err := ProgressJSON(p)
	if err != nil {
		return err
	}
	_, err = s.db.Exec(`UPDATE jobs SET progress = ? WHERE id = ? AND finished_at IS NULL`, v, id)
	return err
}

// Audit appends an entry to the audit log; a zero Time means now.
func (s JobTx) Audit(e mosaic.AuditEntry) error {
	_, err := s.db.Exec(`INSERT INTO audit_log (at, user_name, action, collection, job_id, where_clause, count, detail)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?)`, AuditValues(e, s.db.Now())...)
	if err != nil {
		return fmt.Errorf("audit: %w", err)
	}
	return nil
}

// AuditLog returns the audit entries that f selects, newest first.
func (s JobTx) AuditLog(f mosaic.AuditFilter) ([]mosaic.AuditEntry, error) {
	query, args, err := AuditSelect(f).ToSql()
	if err != nil {
		return nil, err
	}
	rows, err := s.db.Query(query, args...)
	if err != nil {
		return nil, fmt.Errorf("audit log: %w", err)
	}
	defer rows.Close()
	var out []mosaic.AuditEntry
	for rows.Next() {
		e, err := AuditRow(rows.Scan)
		if err != nil {
			return nil, err
		}
		out = append(out, e)
	}
	return out, rows.Err()
}

// Secret returns the secret called name, creating it from size random
// bytes if it does not exist (see mosaic.Secrets).
func (s JobTx) Secret(name string, size int) ([]byte, error) {
	b := make([]byte, size)
	if _, err := rand.Read(b); err != nil {
		return nil, err
	}
	if _, err := s.db.Exec(`INSERT INTO secrets (name, value) VALUES (?, ?) ON CONFLICT (name) DO NOTHING`, name, b); err != nil {
		return nil, fmt.Errorf("create secret %s: %w", name, err)
	}
	var v []byte
	if err := s.db.QueryRow(`SELECT value FROM secrets WHERE name = ?`, name).Scan(&v); err != nil {
		return nil, fmt.Errorf("read secret %s: %w", name, err)
	}
	return v, nil
}

// BandStats returns per-band statistics pooled over the live items of c
// (whose items table is items) that have statistics, each weighted by its
// pixel count, or nil when none has.
func BandStats(db DB, c *mosaic.Collection, items string) ([]mosaic.BandStats, error) {
	rows, err := db.Query(BandStatsQuery(items), c.ID)
	if err != nil {
		return nil, fmt.Errorf("band statistics of %s: %w", c.Name, err)
	}
	defer rows.Close()
	var out []mosaic.BandStats
	for rows.Next() {
		var b BandSums
		if err := rows.Scan(b.Dest()...); err != nil {
			return nil, fmt.Errorf("band statistics of %s: %w", c.Name, err)
		}
		out = AppendBandStats(out, b)
	}
	return out, rows.Err()
}
