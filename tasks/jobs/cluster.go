package jobs

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/tessera-gis/tessera/mosaic"
)

// Several servers (instances) may run one engine each on a shared store
// (PostgreSQL). The queue hands each job to one of them (River claims a job
// exactly once across processes, and the engine's compare-and-set claim
// makes any duplicate a no-op); the store holds every job's state, messages
// and progress, so that any instance answers for any job; a cancel is a
// state in the store, which reaches the instance running the job as a
// signal (signal.go). Each instance writes a heartbeat; a job whose
// instance has been silent for Config.InstanceTimeout is failed by the
// others (never re-run), and a queued job that the queue lost with its
// instance is queued again.
//
// Liveness depends only on the process being alive and the store being
// reachable: the heartbeat goes through the store's Heartbeater, on a
// connection of its own, never through the connection pool that requests
// and jobs share (an instance whose pool is exhausted by slow queries is
// busy, not dead); and the loop that writes it never waits for the pool
// (taking over other instances' jobs runs beside it).

// Heartbeater is a store shared by several instances that writes their
// heartbeats on a connection of its own, outside the pool that its
// transactions use, reconnecting as needed. *postgis.DB implements it.
type Heartbeater interface {
	// Heartbeat records that instance is alive, registering it if new,
	// retrying until it succeeds or ctx ends.
	Heartbeat(ctx context.Context, instance, info string) error
	// LeaveCluster removes instance, which stopped cleanly.
	LeaveCluster(ctx context.Context, instance string) error
}

// ClusterTx is a store transaction that knows the instances sharing the
// store. Package mosaic/postgis's Tx implements it. Times are the store's.
type ClusterTx interface {
	mosaic.Tx
	// LiveInstances returns the instances heard from within ttl.
	LiveInstances(ttl time.Duration) ([]string, error)
	// ClaimJob records that instance runs job id.
	ClaimJob(id, instance string) error
	// OrphanedJobs returns the executing or cancelling jobs whose instance
	// has not been heard from within ttl, and those instances' names.
	OrphanedJobs(ttl time.Duration) ([]*mosaic.Job, []string, error)
	// ClaimedJobs returns the executing or cancelling jobs that instance
	// claimed.
	ClaimedJobs(instance string) ([]*mosaic.Job, error)
}

// LostFinder is a Queue that can tell which queued jobs it will never run
// (their queue entry went with a dead instance). The engine queues those
// again.
type LostFinder interface {
	// Lost returns those of ids that no live instance (live names them)
	// will run, in tx; ids have been queued for longer than stale, and a
	// queue entry taken that long ago but not claimed is lost too.
	Lost(ctx context.Context, tx mosaic.Tx, ids, live []string, stale time.Duration) ([]string, error)
}

// errTakenOver cancels a job that another instance has finished for this
// one (it thought this instance dead): its outcome is already recorded.
var errTakenOver = errors.New("job finished by another instance")

// errLostStore cancels jobs when this instance cannot write its heartbeat:
// the others will soon take its jobs over.
var errLostStore = errors.New("lost contact with the database")

func (e *Engine) clustered() bool { return e.cfg.Instance != "" }

func clusterTx(tx mosaic.Tx) (ClusterTx, error) {
	ct, ok := tx.(ClusterTx)
	if !ok {
		return nil, fmt.Errorf("several instances need a store that supports them (PostgreSQL); a %T does not", tx)
	}
	return ct, nil
}

func (e *Engine) heartbeater() (Heartbeater, error) {
	h, ok := e.store.(Heartbeater)
	if !ok {
		return nil, fmt.Errorf("several instances need a store that supports them (PostgreSQL); a %T does not", e.store)
	}
	return h, nil
}

// heartbeat writes this instance's heartbeat, trying for at most
// InstanceTimeout.
func (e *Engine) heartbeat(ctx context.Context) error {
	h, err := e.heartbeater()
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(ctx, e.cfg.InstanceTimeout)
	defer cancel()
	return h.Heartbeat(ctx, e.cfg.Instance, e.cfg.InstanceInfo)
}

