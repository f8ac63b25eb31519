//go:build !linux

package raster

import (
	"io"
	"os"
)

// checkOpenFD is Linux only (it reads /proc/self/fd): elsewhere checkOpen
// checks by name.
func (s *Stores) checkOpenFD(string) (string, bool, error, bool) { return "", false, nil, false }

// openReaderAt opens a local file for reading at offsets.
func openReaderAt(name string) (io.ReaderAt, func(), error) {
	f, err := os.Open(name)
	if err != nil {
		return nil, nil, err
	}
	return f, func() { f.Close() }, nil
}

// exists reports whether a name exists, without following a final
// symbolic link.
func exists(name string) bool {
	_, err := os.Lstat(name)
	return err == nil
}
