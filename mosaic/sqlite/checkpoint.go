package sqlite

import (
	"context"
	"database/sql"
	"sync"
	"time"
)

// Checkpoints: SQLite copies the write-ahead log into the database file
// (a checkpoint) once the log holds 1,000 pages, by default inside the
// commit that crossed the mark. That commit then writes every page twice
// and waits for two fsyncs: a 10,000-item AddImage spent 55–80 ms of its
// final commit there, after its job had done its work.
//
// The writing connection therefore checkpoints in its commits only past
// walFallbackPages (a bound, for a log the background cannot keep small),
// and a checkpointer copies the log soon after each write transaction of
// the store commits (at most every checkpointEvery while the log is
// small), and every checkpointIdle for the job queue's. It runs on the
// writing connection, between two write transactions: the writer starts
// the log over at its next transaction only if every page is copied by
// then, and a checkpoint on a connection of its own seldom finished
// before the next of many small commits, so the log grew to
// walFallbackPages (TestWALStaysSmallUnderSustainedCommits). A PASSIVE
// checkpoint never waits for readers; a write transaction that queues
// behind it waits for it, but the commit that kicked it does not.
//
// Durability is unchanged: with synchronous = NORMAL a commit is in the
// log, which survives a crash of the process, and the log is synced
// before each checkpoint.

// walFallbackPages is the log size, in pages, at which the writing
// connection checkpoints in its commit (wal_autocheckpoint): 64 MiB with
// 4 KiB pages.
const walFallbackPages = 16384

// walBusyPages is the log size, in pages, past which the checkpointer
// runs again on the next kick without waiting checkpointEvery: SQLite's
// default autocheckpoint mark.
const walBusyPages = 1000

// checkpointEvery is the least time between two background checkpoints:
// commits in between are copied together.
const checkpointEvery = 100 * time.Millisecond

// checkpointIdle is how often the checkpointer runs unasked: the job
// queue (River) writes through the same connection without kicking it.
const checkpointIdle = 5 * time.Second

// checkpointer runs PASSIVE checkpoints on the writing connection when
// kicked.
type checkpointer struct {
	db    *sql.DB
	kick  chan struct{} // buffered: one kick waits while a checkpoint runs
	ctx   context.Context
	stop  context.CancelFunc
	done  chan struct{}
	every time.Duration
	once  sync.Once
}

// newCheckpointer starts a checkpointer on write, the single-connection
// write pool, which it does not close.
func newCheckpointer(write *sql.DB, every time.Duration) *checkpointer {
	ctx, stop := context.WithCancel(context.Background())
	c := &checkpointer{db: write, kick: make(chan struct{}, 1), ctx: ctx, stop: stop, done: make(chan struct{}), every: every}
	go c.run()
	return c
}

// notify asks for a checkpoint soon; it never blocks. A nil
// checkpointer (while Open migrates) does nothing.
func (c *checkpointer) notify() {
	if c == nil {
		return
	}
	select {
	case c.kick <- struct{}{}:
	default:
	}
}

func (c *checkpointer) run() {
	defer close(c.done)
	tick := time.NewTicker(checkpointIdle)
	defer tick.Stop()
	for {
		select {
		case <-c.ctx.Done():
			return
		case <-c.kick:
		case <-tick.C: // the job queue's writes, which do not kick
		}
		// An error (a full disk, a checkpoint under way elsewhere) leaves
		// the log as it was; the next commit asks again, and the writer
		// checkpoints itself past walFallbackPages.
		// Past walBusyPages the next commit's kick is not held back: the
		// commits of one checkpointEvery could otherwise fill the log
		// faster than SQLite's 1,000-page autocheckpoint let it grow.
		if log, _, err := c.checkpoint(c.ctx); err == nil && log >= walBusyPages {
			continue
		}
		select {
		case <-c.ctx.Done():
			return
		case <-time.After(c.every):
		}
	}
}

// checkpoint runs one PASSIVE checkpoint and returns the pages in the log
// and how many of them are in the database file.
func (c *checkpointer) checkpoint(ctx context.Context) (log, copied int64, err error) {
	var busy int64
	err = c.db.QueryRowContext(ctx, `PRAGMA wal_checkpoint(PASSIVE)`).Scan(&busy, &log, &copied)
	return log, copied, err
}

// close stops the checkpointer: a checkpoint waiting for the writing
// connection gives up, one under way is interrupted (SQLite keeps what it
// copied). Again, it does nothing.
func (c *checkpointer) close() {
	if c == nil {
		return
	}
	c.once.Do(func() {
		c.stop()
		<-c.done
	})
}
