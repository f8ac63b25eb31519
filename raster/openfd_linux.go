//go:build linux

package raster

import (
	"fmt"
	"io"
	"path/filepath"
	"strconv"
	"strings"

	"golang.org/x/sys/unix"
)

// checkOpenFD is checkOpen for a local name, done on a file descriptor:
// the name is opened as the kernel resolves it (O_PATH: nothing is read,
// and a FIFO or a device is not opened for I/O), the resolved name is read
// back from /proc/self/fd, and the head that checkContent looks at is read
// from that very file. It takes a handful of system calls whatever the
// depth of the name, where EvalSymlinks made one lstat per component and
// checkContent opened the file again by name, and the head checked is the
// head of the file whose name was checked. ok is false when this path
// cannot decide (a name that is not a plain local path, no /proc, or a
// name read back that does not name the file opened): checkOpen then
// does it by name.
func (s *Stores) checkOpenFD(name string) (resolved string, vrt bool, err error, ok bool) {
	if s.Empty() || !strings.HasPrefix(name, "/") || strings.HasPrefix(name, "/vsi") || strings.ContainsRune(name, 0) {
		return "", false, nil, false
	}
	refused := func(err error) (string, bool, error, bool) { return "", false, fmt.Errorf("%q: %w", name, err), true }
	pfd, err := unix.Open(name, unix.O_PATH|unix.O_CLOEXEC, 0)
	if err != nil {
		return refused(ErrNotInStore)
	}
	defer unix.Close(pfd)
	self := "/proc/self/fd/" + strconv.Itoa(pfd)
	resolved, err = readlink(self)
	if err != nil || !strings.HasPrefix(resolved, "/") {
		return "", false, nil, false // no usable /proc: checkOpen decides by name
	}
	if !s.containsLocal(resolved) {
		return refused(ErrNotInStore)
	}
	// Regular files only (a FIFO or a device could block or never end),
	// and not one removed since it was opened (its /proc name would end
	// in " (deleted)").
	var st unix.Stat_t
	if err := unix.Fstat(pfd, &st); err != nil || st.Mode&unix.S_IFMT != unix.S_IFREG || st.Nlink == 0 {
		return refused(ErrNotInStore)
	}
	// GDAL opens the resolved name, so it must name this very file. The
	// kernel prints a file of another mount namespace (reached through
	// /proc/PID/root) or of a detached mount with its path over there,
	// and one unlinked while another link keeps it with " (deleted)"
	// appended: such names may name a different file here, whose content
	// was not checked. Then the check by name decides.
	var named unix.Stat_t
	if err := unix.Lstat(resolved, &named); err != nil || named.Dev != st.Dev || named.Ino != st.Ino {
		return "", false, nil, false
	}
	// Reopened through /proc for reading: the same inode, whatever
	// happened to its name meanwhile.
	fd, err := unix.Open(self, unix.O_RDONLY|unix.O_CLOEXEC|unix.O_NOCTTY, 0)
	if err != nil {
		return refused(ErrNotInStore)
	}
	defer unix.Close(fd)
	budget := maxVRTSources
	vrt, err = s.checkHead(fdReader(fd), st.Size, filepath.Dir(resolved), 0, &budget)
	if err != nil {
		return refused(err)
	}
	return resolved, vrt, nil, true
}

// readlink returns the target of a symbolic link, in a stack buffer first.
func readlink(name string) (string, error) {
	var small [256]byte
	for buf := small[:]; ; buf = make([]byte, 2*len(buf)) {
		n, err := unix.Readlink(name, buf)
		if err != nil {
			return "", err
		}
		if n < len(buf) {
			return string(buf[:n]), nil
		}
		if len(buf) >= 1<<16 {
			return "", unix.ENAMETOOLONG
		}
	}
}

// fdReader reads a file descriptor at offsets, without an *os.File (whose
// creation tries to register the descriptor with the poller, in vain for
// a regular file: two fcntl calls and an epoll_ctl per file).
type fdReader int

// ReadAt implements io.ReaderAt.
func (fd fdReader) ReadAt(p []byte, off int64) (int, error) {
	n := 0
	for n < len(p) {
		m, err := unix.Pread(int(fd), p[n:], off+int64(n))
		if err == unix.EINTR {
			continue
		}
		if err != nil {
			return n, err
		}
		if m == 0 {
			return n, io.EOF
		}
		n += m
	}
	return n, nil
}

// openReaderAt opens a local regular file for reading at offsets. The
// name is not checked here and may have changed since the check: a FIFO
// is opened without waiting for a writer and refused, as is a device.
func openReaderAt(name string) (fdReader, func(), error) {
	fd, err := unix.Open(name, unix.O_RDONLY|unix.O_CLOEXEC|unix.O_NOCTTY|unix.O_NONBLOCK, 0)
	if err != nil {
		return -1, nil, err
	}
	var st unix.Stat_t
	if err := unix.Fstat(fd, &st); err != nil || st.Mode&unix.S_IFMT != unix.S_IFREG {
		unix.Close(fd)
		return -1, nil, fmt.Errorf("%s: not a regular file", name)
	}
	return fdReader(fd), func() { unix.Close(fd) }, nil
}

// exists reports whether a name exists, without following a final
// symbolic link (lstat), and without allocating for the answer: openSource
// asks it of five sidecar names per source, most of which do not exist.
func exists(name string) bool {
	var st unix.Stat_t
	return unix.Lstat(name, &st) == nil
}
