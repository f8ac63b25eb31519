-- Secrets shared by everything that uses this database (mosaic.Secrets).
-- The server keeps its token secret in the data directory's token.secret
-- file when it runs on SQLite; this table serves stores that several
-- servers share, and keeps the two stores' contracts alike.
CREATE TABLE secrets (
	name  TEXT PRIMARY KEY,
	value BLOB NOT NULL
) WITHOUT ROWID;
