-- Per-band statistics of the items that have them (mosaic.RasterInfo.Stats,
-- from AddImage with computeStatistics), pooled by BandStats for the
-- ImageServer's minValues, maxValues, meanValues and stdvValues. Reads join
-- the live items, so rows of recycled or purged items do not count
-- (OBJECTIDs are never reused).
CREATE TABLE item_stats (
	collection_id INTEGER NOT NULL REFERENCES collections(id) ON DELETE CASCADE,
	oid           INTEGER NOT NULL,
	band          INTEGER NOT NULL, -- zero-based
	pixels        REAL NOT NULL,    -- the item's width × height: its weight
	min  REAL NOT NULL,
	max  REAL NOT NULL,
	mean REAL NOT NULL,
	std  REAL NOT NULL,
	PRIMARY KEY (collection_id, oid, band)
) WITHOUT ROWID;
