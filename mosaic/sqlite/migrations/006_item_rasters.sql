-- Each item's RasterInfo JSON moves out of its catalog row into a side
-- table, rasters_<collection id> (oid INTEGER PRIMARY KEY, raster TEXT),
-- read only where a raster is opened (exportImage, identify, item reads).
-- The JSON was about 40% of every row, so a query read 1.8 times the pages
-- it needed (1M items: the items table shrinks from 111,392 to 62,658
-- pages). The catalog tables are named by collection, so the move is Go
-- code (moveRasters in migrate.go), run after this file in the same
-- transaction; it rebuilds each catalog table without the column.
SELECT 1;
