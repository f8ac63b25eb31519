package tasks

import (
	"context"
	"errors"
	"fmt"
	"runtime/debug"
	"strings"
	"sync/atomic"
	"time"

	"github.com/tessera-gis/tessera/mosaic"
	"github.com/tessera-gis/tessera/raster"
)

// The ingest shared by AddImage and CreateImageCollection:
//
//	list sources (ingest_sources.go: folders, globs, URLs, manifest rows;
//	streamed) → inspect + build items (ingest_pipeline.go and
//	ingest_items.go: one worker per core, bounded read-ahead, results in
//	input order) → batches of items staged in a temporary file (see
//	stage) → every item commits in one transaction with the job's success.
//
// A failed, cancelled or crashed job therefore adds nothing: no item, no
// field, no spatial reference. Memory holds one batch and the read-ahead
// window, whatever the number of rasters.

// maxWarnings caps the per-raster warnings in a job's messages; the counts
// stay exact.
const maxWarnings = 1000

// heldItems is how many items an ingest keeps in memory until its final
// transaction (some 30 MiB); past that, every batch is staged on disk. A
// small ingest thus spends nothing on its stage file. Tests lower it.
var heldItems atomic.Int64

func init() { heldItems.Store(16384) }

// commitChunk is how many staged items the final transaction adds at a
// time.
const commitChunk = 5000

// largeIngest is the number of sources (for DeleteImage, of removed
// items) past which a job gives its memory back to the system when it
// ends.
const largeIngest = 10000

// bulkAdd is how many sources make an ingest's final transaction a bulk
// add (mosaic.WithBulkAdd).
const bulkAdd = 1000

// ingestStats counts an ingest.
type ingestStats struct {
	Total, Failed int
	Staged        int // items read and set aside for the final transaction
	Batches       int
	done          int // sources read so far
	doneBatch     int // sources read when the last batch was staged
}

// prepareFunc returns, inside a transaction, the collection to add to; it
// may create it (CreateImageCollection).
type prepareFunc func(tx mosaic.Tx) (*mosaic.Collection, error)

// resultFunc adds task-specific keys to the job's result value.
type resultFunc func(c *mosaic.Collection, v map[string]any)

// ingester is one ingest: o's rasters into c, for the job r.
type ingester struct {
	ctx     context.Context
	r       *Run
	c       *mosaic.Collection
	o       *addOptions
	prepare prepareFunc // returns the collection inside the final transaction
	extra   resultFunc

	sources     *sourceSet
	results     *pipeline
	stopReading context.CancelFunc
	target      raster.SRS // the items' spatial reference; zero until known
	st          ingestStats
	remote      bool                // whether a remote source was read
	overlapping bool                // whether the final transaction reads the last sources
	readErr     error               // how a read that ended in the final transaction failed
	afterTx     []mosaic.JobMessage // its messages, logged after the rollback

	batch    []*mosaic.Item      // read, not yet staged
	held     []*mosaic.Item      // batches kept in memory for the final transaction, while few
	staged   *stage              // batches set aside on disk for the final transaction
	spilled  bool                // whether batches go to the stage
	pending  []mosaic.JobMessage // warnings not yet logged
	warned   int
	failures []string // in strict mode, why the job fails
}

// ingest adds o's rasters to c. Rasters are inspected by a worker pool
// sized to the cores; items are staged in batches, each reported in a
// message, and all commit in the transaction that records the job's
// success, with one audit entry. A job in which every raster fails fails;
// with o.Strict the first failure fails it. prepare returns the
// collection inside the final transaction (and may create it).
func ingest(ctx context.Context, r *Run, c *mosaic.Collection, o *addOptions, prepare prepareFunc, extra resultFunc) error {
	in := &ingester{ctx: ctx, r: r, c: c, o: o, prepare: prepare, extra: extra, staged: &stage{jobID: r.ID()}}
	defer in.staged.remove()
	defer in.release()
	defer func() {
		if in.stopReading != nil {
			in.stopReading()
		}
		if in.sources != nil && in.sources.stop != nil {
			in.sources.stop() // a walk still going
		}
	}()
	if err := in.list(); err != nil {
		return err
	}
	if err := in.read(); err != nil {
		return err
	}
	return in.finish()
}

