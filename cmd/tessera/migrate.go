package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"time"

	"github.com/tessera-gis/tessera/mosaic"
	"github.com/tessera-gis/tessera/mosaic/postgis"
	"github.com/tessera-gis/tessera/mosaic/sqlite"
	"github.com/tessera-gis/tessera/mosaic/storecopy"
)

// migrate copies a catalog from one store to another: a data directory's
// SQLite file to PostgreSQL, or back. Neither may be in use by a server.
func migrate(args []string) error {
	fs := flag.NewFlagSet("migrate", flag.ContinueOnError)
	from := fs.String("from", "", "the catalog to copy: a data directory (its tessera.db) or a postgres:// URL")
	to := fs.String("to", "", "where to copy it: a postgres:// URL or a data directory, with no collections yet")
	batch := fs.Int("batch", 5000, "items read and written at a time")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *from == "" || *to == "" || fs.NArg() > 0 {
		return errors.New("usage: tessera migrate --from DATA_DIR --to postgres://user@host:5432/db (or the other way round)")
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	src, closeSrc, err := openCatalog(ctx, *from, false)
	if err != nil {
		return fmt.Errorf("--from: %w", err)
	}
	defer closeSrc()
	dst, closeDst, err := openCatalog(ctx, *to, true)
	if err != nil {
		return fmt.Errorf("--to: %w", err)
	}
	defer closeDst()
	st, err := storecopy.Copy(ctx, src, dst, storecopy.Options{Batch: *batch, Progress: func(s storecopy.Stats) {
		fmt.Fprintf(os.Stderr, "copied %d collections, %d items, %d recycle-bin entries\n", s.Collections, s.Items, s.Recycled)
	}})
	if err != nil {
		if errors.Is(err, mosaic.ErrConnectionLost) {
			// Cut during the final COMMIT, the copy may have committed.
			return fmt.Errorf("%w (the copy was rolled back, unless the connection was lost as it committed: check the target before running migrate again)", err)
		}
		if msg := mosaic.ErrorMessage(err); mosaic.ErrorCode(err) != mosaic.EINTERNAL {
			return fmt.Errorf("%s (nothing was copied)", strings.Join(append([]string{msg}, mosaic.ErrorDetails(err)...), " "))
		}
		return fmt.Errorf("%w (nothing was copied)", err)
	}
	fmt.Printf("copied %d collections, %d items and %d recycle-bin entries with their OBJECTIDs, and %d audit entries\n",
		st.Collections, st.Items, st.Recycled, st.Audit)
	fmt.Println("job records stay behind; tokens signed by the old server's secret need signing in again")
	return nil
}

// urlScheme matches what looks like a URL, not a path.
var urlScheme = regexp.MustCompile(`^([A-Za-z][A-Za-z0-9+.-]*)://`)

// openCatalog opens a store for migrate and locks it against servers: a
// postgres:// URL, or a data directory (whose tessera.db must exist unless
// create is set).
func openCatalog(ctx context.Context, where string, create bool) (mosaic.Store, func(), error) {
	if m := urlScheme.FindStringSubmatch(where); m != nil && m[1] != "postgres" && m[1] != "postgresql" {
		// Not a directory named "mysql:": refuse before anything is made.
		return nil, nil, fmt.Errorf("%q URLs are not supported: give a postgres:// (or postgresql://) URL, or a data directory", m[1]+"://")
	}
	if strings.HasPrefix(where, "postgres://") || strings.HasPrefix(where, "postgresql://") {
		if !create {
			// Open would create the catalog's tables in the source.
			has, err := postgis.HasCatalog(ctx, where)
			if err != nil {
				return nil, nil, err
			}
			if !has {
				return nil, nil, errors.New("this database holds no tessera catalog (no tessera_migrations table); nothing was changed")
			}
		}
		db, err := postgis.Open(ctx, where)
		if err != nil {
			return nil, nil, err
		}
		unlock, err := db.LockInstance(ctx)
		if err != nil {
			db.Close()
			return nil, nil, err
		}
		// Servers do not take that lock (several share a database); they
		// keep heartbeats instead.
		var live []string
		err = db.View(ctx, func(tx mosaic.ReadTx) (err error) {
			live, err = tx.(interface {
				LiveInstances(time.Duration) ([]string, error)
			}).LiveInstances(time.Minute)
			return err
		})
		if err == nil && len(live) > 0 {
			err = fmt.Errorf("database %s is in use by %d running tessera servers (%s); stop them first "+
				"(a server that was killed counts as running until a minute after its last heartbeat)", db, len(live), strings.Join(live, ", "))
		}
		if err != nil {
			unlock()
			db.Close()
			return nil, nil, err
		}
		return db, func() { unlock(); db.Close() }, nil
	}
	file := filepath.Join(where, "tessera.db")
	if create {
		if err := os.MkdirAll(where, 0o755); err != nil {
			return nil, nil, err
		}
	} else if _, err := os.Stat(file); err != nil {
		return nil, nil, fmt.Errorf("%s is not a tessera data directory: %w", where, err)
	}
	unlock, err := lockDataDir(where)
	if err != nil {
		return nil, nil, err
	}
	db, err := sqlite.Open(ctx, file)
	if err != nil {
		unlock()
		return nil, nil, err
	}
	return db, func() { db.Close(); unlock() }, nil
}
