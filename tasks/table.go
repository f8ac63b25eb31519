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

// rawTable is one manifest. Manifests stream: a survey (the first pass)
// learns its columns, raster path column, number of rows and the types of
// its values; the rows are read again, one at a time, as the ingest
// consumes them. Nothing holds every row, whatever the manifest's size.
type rawTable struct {
	path    string                        // as named, for messages
	open    func() (io.ReadCloser, error) // the manifest's text
	json    bool                          // JSON; else CSV
	tabs    bool                          // tab-separated CSV
	columns []string                      // in file order, the path column excluded
	pathCol string                        // the raster path column; "" for JSON paths (pathField)
	field   string                        // rasterPathField
	rows    int                           // records, blank CSV lines excluded
}

// memTable is a manifest whose text is in memory.
func memTable(path string, b []byte, json bool) *rawTable {
	return &rawTable{path: path, json: json, open: func() (io.ReadCloser, error) {
		return io.NopCloser(bytes.NewReader(b)), nil
	}}
}

// each calls fn with every record of the manifest, in order; obj is the
// JSON object of a JSON record, nil for CSV. columns, when not nil, is
// called with a CSV header before the first record.
func (t *rawTable) each(ctx context.Context, columns func([]string), fn func(rec record, obj map[string]any) error) error {
	f, err := t.open()
	if err != nil {
		return err
	}
	defer f.Close()
	var n int
	check := func() error {
		if n++; n%1024 == 0 {
			return ctx.Err()
		}
		return nil
	}
	if t.json {
		return scanJSON(f, func(rec record, obj map[string]any) error {
			if err := check(); err != nil {
				return err
			}
			return fn(rec, obj)
		})
	}
	return scanCSV(f, t.tabs, columns, func(rec record) error {
		if err := check(); err != nil {
			return err
		}
		return fn(rec, nil)
	})
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

// readManifests surveys o's manifests and returns their rows for c, to
// be read one at a time.
func readManifests(ctx context.Context, o *addOptions, c *mosaic.Collection) (*sourceSet, error) {
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
	guesses := typeGuesses{}
	for _, name := range names {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		t, err := readTable(ctx, name, o.Table.PathField, guesses)
		if err != nil {
			return nil, err
		}
		tables = append(tables, t)
	}
	return prepareManifest(tables, guesses, o.Table, c), nil
}

// readTable surveys one manifest, read by its extension. It must lie in
// the data stores of ctx: local files are read at their checked, resolved
// path. The types of its values join guesses.
func readTable(ctx context.Context, name, pathField string, guesses typeGuesses) (*rawTable, error) {
	t := &rawTable{path: name}
	resolved, err := raster.Check(ctx, name)
	if err == nil && !isRemote(resolved) {
		if st, serr := os.Stat(resolved); serr != nil || !st.Mode().IsRegular() {
			err = fmt.Errorf("%q: %w", name, raster.ErrNotInStore) // FIFOs and devices could block
		}
	}
	file := func() (io.ReadCloser, error) { return os.Open(resolved) }
	ext := strings.ToLower(filepath.Ext(name))
	switch {
	case err != nil:
	case isRemote(name):
		err = t.readGDAL(ctx, name)
	case ext == ".csv" || ext == ".txt" || ext == ".tsv":
		t.open, t.tabs = file, ext == ".tsv"
	case ext == ".json" || ext == ".jsonl" || ext == ".ndjson" || ext == ".geojson" || ext == ".geojsonl" || ext == ".geojsons":
		t.open, t.json = file, true
	default:
		err = t.readGDAL(ctx, resolved)
	}
	if err != nil {
		return nil, t.cannotRead(err)
	}
	if err := t.survey(ctx, pathField, guesses); err != nil {
		return nil, err
	}
	return t, nil
}

// cannotRead says why the manifest cannot be read, without its contents.
func (t *rawTable) cannotRead(err error) error {
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return err
	}
	return mosaic.Errorf(mosaic.EINVALID, "Cannot read the manifest %s: %s.", t.path, strings.TrimSuffix(reason(err), "."))
}

// readGDAL reads a vector table GDAL opens, as CSV. The CSV GDAL writes
// is held in memory.
func (t *rawTable) readGDAL(ctx context.Context, name string) error {
	b, err := raster.TableCSV(ctx, name)
	if err != nil {
		return err
	}
	t.open = memTable(name, b, false).open
	return nil
}

