package raster_test

import (
	"fmt"
	"os"
	"testing"
)

// demoDir holds the demo collection shared by the tests of one run.
var demoDir string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "raster-test-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	demoDir = dir
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}
