// Command tessera serves image collections over the ArcGIS REST protocol:
// a RasterAnalysisTools GPServer (CreateImageCollection, AddImage,
// DeleteImage, DeleteImageCollection, RestoreImage) and one ImageServer per
// collection, from one SQLite file.
//
// Usage:
//
//	tessera serve --addr 127.0.0.1:8080 --data DIR [--demo]
//	tessera version
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"net"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/tessera-gis/tessera/mosaic"
	"github.com/tessera-gis/tessera/mosaic/sqlite"
	"github.com/tessera-gis/tessera/raster"
	"github.com/tessera-gis/tessera/server"
	"github.com/tessera-gis/tessera/tasks"
	"github.com/tessera-gis/tessera/tasks/riverqueue"
)

// version is set at build time with -ldflags "-X main.version=…".
var version = "dev"

func main() {
	if err := run(os.Args[1:]); err != nil {
		fmt.Fprintln(os.Stderr, "tessera:", err)
		os.Exit(1)
	}
}

func run(args []string) error {
	if len(args) == 0 {
		usage()
		return errors.New("no command")
	}
	switch args[0] {
	case "serve":
		return serve(args[1:])
	case "version", "--version", "-v":
		fmt.Println("tessera", version)
		return nil
	case "help", "-h", "--help":
		usage()
		return nil
	}
	usage()
	return fmt.Errorf("unknown command %q", args[0])
}

func usage() {
	fmt.Fprint(os.Stderr, `Usage:
  tessera serve --addr 127.0.0.1:8080 --data DIR [--demo] [flags]
  tessera version

Run "tessera serve -h" for the serve flags.
`)
}

type serveConfig struct {
	addr, data, publicURL string
	demo                  bool
	workers               int
	jobRetention          time.Duration
	recycleRetention      time.Duration
	jobTimeout            time.Duration
	maxQueued             int
	maxRecordCount        int
	maxMosaicImages       int
	logLevel              string
}

func serve(args []string) error {
	var c serveConfig
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	fs.StringVar(&c.addr, "addr", "127.0.0.1:8080", "address to listen on")
	fs.StringVar(&c.data, "data", "./data", "data directory: the database file, demo rasters and outputs")
	fs.BoolVar(&c.demo, "demo", false, "create the demo collection Demo (24 generated GeoTIFFs) if it is absent")
	fs.StringVar(&c.publicURL, "public-url", "", "public URL of the /arcgis root, for result URLs (default http://ADDR/arcgis)")
	fs.IntVar(&c.workers, "jobs", 4, "jobs that run at once")
	fs.DurationVar(&c.jobRetention, "job-retention", 24*time.Hour, "how long finished job records are kept")
	fs.DurationVar(&c.recycleRetention, "recycle-retention", 7*24*time.Hour, "how long deleted items stay restorable")
	fs.DurationVar(&c.jobTimeout, "job-timeout", time.Hour, "time limit of one job")
	fs.IntVar(&c.maxQueued, "max-queued", 100, "unfinished jobs allowed per user")
	fs.IntVar(&c.maxRecordCount, "max-record-count", 1000, "features per ImageServer query page (maxRecordCount)")
	fs.IntVar(&c.maxMosaicImages, "max-mosaic-images", 64, "items one exportImage draws at most (maxMosaicImageCount)")
	fs.StringVar(&c.logLevel, "log-level", "info", "debug, info, warn or error")
	if err := fs.Parse(args); err != nil {
		return err
	}
	var level slog.Level
	if err := level.UnmarshalText([]byte(c.logLevel)); err != nil {
		return fmt.Errorf("--log-level: %w", err)
	}
	log := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: level}))
	slog.SetDefault(log)

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()

	if err := os.MkdirAll(c.data, 0o755); err != nil {
		return err
	}
	unlock, err := lockDataDir(c.data)
	if err != nil {
		return err
	}
	defer unlock()

	db, err := sqlite.Open(ctx, filepath.Join(c.data, "tessera.db"))
	if err != nil {
		return err
	}
	defer db.Close()
	queue, err := riverqueue.NewSQLite(ctx, db.WriteDB(), riverqueue.Config{Workers: c.workers, Logger: log})
	if err != nil {
		return err
	}
	ln, err := net.Listen("tcp", c.addr)
	if err != nil {
		return err
	}
	public := strings.TrimRight(c.publicURL, "/")
	if public == "" {
		public = "http://" + ln.Addr().String() + "/arcgis"
	}
	engine := tasks.New(db, queue, tasks.Config{
		ServicesURL: public + "/rest/services", Retention: c.jobRetention, RecycleRetention: c.recycleRetention,
		DefaultTimeout: c.jobTimeout, MaxQueuedPerUser: c.maxQueued, Logger: log,
	}, tasks.CreateImageCollection{}, tasks.AddImage{}, tasks.DeleteImage{}, tasks.DeleteImageCollection{}, tasks.RestoreImage{})
	if err := engine.Start(ctx); err != nil {
		ln.Close()
		return err
	}
	if c.demo {
		if err := ensureDemo(ctx, db, engine, c.data, log); err != nil {
			engine.Stop(context.Background())
			ln.Close()
			return fmt.Errorf("demo: %w", err)
		}
	}
	srv := server.New(server.Config{
		Store: db, Jobs: engine, Renderer: gdal{}, Projector: gdal{},
		OutputDir: filepath.Join(c.data, "output"), SoftwareVersion: version, Logger: log,
		MaxRecordCount: c.maxRecordCount, MaxMosaicImages: c.maxMosaicImages,
	})
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	log.Info("tessera serving", "url", public+"/rest/services", "data", c.data, "version", version)
	if host, _, _ := net.SplitHostPort(ln.Addr().String()); !isLoopback(host) {
		log.Warn("serving beyond loopback with anonymous access: every caller may add and delete items")
	}

	select {
	case err = <-errc:
	case <-ctx.Done():
		log.Info("shutting down")
	}
	shutdownCtx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if serr := srv.Shutdown(shutdownCtx); serr != nil && err == nil {
		err = serr
	}
	if serr := engine.Stop(shutdownCtx); serr != nil && err == nil {
		err = serr
	}
	log.Info("stopped")
	return err
}

