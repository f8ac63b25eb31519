-- Every collection read (each query, export, identify) sums its cells for
-- the collection's summary. The cells also hold the boundary shapes, so
-- scanning them read every shape: about 5 MB a request at 1M items. This
-- covering index makes the summary an index-only scan.
CREATE INDEX cells_summary ON cells (collection_id, count, minx, miny, maxx, maxy, min_psx, min_psy, max_ps);