// claimHere records, in the claiming transaction, that this instance runs
// job id.
func (e *Engine) claimHere(tx mosaic.Tx, id string) error {
	if !e.clustered() {
		return nil
	}
	ct, err := clusterTx(tx)
	if err != nil {
		return err
	}
	if err := ct.ClaimJob(id, e.cfg.Instance); err != nil {
		return err
	}
	return tx.AddJobMessages(id, mosaic.Info("Running on instance "+e.cfg.Instance+"."))
}

// reap finishes the jobs of instances that stopped sending heartbeats and
// queues again the queued jobs that the queue lost with them.
func (e *Engine) reap(ctx context.Context) error {
	ttl := e.cfg.InstanceTimeout
	var (
		requeued int
		ended    map[string]mosaic.JobState
	)
	err := e.store.Update(ctx, func(tx mosaic.Tx) error {
		requeued, ended = 0, map[string]mosaic.JobState{}
		ct, err := clusterTx(tx)
		if err != nil {
			return err
		}
		jobs, owners, err := ct.OrphanedJobs(ttl)
		if err != nil {
			return err
		}
		for i, j := range jobs {
			e.mu.Lock()
			_, here := e.running[j.ID]
			e.mu.Unlock()
			if here {
				continue // this instance's heartbeat lapsed, but the job runs here
			}
			who := "an instance that is no longer running"
			if owners[i] != "" {
				who = fmt.Sprintf("instance %s, silent for more than %s", owners[i], ttl)
			}
			var ok bool
			state := mosaic.JobFailed
			if j.State == mosaic.JobCancelling {
				state = mosaic.JobCancelled
				ok, err = e.finishJob(ctx, tx, j.ID, state, nil, mosaic.Info(
					"The server running this job ("+who+") stopped while it was being cancelled; it changed nothing."))
			} else {
				ok, err = e.finishJob(ctx, tx, j.ID, state, nil, mosaic.ErrorMsg(
					"The server stopped while this job was running ("+who+"). A job's changes commit with its success, in one transaction, so it changed nothing. Submit the job again."))
			}
			if err != nil {
				return err
			}
			if ok {
				ended[j.ID] = state
			}
		}
		if err := e.reapClaimed(ctx, ct, ended); err != nil {
			return err
		}
		lf, ok := e.queue.(LostFinder)
		if !ok {
			return nil
		}
		active, err := tx.ActiveJobs()
		if err != nil {
			return err
		}
		var queued []string
		prio := map[string]int{}
		old := time.Now().Add(-ttl)
		for _, j := range active {
			switch j.State {
			case mosaic.JobNew, mosaic.JobSubmitted, mosaic.JobWaiting:
				if j.SubmittedAt.Before(old) {
					queued = append(queued, j.ID)
					prio[j.ID] = j.Priority
				}
			}
		}
		if len(queued) == 0 {
			return nil
		}
		live, err := ct.LiveInstances(ttl)
		if err != nil {
			return err
		}
		lost, err := lf.Lost(ctx, tx, queued, live, ttl)
		if err != nil {
			return err
		}
		for _, id := range lost {
			if err := e.queue.Enqueue(ctx, tx, id, prio[id]); err != nil {
				return err
			}
			requeued++
		}
		return nil
	})
	if err != nil {
		return err
	}
	for id, state := range ended {
		removeTemp(id) // if the instance ran on this host
		e.signal(id, state, e.cfg.Instance)
	}
	if len(ended) > 0 || requeued > 0 {
		e.log.Warn("took over the jobs of stopped instances", "failed", len(ended), "requeued", requeued)
	}
	if requeued > 0 {
		e.committed()
	}
	return nil
}

