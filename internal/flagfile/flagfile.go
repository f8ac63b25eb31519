// Package flagfile sets the flags of a flag.FlagSet from a TOML file whose
// keys are the flag names, so that every flag a command defines can be
// written in a configuration file without code of its own:
//
//	addr = "0.0.0.0:8080"              # --addr
//	job-retention = "48h"              # durations are strings, as on the command line
//	jobs = 8                           # integers and booleans are TOML values
//	timeout = ["AddImage=2h"]          # a repeatable flag takes an array
//
// Keys are top-level; tables are not used. A flag's TOML type follows its
// Go type: a bool flag takes a boolean, an integer flag an integer, a float
// flag a number, and string and duration flags a string. A flag defined
// with flag.Func or a custom flag.Value (one that is not a flag.Getter) is
// taken to be repeatable: it takes a string or an array of strings, each
// element set in turn as if the flag were given once per element. Every
// value goes through the flag's own Set, so the file is checked exactly as
// the command line is. Errors name the file, the line and the key.
package flagfile

import (
	"errors"
	"flag"
	"fmt"
	"math"
	"os"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"time"

	toml "github.com/pelletier/go-toml/v2"
	"github.com/pelletier/go-toml/v2/unstable"
)

// Parse parses args into fs, after defining on fs a flag named name (such
// as "config") that names a TOML file. When the flag is given, the file's
// keys set every flag that args did not: flags on the command line override
// the file. A flag given on the command line replaces the file's value
// entirely, also for repeatable flags. The file may not set name itself.
func Parse(fs *flag.FlagSet, args []string, name string) error {
	path := fs.String(name, "", "TOML file of settings, one key per flag (job-retention = \"48h\"; arrays for repeatable flags); flags given on the command line override it")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *path == "" {
		return nil
	}
	set := map[string]bool{name: true}
	fs.Visit(func(f *flag.Flag) { set[f.Name] = true })
	return Apply(fs, *path, func(key string) bool {
		return set[key]
	}, name)
}

// Apply reads the TOML file at path and sets fs's flags from its keys,
// skipping the keys for which skip returns true (those set on the command
// line; skip may be nil). Keys named in forbidden are errors, as are keys
// that name no flag.
func Apply(fs *flag.FlagSet, path string, skip func(key string) bool, forbidden ...string) error {
	data, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	return Set(fs, path, data, skip, forbidden...)
}

// Set is Apply on the contents of a file; name is used in errors.
func Set(fs *flag.FlagSet, name string, data []byte, skip func(key string) bool, forbidden ...string) error {
	var values map[string]any
	if err := toml.Unmarshal(data, &values); err != nil {
		var de *toml.DecodeError
		if errors.As(err, &de) {
			row, col := de.Position()
			return fmt.Errorf("%s:%d:%d: %s", name, row, col, strings.TrimPrefix(de.Error(), "toml: "))
		}
		return fmt.Errorf("%s: %w", name, err)
	}
	lines := keyLines(data)
	keys := make([]string, 0, len(values))
	for k := range values {
		keys = append(keys, k)
	}
	slices.SortFunc(keys, func(a, b string) int { return lines[a] - lines[b] })
	for _, key := range keys {
		where := fmt.Sprintf("%s:%d: key %q", name, lines[key], key)
		f := fs.Lookup(key)
		switch {
		case f == nil:
			if _, ok := values[key].(map[string]any); ok {
				return fmt.Errorf("%s: tables are not used; write each flag name as a top-level key", where)
			}
			return fmt.Errorf("%s: unknown key (no --%s flag)%s", where, key, suggest(fs, key))
		case slices.Contains(forbidden, key):
			return fmt.Errorf("%s: not allowed in the file", where)
		case skip != nil && skip(key):
			continue
		}
		texts, err := flagTexts(f, values[key])
		if err != nil {
			return fmt.Errorf("%s: %v", where, err)
		}
		for _, t := range texts {
			if err := fs.Set(key, t); err != nil {
				return fmt.Errorf("%s: invalid value %q: %v", where, t, err)
			}
		}
	}
	return nil
}

