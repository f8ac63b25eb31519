package mosaic

import (
	"context"
	"time"

	"github.com/paulmach/orb"
)

// Store is durable state: collections, their catalogs, jobs and the audit
// log. Every change happens inside Update, so a task can commit catalog
// changes and its job's final state atomically.
type Store interface {
	// View runs fn in a read-only transaction with a consistent snapshot.
	View(ctx context.Context, fn func(tx ReadTx) error) error
	// Update runs fn in a read-write transaction and commits it if fn
	// returns nil. A cancelled ctx interrupts the work and rolls back.
	Update(ctx context.Context, fn func(tx Tx) error) error
}

// ReadTx reads state. Methods report ENOTFOUND for missing records.
type ReadTx interface {
	// Collections returns every collection, ordered by name.
	Collections() ([]*Collection, error)
	// Collection returns the collection that ref names.
	Collection(ref CollectionRef) (*Collection, error)
	// QueryItems runs q over c's catalog. A bad Where, OutFields or OrderBy
	// returns EINVALID with details naming the problem and its position.
	QueryItems(c *Collection, q ItemQuery) (*ItemPage, error)
	// CheckWhere compiles a where clause over c's fields without running
	// it: EINVALID with positioned details if it is not valid, or if it is
	// blank and required.
	CheckWhere(c *Collection, where string, required bool) error
	// Item returns one live item.
	Item(c *Collection, oid int64) (*Item, error)
	// Boundary returns the union of c's live footprints. It is always
	// current: parts that changes left stale are computed on the fly.
	Boundary(c *Collection) (orb.MultiPolygon, error)
	// StaleBoundary computes the parts of c's boundary that changes left
	// stale, for UpdateBoundary to store. It runs on a read snapshot, so
	// the unions are computed without blocking writers.
	StaleBoundary(c *Collection) (*BoundaryPatch, error)
	// BandStats returns per-band statistics pooled over c's live items
	// that have statistics (weighted by their pixel counts), or nil when
	// none has.
	BandStats(c *Collection) ([]BandStats, error)
	// Job returns a job record. An expired job returns ENOTFOUND whose
	// message says when it expired.
	Job(id string) (*Job, error)
	// ActiveJobs returns jobs that are not terminal, oldest first.
	ActiveJobs() ([]*Job, error)
	// Jobs returns the jobs that f selects, newest first, without their
	// messages.
	Jobs(f JobFilter) ([]*Job, error)
	// AuditLog returns the audit entries that f selects, newest first.
	AuditLog(f AuditFilter) ([]AuditEntry, error)
}

// Tx reads and changes state inside one transaction.
type Tx interface {
	ReadTx

	// CreateCollection stores c and sets its ID, ItemID (if empty) and
	// times. A taken name returns ECONFLICT.
	CreateCollection(c *Collection) error
	// AddFields adds fields to c's catalog; existing names are skipped.
	AddFields(c *Collection, fields []Field) error
	// SetCollectionSRS stores c's spatial reference, set once by the first
	// raster added to a collection created without one.
	SetCollectionSRS(c *Collection) error
	// DeleteCollection removes c, its items and its recycle bin.
	DeleteCollection(c *Collection) error
	// AddItems adds items to c, setting each added item's OID, and keeps
	// c's summary and boundary current.
	AddItems(c *Collection, items []*Item, opts AddOptions) (AddResult, error)
	// DeleteItems removes the items that d selects, to the recycle bin
	// unless d.Purge, and keeps c's summary and boundary current.
	DeleteItems(c *Collection, d ItemDelete) (DeleteResult, error)
	// RestoreItems puts recycled items back with their original OIDs.
	RestoreItems(c *Collection, r ItemRestore) (RestoreResult, error)
	// UpdateBoundary stores the parts of p that are still current, those
	// no change has touched since StaleBoundary computed them, so that
	// later reads are cheap, and reports how many it stored. Reads are
	// correct without it.
	UpdateBoundary(c *Collection, p *BoundaryPatch) (int, error)
	// PurgeRecycled removes at most limit recycle-bin entries recycled
	// before t (limit ≤ 0: all of them), oldest first, and reports how
	// many it removed. Callers purge in small transactions so as not to
	// hold the write lock for long.
	PurgeRecycled(before time.Time, limit int) (int64, error)

	// CreateJob stores a new job.
	CreateJob(j *Job) error
	// TransitionJob moves job id from one of the states in from to state
	// to, and reports whether it did. Entering a terminal state sets
	// FinishedAt; entering JobExecuting sets StartedAt.
	TransitionJob(id string, from []JobState, to JobState) (bool, error)
	// FinishJob sets a job's terminal state, results and final messages,
	// unless it is already terminal, and reports whether it did.
	FinishJob(id string, state JobState, results map[string]JobResult, msgs ...JobMessage) (bool, error)
	// AddJobMessages appends messages to a job's log.
	AddJobMessages(id string, msgs ...JobMessage) error
	// SetJobProgress records a running job's progress; nil clears it.
	SetJobProgress(id string, p *JobProgress) error
	// DeleteJob removes a job record, keeping a tombstone.
	DeleteJob(id string) error
	// ExpireJobs removes terminal jobs that finished before t, keeping
	// tombstones so that later requests learn they expired.
	ExpireJobs(before time.Time) (int64, error)

	// Audit appends an entry to the audit log.
	Audit(e AuditEntry) error
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

// Projector transforms geometries between spatial references.
type Projector interface {
	// Project returns g transformed from one reference to another. An
	// unknown reference returns EINVALID.
	Project(g orb.Geometry, from, to SpatialRef) (orb.Geometry, error)
}

// RenderRequest asks for a mosaic of sources drawn into a grid.
type RenderRequest struct {
	Sources    []RenderSource // bottom first: later sources draw over earlier ones
	Bound      orb.Bound      // in SRS
	SRS        SpatialRef
	Width      int
	Height     int
	Format     string   // png, png8, png24, png32, jpg, jpgpng, tiff, or raw: lerc, bip, bsq
	PixelType  string   // Esri pixel type of the output; "" keeps the sources'
	NoData     *float64 // output nodata
	Resampling string   // nearest, bilinear, cubic, mode
	BandIDs    []int    // zero-based source bands to output; nil = first 3 (or 1), every band for raw formats
	LercCodec  int      // Lerc2 codec version for lerc, 2 to 6; 0 = the renderer's default
	Tolerance  float64  // largest error per pixel lerc may introduce; 0 = lossless
}

// RenderSource is one item to draw.
type RenderSource struct {
	OID    int64
	Path   string
	Raster RasterInfo
}

// Image is encoded image bytes.
type Image struct {
	Data        []byte
	ContentType string
	Extension   string // without dot: png, jpg, tif
}

// Renderer draws mosaics.
type Renderer interface {
	Render(ctx context.Context, r RenderRequest) (*Image, error)
}
