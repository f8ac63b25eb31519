-- Per-band moments of the items of each boundary cell that have statistics
-- (JSON; NULL when none has), recomputed with the cell's other aggregates.
ALTER TABLE cells ADD COLUMN stats TEXT;
