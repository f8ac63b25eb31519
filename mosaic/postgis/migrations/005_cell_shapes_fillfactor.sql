-- Every delete, purge or restore changes the count of each footprint it
-- touches in cell_shapes: 100k rows for a delete of 1M of 10M items in the
-- benchmark. With full pages, each of those updates writes its new row
-- version to another page and a new entry in the primary key; with room
-- left on each page, PostgreSQL updates in place (a HOT update: count is
-- in no index). Measured on a copy of the 10M-item benchmark catalog
-- (loaded machine): a bare UPDATE of its 100k rows took 1.4–1.5 s packed,
-- 0.16–0.27 s at fillfactor 50; the store's decrement after a delete of
-- 1M items 1.74 s packed (work_mem 4MB), 0.34–0.62 s at fillfactor 50
-- (work_mem 64MB: see bulkChange in item.go).
-- CLUSTER rewrites the existing rows with that room (and in key order).
ALTER TABLE cell_shapes SET (fillfactor = 50);
CLUSTER cell_shapes USING cell_shapes_pkey;
