package tasks

import (
	"context"
	"encoding/json"
	"fmt"
	"regexp"
	"sort"
	"strconv"
	"strings"

	"github.com/tessera-gis/tessera/mosaic"
)

// AddImage reads rasters with GDAL and adds them to a collection's catalog.
// Source rasters are opened read-only and never changed.
type AddImage struct{}

// Info describes AddImage.
func (AddImage) Info() mosaic.TaskInfo {
	return mosaic.TaskInfo{
		Name: "AddImage", DisplayName: "Add Image", Permission: mosaic.RolePublisher,
		Description: "Adds rasters to an image collection's catalog by reference. Source rasters are read, never copied or changed.",
		Params: []mosaic.ParamInfo{
			paramImageCollection,
			paramInputRasters,
			paramRasterType,
			paramContext,
			paramResultURL,
		},
	}
}

var (
	paramInputRasters = mosaic.ParamInfo{
		Name: "inputRasters", DataType: "GPString", DisplayName: "Input Rasters", Direction: mosaic.ParamInput, Required: true,
		Description: `A path, URL, directory (walked recursively) or glob; a JSON array of them; or {"uris":[…]}, {"urls":[…]}, {"uri":…}, {"url":…}. ` +
			`http(s), s3, gs and az URLs are read through GDAL's /vsicurl/, /vsis3/, /vsigs/ and /vsiaz/. For the Table raster type: the manifest file(s).`,
	}
	paramRasterType = mosaic.ParamInfo{
		Name: "rasterType", DataType: "GPString", DisplayName: "Raster Type", Direction: mosaic.ParamInput,
		Description: `"Raster Dataset" (any raster GDAL opens) or "Table" (a CSV, JSON-lines or GDAL vector manifest, one raster per row); ` +
			`or {"rasterTypeName":…,"rasterTypeParameters":{"rasterPathField":"Raster","fieldMap":{…},"csvEmpty":"quoted"}}. ` +
			`Manifest values are stored as given (JSON null is NULL); an empty CSV cell is NULL unless quoted ("" is the empty string in a text field); ` +
			`csvEmpty "null", "empty" or "missing" (the raster's metadata fills it) changes that.`,
		Default: "Raster Dataset",
	}
	paramContext = mosaic.ParamInfo{
		Name: "context", DataType: "GPString", DisplayName: "Context", Direction: mosaic.ParamInput,
		Description: `Options as JSON: buildFootprints, computeStatistics, defineNodata with noDataArguments, duplicateItemsAction ` +
			`(ALLOW, EXCLUDE, OVERWRITE), updateBoundary, updateCellSizeRanges, strict, filter, subFolders, outSR, batchSize.`,
	}
)

// addOptions are AddImage's parsed options.
type addOptions struct {
	Sources         []string      // inputRasters as given
	Table           *tableOptions // set for the Table raster type
	BuildFootprints bool          // valid-data footprints instead of image bounds
	ComputeStats    bool
	NoData          *float64
	Duplicates      mosaic.DuplicateAction
	Strict          bool
	OutSR           string
	UpdateBoundary  bool
	UpdateCellSizes bool
	Filter          *sourceFilter // for directory walks and globs
	SubFolders      bool
	BatchSize       int
	Ignored         []string // option keys that were not understood
}

// tableOptions are the Table raster type's parameters.
type tableOptions struct {
	PathField string            // "" means Raster, else location (gdaltindex)
	FieldMap  map[string]string // column → field ("" drops the column)
	Empty     emptyRule         // what an empty CSV cell means (csvEmpty)
}

const (
	defaultBatchSize = 500
	maxBatchSize     = 10000
)

// acceptedKeys are option keys that clients send and that tessera accepts
// without acting on: the ArcGIS API for Python always sends averagezdem,
// and the rest are Esri geoprocessing environment settings.
var acceptedKeys = map[string]bool{"averagezdem": true, "byref": true, "buildoverview": true, "extent": true,
	"processsr": true, "parallelprocessingfactor": true, "mask": true, "cellsize": true, "snapraster": true,
	"fields": true, "image_collection_properties": true, "imagecollectionprops": true, "gps": true,
	"cameraproperties": true, "constantz": true, "dem": true}

