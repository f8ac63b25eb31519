package tasks

import (
	"bufio"
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"strings"

	"github.com/tessera-gis/tessera/mosaic"
	"github.com/tessera-gis/tessera/raster"
)

// The Table raster type reads a manifest with one raster per row: CSV
// (comma, semicolon or tab separated), JSON lines or a JSON array of
// objects (GeoJSON features and STAC items included), or any vector table
// GDAL reads (the GeoPackage gdaltindex writes, a shapefile…). The raster
// path column is Raster, or rasterTypeParameters.rasterPathField; without
// either, gdaltindex's location column is used. Relative paths resolve
// against the manifest's directory. The other columns are attributes:
// columns the collection lacks become fields, with types inferred from
// their values, and manifest values win over values read from the raster,
// except for the fields derived from the footprint.
//
// A manifest is stored as it says: a value it gives, JSON null included,
// is stored as given, text untrimmed; raster metadata fills only the
// columns a row lacks. CSV cannot tell NULL from "", so an empty cell
// follows the csvEmpty rule (see emptyRule). Messages name a manifest and a
// row number, never a manifest's contents: a file named as a manifest may
// be any text.

// tableRow is one manifest row.
type tableRow struct {
	Manifest string
	Line     int            // 1-based record number (header excluded)
	Values   map[string]any // field name → value of the field's type
}

// manifest is every row of the manifests, ready to ingest.
type manifest struct {
	rows      []source
	NewFields []mosaic.Field      // fields to add to the collection
	Notes     []mosaic.JobMessage // what was mapped, added or ignored
}

func (m *manifest) sources() []source { return m.rows }

// record is one raw row: column → cell. A column the row lacks (a JSON key
// it does not have, a short CSV line) has no cell.
type record map[string]cell

// cell is one manifest value as read, before it is typed.
type cell struct {
	text string
	kind cellKind
}

// cellKind says how a cell was written, which is all a CSV cell or a JSON
// value says about its type.
type cellKind uint8

const (
	cellBare    cellKind = iota // a CSV cell without quotes
	cellQuoted                  // a CSV cell in double quotes
	cellString                  // a JSON string
	cellLiteral                 // a JSON number or boolean
	cellNull                    // JSON null
)

func (c cell) csv() bool { return c.kind == cellBare || c.kind == cellQuoted }

// rawTable is one manifest as read.
type rawTable struct {
	path    string
	columns []string // in file order
	records []record
	paths   []string // the raster path of each record; "" when missing
}

// stacAliases map common STAC and spreadsheet column names onto the
// standard catalog fields; rasterTypeParameters.fieldMap overrides them.
var stacAliases = map[string]string{
	"datetime":       mosaic.FieldNameAcquisitionDate,
	"eo:cloud_cover": mosaic.FieldNameCloudCover,
	"platform":       mosaic.FieldNameSensorName,
}

// jsonStructural are the keys of a GeoJSON feature or STAC item that are
// structure, not attributes.
var jsonStructural = map[string]bool{"type": true, "stac_version": true, "stac_extensions": true,
	"links": true, "assets": true, "geometry": true, "bbox": true, "properties": true}

// checkManifests checks, cheaply, that local manifests are files inside
// the data stores of ctx (one message for missing and forbidden alike).
func checkManifests(ctx context.Context, o *addOptions) error {
	if o.Table == nil {
		return nil
	}
	for _, s := range o.Sources {
		name := gdalName(s)
		if isRemote(name) || strings.ContainsAny(filepath.Base(name), "*?[") {
			continue
		}
		resolved, err := raster.Check(ctx, name)
		var st os.FileInfo
		if err == nil {
			st, err = os.Stat(resolved)
		}
		switch {
		case err != nil:
			return invalidParam("inputRasters", fmt.Sprintf("the manifest %s is not a readable file inside a registered data store", s))
		case st.IsDir():
			return invalidParam("inputRasters", fmt.Sprintf("%s is a directory; a Table input is a manifest file (CSV, JSON lines, GeoPackage…)", s))
		}
	}
	return nil
}

