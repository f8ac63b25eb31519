-- The catalog store on PostgreSQL with PostGIS (see package postgis).
-- Times are epoch milliseconds (BIGINT), as in the SQLite store, so that
-- both keep them to the same precision.

-- Collections. Each has its own catalog table items_<id>, created by the
-- store when the collection is created. next_oid hands out OBJECTIDs inside
-- the adding transaction, so that a rolled-back add takes none, and locking
-- this row serialises the changes to one collection's items.
CREATE TABLE collections (
	id         BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	name       TEXT NOT NULL,
	name_key   TEXT NOT NULL UNIQUE, -- lower(name): names are case-insensitive
	item_id    TEXT NOT NULL UNIQUE,
	srs_wkid   INTEGER NOT NULL DEFAULT 0,
	srs_wkt    TEXT NOT NULL DEFAULT '',
	fields     TEXT NOT NULL,        -- JSON array of mosaic.Field
	cell_size  DOUBLE PRECISION NOT NULL DEFAULT 0, -- boundary grid cell size; 0 until the first item
	band_count INTEGER NOT NULL DEFAULT 0,
	pixel_type TEXT NOT NULL DEFAULT '',
	next_oid   BIGINT NOT NULL DEFAULT 1,
	created_at BIGINT NOT NULL,
	updated_at BIGINT NOT NULL
);

-- Boundary cells: live items grouped by the grid cell of their footprint's
-- centre, each with its item count, bounding box, pixel-size range and,
-- once computed, the union of its footprints (NULL while stale). version
-- counts the times the union went stale, so that a union computed from a
-- snapshot is stored only if no change came in between.
CREATE TABLE cells (
	collection_id BIGINT NOT NULL REFERENCES collections (id) ON DELETE CASCADE,
	cell          BIGINT NOT NULL,
	count         BIGINT NOT NULL,
	minx DOUBLE PRECISION NOT NULL, miny DOUBLE PRECISION NOT NULL,
	maxx DOUBLE PRECISION NOT NULL, maxy DOUBLE PRECISION NOT NULL,
	min_psx DOUBLE PRECISION NOT NULL, min_psy DOUBLE PRECISION NOT NULL, max_ps DOUBLE PRECISION NOT NULL,
	shape         geometry,
	version       BIGINT NOT NULL DEFAULT 0,
	PRIMARY KEY (collection_id, cell)
);

-- The live items of each distinct footprint (by hash) in a cell: a cell's
-- union changes only when a footprint appears or disappears.
CREATE TABLE cell_shapes (
	collection_id BIGINT NOT NULL REFERENCES collections (id) ON DELETE CASCADE,
	cell          BIGINT NOT NULL,
	shape_key     BIGINT NOT NULL,
	count         BIGINT NOT NULL,
	PRIMARY KEY (collection_id, cell, shape_key)
);

-- Per-band statistics of the items that have them; reads join the live
-- items, so rows of recycled or purged items do not count.
CREATE TABLE item_stats (
	collection_id BIGINT NOT NULL REFERENCES collections (id) ON DELETE CASCADE,
	oid           BIGINT NOT NULL,
	band          INTEGER NOT NULL, -- zero-based
	pixels        DOUBLE PRECISION NOT NULL,
	min  DOUBLE PRECISION NOT NULL,
	max  DOUBLE PRECISION NOT NULL,
	mean DOUBLE PRECISION NOT NULL,
	std  DOUBLE PRECISION NOT NULL,
	PRIMARY KEY (collection_id, oid, band)
);

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
	submitted_at BIGINT NOT NULL,
	started_at   BIGINT,
	finished_at  BIGINT,
	CONSTRAINT finished_iff_terminal CHECK ((finished_at IS NOT NULL) =
	             (state IN ('succeeded', 'failed', 'timed_out', 'cancelled', 'deleted')))
);
CREATE INDEX jobs_active ON jobs (submitted_at)
	WHERE state IN ('new', 'submitted', 'waiting', 'executing', 'cancelling');
CREATE INDEX jobs_finished ON jobs (finished_at) WHERE finished_at IS NOT NULL;

-- Messages in the order they were added (id), from any transaction.
CREATE TABLE job_messages (
	id          BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	job_id      TEXT NOT NULL REFERENCES jobs (id) ON DELETE CASCADE,
	type        TEXT NOT NULL,
	description TEXT NOT NULL,
	at          BIGINT NOT NULL
);
CREATE INDEX job_messages_job ON job_messages (job_id, id);

-- Jobs removed by expiry or by a user, so that later requests learn why.
CREATE TABLE job_tombstones (
	id     TEXT PRIMARY KEY,
	reason TEXT NOT NULL CHECK (reason IN ('expired', 'deleted')),
	at     BIGINT NOT NULL
);
CREATE INDEX job_tombstones_at ON job_tombstones (at);

CREATE TABLE audit_log (
	id           BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	at           BIGINT NOT NULL,
	user_name    TEXT NOT NULL,
	action       TEXT NOT NULL,
	collection   TEXT NOT NULL,
	job_id       TEXT NOT NULL DEFAULT '',
	where_clause TEXT NOT NULL DEFAULT '',
	count        BIGINT NOT NULL DEFAULT 0,
	detail       TEXT NOT NULL DEFAULT ''
);

-- Secrets that every server on this database shares (mosaic.Secrets),
-- such as the key that signs tokens.
CREATE TABLE secrets (
	name  TEXT PRIMARY KEY,
	value BYTEA NOT NULL
);
