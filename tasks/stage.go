package tasks

import (
	"bufio"
	"encoding/gob"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/tessera-gis/tessera/mosaic"
	"github.com/tessera-gis/tessera/tasks/jobs"
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

// write appends a batch.
func (s *stage) write(items []*mosaic.Item) error {
	if s.f == nil {
		f, err := jobs.CreateTemp(s.jobID, "stage-*.gob") // removed by the engine if this process dies
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
