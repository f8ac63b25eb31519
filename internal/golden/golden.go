// Package golden compares what tests produce with the golden files in the
// module's top-level testdata/golden: the Esri JSON that tessera sends,
// as clients read it. Tests in several packages share the directory, so
// a change to a wire format shows up as a diff of one file there.
//
//	golden.Assert(t, "info.json", body)
//
// Run the tests with -update to rewrite the files, then review the diff:
//
//	go test ./server -run TestImageServerInfo -update
package golden

import (
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"testing"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/golden")

// Assert compares got with testdata/golden/name, or rewrites the file with
// -update. JSON is compared after indenting, so that the files are easy
// to read and a diff shows the key that changed.
func Assert(t testing.TB, name string, got []byte) {
	t.Helper()
	if json.Valid(got) {
		var buf bytes.Buffer
		if err := json.Indent(&buf, got, "", "  "); err != nil {
			t.Fatal(err)
		}
		got = append(buf.Bytes(), '\n')
	}
	path := filepath.Join(Dir(t), name)
	if *update {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run the test with -update to create it)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s differs from the golden file (go test -run '%s' -update rewrites it):\ngot:\n%s\nwant:\n%s",
			name, t.Name(), got, want)
	}
}

// Dir returns the module's testdata/golden directory: tests run in their
// package's directory, so it is found beside the nearest go.mod above.
func Dir(t testing.TB) string {
	t.Helper()
	dir, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return filepath.Join(dir, "testdata", "golden")
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			t.Fatal("golden: no go.mod above the test's directory")
		}
		dir = parent
	}
}
