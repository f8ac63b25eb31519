// Package riverqueue implements jobs.Queue with River
// (github.com/riverqueue/river), on SQLite (embedded, sharing the catalog's
// database file) or PostgreSQL.
//
// River provides durable queueing, priorities, bounded concurrency and
// rescue of jobs whose worker died. It is not the source of truth for job
// status: the engine records every transition in its own table, in the same
// transactions as the work, and claims each job with a compare-and-set, so
// a job rescued by River after a crash never runs twice.
package riverqueue

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/riverqueue/river"
	"github.com/riverqueue/river/riverdriver"
	"github.com/riverqueue/river/riverdriver/riverpgxv5"
	"github.com/riverqueue/river/riverdriver/riversqlite"
	"github.com/riverqueue/river/rivermigrate"
	"github.com/riverqueue/river/rivershared/baseservice"
	"github.com/riverqueue/river/rivershared/riverpilot"
	"github.com/riverqueue/river/rivertype"

	"github.com/tessera-gis/tessera/mosaic"
	"github.com/tessera-gis/tessera/tasks/jobs"
)

// Config tunes the queue.
type Config struct {
	// Workers is the number of jobs that run at once. Default 4.
	Workers int
	// FetchCooldown is the least time between two fetches of jobs (River
	// debounces its wake-ups by it). Default 2 ms (River's: 100 ms).
	FetchCooldown time.Duration
	// FetchPollInterval is how often River looks for jobs that nothing
	// woke it for. Default: 1 s on SQLite, where every job is queued by
	// this process, which wakes River when it commits one (Committed) or
	// holds one back (jobs.Later), so that the poll is only a safety net
	// and costs an idle server next to nothing; 100 ms on PostgreSQL,
	// where River's LISTEN/NOTIFY wakes every instance on an insert, but
	// sends at most one notification per FetchCooldown per queue (a job
	// committed just after another may wait for the poll) and none when a
	// held-back job is due again.
	FetchPollInterval time.Duration
	Logger            *slog.Logger
	// ID names this process's River client (River's attempted_by); with
	// several servers on one database, the engine's instance name, so that
	// Lost can tell whose jobs died with their process. Default: River's.
	ID string
}

// runArgs is the River job: the engine's job ID.
type runArgs struct {
	JobID string `json:"job_id"`
}

func (runArgs) Kind() string { return "tessera_gp_job" }

type worker struct {
	river.WorkerDefaults[runArgs]
	work func(ctx context.Context, id string) error
	// wakeAfter arranges a fetch once a job held back for d is due.
	wakeAfter func(d time.Duration)
}

func (w *worker) Work(ctx context.Context, job *river.Job[runArgs]) error {
	err := w.work(ctx, job.Args.JobID)
	var later *jobs.Later
	if errors.As(err, &later) {
		// Offered again after the delay, without counting an attempt.
		w.wakeAfter(later.After)
		return river.JobSnooze(later.After)
	}
	return err
}

// Queue is a River-backed jobs.Queue.
type Queue[TTx any] struct {
	driver riverdriver.Driver[TTx]
	unwrap func(mosaic.Tx) (TTx, error)
	cfg    Config
	w      *worker
	client *river.Client[TTx]
	pilot  *wakingPilot
}

var (
	_ jobs.Queue = (*Queue[*sql.Tx])(nil)
	_ jobs.Queue = (*Queue[pgx.Tx])(nil)
)

// SQLiteTx is a store transaction on SQLite that the queue can insert its
// rows into, so that a job is queued if and only if the transaction that
// records it commits. Package mosaic/sqlite's Tx implements it.
type SQLiteTx interface {
	mosaic.Tx
	// SQLTx returns the underlying database/sql transaction.
	SQLTx() *sql.Tx
}

// PostgresTx is a store transaction on PostgreSQL that the queue can
// insert its rows into. Package mosaic/postgis's Tx implements it.
type PostgresTx interface {
	mosaic.Tx
	// PgxTx returns the underlying pgx transaction.
	PgxTx() pgx.Tx
}

// NewSQLite returns a queue in the SQLite database behind db, which must be
// the store's single-connection write pool; River's tables are migrated.
// Transactions passed to Enqueue must be SQLiteTx.
func NewSQLite(ctx context.Context, db *sql.DB, cfg Config) (*Queue[*sql.Tx], error) {
	return newQueue(ctx, riversqlite.New(db), cfg, func(tx mosaic.Tx) (*sql.Tx, error) {
		s, ok := tx.(SQLiteTx)
		if !ok {
			return nil, fmt.Errorf("riverqueue: a %T is not a SQLite transaction (SQLiteTx)", tx)
		}
		return s.SQLTx(), nil
	})
}

