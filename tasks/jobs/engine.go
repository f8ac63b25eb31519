package jobs

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"runtime/debug"
	"sync"
	"time"

	"github.com/tessera-gis/tessera/mosaic"
	"github.com/tessera-gis/tessera/raster"
)

// Config configures an Engine.
type Config struct {
	// ServicesURL is the public URL of the services directory, e.g.
	// http://127.0.0.1:8080/arcgis/rest/services; result URLs start with it.
	ServicesURL string
	// Retention is how long finished job records are kept. Default 24h.
	Retention time.Duration
	// RecycleRetention is how long deleted items stay restorable. Default 7 days.
	RecycleRetention time.Duration
	// Timeouts per task name (any case); DefaultTimeout for the rest.
	// Default 1h.
	Timeouts       map[string]time.Duration
	DefaultTimeout time.Duration
	// MaxQueuedPerUser caps unfinished jobs per user (0 = 1000).
	MaxQueuedPerUser int
	// Workers is the number of jobs the queue runs at once (default 4). A
	// queued job is reported as esriJobWaiting while they are all busy.
	Workers int
	// JobsPerUser caps the jobs one user runs at once, across every
	// instance sharing the store, so that nobody can hold every worker: a
	// user's further jobs wait in the queue (esriJobWaiting), behind other
	// users' jobs. Callers without an account count as one user,
	// "anonymous". Default: Workers/2, at least 1, for each live instance
	// (so that a user's jobs spread over the instances a cluster adds).
	JobsPerUser int
	// UserWait is how long a job held back by JobsPerUser waits before the
	// queue offers it again (default 500 ms).
	UserWait time.Duration
	Logger   *slog.Logger
	// Instance names this engine among several sharing one store (which
	// must implement ClusterTx); empty for a store of its own. See
	// cluster.go.
	Instance string
	// InstanceInfo describes the instance in its heartbeat (e.g. its URL).
	InstanceInfo string
	// InstanceTimeout is how long an instance may go without a heartbeat
	// before the others fail its running jobs. Default 15s.
	InstanceTimeout time.Duration
	// Stores are the data stores jobs may read (raster.NewStores). Nil
	// refuses every raster and manifest.
	Stores *raster.Stores
	// Observer, if set, is told when jobs start, end or are refused, for
	// metrics.
	Observer Observer
}

// Observer is told about the jobs an engine runs. Its methods are called
// outside store transactions and must return quickly.
type Observer interface {
	// JobStarted is called when a worker of this process claims a job
	// that waited in the queue for waited.
	JobStarted(task string, waited time.Duration)
	// JobFinished is called when a job that ran in this process ends in
	// state after running for ran.
	JobFinished(task string, state mosaic.JobState, ran time.Duration)
	// JobRefused is called when a submission is refused because its user
	// has too many unfinished jobs.
	JobRefused(task string)
}

// nopObserver is the Observer of an engine without one.
type nopObserver struct{}

func (nopObserver) JobStarted(string, time.Duration)                   {}
func (nopObserver) JobFinished(string, mosaic.JobState, time.Duration) {}
func (nopObserver) JobRefused(string)                                  {}

// Errors that cancel a job's context, telling why it stopped.
var (
	ErrJobCancelled = errors.New("job cancelled by a user")
	ErrShutdown     = errors.New("server shutting down")
	errTimedOut     = errors.New("job timed out")
)

// Engine runs geoprocessing tasks as durable jobs. It implements
// mosaic.JobService.
type Engine struct {
	store mosaic.Store
	queue Queue
	cfg   Config
	log   *slog.Logger
	tasks []Task
	byKey map[string]Task
	// badTimeouts are Config.Timeouts keys that name no task.
	badTimeouts []string
	// perUserPerInstance is set when Config.JobsPerUser was not given: the
	// default applies to each live instance.
	perUserPerInstance bool

	mu      sync.Mutex
	running map[string]*Run // jobs executing in this process
	// working counts, by job, the calls of work in progress here (from
	// before the claim until the outcome is recorded or given up): a job
	// that this instance claimed and works on no more is one whose final
	// write was lost (see reapClaimed).
	working map[string]int
	done    map[string]*waiters // job signals (signal.go)
	cancels map[string]bool     // cancels asked for but not yet recorded
	// boundary holds pending boundary refreshes by collection name;
	// refreshing the collections whose refresh is running.
	boundary   map[string]*boundaryRefresh
	refreshing map[string]bool
	bg         sync.WaitGroup  // pending and running boundary refreshes
	bgCtx      context.Context // cancelled by Stop, ending a running refresh
	bgCancel   context.CancelFunc
	stopped    bool

	stopMaint context.CancelFunc
	maintDone chan struct{}
	// With several instances: stopBeat ends the heartbeat loop, which then
	// closes beatDone.
	stopBeat context.CancelFunc
	beatDone chan struct{}
	// stopListen ends the Notifier's Listen, which then closes listenDone.
	stopListen context.CancelFunc
	listenDone chan struct{}
}

