//go:build linux

package raster_test

import (
	"bufio"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/tessera-gis/tessera/raster"
)

// TestGateForeignMountNamespace: a link in a store to a file of another
// mount namespace (/proc/PID/root/... of a process a local user runs in
// its own namespace, unprivileged user namespaces suffice) is reported by
// /proc/self/fd with the path it has there, which may name a different
// file here. The gate must check the file GDAL will open by that name: a
// benign VRT over there must not let an evil VRT here through. Needs
// root (to make the namespace in the test).
func TestGateForeignMountNamespace(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root to make a mount namespace")
	}
	f := newGateFixture(t)
	// Here: a VRT whose raw band reads the server's token secret.
	evil := write(t, filepath.Join(f.store, "same.vrt"), rawVRT(f.secret, false))
	f.assertRefused(t, evil)
	// There: a tmpfs over the store with a benign VRT of the same name,
	// whose relative source is checked here (ok.tif).
	benign := rawVRT("ok.tif", true)
	cmd := exec.Command("sh", "-c", `mount -t tmpfs none "$1" && printf '%s' "$2" > "$1/same.vrt" && echo ready && exec cat`,
		"sh", f.store, benign)
	cmd.SysProcAttr = &syscall.SysProcAttr{Unshareflags: syscall.CLONE_NEWNS}
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Skipf("no mount namespace: %v", err)
	}
	defer func() { stdin.Close(); cmd.Wait() }() //nolint:errcheck // cat ends on EOF
	if line, _ := bufio.NewReader(stdout).ReadString('\n'); strings.TrimSpace(line) != "ready" {
		stdin.Close()
		t.Skipf("could not mount in the namespace: %q, %v", line, cmd.Wait())
	}
	link := filepath.Join(f.store, "link.vrt")
	if err := os.Symlink("/proc/"+strconv.Itoa(cmd.Process.Pid)+"/root"+evil, link); err != nil {
		t.Fatal(err)
	}
	if info, err := raster.Inspect(f.ctx, link); err == nil {
		t.Fatalf("Inspect(%s) = %+v: the gate checked the benign VRT of the other namespace and GDAL opened the evil one here", link, info)
	}
	f.assertRefused(t, link)
}

// TestGateNameFlipsToFIFO: Inspect reads the GeoKeys of the name it was
// given after GDAL opened the checked file, so a link flipping between a
// raster and a FIFO (outside the store: that open is not checked) made
// some Inspect wait for a writer forever, holding a thread. A race: it
// failed within a few seconds, usually in the first hundred calls.
func TestGateNameFlipsToFIFO(t *testing.T) {
	f := newGateFixture(t)
	fifo := filepath.Join(f.outside, "fifo")
	if err := syscall.Mkfifo(fifo, 0o644); err != nil {
		t.Fatal(err)
	}
	flip := filepath.Join(f.store, "flip.tif")
	if err := os.Symlink(f.tif, flip); err != nil {
		t.Fatal(err)
	}
	var stop atomic.Bool
	flipped := make(chan struct{})
	go func() {
		defer close(flipped)
		for i := 0; !stop.Load(); i++ {
			target, tmp := f.tif, filepath.Join(f.store, ".a")
			if i%2 == 1 {
				target, tmp = fifo, filepath.Join(f.store, ".b")
			}
			os.Remove(tmp)
			os.Symlink(target, tmp) //nolint:errcheck // the rename fails then
			os.Rename(tmp, flip)    //nolint:errcheck // retried
		}
	}()
	defer func() { stop.Store(true); <-flipped }()
	ok, n := 0, 0
	for start := time.Now(); time.Since(start) < 4*time.Second; n++ {
		done := make(chan error, 1)
		go func() { _, err := raster.Inspect(f.ctx, flip); done <- err }()
		select {
		case err := <-done:
			if err == nil {
				ok++
			}
		case <-time.After(10 * time.Second):
			if w, err := os.OpenFile(fifo, os.O_WRONLY, 0); err == nil {
				w.Close()
			}
			<-done
			t.Fatalf("Inspect(%s) blocked on the FIFO (call %d, %d read)", flip, n+1, ok)
		}
	}
	t.Logf("%d calls, %d read", n, ok)
}