// PostgresQueue is a Queue on PostgreSQL. Besides River's jobs it carries
// the engine's job messages between the instances on the database
// (jobs.Notifier, with NOTIFY and LISTEN) and its per-owner locks
// (jobs.OwnerLocker, with advisory locks).
type PostgresQueue struct {
	*Queue[pgx.Tx]
	pool *pgxpool.Pool
}

var (
	_ jobs.Notifier    = (*PostgresQueue)(nil)
	_ jobs.OwnerLocker = (*PostgresQueue)(nil)
	_ jobs.LostFinder  = (*PostgresQueue)(nil)
	_ jobs.Committer   = (*Queue[*sql.Tx])(nil)
)

// NewPostgres returns a queue in the PostgreSQL database behind pool, the
// store's pool; River's tables are migrated (rivermigrate) under an
// advisory lock, so that servers starting together migrate once. Jobs
// start on any process with a queue on the database, woken by
// LISTEN/NOTIFY. Transactions passed to Enqueue must be PostgresTx.
func NewPostgres(ctx context.Context, pool *pgxpool.Pool, cfg Config) (*PostgresQueue, error) {
	conn, err := pool.Acquire(ctx)
	if err != nil {
		return nil, fmt.Errorf("riverqueue: connect: %w", err)
	}
	defer conn.Release()
	if _, err := conn.Exec(ctx, `SELECT pg_advisory_lock($1)`, riverMigrationLock); err != nil {
		return nil, fmt.Errorf("riverqueue: lock for migrations: %w", err)
	}
	defer conn.Exec(context.WithoutCancel(ctx), `SELECT pg_advisory_unlock($1)`, riverMigrationLock)
	q, err := newQueue(ctx, riverpgxv5.New(pool), cfg, pgxTx)
	if err != nil {
		return nil, err
	}
	return &PostgresQueue{Queue: q, pool: pool}, nil
}

func pgxTx(tx mosaic.Tx) (pgx.Tx, error) {
	s, ok := tx.(PostgresTx)
	if !ok {
		return nil, fmt.Errorf("riverqueue: a %T is not a PostgreSQL transaction (PostgresTx)", tx)
	}
	return s.PgxTx(), nil
}

// notifyChannel is the PostgreSQL notification channel of job messages.
const notifyChannel = "tessera_jobs"

// Notify sends msg on the job channel in tx: PostgreSQL delivers it to
// every listener when, and only if, tx commits.
func (q *PostgresQueue) Notify(ctx context.Context, tx mosaic.Tx, msg string) error {
	ptx, err := pgxTx(tx)
	if err != nil {
		return err
	}
	if _, err := ptx.Exec(ctx, `SELECT pg_notify($1, $2)`, notifyChannel, msg); err != nil {
		return fmt.Errorf("notify: %w", err)
	}
	return nil
}

// Listen calls fn with every message on the job channel until ctx ends,
// on a connection of its own (outside the pool), reconnecting after a
// failure; fn("") follows each (re)connection.
func (q *PostgresQueue) Listen(ctx context.Context, fn func(msg string)) {
	wait := 100 * time.Millisecond
	for {
		connected, err := q.listen(ctx, fn)
		if ctx.Err() != nil {
			return
		}
		if connected {
			wait = 100 * time.Millisecond
		}
		q.cfg.Logger.Warn("job notifications: connection lost, reconnecting", "err", err, "after", wait)
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return
		case <-t.C:
		}
		wait = min(2*wait, 5*time.Second)
	}
}

func (q *PostgresQueue) listen(ctx context.Context, fn func(msg string)) (connected bool, err error) {
	conn, err := pgx.ConnectConfig(ctx, q.pool.Config().ConnConfig.Copy())
	if err != nil {
		return false, err
	}
	defer func() {
		cctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		conn.Close(cctx)
	}()
	if _, err := conn.Exec(ctx, "LISTEN "+notifyChannel); err != nil {
		return false, err
	}
	fn("") // messages may have been missed before this
	for {
		n, err := conn.WaitForNotification(ctx)
		if err != nil {
			return true, err
		}
		fn(n.Payload)
	}
}

// ownerLockClass is the first key of the advisory locks LockOwner takes
// ("tess"); the second is a hash of the owner.
const ownerLockClass = int32(0x74657373)

// LockOwner takes, until tx ends, the advisory lock of owner's jobs.
func (q *PostgresQueue) LockOwner(ctx context.Context, tx mosaic.Tx, owner string) error {
	ptx, err := pgxTx(tx)
	if err != nil {
		return err
	}
	if _, err := ptx.Exec(ctx, `SELECT pg_advisory_xact_lock($1, hashtext($2))`, ownerLockClass, owner); err != nil {
		return fmt.Errorf("lock the jobs of %s: %w", owner, err)
	}
	return nil
}