// readManifests reads o's manifests and prepares their rows for c.
func readManifests(ctx context.Context, o *addOptions, c *mosaic.Collection) (*manifest, error) {
	var names []string
	for _, s := range o.Sources {
		name := gdalName(s)
		if !isRemote(name) && strings.ContainsAny(filepath.Base(name), "*?[") {
			matches, err := filepath.Glob(name)
			if err != nil {
				return nil, invalidParam("inputRasters", fmt.Sprintf("bad pattern %q", s))
			}
			for _, m := range matches {
				if _, err := raster.Check(ctx, m); err == nil {
					names = append(names, m) // outside the stores: not listed
				}
			}
			continue
		}
		names = append(names, name)
	}
	if len(names) == 0 {
		return nil, invalidParam("inputRasters", "no manifest matches")
	}
	var tables []*rawTable
	for _, name := range names {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		t, err := readTable(ctx, name, o.Table.PathField)
		if err != nil {
			return nil, err
		}
		tables = append(tables, t)
	}
	return prepareManifest(tables, o.Table, c), nil
}

// readTable reads one manifest by its extension. It must lie in the data
// stores of ctx: local files are read at their checked, resolved path.
func readTable(ctx context.Context, name, pathField string) (*rawTable, error) {
	t := &rawTable{path: name}
	resolved, err := raster.Check(ctx, name)
	if err == nil && !isRemote(resolved) {
		if st, serr := os.Stat(resolved); serr != nil || !st.Mode().IsRegular() {
			err = fmt.Errorf("%q: %w", name, raster.ErrNotInStore) // FIFOs and devices could block
		}
	}
	ext := strings.ToLower(filepath.Ext(name))
	switch {
	case err != nil:
	case isRemote(name):
		err = t.readGDAL(ctx, name)
	case ext == ".csv" || ext == ".txt" || ext == ".tsv":
		var b []byte
		if b, err = os.ReadFile(resolved); err == nil {
			err = t.readCSV(b, ext == ".tsv")
		}
	case ext == ".json" || ext == ".jsonl" || ext == ".ndjson" || ext == ".geojson" || ext == ".geojsonl" || ext == ".geojsons":
		var f *os.File
		if f, err = os.Open(resolved); err == nil {
			err = t.readJSON(bufio.NewReaderSize(f, 1<<16))
			f.Close()
		}
	default:
		err = t.readGDAL(ctx, resolved)
	}
	if err != nil {
		return nil, mosaic.Errorf(mosaic.EINVALID, "Cannot read the manifest %s: %s.", name, strings.TrimSuffix(reason(err), "."))
	}
	if err := t.findPaths(pathField); err != nil {
		return nil, err
	}
	return t, nil
}

func (t *rawTable) readGDAL(ctx context.Context, name string) error {
	b, err := raster.TableCSV(ctx, name)
	if err != nil {
		return err
	}
	return t.readCSV(b, false)
}

func (t *rawTable) readCSV(b []byte, tabs bool) error {
	b = bytes.TrimPrefix(b, []byte("\xef\xbb\xbf")) // a spreadsheet's BOM
	r := csv.NewReader(bytes.NewReader(b))
	r.FieldsPerRecord = -1
	r.ReuseRecord = false
	switch {
	case tabs:
		r.Comma = '\t'
	default:
		header, _, _ := bytes.Cut(b, []byte("\n"))
		if bytes.Count(header, []byte(";")) > bytes.Count(header, []byte(",")) {
			r.Comma = ';' // European spreadsheet exports
		}
	}
	header, err := r.Read()
	if err == io.EOF {
		return mosaic.Errorf(mosaic.EINVALID, "It is empty.")
	}
	if err != nil {
		return csvError(err)
	}
	for i, h := range header {
		header[i] = strings.TrimSpace(h) // column names map onto fields; values are never trimmed
	}
	t.columns = header
	// lines[n] is the offset of line n+1, to see whether an empty cell
	// was quoted ("") or bare.
	lines := []int{0}
	for i, c := range b {
		if c == '\n' {
			lines = append(lines, i+1)
		}
	}
	quoted := func(field int) bool {
		line, col := r.FieldPos(field)
		if line < 1 || line > len(lines) {
			return false
		}
		off := lines[line-1] + col - 1
		return off < len(b) && b[off] == '"'
	}
	for {
		rec, err := r.Read()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return csvError(err)
		}
		row := make(record, len(header))
		blank := true
		for i, v := range rec {
			if i < len(header) && header[i] != "" {
				c := cell{text: v, kind: cellBare}
				if v == "" && quoted(i) {
					c.kind = cellQuoted
				}
				row[header[i]] = c
				blank = blank && strings.TrimSpace(v) == ""
			}
		}
		if !blank {
			t.records = append(t.records, row)
		}
	}
}

