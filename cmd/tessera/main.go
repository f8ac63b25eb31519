// Command tessera serves image collections over the ArcGIS REST protocol:
// a RasterAnalysisTools GPServer (CreateImageCollection, AddImage,
// DeleteImage, DeleteImageCollection, RestoreImage) and one ImageServer per
// collection, from one SQLite file in the data directory, or from a
// PostgreSQL/PostGIS database with --db.
//
// Usage:
//
//	tessera serve --addr 127.0.0.1:8080 --data DIR [--db postgres://…] [--demo] [--users FILE]
//	tessera migrate --from DATA_DIR --to postgres://…   # or the other way round
//	tessera passwd [--file USERS] NAME ROLE   # prints (or appends) a users-file line with a bcrypt hash
//	tessera apikey [--file USERS] NAME ROLE   # prints (or appends) a users-file line; the key goes to stderr
//	tessera version
//	tessera add|delete|restore|collections|jobs|cancel|token …   # admin commands, over the REST API
//
// Without --users the server has no accounts: every caller may do
// everything, so it listens on loopback addresses only. With --users,
// callers need a token (from /arcgis/tokens/generateToken) or an API key,
// unless --anonymous grants a role to callers without one.
package main

import (
	"bufio"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"golang.org/x/term"

	"github.com/tessera-gis/tessera/internal/flagfile"
	"github.com/tessera-gis/tessera/mosaic"
	"github.com/tessera-gis/tessera/mosaic/postgis"
	"github.com/tessera-gis/tessera/mosaic/sqlite"
	"github.com/tessera-gis/tessera/raster"
	"github.com/tessera-gis/tessera/server"
	"github.com/tessera-gis/tessera/tasks"
	"github.com/tessera-gis/tessera/tasks/jobs"
	"github.com/tessera-gis/tessera/tasks/riverqueue"
)

// version is set at build time with -ldflags "-X main.version=…".
var version = "dev"

func main() {
	if err := run(os.Args[1:]); err != nil {
		report(err)
		os.Exit(exitCode(err))
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
	case "migrate":
		return migrate(args[1:])
	case "passwd":
		return passwd(args[1:])
	case "apikey":
		return apikey(args[1:])
	case "version", "--version", "-v":
		fmt.Println("tessera", version)
		return nil
	case "help", "-h", "--help":
		usage()
		return nil
	}
	if _, ok := adminCommands[args[0]]; ok {
		return runAdmin(args[0], args[1:])
	}
	usage()
	return fmt.Errorf("unknown command %q", args[0])
}

func usage() {
	fmt.Fprint(os.Stderr, `Usage:
  tessera serve --addr 127.0.0.1:8080 --data DIR [--db postgres://…] [--demo] [--users FILE] [flags]
  tessera migrate --from DATA_DIR --to postgres://…   copy a catalog (or the other way round)
  tessera passwd [--file USERS] NAME ROLE    print a users-file line (reads the password from stdin);
                                             --file appends it to USERS, created with mode 0600
  tessera apikey [--file USERS] NAME ROLE    the same for a new API key (key on stderr)
  tessera version

ROLE is viewer (read and query), publisher (add, delete, restore items) or
admin (also create and delete collections).

Run "tessera serve -h" for the serve flags.
`+adminUsage)
}

type serveConfig struct {
	addr, data, publicURL string
	db                    string
	instanceTimeout       time.Duration
	demo                  bool
	workers               int
	jobRetention          time.Duration
	recycleRetention      time.Duration
	jobTimeout            time.Duration
	maxQueued             int
	maxRecordCount        int
	maxMosaicImages       int
	logLevel              string
	logFormat             string
	metricsAddr           string
	timeouts              map[string]time.Duration
	users, anonymous      string
	tokenExpiration       time.Duration
	tokenMaxExpiration    time.Duration
	loginRate             int
	maxBody               int64
	maxParam              int
	allowedHosts          []string
	corsOrigins           []string
	bodyTimeout           time.Duration
	maxImageBytes         int64
	renderMemory          int64
	renderWait            time.Duration
	jobsPerUser           int
	dataStores            []string
}

