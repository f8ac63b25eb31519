package server

import (
	"strconv"
	"strings"

	"github.com/tessera-gis/tessera/mosaic"
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

// checkVisibleSort refuses a mosaic rule whose sortField is a field the
// caller cannot see, with the answer an unknown field gets.
func (r *request) checkVisibleSort(c *mosaic.Collection, sortField string) error {
	if r.seesSources() || !strings.EqualFold(strings.TrimSpace(sortField), mosaic.FieldNamePath) {
		return nil
	}
	return badParam("mosaicRule", "sortField "+strconv.Quote(sortField)+" is not a field of "+c.Name)
}

// checkVisibleWhere refuses a mosaic rule's where clause that names a
// field the caller cannot see: the store compiles it over the fields the
// caller sees, and answers as for an unknown field.
func (r *request) checkVisibleWhere(tx mosaic.ReadTx, c *mosaic.Collection, where string) error {
	if r.seesSources() {
		return nil
	}
	return tx.CheckWhere(r.visible(c), where, false)
}
