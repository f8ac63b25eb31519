package tasks

import (
	"context"
	"io/fs"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/tessera-gis/tessera/raster"
)

// oldWalk is the folder walk before the listing change (2aa9e3f):
// filepath.WalkDir, entries reported as they are met.
func oldWalk(ctx context.Context, o *addOptions, inputs []string) []string {
	stores := raster.StoresFrom(ctx)
	var out []string
	seen := map[string]bool{}
	emit := func(s string) {
		if len(inputs) > 1 {
			if seen[s] {
				return
			}
			seen[s] = true
		}
		out = append(out, s)
	}
	walk := func(root, given string, match func(p string) bool) {
		filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
			if err != nil {
				return nil
			}
			if d.IsDir() {
				if p != root && !o.SubFolders {
					return filepath.SkipDir
				}
				return nil
			}
			name := filepath.Join(given, strings.TrimPrefix(p, root))
			if !match(name) || !o.Filter.Match(name) {
				return nil
			}
			if d.Type()&fs.ModeSymlink != 0 {
				if _, err := raster.Check(ctx, name); err != nil {
					return nil
				}
			} else if !stores.ContainsResolved(p) {
				return nil
			}
			emit(name)
			return nil
		})
	}
	dirOf := func(name string) (string, bool) {
		resolved, err := raster.Check(ctx, name)
		if err != nil || isRemote(resolved) {
			return "", false
		}
		st, err := os.Stat(resolved)
		return resolved, err == nil && st.IsDir()
	}
	for _, in := range inputs {
		name := gdalName(in)
		if base := filepath.Base(name); strings.ContainsAny(base, "*?[") {
			dir := filepath.Dir(name)
			if !strings.ContainsAny(dir, "*?[") {
				if resolved, ok := dirOf(dir); ok {
					walk(resolved, dir, func(p string) bool { ok, _ := matchGlob(base, p); return ok })
				}
				continue
			}
			matches, _ := filepath.Glob(name)
			for _, m := range matches {
				if _, err := raster.Check(ctx, m); err == nil && o.Filter.Match(m) {
					emit(m)
				}
			}
			continue
		}
		resolved, ok := dirOf(name)
		if !ok {
			emit(name)
			continue
		}
		walk(resolved, name, func(p string) bool { return rasterExts[strings.ToLower(filepath.Ext(p))] })
	}
	return out
}

// TestWalkMatchesWalkDir: the recursive os.ReadDir walk lists what
// filepath.WalkDir listed, in the same order, kept or streamed.
func TestWalkMatchesWalkDir(t *testing.T) {
	store, outside := t.TempDir(), t.TempDir()
	mk := func(p string) {
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte("x"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	for _, p := range []string{"a.tif", "B.TIF", "a.tif.ovr", "z.jp2", "a-b.tif", "a.b.tif", "a/x.tif", "a/b/y.tif", "a/b/c/z.tif",
		"a b/q.tif", "é/ü.tif", "a\nb.tif", "[x].tif", "*.tif", "sub.tif/in.tif", "x.tif.ovr/in.tif", "zz/zz.tif", "a.txt",
		"data/tessera.db", "data/secret.tif", "own.tif", "locked/l.tif", "locked/inner/m.tif", "deep/1/2/3/4/5.tif"} {
		mk(filepath.Join(store, p))
	}
	mk(filepath.Join(outside, "o.tif"))
	mk(filepath.Join(outside, "d", "od.tif"))
	for link, target := range map[string]string{"ln-in.tif": filepath.Join(store, "a.tif"), "ln-out.tif": filepath.Join(outside, "o.tif"),
		"ln-dir": filepath.Join(store, "a"), "ln-dirout": filepath.Join(outside, "d"), "ln-dir.tif": filepath.Join(store, "a"),
		"ln-own.tif": filepath.Join(store, "own.tif"), "a/b/ln-up.tif": filepath.Join(store, "zz", "zz.tif"), "dangling.tif": filepath.Join(store, "nope.tif"),
		"ln-data.tif": filepath.Join(store, "data", "secret.tif")} {
		if err := os.Symlink(target, filepath.Join(store, link)); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.Chmod(filepath.Join(store, "locked"), 0o000); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.Chmod(filepath.Join(store, "locked"), 0o755) })
	linkStore := filepath.Join(t.TempDir(), "linkstore")
	if err := os.Symlink(store, linkStore); err != nil {
		t.Fatal(err)
	}
	stores, err := raster.NewStores([]string{store}, []string{filepath.Join(store, "own.tif")}, []string{filepath.Join(store, "data")})
	if err != nil {
		t.Fatal(err)
	}
	ctx := raster.WithStores(context.Background(), stores)
	inputs := [][]string{
		{store}, {store + "/"}, {store + "/a"}, {store + "/ln-dir"}, {store + "/ln-dirout"}, {store + "/*.tif"}, {store + "/a*"},
		{store + "/a/b/*"}, {store + "/[*].tif"}, {store + "/*/*.tif"}, {store + "/a/../a"}, {linkStore}, {linkStore + "/*.TIF"},
		{store, store + "/a"}, {store + "/a", store}, {store + "/locked"}, {"file://" + store}, {outside}, {store + "/data"},
		{store + "/x.tif.ovr"}, {store + "/sub.tif"},
	}
	filters := []string{"", "*.tif", "REGEX:.*/a/.*", "a/*", "*b*"}
	for _, in := range inputs {
		for _, sub := range []bool{true, false} {
			for _, fs := range filters {
				filter, err := parseFilter(fs)
				if err != nil {
					t.Fatal(err)
				}
				o := &addOptions{Sources: in, Filter: filter, SubFolders: sub}
				want := oldWalk(ctx, o, in)
				if sub && fs == "" {
					t.Logf("%q: %d %q", in, len(want), want)
				}
				for _, kept := range []int64{100000, 1} {
					old := keptNames.Load()
					keptNames.Store(kept)
					set, err := expandSources(ctx, in, o)
					keptNames.Store(old)
					if err != nil {
						t.Fatal(err)
					}
					got, srcs := collectPaths(t, ctx, set)
					for _, s := range srcs {
						if s.listed != nil && s.listed.Dir() != filepath.Dir(mustEval(t, s.Path)) {
							t.Errorf("%s: listing of %s", s.Path, s.listed.Dir())
						}
					}
					total, err := set.count(ctx)
					if err != nil || total != len(got) || !reflect.DeepEqual(got, want) {
						t.Errorf("inputs %q sub %v filter %q kept %d:\n got %q (total %d, %v)\nwant %q", in, sub, fs, kept, got, total, err, want)
					}
					set.stop()
				}
			}
		}
	}
}

func mustEval(t *testing.T, p string) string {
	r, err := filepath.EvalSymlinks(p)
	if err != nil {
		return p
	}
	return r
}