func serve(args []string) error {
	var c serveConfig
	fs := serveFlags(&c)
	if err := flagfile.Parse(fs, args, "config"); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("unexpected arguments: %v", fs.Args())
	}
	return c.run()
}

// serveFlags defines the serve flags, which fill c. Every flag can also be
// set in the --config file, under its own name.
func serveFlags(c *serveConfig) *flag.FlagSet {
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	fs.StringVar(&c.addr, "addr", "127.0.0.1:8080", "address to listen on")
	fs.StringVar(&c.data, "data", "./data", "data directory: the database file (without --db), demo rasters and outputs")
	fs.StringVar(&c.db, "db", "", "PostgreSQL connection URL (postgres://user@host:5432/db) of a PostGIS catalog; default: tessera.db in --data")
	fs.DurationVar(&c.instanceTimeout, "instance-timeout", 15*time.Second, "with --db: how long a server may miss heartbeats before the others fail its running jobs")
	fs.BoolVar(&c.demo, "demo", false, "create the demo collection Demo (24 generated GeoTIFFs) if it is absent")
	fs.StringVar(&c.publicURL, "public-url", "", "public URL of the /arcgis root, for result URLs (default http://ADDR/arcgis)")
	fs.IntVar(&c.workers, "jobs", 4, "jobs that run at once")
	fs.DurationVar(&c.jobRetention, "job-retention", 24*time.Hour, "how long finished job records are kept")
	fs.DurationVar(&c.recycleRetention, "recycle-retention", 7*24*time.Hour, "how long deleted items stay restorable")
	fs.DurationVar(&c.jobTimeout, "job-timeout", time.Hour, "time limit of one job")
	fs.IntVar(&c.maxQueued, "max-queued", 1000, "unfinished jobs allowed per user")
	fs.IntVar(&c.jobsPerUser, "jobs-per-user", 0, "jobs one user may run at once, on all instances sharing a --db together; more wait in the queue (default: half of --jobs, at least 1, for each live instance)")
	fs.IntVar(&c.maxRecordCount, "max-record-count", 1000, "features per ImageServer query page (maxRecordCount)")
	fs.IntVar(&c.maxMosaicImages, "max-mosaic-images", 64, "items one exportImage draws at most (maxMosaicImageCount)")
	fs.Int64Var(&c.maxImageBytes, "max-image-bytes", server.DefaultMaxImageBytes, "largest exportImage or thumbnail, as width × height × bands × bytes per sample")
	fs.Int64Var(&c.renderMemory, "render-memory", server.DefaultRenderMemory, "estimated memory, in bytes, that all renders in flight may hold; more wait, then are refused as busy")
	fs.DurationVar(&c.renderWait, "render-wait", server.DefaultRenderWait, "how long a render waits for room in --render-memory before it is refused as busy")
	fs.StringVar(&c.logLevel, "log-level", "info", "debug, info, warn or error")
	fs.StringVar(&c.logFormat, "log-format", "text", "log format: text (key=value lines) or json (one JSON object a line)")
	fs.StringVar(&c.metricsAddr, "metrics-addr", "", "serve /metrics (Prometheus), /healthz and /readyz without a token on this address too "+
		"(loopback only without --users); by default /metrics is on --addr, for admins only")
	c.timeouts = map[string]time.Duration{}
	fs.Func("timeout", "time limit of one task's jobs, as TASK=DURATION (repeatable; overrides --job-timeout)", func(v string) error {
		task, d, ok := strings.Cut(v, "=")
		dur, err := time.ParseDuration(strings.TrimSpace(d))
		if !ok || err != nil || dur <= 0 || strings.TrimSpace(task) == "" {
			return fmt.Errorf("want TASK=DURATION, e.g. AddImage=2h")
		}
		c.timeouts[strings.TrimSpace(task)] = dur
		return nil
	})
	fs.StringVar(&c.users, "users", "", "users and API keys file (see tessera passwd); without it the server is open and loopback-only")
	fs.StringVar(&c.anonymous, "anonymous", "", "role of callers without a token when --users is set: viewer, publisher or admin (default: none, a token is required)")
	fs.DurationVar(&c.tokenExpiration, "token-expiration", time.Hour, "default lifetime of a token from generateToken")
	fs.DurationVar(&c.tokenMaxExpiration, "token-max-expiration", 14*24*time.Hour, "longest lifetime generateToken grants")
	fs.IntVar(&c.loginRate, "login-rate", 30, "generateToken requests allowed per minute from one address")
	fs.Int64Var(&c.maxBody, "max-body", 10<<20, "largest request body in bytes")
	fs.IntVar(&c.maxParam, "max-param", 1<<20, "longest request parameter in bytes")
	fs.Func("data-store", "a folder or http(s)://host[:port]/path/ URL prefix the server may read rasters and manifests from "+
		"(repeatable); with none, AddImage refuses every input. s3://, gs:// and az:// are refused", func(v string) error {
		if strings.TrimSpace(v) == "" {
			return errors.New("want a folder or an http(s):// URL prefix")
		}
		c.dataStores = append(c.dataStores, v)
		return nil
	})
	fs.DurationVar(&c.bodyTimeout, "body-timeout", time.Minute, "time a request body may take to arrive")
	fs.Func("allowed-host", "host name the server answers for besides loopback names and --public-url's host (repeatable). "+
		"Without --users, or with --anonymous publisher or admin, only these are answered, which stops DNS rebinding; otherwise setting it restricts the names", func(v string) error {
		for _, h := range strings.Split(v, ",") {
			if h = strings.TrimSpace(h); h != "" {
				if strings.ContainsAny(h, "/ ") {
					return fmt.Errorf("want a host name such as gis.example.com, got %q", h)
				}
				c.allowedHosts = append(c.allowedHosts, h)
			}
		}
		return nil
	})
	fs.Func("cors-origins", "origins (scheme://host[:port]) whose web pages may read answers (repeatable or comma-separated; default: every origin, as ArcGIS Server)", func(v string) error {
		for _, o := range strings.Split(v, ",") {
			if o = strings.TrimRight(strings.TrimSpace(o), "/"); o == "" {
				continue
			}
			if u, err := url.Parse(o); o != "*" && (err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.Path != "") {
				return fmt.Errorf("want an origin such as https://app.example.com, got %q", o)
			}
			c.corsOrigins = append(c.corsOrigins, o)
		}
		return nil
	})
	return fs
}

