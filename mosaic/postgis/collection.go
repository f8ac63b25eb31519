package postgis

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/paulmach/orb"

	"github.com/tessera-gis/tessera/mosaic"
	"github.com/tessera-gis/tessera/mosaic/internal/storesql"
)

const collectionColumns = `id, name, item_id, srs_wkid, srs_wkt, fields, cell_size, band_count, pixel_type, next_oid, created_at, updated_at`

// collectionRow is a collection plus the store's private columns.
type collectionRow struct {
	mosaic.Collection
	cellSize float64
	nextOID  int64
}

func scanCollection(s pgx.Row) (*collectionRow, error) {
	var (
		c                collectionRow
		fields           string
		created, updated int64
	)
	if err := s.Scan(&c.ID, &c.Name, &c.ItemID, &c.SRS.WKID, &c.SRS.WKT, &fields, &c.cellSize,
		&c.Summary.BandCount, &c.Summary.PixelType, &c.nextOID, &created, &updated); err != nil {
		return nil, err
	}
	if err := json.Unmarshal([]byte(fields), &c.Fields); err != nil {
		return nil, fmt.Errorf("decode fields of collection %d: %w", c.ID, err)
	}
	c.CreatedAt, c.UpdatedAt = time.UnixMilli(created).UTC(), time.UnixMilli(updated).UTC()
	return &c, nil
}

// Collections returns every collection, ordered by name.
func (tx *Tx) Collections() ([]*mosaic.Collection, error) {
	rows, err := tx.query(`SELECT ` + collectionColumns + ` FROM collections ORDER BY name_key COLLATE "C"`)
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
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
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
	c, err := tx.collectionRow(ref, false)
	if err != nil {
		return nil, err
	}
	return &c.Collection, nil
}

// collectionRow reads a collection; lock locks its row until the end of
// the transaction, which serialises changes to its items.
func (tx *Tx) collectionRow(ref mosaic.CollectionRef, lock bool) (*collectionRow, error) {
	c, err := tx.collectionDefinition(ref, lock)
	if err != nil {
		return nil, err
	}
	if err := tx.loadSummary(&c.Collection); err != nil {
		return nil, err
	}
	return c, nil
}

// CollectionDefinition returns the collection that ref names without its
// Summary (mosaic.CollectionDefiner).
func (tx *Tx) CollectionDefinition(ref mosaic.CollectionRef) (*mosaic.Collection, error) {
	c, err := tx.collectionDefinition(ref, false)
	if err != nil {
		return nil, err
	}
	return &c.Collection, nil
}

var _ mosaic.CollectionDefiner = (*Tx)(nil)

func (tx *Tx) collectionDefinition(ref mosaic.CollectionRef, lock bool) (*collectionRow, error) {
	q := `SELECT ` + collectionColumns + ` FROM collections WHERE `
	arg := strings.ToLower(ref.Name)
	if ref.ItemID != "" {
		q, arg = q+`item_id = ?`, strings.ToLower(ref.ItemID)
	} else {
		q += `name_key = ?`
	}
	if lock {
		q += ` FOR UPDATE`
	}
	c, err := scanCollection(tx.queryRow(q, arg))
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, mosaic.Errorf(mosaic.ENOTFOUND, "Image collection %q does not exist.", ref.String())
	}
	if err != nil {
		return nil, fmt.Errorf("find collection: %w", err)
	}
	return c, nil
}

// lockCollection locks c's row for a change to its items and returns the
// row's private columns.
func (tx *Tx) lockCollection(c *mosaic.Collection) (*collectionRow, error) {
	if !tx.writable {
		return nil, errors.New("write in a read-only transaction")
	}
	return tx.collectionRow(mosaic.CollectionRef{ItemID: c.ItemID}, true)
}