var _ mosaic.JobService = (*Engine)(nil)

// New returns an engine for tasks. Call Start to run jobs.
func New(store mosaic.Store, queue Queue, cfg Config, tasks ...Task) *Engine {
	if cfg.Retention <= 0 {
		cfg.Retention = 24 * time.Hour
	}
	if cfg.RecycleRetention <= 0 {
		cfg.RecycleRetention = 7 * 24 * time.Hour
	}
	if cfg.DefaultTimeout <= 0 {
		cfg.DefaultTimeout = time.Hour
	}
	if cfg.MaxQueuedPerUser <= 0 {
		cfg.MaxQueuedPerUser = 1000
	}
	if cfg.Workers <= 0 {
		cfg.Workers = 4
	}
	perInstance := cfg.JobsPerUser <= 0
	if perInstance {
		cfg.JobsPerUser = max(1, cfg.Workers/2)
	}
	if cfg.UserWait <= 0 {
		cfg.UserWait = 500 * time.Millisecond
	}
	if cfg.InstanceTimeout <= 0 {
		cfg.InstanceTimeout = 15 * time.Second
	}
	timeouts := map[string]time.Duration{}
	for k, d := range cfg.Timeouts {
		timeouts[lowerASCII(k)] = d
	}
	given := cfg.Timeouts
	cfg.Timeouts = timeouts
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	if cfg.Observer == nil {
		cfg.Observer = nopObserver{}
	}
	e := &Engine{store: store, queue: queue, cfg: cfg, log: cfg.Logger,
		byKey: map[string]Task{}, running: map[string]*Run{}, working: map[string]int{}, done: map[string]*waiters{},
		cancels: map[string]bool{}, boundary: map[string]*boundaryRefresh{},
		refreshing: map[string]bool{}, perUserPerInstance: perInstance}
	e.bgCtx, e.bgCancel = context.WithCancel(context.Background())
	for _, t := range tasks {
		e.tasks = append(e.tasks, t)
		e.byKey[lowerASCII(t.Info().Name)] = t
	}
	for k := range given {
		if _, ok := e.byKey[lowerASCII(k)]; !ok {
			e.badTimeouts = append(e.badTimeouts, k)
		}
	}
	return e
}

// CheckTimeouts reports an error if a per-task timeout names no task.
func (e *Engine) CheckTimeouts() error {
	if len(e.badTimeouts) > 0 {
		return mosaic.Errorf(mosaic.EINVALID, "No task is called %q.", e.badTimeouts[0])
	}
	return nil
}

// Start recovers jobs interrupted by an earlier process, starts the queue
// and the maintenance loop (job expiry and recycle-bin purge).
//
// A job that was executing when its process died is marked failed: every
// task commits its catalog changes and its final state in one transaction,
// so such a job committed nothing, and its messages say so; the items an
// ingest had staged are deleted. It is never re-run behind the user's back. A job still
// queued is queued again (the queue may have taken it just before the
// crash); the compare-and-set claim makes any duplicate a no-op.
//
// With Config.Instance, the engine shares its store with other instances:
// it registers a heartbeat and fails only the jobs of instances whose
// heartbeat expired (see cluster.go), at start and then periodically.
func (e *Engine) Start(ctx context.Context) error {
	if e.clustered() {
		if n, ok := e.queue.(Notifier); ok {
			// Listen before any job can start here, so that no cancel of
			// one is missed.
			lctx, stop := context.WithCancel(context.WithoutCancel(ctx))
			e.stopListen, e.listenDone = stop, make(chan struct{})
			go func() {
				defer close(e.listenDone)
				n.Listen(lctx, e.onMessage)
			}()
		}
		if err := e.heartbeat(ctx); err != nil {
			e.stopListening()
			return err
		}
		if err := e.reap(ctx); err != nil {
			e.stopListening()
			return err
		}
	} else if err := e.recover(ctx); err != nil {
		return err
	}
	e.sweepTemp(ctx)
	if err := e.queue.Start(ctx, e.work); err != nil {
		e.stopListening()
		return fmt.Errorf("start queue: %w", err)
	}
	mctx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	e.stopMaint, e.maintDone = cancel, make(chan struct{})
	go e.maintain(mctx)
	if e.clustered() {
		bctx, stop := context.WithCancel(context.WithoutCancel(ctx))
		e.stopBeat, e.beatDone = stop, make(chan struct{})
		go e.beat(bctx, e.beatDone)
	}
	return nil
}