// run serves until SIGINT or SIGTERM.
func (c serveConfig) run() error {
	var level slog.Level
	if err := level.UnmarshalText([]byte(c.logLevel)); err != nil {
		return fmt.Errorf("--log-level: %w", err)
	}
	var handler slog.Handler
	switch c.logFormat {
	case "text":
		handler = slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: level})
	case "json":
		handler = slog.NewJSONHandler(os.Stderr, &slog.HandlerOptions{Level: level})
	default:
		return fmt.Errorf("--log-format %q: want text or json", c.logFormat)
	}
	log := slog.New(handler)
	slog.SetDefault(log)

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()

	// Everything tessera creates (the database and its -wal and -shm
	// files, the token secret, outputs, demo rasters) is for its own
	// user only.
	syscall.Umask(0o077)
	if err := os.MkdirAll(c.data, 0o700); err != nil {
		return err
	}
	tightenModes(c.data, log)
	if c.users != "" {
		if fi, err := os.Stat(c.users); err == nil && fi.Mode().Perm()&0o077 != 0 {
			log.Warn("the users file can be read by other users of this machine; chmod 600 it", "users", c.users, "mode", fi.Mode().Perm().String())
		}
	}
	be, err := openBackend(ctx, c, log)
	if err != nil {
		return err
	}
	defer be.close()
	db := be.store
	auth, err := setupAuth(ctx, c, be, log)
	if err != nil {
		return err
	}
	if auth == nil {
		if host, _, err := net.SplitHostPort(c.addr); err != nil || !isLoopback(host) {
			return fmt.Errorf("refusing to listen on %q without users: with no accounts every caller may add and delete items, "+
				"so the server binds to loopback only (127.0.0.1, ::1 or localhost). Create a users file with "+
				"\"tessera passwd --file users.conf NAME ROLE\" and pass --users users.conf", c.addr)
		}
		if c.metricsAddr != "" {
			if host, _, err := net.SplitHostPort(c.metricsAddr); err != nil || !isLoopback(host) {
				return fmt.Errorf("refusing --metrics-addr %q without users: it serves /metrics without a token, and without "+
					"--users the server is loopback-only, so the metrics address must be loopback too (127.0.0.1, ::1 or "+
					"localhost). Configure users (--users) to serve metrics on another address", c.metricsAddr)
			}
		}
	}
	if err := startPprof(log); err != nil {
		return err
	}
	queue := be.queue
	ln, err := net.Listen("tcp", c.addr)
	if err != nil {
		return err
	}
	if host, _, _ := net.SplitHostPort(ln.Addr().String()); auth == nil && !isLoopback(host) {
		ln.Close()
		return fmt.Errorf("%s resolved to the non-loopback address %s; without --users the server listens on loopback only", c.addr, host)
	}
	if c.publicURL != "" {
		if u, err := url.Parse(c.publicURL); err != nil || u.Host == "" {
			ln.Close()
			return fmt.Errorf("--public-url %q: want an absolute URL such as https://gis.example.com/arcgis", c.publicURL)
		}
	}
	public := strings.TrimRight(c.publicURL, "/")
	if public == "" {
		public = "http://" + ln.Addr().String() + "/arcgis"
	}
	stores, err := c.stores()
	if err != nil {
		ln.Close()
		return err
	}
	metrics := server.NewMetrics(server.MetricsConfig{
		GDALCache: func() (int64, int64) { return raster.BlockCacheUsed(), raster.BlockCacheMax() },
		CHeap:     raster.CHeap,
	})
	engine := jobs.New(db, queue, jobs.Config{
		ServicesURL: public + "/rest/services", Retention: c.jobRetention, RecycleRetention: c.recycleRetention,
		DefaultTimeout: c.jobTimeout, Timeouts: c.timeouts, MaxQueuedPerUser: c.maxQueued, Workers: c.workers, JobsPerUser: c.jobsPerUser, Logger: log,
		Stores:   stores,
		Instance: be.instance, InstanceInfo: ln.Addr().String(), InstanceTimeout: c.instanceTimeout,
		Observer: metrics,
	}, tasks.CreateImageCollection{}, tasks.AddImage{}, tasks.DeleteImage{}, tasks.DeleteImageCollection{}, tasks.RestoreImage{})
	if err := engine.CheckTimeouts(); err != nil {
		ln.Close()
		return fmt.Errorf("--timeout: %w", err)
	}
	if err := engine.Start(ctx); err != nil {
		ln.Close()
		return err
	}
	go trimCHeap(ctx, time.Minute)
	if c.demo {
		if err := ensureDemo(ctx, db, engine, c.data, log); err != nil {
			engine.Stop(context.Background())
			ln.Close()
			return fmt.Errorf("demo: %w", err)
		}
	}
	srv := server.New(server.Config{
		Store: db, Jobs: engine, Renderer: gdal{stores}, Projector: gdal{stores}, Pixels: gdal{stores}, DataStores: stores.List(),
		OutputDir: filepath.Join(c.data, "output"), SoftwareVersion: version, Logger: log,
		Auth: auth, MaxBodyBytes: c.maxBody, MaxParamBytes: c.maxParam,
		MaxRecordCount: c.maxRecordCount, MaxMosaicImages: c.maxMosaicImages,
		AllowedHosts: c.allowedHosts, PublicURL: c.publicURL, CORSOrigins: c.corsOrigins, BodyTimeout: c.bodyTimeout,
		MaxImageBytes: c.maxImageBytes, RenderMemory: c.renderMemory, RenderWait: c.renderWait,
		Metrics: metrics,
	})
	errc := make(chan error, 2)
	go func() { errc <- srv.Serve(ln) }()
	var metricsSrv *http.Server
	if c.metricsAddr != "" {
		mln, err := net.Listen("tcp", c.metricsAddr)
		if err != nil {
			srv.Shutdown(context.Background())
			engine.Stop(context.Background())
			return fmt.Errorf("--metrics-addr: %w", err)
		}
		if host, _, _ := net.SplitHostPort(mln.Addr().String()); auth == nil && !isLoopback(host) {
			mln.Close()
			srv.Shutdown(context.Background())
			engine.Stop(context.Background())
			return fmt.Errorf("--metrics-addr %s resolved to the non-loopback address %s; without --users it must be loopback", c.metricsAddr, host)
		}
		metricsSrv = &http.Server{Handler: srv.OpsHandler(), ReadHeaderTimeout: 10 * time.Second}
		go func() {
			if err := metricsSrv.Serve(mln); err != nil && !errors.Is(err, http.ErrServerClosed) {
				errc <- err
			}
		}()
		log.Info("metrics serving", "metrics_url", "http://"+mln.Addr().String()+"/metrics")
	}
	if auth == nil {
		log.Warn("no users configured (--users): anonymous access with every role, so listening on loopback only")
	} else {
		anon := c.anonymous
		if anon == "" {
			anon = "none (token required)"
		}
		log.Info("token security on", "users", c.users, "anonymous", anon)
	}
	if stores.Empty() {
		log.Warn("no data store registered (--data-store): AddImage refuses every input")
	} else {
		log.Info("data stores", "stores", strings.Join(stores.List(), " "))
	}
	log.Info("tessera serving", "url", public+"/rest/services", "addr", ln.Addr().String(), "data", c.data, "store", be.name, "version", version)
	if be.instance != "" {
		log.Info("sharing the database with any other instances", "instance", be.instance, "pid", os.Getpid())
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
	if metricsSrv != nil {
		metricsSrv.Shutdown(shutdownCtx)
	}
	if serr := engine.Stop(shutdownCtx); serr != nil && err == nil {
		err = serr
	}
	log.Info("stopped")
	return err
}