func parseAddOptions(in Inputs) (*addOptions, error) {
	o := &addOptions{Duplicates: mosaic.DuplicatesAllow, UpdateBoundary: true, UpdateCellSizes: true,
		SubFolders: true, BatchSize: defaultBatchSize}
	var err error
	if o.Sources, err = parseInputRasters(in["inputRasters"]); err != nil {
		return nil, err
	}
	params, err := parseRasterType(in, o)
	if err != nil {
		return nil, err
	}
	ctx := map[string]any{}
	if err := in.JSON("context", &ctx); err != nil {
		return nil, err
	}
	for k, v := range params { // rasterTypeParameters and context share keys; context wins
		if _, ok := ctx[k]; !ok {
			ctx[k] = v
		}
	}
	keys := make([]string, 0, len(ctx))
	for k := range ctx {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	p := &optionParse{o: o}
	for _, k := range keys {
		parse, ok := addOptionKeys[strings.ToLower(k)]
		if !ok {
			if !acceptedKeys[strings.ToLower(k)] {
				o.Ignored = append(o.Ignored, k)
			}
			continue
		}
		if err := parse(p, k, ctx[k]); err != nil {
			return nil, err
		}
	}
	switch {
	case p.defineNodata != nil && !*p.defineNodata:
	case p.nodataValue != nil:
		o.NoData = p.nodataValue
	case p.defineNodata != nil:
		return nil, invalidParam("context", "defineNodata needs a value: give noDataArguments.noDataValues")
	}
	if o.Table != nil && o.Table.FieldMap != nil {
		for col, f := range o.Table.FieldMap {
			if f == "" {
				continue
			}
			if err := mosaic.ValidateField(mosaic.Field{Name: f, Type: mosaic.FieldString}); err != nil {
				return nil, invalidParam("rasterTypeParameters", fmt.Sprintf("fieldMap maps %q to an invalid field name %q", col, f))
			}
		}
	}
	return o, nil
}

// parseRasterType reads rasterType (a name, or {"rasterTypeName":…,
// "rasterTypeParameters":{…}}) into o and returns its parameters.
func parseRasterType(in Inputs, o *addOptions) (map[string]any, error) {
	var rt struct {
		Name   string         `json:"rasterTypeName"`
		Params map[string]any `json:"rasterTypeParameters"`
	}
	if s := strings.TrimSpace(in["rasterType"]); s != "" {
		if strings.HasPrefix(s, "{") {
			if err := json.Unmarshal([]byte(s), &rt); err != nil {
				return nil, invalidParam("rasterType", "not valid JSON")
			}
		} else {
			rt.Name = in.String("rasterType")
		}
	}
	switch strings.ReplaceAll(strings.ToLower(strings.TrimSpace(rt.Name)), " ", "") {
	case "", "rasterdataset":
	case "table":
		o.Table = &tableOptions{Empty: emptyQuoted}
	default:
		return nil, invalidParam("rasterType", fmt.Sprintf("raster type %q is not supported; use \"Raster Dataset\" or \"Table\"", rt.Name))
	}
	return rt.Params, nil
}

// optionParse is the state of one parse of AddImage's options: the options,
// and what the two nodata keys said, which only make sense together.
type optionParse struct {
	o            *addOptions
	defineNodata *bool
	nodataValue  *float64
}

// addOption parses the value v of the option key (as the client spelled
// it) into p.
type addOption func(p *optionParse, key string, v any) error

// addOptionKeys are AddImage's options by lower-case key, aliases
// included; see paramContext and docs/ingest.md.
var addOptionKeys = func() map[string]addOption {
	m := map[string]addOption{}
	for _, o := range []struct {
		keys  []string
		parse addOption
	}{
		{[]string{"buildfootprints"}, boolOption(func(o *addOptions) *bool { return &o.BuildFootprints })},
		{[]string{"footprintsarguments"}, parseFootprintsArguments},
		{[]string{"computestatistics", "calculatestatistics", "estimatestatistics"},
			boolOption(func(o *addOptions) *bool { return &o.ComputeStats })},
		{[]string{"definenodata"}, parseDefineNodata},
		{[]string{"nodataarguments"}, parseNoDataArguments},
		{[]string{"duplicateitemsaction"}, parseDuplicates},
		{[]string{"strict"}, boolOption(func(o *addOptions) *bool { return &o.Strict })},
		{[]string{"updateboundary"}, boolOption(func(o *addOptions) *bool { return &o.UpdateBoundary })},
		{[]string{"updatecellsizeranges", "updatecellsizes"}, boolOption(func(o *addOptions) *bool { return &o.UpdateCellSizes })},
		{[]string{"outsr"}, parseOutSR},
		{[]string{"filter"}, func(p *optionParse, _ string, v any) (err error) {
			s, _ := v.(string)
			p.o.Filter, err = parseFilter(s)
			return err
		}},
		{[]string{"subfolders", "sub_folder", "subfolder"}, boolOption(func(o *addOptions) *bool { return &o.SubFolders })},
		{[]string{"batchsize"}, parseBatchSize},
		{[]string{"rasterpathfield"}, func(p *optionParse, _ string, v any) error {
			s, _ := v.(string)
			if p.o.Table != nil {
				p.o.Table.PathField = strings.TrimSpace(s)
			}
			return nil
		}},
		{[]string{"csvempty"}, parseCSVEmpty},
		{[]string{"fieldmap"}, parseFieldMap},
	} {
		for _, k := range o.keys {
			m[k] = o.parse
		}
	}
	return m
}()

// boolOption parses a boolean option into the field that field returns.
func boolOption(field func(*addOptions) *bool) addOption {
	return func(p *optionParse, key string, v any) (err error) {
		*field(p.o), err = anyBool(key, v)
		return err
	}
}

func parseFootprintsArguments(p *optionParse, _ string, v any) error {
	if m, ok := v.(map[string]any); ok {
		if method, _ := m["method"].(string); method != "" {
			p.o.BuildFootprints = strings.EqualFold(method, "RADIOMETRY")
		}
	}
	return nil
}

func parseDefineNodata(p *optionParse, key string, v any) error {
	if f, ok := anyFloat(v); ok {
		t := true
		p.nodataValue, p.defineNodata = &f, &t
		return nil
	}
	b, err := anyBool(key, v)
	if err != nil {
		return err
	}
	p.defineNodata = &b
	return nil
}

func parseNoDataArguments(p *optionParse, _ string, v any) error {
	m, _ := v.(map[string]any)
	vals, _ := m["noDataValues"].([]any)
	if len(vals) == 0 {
		return invalidParam("context", "noDataArguments.noDataValues must list at least one number")
	}
	f, ok := anyFloat(vals[0])
	if !ok {
		return invalidParam("context", "noDataArguments.noDataValues must be numbers")
	}
	p.nodataValue = &f
	return nil
}

func parseDuplicates(p *optionParse, _ string, v any) error {
	s, _ := v.(string)
	s = strings.TrimSuffix(strings.ToUpper(strings.TrimSpace(s)), "_DUPLICATES")
	switch mosaic.DuplicateAction(s) {
	case mosaic.DuplicatesAllow, mosaic.DuplicatesExclude, mosaic.DuplicatesOverwrite:
		p.o.Duplicates = mosaic.DuplicateAction(s)
		return nil
	}
	return invalidParam("context", "duplicateItemsAction must be ALLOW, EXCLUDE or OVERWRITE")
}

func parseOutSR(p *optionParse, _ string, v any) error {
	p.o.OutSR = srText(v)
	if p.o.OutSR == "" && v != nil {
		return invalidParam("context", `outSR must be a wkid, {"wkid":…} or {"wkt":…}`)
	}
	return nil
}

func parseBatchSize(p *optionParse, _ string, v any) error {
	f, ok := anyFloat(v)
	if !ok || f < 1 || f > maxBatchSize || f != float64(int(f)) {
		return invalidParam("context", fmt.Sprintf("batchSize must be an integer from 1 to %d", maxBatchSize))
	}
	p.o.BatchSize = int(f)
	return nil
}

func parseCSVEmpty(p *optionParse, _ string, v any) error {
	s, _ := v.(string)
	switch r := emptyRule(strings.ToLower(strings.TrimSpace(s))); r {
	case emptyQuoted, emptyNull, emptyEmpty, emptyMissing:
		if p.o.Table != nil {
			p.o.Table.Empty = r
		}
		return nil
	}
	return invalidParam("rasterTypeParameters", `csvEmpty must be "quoted", "null", "empty" or "missing"`)
}

func parseFieldMap(p *optionParse, _ string, v any) error {
	m, ok := v.(map[string]any)
	if !ok {
		return invalidParam("rasterTypeParameters", `fieldMap must be an object {"column":"Field",…}`)
	}
	if p.o.Table != nil {
		p.o.Table.FieldMap = map[string]string{}
		for col, f := range m {
			s, _ := f.(string)
			p.o.Table.FieldMap[col] = strings.TrimSpace(s)
		}
	}
	return nil
}

// anyBool reads a boolean option: JSON true/false, "true"/"false" and the
// like, 0/1, or an ArcGIS keyword (UPDATE_BOUNDARY / NO_BOUNDARY…).
func anyBool(name string, v any) (bool, error) {
	switch x := v.(type) {
	case bool:
		return x, nil
	case string:
		s := strings.ToUpper(strings.TrimSpace(x))
		if strings.HasPrefix(s, "NO_") {
			return false, nil
		}
		switch s {
		case "UPDATE_BOUNDARY", "UPDATE_CELL_SIZES", "CALCULATE_STATISTICS", "ESTIMATE_STATISTICS",
			"SUBFOLDERS", "RADIOMETRY", "STRICT", "BUILD_FOOTPRINTS":
			return true, nil
		}
		b, err := Inputs{name: x}.Bool(name, false)
		if err != nil {
			return false, invalidParam("context", name+" must be true or false")
		}
		return b, nil
	case float64:
		return x != 0, nil
	}
	return false, invalidParam("context", name+" must be true or false")
}

func anyFloat(v any) (float64, bool) {
	switch x := v.(type) {
	case float64:
		return x, true
	case string:
		f, err := strconv.ParseFloat(strings.TrimSpace(x), 64)
		return f, err == nil
	}
	return 0, false
}

// srText turns an outSR value ({"wkid":…}, {"wkt":…}, a number or text)
// into text that raster.ParseSRS reads.
func srText(v any) string {
	switch x := v.(type) {
	case float64:
		return strconv.Itoa(int(x))
	case string:
		return strings.TrimSpace(x)
	case map[string]any:
		if w, ok := x["latestWkid"].(float64); ok {
			return strconv.Itoa(int(w))
		}
		if w, ok := x["wkid"].(float64); ok {
			return strconv.Itoa(int(w))
		}
		if s, ok := x["wkt"].(string); ok {
			return s
		}
	}
	return ""
}

// sourceFilter selects files found by directory walks and globs: a
// wildcard pattern on the file name (or on the full path when it has a
// slash), or a regular expression on the full path after "REGEX:", as
// ArcGIS's filter does.
type sourceFilter struct {
	glob string
	re   *regexp.Regexp
}

func parseFilter(s string) (*sourceFilter, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return nil, nil
	}
	if rest, ok := strings.CutPrefix(s, "REGEX:"); ok {
		re, err := regexp.Compile(rest)
		if err != nil {
			return nil, invalidParam("context", fmt.Sprintf("filter %q is not a valid regular expression", rest))
		}
		return &sourceFilter{re: re}, nil
	}
	if _, err := matchGlob(s, "x"); err != nil {
		return nil, invalidParam("context", fmt.Sprintf("filter %q is not a valid pattern", s))
	}
	return &sourceFilter{glob: s}, nil
}

