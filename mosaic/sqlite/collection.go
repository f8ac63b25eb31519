package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/paulmach/orb"

	"github.com/tessera-gis/tessera/mosaic"
	"github.com/tessera-gis/tessera/mosaic/internal/storesql"
)

const collectionColumns = `id, name, item_id, srs_wkid, srs_wkt, fields, cell_size, band_count, pixel_type, created_at, updated_at`

// collectionRow is a collection plus the store's private columns.
type collectionRow struct {
	mosaic.Collection
	cellSize float64
}

func scanCollection(s interface{ Scan(...any) error }) (*collectionRow, error) {
	var (
		c                 collectionRow
		fields            string
		created, updated  int64
		bandCount         int
		pixelType, srsWKT string
	)
	if err := s.Scan(&c.ID, &c.Name, &c.ItemID, &c.SRS.WKID, &srsWKT, &fields, &c.cellSize,
		&bandCount, &pixelType, &created, &updated); err != nil {
		return nil, err
	}
	c.SRS.WKT = srsWKT
	if err := json.Unmarshal([]byte(fields), &c.Fields); err != nil {
		return nil, fmt.Errorf("decode fields of collection %d: %w", c.ID, err)
	}
	c.Summary.BandCount, c.Summary.PixelType = bandCount, pixelType
	c.CreatedAt, c.UpdatedAt = time.UnixMilli(created).UTC(), time.UnixMilli(updated).UTC()
	return &c, nil
}

