package server

import (
	"strconv"
	"strings"

	"github.com/tessera-gis/tessera/mosaic"
	"github.com/tessera-gis/tessera/sqlfilter"
)

// Where an item's raster comes from (its Path field: a file name or URL)
// and what a job was asked to read (its inputs, and messages that name
// files) are shown to publishers and admins only. Viewers, anonymous
// ones included, see collections without the Path field: not in the
// service's fields, not in query answers, not usable in a where clause,
// an order or a mosaic rule (which could otherwise probe it one letter at
// a time), and jobs without their inputs and messages.

// seesSources reports whether the caller may see source paths and job
// inputs.
func (r *request) seesSources() bool { return r.user.Can(mosaic.RolePublisher) }

// visible returns c as the caller may see it: without the Path field
// unless they see sources. The store still reads paths for rendering
// with the whole collection.
func (r *request) visible(c *mosaic.Collection) *mosaic.Collection {
	if r.seesSources() || c == nil {
		return c
	}
	v := *c
	v.Fields = make([]mosaic.Field, 0, len(c.Fields))
	for _, f := range c.Fields {
		if !strings.EqualFold(f.Name, mosaic.FieldNamePath) {
			v.Fields = append(v.Fields, f)
		}
	}
	return &v
}

// checkVisibleRule refuses a mosaic rule that names a field the caller
// cannot see, with the answer an unknown field gets.
func (r *request) checkVisibleRule(c *mosaic.Collection, where, sortField string) error {
	if r.seesSources() {
		return nil
	}
	v := r.visible(c)
	if sortField != "" && strings.EqualFold(strings.TrimSpace(sortField), mosaic.FieldNamePath) {
		return badParam("mosaicRule", "sortField "+strconv.Quote(sortField)+" is not a field of "+c.Name)
	}
	if strings.TrimSpace(where) == "" {
		return nil
	}
	all, err1 := filterFields(c)
	seen, err2 := filterFields(v)
	if err1 != nil || err2 != nil {
		return nil // the store reports it
	}
	if _, err := sqlfilter.Compile(where, all); err != nil {
		return nil // not about hidden fields: the store reports it as usual
	}
	if _, err := sqlfilter.Compile(where, seen); err != nil {
		return badParam("mosaicRule", "where: "+err.Error())
	}
	return nil
}

// filterFields is the where-clause view of c's fields, for checking only.
func filterFields(c *mosaic.Collection) (*sqlfilter.Fields, error) {
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
			continue
		}
		fs = append(fs, sqlfilter.Field{Name: f.Name, Column: sqlfilter.QuoteIdent(f.Name), Type: t})
	}
	return sqlfilter.NewFields(fs...)
}
