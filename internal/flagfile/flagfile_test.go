package flagfile_test

import (
	"errors"
	"flag"
	"io"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/tessera-gis/tessera/internal/flagfile"
)

type settings struct {
	addr    string
	demo    bool
	jobs    int
	maxBody int64
	ratio   float64
	keep    time.Duration
	tags    []string
	verbose bool
}

func newFlags(s *settings) *flag.FlagSet {
	fs := flag.NewFlagSet("test", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	fs.StringVar(&s.addr, "addr", "127.0.0.1:8080", "")
	fs.BoolVar(&s.demo, "demo", false, "")
	fs.IntVar(&s.jobs, "jobs", 4, "")
	fs.Int64Var(&s.maxBody, "max-body", 10, "")
	fs.Float64Var(&s.ratio, "ratio", 0.5, "")
	fs.DurationVar(&s.keep, "keep", time.Hour, "")
	fs.Func("tag", "repeatable", func(v string) error {
		if v == "" {
			return errors.New("empty tag")
		}
		s.tags = append(s.tags, v)
		return nil
	})
	fs.BoolFunc("verbose", "", func(v string) error { s.verbose = v == "true"; return nil })
	return fs
}

func writeFile(t *testing.T, text string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "c.toml")
	if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// TestParse: a file sets every kind of flag, and the command line wins.
func TestParse(t *testing.T) {
	t.Parallel()
	path := writeFile(t, `# every kind
addr = "0.0.0.0:9000"
demo = true
jobs = 8
max-body = 1_048_576
ratio = 2
keep = "48h"
tag = ["a=1", "b=2"]
verbose = true
`)
	tests := []struct {
		name string
		args []string
		want settings
	}{
		{"file only", []string{"--config", path},
			settings{"0.0.0.0:9000", true, 8, 1 << 20, 2, 48 * time.Hour, []string{"a=1", "b=2"}, true}},
		{"flags override", []string{"--jobs", "2", "--tag", "c=3", "--config", path, "--demo=false"},
			settings{"0.0.0.0:9000", false, 2, 1 << 20, 2, 48 * time.Hour, []string{"c=3"}, true}},
		{"no file", []string{"--jobs", "3"},
			settings{"127.0.0.1:8080", false, 3, 10, 0.5, time.Hour, nil, false}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got settings
			if err := flagfile.Parse(newFlags(&got), tt.args, "config"); err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("got  %+v\nwant %+v", got, tt.want)
			}
		})
	}
}

// TestParseErrors: each bad file names the file, the line and the key.
func TestParseErrors(t *testing.T) {
	t.Parallel()
	tests := []struct{ name, text, want string }{
		{"unknown key", "addr = \"x\"\n\njobz = 3\n", `c.toml:3: key "jobz": unknown key (no --jobz flag); did you mean "jobs"?`},
		{"underscore", "max_body = 3\n", `c.toml:1: key "max_body": unknown key (no --max_body flag); did you mean "max-body"?`},
		{"table", "addr = \"x\"\n[serve]\njobs = 3\n", `c.toml:2: key "serve": tables are not used`},
		{"dotted", "jobs.max = 3\n", `c.toml:1: key "jobs": want an integer, got a table`},
		{"string for int", "jobs = \"8\"\n", `c.toml:1: key "jobs": want an integer, got the string "8"`},
		{"int for duration", "\nkeep = 3600\n", `c.toml:2: key "keep": want a duration string such as "90s", "2h" or "168h", got the integer 3600`},
		{"bad duration", "keep = \"forever\"\n", `c.toml:1: key "keep": want a duration such as "90s", "2h" or "168h": time: invalid duration "forever"`},
		{"rejected by Set", "tag = \"\"\n", `c.toml:1: key "tag": invalid value "": empty tag`},
		{"string for bool", "demo = \"yes\"\n", `c.toml:1: key "demo": want true or false, got the string "yes"`},
		{"array for single", "addr = [\"a\", \"b\"]\n", `c.toml:1: key "addr": want a single value: this flag is not repeatable`},
		{"int in array", "tag = [\"a\", 2]\n", `c.toml:1: key "tag": element 2: want a string, got the integer 2`},
		{"config in config", "config = \"other.toml\"\n", `c.toml:1: key "config": not allowed in the file`},
		{"syntax", "addr = \"x\"\njobs = \n", `c.toml:2:8: unexpected character`},
		{"date", "addr = 2024-01-01\n", `c.toml:1: key "addr": want a string, got a localdate value`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			path := writeFile(t, tt.text)
			var s settings
			err := flagfile.Parse(newFlags(&s), []string{"--config", path}, "config")
			if err == nil {
				t.Fatalf("no error, want %q", tt.want)
			}
			if got := strings.TrimPrefix(err.Error(), filepath.Dir(path)+"/"); !strings.HasPrefix(got, tt.want) {
				t.Errorf("error\n%s\nwant prefix\n%s", got, tt.want)
			}
		})
	}
}

// TestParseMissingFile reports the path.
func TestParseMissingFile(t *testing.T) {
	t.Parallel()
	var s settings
	err := flagfile.Parse(newFlags(&s), []string{"--config", "/nonexistent/tessera.toml"}, "config")
	if err == nil || !strings.Contains(err.Error(), "/nonexistent/tessera.toml") {
		t.Errorf("err = %v", err)
	}
}

// FuzzSet: no file makes Set panic, and every error names the file.
func FuzzSet(f *testing.F) {
	for _, seed := range []string{
		"addr = \"x\"\njobs = 8\ntag = [\"a\", \"b\"]\n", "[serve]\njobs = 1\n", "jobs.max = 3", "keep = \"1h\"",
		"demo = true\nverbose = false", "ratio = 1e300", "tag = [[\"a\"]]", "a.b.c = {x = 1}", "\"jobs\" = 3", "jobs = 0x10",
	} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		var s settings
		if err := flagfile.Set(newFlags(&s), "f.toml", data, nil, "config"); err != nil && !strings.HasPrefix(err.Error(), "f.toml") {
			t.Errorf("error without the file name: %v", err)
		}
	})
}
