-- Every collection read (each query, export, identify) sums its cells for
-- the collection's summary; the cells also hold the boundary shapes. This
-- covering index lets the summary skip them (an index-only scan where the
-- visibility map allows).
CREATE INDEX cells_summary ON cells (collection_id) INCLUDE (count, minx, miny, maxx, maxy, min_psx, min_psy, max_ps);
