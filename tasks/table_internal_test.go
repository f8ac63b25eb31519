package tasks

import (
	"bytes"
	"strings"
	"testing"

	"github.com/tessera-gis/tessera/mosaic"
)

// TestManifestValue checks each cell kind against each field type and
// csvEmpty rule: what is stored, what counts as missing, what is refused.
func TestManifestValue(t *testing.T) {
	t.Parallel()
	text := mosaic.Field{Name: "Note", Type: mosaic.FieldString}
	num := mosaic.Field{Name: "CloudCover", Type: mosaic.FieldDouble}
	cellSize := mosaic.Field{Name: "LowPS", Type: mosaic.FieldDouble}
	const absent = "\x00absent"
	const bad = "\x00bad"
	for _, tc := range []struct {
		f    mosaic.Field
		c    cell
		rule emptyRule
		want any
	}{
		{text, cell{kind: cellNull}, emptyMissing, nil},
		{num, cell{kind: cellNull}, emptyQuoted, nil},
		{cellSize, cell{kind: cellNull}, emptyQuoted, nil},
		{text, cell{text: "", kind: cellString}, emptyNull, ""},
		{text, cell{text: " a ", kind: cellString}, emptyQuoted, " a "},
		{text, cell{text: " a ", kind: cellBare}, emptyQuoted, " a "},
		{text, cell{text: "", kind: cellBare}, emptyQuoted, nil},
		{text, cell{text: "", kind: cellQuoted}, emptyQuoted, ""},
		{text, cell{text: "", kind: cellQuoted}, emptyNull, nil},
		{text, cell{text: "", kind: cellBare}, emptyEmpty, ""},
		{text, cell{text: "", kind: cellBare}, emptyMissing, absent},
		{text, cell{text: "  ", kind: cellBare}, emptyMissing, absent},
		{text, cell{text: "  ", kind: cellBare}, emptyQuoted, "  "},
		{num, cell{text: "", kind: cellQuoted}, emptyQuoted, nil},
		{num, cell{text: "", kind: cellBare}, emptyEmpty, nil},
		{num, cell{text: " ", kind: cellString}, emptyMissing, nil},
		{num, cell{text: "", kind: cellBare}, emptyMissing, absent},
		{num, cell{text: " 7 ", kind: cellString}, emptyQuoted, 7.0},
		{num, cell{text: "1e3", kind: cellLiteral}, emptyQuoted, 1000.0},
		{num, cell{text: "x", kind: cellBare}, emptyQuoted, bad},
		{num, cell{text: "true", kind: cellLiteral}, emptyQuoted, bad},
		{cellSize, cell{text: "", kind: cellBare}, emptyNull, absent},
		{cellSize, cell{text: "", kind: cellQuoted}, emptyQuoted, absent},
	} {
		v, set, ok := manifestValue(tc.f, tc.c, tc.rule)
		var got any = v
		switch {
		case !ok:
			got = bad
		case !set:
			got = absent
		}
		if got != tc.want {
			t.Errorf("%s %+v %s: %#v, want %#v", tc.f.Name, tc.c, tc.rule, got, tc.want)
		}
	}
}

// TestInferType checks that codes and JSON strings stay text.
func TestInferType(t *testing.T) {
	t.Parallel()
	col := func(cells ...cell) []*rawTable {
		tb := &rawTable{}
		for _, c := range cells {
			tb.records = append(tb.records, record{"c": c})
		}
		tb.records = append(tb.records, record{}) // a row without the column
		return []*rawTable{tb}
	}
	for _, tc := range []struct {
		table []*rawTable
		want  mosaic.FieldType
	}{
		{col(cell{text: "1", kind: cellBare}, cell{kind: cellNull}, cell{text: "", kind: cellQuoted}), mosaic.FieldInteger},
		{col(cell{text: "1", kind: cellBare}, cell{text: "2.5", kind: cellLiteral}), mosaic.FieldDouble},
		{col(cell{text: "007", kind: cellBare}, cell{text: "42", kind: cellBare}), mosaic.FieldString},
		{col(cell{text: "0", kind: cellBare}, cell{text: "-0.5", kind: cellBare}), mosaic.FieldDouble},
		{col(cell{text: " 5", kind: cellBare}), mosaic.FieldString},
		{col(cell{text: "42", kind: cellString}), mosaic.FieldString},
		{col(cell{text: "2024-05-01", kind: cellString}, cell{text: "2024-05-02T10:00:00Z", kind: cellBare}), mosaic.FieldDate},
		{col(cell{text: " 2024-05-01", kind: cellString}), mosaic.FieldString},
		{col(cell{text: "true", kind: cellLiteral}), mosaic.FieldString},
		{col(cell{kind: cellNull}), mosaic.FieldString},
	} {
		if got := inferType(tc.table, "c"); got != tc.want {
			t.Errorf("%+v: %s, want %s", tc.table[0].records, got, tc.want)
		}
	}
}

