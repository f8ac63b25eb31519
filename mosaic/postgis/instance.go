package postgis

import (
	"fmt"
	"strings"
	"time"

	"github.com/tessera-gis/tessera/mosaic"
	"github.com/tessera-gis/tessera/mosaic/internal/storesql"
)

// Several servers may share one database. Each is an instance with a name
// and a heartbeat, kept in the table instances in the database's clock (so
// that the servers' clocks do not matter); an executing job records the
// instance that claimed it. These methods implement tasks.ClusterTx.

// Heartbeat records that instance is alive, registering it if it is new,
// and forgets instances silent for more than a day.
func (tx *Tx) Heartbeat(instance, info string) error {
	if _, err := tx.exec(`INSERT INTO instances (id, info) VALUES (?, ?)
		ON CONFLICT (id) DO UPDATE SET heartbeat_at = now(), info = excluded.info`, instance, info); err != nil {
		return fmt.Errorf("heartbeat: %w", err)
	}
	if _, err := tx.exec(`DELETE FROM instances WHERE heartbeat_at < now() - interval '1 day'`); err != nil {
		return fmt.Errorf("heartbeat: %w", err)
	}
	return nil
}

// LeaveCluster removes instance: it stopped cleanly.
func (tx *Tx) LeaveCluster(instance string) error {
	if _, err := tx.exec(`DELETE FROM instances WHERE id = ?`, instance); err != nil {
		return fmt.Errorf("leave: %w", err)
	}
	return nil
}

// LiveInstances returns the instances whose last heartbeat is younger than
// ttl, by name.
func (tx *Tx) LiveInstances(ttl time.Duration) ([]string, error) {
	rows, err := tx.query(`SELECT id FROM instances WHERE heartbeat_at > now() - make_interval(secs => ?) ORDER BY id`, ttl.Seconds())
	if err != nil {
		return nil, fmt.Errorf("live instances: %w", err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			return nil, err
		}
		out = append(out, id)
	}
	return out, rows.Err()
}

// ClaimJob records that instance runs job id.
func (tx *Tx) ClaimJob(id, instance string) error {
	if _, err := tx.exec(`UPDATE jobs SET instance = ? WHERE id = ?`, instance, id); err != nil {
		return fmt.Errorf("claim job %s: %w", id, err)
	}
	return nil
}

// OrphanedJobs returns the executing or cancelling jobs whose instance has
// sent no heartbeat for ttl (or is unknown), oldest first, and the names
// of their instances.
func (tx *Tx) OrphanedJobs(ttl time.Duration) (jobs []*mosaic.Job, instances []string, err error) {
	rows, err := tx.query(`SELECT `+prefixed("j.", storesql.JobColumns)+`, coalesce(j.instance, '') FROM jobs j
		WHERE j.state IN ('executing', 'cancelling') AND NOT EXISTS (SELECT 1 FROM instances i
			WHERE i.id = j.instance AND i.heartbeat_at > now() - make_interval(secs => ?))
		ORDER BY j.submitted_at, j.id`, ttl.Seconds())
	if err != nil {
		return nil, nil, fmt.Errorf("orphaned jobs: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var (
			r        storesql.JobRow
			instance string
		)
		if err := rows.Scan(append(r.Dest(), &instance)...); err != nil {
			return nil, nil, err
		}
		j, err := r.Decode()
		if err != nil {
			return nil, nil, err
		}
		jobs, instances = append(jobs, j), append(instances, instance)
	}
	return jobs, instances, rows.Err()
}

// prefixed qualifies each of a comma-separated list of columns.
func prefixed(prefix, columns string) string {
	cols := strings.Split(columns, ",")
	for i, c := range cols {
		cols[i] = prefix + strings.TrimSpace(c)
	}
	return strings.Join(cols, ", ")
}
