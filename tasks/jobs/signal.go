package jobs

import (
	"context"
	"strings"
	"time"

	"github.com/tessera-gis/tessera/mosaic"
)

// Job signals. Whoever waits for a job (Execute, Delete) or runs it learns
// of its changes from a signal rather than by polling the store:
//
//   - in this process, each job that someone waits for has a "done"
//     channel, closed after a transaction that ends the job (or asks to
//     cancel it, or deletes it) commits; the waiter then reads the store;
//   - between instances sharing a store, the same transactions send a
//     message through the queue's Notifier (PostgreSQL NOTIFY, delivered on
//     commit), which every instance turns into the same local signal, and
//     which stops a job running here when another instance cancelled it or
//     took it over.
//
// A lost message (a dropped LISTEN connection) costs latency, never
// correctness: waiters and running jobs also read the store every
// safetyNet, and the Notifier signals every job after it reconnects.

// safetyNet is how often a waiter, or the instance running a job, reads
// the job's state in case a signal was lost.
const safetyNet = 2 * time.Second

// jobDeleted is the state a message gives for a deleted job.
const jobDeleted = mosaic.JobState("deleted")

// waiters is the signal of one job and how many wait for it.
type waiters struct {
	ch chan struct{}
	n  int
}

// watch returns a channel that is closed at the job's next signal, and a
// function to call when done with it. Read the job's state after calling
// watch, not before, so that no signal is lost.
func (e *Engine) watch(id string) (<-chan struct{}, func()) {
	e.mu.Lock()
	defer e.mu.Unlock()
	w, ok := e.done[id]
	if !ok {
		w = &waiters{ch: make(chan struct{})}
		e.done[id] = w
	}
	w.n++
	return w.ch, func() {
		e.mu.Lock()
		defer e.mu.Unlock()
		if w.n--; w.n == 0 && e.done[id] == w {
			delete(e.done, id)
		}
	}
}

// wake closes job id's channel; e.mu must be held. With id "", it wakes
// every waiter.
func (e *Engine) wake(id string) {
	for k, w := range e.done {
		if id == "" || k == id {
			close(w.ch)
			delete(e.done, k)
		}
	}
}

// announce sends, in tx, that job id reached state (terminal, cancelling or
// jobDeleted), to the other instances.
func (e *Engine) announce(ctx context.Context, tx mosaic.Tx, id string, state mosaic.JobState) error {
	n, ok := e.queue.(Notifier)
	if !ok || !e.clustered() {
		return nil
	}
	return n.Notify(ctx, tx, string(state)+" "+id+" "+e.cfg.Instance)
}

// signal acts, in this process, on a committed change of job id to state,
// made here (from == this instance) or by another instance: it wakes the
// job's waiters and, when another instance cancelled or ended a job that
// runs here, stops it.
func (e *Engine) signal(id string, state mosaic.JobState, from string) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if r, ok := e.running[id]; ok && from != e.cfg.Instance {
		switch {
		case state == mosaic.JobCancelling:
			r.cancel(ErrJobCancelled)
		case state.Terminal() && !r.isFinished():
			r.cancel(errTakenOver)
		}
	}
	e.wake(id)
}

// onMessage handles a Notifier message.
func (e *Engine) onMessage(msg string) {
	if msg == "" { // reconnected: anything may have happened
		e.mu.Lock()
		e.wake("")
		running := make([]*Run, 0, len(e.running))
		for _, r := range e.running {
			running = append(running, r)
		}
		e.mu.Unlock()
		for _, r := range running {
			e.check(e.bgCtx, r)
		}
		return
	}
	f := strings.SplitN(msg, " ", 3)
	if len(f) != 3 {
		e.log.Warn("unexpected job message", "message", msg)
		return
	}
	e.signal(f[1], mosaic.JobState(f[0]), f[2])
}

// check reads the state of a job running here, and stops it if another
// instance cancelled or ended it: the safety net under the signals.
func (e *Engine) check(ctx context.Context, r *Run) {
	var state mosaic.JobState
	err := e.store.View(ctx, func(tx mosaic.ReadTx) error {
		j, err := tx.Job(r.job.ID)
		if err == nil {
			state = j.State
		}
		return err
	})
	if err != nil {
		return
	}
	switch {
	case state == mosaic.JobCancelling:
		r.cancel(ErrJobCancelled)
	case state.Terminal() && !r.isFinished():
		r.cancel(errTakenOver)
	}
}

// supervise runs beside a job on an engine that shares its store: it
// writes the job's progress to the store when it changed, at most every
// progressEvery, so that every instance reports it, and reads the job's
// state every safetyNet (see check).
func (e *Engine) supervise(ctx context.Context, r *Run) {
	t := time.NewTicker(progressEvery)
	defer t.Stop()
	var flushed *mosaic.JobProgress
	lastCheck := time.Now()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		flushed = e.flushProgress(ctx, r, flushed)
		if time.Since(lastCheck) >= safetyNet {
			lastCheck = time.Now()
			e.check(ctx, r)
		}
	}
}

// progressEvery is how often, at most, a running job's progress is written
// to a shared store.
const progressEvery = 500 * time.Millisecond

// waitTerminal waits until job id is terminal and returns it, or returns
// the job as it is when ctx ends or, with limit > 0, after limit.
func (e *Engine) waitTerminal(ctx context.Context, id string, limit time.Duration) (*mosaic.Job, error) {
	var deadline <-chan time.Time
	if limit > 0 {
		t := time.NewTimer(limit)
		defer t.Stop()
		deadline = t.C
	}
	net := time.NewTicker(safetyNet)
	defer net.Stop()
	for {
		ch, release := e.watch(id)
		j, err := e.Job(ctx, id)
		if err != nil || j.State.Terminal() {
			release()
			return j, err
		}
		select {
		case <-ch:
		case <-net.C:
		case <-deadline:
			release()
			return j, nil
		case <-ctx.Done():
			release()
			return j, nil
		}
		release()
	}
}
