package postgis

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/tessera-gis/tessera/mosaic"
	"github.com/tessera-gis/tessera/mosaic/internal/storesql"
)

// Several servers may share one database. Each is an instance with a name
// and a heartbeat, kept in the table instances in the database's clock (so
// that the servers' clocks do not matter); an executing job records the
// instance that claimed it. DB's Heartbeat and LeaveCluster implement jobs.Heartbeater, and
// Tx's methods jobs.ClusterTx.

// Heartbeats are written on a connection of their own, outside the pool
// (see DB.Heartbeat): an instance whose pool is exhausted by requests or
// long statements is still alive, and must not be taken for dead.

const (
	heartbeatSQL = `INSERT INTO instances (id, info) VALUES ($1, $2)
		ON CONFLICT (id) DO UPDATE SET heartbeat_at = now(), info = excluded.info`
	forgetSQL = `DELETE FROM instances WHERE heartbeat_at < now() - interval '1 day'`
	leaveSQL  = `DELETE FROM instances WHERE id = $1`
)

// heartbeatApp is the application_name of the heartbeat connection (unless
// the connection string sets one), so that it can be told apart in
// pg_stat_activity.
const heartbeatApp = "tessera heartbeat"

// beatConn is the heartbeat connection of a DB: one pgx connection,
// opened when first needed and again after a failure.
type beatConn struct {
	mu   sync.Mutex
	conn *pgx.Conn
}

// Heartbeat records that instance is alive, registering it if it is new,
// and forgets instances silent for more than a day. It runs on the
// heartbeat connection, never on the pool, so that it depends only on the
// database being reachable: when the connection fails (dropped, server
// restarted), it reconnects and retries, backing off from 100 ms to 2 s,
// until it succeeds or ctx ends.
func (db *DB) Heartbeat(ctx context.Context, instance, info string) error {
	return db.onBeatConn(ctx, "heartbeat", func(conn *pgx.Conn) error {
		if _, err := conn.Exec(ctx, heartbeatSQL, instance, info); err != nil {
			return err
		}
		_, err := conn.Exec(ctx, forgetSQL)
		return err
	})
}

// LeaveCluster removes instance, which stopped cleanly, on the heartbeat
// connection, and closes that connection.
func (db *DB) LeaveCluster(ctx context.Context, instance string) error {
	defer db.closeBeat()
	return db.onBeatConn(ctx, "leave", func(conn *pgx.Conn) error {
		_, err := conn.Exec(ctx, leaveSQL, instance)
		return err
	})
}

// onBeatConn runs fn on the heartbeat connection, (re)connecting as needed
// and retrying with backoff until fn succeeds or ctx ends.
func (db *DB) onBeatConn(ctx context.Context, op string, fn func(*pgx.Conn) error) error {
	b := &db.beat
	b.mu.Lock()
	defer b.mu.Unlock()
	wait := 100 * time.Millisecond
	for {
		err := b.connect(ctx, db)
		if err == nil {
			if err = fn(b.conn); err == nil {
				return nil
			}
		}
		// Whatever failed, start again on a new connection: a statement
		// interrupted by ctx leaves pgx's connection closed anyway.
		b.close()
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return fmt.Errorf("%s: %w", op, err)
		case <-t.C:
		}
		wait = min(2*wait, 2*time.Second)
	}
}

// connect opens the heartbeat connection if it is not open; b.mu is held.
func (b *beatConn) connect(ctx context.Context, db *DB) error {
	if b.conn != nil && !b.conn.IsClosed() {
		return nil
	}
	b.close()
	cfg := db.pool.Config().ConnConfig.Copy()
	if _, ok := cfg.RuntimeParams["application_name"]; !ok {
		cfg.RuntimeParams["application_name"] = heartbeatApp
	}
	conn, err := pgx.ConnectConfig(ctx, cfg)
	if err != nil {
		return err
	}
	b.conn = conn
	return nil
}

// close closes the heartbeat connection, if open; b.mu is held.
func (b *beatConn) close() {
	if b.conn == nil {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	b.conn.Close(ctx)
	b.conn = nil
}

// closeBeat closes the heartbeat connection.
func (db *DB) closeBeat() {
	db.beat.mu.Lock()
	defer db.beat.mu.Unlock()
	db.beat.close()
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

// ClaimedJobs returns the executing or cancelling jobs that instance
// claimed, oldest first.
func (tx *Tx) ClaimedJobs(instance string) ([]*mosaic.Job, error) {
	rows, err := tx.query(`SELECT `+storesql.JobColumns+` FROM jobs
		WHERE state IN ('executing', 'cancelling') AND instance = ?
		ORDER BY submitted_at, id`, instance)
	if err != nil {
		return nil, fmt.Errorf("claimed jobs: %w", err)
	}
	defer rows.Close()
	var jobs []*mosaic.Job
	for rows.Next() {
		var r storesql.JobRow
		if err := rows.Scan(r.Dest()...); err != nil {
			return nil, err
		}
		j, err := r.Decode()
		if err != nil {
			return nil, err
		}
		jobs = append(jobs, j)
	}
	return jobs, rows.Err()
}

// prefixed qualifies each of a comma-separated list of columns.
func prefixed(prefix, columns string) string {
	cols := strings.Split(columns, ",")
	for i, c := range cols {
		cols[i] = prefix + strings.TrimSpace(c)
	}
	return strings.Join(cols, ", ")
}