// csvError says where a CSV manifest is malformed without quoting it.
func csvError(err error) error {
	var pe *csv.ParseError
	if errors.As(err, &pe) {
		return mosaic.Errorf(mosaic.EINVALID, "Line %d is not valid CSV (%v).", pe.Line, pe.Err)
	}
	return mosaic.Errorf(mosaic.EINVALID, "It is not valid CSV.")
}

// readJSON reads JSON lines, a JSON array of objects, or a GeoJSON
// FeatureCollection / STAC ItemCollection.
func (t *rawTable) readJSON(r io.Reader) error {
	dec := json.NewDecoder(r)
	dec.UseNumber()
	seen := map[string]bool{}
	add := func(v any) error {
		obj, ok := v.(map[string]any)
		if !ok {
			return mosaic.Errorf(mosaic.EINVALID, "Record %d is not a JSON object.", len(t.records)+1)
		}
		rec := record{}
		flatten(obj, rec)
		rec[jsonKey] = cell{text: mustJSON(obj), kind: cellString}
		var fresh []string // JSON objects have no column order: sort new keys
		for k := range rec {
			if !seen[k] && k != jsonKey {
				seen[k] = true
				fresh = append(fresh, k)
			}
		}
		sort.Strings(fresh)
		t.columns = append(t.columns, fresh...)
		t.records = append(t.records, rec)
		return nil
	}
	for {
		var v any
		err := dec.Decode(&v)
		if err == io.EOF {
			break
		}
		if err != nil {
			// Go's message quotes the offending character: say where only.
			return mosaic.Errorf(mosaic.EINVALID, "It is not valid JSON after %d records (byte %d).", len(t.records), dec.InputOffset())
		}
		switch x := v.(type) {
		case []any:
			for _, e := range x {
				if err := add(e); err != nil {
					return err
				}
			}
		case map[string]any:
			if feats, ok := x["features"].([]any); ok {
				for _, e := range feats {
					if err := add(e); err != nil {
						return err
					}
				}
				continue
			}
			if err := add(x); err != nil {
				return err
			}
		default:
			return mosaic.Errorf(mosaic.EINVALID, "Record %d is not a JSON object.", len(t.records)+1)
		}
	}
	if len(t.records) == 0 {
		return mosaic.Errorf(mosaic.EINVALID, "It has no records.")
	}
	return nil
}

// jsonKey holds a JSON record's full text, for nested rasterPathFields.
const jsonKey = "\x00json"

func mustJSON(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}

// flatten copies an object's scalar members, and those of its properties
// object (GeoJSON, STAC), into rec. Objects and arrays are not columns.
func flatten(obj map[string]any, rec record) {
	_, feature := obj["properties"].(map[string]any)
	for k, v := range obj {
		if feature && jsonStructural[k] {
			continue
		}
		if c, ok := scalarCell(v); ok {
			rec[k] = c
		}
	}
	if props, ok := obj["properties"].(map[string]any); ok {
		for k, v := range props {
			if c, ok := scalarCell(v); ok {
				if _, dup := rec[k]; !dup {
					rec[k] = c
				}
			}
		}
	}
}

func scalarCell(v any) (cell, bool) {
	switch x := v.(type) {
	case string:
		return cell{text: x, kind: cellString}, true
	case json.Number:
		return cell{text: x.String(), kind: cellLiteral}, true
	case bool:
		return cell{text: strconv.FormatBool(x), kind: cellLiteral}, true
	case nil:
		return cell{kind: cellNull}, true
	}
	return cell{}, false
}

