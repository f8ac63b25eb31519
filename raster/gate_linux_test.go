//go:build linux

package raster_test

import (
	"bufio"
	"context"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/tessera-gis/tessera/raster"
	"github.com/tessera-gis/tessera/raster/rastertest"
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
	f.assertLinkRefused(t, f.store, "/proc/"+strconv.Itoa(cmd.Process.Pid)+"/root"+evil,
		"the gate checked the benign VRT of the other namespace and GDAL opened the evil one here")
}

// TestGateDetachedMount: the same with a file on a detached mount, which
// /proc/self/fd prints with its path from that mount's root. Needs root.
func TestGateDetachedMount(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root to mount")
	}
	f := newGateFixture(t)
	store, err := filepath.EvalSymlinks(f.store)
	if err != nil {
		t.Fatal(err)
	}
	evil := write(t, filepath.Join(store, "same.vrt"), rawVRT(f.secret, false))
	mnt := t.TempDir()
	if err := syscall.Mount("none", mnt, "tmpfs", 0, ""); err != nil {
		t.Skipf("cannot mount: %v", err)
	}
	mounted := true
	defer func() {
		if mounted {
			syscall.Unmount(mnt, syscall.MNT_DETACH) //nolint:errcheck // best effort
		}
	}()
	write(t, filepath.Join(mnt, store, "same.vrt"), rawVRT("ok.tif", true))
	root, err := os.Open(mnt)
	if err != nil {
		t.Fatal(err)
	}
	defer root.Close()
	if err := syscall.Unmount(mnt, syscall.MNT_DETACH); err != nil {
		t.Fatal(err)
	}
	mounted = false
	f.assertLinkRefused(t, store, "/proc/self/fd/"+strconv.Itoa(int(root.Fd()))+evil,
		"the gate checked the benign VRT of the detached mount and GDAL opened the evil one here")
}

// TestGateUnlinkedName: /proc/PID/fd/N of any process (here this one)
// holding a file that was unlinked while another link keeps it reads back
// as its old name with " (deleted)" appended, which anyone who writes in
// the store can create: a benign VRT was checked and that evil name was
// handed to GDAL.
func TestGateUnlinkedName(t *testing.T) {
	f := newGateFixture(t)
	store, err := filepath.EvalSymlinks(f.store)
	if err != nil {
		t.Fatal(err)
	}
	gone := write(t, filepath.Join(store, "a.vrt"), rawVRT("ok.tif", true))
	held, err := os.Open(gone)
	if err != nil {
		t.Fatal(err)
	}
	defer held.Close()
	if err := os.Link(gone, filepath.Join(store, "kept.vrt")); err != nil {
		t.Fatal(err)
	}
	if err := os.Remove(gone); err != nil {
		t.Fatal(err)
	}
	evil := write(t, gone+" (deleted)", rawVRT(f.secret, false))
	f.assertRefused(t, evil)
	f.assertLinkRefused(t, store, "/proc/"+strconv.Itoa(os.Getpid())+"/fd/"+strconv.Itoa(int(held.Fd())),
		"the gate checked the unlinked benign VRT and GDAL opened "+strconv.Quote(evil))
}