// stores registers the --data-store folders and URL prefixes, and the demo
// folder with --demo. The server's own files stay unreadable in any store:
// the data folder (but for a store inside it, the demo folder), the
// database, the token secret and the users file.
func (c serveConfig) stores() (*raster.Stores, error) {
	specs := append([]string(nil), c.dataStores...)
	if c.demo {
		dir := filepath.Join(c.data, "demo")
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return nil, err
		}
		specs = append(specs, dir)
	}
	db := filepath.Join(c.data, "tessera.db")
	protect := []string{db, db + "-wal", db + "-shm", db + "-journal", filepath.Join(c.data, "token.secret"),
		filepath.Join(c.data, "tessera.lock")}
	if c.users != "" {
		protect = append(protect, c.users)
	}
	s, err := raster.NewStores(specs, protect, []string{c.data})
	if err != nil {
		return nil, fmt.Errorf("--data-store: %w", err)
	}
	return s, nil
}

// backend is what serve runs on: a store, the job queue in the same
// database, and where the token secret is kept.
type backend struct {
	store mosaic.Store
	queue jobs.Queue
	name  string // for the log
	// instance names this server among those sharing the database (with
	// --db); empty for SQLite, where one server owns the data directory.
	instance string
	// secret returns the token-signing secret.
	secret func(ctx context.Context) ([]byte, error)
	close  func()
}

