package mosaic

import (
	"context"
	"time"

	"github.com/paulmach/orb"
)

// Store is durable state: collections, their catalogs, jobs, the audit log
// and shared secrets. Every change happens inside Update, so a task can
// commit catalog changes and its job's final state atomically.
//
// A transaction is made of the pieces below, so that a store can be
// written, and tested with package mosaic/storetest, one piece at a time:
//
//	ReadTx = CatalogReader + BoundaryReader + JobReader + AuditReader
//	Tx     = ReadTx + CatalogWriter + BoundaryWriter + JobWriter + AuditWriter + Secrets
//
// Implementations: package mosaic/sqlite (one file, the default) and
// package mosaic/postgis (PostgreSQL with PostGIS).
type Store interface {
	// View runs fn in a read-only transaction with a consistent snapshot.
	View(ctx context.Context, fn func(tx ReadTx) error) error
	// Update runs fn in a read-write transaction and commits it if fn
	// returns nil. If fn returns an error, nothing it did is kept,
	// schema changes (CreateCollection, AddFields) included. A cancelled
	// ctx interrupts the work, rolls back and returns ECANCELED.
	Update(ctx context.Context, fn func(tx Tx) error) error
}

// bulkAddKey marks a context: see WithBulkAdd.
type bulkAddKey struct{}

// WithBulkAdd marks ctx for an Update that adds many items in one
// transaction (an ingest's final transaction): a store may prepare its
// connection for it. The SQLite store writes the pages the transaction
// changes to its log as it goes, rather than all at the commit, and keeps
// its inserts' statement journals in memory.
func WithBulkAdd(ctx context.Context) context.Context {
	return context.WithValue(ctx, bulkAddKey{}, true)
}

// IsBulkAdd reports whether ctx was marked by WithBulkAdd.
func IsBulkAdd(ctx context.Context) bool {
	v, _ := ctx.Value(bulkAddKey{}).(bool)
	return v
}

// ReadTx reads state. Methods report ENOTFOUND for missing records.
type ReadTx interface {
	CatalogReader
	BoundaryReader
	JobReader
	AuditReader
}

// Tx reads and changes state inside one transaction.
type Tx interface {
	ReadTx
	CatalogWriter
	BoundaryWriter
	JobWriter
	AuditWriter
	Secrets
}

// CatalogReader reads collections and their items.
type CatalogReader interface {
	// Collections returns every collection, ordered by name
	// (case-insensitively), each with its Summary.
	Collections() ([]*Collection, error)
	// Collection returns the collection that ref names: by name, ignoring
	// case, or by item ID. ENOTFOUND if there is none.
	Collection(ref CollectionRef) (*Collection, error)
	// QueryItems runs q over c's catalog. A bad Where, OutFields, OrderBy,
	// Rank or SpatialRel returns EINVALID with details naming the problem
	// and, for clauses, its position.
	QueryItems(c *Collection, q ItemQuery) (*ItemPage, error)
	// CheckWhere compiles a where clause over c's fields without running
	// it: EINVALID with positioned details if it is not valid, or if it is
	// blank and required.
	CheckWhere(c *Collection, where string, required bool) error
	// Item returns one live item with its footprint and every field;
	// ENOTFOUND if oid is not a live item of c.
	Item(c *Collection, oid int64) (*Item, error)
	// BandStats returns per-band statistics pooled over c's live items
	// that have statistics (weighted by their pixel counts), or nil when
	// none has.
	BandStats(c *Collection) ([]BandStats, error)
	// LastOID returns the largest OID c has given an item, purged items
	// included (0 if none): later AddItems calls give OIDs above it.
	LastOID(c *Collection) (int64, error)
}

