-- Servers sharing this database (tessera serve --db), each with a
-- heartbeat in the database's clock, so that the others can tell when it
-- died and take over its jobs (tasks.Engine with an instance name).
CREATE TABLE instances (
	id           TEXT PRIMARY KEY,
	info         TEXT NOT NULL DEFAULT '',
	started_at   TIMESTAMPTZ NOT NULL DEFAULT now(),
	heartbeat_at TIMESTAMPTZ NOT NULL DEFAULT now()
);

-- The instance that claimed an executing job.
ALTER TABLE jobs ADD COLUMN instance TEXT;
CREATE INDEX jobs_running ON jobs (instance) WHERE state IN ('executing', 'cancelling');
