package raster

import (
	"bytes"
	"encoding/xml"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync"
)

// VRT files reference other files, and GDAL 3.6 has no switch to stop a
// VRTRawRasterBand from reading any file as pixels, so a VRT is read here
// first: every file it references (SourceFilename of simple, complex and
// raw bands, overviews and masks, SourceDataset of warped VRTs, nested
// VRTs down to maxVRTDepth) must pass the same check as the VRT itself.
// Refused outright: pixel function code (Python), open options, relative
// names not marked relativeToVRT (GDAL would resolve them against the
// working directory), remote sources (their content is not known here)
// and SRS values that look like file names.

const (
	maxVRTDepth   = 8
	maxVRTBytes   = 64 << 20
	maxVRTSources = 100000
	sniffBytes    = 1024     // GDAL's VRT driver looks here
	sniffMore     = 64 << 10 // a nested source with "<VRTDataset" this far in is refused
)

// sniffPool holds the buffers checkContent reads file heads into.
var sniffPool = sync.Pool{New: func() any { return new([sniffMore]byte) }}

// isVRTContent reports whether GDAL's VRT driver would take the file that
// starts with head (it looks for "<VRTDataset" in the first bytes).
func isVRTContent(head []byte) bool {
	return bytes.Contains(head, []byte("<VRTDataset"))
}

// checkContent checks what a resolved local file references: a VRT's
// sources, recursively. Other files reference nothing GDAL follows
// (sidecars are checked by openSource). It reports whether the file is a
// VRT.
func (s *Stores) checkContent(resolved, dir string, depth int, budget *int) (bool, error) {
	// Regular files only: opening a FIFO or a device could block or never end.
	if st, err := os.Stat(resolved); err != nil || !st.Mode().IsRegular() {
		return false, ErrNotInStore
	}
	f, err := os.Open(resolved)
	if err != nil {
		return false, ErrNotInStore
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil || !st.Mode().IsRegular() {
		return false, ErrNotInStore
	}
	return s.checkHead(f, st.Size(), dir, depth, budget)
}

// checkHead is checkContent once the regular file is open: r reads it and
// size is its length.
func (s *Stores) checkHead(r io.ReaderAt, size int64, dir string, depth int, budget *int) (bool, error) {
	// The file's own name is what GDAL opens at depth 0, and its VRT
	// driver looks at the first sniffBytes only; a nested source is looked
	// at further (sniffMore). The buffer is pooled: an ingest reads one
	// head per file, and 64 KiB of garbage per file made the collector
	// mark a large ingest's held items over and over.
	want := sniffBytes
	if depth > 0 {
		want = sniffMore
	}
	buf := sniffPool.Get().(*[sniffMore]byte)
	n, _ := r.ReadAt(buf[:want], 0)
	vrt := isVRTContent(buf[:min(n, sniffBytes)])
	nested := !vrt && depth > 0 && isVRTContent(buf[:n])
	sniffPool.Put(buf)
	if !vrt {
		if nested {
			return false, ErrForbiddenSource // GDAL might still take it for a VRT
		}
		return false, nil
	}
	if depth >= maxVRTDepth || size > maxVRTBytes {
		return true, ErrForbiddenSource
	}
	b, err := io.ReadAll(io.NewSectionReader(r, 0, maxVRTBytes))
	if err != nil {
		return true, ErrNotInStore
	}
	return true, s.checkVRT(b, dir, depth, budget)
}

// checkVRT checks the files a VRT document references; dir is the VRT's
// folder as GDAL sees it (the text before the last slash of the name it
// opened). The document must be well-formed, and every value checked must
// be plain text (no entity, character reference, CDATA, comment or child
// element), so that GDAL's XML parser reads exactly what was checked.
func (s *Stores) checkVRT(doc []byte, dir string, depth int, budget *int) error {
	dec := xml.NewDecoder(bytes.NewReader(doc))
	dec.Strict = true
	for {
		tok, err := dec.Token()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return ErrForbiddenSource
		}
		se, ok := tok.(xml.StartElement)
		if !ok {
			continue
		}
		switch strings.ToLower(se.Name.Local) {
		case "pixelfunctioncode", "pixelfunctionlanguage", "openoptions", "ooi":
			return ErrForbiddenSource
		case "srs":
			v, err := plainText(dec, doc)
			if err != nil || srsLooksLikeFile(v) {
				return ErrForbiddenSource
			}
		case "sourcefilename", "sourcedataset":
			relative, n := false, 0
			for _, a := range se.Attr {
				if strings.EqualFold(a.Name.Local, "relativeToVRT") {
					n++
					// GDAL reads it with atoi; only "1" is taken as
					// relative here, and checkVRTSource refuses a relative
					// name without it.
					relative = strings.TrimSpace(a.Value) == "1"
				}
			}
			if n > 1 {
				return ErrForbiddenSource
			}
			v, err := plainText(dec, doc)
			if err != nil {
				return ErrForbiddenSource
			}
			*budget--
			if *budget < 0 {
				return ErrForbiddenSource
			}
			if err := s.checkVRTSource(strings.TrimSpace(v), relative, dir, depth, budget); err != nil {
				return err
			}
		}
	}
}