// CatalogWriter changes collections and their items. Each method keeps the
// collection's Summary (count, extent, cell sizes) and boundary current in
// the same transaction.
type CatalogWriter interface {
	// CreateCollection stores c and sets its ID, ItemID (if empty) and
	// times; empty Fields become StandardFields. A taken name (in any
	// case) returns ECONFLICT; an invalid name or field list, EINVALID.
	CreateCollection(c *Collection) error
	// AddFields adds fields to c's catalog and to c.Fields; names c
	// already has (in any case) are skipped. An invalid field returns
	// EINVALID.
	AddFields(c *Collection, fields []Field) error
	// SetCollectionSRS stores c.SRS, set once by the first raster added to
	// a collection created without one.
	SetCollectionSRS(c *Collection) error
	// DeleteCollection removes c, its items, its recycle bin and its
	// boundary. ENOTFOUND if c does not exist.
	DeleteCollection(c *Collection) error
	// AddItems adds items to c, setting each added item's OID. OIDs
	// increase and are never reused, even after a purge. An item without
	// a path or footprint, or with an attribute c has no field for or a
	// value its field cannot hold, returns EINVALID.
	AddItems(c *Collection, items []*Item, opts AddOptions) (AddResult, error)
	// ImportItems adds items to c keeping each item's OID and, for items
	// with Recycled set, putting them in the recycle bin as they were: it
	// copies a catalog between stores. Later AddItems calls get OIDs above
	// every imported one. An OID that an item of c holds, live or in the
	// recycle bin, returns ECONFLICT (or an error); the OID of a purged
	// item is not checked, since an import copies a catalog into a new
	// collection. An item without an OID, path or footprint returns
	// EINVALID.
	ImportItems(c *Collection, items []*Item) error
	// ReserveOIDs makes later AddItems calls give c's items OIDs above
	// last, as if c had given OIDs up to last: a copy keeps the OIDs of
	// its source's purged items unused. It never lowers the mark.
	ReserveOIDs(c *Collection, last int64) error
	// DeleteItems removes the items that d selects, to the recycle bin
	// unless d.Purge.
	DeleteItems(c *Collection, d ItemDelete) (DeleteResult, error)
	// RestoreItems puts recycled items back with their original OIDs. It
	// needs a where clause or a job ID (EINVALID otherwise).
	RestoreItems(c *Collection, r ItemRestore) (RestoreResult, error)
	// PurgeRecycled removes at most limit recycle-bin entries recycled
	// before t (limit ≤ 0: all of them), over every collection, oldest
	// first within each, and reports how many it removed. Callers purge in small
	// transactions so as not to hold locks for long.
	PurgeRecycled(before time.Time, limit int) (int64, error)
}

// BoundaryReader reads the union of a collection's live footprints.
type BoundaryReader interface {
	// Boundary returns the union of c's live footprints (nil when c has
	// none). It is always current: parts that changes left stale are
	// computed on the fly.
	Boundary(c *Collection) (orb.MultiPolygon, error)
	// StaleBoundary computes the parts of c's boundary that changes left
	// stale, for UpdateBoundary to store. It runs on a read snapshot, so
	// the unions are computed without blocking writers.
	StaleBoundary(c *Collection) (*BoundaryPatch, error)
}

// BoundaryWriter stores boundary parts computed by StaleBoundary.
type BoundaryWriter interface {
	// UpdateBoundary stores the parts of p that are still current, those
	// no change has touched since StaleBoundary computed them, so that
	// later reads are cheap, and reports how many it stored. Reads are
	// correct without it.
	UpdateBoundary(c *Collection, p *BoundaryPatch) (int, error)
}

// JobReader reads job records.
type JobReader interface {
	// Job returns a job record with its messages in order. An unknown job
	// returns ENOTFOUND; an expired or deleted one, ENOTFOUND whose
	// message says when it expired or was deleted.
	Job(id string) (*Job, error)
	// ActiveJobs returns jobs that are not terminal, oldest first.
	ActiveJobs() ([]*Job, error)
	// OwnerJobCounts returns how many of owner's jobs are not terminal,
	// and how many of those are executing or cancelling.
	OwnerJobCounts(owner string) (unfinished, running int, err error)
	// RecentJobs returns the jobs that f selects, most recently submitted
	// first, each with its last f.Messages messages.
	RecentJobs(f JobFilter) ([]*Job, error)
}

