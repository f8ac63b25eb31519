package storesql

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	sq "github.com/Masterminds/squirrel"

	"github.com/tessera-gis/tessera/mosaic"
	"github.com/tessera-gis/tessera/sqlfilter"
)

// Quote quotes an identifier that trusted code built.
func Quote(name string) string { return sqlfilter.QuoteIdent(name) }

// Col returns field name as a column of the items table aliased "i".
func Col(name string) string { return "i." + Quote(name) }

// FilterFields returns the allow-list of c's fields for sqlfilter, with
// columns qualified by the alias "i". The geometry is left out.
func FilterFields(c *mosaic.Collection) (*sqlfilter.Fields, error) {
	fs := make([]sqlfilter.Field, 0, len(c.Fields))
	for _, f := range c.Fields {
		var t sqlfilter.Type
		switch f.Type {
		case mosaic.FieldOID, mosaic.FieldInteger:
			t = sqlfilter.Integer
		case mosaic.FieldDouble:
			t = sqlfilter.Double
		case mosaic.FieldString:
			t = sqlfilter.String
		case mosaic.FieldDate:
			t = sqlfilter.Date
		default:
			continue // geometry cannot appear in a where clause
		}
		fs = append(fs, sqlfilter.Field{Name: f.Name, Column: Col(f.Name), Type: t})
	}
	return sqlfilter.NewFields(fs...)
}

// CompileWhere compiles a where clause over fields. A blank clause (as
// sqlfilter defines it: spaces, tabs and line breaks) returns nil unless
// required (then EINVALID).
func CompileWhere(fields *sqlfilter.Fields, where string, required bool, opts ...sqlfilter.Option) (sq.Sqlizer, error) {
	f, err := sqlfilter.Compile(where, fields, opts...)
	switch {
	case errors.Is(err, sqlfilter.ErrEmpty) && !required:
		return nil, nil
	case err != nil:
		return nil, InvalidWhere(err)
	}
	return f, nil
}

// WhereError returns err, from a statement that holds a compiled where
// clause, as EINVALID when the clause's values caused it (a number out of
// range: see sqlfilter.RuntimeError), as if the compiler had found it, and
// unchanged otherwise (nil included): I/O, locks and cancellation stay the
// store's.
func WhereError(err error) error {
	if fe := sqlfilter.RuntimeError(err); fe != nil {
		return InvalidWhere(fe)
	}
	return err
}

// InvalidWhere wraps a sqlfilter error as EINVALID with client-safe details.
func InvalidWhere(err error) error {
	var fe *sqlfilter.Error
	detail := "The where clause is not valid."
	if errors.As(err, &fe) {
		detail = fe.Error()
	}
	if errors.Is(err, sqlfilter.ErrEmpty) {
		detail = "A where clause is required; use 1=1 to select every item."
	}
	return &mosaic.Error{Code: mosaic.EINVALID, Message: "Invalid where clause.", Details: []string{detail}, Err: err}
}

// InvalidParam wraps a sqlfilter error about the parameter what (outFields,
// orderByFields) as EINVALID.
func InvalidParam(err error, what string) error {
	var fe *sqlfilter.Error
	detail := "The " + what + " parameter is not valid."
	if errors.As(err, &fe) {
		detail = fe.Error()
	}
	return &mosaic.Error{Code: mosaic.EINVALID, Message: "Invalid " + what + ".", Details: []string{detail}, Err: err}
}

// DataFields are the catalog columns an insert writes besides the OID and
// the geometry, in catalog order.
func DataFields(c *mosaic.Collection) []mosaic.Field {
	out := make([]mosaic.Field, 0, len(c.Fields))
	for _, f := range c.Fields {
		if f.Type != mosaic.FieldOID && f.Type != mosaic.FieldGeometry {
			out = append(out, f)
		}
	}
	return out
}

// SelectedFields returns c's fields named in out, in catalog order, always
// with OBJECTID and never the geometry.
func SelectedFields(c *mosaic.Collection, out []sqlfilter.Field) []mosaic.Field {
	want := map[string]bool{strings.ToLower(mosaic.FieldNameOID): true}
	for _, f := range out {
		want[strings.ToLower(f.Name)] = true
	}
	var fs []mosaic.Field
	for _, f := range c.Fields {
		if f.Type != mosaic.FieldGeometry && want[strings.ToLower(f.Name)] {
			fs = append(fs, f)
		}
	}
	return fs
}

// ValidateFields checks a new collection's field list: unique names (in
// any case), valid names and types, one OID field, one geometry field and
// a Path field.
func ValidateFields(fields []mosaic.Field) error {
	seen := map[string]bool{}
	var oid, shape int
	for _, f := range fields {
		key := strings.ToLower(f.Name)
		if seen[key] {
			return mosaic.Errorf(mosaic.EINVALID, "Duplicate field %q.", f.Name)
		}
		seen[key] = true
		switch f.Type {
		case mosaic.FieldOID:
			oid++
		case mosaic.FieldGeometry:
			shape++
		default:
			if err := mosaic.ValidateField(f); err != nil {
				return err
			}
		}
	}
	if oid != 1 || shape != 1 || !seen["path"] {
		return mosaic.Errorf(mosaic.EINVALID, "A catalog needs one OID field, one geometry field and a Path field.")
	}
	return nil
}

// UniqueIDs returns ids without repeats, in first-seen order.
func UniqueIDs(ids []int64) []int64 {
	seen := make(map[int64]bool, len(ids))
	out := make([]int64, 0, len(ids))
	for _, id := range ids {
		if !seen[id] {
			seen[id] = true
			out = append(out, id)
		}
	}
	return out
}

// SaveCollection writes c's mutable columns (fields, spatial reference,
// band count and pixel type) and sets its UpdatedAt.
func SaveCollection(db DB, c *mosaic.Collection) error {
	fields, err := json.Marshal(c.Fields)
	if err != nil {
		return err
	}
	c.UpdatedAt = db.Now()
	_, err = db.Exec(`UPDATE collections SET fields = ?, srs_wkid = ?, srs_wkt = ?, band_count = ?,
		pixel_type = ?, updated_at = ? WHERE id = ?`, string(fields), c.SRS.WKID, c.SRS.WKT,
		c.Summary.BandCount, c.Summary.PixelType, c.UpdatedAt.UnixMilli(), c.ID)
	if err != nil {
		return fmt.Errorf("save collection %s: %w", c.Name, err)
	}
	return nil
}

// TimeField is the field the ImageServer's timeInfo reports: c's first
// date field, or "" when it has none. Each store indexes it, so that the
// time extent (its first and last value) is two index probes, not a scan
// of the catalog.
func TimeField(c *mosaic.Collection) string {
	for _, f := range c.Fields {
		if f.Type == mosaic.FieldDate {
			return f.Name
		}
	}
	return ""
}

// IndexTimeFields runs, for every collection tx lists, the statement
// stmt gives for it (a store's time-field index; "" for none), through
// exec.
func IndexTimeFields(tx mosaic.ReadTx, exec func(stmt string) error, stmt func(*mosaic.Collection) string) error {
	cs, err := tx.Collections()
	if err != nil {
		return err
	}
	for _, c := range cs {
		if s := stmt(c); s != "" {
			if err := exec(s); err != nil {
				return fmt.Errorf("index the time field of %s: %w", c.Name, err)
			}
		}
	}
	return nil
}