// riverMigrationLock is the advisory-lock key under which NewPostgres runs
// River's migrations.
const riverMigrationLock = int64(0x7465737365727231) // "tesserr1"

func newQueue[TTx any](ctx context.Context, driver riverdriver.Driver[TTx], cfg Config, unwrap func(mosaic.Tx) (TTx, error)) (*Queue[TTx], error) {
	if cfg.Workers <= 0 {
		cfg.Workers = 4
	}
	if cfg.FetchCooldown <= 0 {
		cfg.FetchCooldown = 2 * time.Millisecond
	}
	sqlite := driver.DatabaseName() == riverdriver.DatabaseNameSQLite
	if cfg.FetchPollInterval <= 0 {
		cfg.FetchPollInterval = 100 * time.Millisecond
		if sqlite {
			cfg.FetchPollInterval = time.Second
		}
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	migrator, err := rivermigrate.New(driver, &rivermigrate.Config{Logger: quiet(cfg.Logger)})
	if err != nil {
		return nil, fmt.Errorf("river migrator: %w", err)
	}
	if _, err := migrator.Migrate(ctx, rivermigrate.DirectionUp, nil); err != nil {
		return nil, fmt.Errorf("river migrate: %w", err)
	}
	q := &Queue[TTx]{driver: driver, unwrap: unwrap, cfg: cfg, pilot: &wakingPilot{}}
	q.w = &worker{wakeAfter: q.wakeAfter}
	workers := river.NewWorkers()
	river.AddWorker(workers, q.w)
	var clientDriver riverdriver.Driver[TTx] = driver
	if sqlite {
		clientDriver = &wakingDriver[TTx]{Driver: driver, pilot: q.pilot}
	}
	q.client, err = river.NewClient(clientDriver, &river.Config{
		ID:                cfg.ID,
		Queues:            map[string]river.QueueConfig{river.QueueDefault: {MaxWorkers: cfg.Workers}},
		Workers:           workers,
		FetchCooldown:     cfg.FetchCooldown,
		FetchPollInterval: cfg.FetchPollInterval,
		JobTimeout:        -1, // the engine enforces per-task timeouts
		MaxAttempts:       1,  // the engine never retries behind a user's back
		Logger:            quiet(cfg.Logger),
		// Keep River's own rows briefly: the engine's table is the record.
		CompletedJobRetentionPeriod: time.Hour,
		CancelledJobRetentionPeriod: time.Hour,
		DiscardedJobRetentionPeriod: 24 * time.Hour,
	})
	if err != nil {
		return nil, fmt.Errorf("river client: %w", err)
	}
	return q, nil
}

// quiet passes on River's warnings and errors only.
func quiet(l *slog.Logger) *slog.Logger {
	return slog.New(levelFilter{l.Handler(), slog.LevelWarn})
}

type levelFilter struct {
	slog.Handler
	min slog.Level
}

func (f levelFilter) Enabled(ctx context.Context, l slog.Level) bool {
	return l >= f.min && f.Handler.Enabled(ctx, l)
}

func (f levelFilter) WithAttrs(a []slog.Attr) slog.Handler {
	return levelFilter{f.Handler.WithAttrs(a), f.min}
}
func (f levelFilter) WithGroup(n string) slog.Handler {
	return levelFilter{f.Handler.WithGroup(n), f.min}
}

// Enqueue inserts the River job in the engine's transaction.
func (q *Queue[TTx]) Enqueue(ctx context.Context, tx mosaic.Tx, id string, priority int) error {
	ttx, err := q.unwrap(tx)
	if err != nil {
		return err
	}
	_, err = q.client.InsertTx(ctx, ttx, runArgs{JobID: id}, &river.InsertOpts{Priority: priority, MaxAttempts: 1})
	if err != nil {
		return fmt.Errorf("enqueue job %s: %w", id, err)
	}
	return nil
}

// Committed tells the queue that a transaction with Enqueue calls has
// committed, so that its jobs can start now rather than at the next poll.
// PostgreSQL needs no help (River uses LISTEN/NOTIFY); on SQLite this wakes
// River's fetch loop, as River does itself after a non-transactional insert.
func (q *Queue[TTx]) Committed() { q.pilot.wake() }

// snoozeSettle is how long after a snooze River may take to write it:
// River records a worked job's outcome in batches, at least every 250 ms.
const snoozeSettle = 260 * time.Millisecond

// wakeAfter wakes River's fetch loop (on SQLite; see Committed) when a
// job snoozed for d now is due: at d, and again once River has surely
// written the snooze, since until then the job cannot be fetched. A wake
// that finds nothing costs one query; a missed one, the poll interval.
func (q *Queue[TTx]) wakeAfter(d time.Duration) {
	if q.driver.DatabaseName() != riverdriver.DatabaseNameSQLite {
		return // River polls (see Config.FetchPollInterval)
	}
	const margin = 5 * time.Millisecond // scheduled_at is to the millisecond
	time.AfterFunc(d+margin, q.pilot.wake)
	time.AfterFunc(d+snoozeSettle+margin, q.pilot.wake)
}

// wakingDriver wraps River's SQLite driver in two ways.
//
// It reports no listener. River's SQLite "listener" is a table of
// notification rows, written by every insert and polled every 50 ms on the
// connection pool it is given, which here is the store's single write
// connection: extra writes and lock traffic that only delay jobs. Without
// it River runs poll-only (FetchPollInterval) and wakes its fetch loop
// itself after an insert made outside a transaction.
//
// Our inserts are made inside the engine's transactions, so it also uses
// River's driver-plugin hook to hand River a pilot that keeps that wake-up
// function, which Committed calls. River marks the hook internal; if an
// upgrade removes it, this file stops compiling, and dropping the plugin
// methods leaves a queue that is correct but starts jobs at the next poll.
type wakingDriver[TTx any] struct {
	riverdriver.Driver[TTx]
	pilot *wakingPilot
}

// SupportsListener reports false: River polls (see wakingDriver).
func (d *wakingDriver[TTx]) SupportsListener() bool { return false }

// SupportsListenNotify reports false: no notification rows on insert.
func (d *wakingDriver[TTx]) SupportsListenNotify() bool { return false }

// PluginInit implements River's driver-plugin hook; nothing to do.
func (d *wakingDriver[TTx]) PluginInit(*baseservice.Archetype) {}

// PluginPilot returns the pilot that River uses.
func (d *wakingDriver[TTx]) PluginPilot() riverpilot.Pilot { return d.pilot }

// wakingPilot is River's standard pilot, remembering NotifyNonTxJobInsert.
type wakingPilot struct {
	riverpilot.StandardPilot
	mu     sync.Mutex
	notify func(context.Context, []*rivertype.JobInsertResult)
}

// PilotInit keeps the wake-up function and initialises the standard pilot.
func (p *wakingPilot) PilotInit(a *baseservice.Archetype, params *riverpilot.PilotInitParams) {
	p.mu.Lock()
	p.notify = params.NotifyNonTxJobInsert
	p.mu.Unlock()
	p.StandardPilot.PilotInit(a, params)
}

// wake triggers a fetch on the default queue (debounced by FetchCooldown).
func (p *wakingPilot) wake() {
	p.mu.Lock()
	notify := p.notify
	p.mu.Unlock()
	if notify != nil {
		notify(context.Background(), []*rivertype.JobInsertResult{{Job: &rivertype.JobRow{Queue: river.QueueDefault}}})
	}
}

// Start starts River's workers.
func (q *Queue[TTx]) Start(ctx context.Context, work func(ctx context.Context, id string) error) error {
	q.w.work = work
	return q.client.Start(ctx)
}

// Stop cancels running jobs and waits for them, or for ctx.
func (q *Queue[TTx]) Stop(ctx context.Context) error {
	return q.client.StopAndCancel(ctx)
}

// Lost returns those of the engine's queued job ids that River will never
// run: no River job for them is waiting, and none is running on an
// instance named in live (one whose client ID is a live instance's name)
// since less than stale. A River job running for longer than stale while
// its engine job is still queued was fetched but will not be claimed: the
// answer of River's fetch was lost with its connection (the fetch had
// committed), or River could not record the job's snooze (jobs.Later);
// River would rescue it only after an hour. Queuing such a job again is
// harmless: the engine's claim is a compare-and-set.
// On PostgreSQL only; on SQLite (one process) it returns none, as the
// engine queues its jobs again at every start there.
func (q *Queue[TTx]) Lost(ctx context.Context, tx mosaic.Tx, ids, live []string, stale time.Duration) ([]string, error) {
	ttx, err := q.unwrap(tx)
	if err != nil {
		return nil, err
	}
	ptx, ok := any(ttx).(pgx.Tx)
	if !ok || len(ids) == 0 {
		return nil, nil
	}
	rows, err := ptx.Query(ctx, `SELECT c.id FROM unnest($1::text[]) AS c (id) WHERE NOT EXISTS (
		SELECT 1 FROM river_job r WHERE r.kind = $3 AND r.args->>'job_id' = c.id
		AND (r.state IN ('available', 'pending', 'scheduled', 'retryable')
			OR r.state = 'running' AND r.attempted_by[array_upper(r.attempted_by, 1)] = ANY($2::text[])
				AND r.attempted_at > now() - make_interval(secs => $4)))`,
		ids, live, runArgs{}.Kind(), stale.Seconds())
	if err != nil {
		return nil, fmt.Errorf("lost jobs: %w", err)
	}
	return pgx.CollectRows(rows, pgx.RowTo[string])
}
