package main

import (
	"context"
	"math/rand/v2"
	"time"
)

// faultKill runs the mixed load and kills the server with SIGKILL o.Kills
// times at random moments, restarting it on the same data folder and port
// each time. After each restart every job the server knows must have a
// true status; at the end the model check covers every job, including
// the ones the kills interrupted (failed, changed nothing) and the ones
// whose submit never got an answer (all or nothing).
func faultKill(ctx context.Context, env *Env, o Options, f *FaultResult) {
	cat, srv, err := setup(ctx, env, o, "kill")
	if err != nil {
		f.problem("setup: %v", err)
		return
	}
	l := o.load(env, srv, cat)
	l.init()
	// The load runs for as long as the kills take, and at least o.Duration.
	l.Duration = 24 * time.Hour
	runCtx, stopLoad := context.WithCancel(ctx)
	loadDone := make(chan struct{})
	go func() {
		l.Run(runCtx)
		close(loadDone)
	}()
	r := rand.New(rand.NewPCG(uint64(time.Now().UnixNano()), 17))
	start := time.Now()
	var restarts []time.Duration
	for i := range o.Kills {
		// A random moment: 0.3–2.5 s of load since the last restart.
		sleep(ctx, time.Duration(300+r.IntN(2200))*time.Millisecond)
		l.down.Store(true)
		l.epoch.Add(1)
		srv.Kill()
		t0 := time.Now()
		if err := srv.Start(ctx); err != nil {
			f.problem("restart %d: %v", i+1, err)
			l.down.Store(false)
			break
		}
		restarts = append(restarts, time.Since(t0))
		l.down.Store(false)
		l.epoch.Add(1)
	}
	// Then let the load run undisturbed for a while, so that the clients'
	// last jobs end under a healthy server.
	if rest := o.Duration - time.Since(start); rest > 0 {
		sleep(ctx, rest)
	} else {
		sleep(ctx, 2*time.Second)
	}
	l.stopAt(time.Now())
	<-loadDone
	stopLoad()
	var worst, total time.Duration
	for _, d := range restarts {
		worst, total = max(worst, d), total+d
	}
	if len(restarts) > 0 {
		f.logf("%d kill -9 over %s of load; restart to serving: mean %s, worst %s",
			len(restarts), time.Since(start).Round(time.Second), (total / time.Duration(len(restarts))).Round(time.Millisecond), worst.Round(time.Millisecond))
	}
	f.Load = finish(ctx, l)
}