// Match reports whether path passes the filter; a nil filter passes all.
func (f *sourceFilter) Match(path string) bool {
	if f == nil {
		return true
	}
	if f.re != nil {
		return f.re.MatchString(path)
	}
	ok, _ := matchGlob(f.glob, path)
	return ok
}

// parseInputRasters reads the inputRasters forms into raw source strings.
func parseInputRasters(raw string) ([]string, error) {
	raw = strings.TrimSpace(raw)
	if raw == "" {
		return nil, invalidParam("inputRasters", "missing")
	}
	var out []string
	var walk func(v any) error
	walk = func(v any) error {
		switch x := v.(type) {
		case string:
			if s := strings.TrimSpace(x); s != "" {
				out = append(out, s)
			}
		case []any:
			for _, e := range x {
				if err := walk(e); err != nil {
					return err
				}
			}
		case map[string]any:
			found := false
			for _, k := range []string{"uris", "urls", "uri", "url", "paths", "path"} {
				if e, ok := x[k]; ok {
					found = true
					if err := walk(e); err != nil {
						return err
					}
				}
			}
			if _, ok := x["itemIds"]; ok && !found {
				return invalidParam("inputRasters", "portal itemIds are not supported; give paths or URLs")
			}
			if _, ok := x["folderId"]; ok && !found {
				return invalidParam("inputRasters", "portal folderIds are not supported; give a directory path")
			}
			if !found {
				return invalidParam("inputRasters", "expected uri, uris, url or urls")
			}
		default:
			return invalidParam("inputRasters", "expected a path, a URL or a JSON array of them")
		}
		return nil
	}
	if strings.HasPrefix(raw, "[") || strings.HasPrefix(raw, "{") || strings.HasPrefix(raw, `"`) {
		var v any
		if err := json.Unmarshal([]byte(raw), &v); err != nil {
			return nil, invalidParam("inputRasters", "not valid JSON")
		}
		if err := walk(v); err != nil {
			return nil, err
		}
	} else {
		// A list of paths separated by semicolons or newlines, as some
		// clients send.
		for _, p := range strings.FieldsFunc(raw, func(r rune) bool { return r == ';' || r == '\n' }) {
			if p = strings.TrimSpace(p); p != "" {
				out = append(out, p)
			}
		}
	}
	if len(out) == 0 {
		return nil, invalidParam("inputRasters", "no rasters given")
	}
	return out, nil
}

// Validate checks the collection and the options. It is cheap: rasters are
// read by the job, and a manifest's header only is checked here.
func (t AddImage) Validate(ctx context.Context, tx mosaic.ReadTx, params map[string]string) error {
	in, err := required(t, params)
	if err != nil {
		return err
	}
	o, err := parseAddOptions(in)
	if err != nil {
		return err
	}
	if _, err := collection(tx, in); err != nil {
		return err
	}
	if err := checkSources(ctx, o); err != nil {
		return err
	}
	return checkManifests(ctx, o)
}

// Run reads the rasters in parallel and commits them in batches.
func (AddImage) Run(ctx context.Context, r *Run) error {
	o, err := parseAddOptions(r.Inputs())
	if err != nil {
		return err
	}
	var c *mosaic.Collection
	if err := r.Store().View(ctx, func(tx mosaic.ReadTx) (err error) {
		c, err = collection(tx, r.Inputs())
		return err
	}); err != nil {
		return err
	}
	ref := mosaic.CollectionRef{ItemID: c.ItemID}
	return ingest(ctx, r, c, o, func(tx mosaic.Tx) (*mosaic.Collection, error) { return tx.Collection(ref) }, nil)
}
