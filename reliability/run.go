package main

import (
	"bufio"
	"context"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// Options size a run.
type Options struct {
	Items    int
	Clients  int
	Duration time.Duration
	Think    time.Duration
	Kills    int  // kill fault: how many kill -9
	NoInfo   bool // leave the ImageServer info out of the directory reads
	// ServerArgs are extra tessera serve flags.
	ServerArgs []string
}

func (o Options) load(env *Env, srv *Server, cat *Catalog) *Load {
	return &Load{Env: env, Srv: srv, Cat: cat, Clients: o.Clients, Duration: o.Duration, Think: o.Think,
		DeletePct: 5, AddPct: 5, NoInfo: o.NoInfo}
}

// setup generates the catalog and starts a server on a copy of it.
func setup(ctx context.Context, env *Env, o Options, name string) (*Catalog, *Server, error) {
	cat, err := GenerateCatalog(ctx, env, o.Items)
	if err != nil {
		return nil, nil, err
	}
	dir := filepath.Join(env.Work, name)
	if err := cat.Copy(dir); err != nil {
		return nil, nil, err
	}
	srv, err := StartServer(ctx, env, dir, o.ServerArgs...)
	return cat, srv, err
}

// finish checks the model against the catalog, stops the server and runs
// PRAGMA integrity_check on its database.
func finish(ctx context.Context, l *Load) *Result {
	res := l.Check(ctx)
	if err := l.Srv.Stop(); err != nil {
		res.Problems = append(res.Problems, err.Error())
	}
	msg, err := IntegrityCheck(ctx, l.Srv.DB())
	if err != nil {
		msg = err.Error()
	}
	res.IntegrityMsg, res.IntegrityOK = msg, msg == "ok"
	if !res.IntegrityOK {
		res.Problems = append(res.Problems, "integrity_check: "+msg)
	}
	return res
}

// RunLoad runs the mixed load once and checks the result.
func RunLoad(ctx context.Context, env *Env, o Options) (*Result, error) {
	cat, srv, err := setup(ctx, env, o, "load")
	if err != nil {
		return nil, err
	}
	l := o.load(env, srv, cat)
	env.Logf("mixed load: %d clients for %s on %d items", o.Clients, o.Duration, cat.Items)
	l.Run(ctx)
	return finish(ctx, l), nil
}

// Sample is one soak measurement of the server process.
type Sample struct {
	T          time.Duration // since the start of the load
	RSS        int64         // bytes (VmRSS)
	FDs        int
	Goroutines int
	Heap       int64 // go_memstats_heap_inuse_bytes
	WAL        int64 // bytes of tessera.db-wal
	DB         int64 // bytes of tessera.db
	Ops        int   // operations completed in the interval before

	// Where the RSS is: anonymous memory (heaps) against file pages
	// (the binary, GDAL's libraries), the C heap (GDAL, PROJ, SQLite) in
	// use and freed but kept by glibc, GDAL's block cache, OS threads.
	RSSAnon   int64 // RssAnon
	CHeap     int64 // tessera_c_heap_inuse_bytes
	CHeapFree int64 // tessera_c_heap_free_bytes
	GDALCache int64 // tessera_gdal_block_cache_bytes
	Threads   int
}

// RunSoak runs the mixed load for o.Duration and samples the server every
// interval.
func RunSoak(ctx context.Context, env *Env, o Options, every time.Duration) (*Result, []Sample, error) {
	cat, srv, err := setup(ctx, env, o, "soak")
	if err != nil {
		return nil, nil, err
	}
	l := o.load(env, srv, cat)
	env.Logf("soak: %d clients for %s on %d items, sampling every %s", o.Clients, o.Duration, cat.Items, every)
	done := make(chan struct{})
	var samples []Sample
	go func() {
		defer close(done)
		start := time.Now()
		last := 0
		for t := time.NewTicker(every); ; {
			n := l.completed()
			s := sample(srv, time.Since(start))
			s.Ops, last = n-last, n
			samples = append(samples, s)
			if time.Since(start) > o.Duration {
				t.Stop()
				return
			}
			if len(samples)%6 == 0 {
				env.Logf("soak %s: RSS %d MiB, %d fds, %d goroutines, WAL %d MiB, %d ops in the last %s",
					s.T.Round(time.Second), s.RSS>>20, s.FDs, s.Goroutines, s.WAL>>20, s.Ops, every)
			}
			select {
			case <-ctx.Done():
				return
			case <-t.C:
			}
		}
	}()
	l.Run(ctx)
	<-done
	return finish(ctx, l), samples, nil
}

// completed counts the operations that succeeded so far.
func (l *Load) completed() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	n := 0
	for op, s := range l.stats {
		if op != "job" {
			n += len(s.Lat)
		}
	}
	return n
}

func sample(srv *Server, t time.Duration) Sample {
	s := Sample{T: t}
	pid := srv.Pid()
	if b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid)); err == nil {
		for _, line := range strings.Split(string(b), "\n") {
			f := strings.Fields(line)
			if len(f) < 2 {
				continue
			}
			n, _ := strconv.ParseInt(f[1], 10, 64)
			switch f[0] {
			case "VmRSS:":
				s.RSS = n << 10
			case "RssAnon:":
				s.RSSAnon = n << 10
			case "Threads:":
				s.Threads = int(n)
			}
		}
	}
	if fds, err := os.ReadDir(fmt.Sprintf("/proc/%d/fd", pid)); err == nil {
		s.FDs = len(fds)
	}
	if st, err := os.Stat(srv.DB() + "-wal"); err == nil {
		s.WAL = st.Size()
	}
	if st, err := os.Stat(srv.DB()); err == nil {
		s.DB = st.Size()
	}
	if resp, err := http.Get(fmt.Sprintf("http://127.0.0.1:%d/metrics", srv.Metrics)); err == nil {
		sc := bufio.NewScanner(resp.Body)
		sc.Buffer(make([]byte, 1<<20), 1<<20)
		for sc.Scan() {
			f := strings.Fields(sc.Text())
			if len(f) != 2 {
				continue
			}
			v, _ := strconv.ParseFloat(f[1], 64)
			switch f[0] {
			case "go_goroutines":
				s.Goroutines = int(v)
			case "go_memstats_heap_inuse_bytes":
				s.Heap = int64(v)
			case "tessera_c_heap_inuse_bytes":
				s.CHeap = int64(v)
			case "tessera_c_heap_free_bytes":
				s.CHeapFree = int64(v)
			case "tessera_gdal_block_cache_bytes":
				s.GDALCache = int64(v)
			}
		}
		resp.Body.Close()
	}
	return s
}