// openBackend opens the SQLite file in the data directory (locking the
// directory), or with --db the PostgreSQL database, which several servers
// may share (each an instance with a name of its own), and the job queue
// beside it.
func openBackend(ctx context.Context, c serveConfig, log *slog.Logger) (*backend, error) {
	qcfg := riverqueue.Config{Workers: c.workers, Logger: log}
	if c.db == "" {
		unlock, err := lockDataDir(c.data)
		if err != nil {
			return nil, err
		}
		db, err := sqlite.Open(ctx, filepath.Join(c.data, "tessera.db"))
		if err != nil {
			unlock()
			return nil, err
		}
		queue, err := riverqueue.NewSQLite(ctx, db.WriteDB(), qcfg)
		if err != nil {
			db.Close()
			unlock()
			return nil, err
		}
		return &backend{store: db, queue: queue, name: db.Path(),
			// The file keeps the secret that existing tokens were signed with.
			secret: func(context.Context) ([]byte, error) {
				return server.LoadOrCreateSecret(filepath.Join(c.data, "token.secret"))
			},
			close: func() { db.Close(); unlock() }}, nil
	}
	if !strings.HasPrefix(c.db, "postgres://") && !strings.HasPrefix(c.db, "postgresql://") {
		return nil, errors.New("--db wants a PostgreSQL URL: postgres://user[:password]@host[:port]/database[?sslmode=…]")
	}
	db, err := postgis.Open(ctx, c.db)
	if err != nil {
		return nil, err
	}
	qcfg.ID = instanceName()
	queue, err := riverqueue.NewPostgres(ctx, db.Pool(), qcfg)
	if err != nil {
		db.Close()
		return nil, err
	}
	return &backend{store: db, queue: queue, name: db.String(), instance: qcfg.ID,
		// In the database, so that every server on it signs alike.
		secret: func(ctx context.Context) (secret []byte, err error) {
			err = db.Update(ctx, func(tx mosaic.Tx) error {
				secret, err = tx.Secret("token", 32)
				return err
			})
			return secret, err
		},
		close: func() { db.Close() }}, nil
}

