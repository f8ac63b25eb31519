package jobs

import (
	"context"
	"fmt"
	"time"

	"github.com/tessera-gis/tessera/mosaic"
)

// Queue hands jobs to workers. The engine records every state change in the
// store; the queue only decides when and where a job runs. Implementation:
// package tasks/riverqueue (River on SQLite or PostgreSQL).
//
// A queue may also implement Committer, LostFinder, Notifier and
// OwnerLocker; the engine uses each when it is there.
type Queue interface {
	// Enqueue queues job id inside tx, so that a job exists in the store if
	// and only if it is queued.
	Enqueue(ctx context.Context, tx mosaic.Tx, id string, priority int) error
	// Start runs work for queued jobs until Stop. When work returns a
	// *Later, the job stays queued and is offered again after its delay.
	Start(ctx context.Context, work func(ctx context.Context, id string) error) error
	// Stop stops fetching jobs and cancels running ones, waiting until they
	// return or ctx ends.
	Stop(ctx context.Context) error
}

// Committer is a Queue that wants to know when a transaction with Enqueue
// calls has committed, so that it can start the jobs at once rather than
// at its next poll (River on SQLite, which has no LISTEN/NOTIFY).
type Committer interface {
	// Committed is called after such a transaction commits.
	Committed()
}

// Notifier is a Queue whose database carries messages between the
// instances sharing it (PostgreSQL: NOTIFY and LISTEN). The engine uses it
// to tell every instance at once that a job ended or is to be cancelled,
// so that nobody polls for either.
type Notifier interface {
	// Notify sends msg, in tx: every instance's Listen receives it if and
	// when tx commits.
	Notify(ctx context.Context, tx mosaic.Tx, msg string) error
	// Listen calls fn with each message sent by any instance (this one
	// included), until ctx ends. Whenever it (re)connects, and so may
	// have missed messages, it calls fn with "".
	Listen(ctx context.Context, fn func(msg string))
}

// OwnerLocker is a Queue that can serialise, across every instance on its
// database, the transactions that count and claim one owner's jobs, so that
// Config.JobsPerUser holds however the instances race for them
// (PostgreSQL: a transaction-level advisory lock). A store with a single
// writer (SQLite) needs none.
type OwnerLocker interface {
	// LockOwner takes owner's lock until tx ends.
	LockOwner(ctx context.Context, tx mosaic.Tx, owner string) error
}

// Later is what the work function that Queue.Start is given returns when
// a job may not start yet because its owner already runs JobsPerUser
// jobs: the queue offers the job again after After, without counting an
// attempt (River: JobSnooze).
type Later struct{ After time.Duration }

// Error implements error.
func (l *Later) Error() string {
	return fmt.Sprintf("job deferred for %s: its owner runs as many jobs as allowed", l.After)
}

// committed tells the queue, if it wants to know, that a transaction with
// Enqueue calls has committed.
func (e *Engine) committed() {
	if c, ok := e.queue.(Committer); ok {
		c.Committed()
	}
}

// lockOwner takes owner's lock in tx, if the queue has one (see
// OwnerLocker).
func (e *Engine) lockOwner(ctx context.Context, tx mosaic.Tx, owner string) error {
	if l, ok := e.queue.(OwnerLocker); ok {
		return l.LockOwner(ctx, tx, owner)
	}
	return nil
}
