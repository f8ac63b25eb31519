package mosaic_test

import (
	"fmt"
	"os"
	"syscall"
	"testing"

	"github.com/tessera-gis/tessera/mosaic"
)

// A write that failed because the disk is full says so (found by the
// reliability suite's disk-full fault: the job said "Internal error.").
func TestErrorMessageDiskFull(t *testing.T) {
	full := fmt.Errorf("stage items: %w", &os.PathError{Op: "write", Path: "/tmp/x", Err: syscall.ENOSPC})
	if got := mosaic.ErrorMessage(full); got != mosaic.ErrDiskFull {
		t.Errorf("ErrorMessage(%v) = %q, want %q", full, got, mosaic.ErrDiskFull)
	}
	if got := mosaic.ErrorMessage(fmt.Errorf("boom")); got != "Internal error." {
		t.Errorf("other errors: %q", got)
	}
	if got := mosaic.ErrorMessage(mosaic.Errorf(mosaic.EINVALID, "bad")); got != "bad" {
		t.Errorf("application errors: %q", got)
	}
}