// instanceName names this process among the servers sharing a database:
// host, process ID and a random suffix (a restarted server is a new
// instance).
func instanceName() string {
	host, err := os.Hostname()
	if err != nil || host == "" {
		host = "tessera"
	}
	b := make([]byte, 3)
	_, _ = rand.Read(b)
	return fmt.Sprintf("%s-%d-%s", host, os.Getpid(), hex.EncodeToString(b))
}

// setupAuth loads the users file and the token secret; it returns nil when
// no users file is configured.
func setupAuth(ctx context.Context, c serveConfig, be *backend, log *slog.Logger) (*server.Auth, error) {
	if c.users == "" {
		if c.anonymous != "" {
			return nil, errors.New("--anonymous needs --users: without users every caller is already anonymous (and loopback-only)")
		}
		return nil, nil
	}
	users, err := server.LoadUsers(c.users)
	if err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return nil, fmt.Errorf("users file %s does not exist; create it with \"tessera passwd --file %s NAME admin\"", c.users, c.users)
		}
		return nil, err
	}
	if users.Len() == 0 && c.anonymous == "" {
		log.Warn("the users file has no users or API keys and --anonymous is not set: nobody can sign in", "users", c.users)
	}
	secret, err := be.secret(ctx)
	if err != nil {
		return nil, fmt.Errorf("token secret: %w", err)
	}
	anon := mosaic.Role(c.anonymous)
	if anon == "none" {
		anon = ""
	}
	if anon != "" && !anon.Valid() {
		return nil, fmt.Errorf("--anonymous %q: want viewer, publisher or admin", c.anonymous)
	}
	return server.NewAuth(server.AuthConfig{Users: users, Secret: secret, Anonymous: anon,
		DefaultExpiration: c.tokenExpiration, MaxExpiration: c.tokenMaxExpiration,
		LoginsPerMinute: c.loginRate, PublicURL: c.publicURL})
}