// Stop stops taking jobs, cancels running ones (they fail with a message
// that says nothing was committed) and waits for them or for ctx.
func (e *Engine) Stop(ctx context.Context) error {
	if e.stopMaint != nil {
		e.stopMaint()
		<-e.maintDone
	}
	e.mu.Lock()
	e.stopped = true
	for name, b := range e.boundary {
		if b.timer.Stop() { // else it is firing, and sees stopped
			e.bg.Done()
			delete(e.boundary, name)
		}
	}
	for _, r := range e.running {
		r.cancel(ErrShutdown)
	}
	e.mu.Unlock()
	err := e.queue.Stop(ctx)
	e.bgCancel()
	e.bg.Wait()
	if e.stopBeat != nil {
		// Beat until the jobs here have stopped and recorded how, so
		// that no other instance takes them for orphans meanwhile.
		e.stopBeat()
		<-e.beatDone
		e.leave()
	}
	e.stopListening()
	return err
}

// stopListening ends the Notifier's Listen, if it runs.
func (e *Engine) stopListening() {
	if e.stopListen != nil {
		e.stopListen()
		<-e.listenDone
		e.stopListen = nil
	}
}

func (e *Engine) recover(ctx context.Context) error {
	return e.store.Update(ctx, func(tx mosaic.Tx) error {
		jobs, err := tx.ActiveJobs()
		if err != nil {
			return err
		}
		for _, j := range jobs {
			switch j.State {
			case mosaic.JobNew, mosaic.JobSubmitted, mosaic.JobWaiting:
				err = e.queue.Enqueue(ctx, tx, j.ID, j.Priority)
			case mosaic.JobExecuting:
				removeTemp(j.ID)
				_, err = tx.FinishJob(j.ID, mosaic.JobFailed, nil, mosaic.ErrorMsg(
					"The server stopped while this job was running. A job's changes commit with its success, in one transaction, so it changed nothing. Submit the job again."))
			case mosaic.JobCancelling:
				removeTemp(j.ID)
				_, err = tx.FinishJob(j.ID, mosaic.JobCancelled, nil, mosaic.Info(
					"The server stopped while this job was being cancelled; it changed nothing."))
			}
			if err != nil {
				return err
			}
		}
		return nil
	})
}

// maintain expires old job records and purges the recycle bin.
func (e *Engine) maintain(ctx context.Context) {
	defer close(e.maintDone)
	// Check often enough that records go within a quarter of their
	// retention period after it ends.
	every := max(100*time.Millisecond, min(time.Minute, e.cfg.Retention/4, e.cfg.RecycleRetention/4))
	tick := time.NewTicker(every)
	defer tick.Stop()
	swept := time.Now() // by Start
	for {
		now := time.Now()
		err := e.store.Update(ctx, func(tx mosaic.Tx) error {
			if n, err := tx.ExpireJobs(now.Add(-e.cfg.Retention)); err != nil {
				return err
			} else if n > 0 {
				e.log.Info("expired job records", "count", n)
			}
			return nil
		})
		if err == nil {
			err = e.purgeRecycled(ctx, now.Add(-e.cfg.RecycleRetention))
		}
		if err == nil && now.Sub(swept) >= sweepEvery {
			swept = now
			e.sweepTemp(ctx)
		}
		if err != nil && ctx.Err() == nil {
			e.log.Error("maintenance", "err", err)
		}
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
	}
}

// purgeBatch is how many expired recycle-bin entries one transaction
// purges, so that purging never holds the write lock for long.
const purgeBatch = 2000