// TestGateFDNames: names as the kernel reads them. Doubled slashes, "/./",
// new lines, bytes that are not UTF-8, a file really named "… (deleted)"
// and resolved names on both sides of readlink's first buffer (256 bytes)
// and up to PATH_MAX are read; a trailing slash on a file, a name longer
// than PATH_MAX, a resolved name longer than PATH_MAX reached by a short
// name, and "… (deleted)" links out of the store are refused.
func TestGateFDNames(t *testing.T) {
	f := newGateFixture(t)
	store, err := filepath.EvalSymlinks(f.store)
	if err != nil {
		t.Fatal(err)
	}
	tif := func(p string) string {
		t.Helper()
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		return rastertest.GeoTIFF(t, p, rastertest.Size(32, 32), rastertest.EPSG(32633),
			rastertest.GeoTransform([6]float64{500000, 10, 0, 5000000, 0, -10}))
	}
	// padded returns a name in the store exactly n bytes long.
	padded := func(n int) string {
		p := store + "/len" + strconv.Itoa(n)
		for n-len(p) > 200+len(".tif") {
			p += "/" + strings.Repeat("d", 199)
		}
		return p + "/" + strings.Repeat("f", n-len(p)-1-len(".tif")) + ".tif"
	}
	allowed := []string{
		store + "//ok.tif", store + "/./ok.tif", "/" + store + "/ok.tif",
		tif(filepath.Join(store, "new\nline.tif")),
		tif(filepath.Join(store, "\xff\xfe.tif")),
		tif(filepath.Join(store, "x.tif (deleted)")),
	}
	for _, n := range []int{255, 256, 257, 511, 512, 513, 1024, 4000} {
		allowed = append(allowed, tif(padded(n)))
	}
	for _, p := range allowed {
		if info, err := raster.Inspect(f.ctx, p); err != nil || info.Width != 32 {
			t.Errorf("Inspect(%q) = %+v, %v", p, info, err)
		}
	}

	out := filepath.Join(store, "y.tif (deleted)")
	if err := os.Symlink(f.outsideTif, out); err != nil {
		t.Fatal(err)
	}
	secretDel := filepath.Join(store, "token.secret (deleted)")
	if err := os.Symlink(f.secret, secretDel); err != nil {
		t.Fatal(err)
	}
	// A directory chain deeper than PATH_MAX, reached by a short name
	// through a link: the kernel opens it, /proc/self/fd cannot print it.
	deep := store + "/deep"
	if err := os.Mkdir(deep, 0o755); err != nil {
		t.Fatal(err)
	}
	fd, err := syscall.Open(deep, syscall.O_RDONLY|syscall.O_DIRECTORY, 0)
	if err != nil {
		t.Fatal(err)
	}
	seg := strings.Repeat("e", 200)
	for range 24 {
		if err := syscall.Mkdirat(fd, seg, 0o755); err != nil {
			t.Fatal(err)
		}
		next, err := syscall.Openat(fd, seg, syscall.O_RDONLY|syscall.O_DIRECTORY, 0)
		syscall.Close(fd)
		if err != nil {
			t.Fatal(err)
		}
		fd = next
	}
	ffd, err := syscall.Openat(fd, "f.tif", syscall.O_CREAT|syscall.O_WRONLY, 0o644)
	syscall.Close(fd)
	if err != nil {
		t.Fatal(err)
	}
	syscall.Write(ffd, []byte("II*\x00")) //nolint:errcheck // content is not read
	syscall.Close(ffd)
	jump := store + "/jump"
	if err := os.Symlink("deep/"+strings.Repeat(seg+"/", 16), jump); err != nil {
		t.Fatal(err)
	}
	longResolved := jump + "/" + strings.Repeat(seg+"/", 8) + "f.tif"
	for _, p := range []string{
		f.tif + "/", f.tif + "/.", store + "/ok.tif//", out, secretDel,
		padded(4097), padded(5000), longResolved,
	} {
		f.assertRefused(t, p)
	}
}

