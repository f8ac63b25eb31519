package tasks

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/tessera-gis/tessera/raster"
)

// listingFixture is a store with a folder of n empty .tif files in
// subfolders of 37, and a context that registers it.
func listingFixture(t *testing.T, n int) (context.Context, string, []string) {
	t.Helper()
	root := t.TempDir()
	var want []string
	for i := range n {
		p := filepath.Join(root, fmt.Sprintf("d%02d", i/37), fmt.Sprintf("f%04d.tif", i))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, nil, 0o644); err != nil {
			t.Fatal(err)
		}
		want = append(want, p)
	}
	stores, err := raster.NewStores([]string{root}, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	return raster.WithStores(context.Background(), stores), root, want
}

// TestBackgroundListing: a folder walked in the background yields every
// file once, in walk order, and counts them, whether the scan keeps up
// with the walk or not, and whether the names fit in keptNames or the
// scan walks again for the rest; a scan may run twice.
func TestBackgroundListing(t *testing.T) {
	ctx, root, want := listingFixture(t, 300)
	for _, keep := range []int{1, 50, 64, 299, 300, 301, 100000} {
		restore := SetKeptNames(keep)
		set, err := expandSources(ctx, []string{root, filepath.Join(root, "d01")}, &addOptions{SubFolders: true})
		restore()
		if err != nil {
			t.Fatal(err)
		}
		for run := range 2 {
			got, _ := collectPaths(t, ctx, set)
			if strings.Join(got, "\n") != strings.Join(want, "\n") {
				t.Fatalf("keep %d, scan %d: %d sources, want %d (first %v)", keep, run, len(got), len(want), got[:min(3, len(got))])
			}
		}
		if n, err := set.count(ctx); n != len(want) || err != nil {
			t.Fatalf("keep %d: count %d, %v; want %d", keep, n, err, len(want))
		}
		set.stop()
	}
}

// TestBackgroundListingStops: a listing stopped before its end (the
// ingest gave up) reports it, and its scan ends.
func TestBackgroundListingStops(t *testing.T) {
	ctx, root, _ := listingFixture(t, 2000)
	set, err := expandSources(ctx, []string{root}, &addOptions{SubFolders: true})
	if err != nil {
		t.Fatal(err)
	}
	set.stop()
	if _, err := set.count(ctx); err != nil && !errors.Is(err, context.Canceled) {
		t.Fatalf("count after stop: %v", err)
	}
	if _, err := set.collect(ctx); err != nil && !errors.Is(err, context.Canceled) {
		t.Fatalf("scan after stop: %v", err)
	}
}

// TestListingBadPattern: a bad wildcard pattern is an error when the
// sources are listed, before any walk.
func TestListingBadPattern(t *testing.T) {
	ctx, root, _ := listingFixture(t, 3)
	for _, in := range []string{filepath.Join(root, "d00", "f[.tif"), filepath.Join(root, "d[0", "*.tif")} {
		_, err := expandSources(ctx, []string{root, in}, &addOptions{SubFolders: true})
		if err == nil || !strings.Contains(err.Error(), "bad pattern") {
			t.Errorf("%s: %v, want a bad pattern", in, err)
		}
	}
}

// collectPaths runs a set's scan and returns its sources' paths, and the
// sources.
func collectPaths(t *testing.T, ctx context.Context, set *sourceSet) ([]string, []source) {
	t.Helper()
	srcs, err := set.collect(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var paths []string // nil for none, as a want list of none is
	for _, s := range srcs {
		paths = append(paths, s.Path)
	}
	return paths, srcs
}