// findPaths picks the raster path of every record.
func (t *rawTable) findPaths(pathField string) error {
	col := ""
	lookup := func(name string) string {
		for _, c := range t.columns {
			if strings.EqualFold(c, name) {
				return c
			}
		}
		return ""
	}
	switch {
	case pathField != "":
		col = lookup(pathField)
		if col == "" && !strings.Contains(pathField, ".") {
			// The columns are not listed: the file may be any text.
			return mosaic.Errorf(mosaic.EINVALID, "The manifest %s has no column %q (rasterPathField).", t.path, pathField).
				WithDetails(fmt.Sprintf("Its header has %d column(s).", len(t.columns)))
		}
	default:
		col = lookup("Raster")
		if col == "" {
			col = lookup("location") // gdaltindex
		}
	}
	t.paths = make([]string, len(t.records))
	for i, rec := range t.records {
		switch {
		case col != "":
			t.paths[i] = strings.TrimSpace(rec[col].text)
			delete(rec, col)
		case rec[jsonKey].text != "":
			t.paths[i] = jsonPath(rec[jsonKey].text, pathField)
		default:
			return mosaic.Errorf(mosaic.EINVALID, "The manifest %s has no Raster column.", t.path).WithDetails(
				fmt.Sprintf("Name the raster path column Raster, or give rasterTypeParameters.rasterPathField. Its header has %d column(s).",
					len(t.columns)))
		}
		delete(rec, jsonKey)
	}
	if col != "" {
		t.columns = removeString(t.columns, col)
	}
	if pathField == "" && col == "" {
		for _, p := range t.paths {
			if p == "" {
				return mosaic.Errorf(mosaic.EINVALID, "The manifest %s has no Raster column.", t.path).WithDetails(
					"Name the raster path column Raster, or give rasterTypeParameters.rasterPathField (for STAC items, e.g. assets.visual.href).")
			}
		}
	}
	// A manifest without a single raster path is not one: say so before
	// its columns are named in any message.
	switch {
	case col != "" || slices.ContainsFunc(t.paths, func(p string) bool { return p != "" }):
	case pathField == "":
		return mosaic.Errorf(mosaic.EINVALID, "The manifest %s has no Raster column.", t.path).WithDetails(
			fmt.Sprintf("Name the raster path column Raster, or give rasterTypeParameters.rasterPathField. Its header has %d column(s).",
				len(t.columns)))
	default:
		return mosaic.Errorf(mosaic.EINVALID, "The manifest %s has no raster path in any of its %d records (rasterPathField %q).",
			t.path, len(t.records), pathField)
	}
	return nil
}

// jsonPath follows a dotted path (assets.visual.href) through a JSON
// record, also under its properties. An empty path takes the href of the
// only asset of a STAC item.
func jsonPath(text, dotted string) string {
	var obj map[string]any
	if json.Unmarshal([]byte(text), &obj) != nil {
		return ""
	}
	if dotted == "" {
		assets, _ := obj["assets"].(map[string]any)
		if len(assets) != 1 {
			return ""
		}
		for _, a := range assets {
			m, _ := a.(map[string]any)
			s, _ := m["href"].(string)
			return s
		}
	}
	get := func(root map[string]any) string {
		var cur any = root
		for _, part := range strings.Split(dotted, ".") {
			m, ok := cur.(map[string]any)
			if !ok {
				return ""
			}
			cur = nil
			for k, v := range m {
				if strings.EqualFold(k, part) {
					cur = v
					break
				}
			}
		}
		s, _ := cur.(string)
		return s
	}
	if s := get(obj); s != "" {
		return s
	}
	if props, ok := obj["properties"].(map[string]any); ok {
		return get(props)
	}
	return ""
}

func removeString(xs []string, s string) []string {
	out := xs[:0:0]
	for _, x := range xs {
		if x != s {
			out = append(out, x)
		}
	}
	return out
}

// columnPlan says where one manifest column goes.
type columnPlan struct {
	field mosaic.Field
	drop  bool
}