// tightenModes makes the files of a data directory made by earlier
// versions (mode 0644 and 0755) private to tessera's user.
func tightenModes(dir string, log *slog.Logger) {
	for _, name := range []string{".", "tessera.db", "tessera.db-wal", "tessera.db-shm", "token.secret", "tessera.lock", "output"} {
		p := filepath.Join(dir, name)
		fi, err := os.Stat(p)
		if err != nil || fi.Mode().Perm()&0o077 == 0 {
			continue
		}
		mode := os.FileMode(0o600)
		if fi.IsDir() {
			mode = 0o700
		}
		if err := os.Chmod(p, mode); err != nil {
			log.Warn("cannot make a data file private", "path", p, "err", err)
			continue
		}
		log.Info("made a data file private to tessera's user", "path", p, "was", fi.Mode().Perm().String(), "now", mode.String())
	}
}

// passwd prints a users-file line for NAME with ROLE and a bcrypt hash of
// a password read from the terminal (twice, without echo) or stdin, or
// with --file appends it to a users file.
func passwd(args []string) error {
	fs := flag.NewFlagSet("passwd", flag.ContinueOnError)
	cost := fs.Int("cost", 11, "bcrypt cost")
	file := fs.String("file", "", "append the line to this users file (created with mode 0600) instead of printing it")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() != 2 {
		return errors.New("usage: tessera passwd [--cost N] [--file USERS] NAME ROLE  (ROLE: viewer, publisher or admin)")
	}
	if *file != "" {
		if u, err := server.LoadUsers(*file); err == nil && u.HasUser(fs.Arg(0)) {
			return fmt.Errorf("%s already has a user %s: remove its line first to change the password", *file, fs.Arg(0))
		} else if err != nil && !errors.Is(err, os.ErrNotExist) {
			return err
		}
	}
	pw, err := readPassword()
	if err != nil {
		return err
	}
	line, err := server.PasswordLine(fs.Arg(0), mosaic.Role(fs.Arg(1)), pw, *cost)
	if err != nil {
		return err
	}
	return emitLine(*file, line)
}