// survey reads the manifest once: its columns, its raster path column
// (see findPath), its number of rows and the types of its values. JSON
// objects have no header, so a JSON manifest whose path is a column is
// read twice: once for the columns, once for the types.
func (t *rawTable) survey(ctx context.Context, pathField string, guesses typeGuesses) error {
	t.field = pathField
	seen := map[string]bool{}
	var header []string
	var jsonEmpty, jsonFound bool // whether JSON records have a path by pathField
	headed := false
	err := t.each(ctx, func(cols []string) {
		header, headed = cols, true
		t.pathCol = t.findColumn(header)
	}, func(rec record, obj map[string]any) error {
		t.rows++
		if obj != nil {
			var fresh []string // JSON objects have no column order: sort new keys
			for k := range rec {
				if !seen[k] {
					seen[k] = true
					fresh = append(fresh, k)
				}
			}
			sort.Strings(fresh)
			header = append(header, fresh...)
			if jsonPathOf(obj, pathField) == "" {
				jsonEmpty = true
			} else {
				jsonFound = true
			}
		}
		if headed {
			guesses.add(rec, t.pathCol)
		}
		return nil
	})
	if err != nil {
		return t.cannotRead(err)
	}
	if !headed {
		t.pathCol = t.findColumn(header)
	}
	if err := t.checkPaths(header, jsonEmpty, jsonFound); err != nil {
		return err
	}
	t.columns = header
	if t.pathCol != "" {
		t.columns = removeString(header, t.pathCol)
	}
	if !headed {
		if err := t.each(ctx, nil, func(rec record, _ map[string]any) error {
			guesses.add(rec, t.pathCol)
			return nil
		}); err != nil {
			return t.cannotRead(err)
		}
	}
	return nil
}

// findColumn returns the raster path column: rasterPathField, else Raster,
// else gdaltindex's location; "" for none.
func (t *rawTable) findColumn(columns []string) string {
	lookup := func(name string) string {
		for _, c := range columns {
			if strings.EqualFold(c, name) {
				return c
			}
		}
		return ""
	}
	if t.field != "" {
		return lookup(t.field)
	}
	if col := lookup("Raster"); col != "" {
		return col
	}
	return lookup("location") // gdaltindex
}

// checkPaths refuses a manifest whose rows cannot have a raster path.
// jsonEmpty and jsonFound say whether some JSON record lacks, or has, a
// path by rasterPathField.
func (t *rawTable) checkPaths(columns []string, jsonEmpty, jsonFound bool) error {
	col, pathField := t.pathCol, t.field
	if pathField != "" && col == "" && !strings.Contains(pathField, ".") {
		// The columns are not listed: the file may be any text.
		return mosaic.Errorf(mosaic.EINVALID, "The manifest %s has no column %q (rasterPathField).", t.path, pathField).
			WithDetails(fmt.Sprintf("Its header has %d column(s).", len(columns)))
	}
	if col == "" && !t.json && t.rows > 0 {
		return mosaic.Errorf(mosaic.EINVALID, "The manifest %s has no Raster column.", t.path).WithDetails(
			fmt.Sprintf("Name the raster path column Raster, or give rasterTypeParameters.rasterPathField. Its header has %d column(s).",
				len(columns)))
	}
	if pathField == "" && col == "" && jsonEmpty {
		return mosaic.Errorf(mosaic.EINVALID, "The manifest %s has no Raster column.", t.path).WithDetails(
			"Name the raster path column Raster, or give rasterTypeParameters.rasterPathField (for STAC items, e.g. assets.visual.href).")
	}
	// A manifest without a single raster path is not one: say so before
	// its columns are named in any message.
	switch {
	case col != "" || jsonFound:
	case pathField == "":
		return mosaic.Errorf(mosaic.EINVALID, "The manifest %s has no Raster column.", t.path).WithDetails(
			fmt.Sprintf("Name the raster path column Raster, or give rasterTypeParameters.rasterPathField. Its header has %d column(s).",
				len(columns)))
	default:
		return mosaic.Errorf(mosaic.EINVALID, "The manifest %s has no raster path in any of its %d records (rasterPathField %q).",
			t.path, t.rows, pathField)
	}
	return nil
}