// reapClaimed finishes, in tx, the jobs that this instance claimed but no
// longer works on, adding them to ended: their outcome was never recorded
// here. A claim whose commit was reported failed (the connection dropped
// during COMMIT) although it committed leaves such a job, and so does a
// final write given up at shutdown. Each committed nothing of its own: a
// job's changes commit with its success, in one transaction.
//
// A job is listed in working from before its claim until its outcome is
// written, so a job read here as claimed and then not found in working is
// one whose work has ended; and FinishJob keeps an outcome that committed
// meanwhile.
func (e *Engine) reapClaimed(ctx context.Context, ct ClusterTx, ended map[string]mosaic.JobState) error {
	jobs, err := ct.ClaimedJobs(e.cfg.Instance)
	if err != nil {
		return err
	}
	for _, j := range jobs {
		e.mu.Lock()
		_, busy := e.working[j.ID]
		e.mu.Unlock()
		if busy {
			continue
		}
		var ok bool
		state := mosaic.JobFailed
		if j.State == mosaic.JobCancelling {
			state = mosaic.JobCancelled
			ok, err = e.finishJob(ctx, ct, j.ID, state, nil, mosaic.Info(
				"Instance "+e.cfg.Instance+" lost its connection to the database while this job was being cancelled; it changed nothing."))
		} else {
			ok, err = e.finishJob(ctx, ct, j.ID, state, nil, mosaic.ErrorMsg(
				"Instance "+e.cfg.Instance+" lost its connection to the database while it started or ended this job, and could not record how it ended. A job's changes commit with its success, in one transaction, so it changed nothing. Submit the job again."))
		}
		if err != nil {
			return err
		}
		if ok {
			ended[j.ID] = state
		}
	}
	return nil
}

// beat writes heartbeats every third of InstanceTimeout until ctx ends,
// and after each one that got through, has reapLoop look for stopped
// instances. If no heartbeat gets through for InstanceTimeout, the jobs
// running here are stopped: the other instances will take them over. It
// closes done when both loops have returned.
func (e *Engine) beat(ctx context.Context, done chan<- struct{}) {
	defer close(done)
	reapNow := make(chan struct{}, 1)
	reaped := make(chan struct{})
	go e.reapLoop(ctx, reapNow, reaped)
	defer func() { <-reaped }()
	every := e.cfg.InstanceTimeout / 3
	tick := time.NewTicker(every)
	defer tick.Stop()
	last := time.Now()
	for {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
		if err := e.heartbeat(ctx); err != nil {
			if ctx.Err() != nil {
				return
			}
			e.log.Error("heartbeat", "instance", e.cfg.Instance, "err", err)
			if time.Since(last) > e.cfg.InstanceTimeout {
				e.mu.Lock()
				for _, r := range e.running {
					r.cancel(errLostStore)
				}
				e.mu.Unlock()
			}
			continue
		}
		last = time.Now()
		select {
		case reapNow <- struct{}{}:
		default: // a reap is pending or running (the pool is busy)
		}
	}
}

// reapLoop reaps (on the pool, which may keep it waiting) each time beat
// asks, until ctx ends; then it closes done.
func (e *Engine) reapLoop(ctx context.Context, now <-chan struct{}, done chan<- struct{}) {
	defer close(done)
	for {
		select {
		case <-ctx.Done():
			return
		case <-now:
		}
		if err := e.reap(ctx); err != nil && ctx.Err() == nil {
			e.log.Error("take over jobs of stopped instances", "err", err)
		}
	}
}

// leave removes this instance's heartbeat at a clean stop.
func (e *Engine) leave() {
	h, err := e.heartbeater()
	if err == nil {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		err = h.LeaveCluster(ctx, e.cfg.Instance)
	}
	if err != nil {
		e.log.Warn("leave", "instance", e.cfg.Instance, "err", err)
	}
}

// flushProgress writes a running job's progress to the store, if it changed
// since last, so that other instances can report it.
func (e *Engine) flushProgress(ctx context.Context, r *Run, last *mosaic.JobProgress) *mosaic.JobProgress {
	r.mu.Lock()
	p := r.progress
	r.mu.Unlock()
	if p == nil || last != nil && *p == *last {
		return last
	}
	cp := *p
	err := e.store.Update(ctx, func(tx mosaic.Tx) error { return tx.SetJobProgress(r.job.ID, &cp) })
	if err != nil {
		return last
	}
	return &cp
}