// Collections returns every collection, ordered by name.
func (tx *Tx) Collections() ([]*mosaic.Collection, error) {
	rows, err := tx.query(`SELECT ` + collectionColumns + ` FROM collections ORDER BY name_key`)
	if err != nil {
		return nil, fmt.Errorf("list collections: %w", err)
	}
	var out []*mosaic.Collection
	for rows.Next() {
		c, err := scanCollection(rows)
		if err != nil {
			rows.Close()
			return nil, err
		}
		out = append(out, &c.Collection)
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	rows.Close()
	for _, c := range out {
		if err := tx.loadSummary(c); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// Collection returns the collection that ref names, by case-insensitive
// name or by item ID.
func (tx *Tx) Collection(ref mosaic.CollectionRef) (*mosaic.Collection, error) {
	c, err := tx.collectionRow(ref)
	if err != nil {
		return nil, err
	}
	return &c.Collection, nil
}

// CollectionDefinition returns the collection that ref names without its
// Summary (mosaic.CollectionDefiner).
func (tx *Tx) CollectionDefinition(ref mosaic.CollectionRef) (*mosaic.Collection, error) {
	c, err := tx.collectionDefinition(ref)
	if err != nil {
		return nil, err
	}
	return &c.Collection, nil
}

var _ mosaic.CollectionDefiner = (*Tx)(nil)

func (tx *Tx) collectionRow(ref mosaic.CollectionRef) (*collectionRow, error) {
	c, err := tx.collectionDefinition(ref)
	if err != nil {
		return nil, err
	}
	if err := tx.loadSummary(&c.Collection); err != nil {
		return nil, err
	}
	return c, nil
}

func (tx *Tx) collectionDefinition(ref mosaic.CollectionRef) (*collectionRow, error) {
	var row *sql.Row
	switch {
	case ref.ItemID != "":
		row = tx.queryRow(`SELECT `+collectionColumns+` FROM collections WHERE item_id = ?`, strings.ToLower(ref.ItemID))
	default:
		row = tx.queryRow(`SELECT `+collectionColumns+` FROM collections WHERE name_key = ?`, strings.ToLower(ref.Name))
	}
	c, err := scanCollection(row)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, mosaic.Errorf(mosaic.ENOTFOUND, "Image collection %q does not exist.", ref.String())
	}
	if err != nil {
		return nil, fmt.Errorf("find collection: %w", err)
	}
	return c, nil
}

// loadSummary fills c.Summary's counts, extent and cell sizes from the cells.
func (tx *Tx) loadSummary(c *mosaic.Collection) error {
	var (
		count                                   sql.NullInt64
		minx, miny, maxx, maxy, psx, psy, maxPS sql.NullFloat64
	)
	err := tx.queryRow(`SELECT sum(count), min(minx), min(miny), max(maxx), max(maxy),
		min(nullif(min_psx, 0)), min(nullif(min_psy, 0)), max(max_ps) FROM cells WHERE collection_id = ? AND count > 0`, c.ID).
		Scan(&count, &minx, &miny, &maxx, &maxy, &psx, &psy, &maxPS)
	if err != nil {
		return fmt.Errorf("load summary of %s: %w", c.Name, err)
	}
	s := &c.Summary
	s.Count = count.Int64
	if s.Count > 0 {
		s.Extent = orb.Bound{Min: orb.Point{minx.Float64, miny.Float64}, Max: orb.Point{maxx.Float64, maxy.Float64}}
		s.MinCellX, s.MinCellY, s.MaxCell = psx.Float64, psy.Float64, maxPS.Float64
	} else {
		s.Extent, s.MinCellX, s.MinCellY, s.MaxCell = orb.Bound{}, 0, 0, 0
	}
	return nil
}

// CreateCollection stores c and creates its catalog table.
func (tx *Tx) CreateCollection(c *mosaic.Collection) error {
	if err := mosaic.ValidateCollectionName(c.Name); err != nil {
		return err
	}
	if len(c.Fields) == 0 {
		c.Fields = mosaic.StandardFields()
	}
	if err := storesql.ValidateFields(c.Fields); err != nil {
		return err
	}
	if c.ItemID == "" {
		c.ItemID = mosaic.NewItemID()
	}
	c.ItemID = strings.ToLower(c.ItemID)
	now := tx.now()
	c.CreatedAt, c.UpdatedAt = now, now
	fields, err := json.Marshal(c.Fields)
	if err != nil {
		return err
	}
	var exists int
	if err := tx.queryRow(`SELECT count(*) FROM collections WHERE name_key = ?`, strings.ToLower(c.Name)).Scan(&exists); err != nil {
		return err
	}
	if exists > 0 {
		return mosaic.Errorf(mosaic.ECONFLICT, "Image collection %q already exists.", c.Name)
	}
	res, err := tx.exec(`INSERT INTO collections (name, name_key, item_id, srs_wkid, srs_wkt, fields,
		band_count, pixel_type, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		c.Name, strings.ToLower(c.Name), c.ItemID, c.SRS.WKID, c.SRS.WKT, string(fields),
		c.Summary.BandCount, c.Summary.PixelType, now.UnixMilli(), now.UnixMilli())
	if err != nil {
		return fmt.Errorf("insert collection: %w", err)
	}
	if c.ID, err = res.LastInsertId(); err != nil {
		return err
	}
	var cols []string
	for _, f := range c.Fields {
		switch f.Type {
		case mosaic.FieldOID:
			cols = append(cols, quote(f.Name)+" INTEGER PRIMARY KEY AUTOINCREMENT")
		case mosaic.FieldGeometry:
			cols = append(cols, quote(f.Name)+" BLOB NOT NULL")
		default:
			cols = append(cols, quote(f.Name)+" "+sqlType(f.Type))
		}
	}
	cols = append(cols, privateColumns...)
	ddl := []string{
		fmt.Sprintf(`CREATE TABLE %s (%s) STRICT`, itemsTable(c), strings.Join(cols, ", ")), // sqlfilter assumes declared types hold
		fmt.Sprintf(`CREATE INDEX %s ON %s (%s)`, quote(fmt.Sprintf("items_%d_path", c.ID)), itemsTable(c), quote(mosaic.FieldNamePath)),
		// Covering, so that refreshing a cell's aggregates after a delete
		// is an index-only scan.
		fmt.Sprintf(`CREATE INDEX %s ON %s (_cell, _minx, _miny, _maxx, _maxy, %s, %s) WHERE _deleted_at IS NULL`,
			quote(fmt.Sprintf("items_%d_cell", c.ID)), itemsTable(c), quote(mosaic.FieldNameLowPS), quote(mosaic.FieldNameHighPS)),
		fmt.Sprintf(`CREATE INDEX %s ON %s (_deleted_at) WHERE _deleted_at IS NOT NULL`, quote(fmt.Sprintf("items_%d_recycled", c.ID)), itemsTable(c)),
		fmt.Sprintf(`CREATE VIRTUAL TABLE %s USING rtree(id, minx, maxx, miny, maxy)`, rtreeTable(c)),
		rasterTableDDL(c.ID),
	}
	if stmt := timeIndex(c); stmt != "" {
		ddl = append(ddl, stmt)
	}
	for _, stmt := range ddl {
		if _, err := tx.exec(stmt); err != nil {
			return fmt.Errorf("create catalog of %s: %w", c.Name, err)
		}
	}
	return nil
}

// privateColumns are the store's own columns of every catalog table. Field
// names cannot start with an underscore, so they never clash. Each item's
// RasterInfo is not among them: it lives in the collection's raster table
// (rastersTable), out of the rows that queries read.
var privateColumns = []string{
	"_cell INTEGER NOT NULL DEFAULT 0", // boundary cell
	"_minx REAL", "_miny REAL", "_maxx REAL", "_maxy REAL",
	"_deleted_at INTEGER", // NULL for live items; set while in the recycle bin
	"_deleted_job TEXT",
}

func sqlType(t mosaic.FieldType) string {
	switch t {
	case mosaic.FieldInteger, mosaic.FieldDate, mosaic.FieldOID:
		return "INTEGER"
	case mosaic.FieldDouble:
		return "REAL"
	default:
		return "TEXT"
	}
}

// AddFields adds fields to c's catalog, skipping names it already has.
func (tx *Tx) AddFields(c *mosaic.Collection, fields []mosaic.Field) error {
	var added []mosaic.Field
	for _, f := range fields {
		if _, ok := c.Field(f.Name); ok {
			continue
		}
		if err := mosaic.ValidateField(f); err != nil {
			return err
		}
		if _, err := tx.exec(fmt.Sprintf(`ALTER TABLE %s ADD COLUMN %s %s`, itemsTable(c), quote(f.Name), sqlType(f.Type))); err != nil {
			return fmt.Errorf("add field %s: %w", f.Name, err)
		}
		c.Fields = append(c.Fields, f)
		added = append(added, f)
	}
	if len(added) == 0 {
		return nil
	}
	return tx.saveCollection(c)
}

// SetCollectionSRS stores c's spatial reference.
func (tx *Tx) SetCollectionSRS(c *mosaic.Collection) error { return tx.saveCollection(c) }

// saveCollection writes c's mutable columns.
func (tx *Tx) saveCollection(c *mosaic.Collection) error {
	return storesql.SaveCollection(tx.conn(), c)
}

// DeleteCollection removes c, its catalog, recycle bin and cells.
func (tx *Tx) DeleteCollection(c *mosaic.Collection) error {
	for _, stmt := range []string{
		`DROP TABLE IF EXISTS ` + rtreeTable(c),
		`DROP TABLE IF EXISTS ` + rastersTable(c),
		`DROP TABLE IF EXISTS ` + itemsTable(c),
	} {
		if _, err := tx.exec(stmt); err != nil {
			return fmt.Errorf("drop catalog of %s: %w", c.Name, err)
		}
	}
	res, err := tx.exec(`DELETE FROM collections WHERE id = ?`, c.ID)
	if err != nil {
		return fmt.Errorf("delete collection %s: %w", c.Name, err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return mosaic.Errorf(mosaic.ENOTFOUND, "Image collection %q does not exist.", c.Name)
	}
	return nil
}

// timeIndex is the statement that indexes c's time field (see
// storesql.TimeField), or "" when c has none.
func timeIndex(c *mosaic.Collection) string {
	f := storesql.TimeField(c)
	if f == "" {
		return ""
	}
	return fmt.Sprintf(`CREATE INDEX IF NOT EXISTS %s ON %s (%s)`, quote(fmt.Sprintf("items_%d_time", c.ID)), itemsTable(c), quote(f))
}

// ensureTimeIndexes indexes the time field of catalogs made before
// collections had that index (once; later opens find it).
func (db *DB) ensureTimeIndexes(ctx context.Context) error {
	return db.Update(ctx, func(mt mosaic.Tx) error {
		tx := mt.(*Tx)
		return storesql.IndexTimeFields(tx, func(stmt string) error {
			_, err := tx.exec(stmt)
			return err
		}, timeIndex)
	})
}