// TestReadCSVQuoted checks that a quoted empty cell is told from a bare one,
// across CRLF lines, multi-line cells and a BOM.
func TestReadCSVQuoted(t *testing.T) {
	t.Parallel()
	tb := &rawTable{}
	if err := tb.readCSV([]byte("\ufeffRaster,a,b,c\r\nx.tif,\"\",,\"multi\nline\"\r\ny.tif,,\"\", a \n"), false); err != nil {
		t.Fatal(err)
	}
	want := []record{
		{"Raster": {"x.tif", cellBare}, "a": {"", cellQuoted}, "b": {"", cellBare}, "c": {"multi\nline", cellBare}},
		{"Raster": {"y.tif", cellBare}, "a": {"", cellBare}, "b": {"", cellQuoted}, "c": {" a ", cellBare}},
	}
	if len(tb.records) != len(want) {
		t.Fatalf("%d records", len(tb.records))
	}
	for i, rec := range tb.records {
		for k, c := range want[i] {
			if rec[k] != c {
				t.Errorf("record %d, %s: %+v, want %+v", i+1, k, rec[k], c)
			}
		}
	}
}

// FuzzManifest reads arbitrary bytes as a CSV and as a JSON manifest and
// prepares their rows: nothing panics, every error is a client error, and
// no message quotes the secret the seeds carry.
func FuzzManifest(f *testing.F) {
	const secret = "S3CR3T"
	for _, seed := range []string{
		"Raster,Name,CloudCover\nx.tif," + secret + "," + secret + "\n",
		secret + "\n" + secret + "\n",
		"Raster;Name\n\"a\"" + secret + "\";\"\"\n",
		`{"Raster":"x.tif","CloudCover":"` + secret + `","Name":null}` + "\n" + `{"` + secret + `":1}`,
		`[{"assets":{"a":{"href":"` + secret + `"}}}]`,
		`{"type":"FeatureCollection","features":[{"properties":{"Raster":"` + secret + `","n":` + secret + `}}]}`,
		"\x00\xff" + secret + "\"\n,",
	} {
		f.Add([]byte(seed), "")
		f.Add([]byte(seed), secret)
	}
	c := &mosaic.Collection{Name: "c", Fields: mosaic.StandardFields()}
	f.Fuzz(func(t *testing.T, b []byte, pathField string) {
		if strings.Contains(pathField, secret) {
			pathField = "" // the caller's own words may be quoted
		}
		check := func(err error) {
			if err == nil {
				return
			}
			if mosaic.ErrorCode(err) != mosaic.EINVALID {
				t.Fatalf("not a client error: %v", err)
			}
			if text := mosaic.ErrorMessage(err) + strings.Join(mosaic.ErrorDetails(err), " "); strings.Contains(text, secret) {
				t.Fatalf("the error quotes the file: %s", text)
			}
		}
		for _, read := range []func(*rawTable) error{
			func(tb *rawTable) error { return tb.readCSV(b, false) },
			func(tb *rawTable) error { return tb.readJSON(bytes.NewReader(b)) },
		} {
			tb := &rawTable{path: "m"}
			err := read(tb)
			check(err)
			if err != nil {
				continue
			}
			err = tb.findPaths(pathField)
			check(err)
			if err != nil {
				continue
			}
			m := prepareManifest([]*rawTable{tb}, &tableOptions{Empty: emptyQuoted}, c)
			for _, r := range m.rows {
				if r.err != nil {
					check(r.err)
				}
				if strings.Contains(r.label(), secret) {
					t.Fatalf("label %q quotes the file", r.label())
				}
			}
		}
	})
}