// TestGateSpecialFiles: what is not a regular file in a store, or is
// reached through a link, is refused without blocking, with the very
// error of a missing file, and no check leaves a descriptor open: FIFOs
// (no reader or writer would ever come), sockets, device nodes in the
// store (root only) and links to /dev, directories, link loops and
// dangling links, links to the server's own files at any component.
func TestGateSpecialFiles(t *testing.T) {
	f := newGateFixture(t)
	store := f.store
	link := func(target, name string) string {
		t.Helper()
		p := filepath.Join(store, name)
		if err := os.Symlink(target, p); err != nil {
			t.Fatal(err)
		}
		return p
	}
	fifo := filepath.Join(store, "fifo.tif")
	if err := syscall.Mkfifo(fifo, 0o644); err != nil {
		t.Fatal(err)
	}
	sock := filepath.Join(store, "sock.tif")
	l, err := net.Listen("unix", sock)
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	names := []string{
		fifo, link(fifo, "to-fifo.tif"), link("fifo.tif", "to-fifo-rel.tif"),
		sock, link(sock, "to-sock.tif"),
		link("/dev/zero", "zero.tif"), link("/dev/null", "null.tif"), link("/dev/stdin", "stdin.tif"),
		link("/proc/self/fd/0", "fd0.tif"), link("/proc/self/environ", "environ.tif"),
		store, link(store, "dir.tif"), store + "/.", store + "/..",
		link("loop-b.tif", "loop-a.tif"), link("loop-a.tif", "loop-b.tif"), link("self.tif", "self.tif"),
		link(filepath.Join(store, "gone.tif"), "dangling.tif"), link("nowhere/x.tif", "dangling-rel.tif"),
		link(f.data, "d") + "/token.secret", store + "/d/../data/tessera.db", store + "/d/../users.conf",
		link(f.db, "db.tif"), link("data/tessera.db", "db-rel.tif"),
		filepath.Join(store, "missing.tif"),
	}
	// Through this process's descriptors: a pipe (/proc prints "pipe:[N]",
	// the check by name decides) and an unnamed regular file in the store
	// (O_TMPFILE: no link at all).
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	defer w.Close()
	names = append(names, link("/proc/self/fd/"+strconv.Itoa(int(r.Fd())), "pipe.tif"))
	if tmp, err := unix.Open(store, unix.O_TMPFILE|unix.O_RDWR|unix.O_CLOEXEC, 0o644); err == nil {
		defer unix.Close(tmp)
		unix.Write(tmp, []byte(rawVRT("ok.tif", true))) //nolint:errcheck // refused whatever it holds
		names = append(names, link("/proc/self/fd/"+strconv.Itoa(tmp), "tmpfile.vrt"))
	} else {
		t.Logf("O_TMPFILE: %v", err)
	}
	for _, dev := range []struct {
		name       string
		major, min int
	}{{"zero-node.tif", 1, 5}, {"null-node.tif", 1, 3}, {"tty-node.tif", 5, 0}} {
		p := filepath.Join(store, dev.name)
		if err := syscall.Mknod(p, syscall.S_IFCHR|0o666, dev.major<<8|dev.min); err == nil {
			names = append(names, p, link(p, "to-"+dev.name))
		} else if os.Geteuid() == 0 {
			t.Logf("mknod %s: %v", p, err)
		}
	}
	missing := filepath.Join(store, "missing.tif")
	_, want := raster.Inspect(f.ctx, missing)
	norm := func(err error, name string) string {
		return strings.ReplaceAll(err.Error(), strconv.Quote(name), "NAME")
	}
	check := func() {
		for _, name := range names {
			done := make(chan error, 1)
			go func() { _, err := raster.Inspect(f.ctx, name); done <- err }()
			select {
			case err := <-done:
				if err == nil {
					t.Fatalf("Inspect(%q) succeeded", name)
				}
				if norm(err, name) != norm(want, missing) {
					t.Errorf("Inspect(%q): %v\nwant the error of a missing file: %v", name, err, want)
				}
			case <-time.After(20 * time.Second):
				t.Fatalf("Inspect(%q) blocks", name)
			}
		}
	}
	check() // GDAL and the proxy open what they keep open
	before := openFDs(t)
	for range 20 {
		check()
		if _, err := raster.Inspect(f.ctx, f.tif); err != nil {
			t.Fatal(err)
		}
	}
	if after := openFDs(t); after > before {
		t.Errorf("%d descriptors open before %d rounds of checks, %d after", before, 20*len(names), after)
	}
	for _, name := range names {
		f.assertRefused(t, name)
	}
}