// release gives the memory of a large ingest back to the system, so that
// a server that ingested a million rows does not stay at its peak: the
// store's caches (SQLite's page caches), then Go's free heap, then GDAL's
// block cache and glibc's free C heap.
func (in *ingester) release() {
	if in.st.Total >= largeIngest {
		in.batch, in.held, in.pending = nil, nil, nil
		releaseMemory(in.ctx, in.r.Store())
	}
}

// releaseMemory frees the memory that a large job leaves in the store's
// caches, Go's heap and the C heap. It runs after the job's outcome is
// committed, even if ctx is cancelled.
func releaseMemory(ctx context.Context, store mosaic.Store) {
	if rel, ok := store.(mosaic.MemoryReleaser); ok {
		ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
		// An error leaves the caches as they were: nothing to report.
		_ = rel.ReleaseMemory(ctx)
		cancel()
	}
	debug.FreeOSMemory()
	raster.ReleaseMemory()
}

// list starts listing the sources (a folder is walked in the background;
// see counted) and finds the items' spatial reference.
func (in *ingester) list() error {
	ctx, r, c, o := in.ctx, in.r, in.c, in.o
	if len(o.Ignored) > 0 {
		if err := r.Log(ctx, mosaic.Info("Ignored unknown options: "+strings.Join(o.Ignored, ", ")+".")); err != nil {
			return err
		}
	}
	r.Progress(0, "Listing rasters")
	set, err := listSources(ctx, o, c)
	if err != nil {
		return err
	}
	in.sources = set
	if len(set.notes) > 0 {
		if err := r.Log(ctx, set.notes...); err != nil {
			return err
		}
	}
	in.target, err = targetSRS(c, o)
	return err
}

// counted waits for the listing to count the sources, which the pipeline
// reads meanwhile (a folder is walked in the background), and says how
// many there are.
func (in *ingester) counted() error {
	ctx, r, c, o := in.ctx, in.r, in.c, in.o
	total, err := in.sources.count(ctx)
	if err != nil {
		return err
	}
	in.st.Total = total
	if err := r.Log(ctx, mosaic.Info(fmt.Sprintf("Adding %d rasters to %s.", total, c.Name))); err != nil {
		return err
	}
	if !c.SRS.IsZero() && o.OutSR != "" {
		if err := r.Log(ctx, mosaic.Info(fmt.Sprintf("outSR is ignored: %s already has a spatial reference.", c.Name))); err != nil {
			return err
		}
	}
	return nil
}

// read runs the pipeline over the sources, staging items in batches and
// noting failures. It returns the error that fails the job, if any. Near
// the end of a long read it may stop early (see overlaps): the final
// transaction then reads the rest.
func (in *ingester) read() error {
	ctx, o := in.ctx, in.o
	fields := append(append([]mosaic.Field(nil), in.c.Fields...), in.sources.newFields...)
	b := newBuilder(ctx, fields, o, in.target)
	pctx, stop := context.WithCancel(ctx)
	in.stopReading = stop
	in.results = newPipeline(pctx, in.sources, b, max(2*o.BatchSize, readAhead))
	if err := in.counted(); err != nil {
		return err
	}
	for !in.overlaps() {
		out, ok := in.results.Next()
		if !ok {
			return in.endRead(in.logNow, in.stopNow)
		}
		if !in.take(out) {
			return in.endRead(in.logNow, in.stopNow)
		}
		if len(in.batch) >= o.BatchSize {
			if err := in.stageBatch(); err != nil {
				return stopped(ctx, in.r, err)
			}
		}
	}
	in.overlapping = true
	return nil
}

// overlapReads bounds how many sources the final transaction may still
// have to read when it begins (a few seconds of reading).
const overlapReads = 16384

// overlaps reports whether the final transaction should begin now, while
// the last sources are read: adding the items read so far then overlaps
// the reads, instead of following them on one core while the others
// wait. It begins when as many sources are left as were read, and at most
// overlapReads: adding an item on the one connection that writes, beside
// the readers, takes about half as long as reading one, so the adds then
// keep up with the reads and the job ends soon after its last read (when
// it began with a third left, adding the items read by then still ran
// after the last read). The write lock is held that much longer than
// adding the items takes. Remote sources, which may stall, never overlap.
func (in *ingester) overlaps() bool {
	st := &in.st
	left := st.Total - st.done
	return left > 0 && left <= min(st.done, overlapReads) && !in.remote && !in.target.IsZero() &&
		st.Staged+len(in.batch) > 0 && len(in.failures) == 0
}