// purgeRecycled removes recycle-bin entries recycled before t, in batches.
func (e *Engine) purgeRecycled(ctx context.Context, before time.Time) error {
	var total int64
	for {
		var n int64
		err := e.store.Update(ctx, func(tx mosaic.Tx) (err error) {
			n, err = tx.PurgeRecycled(before, purgeBatch)
			return err
		})
		total += n
		if err != nil || n < purgeBatch {
			if total > 0 {
				e.log.Info("purged recycle bin", "items", total)
			}
			return err
		}
	}
}

// Tasks lists the tasks.
func (e *Engine) Tasks() []mosaic.TaskInfo {
	out := make([]mosaic.TaskInfo, 0, len(e.tasks))
	for _, t := range e.tasks {
		out = append(out, t.Info())
	}
	return out
}

func (e *Engine) task(name string) (Task, error) {
	t, ok := e.byKey[lowerASCII(name)]
	if !ok {
		return nil, mosaic.Errorf(mosaic.ENOTFOUND, "Task %q does not exist.", name)
	}
	return t, nil
}

// Submit validates inputs and queues a job.
func (e *Engine) Submit(ctx context.Context, name string, inputs map[string]string, opts mosaic.SubmitOptions) (*mosaic.Job, error) {
	ctx = raster.WithStores(ctx, e.cfg.Stores)
	t, err := e.task(name)
	if err != nil {
		return nil, err
	}
	info := t.Info()
	if info.Permission != "" && !opts.User.Can(info.Permission) {
		return nil, mosaic.Errorf(mosaic.EFORBIDDEN, "You do not have permissions to access this resource or perform this operation.").
			WithDetails(fmt.Sprintf("%s needs the %s role.", info.Name, info.Permission))
	}
	in := map[string]string{}
	for _, p := range info.Params {
		if v, ok := inputs[p.Name]; ok && p.Direction == mosaic.ParamInput {
			in[p.Name] = v
		}
	}
	priority := opts.Priority
	if priority <= 0 || priority > 4 {
		priority = 2
	}
	j := &mosaic.Job{
		ID: mosaic.NewJobID(), Task: info.Name, State: mosaic.JobSubmitted, Inputs: in,
		Priority: priority, Owner: opts.User.DisplayName(), SubmittedAt: time.Now().UTC(),
		Messages: []mosaic.JobMessage{mosaic.Info("Submitted.")}, // as ArcGIS's jobs start
	}
	if opts.RequestID != "" {
		// Ties the job to the access log line of the request that made it,
		// after ArcGIS's own first message.
		j.Messages = append(j.Messages, mosaic.Info("Submitted by request "+opts.RequestID+"."))
	}
	err = e.store.Update(ctx, func(tx mosaic.Tx) error {
		if err := t.Validate(ctx, tx, in); err != nil {
			return err
		}
		// Not under the owner's lock (see OwnerLocker): a burst of one
		// user's submissions through several instances at once may pass
		// MaxQueuedPerUser by a few, which costs queue space only, while
		// serialising every submission of a user across the cluster would
		// hold a pooled connection per waiting request.
		if err := e.checkQueueLimit(tx, j.Owner); err != nil {
			return err
		}
		if err := tx.CreateJob(j); err != nil {
			return err
		}
		return e.queue.Enqueue(ctx, tx, j.ID, priority)
	})
	if err != nil {
		if mosaic.ErrorCode(err) == mosaic.ELIMIT {
			e.cfg.Observer.JobRefused(info.Name)
		}
		return nil, err
	}
	e.committed() // the job is visible now
	return j, nil
}

func (e *Engine) checkQueueLimit(tx mosaic.Tx, owner string) error {
	n, _, err := tx.OwnerJobCounts(owner)
	if err != nil {
		return err
	}
	if n >= e.cfg.MaxQueuedPerUser {
		return mosaic.Errorf(mosaic.ELIMIT, "Too many unfinished jobs.").WithDetails(
			fmt.Sprintf("%s already has %d unfinished jobs; the limit is %d.", owner, n, e.cfg.MaxQueuedPerUser))
	}
	return nil
}

// Execute submits a job and waits until it is terminal or ctx ends.
func (e *Engine) Execute(ctx context.Context, name string, inputs map[string]string, opts mosaic.SubmitOptions) (*mosaic.Job, error) {
	if opts.Priority == 0 {
		opts.Priority = 1 // synchronous callers are waiting
	}
	j, err := e.Submit(ctx, name, inputs, opts)
	if err != nil {
		return nil, err
	}
	cur, err := e.waitTerminal(ctx, j.ID, 0)
	if ctx.Err() != nil {
		// The caller is gone and can never read the result: stop the
		// job rather than let it change the catalog unseen.
		cctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
		cur, err := e.Cancel(cctx, j.ID)
		cancel()
		if err != nil {
			e.log.Warn("cancel abandoned execute", "job", j.ID, "err", err)
		}
		return cur, ctx.Err()
	}
	if err != nil {
		return nil, err
	}
	return cur, nil
}

