-- Boundary maintenance without rescans (see boundary.go).
--
-- cells.version counts the times a cell's union went stale; a union computed
-- from a read snapshot is stored only if the version is unchanged, so the
-- unions are computed without holding the write lock.
ALTER TABLE cells ADD COLUMN version INTEGER NOT NULL DEFAULT 0;

-- cell_shapes counts the live items of each distinct footprint in a cell.
-- A cell's union is the union of its distinct footprints, so it changes only
-- when a footprint appears in or disappears from the cell: removing one of
-- many revisits of a tile leaves it untouched. shape_key is a 64-bit hash of
-- the footprint's WKB. Items added before this table existed are missing
-- from it, which only ever makes a cell stale sooner, never later.
CREATE TABLE cell_shapes (
	collection_id INTEGER NOT NULL REFERENCES collections(id) ON DELETE CASCADE,
	cell          INTEGER NOT NULL,
	shape_key     INTEGER NOT NULL,
	count         INTEGER NOT NULL,
	PRIMARY KEY (collection_id, cell, shape_key)
) WITHOUT ROWID;