// readAhead is how many sources the pipeline reads ahead of the ingest at
// least: while the final transaction adds the items held so far, the
// readers go on (with 2×batchSize, the default 1,000, they stopped).
const readAhead = 4096

// take notes one outcome: an item in the batch, or a failure. It returns
// false when reading must stop (strict mode's first failure).
func (in *ingester) take(out outcome) bool {
	st := &in.st
	st.done++
	if st.done%32 == 1 || st.done == st.Total {
		in.r.Progress(st.done*100/max(1, st.Total), "Read %d of %d rasters; %d readable, %d failed", st.done, st.Total,
			st.Staged+len(in.batch), st.Failed)
	}
	if isRemote(out.src.Path) {
		in.remote = true
	}
	if out.err != nil {
		in.fail(out)
		return !in.o.Strict // strict: the first failure fails the job
	}
	if in.target.IsZero() {
		in.target = out.srs // the first readable raster's
	}
	in.batch = append(in.batch, out.item)
	return true
}

// logNow and stopNow are endRead's logging outside a transaction.
func (in *ingester) logNow(msgs ...mosaic.JobMessage) {
	lctx, cancel := context.WithTimeout(context.WithoutCancel(in.ctx), 10*time.Second)
	defer cancel()
	_ = in.r.Log(lctx, msgs...) // the job may be gone; the error matters
}

func (in *ingester) stopNow(err error) error { return stopped(in.ctx, in.r, err) }

// endRead checks how the read ended, once every outcome is taken: it
// returns the error that fails the job, logged with log or, for a read
// that was stopped, with stop.
func (in *ingester) endRead(log func(...mosaic.JobMessage), stop func(error) error) error {
	st, o := &in.st, in.o
	if err := in.ctx.Err(); err != nil {
		return stop(err)
	}
	if len(in.failures) == 0 {
		if err := in.results.Err(); err != nil {
			return stop(err)
		}
	}
	if in.warned < st.Failed && !o.Strict {
		in.pending = append(in.pending, mosaic.Warning(fmt.Sprintf("%d more rasters failed; they are not listed.", st.Failed-in.warned)))
	}
	if o.Strict && len(in.failures) > 0 {
		log(mosaic.Info(fmt.Sprintf("Stopped at the first failure (strict) after reading %d of %d rasters: %d readable, 1 failed; nothing was added.",
			st.done, st.Total, st.Staged+len(in.batch))))
		return mosaic.Errorf(mosaic.EINVALID, "%s Nothing was added (strict).", in.failures[0])
	}
	if st.Total > 0 && st.Failed == st.Total {
		// Nothing could be read: a failed job, with every reason listed.
		log(in.pending...)
		return mosaic.Errorf(mosaic.EINVALID, "None of the %d rasters could be added; nothing was changed.", st.Total).
			WithDetails("The warnings above say why each one failed.")
	}
	if len(in.batch) > 0 {
		st.Batches++
		st.Staged += len(in.batch)
	}
	return nil
}

// readInTx reads the sources left, inside the final transaction, adding
// each batch with add as it fills. Messages go into the transaction;
// those of a failure are kept in afterTx, logged once it rolled back.
func (in *ingester) readInTx(tx mosaic.Tx, add func([]*mosaic.Item) error) error {
	for {
		out, ok := in.results.Next()
		if !ok || !in.take(out) {
			break
		}
		if len(in.batch) < in.o.BatchSize {
			continue
		}
		if err := add(in.batch); err != nil {
			return err
		}
		if err := tx.AddJobMessages(in.r.ID(), in.batchRead()...); err != nil {
			return err
		}
		in.batch = in.batch[:0]
	}
	in.readErr = in.endRead(func(msgs ...mosaic.JobMessage) { in.afterTx = append(in.afterTx, msgs...) },
		func(err error) error {
			in.afterTx = append(in.afterTx, stoppedMessage)
			return err
		})
	return in.readErr
}

