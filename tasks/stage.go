package tasks

import (
	"bufio"
	"encoding/gob"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/tessera-gis/tessera/mosaic"
)

// A stage holds the items an ingest has read until they commit, all in the
// job's final transaction: a job that fails, is cancelled or dies with its
// process adds nothing. Batches go to a temporary file as they are read,
// so that memory holds one batch at a time, whatever the number of
// rasters; the final transaction reads them back one batch at a time.
type stage struct {
	jobID   string
	f       *os.File
	w       *bufio.Writer
	enc     *gob.Encoder
	batches int
}

func init() {
	gob.Register(time.Time{}) // attribute values travel as interfaces
}

// stagePrefix starts the names of stage files, followed by the job ID.
const stagePrefix = "tessera-ingest-"

// write appends a batch.
func (s *stage) write(items []*mosaic.Item) error {
	if s.f == nil {
		f, err := os.CreateTemp("", stagePrefix+s.jobID+"-*.gob")
		if err != nil {
			return fmt.Errorf("stage items: %w", err)
		}
		s.f, s.w = f, bufio.NewWriterSize(f, 1<<20)
		s.enc = gob.NewEncoder(s.w)
	}
	if err := s.enc.Encode(items); err != nil {
		return fmt.Errorf("stage items: %w", err)
	}
	s.batches++
	return nil
}

// each calls fn with every staged batch, in order.
func (s *stage) each(fn func([]*mosaic.Item) error) error {
	if s.batches == 0 {
		return nil
	}
	if err := s.w.Flush(); err != nil {
		return fmt.Errorf("stage items: %w", err)
	}
	if _, err := s.f.Seek(0, io.SeekStart); err != nil {
		return fmt.Errorf("read staged items: %w", err)
	}
	// A fresh reader each time: a final transaction may run twice.
	dec := gob.NewDecoder(bufio.NewReaderSize(s.f, 1<<20))
	for range s.batches {
		var items []*mosaic.Item
		if err := dec.Decode(&items); err != nil {
			return fmt.Errorf("read staged items: %w", err)
		}
		if err := fn(items); err != nil {
			return err
		}
	}
	if _, err := s.f.Seek(0, io.SeekEnd); err != nil {
		return fmt.Errorf("read staged items: %w", err)
	}
	return nil
}

// remove deletes the stage's file.
func (s *stage) remove() {
	if s.f != nil {
		s.f.Close()
		os.Remove(s.f.Name())
		s.f = nil
	}
}

// removeStages deletes the stage files a job left behind when its process
// died.
func removeStages(jobID string) {
	if jobID == "" || strings.ContainsAny(jobID, `/\*?[`) {
		return
	}
	names, _ := filepath.Glob(filepath.Join(os.TempDir(), stagePrefix+jobID+"-*.gob"))
	for _, n := range names {
		os.Remove(n)
	}
}