// prepareManifest maps columns onto fields (existing, or new with inferred
// types) and converts every row.
func prepareManifest(tables []*rawTable, opts *tableOptions, c *mosaic.Collection) *manifest {
	m := &manifest{}
	// Columns in first-seen order across manifests.
	var columns []string
	seen := map[string]bool{}
	for _, t := range tables {
		for _, col := range t.columns {
			if !seen[col] {
				seen[col] = true
				columns = append(columns, col)
			}
		}
	}
	plans := map[string]columnPlan{}
	taken := map[string]string{} // lower field name → column
	var ignored []string
	for _, col := range columns {
		name, explicit := mappedName(opts.FieldMap, col)
		if !explicit {
			if alias, ok := stacAliases[strings.ToLower(col)]; ok {
				name = alias
			}
		}
		if name == "" {
			plans[col] = columnPlan{drop: true}
			continue
		}
		key := strings.ToLower(name)
		if footprintFields[key] {
			plans[col] = columnPlan{drop: true}
			ignored = append(ignored, fmt.Sprintf("%s (%s is computed from the footprint)", col, name))
			continue
		}
		if other, dup := taken[key]; dup {
			plans[col] = columnPlan{drop: true}
			ignored = append(ignored, fmt.Sprintf("%s (column %s already fills %s)", col, other, name))
			continue
		}
		taken[key] = col
		if f, ok := c.Field(name); ok {
			plans[col] = columnPlan{field: f}
			continue
		}
		f := mosaic.Field{Name: name, Type: inferType(tables, col)}
		plans[col] = columnPlan{field: f}
		m.NewFields = append(m.NewFields, f)
	}
	rows := 0
	for _, t := range tables {
		base := manifestDir(t.path)
		for i, rec := range t.records {
			row := &tableRow{Manifest: t.path, Line: i + 1, Values: map[string]any{}}
			src := source{Row: row}
			if p := t.paths[i]; p == "" {
				src.Path = fmt.Sprintf("%s row %d", filepath.Base(t.path), i+1)
				src.err = mosaic.Errorf(mosaic.EINVALID, "The row has no raster path.")
			} else {
				src.Path = resolvePath(base, p)
			}
			for _, col := range columns {
				c, ok := rec[col]
				plan := plans[col]
				if !ok || plan.drop {
					continue // a column the row lacks: the raster fills it
				}
				v, set, ok := manifestValue(plan.field, c, opts.Empty)
				if !ok && src.err == nil {
					src.err = mosaic.Errorf(mosaic.EINVALID, "Column %s: the value is not a valid %s for field %s.",
						col, typeWord(plan.field.Type), plan.field.Name)
				}
				if !ok || !set {
					continue
				}
				if s, isStr := v.(string); isStr && plan.field.Length > 0 && len(s) > plan.field.Length && src.err == nil {
					src.err = mosaic.Errorf(mosaic.EINVALID, "Column %s: the value is longer than the %d characters of field %s.",
						col, plan.field.Length, plan.field.Name)
				}
				row.Values[plan.field.Name] = v
			}
			m.rows = append(m.rows, src)
			rows++
		}
	}
	note := fmt.Sprintf("Read %d rows from %d manifest(s).", rows, len(tables))
	if len(m.NewFields) > 0 {
		var fs []string
		for _, f := range m.NewFields {
			fs = append(fs, f.Name+" ("+typeWord(f.Type)+")")
		}
		note += " New fields: " + strings.Join(fs, ", ") + "."
	}
	m.Notes = append(m.Notes, mosaic.Info(note))
	if len(ignored) > 0 {
		m.Notes = append(m.Notes, mosaic.Info("Ignored columns: "+strings.Join(ignored, "; ")+"."))
	}
	return m
}

// mappedName returns the field a column goes to: fieldMap's choice
// (explicit), else the column name made a valid field name.
func mappedName(fieldMap map[string]string, col string) (string, bool) {
	if f, ok := fieldMap[col]; ok {
		return f, true
	}
	for k, f := range fieldMap {
		if strings.EqualFold(k, col) {
			return f, true
		}
	}
	return fieldName(col), false
}

// fieldName makes a column name a valid field name: letters, digits and
// underscores, starting with a letter, at most 64 characters.
func fieldName(col string) string {
	var b strings.Builder
	for _, r := range col {
		switch {
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9', r == '_':
			b.WriteRune(r)
		default:
			b.WriteByte('_')
		}
	}
	s := strings.Trim(b.String(), "_")
	if s == "" {
		return ""
	}
	if c := s[0]; !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z') {
		s = "F_" + s
	}
	if len(s) > 64 {
		s = s[:64]
	}
	return s
}

// inferType picks the narrowest type that holds every value of a column:
// Integer, Double, Date, else String. Nulls and blanks say nothing. A JSON
// string is never a number ("12" stays text, as JSON says), and a CSV cell
// with a leading zero ("007") or surrounding spaces is text too, so that
// text columns keep every character.
func inferType(tables []*rawTable, col string) mosaic.FieldType {
	isInt, isFloat, isDate, seen := true, true, true, false
	for _, t := range tables {
		for _, rec := range t.records {
			c, ok := rec[col]
			if !ok || c.kind == cellNull || strings.TrimSpace(c.text) == "" {
				continue
			}
			v := c.text
			seen = true
			numeric := c.kind != cellString && !leadingZero(v)
			if isInt && (!numeric || !isInteger(v)) {
				isInt = false
			}
			if isFloat && !isInt {
				f, err := strconv.ParseFloat(v, 64)
				if !numeric || err != nil || math.IsInf(f, 0) || math.IsNaN(f) {
					isFloat = false
				}
			}
			if isDate && !isInt && !isFloat {
				if c.kind == cellLiteral || strings.TrimSpace(v) != v || isNumber(v) {
					isDate = false
				} else if _, ok := mosaic.ParseDate(v); !ok {
					isDate = false
				}
			}
			if !isInt && !isFloat && !isDate {
				return mosaic.FieldString
			}
		}
	}
	switch {
	case !seen:
		return mosaic.FieldString
	case isInt:
		return mosaic.FieldInteger
	case isFloat:
		return mosaic.FieldDouble
	case isDate:
		return mosaic.FieldDate
	}
	return mosaic.FieldString
}