// rasterPath takes a record's raster path out of it.
func (t *rawTable) rasterPath(rec record, obj map[string]any) string {
	if t.pathCol != "" {
		p := strings.TrimSpace(rec[t.pathCol].text)
		delete(rec, t.pathCol)
		return p
	}
	return jsonPathOf(obj, t.field)
}

// bom starts a spreadsheet's CSV export.
var bom = []byte("\xef\xbb\xbf")

// scanCSV reads CSV from r: header is called with the column names, fn
// with every record that is not blank. A quoted empty cell ("") is told
// from a bare one. The comma is a semicolon when the header has more
// semicolons than commas (European spreadsheet exports), a tab when tabs.
func scanCSV(r io.Reader, tabs bool, header func([]string), fn func(record) error) error {
	br := bufio.NewReaderSize(r, 1<<16)
	if b, _ := br.Peek(len(bom)); bytes.Equal(b, bom) {
		_, _ = br.Discard(len(bom))
	}
	tap := newCSVTap(br)
	cr := csv.NewReader(tap)
	cr.FieldsPerRecord = -1
	cr.ReuseRecord = true
	switch {
	case tabs:
		cr.Comma = '\t'
	default:
		b, _ := br.Peek(br.Size())
		line, _, _ := bytes.Cut(b, []byte("\n"))
		if bytes.Count(line, []byte(";")) > bytes.Count(line, []byte(",")) {
			cr.Comma = ';'
		}
	}
	cols, err := cr.Read()
	if err == io.EOF {
		return mosaic.Errorf(mosaic.EINVALID, "It is empty.")
	}
	if err != nil {
		return csvError(err)
	}
	cols = slices.Clone(cols)
	for i, h := range cols {
		cols[i] = strings.TrimSpace(h) // column names map onto fields; values are never trimmed
	}
	if header != nil {
		header(cols)
	}
	tap.forget(cr.InputOffset())
	for {
		rec, err := cr.Read()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return csvError(err)
		}
		row := make(record, len(cols))
		blank := true
		for i, v := range rec {
			if i < len(cols) && cols[i] != "" {
				c := cell{text: v, kind: cellBare}
				if v == "" {
					line, col := cr.FieldPos(i)
					if tap.at(line, col) == '"' {
						c.kind = cellQuoted
					}
				}
				row[cols[i]] = c
				blank = blank && strings.TrimSpace(v) == ""
			}
		}
		tap.forget(cr.InputOffset())
		if !blank {
			if err := fn(row); err != nil {
				return err
			}
		}
	}
}

// csvTap keeps the text of the CSV record being read, to see whether an
// empty cell was quoted: encoding/csv says where a cell starts (line and
// column), not how it was written.
type csvTap struct {
	r         io.Reader
	buf       []byte  // the text from offset base on
	base      int64   // offset of buf[0]
	end       int64   // offset after buf
	lines     []int64 // offsets where lines first, first+1, … start
	firstLine int
}

func newCSVTap(r io.Reader) *csvTap { return &csvTap{r: r, lines: []int64{0}, firstLine: 1} }

func (t *csvTap) Read(p []byte) (int, error) {
	n, err := t.r.Read(p)
	for i, c := range p[:n] {
		if c == '\n' {
			t.lines = append(t.lines, t.end+int64(i)+1)
		}
	}
	t.buf = append(t.buf, p[:n]...)
	t.end += int64(n)
	return n, err
}

// at returns the byte at a 1-based line and byte column, or 0.
func (t *csvTap) at(line, col int) byte {
	i := line - t.firstLine
	if i < 0 || i >= len(t.lines) || col < 1 {
		return 0
	}
	off := t.lines[i] + int64(col) - 1 - t.base
	if off < 0 || off >= int64(len(t.buf)) {
		return 0
	}
	return t.buf[off]
}

