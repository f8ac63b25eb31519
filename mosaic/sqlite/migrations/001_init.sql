-- Collections. Each has its own catalog table items_<id> and R*Tree rtree_<id>,
-- created by the store when the collection is created.
CREATE TABLE collections (
	id         INTEGER PRIMARY KEY AUTOINCREMENT,
	name       TEXT NOT NULL,
	name_key   TEXT NOT NULL UNIQUE, -- lower(name): names are case-insensitive
	item_id    TEXT NOT NULL UNIQUE,
	srs_wkid   INTEGER NOT NULL DEFAULT 0,
	srs_wkt    TEXT NOT NULL DEFAULT '',
	fields     TEXT NOT NULL,        -- JSON array of mosaic.Field
	cell_size  REAL NOT NULL DEFAULT 0, -- boundary grid cell size; 0 until the first item
	band_count INTEGER NOT NULL DEFAULT 0,
	pixel_type TEXT NOT NULL DEFAULT '',
	created_at INTEGER NOT NULL,
	updated_at INTEGER NOT NULL
);

-- Boundary cells: live items grouped by the grid cell of their footprint's
-- centre. Each cell keeps its item count, bounding box, pixel-size range and
-- the union of its footprints, so a change only recomputes the cells it
-- touches. shape is NULL while the union needs recomputing.
CREATE TABLE cells (
	collection_id INTEGER NOT NULL REFERENCES collections(id) ON DELETE CASCADE,
	cell          INTEGER NOT NULL,
	count         INTEGER NOT NULL,
	minx REAL NOT NULL, miny REAL NOT NULL, maxx REAL NOT NULL, maxy REAL NOT NULL,
	min_psx REAL NOT NULL, min_psy REAL NOT NULL, max_ps REAL NOT NULL,
	shape         BLOB,
	PRIMARY KEY (collection_id, cell)
) WITHOUT ROWID;

CREATE TABLE jobs (
	id           TEXT PRIMARY KEY,
	task         TEXT NOT NULL,
	state        TEXT NOT NULL CHECK (state IN ('new', 'submitted', 'waiting', 'executing',
	             'succeeded', 'failed', 'timed_out', 'cancelling', 'cancelled', 'deleted')),
	inputs       TEXT NOT NULL DEFAULT '{}',
	results      TEXT NOT NULL DEFAULT '{}',
	progress     TEXT,
	priority     INTEGER NOT NULL DEFAULT 2,
	owner        TEXT NOT NULL DEFAULT '',
	submitted_at INTEGER NOT NULL,
	started_at   INTEGER,
	finished_at  INTEGER,
	CONSTRAINT finished_iff_terminal CHECK ((finished_at IS NOT NULL) =
	             (state IN ('succeeded', 'failed', 'timed_out', 'cancelled', 'deleted')))
);
CREATE INDEX jobs_active ON jobs (submitted_at)
	WHERE state IN ('new', 'submitted', 'waiting', 'executing', 'cancelling');
CREATE INDEX jobs_finished ON jobs (finished_at) WHERE finished_at IS NOT NULL;

CREATE TABLE job_messages (
	job_id      TEXT NOT NULL REFERENCES jobs(id) ON DELETE CASCADE,
	seq         INTEGER NOT NULL,
	type        TEXT NOT NULL,
	description TEXT NOT NULL,
	at          INTEGER NOT NULL,
	PRIMARY KEY (job_id, seq)
) WITHOUT ROWID;

-- Jobs removed by expiry or by a user, so that later requests learn why.
CREATE TABLE job_tombstones (
	id     TEXT PRIMARY KEY,
	reason TEXT NOT NULL CHECK (reason IN ('expired', 'deleted')),
	at     INTEGER NOT NULL
) WITHOUT ROWID;

CREATE TABLE audit_log (
	id           INTEGER PRIMARY KEY AUTOINCREMENT,
	at           INTEGER NOT NULL,
	user_name    TEXT NOT NULL,
	action       TEXT NOT NULL,
	collection   TEXT NOT NULL,
	job_id       TEXT NOT NULL DEFAULT '',
	where_clause TEXT NOT NULL DEFAULT '',
	count        INTEGER NOT NULL DEFAULT 0,
	detail       TEXT NOT NULL DEFAULT ''
);
