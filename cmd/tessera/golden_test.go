package main_test

import (
	"io"
	"net/http"
	"testing"

	"github.com/tessera-gis/tessera/internal/golden"
)

// TestGPServerGolden compares the GPServer's description and each task's
// with the golden files: what the ArcGIS API for Python and the REST JS
// geoprocessor read to learn the tasks' parameters, their data types and
// directions. It needs the real tasks, so it runs here, where they are
// wired; go test ./cmd/tessera -run TestGPServerGolden -update rewrites
// the files.
func TestGPServerGolden(t *testing.T) {
	t.Parallel()
	p := startServer(t, t.TempDir())
	for _, c := range []struct{ task, file string }{
		{"", "gpserver.json"},
		{"CreateImageCollection", "gpserver_CreateImageCollection.json"},
		{"AddImage", "gpserver_AddImage.json"},
		{"DeleteImage", "gpserver_DeleteImage.json"},
		{"DeleteImageCollection", "gpserver_DeleteImageCollection.json"},
		{"RestoreImage", "gpserver_RestoreImage.json"},
	} {
		resp, err := http.Get(p.GP(c.task) + "?f=json")
		if err != nil {
			t.Fatal(err)
		}
		body, err := io.ReadAll(resp.Body)
		resp.Body.Close()
		if err != nil || resp.StatusCode != http.StatusOK {
			t.Fatalf("GET %s: %d %v", p.GP(c.task), resp.StatusCode, err)
		}
		golden.Assert(t, c.file, body)
	}
}