// plainText reads the content of the element just started, which must be
// plain text up to its end tag, and returns it as it appears in doc.
func plainText(dec *xml.Decoder, doc []byte) (string, error) {
	start := dec.InputOffset()
	for {
		end := dec.InputOffset()
		tok, err := dec.Token()
		if err != nil {
			return "", err
		}
		switch tok.(type) {
		case xml.CharData:
		case xml.EndElement:
			raw := string(doc[start:end])
			if strings.ContainsAny(raw, "&<") {
				return "", ErrForbiddenSource
			}
			return raw, nil
		default:
			return "", ErrForbiddenSource
		}
	}
}

// checkVRTSource checks one file named in a VRT as GDAL would resolve it:
// a relative name is appended to the VRT's folder as is, and the result
// must resolve to the same file physically (as the kernel follows links
// and "..") and lexically (as a path library might), inside the stores.
func (s *Stores) checkVRTSource(name string, relative bool, dir string, depth int, budget *int) error {
	if name == "" {
		return ErrForbiddenSource
	}
	if _, ok := urlOf(name); ok || strings.Contains(name, "://") || strings.HasPrefix(name, "/vsi") ||
		strings.HasPrefix(name, "<") || strings.ContainsAny(name, "\x00\n\r") {
		return ErrForbiddenSource
	}
	if !strings.HasPrefix(name, "/") {
		if !relative {
			return ErrForbiddenSource
		}
		name = dir + "/" + name
	}
	physical, err := s.check(name)
	if err != nil {
		return ErrForbiddenSource
	}
	if lexical, err := filepath.EvalSymlinks(filepath.Clean(name)); err != nil || lexical != physical {
		return ErrForbiddenSource
	}
	if _, err := s.checkContent(physical, rawDir(name), depth+1, budget); err != nil {
		return ErrForbiddenSource
	}
	return nil
}

// rawDir is GDAL's CPLGetPath: the name up to its last slash, unchanged.
func rawDir(name string) string {
	if i := strings.LastIndex(name, "/"); i > 0 {
		return name[:i]
	}
	return "/"
}

// srsLooksLikeFile reports an SRS value that OSR might read as a file.
func srsLooksLikeFile(v string) bool {
	v = strings.TrimSpace(v)
	return strings.HasPrefix(v, "/") || strings.HasPrefix(v, ".") || strings.HasPrefix(v, "~") ||
		strings.Contains(v, "/vsi") || strings.Contains(v, "://")
}

// checkOpen is the whole check before GDAL opens name: the name itself,
// then what the file references. It returns the name GDAL should open and
// whether it is a VRT (GDAL may open it with the VRT driver only then).
// On Linux, a local name is checked on a file descriptor (checkOpenFD).
func (s *Stores) checkOpen(name string) (string, bool, error) {
	if resolved, vrt, err, ok := s.checkOpenFD(name); ok {
		return resolved, vrt, err
	}
	return s.checkOpenByName(name)
}

// checkOpenByName is checkOpen by name: EvalSymlinks, then the file
// opened again by its resolved name.
func (s *Stores) checkOpenByName(name string) (string, bool, error) {
	resolved, err := s.check(name)
	if err != nil {
		return "", false, err
	}
	if isVSI(resolved) {
		return resolved, false, nil
	}
	budget := maxVRTSources
	vrt, err := s.checkContent(resolved, filepath.Dir(resolved), 0, &budget)
	if err != nil {
		return "", false, fmt.Errorf("%q: %w", name, err)
	}
	return resolved, vrt, nil
}
