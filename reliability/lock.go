package main

import (
	"context"
	"fmt"
	"io"
	"os/exec"
	"time"
)

// faultLock runs the mixed load while a second process, the sqlite3
// command-line shell, opens the server's database and holds first a long
// read transaction (which stops checkpoints, so the WAL grows) and then
// the write lock (BEGIN IMMEDIATE), which every writer of the server has to
// wait for. The clients must see no error, no job may fail or be lost, the
// catalog must match the model, and the file must pass integrity_check.
func faultLock(ctx context.Context, env *Env, o Options, f *FaultResult) {
	if _, err := exec.LookPath("sqlite3"); err != nil {
		f.problem("the sqlite3 shell is not installed: %v", err)
		return
	}
	cat, srv, err := setup(ctx, env, o, "lock")
	if err != nil {
		f.problem("setup: %v", err)
		return
	}
	l := o.load(env, srv, cat)
	l.init()
	l.Duration = 24 * time.Hour
	loadDone := make(chan struct{})
	go func() { l.Run(ctx); close(loadDone) }()
	sleep(ctx, 3*time.Second)

	read, write := 10*time.Second, 5*time.Second
	sh := exec.CommandContext(ctx, "sqlite3", srv.DB())
	stdin, _ := sh.StdinPipe()
	sh.Stdout, sh.Stderr = io.Discard, io.Discard
	if err := sh.Start(); err != nil {
		f.problem("sqlite3: %v", err)
		return
	}
	walBefore := walSize(srv)
	fmt.Fprintln(stdin, "BEGIN; SELECT count(*) FROM jobs; SELECT count(*) FROM sqlite_master;")
	subBefore := l.opCount("submit")
	sleep(ctx, read)
	walRead := walSize(srv)
	fmt.Fprintln(stdin, "COMMIT;")
	f.logf("sqlite3 (pid %d) held a read transaction for %s: WAL %d KiB → %d KiB; %d jobs submitted meanwhile",
		sh.Process.Pid, read, walBefore>>10, walRead>>10, l.opCount("submit")-subBefore)
	fmt.Fprintln(stdin, "BEGIN IMMEDIATE; SELECT count(*) FROM jobs;")
	t0 := time.Now()
	subBefore, pollBefore, qBefore := l.opCount("submit"), l.opCount("poll"), l.opCount("query")
	sleep(ctx, write)
	fmt.Fprintln(stdin, "COMMIT;")
	f.logf("sqlite3 held the write lock (BEGIN IMMEDIATE) for %s: meanwhile %d submits answered, %d polls, %d queries",
		time.Since(t0).Round(time.Millisecond), l.opCount("submit")-subBefore, l.opCount("poll")-pollBefore, l.opCount("query")-qBefore)
	fmt.Fprintln(stdin, ".quit")
	stdin.Close()
	sh.Wait()
	sleep(ctx, 3*time.Second)
	l.stopAt(time.Now())
	<-loadDone
	f.Load = finish(ctx, l)
	if s := l.stats["submit"]; s != nil {
		f.logf("submit latency over the run: p50 %.0f ms, p99 %.0f ms, max %.0f ms (writers wait for the lock, up to the 60 s busy timeout)",
			ms(Percentile(s.Lat, 50)), ms(Percentile(s.Lat, 99)), ms(Percentile(s.Lat, 100)))
	}
	for st, n := range f.Load.Jobs {
		if st != "esriJobSucceeded" {
			f.problem("%d jobs ended %s under lock contention", n, st)
		}
	}
}

func walSize(srv *Server) int64 {
	s := sample(srv, 0)
	return s.WAL
}

func (l *Load) opCount(op string) int {
	l.mu.Lock()
	defer l.mu.Unlock()
	if s := l.stats[op]; s != nil {
		return len(s.Lat)
	}
	return 0
}
