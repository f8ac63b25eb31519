package jobs

import (
	"context"
	"time"

	"github.com/tessera-gis/tessera/mosaic"
)

// Boundary refreshes wait boundaryDelay after the last change to a
// collection, and longer while jobs run, but never more than boundaryMaxWait.
const (
	boundaryDelay   = 300 * time.Millisecond
	boundaryMaxWait = 10 * time.Second
)

type boundaryRefresh struct {
	timer *time.Timer
	first time.Time
}

// RefreshBoundary brings the stored boundary of a collection up to date in
// the background. Reads are correct without it (they compute stale cells on
// the fly); it makes them cheap. The unions are computed from a read
// snapshot and stored by a short write (UpdateBoundary). Requests are
// coalesced, one refresh per collection boundaryDelay after the last
// change, and put off while jobs execute, since even the short write takes
// the write lock a job may need; refreshes of one collection never overlap.
func (e *Engine) RefreshBoundary(name string) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.stopped {
		return
	}
	if b, ok := e.boundary[name]; ok {
		b.timer.Reset(refreshDelay(time.Since(b.first)))
		return
	}
	e.bg.Add(1)
	e.boundary[name] = &boundaryRefresh{first: time.Now(),
		timer: time.AfterFunc(boundaryDelay, func() { e.runBoundaryRefresh(name) })}
}

// refreshDelay is how long a refresh first asked for waited ago still
// waits after a new change: boundaryDelay, but no later than boundaryMaxWait
// after the first request, so that a steady stream of changes less than
// boundaryDelay apart cannot put the refresh off for ever.
func refreshDelay(waited time.Duration) time.Duration {
	return max(0, min(boundaryDelay, boundaryMaxWait-waited))
}

func (e *Engine) runBoundaryRefresh(name string) {
	e.mu.Lock()
	b, ok := e.boundary[name]
	if !ok {
		e.mu.Unlock()
		return
	}
	if e.stopped {
		delete(e.boundary, name)
		e.mu.Unlock()
		e.bg.Done()
		return
	}
	if (len(e.running) > 0 && time.Since(b.first) < boundaryMaxWait) || e.refreshing[name] {
		b.timer.Reset(boundaryDelay)
		e.mu.Unlock()
		return
	}
	delete(e.boundary, name)
	e.refreshing[name] = true
	e.mu.Unlock()
	defer func() {
		e.mu.Lock()
		delete(e.refreshing, name)
		e.mu.Unlock()
		e.bg.Done()
	}()
	ctx, cancel := context.WithTimeout(e.bgCtx, 10*time.Minute)
	defer cancel()
	if err := e.UpdateBoundary(ctx, name); err != nil && mosaic.ErrorCode(err) != mosaic.ENOTFOUND && e.bgCtx.Err() == nil {
		e.log.Warn("refresh boundary", "collection", name, "err", err)
	}
}

// UpdateBoundary computes the stale parts of a collection's boundary from a
// read snapshot and stores those still current, in a short write.
func (e *Engine) UpdateBoundary(ctx context.Context, name string) error {
	var (
		c *mosaic.Collection
		p *mosaic.BoundaryPatch
	)
	err := e.store.View(ctx, func(tx mosaic.ReadTx) (err error) {
		if c, err = tx.Collection(mosaic.CollectionRef{Name: name}); err != nil {
			return err
		}
		p, err = tx.StaleBoundary(c)
		return err
	})
	if err != nil || len(p.Cells) == 0 {
		return err
	}
	return e.store.Update(ctx, func(tx mosaic.Tx) error {
		_, err := tx.UpdateBoundary(c, p)
		return err
	})
}

// WaitIdle waits until no job executes in this process and background
// boundary refreshes, including those scheduled, have finished, for tests
// and benchmarks. Waiters learn that a job succeeded when it commits, a
// moment before its goroutine schedules the refresh (AfterCommit), so
// waiting on the refreshes alone could return before they were asked for.
func (e *Engine) WaitIdle() {
	for {
		e.mu.Lock()
		n := len(e.running)
		e.mu.Unlock()
		if n == 0 {
			break
		}
		time.Sleep(5 * time.Millisecond)
	}
	e.bg.Wait()
}