// forget drops the text before the line holding offset off, where the
// next record starts.
func (t *csvTap) forget(off int64) {
	k := 0
	for k+1 < len(t.lines) && t.lines[k+1] <= off {
		k++
	}
	t.lines, t.firstLine = t.lines[k:], t.firstLine+k
	cut := int(t.lines[0] - t.base)
	if cut > 1<<16 && cut > len(t.buf)/2 {
		t.buf = append(t.buf[:0], t.buf[cut:]...)
		t.base += int64(cut)
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

// scanJSON reads JSON lines, JSON arrays of objects, or GeoJSON
// FeatureCollections / STAC ItemCollections, calling fn with each object
// as a record. Arrays and collections stream: one object is in memory at
// a time.
func scanJSON(r io.Reader, fn func(rec record, obj map[string]any) error) error {
	dec := json.NewDecoder(bufio.NewReaderSize(r, 1<<16))
	dec.UseNumber()
	n := 0
	add := func(v any) error {
		obj, ok := v.(map[string]any)
		if !ok {
			return mosaic.Errorf(mosaic.EINVALID, "Record %d is not a JSON object.", n+1)
		}
		rec := record{}
		flatten(obj, rec)
		n++
		return fn(rec, obj)
	}
	// Go's messages quote the offending character: say where only.
	bad := func() error {
		return mosaic.Errorf(mosaic.EINVALID, "It is not valid JSON after %d records (byte %d).", n, dec.InputOffset())
	}
	// elements adds each element of an array whose '[' was read.
	elements := func() error {
		for dec.More() {
			var v any
			if err := dec.Decode(&v); err != nil {
				return bad()
			}
			if err := add(v); err != nil {
				return err
			}
		}
		if _, err := dec.Token(); err != nil {
			return bad()
		}
		return nil
	}
	for {
		tok, err := dec.Token()
		if err == io.EOF {
			break
		}
		if err != nil {
			return bad()
		}
		switch tok {
		case json.Delim('['):
			if err := elements(); err != nil {
				return err
			}
		case json.Delim('{'):
			// An object: a record, or a collection whose features
			// array is read one feature at a time.
			obj := map[string]any{}
			collection := false
			for dec.More() {
				kt, err := dec.Token()
				if err != nil {
					return bad()
				}
				key, _ := kt.(string)
				if key == "features" && !collection {
					vt, err := dec.Token()
					if err != nil {
						return bad()
					}
					if vt == json.Delim('[') {
						collection = true
						if err := elements(); err != nil {
							return err
						}
						continue
					}
					if obj[key], err = jsonRest(dec, vt); err != nil {
						return bad()
					}
					continue
				}
				var v any
				if err := dec.Decode(&v); err != nil {
					return bad()
				}
				obj[key] = v
			}
			if _, err := dec.Token(); err != nil {
				return bad()
			}
			if !collection {
				if err := add(obj); err != nil {
					return err
				}
			}
		default:
			return mosaic.Errorf(mosaic.EINVALID, "Record %d is not a JSON object.", n+1)
		}
	}
	if n == 0 {
		return mosaic.Errorf(mosaic.EINVALID, "It has no records.")
	}
	return nil
}

// jsonRest decodes the rest of a JSON value whose first token was read.
func jsonRest(dec *json.Decoder, tok json.Token) (any, error) {
	switch tok {
	case json.Delim('{'):
		obj := map[string]any{}
		for dec.More() {
			kt, err := dec.Token()
			if err != nil {
				return nil, err
			}
			key, _ := kt.(string)
			var v any
			if err := dec.Decode(&v); err != nil {
				return nil, err
			}
			obj[key] = v
		}
		_, err := dec.Token()
		return obj, err
	case json.Delim('['):
		arr := []any{}
		for dec.More() {
			var v any
			if err := dec.Decode(&v); err != nil {
				return nil, err
			}
			arr = append(arr, v)
		}
		_, err := dec.Token()
		return arr, err
	}
	return tok, nil
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

// jsonPathOf follows a dotted path (assets.visual.href) through a JSON
// record, also under its properties. An empty path takes the href of the
// only asset of a STAC item.
func jsonPathOf(obj map[string]any, dotted string) string {
	if obj == nil {
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

// prepareManifest maps columns onto fields (existing, or new with the
// types guessed) and returns the rows of the manifests, converted one at
// a time as they are read again.
func prepareManifest(tables []*rawTable, guesses typeGuesses, opts *tableOptions, c *mosaic.Collection) *sourceSet {
	set := &sourceSet{}
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
		f := mosaic.Field{Name: name, Type: guesses.of(col)}
		plans[col] = columnPlan{field: f}
		set.newFields = append(set.newFields, f)
	}
	rows := 0
	for _, t := range tables {
		rows += t.rows
	}
	set.total = rows
	note := fmt.Sprintf("Read %d rows from %d manifest(s).", rows, len(tables))
	if len(set.newFields) > 0 {
		var fs []string
		for _, f := range set.newFields {
			fs = append(fs, f.Name+" ("+typeWord(f.Type)+")")
		}
		note += " New fields: " + strings.Join(fs, ", ") + "."
	}
	set.notes = append(set.notes, mosaic.Info(note))
	if len(ignored) > 0 {
		set.notes = append(set.notes, mosaic.Info("Ignored columns: "+strings.Join(ignored, "; ")+"."))
	}
	set.scan = func(ctx context.Context, yield func(source) bool) error {
		for _, t := range tables {
			base := manifestDir(t.path)
			i := 0
			err := t.each(ctx, nil, func(rec record, obj map[string]any) error {
				if i++; i > t.rows {
					return errManifestChanged
				}
				if !yield(t.row(i, rec, obj, base, columns, plans, opts.Empty)) {
					return errStopList
				}
				return nil
			})
			switch {
			case err == errStopList:
				return nil
			case err == errManifestChanged, err == nil && i != t.rows:
				return mosaic.Errorf(mosaic.EINVALID, "The manifest %s changed while it was read; nothing was added.", t.path)
			case err != nil:
				return t.cannotRead(err)
			}
		}
		return nil
	}
	return set
}

// errManifestChanged stops reading a manifest that has more rows than its
// survey found.
var errManifestChanged = errors.New("tasks: the manifest changed")

// row converts record i (1-based) of the manifest into a source.
func (t *rawTable) row(i int, rec record, obj map[string]any, base string, columns []string, plans map[string]columnPlan, empty emptyRule) source {
	row := &tableRow{Manifest: t.path, Line: i, Values: map[string]any{}}
	src := source{Row: row}
	if p := t.rasterPath(rec, obj); p == "" {
		src.Path = fmt.Sprintf("%s row %d", filepath.Base(t.path), i)
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
		v, set, ok := manifestValue(plan.field, c, empty)
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
	return src
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

// typeGuesses follow the values of every column across manifests, to
// infer the types of new fields: the narrowest type that holds every
// value of a column, Integer, Double, Date, else String. Nulls and blanks
// say nothing. A JSON string is never a number ("12" stays text, as JSON
// says), and a CSV cell with a leading zero ("007") or surrounding spaces
// is text too, so that text columns keep every character.
type typeGuesses map[string]*typeGuess

// typeGuess is what a column's values so far allow.
type typeGuess struct {
	notInt, notFloat, notDate, seen bool
}

// add notes the cells of a record, but the raster path's.
func (g typeGuesses) add(rec record, pathCol string) {
	for col, c := range rec {
		if col == pathCol {
			continue
		}
		tg := g[col]
		if tg == nil {
			tg = &typeGuess{}
			g[col] = tg
		}
		tg.add(c)
	}
}

// of is the type inferred for a column.
func (g typeGuesses) of(col string) mosaic.FieldType {
	tg := g[col]
	switch {
	case tg == nil || !tg.seen:
		return mosaic.FieldString
	case !tg.notInt:
		return mosaic.FieldInteger
	case !tg.notFloat:
		return mosaic.FieldDouble
	case !tg.notDate:
		return mosaic.FieldDate
	}
	return mosaic.FieldString
}

func (g *typeGuess) add(c cell) {
	if c.kind == cellNull || strings.TrimSpace(c.text) == "" {
		return
	}
	g.seen = true
	if g.notInt && g.notFloat && g.notDate {
		return // text
	}
	v := c.text
	numeric := c.kind != cellString && !leadingZero(v)
	if !g.notInt && (!numeric || !isInteger(v)) {
		g.notInt = true
	}
	if !g.notFloat && g.notInt {
		f, err := strconv.ParseFloat(v, 64)
		if !numeric || err != nil || math.IsInf(f, 0) || math.IsNaN(f) {
			g.notFloat = true
		}
	}
	if !g.notDate && g.notInt && g.notFloat {
		if c.kind == cellLiteral || strings.TrimSpace(v) != v || isNumber(v) {
			g.notDate = true
		} else if _, ok := mosaic.ParseDate(v); !ok {
			g.notDate = true
		}
	}
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
