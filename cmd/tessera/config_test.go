package main

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	toml "github.com/pelletier/go-toml/v2"

	"github.com/tessera-gis/tessera/internal/flagfile"
)

const exampleConfig = "../../deploy/tessera.toml"

// parseServe parses serve arguments as "tessera serve" does.
func parseServe(t *testing.T, args ...string) serveConfig {
	t.Helper()
	var c serveConfig
	if err := flagfile.Parse(serveFlags(&c), args, "config"); err != nil {
		t.Fatalf("parse %q: %v", args, err)
	}
	return c
}

// equivalentFlags turns a config file into the command-line flags that say
// the same: --key=value for each key, once per element of an array.
func equivalentFlags(t *testing.T, text []byte) []string {
	t.Helper()
	var m map[string]any
	if err := toml.Unmarshal(text, &m); err != nil {
		t.Fatal(err)
	}
	var args []string
	for _, k := range slices.Sorted(func(yield func(string) bool) {
		for k := range m {
			if !yield(k) {
				return
			}
		}
	}) {
		vals, ok := m[k].([]any)
		if !ok {
			vals = []any{m[k]}
		}
		for _, v := range vals {
			args = append(args, fmt.Sprintf("--%s=%v", k, v))
		}
	}
	return args
}

// TestConfigFileRoundTrip loads deploy/tessera.toml, as shipped and with
// every commented setting switched on, and a file that sets each flag of
// today to a value other than its default; each gives the same settings
// as the equivalent flags. It also checks that the example documents every
// flag, so that a new flag is round-tripped here as soon as it is.
func TestConfigFileRoundTrip(t *testing.T) {
	t.Parallel()
	example, err := os.ReadFile(exampleConfig)
	if err != nil {
		t.Fatal(err)
	}
	uncommented := regexp.MustCompile(`(?m)^# ([a-z][a-z-]* = )`).ReplaceAll(example, []byte("$1"))
	everyFlag := `
addr = "0.0.0.0:9090"
data = "/srv/tessera"
db = "postgres://tessera@db.example.com:5432/tessera"
instance-timeout = "20s"
demo = true
public-url = "https://gis.example.com/arcgis"
jobs = 7
job-retention = "48h"
recycle-retention = "720h"
job-timeout = "3h"
max-queued = 9
max-record-count = 2000
max-mosaic-images = 20
log-level = "debug"
timeout = ["AddImage=6h", "DeleteImage=30m"]
users = "/etc/tessera/users.conf"
anonymous = "viewer"
token-expiration = "2h"
token-max-expiration = "48h"
login-rate = 5
max-body = 1_048_576
max-param = 65536
max-image-bytes = 1_000_000
render-memory = 8_000_000
render-wait = "3s"
jobs-per-user = 3
`
	explicit := []string{"--addr", "0.0.0.0:9090", "--data", "/srv/tessera", "--db", "postgres://tessera@db.example.com:5432/tessera", "--instance-timeout", "20s", "--demo",
		"--public-url", "https://gis.example.com/arcgis", "--jobs", "7", "--job-retention", "48h",
		"--recycle-retention", "720h", "--job-timeout", "3h", "--max-queued", "9", "--max-record-count", "2000",
		"--max-mosaic-images", "20", "--log-level", "debug", "--timeout", "AddImage=6h", "--timeout", "DeleteImage=30m",
		"--users", "/etc/tessera/users.conf", "--anonymous", "viewer", "--token-expiration", "2h",
		"--token-max-expiration", "48h", "--login-rate", "5", "--max-body", "1048576", "--max-param", "65536",
		"--max-image-bytes", "1000000", "--render-memory", "8000000", "--render-wait", "3s", "--jobs-per-user", "3"}

	tests := []struct {
		name  string
		text  []byte
		flags []string
	}{
		{"example as shipped", example, equivalentFlags(t, example)},
		{"example, every setting on", uncommented, equivalentFlags(t, uncommented)},
		{"every flag set", []byte(everyFlag), explicit},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "tessera.toml")
			if err := os.WriteFile(path, tt.text, 0o644); err != nil {
				t.Fatal(err)
			}
			fromFile := parseServe(t, "--config", path)
			fromFlags := parseServe(t, tt.flags...)
			if !reflect.DeepEqual(fromFile, fromFlags) {
				t.Errorf("file and flags differ:\nfile  %+v\nflags %+v", fromFile, fromFlags)
			}
			if reflect.DeepEqual(fromFile, parseServe(t)) {
				t.Error("the file changed nothing")
			}
		})
	}

	// Every flag is documented in the example, set or commented out.
	serveFlags(&serveConfig{}).VisitAll(func(f *flag.Flag) {
		if !regexp.MustCompile(`(?m)^(# )?` + regexp.QuoteMeta(f.Name) + ` = `).Match(example) {
			t.Errorf("--%s is not in %s: document it there (commented out if it keeps its default)", f.Name, exampleConfig)
		}
	})

	// Flags override the file.
	path := filepath.Join(t.TempDir(), "tessera.toml")
	if err := os.WriteFile(path, []byte(everyFlag), 0o644); err != nil {
		t.Fatal(err)
	}
	c := parseServe(t, "--jobs", "2", "--config", path, "--timeout", "AddImage=1m")
	if c.workers != 2 || !reflect.DeepEqual(c.timeouts, map[string]time.Duration{"AddImage": time.Minute}) || c.maxQueued != 9 {
		t.Errorf("override: workers %d, timeouts %v, maxQueued %d", c.workers, c.timeouts, c.maxQueued)
	}
	if !strings.Contains(string(example), "tessera serve --config") {
		t.Error("the example does not say how to use it")
	}
}