func isInteger(s string) bool {
	_, err := strconv.ParseInt(s, 10, 64)
	return err == nil
}

// leadingZero reports a number written with a leading zero ("007",
// "-01"), which is a code, not a number; "0" and "0.5" are numbers.
func leadingZero(s string) bool {
	s = strings.TrimLeft(s, "+-")
	return len(s) > 1 && s[0] == '0' && s[1] >= '0' && s[1] <= '9'
}

// emptyRule says what an empty CSV cell (or one of spaces only) means:
// the csvEmpty option. JSON needs no rule: null is NULL, "" is "". An empty
// cell of a cell-size field (LowPS, HighPS, MinPS, MaxPS) is always
// missing: tessera computes those from the raster.
type emptyRule string

const (
	// emptyQuoted, the default: a bare empty cell is NULL, a quoted one
	// ("") is the empty string in a text field, NULL in others. This is
	// PostgreSQL's COPY … CSV convention; writers that quote nothing
	// (spreadsheets, GDAL) get NULL for every empty cell.
	emptyQuoted emptyRule = "quoted"
	// emptyNull: every empty cell is NULL.
	emptyNull emptyRule = "null"
	// emptyEmpty: an empty cell is the empty string in a text field,
	// NULL in others.
	emptyEmpty emptyRule = "empty"
	// emptyMissing: an empty cell is a value the row lacks, so the
	// raster's metadata or the item's default fills it.
	emptyMissing emptyRule = "missing"
)

// manifestValue types one cell for field f: v is the value to store, set
// is false when the cell counts as missing, ok false when the cell is not a
// value of f's type. Text is stored as written, untrimmed.
func manifestValue(f mosaic.Field, c cell, rule emptyRule) (v any, set, ok bool) {
	if c.kind == cellNull {
		return nil, true, true
	}
	blank := strings.TrimSpace(c.text) == ""
	if c.csv() && blank && (rule == emptyMissing || rasterFields[strings.ToLower(f.Name)]) {
		return nil, false, true // an empty cell never blanks a cell size tessera computes
	}
	if f.Type == mosaic.FieldString {
		if c.text != "" || !c.csv() {
			return c.text, true, true
		}
		if rule == emptyEmpty || rule == emptyQuoted && c.kind == cellQuoted {
			return "", true, true
		}
		return nil, true, true
	}
	if blank {
		return nil, true, true // there is no empty number or date
	}
	v, ok = convertText(f.Type, c.text)
	return v, ok, ok
}

func isNumber(s string) bool {
	_, err := strconv.ParseFloat(s, 64)
	return err == nil
}

func typeWord(t mosaic.FieldType) string {
	switch t {
	case mosaic.FieldInteger:
		return "integer"
	case mosaic.FieldDouble:
		return "number"
	case mosaic.FieldDate:
		return "date"
	}
	return "text"
}

// manifestDir is the directory relative raster paths resolve against.
func manifestDir(name string) string {
	if isRemote(name) {
		return name[:strings.LastIndex(name, "/")+1]
	}
	return filepath.Dir(name)
}

// resolvePath turns a manifest's raster path into a GDAL name: URLs go
// through GDAL's virtual file systems, relative paths are relative to the
// manifest.
func resolvePath(base, p string) string {
	if strings.Contains(p, "://") || strings.HasPrefix(p, "/vsi") || filepath.IsAbs(p) {
		return gdalName(p)
	}
	if strings.HasSuffix(base, "/") && isRemote(base) {
		return base + strings.TrimPrefix(filepath.ToSlash(p), "./")
	}
	return gdalName(filepath.Join(base, p))
}