// TestGateUnreadable: a file in a store the server may not read (the
// descriptor check opens it O_PATH, which needs no read permission) is
// refused with the error of a missing file. Root reads anything: skipped.
func TestGateUnreadable(t *testing.T) {
	if os.Geteuid() == 0 {
		t.Skip("root reads files whatever their mode")
	}
	f := newGateFixture(t)
	locked := write(t, filepath.Join(f.store, "locked.tif"), "II*\x00")
	if err := os.Chmod(locked, 0); err != nil {
		t.Fatal(err)
	}
	vrt := write(t, filepath.Join(f.store, "locked.vrt"), rawVRT("ok.tif", true))
	if err := os.Chmod(vrt, 0); err != nil {
		t.Fatal(err)
	}
	missing := filepath.Join(f.store, "missing.tif")
	_, want := raster.Inspect(f.ctx, missing)
	for _, p := range []string{locked, vrt} {
		f.assertRefused(t, p)
		_, err := raster.Inspect(f.ctx, p)
		if strings.ReplaceAll(err.Error(), strconv.Quote(p), "NAME") != strings.ReplaceAll(want.Error(), strconv.Quote(missing), "NAME") {
			t.Errorf("Inspect(%s): %v\nwant the error of a missing file: %v", p, err, want)
		}
	}
}

// openFDs counts this process's open descriptors.
func openFDs(t *testing.T) int {
	t.Helper()
	d, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		t.Skipf("no /proc: %v", err)
	}
	return len(d)
}

// TestGateStoreThroughLink: a store registered by a link, or under a
// linked folder, is matched by the name /proc/self/fd reads back (the
// folder NewStores resolved): its files read by every name, its
// protected files and what its links reach outside do not.
func TestGateStoreThroughLink(t *testing.T) {
	base, outside := t.TempDir(), t.TempDir()
	real := filepath.Join(base, "real", "store")
	if err := os.MkdirAll(filepath.Join(real, "sub"), 0o755); err != nil {
		t.Fatal(err)
	}
	tif := rastertest.GeoTIFF(t, filepath.Join(real, "sub", "a.tif"), rastertest.Size(32, 32), rastertest.EPSG(32633),
		rastertest.GeoTransform([6]float64{500000, 10, 0, 5000000, 0, -10}))
	outTif := rastertest.GeoTIFF(t, filepath.Join(outside, "b.tif"), rastertest.Size(32, 32), rastertest.EPSG(32633))
	secret := write(t, filepath.Join(real, "secret.tif"), secretText)
	byLink := filepath.Join(base, "by-link")
	if err := os.Symlink(real, byLink); err != nil {
		t.Fatal(err)
	}
	parentLink := filepath.Join(base, "parent")
	if err := os.Symlink(filepath.Join(base, "real"), parentLink); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(outTif, filepath.Join(real, "out.tif")); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(outside, filepath.Join(real, "up")); err != nil {
		t.Fatal(err)
	}
	for _, spec := range []string{byLink, byLink + "/", parentLink + "/store", parentLink + "/../real/store/sub/.."} {
		t.Run(spec, func(t *testing.T) {
			// The secret is protected by a name through the link.
			s, err := raster.NewStores([]string{spec}, []string{byLink + "/secret.tif"}, nil)
			if err != nil {
				t.Fatal(err)
			}
			f := &gateFixture{store: spec, outside: outside, data: filepath.Join(base, "none"), ctx: raster.WithStores(context.Background(), s)}
			for _, p := range []string{tif, byLink + "/sub/a.tif", parentLink + "/store/sub/a.tif", spec + "/sub/a.tif"} {
				if info, err := raster.Inspect(f.ctx, p); err != nil || info.Width != 32 {
					t.Errorf("Inspect(%s) = %+v, %v", p, info, err)
				}
			}
			for _, p := range []string{secret, byLink + "/secret.tif", parentLink + "/store/secret.tif",
				byLink + "/out.tif", byLink + "/up/b.tif", byLink + "/../../" + filepath.Base(outside) + "/b.tif", outTif} {
				f.assertRefused(t, p)
			}
		})
	}
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

// assertLinkRefused makes dir/link.vrt a link to target and checks that
// the gate refuses it; what says what it would mean if Inspect succeeded.
func (f *gateFixture) assertLinkRefused(t *testing.T, dir, target, what string) {
	t.Helper()
	link := filepath.Join(dir, "link.vrt")
	if err := os.Symlink(target, link); err != nil {
		t.Fatal(err)
	}
	if info, err := raster.Inspect(f.ctx, link); err == nil {
		t.Fatalf("Inspect(%s) = %+v: %s", link, info, what)
	}
	f.assertRefused(t, link)
}