func isLoopback(host string) bool {
	ip := net.ParseIP(host)
	return host == "localhost" || (ip != nil && ip.IsLoopback())
}

// lockDataDir takes an exclusive lock on the data directory: one process
// owns a database file, so jobs it finds executing at start-up are known
// to have died with an earlier process.
func lockDataDir(dir string) (func(), error) {
	f, err := os.OpenFile(filepath.Join(dir, "tessera.lock"), os.O_CREATE|os.O_RDWR, 0o644)
	if err != nil {
		return nil, err
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		f.Close()
		return nil, fmt.Errorf("data directory %s is in use by another tessera process", dir)
	}
	return func() { syscall.Flock(int(f.Fd()), syscall.LOCK_UN); f.Close() }, nil
}

// ensureDemo creates the collection Demo from generated rasters, once.
func ensureDemo(ctx context.Context, db mosaic.Store, engine *tasks.Engine, data string, log *slog.Logger) error {
	err := db.View(ctx, func(tx mosaic.ReadTx) error {
		_, err := tx.Collection(mosaic.CollectionRef{Name: "Demo"})
		return err
	})
	if err == nil {
		return nil
	}
	if mosaic.ErrorCode(err) != mosaic.ENOTFOUND {
		return err
	}
	dir := filepath.Join(data, "demo")
	tiles, err := raster.WriteDemo(dir, 24)
	if err != nil {
		return err
	}
	log.Info("generated demo rasters", "dir", dir, "count", len(tiles))
	j, err := engine.Execute(ctx, "CreateImageCollection", map[string]string{
		"imageCollection": "Demo",
		"inputRasters":    dir,
		"context":         `{"outSR": {"wkid": 32633}}`,
	}, mosaic.SubmitOptions{User: &mosaic.User{Name: "demo", Role: mosaic.RoleAdmin}})
	if err != nil {
		return err
	}
	if j.State != mosaic.JobSucceeded {
		return fmt.Errorf("creating Demo: job %s %s: %v", j.ID, j.State, j.Messages)
	}
	log.Info("created demo collection", "name", "Demo", "job", j.ID)
	return nil
}
