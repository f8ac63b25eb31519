package tasks

import (
	"context"
	"fmt"
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
	col := func(cells ...cell) []record {
		var recs []record
		for _, c := range cells {
			recs = append(recs, record{"c": c})
		}
		return append(recs, record{}) // a row without the column
	}
	for _, tc := range []struct {
		recs []record
		want mosaic.FieldType
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
		g := typeGuesses{}
		for _, rec := range tc.recs {
			g.add(rec, "")
		}
		if got := g.of("c"); got != tc.want {
			t.Errorf("%+v: %s, want %s", tc.recs, got, tc.want)
		}
	}
}

// csvRecords reads every record of a CSV text.
func csvRecords(t *testing.T, text string) []record {
	t.Helper()
	var recs []record
	if err := scanCSV(strings.NewReader(text), false, nil, func(rec record) error {
		recs = append(recs, rec)
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	return recs
}

// TestReadCSVQuoted checks that a quoted empty cell is told from a bare one,
// across CRLF lines, multi-line cells and a BOM.
func TestReadCSVQuoted(t *testing.T) {
	t.Parallel()
	recs := csvRecords(t, "\ufeffRaster,a,b,c\r\nx.tif,\"\",,\"multi\nline\"\r\ny.tif,,\"\", a \n")
	want := []record{
		{"Raster": {"x.tif", cellBare}, "a": {"", cellQuoted}, "b": {"", cellBare}, "c": {"multi\nline", cellBare}},
		{"Raster": {"y.tif", cellBare}, "a": {"", cellBare}, "b": {"", cellQuoted}, "c": {" a ", cellBare}},
	}
	if len(recs) != len(want) {
		t.Fatalf("%d records", len(recs))
	}
	for i, rec := range recs {
		for k, c := range want[i] {
			if rec[k] != c {
				t.Errorf("record %d, %s: %+v, want %+v", i+1, k, rec[k], c)
			}
		}
	}
}

// TestReadCSVStreams reads a CSV far larger than the reader's buffers,
// with quoted and bare empty cells and multi-line cells throughout, and
// checks every cell: the text kept to tell them apart stays small.
func TestReadCSVStreams(t *testing.T) {
	t.Parallel()
	var b strings.Builder
	b.WriteString("Raster;a;b\n")
	const n = 20000
	for i := range n {
		switch i % 3 {
		case 0:
			fmt.Fprintf(&b, "r%d.tif;\"\";\n", i)
		case 1:
			fmt.Fprintf(&b, "r%d.tif;;\"\"\n", i)
		default:
			fmt.Fprintf(&b, "\"r%d\n.tif\";x;\"y;\"\"z\"\"\"\r\n", i)
		}
	}
	i := 0
	err := scanCSV(strings.NewReader(b.String()), false, nil, func(rec record) error {
		var want record
		switch i % 3 {
		case 0:
			want = record{"Raster": {fmt.Sprintf("r%d.tif", i), cellBare}, "a": {"", cellQuoted}, "b": {"", cellBare}}
		case 1:
			want = record{"Raster": {fmt.Sprintf("r%d.tif", i), cellBare}, "a": {"", cellBare}, "b": {"", cellQuoted}}
		default:
			want = record{"Raster": {fmt.Sprintf("r%d\n.tif", i), cellBare}, "a": {"x", cellBare}, "b": {"y;\"z\"", cellBare}}
		}
		for k, c := range want {
			if rec[k] != c {
				return fmt.Errorf("record %d, %s: %+v, want %+v", i+1, k, rec[k], c)
			}
		}
		i++
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if i != n {
		t.Fatalf("%d records, want %d", i, n)
	}
}

// TestReadJSONStreams reads JSON lines, an array and a FeatureCollection
// whose features come before and after other members.
func TestReadJSONStreams(t *testing.T) {
	t.Parallel()
	for _, text := range []string{
		`{"Raster":"a.tif","n":1}` + "\n" + `{"Raster":"b.tif","n":null}`,
		`[{"Raster":"a.tif","n":1},{"Raster":"b.tif","n":null}]`,
		`{"type":"FeatureCollection","features":[{"properties":{"Raster":"a.tif","n":1}},{"properties":{"Raster":"b.tif","n":null}}],"x":{"features":1}}`,
		`{"type":"FeatureCollection","bbox":[1,2],"features":[{"properties":{"Raster":"a.tif","n":1}},{"properties":{"Raster":"b.tif","n":null}}]}`,
	} {
		var got []record
		if err := scanJSON(strings.NewReader(text), func(rec record, _ map[string]any) error {
			got = append(got, rec)
			return nil
		}); err != nil {
			t.Fatalf("%s: %v", text, err)
		}
		want := []record{{"Raster": {"a.tif", cellString}, "n": {"1", cellLiteral}}, {"Raster": {"b.tif", cellString}, "n": {"", cellNull}}}
		if len(got) != len(want) {
			t.Fatalf("%s: %d records", text, len(got))
		}
		for i := range want {
			for k, c := range want[i] {
				if got[i][k] != c {
					t.Errorf("%s: record %d, %s: %+v, want %+v", text, i+1, k, got[i][k], c)
				}
			}
		}
	}
	// A record that is not a collection keeps a features member that is
	// not an array.
	var got []record
	if err := scanJSON(strings.NewReader(`{"Raster":"a.tif","features":"x"}`), func(rec record, _ map[string]any) error {
		got = append(got, rec)
		return nil
	}); err != nil || len(got) != 1 || got[0]["features"].text != "x" {
		t.Fatalf("%v %+v", err, got)
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
	ctx := context.Background()
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
		for _, json := range []bool{false, true} {
			tb := memTable("m", b, json)
			guesses := typeGuesses{}
			err := tb.survey(ctx, pathField, guesses)
			check(err)
			if err != nil {
				continue
			}
			rows, err := prepareManifest([]*rawTable{tb}, guesses, &tableOptions{Empty: emptyQuoted}, c).collect(ctx)
			check(err)
			if len(rows) != tb.rows {
				t.Fatalf("%d rows, surveyed %d", len(rows), tb.rows)
			}
			for _, r := range rows {
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