// emitLine prints a users-file line, or appends it to file, which is
// created with mode 0600 (and made 0600 if it was readable by others).
func emitLine(file, line string) error {
	if file == "" {
		fmt.Println(line)
		return nil
	}
	f, err := os.OpenFile(file, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o600)
	if err != nil {
		return err
	}
	if fi, err := f.Stat(); err == nil && fi.Mode().Perm()&0o077 != 0 {
		if err := f.Chmod(0o600); err != nil {
			f.Close()
			return err
		}
		fmt.Fprintf(os.Stderr, "%s was readable by other users; it is now mode 0600\n", file)
	}
	if _, err := fmt.Fprintln(f, line); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

func readPassword() (string, error) {
	fd := int(os.Stdin.Fd())
	if term.IsTerminal(fd) {
		fmt.Fprint(os.Stderr, "Password: ")
		a, err := term.ReadPassword(fd)
		fmt.Fprintln(os.Stderr)
		if err != nil {
			return "", err
		}
		fmt.Fprint(os.Stderr, "Again: ")
		b, err := term.ReadPassword(fd)
		fmt.Fprintln(os.Stderr)
		if err != nil {
			return "", err
		}
		if string(a) != string(b) {
			return "", errors.New("the passwords differ")
		}
		return string(a), nil
	}
	line, err := bufio.NewReader(os.Stdin).ReadString('\n')
	if err != nil && !errors.Is(err, io.EOF) {
		return "", err
	}
	return strings.TrimRight(line, "\r\n"), nil
}

// apikey prints a users-file line for a new API key; the key itself goes
// to stderr, once.
func apikey(args []string) error {
	fs := flag.NewFlagSet("apikey", flag.ContinueOnError)
	file := fs.String("file", "", "append the line to this users file (created with mode 0600) instead of printing it")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() != 2 {
		return errors.New("usage: tessera apikey [--file USERS] NAME ROLE  (ROLE: viewer, publisher or admin)")
	}
	key, line, err := server.NewAPIKey(fs.Arg(0), mosaic.Role(fs.Arg(1)))
	if err != nil {
		return err
	}
	if err := emitLine(*file, line); err != nil {
		return err
	}
	fmt.Fprintf(os.Stderr, "API key for %s (shown once; send it as token=<key> or X-Esri-Authorization: Bearer <key>):\n%s\n", fs.Arg(0), key)
	return nil
}

func isLoopback(host string) bool {
	ip := net.ParseIP(host)
	return host == "localhost" || (ip != nil && ip.IsLoopback())
}

// lockDataDir takes an exclusive lock on the data directory: one process
// owns a database file, so jobs it finds executing at start-up are known
// to have died with an earlier process.
func lockDataDir(dir string) (func(), error) {
	f, err := os.OpenFile(filepath.Join(dir, "tessera.lock"), os.O_CREATE|os.O_RDWR, 0o600)
	if err != nil {
		return nil, err
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		f.Close()
		return nil, fmt.Errorf("data directory %s is in use by another tessera process", dir)
	}
	return func() { syscall.Flock(int(f.Fd()), syscall.LOCK_UN); f.Close() }, nil
}

// ensureDemo writes the demo rasters under data/demo if they are absent and
// creates the collection Demo from them, once. Several instances sharing a
// database (and a --data folder) may all run it, at the same time: the
// rasters are written without replacing a file, and a Demo that another
// instance created meanwhile is taken as created.
func ensureDemo(ctx context.Context, db mosaic.Store, engine *jobs.Engine, data string, log *slog.Logger) error {
	dir := filepath.Join(data, "demo")
	tiles, writeErr := raster.WriteDemo(dir, 24)
	exists := func() (bool, error) {
		err := db.View(ctx, func(tx mosaic.ReadTx) error {
			_, err := tx.Collection(mosaic.CollectionRef{Name: "Demo"})
			return err
		})
		if mosaic.ErrorCode(err) == mosaic.ENOTFOUND {
			return false, nil
		}
		return err == nil, err
	}
	ok, err := exists()
	switch {
	case err != nil:
		return err
	case ok && writeErr != nil:
		// Demo is there; its files may be from another GDAL version.
		log.Warn("demo rasters not rewritten", "dir", dir, "err", writeErr)
		return nil
	case ok:
		return nil
	case writeErr != nil:
		return writeErr
	}
	log.Info("demo rasters ready", "dir", dir, "count", len(tiles))
	j, err := engine.Execute(ctx, "CreateImageCollection", map[string]string{
		"imageCollection": "Demo",
		"inputRasters":    dir,
		"context":         `{"outSR": {"wkid": 32633}}`,
	}, mosaic.SubmitOptions{User: &mosaic.User{Name: "demo", Role: mosaic.RoleAdmin}})
	if err != nil {
		return err
	}
	if j.State != mosaic.JobSucceeded {
		if ok, _ := exists(); ok {
			log.Info("demo collection created by another instance", "name", "Demo")
			return nil
		}
		return fmt.Errorf("creating Demo: job %s %s: %v%s", j.ID, j.State, j.Messages, demoHint(j, dir))
	}
	log.Info("created demo collection", "name", "Demo", "job", j.ID)
	return nil
}

// demoHint explains the likely cause when the demo job ran on an instance
// that was started without --demo (and so cannot read the demo folder).
func demoHint(j *mosaic.Job, dir string) string {
	for _, m := range j.Messages {
		if strings.Contains(m.Description, "data store") {
			return " (with --db, another instance may have run the job: start every instance with --demo and the same --data, or give the others --data-store " + dir + ")"
		}
	}
	return ""
}

// trimCHeap hands the C heap's free memory back to the system every
// interval until ctx ends: glibc keeps what GDAL and SQLite free in one
// arena per thread, which under a steady load kept 25–40 MiB resident
// (docs/reliability.md, soak).
func trimCHeap(ctx context.Context, every time.Duration) {
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			raster.TrimCHeap()
		}
	}
}
