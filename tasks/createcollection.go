package tasks

import (
	"context"
	"fmt"

	"github.com/tessera-gis/tessera/mosaic"
	"github.com/tessera-gis/tessera/raster"
)

// CreateImageCollection creates a collection and its ImageServer, and
// optionally adds rasters to it.
type CreateImageCollection struct{}

// Info describes CreateImageCollection.
func (CreateImageCollection) Info() mosaic.TaskInfo {
	ic := paramImageCollection
	ic.Description = "The new collection's name (letters, digits, underscores), or {\"serviceProperties\":{\"name\":…}}."
	in := paramInputRasters
	in.Required = false
	return mosaic.TaskInfo{
		Name: "CreateImageCollection", DisplayName: "Create Image Collection", Permission: mosaic.RoleAdmin,
		Description: "Creates an image collection and its ImageServer, optionally adding rasters. " +
			`context.outSR sets its spatial reference (by default the first raster's); context.fields adds catalog fields.`,
		Params: []mosaic.ParamInfo{ic, in, paramRasterType, paramContext, {
			Name: "result", DataType: "GPString", DisplayName: "Result", Direction: mosaic.ParamOutput, Required: true,
			Description: `{"url": ".../ImageServer", "itemId": …}`,
		}},
	}
}

type createArgs struct {
	name   string
	srs    raster.SRS
	fields []mosaic.Field
	add    *addOptions
}

func parseCreateArgs(in Inputs) (*createArgs, error) {
	ref, err := in.CollectionRef("imageCollection")
	if err != nil {
		return nil, err
	}
	if ref.Name == "" {
		return nil, invalidParam("imageCollection", "give the new collection's name")
	}
	a := &createArgs{name: ref.Name}
	if err := mosaic.ValidateCollectionName(a.name); err != nil {
		return nil, err
	}
	var ctx struct {
		OutSR  any `json:"outSR"`
		Fields []struct {
			Name   string `json:"name"`
			Type   string `json:"type"`
			Length int    `json:"length"`
		} `json:"fields"`
	}
	if err := in.JSON("context", &ctx); err != nil {
		return nil, err
	}
	if s := srText(ctx.OutSR); s != "" {
		if a.srs, err = raster.ParseSRS(s); err != nil {
			return nil, invalidParam("context", fmt.Sprintf("outSR %q is not a known spatial reference", s))
		}
	}
	for _, f := range ctx.Fields {
		t, ok := fieldTypes[lowerASCII(f.Type)]
		if !ok {
			return nil, invalidParam("context", fmt.Sprintf("field %q has unknown type %q", f.Name, f.Type))
		}
		fd := mosaic.Field{Name: f.Name, Type: t, Length: f.Length}
		if err := mosaic.ValidateField(fd); err != nil {
			return nil, err
		}
		a.fields = append(a.fields, fd)
	}
	if in.Has("inputRasters") {
		if a.add, err = parseAddOptions(in); err != nil {
			return nil, err
		}
		a.add.OutSR = "" // applied to the new collection itself
	}
	return a, nil
}

// fieldTypes maps the type names clients use (Esri and plain) to types.
var fieldTypes = map[string]mosaic.FieldType{
	"long": mosaic.FieldInteger, "integer": mosaic.FieldInteger, "short": mosaic.FieldInteger, "int": mosaic.FieldInteger,
	"esrifieldtypeinteger": mosaic.FieldInteger, "esrifieldtypesmallinteger": mosaic.FieldInteger,
	"double": mosaic.FieldDouble, "float": mosaic.FieldDouble, "single": mosaic.FieldDouble, "real": mosaic.FieldDouble,
	"esrifieldtypedouble": mosaic.FieldDouble, "esrifieldtypesingle": mosaic.FieldDouble,
	"text": mosaic.FieldString, "string": mosaic.FieldString, "esrifieldtypestring": mosaic.FieldString,
	"date": mosaic.FieldDate, "esrifieldtypedate": mosaic.FieldDate,
}

// Validate checks the name is free and the options are valid.
func (t CreateImageCollection) Validate(ctx context.Context, tx mosaic.ReadTx, params map[string]string) error {
	in, err := required(t, params)
	if err != nil {
		return err
	}
	a, err := parseCreateArgs(in)
	if err != nil {
		return err
	}
	if _, err := tx.Collection(mosaic.CollectionRef{Name: a.name}); err == nil {
		return mosaic.Errorf(mosaic.ECONFLICT, "Image collection %q already exists.", a.name).WithDetails(
			"Choose another name, or add rasters to it with AddImage.")
	}
	if a.add != nil {
		if err := checkSources(ctx, a.add); err != nil {
			return err
		}
		return checkManifests(ctx, a.add)
	}
	return nil
}

// Run creates the collection and adds rasters if given. The collection is
// created in the job's final transaction, with its items, so a job that
// fails or is cancelled leaves no collection behind.
func (CreateImageCollection) Run(ctx context.Context, r *Run) error {
	a, err := parseCreateArgs(r.Inputs())
	if err != nil {
		return err
	}
	c := &mosaic.Collection{Name: a.name, ItemID: mosaic.NewItemID(), Fields: append(mosaic.StandardFields(), a.fields...)}
	if !a.srs.IsZero() {
		c.SRS = mosaic.SpatialRef{WKID: a.srs.EPSG, WKT: a.srs.WKT}
	}
	create := func(tx mosaic.Tx) (*mosaic.Collection, error) {
		nc := *c
		nc.Fields = append([]mosaic.Field(nil), c.Fields...)
		if err := tx.CreateCollection(&nc); err != nil {
			return nil, err
		}
		if err := tx.Audit(mosaic.AuditEntry{User: r.Job().Owner, Action: "create-collection", Collection: nc.Name, JobID: r.ID()}); err != nil {
			return nil, err
		}
		if err := tx.AddJobMessages(r.ID(), mosaic.Info(fmt.Sprintf("Created image collection %s (itemId %s).", nc.Name, nc.ItemID))); err != nil {
			return nil, err
		}
		return &nc, nil
	}
	result := func(c *mosaic.Collection, v map[string]any) { v["itemId"] = c.ItemID }
	if a.add == nil {
		return r.Finish(ctx, func(tx mosaic.Tx) (map[string]mosaic.JobResult, []mosaic.JobMessage, error) {
			nc, err := create(tx)
			if err != nil {
				return nil, nil, err
			}
			return urlResult(r.ServiceURL(nc.Name), map[string]any{"itemId": nc.ItemID}), nil, nil
		})
	}
	return ingest(ctx, r, c, a.add, create, result)
}

// lowerASCII lowers the ASCII letters of s only.
func lowerASCII(s string) string {
	b := []byte(s)
	for i, c := range b {
		if 'A' <= c && c <= 'Z' {
			b[i] = c + 'a' - 'A'
		}
	}
	return string(b)
}
