package jobs

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/tessera-gis/tessera/mosaic"
)

// Temporary files. A task that sets data aside while it runs (an ingest's
// stage) creates its files with CreateTemp, named after its job, and
// removes them when done. The engine removes those left behind: when it
// fails the job of a process that died (on this host), and, at start and
// every sweepEvery, those of jobs that ended anywhere, so that a killed
// instance's files are removed by whichever instance on its host sweeps
// next, the restarted one included. (Not after every job: listing the
// temporary directory would cost every job time.)

// tempPrefix starts the names of job files in os.TempDir(), followed by
// the job ID and a dash.
const tempPrefix = "tessera-job-"

// sweepEvery is how often the maintenance loop removes the files of jobs
// that ended.
const sweepEvery = time.Minute

// tempOrphanAge is how old a file must be before it is removed when its
// job is not in the store: the job may belong to another server on this
// host, with a store of its own, unless it is older than any job runs.
const tempOrphanAge = 48 * time.Hour

// CreateTemp creates a temporary file for job id, as os.CreateTemp does in
// os.TempDir() with pattern (which may contain one "*"). The caller
// removes it; the engine does if the caller's process dies, or once the
// job has ended.
func CreateTemp(id, pattern string) (*os.File, error) {
	return os.CreateTemp("", tempPrefix+id+"-"+pattern)
}

// removeTemp removes job id's temporary files.
func removeTemp(id string) {
	if !validJobID(id) {
		return
	}
	names, _ := filepath.Glob(filepath.Join(os.TempDir(), tempPrefix+id+"-*"))
	for _, n := range names {
		os.Remove(n)
	}
}

// validJobID reports whether id can be part of a file name pattern.
func validJobID(id string) bool {
	return id != "" && !strings.ContainsAny(id, `/\*?[]-`+"\x00")
}

// sweepTemp removes the temporary files of jobs that are no longer running
// in any process: ended, or unknown to the store and older than
// tempOrphanAge.
func (e *Engine) sweepTemp(ctx context.Context) {
	names, _ := filepath.Glob(filepath.Join(os.TempDir(), tempPrefix+"*"))
	if len(names) == 0 {
		return
	}
	byJob := map[string][]string{}
	for _, n := range names {
		rest := strings.TrimPrefix(filepath.Base(n), tempPrefix)
		id, _, ok := strings.Cut(rest, "-")
		if ok && validJobID(id) {
			byJob[id] = append(byJob[id], n)
		}
	}
	for id, files := range byJob {
		var (
			state mosaic.JobState
			found bool
		)
		err := e.store.View(ctx, func(tx mosaic.ReadTx) error {
			j, err := tx.Job(id)
			if mosaic.ErrorCode(err) == mosaic.ENOTFOUND {
				return nil
			}
			if err != nil {
				return err
			}
			state, found = j.State, true
			return nil
		})
		if err != nil {
			return // try again at the next sweep
		}
		for _, n := range files {
			if found && !state.Terminal() {
				continue
			}
			if !found {
				if fi, err := os.Stat(n); err != nil || time.Since(fi.ModTime()) < tempOrphanAge {
					continue
				}
			}
			if os.Remove(n) == nil {
				e.log.Info("removed a file left by a job that ended", "job", id, "file", n)
			}
		}
	}
}