// Job returns a job, with live progress if it runs in this process.
func (e *Engine) Job(ctx context.Context, id string) (*mosaic.Job, error) {
	var j *mosaic.Job
	err := e.store.View(ctx, func(tx mosaic.ReadTx) (err error) {
		j, err = tx.Job(id)
		return err
	})
	if err != nil {
		return nil, err
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.cancels[id] && !j.State.Terminal() {
		j.State = mosaic.JobCancelling // asked for; written when the write lock frees
		return j, nil
	}
	switch j.State {
	case mosaic.JobExecuting, mosaic.JobCancelling:
		if r, ok := e.running[id]; ok {
			j.Progress = r.progressSnapshot()
		}
	case mosaic.JobSubmitted:
		// Queued behind busy workers, or behind the owner's other jobs:
		// ArcGIS calls that waiting.
		if len(e.running) >= e.cfg.Workers || e.runningFor(j.Owner) >= e.cfg.JobsPerUser {
			j.State = mosaic.JobWaiting
		}
	}
	return j, nil
}

// runningFor counts the jobs of owner running in this process; e.mu must
// be held.
func (e *Engine) runningFor(owner string) int {
	n := 0
	for _, r := range e.running {
		if r.job.Owner == owner {
			n++
		}
	}
	return n
}

// ownerBusy reports whether owner already runs JobsPerUser jobs, in any
// process sharing the store (JobsPerUser for each live instance if it was
// not given).
func (e *Engine) ownerBusy(tx mosaic.Tx, owner string) (bool, error) {
	_, n, err := tx.OwnerJobCounts(owner)
	if err != nil {
		return false, err
	}
	limit := e.cfg.JobsPerUser
	if n >= limit && e.clustered() && e.perUserPerInstance {
		ct, err := clusterTx(tx)
		if err != nil {
			return false, err
		}
		live, err := ct.LiveInstances(e.cfg.InstanceTimeout)
		if err != nil {
			return false, err
		}
		limit *= max(1, len(live))
	}
	return n >= limit, nil
}

// cancelReply is how long Cancel waits for its record to be written before
// it answers (esriJobCancelling until the record is written).
const cancelReply = 250 * time.Millisecond

// Cancel stops a job that has not finished. A queued job is cancelled at
// once; an executing job is interrupted and rolls back its uncommitted work.
//
// A cancel takes effect in memory before it is written: a running job is
// interrupted first (its transaction may hold the database's write lock,
// which only the interrupt releases), and a queued job is marked so that no
// worker starts it. The record is written as soon as the write lock is
// free; if that takes more than cancelReply, the job reads as
// esriJobCancelling until then. A job running on another instance is
// stopped there by the record's signal (see signal.go).
func (e *Engine) Cancel(ctx context.Context, id string) (*mosaic.Job, error) {
	if _, err := e.Job(ctx, id); err != nil {
		return nil, err
	}
	e.mu.Lock()
	e.cancels[id] = true
	if r, ok := e.running[id]; ok {
		r.cancel(ErrJobCancelled)
	}
	e.mu.Unlock()
	recorded := make(chan error, 1)
	go func() {
		wctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Minute)
		defer cancel()
		var state mosaic.JobState
		err := e.store.Update(wctx, func(tx mosaic.Tx) (err error) {
			state, err = e.recordCancel(wctx, tx, id)
			return err
		})
		e.mu.Lock()
		delete(e.cancels, id)
		if r, ok := e.running[id]; ok && err == nil {
			r.cancel(ErrJobCancelled) // claimed just before the cancel was recorded
		}
		e.mu.Unlock()
		if err == nil && state != "" {
			e.signal(id, state, e.cfg.Instance)
		}
		if err != nil && mosaic.ErrorCode(err) != mosaic.ENOTFOUND {
			e.log.Error("record cancel", "job", id, "err", err)
		}
		recorded <- err
	}()
	reply := time.NewTimer(cancelReply)
	defer reply.Stop()
	select {
	case err := <-recorded:
		if err != nil {
			return nil, err
		}
	case <-reply.C:
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	return e.Job(ctx, id)
}

// recordCancel writes a cancel: a queued job becomes cancelled, an
// executing one cancelling (its worker, here or in another process, then
// records how it stopped). It returns the state written, if any.
func (e *Engine) recordCancel(ctx context.Context, tx mosaic.Tx, id string) (mosaic.JobState, error) {
	j, err := tx.Job(id)
	if err != nil {
		return "", err
	}
	switch j.State {
	case mosaic.JobNew, mosaic.JobSubmitted, mosaic.JobWaiting:
		ok, err := e.finishJob(ctx, tx, id, mosaic.JobCancelled, nil, mosaic.Info("Cancelled before it started; nothing was changed."))
		if err != nil || !ok {
			return "", err
		}
		return mosaic.JobCancelled, nil
	case mosaic.JobExecuting:
		ok, err := tx.TransitionJob(id, []mosaic.JobState{mosaic.JobExecuting}, mosaic.JobCancelling)
		if err != nil || !ok {
			return "", err
		}
		if err := tx.AddJobMessages(id, mosaic.Info("Cancel requested; stopping.")); err != nil {
			return "", err
		}
		return mosaic.JobCancelling, e.announce(ctx, tx, id, mosaic.JobCancelling)
	}
	return "", nil
}

// finishJob records a terminal state in tx and, if it was recorded,
// announces it to the other instances (the caller signals this process
// once tx commits).
func (e *Engine) finishJob(ctx context.Context, tx mosaic.Tx, id string, state mosaic.JobState, results map[string]mosaic.JobResult, msgs ...mosaic.JobMessage) (bool, error) {
	ok, err := tx.FinishJob(id, state, results, msgs...)
	if err != nil || !ok {
		return ok, err
	}
	return true, e.announce(ctx, tx, id, state)
}

// stopWait is how long Delete waits for an executing job to stop.
const stopWait = 10 * time.Second

// Delete cancels a job if needed, then removes its record.
func (e *Engine) Delete(ctx context.Context, id string) (*mosaic.Job, error) {
	j, err := e.Cancel(ctx, id)
	if err != nil {
		return nil, err
	}
	if !j.State.Terminal() {
		// Wait for an executing job to stop, so that its record is not
		// recreated by its final transaction.
		if j, err = e.waitTerminal(ctx, id, stopWait); err != nil {
			return nil, err
		}
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		if !j.State.Terminal() {
			return nil, mosaic.Errorf(mosaic.ECONFLICT, "Job %q is still stopping; try deleting it again.", id)
		}
	}
	err = e.store.Update(ctx, func(tx mosaic.Tx) error {
		if err := tx.DeleteJob(id); err != nil {
			return err
		}
		return e.announce(ctx, tx, id, jobDeleted)
	})
	if err != nil {
		return nil, err
	}
	e.signal(id, jobDeleted, e.cfg.Instance)
	j.State = mosaic.JobDeleted
	return j, nil
}

func (e *Engine) timeout(task string) time.Duration {
	if d, ok := e.cfg.Timeouts[lowerASCII(task)]; ok && d > 0 {
		return d
	}
	return e.cfg.DefaultTimeout
}

// work runs one job: it claims the job (submitted → executing), runs its
// task, and records the outcome. It never returns an error to the queue
// (the store, not the queue, holds the truth, and a job never runs twice)
// but a *Later when the job's owner already runs JobsPerUser jobs: the job
// stays queued, and the worker is free for other users' jobs.
func (e *Engine) work(ctx context.Context, id string) error {
	var (
		j         *mosaic.Job
		busy      bool
		cancelled mosaic.JobState
	)
	e.mu.Lock()
	e.working[id]++
	e.mu.Unlock()
	defer func() {
		e.mu.Lock()
		if e.working[id]--; e.working[id] <= 0 {
			delete(e.working, id)
		}
		e.mu.Unlock()
	}()
	err := e.store.Update(ctx, func(tx mosaic.Tx) error {
		j, busy, cancelled = nil, false, ""
		e.mu.Lock()
		asked := e.cancels[id]
		e.mu.Unlock()
		if asked {
			var err error
			cancelled, err = e.recordCancel(ctx, tx, id)
			return err
		}
		cur, err := tx.Job(id)
		if err != nil {
			return err
		}
		if cur.State != mosaic.JobSubmitted && cur.State != mosaic.JobWaiting {
			return nil // cancelled while queued, or already run
		}
		// Count and claim under the owner's lock, so that JobsPerUser
		// holds across instances racing for the owner's jobs.
		if err := e.lockOwner(ctx, tx, cur.Owner); err != nil {
			return err
		}
		if busy, err = e.ownerBusy(tx, cur.Owner); err != nil || busy {
			return err
		}
		ok, err := tx.TransitionJob(id, []mosaic.JobState{mosaic.JobSubmitted, mosaic.JobWaiting}, mosaic.JobExecuting)
		if err != nil || !ok {
			return err
		}
		if j, err = tx.Job(id); err != nil {
			return err
		}
		if err := tx.AddJobMessages(id, mosaic.Info("Executing..."),
			mosaic.Info("Start Time: "+time.Now().UTC().Format(esriTime))); err != nil {
			return err
		}
		return e.claimHere(tx, id)
	})
	if err != nil {
		if mosaic.ErrorCode(err) == mosaic.ENOTFOUND {
			return nil // deleted while queued
		}
		return err
	}
	if cancelled != "" {
		e.signal(id, cancelled, e.cfg.Instance)
	}
	if busy {
		return &Later{After: e.cfg.UserWait}
	}
	if j == nil {
		return nil // cancelled while queued, or already run
	}
	t, err := e.task(j.Task)
	if err != nil {
		_, err = e.finish(ctx, id, mosaic.JobFailed, mosaic.ErrorMsg(err.Error()))
		return err
	}

	rctx, cancel := context.WithCancelCause(context.WithoutCancel(ctx))
	defer cancel(nil)
	stopOnShutdown := context.AfterFunc(ctx, func() { cancel(ErrShutdown) })
	defer stopOnShutdown()
	rctx, cancelTimeout := context.WithTimeoutCause(rctx, e.timeout(j.Task), errTimedOut)
	defer cancelTimeout()
	r := &Run{engine: e, job: j, cancel: cancel, started: time.Now()}
	e.cfg.Observer.JobStarted(j.Task, r.started.Sub(j.SubmittedAt))
	e.mu.Lock()
	e.running[id] = r
	e.mu.Unlock()
	defer func() {
		e.mu.Lock()
		delete(e.running, id)
		e.mu.Unlock()
	}()
	if e.clustered() {
		go e.supervise(rctx, r)
		// A cancel recorded by another instance between the claim and
		// now sent its signal before this job was listed as running.
		go e.check(rctx, r)
	}

	runErr := safeRun(raster.WithStores(rctx, e.cfg.Stores), t, r)
	if r.isFinished() {
		e.cfg.Observer.JobFinished(j.Task, mosaic.JobSucceeded, time.Since(r.started))
		return nil
	}
	elapsed := fmt.Sprintf("(Elapsed Time: %.2f seconds)", time.Since(r.started).Seconds())
	cause := context.Cause(rctx)
	state := mosaic.JobFailed
	defer func() { e.cfg.Observer.JobFinished(j.Task, state, time.Since(r.started)) }()
	switch {
	case errors.Is(cause, errTakenOver):
		return nil // another instance recorded the outcome
	case runErr == nil:
		state = mosaic.JobSucceeded
		_, err = e.finish(ctx, id, mosaic.JobSucceeded, mosaic.Info("Succeeded at "+time.Now().UTC().Format(esriTime)+" "+elapsed))
	case errors.Is(cause, ErrJobCancelled):
		state = mosaic.JobCancelled
		_, err = e.finish(ctx, id, mosaic.JobCancelled, mosaic.Info("Cancelled; uncommitted changes were rolled back "+elapsed+"."))
	case errors.Is(cause, errTimedOut):
		state = mosaic.JobTimedOut
		_, err = e.finish(ctx, id, mosaic.JobTimedOut, mosaic.ErrorMsg(fmt.Sprintf(
			"Timed out after %s; uncommitted changes were rolled back.", e.timeout(j.Task))))
	case errors.Is(cause, errLostStore):
		_, err = e.finish(ctx, id, mosaic.JobFailed, mosaic.ErrorMsg(fmt.Sprintf(
			"The server running this job lost contact with the database for more than %s; uncommitted changes were rolled back. Submit it again to finish it.", e.cfg.InstanceTimeout)))
	case errors.Is(cause, ErrShutdown):
		_, err = e.finish(ctx, id, mosaic.JobFailed, mosaic.ErrorMsg(
			"The server shut down while this job was running; uncommitted changes were rolled back. Submit it again to finish it."))
	case errors.Is(runErr, mosaic.ErrConnectionLost):
		// Were the connection lost during the COMMIT of the job's success,
		// and the COMMIT done, this failure would not be recorded:
		// FinishJob keeps a recorded outcome.
		e.log.Warn("job failed: connection to the database lost", "job", id, "task", j.Task, "err", runErr)
		_, err = e.finish(ctx, id, mosaic.JobFailed, mosaic.ErrorMsg(
			"The server running this job lost its connection to the database; the job's changes were rolled back. Submit it again."),
			mosaic.ErrorMsg("Failed at "+time.Now().UTC().Format(esriTime)+" "+elapsed))
	default:
		msg := mosaic.ErrorMessage(runErr)
		if d := mosaic.ErrorDetails(runErr); len(d) > 0 {
			msg += " " + d[0]
		}
		if mosaic.ErrorCode(runErr) == mosaic.EINTERNAL {
			e.log.Error("job failed", "job", id, "task", j.Task, "err", runErr)
		}
		_, err = e.finish(ctx, id, mosaic.JobFailed, mosaic.ErrorMsg(msg), mosaic.ErrorMsg("Failed at "+time.Now().UTC().Format(esriTime)+" "+elapsed))
	}
	return err
}

// finish records a terminal state in its own transaction, unaffected by the
// job's cancelled context, and signals it. A write that fails because the
// database connection was lost is tried again, backing off from 100 ms to
// 5 s, until it succeeds or ctx (the queue's, which ends at shutdown) ends:
// a job whose outcome is not recorded would read as executing for as long
// as this instance lives, and hold one of its owner's JobsPerUser places.
// A write that fails otherwise is tried once more with a plain message (in
// case the messages were what the store refused), then given up. (A job
// whose outcome was given up is failed by reapClaimed at the next
// heartbeat, or by the instances that find this one gone.)
func (e *Engine) finish(ctx context.Context, id string, state mosaic.JobState, msgs ...mosaic.JobMessage) (bool, error) {
	wait := 100 * time.Millisecond
	plain := false
	for {
		ok, err := e.finishOnce(ctx, id, state, msgs...)
		if err == nil {
			return ok, nil
		}
		if ctx.Err() != nil {
			e.log.Error("record job outcome", "job", id, "state", state, "err", err)
			return false, err
		}
		if !errors.Is(err, mosaic.ErrConnectionLost) {
			if plain {
				e.log.Error("record job outcome; giving up", "job", id, "state", state, "err", err)
				return false, err
			}
			e.log.Error("record job outcome; trying again with a plain message", "job", id, "state", state, "err", err)
			plain = true
			note := mosaic.ErrorMsg
			if state == mosaic.JobSucceeded {
				note = mosaic.Info
			}
			msgs = []mosaic.JobMessage{note("The job ended (" + string(state) + "), but its final messages could not be recorded.")}
			continue
		}
		e.log.Warn("record job outcome; retrying", "job", id, "state", state, "err", err, "after", wait)
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
		case <-t.C:
		}
		wait = min(2*wait, 5*time.Second)
	}
}

// finishOnce is one attempt of finish.
func (e *Engine) finishOnce(ctx context.Context, id string, state mosaic.JobState, msgs ...mosaic.JobMessage) (bool, error) {
	var ok bool
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), time.Minute)
	defer cancel()
	err := e.store.Update(ctx, func(tx mosaic.Tx) (err error) {
		ok, err = e.finishJob(ctx, tx, id, state, nil, msgs...)
		return err
	})
	if err == nil && ok {
		e.signal(id, state, e.cfg.Instance)
	}
	return ok, err
}

// safeRun runs a task, turning a panic into an internal error.
func safeRun(ctx context.Context, t Task, r *Run) (err error) {
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("task %s panicked: %v\n%s", r.job.Task, p, debug.Stack())
		}
	}()
	return t.Run(ctx, r)
}

// esriTime is the time format of ArcGIS job messages.
const esriTime = "Mon Jan 02 15:04:05 2006"

func lowerASCII(s string) string {
	b := []byte(s)
	for i, c := range b {
		if 'A' <= c && c <= 'Z' {
			b[i] = c + 'a' - 'A'
		}
	}
	return string(b)
}