// stageBatch sets a full batch aside until the final transaction, and
// reports it.
func (in *ingester) stageBatch() error {
	switch {
	case !in.spilled && int64(len(in.held)+len(in.batch)) <= heldItems.Load():
		in.held = append(in.held, in.batch...)
	case !in.spilled:
		in.spilled = true
		if err := in.staged.write(in.held); err != nil {
			return err
		}
		in.held = nil
		fallthrough
	default:
		if err := in.staged.write(in.batch); err != nil {
			return err
		}
	}
	msgs := in.batchRead()
	in.batch = in.batch[:0]
	return in.r.Log(in.ctx, msgs...)
}

// batchRead counts a full batch and returns the messages that report it,
// after the warnings pending.
func (in *ingester) batchRead() []mosaic.JobMessage {
	st := &in.st
	st.Batches++
	st.Staged += len(in.batch)
	msgs := append(in.pending, mosaic.Info(fmt.Sprintf("Batch %d read: %d items staged (rasters %d–%d of %d); they are added when the job succeeds.",
		st.Batches, len(in.batch), st.doneBatch+1, st.done, st.Total)))
	st.doneBatch = st.done
	in.pending = nil
	return msgs
}

// fail notes a source that could not be added.
func (in *ingester) fail(out outcome) {
	in.st.Failed++
	why := fmt.Sprintf("Failed to add %s: %s.", out.src.label(), reason(out.err))
	if in.o.Strict {
		in.failures = append(in.failures, why)
		return
	}
	if in.warned < maxWarnings {
		in.pending = append(in.pending, mosaic.Warning(why))
		in.warned++
	}
}

// commit adds every staged item, in the job's final transaction. The
// collection's spatial reference and any new fields of a manifest are
// set in it too, and only when an item is added: an ingest that adds
// nothing changes nothing (withItems false).
func (in *ingester) commit(tx mosaic.Tx, withItems bool) (*mosaic.Collection, mosaic.AddResult, error) {
	var total mosaic.AddResult
	cur, err := in.prepare(tx)
	if err != nil || !withItems || in.st.Staged == 0 && !in.overlapping {
		return cur, total, err
	}
	if cur.SRS.IsZero() && !in.target.IsZero() {
		cur.SRS = mosaic.SpatialRef{WKID: in.target.EPSG, WKT: in.target.WKT}
		if err := tx.SetCollectionSRS(cur); err != nil {
			return nil, total, err
		}
	}
	if len(in.sources.newFields) > 0 {
		if err := tx.AddFields(cur, in.sources.newFields); err != nil {
			return nil, total, err
		}
	}
	add := func(items []*mosaic.Item) error {
		if err := in.ctx.Err(); err != nil {
			return err
		}
		res, err := tx.AddItems(cur, items, mosaic.AddOptions{Duplicates: in.o.Duplicates})
		total.Added += res.Added
		total.Skipped += res.Skipped
		total.Overwritten += res.Overwritten
		return err
	}
	// Staged batches come first, a few together; then the items held in
	// memory, in order.
	var chunk []*mosaic.Item
	if err := in.staged.each(func(items []*mosaic.Item) error {
		chunk = append(chunk, items...)
		if len(chunk) < commitChunk {
			return nil
		}
		err := add(chunk)
		chunk = chunk[:0]
		return err
	}); err != nil {
		return nil, total, err
	}
	for _, items := range [][]*mosaic.Item{chunk, in.held} {
		if len(items) > 0 {
			if err := add(items); err != nil {
				return nil, total, err
			}
		}
	}
	if in.overlapping {
		in.overlapping = false // a second final transaction adds nothing more
		if err := in.readInTx(tx, add); err != nil {
			return nil, total, err
		}
	}
	if len(in.batch) > 0 {
		if err := add(in.batch); err != nil {
			return nil, total, err
		}
	}
	if total.Added+total.Overwritten == 0 {
		return nil, total, errNothingAdded
	}
	if err := tx.Audit(mosaic.AuditEntry{User: in.r.Job().Owner, Action: "add", Collection: cur.Name,
		JobID: in.r.ID(), Count: int64(total.Added), Detail: fmt.Sprintf("%d batches", in.st.Batches)}); err != nil {
		return nil, total, err
	}
	return cur, total, nil
}

