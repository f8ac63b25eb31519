package raster_test

import (
	"context"
	"fmt"
	"os"
	"testing"

	"github.com/tessera-gis/tessera/raster"
)

// demoDir holds the demo collection shared by the tests of one run.
var demoDir string

// storeCtx registers the temporary folder, where every test writes its
// rasters, as the data store.
var storeCtx = context.Background()

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "raster-test-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	demoDir = dir
	stores, err := raster.NewStores([]string{os.TempDir()}, nil, nil)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	storeCtx = raster.WithStores(context.Background(), stores)
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}