// flagTexts converts a TOML value to the command-line texts for flag f,
// checking its type.
func flagTexts(f *flag.Flag, v any) ([]string, error) {
	getter, ok := f.Value.(flag.Getter)
	if !ok {
		if b, ok := f.Value.(interface{ IsBoolFlag() bool }); ok && b.IsBoolFlag() {
			if x, ok := v.(bool); ok {
				return []string{strconv.FormatBool(x)}, nil
			}
			return nil, fmt.Errorf("want true or false, got %s", kind(v))
		}
		// flag.Func or a custom value: repeatable, strings only.
		switch x := v.(type) {
		case string:
			return []string{x}, nil
		case []any:
			out := make([]string, 0, len(x))
			for i, e := range x {
				s, ok := e.(string)
				if !ok {
					return nil, fmt.Errorf("element %d: want a string, got %s", i+1, kind(e))
				}
				out = append(out, s)
			}
			return out, nil
		}
		return nil, fmt.Errorf("want a string or an array of strings, got %s", kind(v))
	}
	if _, ok := v.([]any); ok {
		return nil, errors.New("want a single value: this flag is not repeatable")
	}
	switch getter.Get().(type) {
	case bool:
		if x, ok := v.(bool); ok {
			return []string{strconv.FormatBool(x)}, nil
		}
		return nil, fmt.Errorf("want true or false, got %s", kind(v))
	case int, int64, uint, uint64:
		if x, ok := v.(int64); ok {
			return []string{strconv.FormatInt(x, 10)}, nil
		}
		return nil, fmt.Errorf("want an integer, got %s", kind(v))
	case float64:
		switch x := v.(type) {
		case int64:
			return []string{strconv.FormatInt(x, 10)}, nil
		case float64:
			if math.IsNaN(x) || math.IsInf(x, 0) {
				return nil, errors.New("want a finite number")
			}
			return []string{strconv.FormatFloat(x, 'g', -1, 64)}, nil
		}
		return nil, fmt.Errorf("want a number, got %s", kind(v))
	case time.Duration:
		x, ok := v.(string)
		if !ok {
			return nil, fmt.Errorf("want a duration string such as \"90s\", \"2h\" or \"168h\", got %s", kind(v))
		}
		if _, err := time.ParseDuration(x); err != nil {
			return nil, fmt.Errorf("want a duration such as \"90s\", \"2h\" or \"168h\": %v", err)
		}
		return []string{x}, nil
	default: // string and other getters take their text form
		if x, ok := v.(string); ok {
			return []string{x}, nil
		}
		return nil, fmt.Errorf("want a string, got %s", kind(v))
	}
}

// kind names a decoded TOML value's type for error messages.
func kind(v any) string {
	switch x := v.(type) {
	case string:
		return fmt.Sprintf("the string %q", x)
	case bool:
		return fmt.Sprintf("the boolean %v", x)
	case int64:
		return fmt.Sprintf("the integer %d", x)
	case float64:
		return fmt.Sprintf("the number %v", x)
	case []any:
		return "an array"
	case map[string]any:
		return "a table"
	case nil:
		return "nothing"
	}
	return "a " + strings.ToLower(strings.TrimPrefix(reflect.TypeOf(v).String(), "toml.")) + " value"
}

// keyLines maps each top-level key of a TOML document to the line where it
// first appears (tables by their header). The document has parsed already.
func keyLines(data []byte) map[string]int {
	lines := map[string]int{}
	var p unstable.Parser
	p.Reset(data)
	for p.NextExpression() {
		e := p.Expression()
		if e.Kind != unstable.KeyValue && e.Kind != unstable.Table && e.Kind != unstable.ArrayTable {
			continue
		}
		it := e.Key()
		if !it.Next() {
			continue
		}
		k := it.Node()
		if _, ok := lines[string(k.Data)]; !ok {
			lines[string(k.Data)] = p.Shape(k.Raw).Start.Line
		}
	}
	return lines
}

// suggest names a flag whose name is close to key, if one is.
func suggest(fs *flag.FlagSet, key string) string {
	best, dist := "", 3
	fs.VisitAll(func(f *flag.Flag) {
		if d := editDistance(strings.ToLower(key), f.Name); d < dist {
			best, dist = f.Name, d
		}
	})
	if best == "" {
		return ""
	}
	return fmt.Sprintf("; did you mean %q?", best)
}

func editDistance(a, b string) int {
	prev := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur := make([]int, len(b)+1)
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev = cur
	}
	return prev[len(b)]
}