// finishTx records the job's success with its items (or, withItems
// false, without them: skipped is then the duplicates left out).
func (in *ingester) finishTx(withItems bool, skipped int) (mosaic.AddResult, error) {
	var res mosaic.AddResult
	r, c, st := in.r, in.c, &in.st
	ctx := in.ctx
	if withItems && st.Total >= bulkAdd {
		ctx = mosaic.WithBulkAdd(ctx) // the store prepares for many inserts
	}
	err := r.Finish(ctx, func(tx mosaic.Tx) (map[string]mosaic.JobResult, []mosaic.JobMessage, error) {
		cur, got, err := in.commit(tx, withItems)
		res = got
		if err != nil {
			return nil, nil, err
		}
		if !withItems {
			res.Skipped = skipped
		}
		*c = *cur
		msgs := in.pending
		if res.Added+res.Overwritten > 0 {
			m := fmt.Sprintf("Committed %d items in one transaction", res.Added)
			if res.Skipped > 0 {
				m += fmt.Sprintf(", %d duplicates skipped", res.Skipped)
			}
			if res.Overwritten > 0 {
				m += fmt.Sprintf(", %d duplicates replaced", res.Overwritten)
			}
			msgs = append(msgs, mosaic.Info(m+"."))
		}
		msgs = append(msgs, mosaic.Info(fmt.Sprintf("Total %d rasters: %d added, %d skipped as duplicates, %d failed. %s now has %d items.",
			st.Total, res.Added, res.Skipped, st.Failed, c.Name, c.Summary.Count)))
		v := map[string]any{"total": st.Total, "added": res.Added, "skipped": res.Skipped, "failed": st.Failed,
			"overwritten": res.Overwritten, "batches": st.Batches}
		if in.extra != nil {
			in.extra(c, v)
		}
		return urlResult(r.ServiceURL(c.Name), v), msgs, nil
	})
	return res, err
}

// finish commits the staged items with the job's success.
func (in *ingester) finish() error {
	res, err := in.finishTx(true, 0)
	if in.readErr != nil {
		// The read that ended in the final transaction failed the job: what
		// it had to say is logged now that the transaction rolled back.
		in.logNow(in.afterTx...)
		return in.readErr
	}
	if errors.Is(err, errNothingAdded) {
		// Every item was a duplicate left out: commit the job's end alone,
		// without the fields or spatial reference the items would have set.
		res, err = in.finishTx(false, res.Skipped)
	}
	if err != nil {
		return stopped(in.ctx, in.r, err)
	}
	if in.o.UpdateBoundary && res.Added+res.Overwritten > 0 {
		in.r.AfterCommit(refreshBoundary(in.c.Name))
	}
	return nil
}

// errNothingAdded rolls back a final transaction in which every item was
// a duplicate left out, so that it is made again without schema changes.
var errNothingAdded = errors.New("tasks: no item added")

// stopped records, in a transaction of its own, that a job that stops
// early added nothing, and returns err.
func stopped(ctx context.Context, r *Run, err error) error {
	lctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
	defer cancel()
	_ = r.Log(lctx, stoppedMessage) // the job may be gone; the error below matters
	return err
}

// stoppedMessage ends the messages of a job that stopped early.
var stoppedMessage = mosaic.Info("Stopped. Items are added only when the job succeeds, so nothing was added.")

// targetSRS is the spatial reference items are stored in: the
// collection's, else outSR, else zero (the first raster's).
func targetSRS(c *mosaic.Collection, o *addOptions) (raster.SRS, error) {
	if !c.SRS.IsZero() {
		t, err := raster.LookupSRS(c.SRS.WKID, c.SRS.WKT)
		if err != nil {
			return t, fmt.Errorf("collection spatial reference: %w", err)
		}
		return t, nil
	}
	if o.OutSR != "" {
		t, err := raster.ParseSRS(o.OutSR)
		if err != nil {
			return t, invalidParam("context", fmt.Sprintf("outSR %q is not a known spatial reference", o.OutSR))
		}
		return t, nil
	}
	return raster.SRS{}, nil
}
