package mosaic_test

import (
	"encoding/json"
	"os/exec"
	"strings"
	"testing"
)

const module = "github.com/tessera-gis/tessera"

// TestDependencies enforces the package picture: dependencies point inward
// to mosaic, only raster reaches GDAL, only the stores and the queue reach
// SQL drivers, and only sqlfilter and the stores build SQL with squirrel.
func TestDependencies(t *testing.T) {
	out, err := exec.Command("go", "list", "-json=ImportPath,Imports,Deps", module+"/...").Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	type pkg struct {
		ImportPath string
		Imports    []string
		Deps       []string
	}
	var pkgs []pkg
	dec := json.NewDecoder(strings.NewReader(string(out)))
	for dec.More() {
		var p pkg
		if err := dec.Decode(&p); err != nil {
			t.Fatal(err)
		}
		pkgs = append(pkgs, p)
	}
	rel := func(path string) string { return strings.TrimPrefix(strings.TrimPrefix(path, module), "/") }
	under := func(path string, prefixes ...string) bool {
		for _, p := range prefixes {
			if path == p || strings.HasPrefix(path, p+"/") {
				return true
			}
		}
		return false
	}
	const (
		godal    = "github.com/airbusgeo/godal"
		squirrel = "github.com/Masterminds/squirrel"
	)
	drivers := []string{"github.com/mattn/go-sqlite3", "github.com/jackc/pgx/v5"}
	for _, p := range pkgs {
		name := rel(p.ImportPath)
		for _, imp := range p.Imports {
			switch {
			case name == "mosaic" && (strings.HasPrefix(imp, module) || imp == "database/sql" || imp == "net/http" ||
				imp == godal || imp == squirrel):
				t.Errorf("mosaic imports %s: the domain core imports only the standard library and orb", imp)
			case imp == godal && !under(name, "raster"):
				t.Errorf("%s imports godal: only raster may", name)
			case imp == squirrel && !under(name, "sqlfilter", "mosaic/sqlite", "mosaic/postgis", "mosaic/internal/storesql"):
				t.Errorf("%s imports squirrel: only sqlfilter and the SQL stores may", name)
			case under(imp, drivers...) && !under(name, "mosaic/sqlite", "mosaic/postgis", "tasks/riverqueue", "internal/pgtest", "cmd", "bench", "reliability"):
				t.Errorf("%s imports the SQL driver %s", name, imp)
			case name == "internal/client" && strings.HasPrefix(imp, module):
				t.Errorf("internal/client imports %s: the admin commands' client uses the REST API only", imp)
			case imp == module+"/internal/golden":
				t.Errorf("%s imports internal/golden: only tests may", name)
			case name == "webmap" && strings.HasPrefix(imp, module):
				t.Errorf("webmap imports %s: the web map is embedded static files and imports no project package", imp)
			}
		}
		if under(name, "server", "mosaic", "sqlfilter") {
			for _, d := range p.Deps {
				if d == godal {
					t.Errorf("%s depends on godal (indirectly): its tests must run without GDAL", name)
				}
			}
		}
	}
}