// JobWriter changes job records.
type JobWriter interface {
	// CreateJob stores a new job with its messages and sets SubmittedAt if
	// it is zero (and FinishedAt if the job is created terminal).
	CreateJob(j *Job) error
	// TransitionJob moves job id from one of the states in from to state
	// to, clearing its progress, and reports whether it did. Entering a
	// terminal state sets FinishedAt; entering JobExecuting sets StartedAt
	// once.
	TransitionJob(id string, from []JobState, to JobState) (bool, error)
	// FinishJob sets a job's terminal state, results and final messages,
	// unless it is already terminal, and reports whether it did.
	FinishJob(id string, state JobState, results map[string]JobResult, msgs ...JobMessage) (bool, error)
	// AddJobMessages appends messages to a job's log.
	AddJobMessages(id string, msgs ...JobMessage) error
	// SetJobProgress records an unfinished job's progress; nil clears it.
	// It does nothing to a finished job.
	SetJobProgress(id string, p *JobProgress) error
	// DeleteJob removes a job record, keeping a tombstone; ENOTFOUND if
	// there is no such job.
	DeleteJob(id string) error
	// ExpireJobs removes terminal jobs that finished before t, keeping
	// tombstones so that later requests learn they expired, and reports
	// how many it removed.
	ExpireJobs(before time.Time) (int64, error)
}

// AuditReader reads the audit log.
type AuditReader interface {
	// AuditLog returns the audit entries that f selects, newest first.
	AuditLog(f AuditFilter) ([]AuditEntry, error)
}

// AuditWriter appends to the audit log.
type AuditWriter interface {
	// Audit appends an entry to the audit log; a zero Time means now.
	Audit(e AuditEntry) error
}

// Secrets keeps secrets that every server sharing a store must agree on,
// such as the key that signs tokens.
type Secrets interface {
	// Secret returns the secret called name, creating it from size random
	// bytes if it does not exist. Once created it never changes, and
	// concurrent callers, in any process, get the same value.
	Secret(name string, size int) ([]byte, error)
}

// BoundaryPatch is part of a collection's boundary computed from a read
// snapshot: the unions of the grid cells that were stale, each with the
// version of the cell it was computed from.
type BoundaryPatch struct {
	CollectionID int64
	Cells        []BoundaryCell
}

// BoundaryCell is the union of one cell's live footprints.
type BoundaryCell struct {
	Key     int64
	Version int64
	Union   []byte // WKB, opaque to callers
}

// AuditEntry records one change to a collection.
type AuditEntry struct {
	Time       time.Time
	User       string
	Action     string // "add", "delete", "restore", "create-collection", …
	Collection string
	JobID      string
	Where      string
	Count      int64
	Detail     string
}

// AuditFilter selects audit entries. Empty fields match everything.
type AuditFilter struct {
	User       string
	Action     string
	Collection string
	JobID      string
	Since      time.Time // entries at or after
	Limit      int       // at most this many (0 = 100)
}

// MemoryReleaser is implemented by stores that cache the database in the
// server's own memory (the SQLite store's page caches). After a large
// job, ReleaseMemory frees what the caches hold and no transaction uses,
// so that the server does not stay at the job's peak.
type MemoryReleaser interface {
	ReleaseMemory(ctx context.Context) error
}

// StoreStatus is implemented by stores that can report their health and
// size, for health checks and metrics. Both stores implement it.
type StoreStatus interface {
	// Ready returns nil when the store answers queries and every schema
	// migration this build knows has been applied.
	Ready(ctx context.Context) error
	// Size returns the database's size in bytes and its write-ahead log's,
	// -1 for a size the store cannot learn (say, for want of a privilege).
	Size(ctx context.Context) (db, wal int64, err error)
}