// loadSummary fills c.Summary's counts, extent and cell sizes from the cells.
func (tx *Tx) loadSummary(c *mosaic.Collection) error {
	var (
		count                                   *int64
		minx, miny, maxx, maxy, psx, psy, maxPS *float64
	)
	err := tx.queryRow(`SELECT sum(count)::bigint, min(minx), min(miny), max(maxx), max(maxy),
		min(nullif(min_psx, 0)), min(nullif(min_psy, 0)), max(max_ps) FROM cells WHERE collection_id = ? AND count > 0`, c.ID).
		Scan(&count, &minx, &miny, &maxx, &maxy, &psx, &psy, &maxPS)
	if err != nil {
		return fmt.Errorf("load summary of %s: %w", c.Name, err)
	}
	s := &c.Summary
	if count == nil || *count == 0 {
		s.Count, s.Extent, s.MinCellX, s.MinCellY, s.MaxCell = 0, orb.Bound{}, 0, 0, 0
		return nil
	}
	s.Count = *count
	s.Extent = orb.Bound{Min: orb.Point{*minx, *miny}, Max: orb.Point{*maxx, *maxy}}
	// Unknown pixel sizes (0) are left out: NULL when no cell knows them.
	orZero := func(v *float64) float64 {
		if v == nil {
			return 0
		}
		return *v
	}
	s.MinCellX, s.MinCellY, s.MaxCell = orZero(psx), orZero(psy), orZero(maxPS)
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
	var exists bool
	if err := tx.queryRow(`SELECT EXISTS (SELECT 1 FROM collections WHERE name_key = ?)`, strings.ToLower(c.Name)).Scan(&exists); err != nil {
		return err
	}
	if exists {
		return mosaic.Errorf(mosaic.ECONFLICT, "Image collection %q already exists.", c.Name)
	}
	err = tx.queryRow(`INSERT INTO collections (name, name_key, item_id, srs_wkid, srs_wkt, fields,
		band_count, pixel_type, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`,
		c.Name, strings.ToLower(c.Name), c.ItemID, c.SRS.WKID, c.SRS.WKT, string(fields),
		c.Summary.BandCount, c.Summary.PixelType, now.UnixMilli(), now.UnixMilli()).Scan(&c.ID)
	if isUniqueViolation(err) {
		return mosaic.Errorf(mosaic.ECONFLICT, "Image collection %q already exists.", c.Name)
	}
	if err != nil {
		return fmt.Errorf("insert collection: %w", err)
	}
	var cols []string
	for _, f := range c.Fields {
		switch f.Type {
		case mosaic.FieldOID:
			cols = append(cols, quote(f.Name)+" BIGINT PRIMARY KEY")
		case mosaic.FieldGeometry:
			cols = append(cols, quote(f.Name)+" geometry NOT NULL")
		default:
			cols = append(cols, quote(f.Name)+" "+sqlType(f.Type))
		}
	}
	cols = append(cols, privateColumns...)
	name := func(suffix string) string { return quote(fmt.Sprintf("items_%d_%s", c.ID, suffix)) }
	ddl := []string{
		fmt.Sprintf(`CREATE TABLE %s (%s)`, itemsTable(c), strings.Join(cols, ", ")),
		// Footprints and paths are read for live items only: an item moved
		// to the recycle bin leaves these indexes, which makes a large
		// delete cheaper by half (migration 003).
		fmt.Sprintf(`CREATE INDEX %s ON %s USING gist (%s) WHERE _deleted_at IS NULL`, name("shape"), itemsTable(c), quote(mosaic.FieldNameShape)),
		fmt.Sprintf(`CREATE INDEX %s ON %s (%s) WHERE _deleted_at IS NULL`, name("path"), itemsTable(c), quote(mosaic.FieldNamePath)),
		// Covering, so that the cells' edge checks and rescans after a
		// delete are index-only scans.
		fmt.Sprintf(`CREATE INDEX %s ON %s (_cell) INCLUDE (_shape_key, _minx, _miny, _maxx, _maxy, %s, %s) WHERE _deleted_at IS NULL`,
			name("cell"), itemsTable(c), quote(mosaic.FieldNameLowPS), quote(mosaic.FieldNameHighPS)),
		fmt.Sprintf(`CREATE INDEX %s ON %s (_deleted_at) WHERE _deleted_at IS NOT NULL`, name("recycled"), itemsTable(c)),
		fmt.Sprintf(`CREATE INDEX %s ON %s (_deleted_job) WHERE _deleted_at IS NOT NULL`, name("recycled_job"), itemsTable(c)),
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
// names cannot start with an underscore, so they never clash.
var privateColumns = []string{
	"_raster TEXT NOT NULL DEFAULT '{}'", // JSON mosaic.RasterInfo
	"_cell BIGINT NOT NULL DEFAULT 0",    // boundary cell
	"_shape_key BIGINT NOT NULL DEFAULT 0",
	"_minx DOUBLE PRECISION", "_miny DOUBLE PRECISION", "_maxx DOUBLE PRECISION", "_maxy DOUBLE PRECISION",
	"_deleted_at BIGINT", // NULL for live items; set while in the recycle bin
	"_deleted_job TEXT",
}

// sqlType is a field's column type: what sqlfilter's PostgreSQL dialect
// expects (dates are epoch milliseconds).
func sqlType(t mosaic.FieldType) string {
	switch t {
	case mosaic.FieldInteger, mosaic.FieldDate, mosaic.FieldOID:
		return "BIGINT"
	case mosaic.FieldDouble:
		return "DOUBLE PRECISION"
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
		if len(added) == 0 {
			if _, err := tx.lockCollection(c); err != nil {
				return err
			}
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
	tag, err := tx.exec(`DELETE FROM collections WHERE id = ?`, c.ID)
	if err != nil {
		return fmt.Errorf("delete collection %s: %w", c.Name, err)
	}
	if tag.RowsAffected() == 0 {
		return mosaic.Errorf(mosaic.ENOTFOUND, "Image collection %q does not exist.", c.Name)
	}
	if _, err := tx.exec(`DROP TABLE IF EXISTS ` + itemsTable(c)); err != nil {
		return fmt.Errorf("drop catalog of %s: %w", c.Name, err)
	}
	return nil
}

// timeIndex is the statement that indexes c's live items by its time field
// (see storesql.TimeField), or "" when c has none.
func timeIndex(c *mosaic.Collection) string {
	f := storesql.TimeField(c)
	if f == "" {
		return ""
	}
	return fmt.Sprintf(`CREATE INDEX IF NOT EXISTS %s ON %s (%s ASC NULLS FIRST) WHERE _deleted_at IS NULL`,
		quote(fmt.Sprintf("items_%d_time", c.ID)), itemsTable(c), quote(f))
}

// ensureTimeIndexes indexes the time field of catalogs made before
// collections had that index, one instance at a time.
func (db *DB) ensureTimeIndexes(ctx context.Context) error {
	return db.Update(ctx, func(mt mosaic.Tx) error {
		tx := mt.(*Tx)
		if _, err := tx.exec(`SELECT pg_advisory_xact_lock(?)`, migrationLock+1); err != nil {
			return err
		}
		return storesql.IndexTimeFields(tx, func(stmt string) error {
			_, err := tx.exec(stmt)
			return err
		}, timeIndex)
	})
}
