// Command reliability puts tessera under load and faults and checks that
// nothing is lost (issue 17). It builds bin/tessera, generates a synthetic
// catalog, runs "tessera serve" on loopback and drives it with many
// clients, keeping a model of what committed jobs must have changed.
//
//	go run ./reliability -load                  # 64 clients, 60 s, 1M items
//	go run ./reliability -soak 30m -items 100000 # soak: samples to docs/soak.csv and docs/soak.svg
//	go run ./reliability -faults                # disk full, HTTP source, lock contention, kill -9 ×20
//
// Every target is loopback and every loop is bounded. `go test ./reliability`
// runs the short mode (a small catalog, a few seconds of load, kill -9 ×3
// and the HTTP-source fault).
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"time"
)

func main() {
	load := flag.Bool("load", false, "run the mixed load")
	soak := flag.Duration("soak", 0, "run the mixed load this long, sampling RSS, fds, goroutines and WAL size")
	faults := flag.String("faults", "", "comma list of faults to run: disk,disk-stage,http,lock,kill (or all)")
	items := flag.Int("items", 1000000, "catalog size")
	clients := flag.Int("clients", 64, "concurrent clients")
	duration := flag.Duration("duration", time.Minute, "length of the mixed load (and of the load under the kill fault)")
	think := flag.Duration("think", 100*time.Millisecond, "mean pause between one client's operations")
	kills := flag.Int("kills", 20, "kill -9 count for the kill fault")
	every := flag.Duration("sample", 10*time.Second, "soak sampling interval")
	noInfo := flag.Bool("no-info", false, "leave the ImageServer info (collection resource) out of the directory reads")
	out := flag.String("out", "docs", "folder for the soak's CSV and SVG")
	flag.Parse()
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	root, err := os.Getwd()
	if err != nil {
		fail(err)
	}
	logf := func(f string, a ...any) {
		fmt.Fprintf(os.Stderr, "%s  %s\n", time.Now().UTC().Format("15:04:05"), fmt.Sprintf(f, a...))
	}
	env, err := NewEnv(ctx, root, filepath.Join(root, "reliability", ".cache"), logf)
	if err != nil {
		fail(err)
	}
	defer env.Close()
	ok := true
	opts := Options{Items: *items, Clients: *clients, Duration: *duration, Think: *think, NoInfo: *noInfo}
	if *load {
		res, err := RunLoad(ctx, env, opts)
		if err != nil {
			fail(err)
		}
		fmt.Printf("mixed load: %d clients, %s, %d items, think %s, ImageServer info reads %v\n%s", *clients, *duration, *items, *think, !*noInfo, res.Summary())
		ok = ok && len(res.Problems) == 0
	}
	if *soak > 0 {
		opts.Duration = *soak
		res, samples, err := RunSoak(ctx, env, opts, *every)
		if err != nil {
			fail(err)
		}
		if err := WriteSoak(*out, samples, opts); err != nil {
			fail(err)
		}
		fmt.Printf("soak: %d clients, %s, %d items\n%s%s", *clients, *soak, *items, res.Summary(), SoakSummary(samples))
		ok = ok && len(res.Problems) == 0
	}
	if *faults != "" {
		names := strings.Split(*faults, ",")
		if *faults == "all" {
			names = []string{"disk", "disk-stage", "http", "lock", "kill"}
		}
		for _, n := range names {
			opts := opts
			opts.Kills = *kills
			fr := RunFault(ctx, env, strings.TrimSpace(n), opts)
			fmt.Println(fr.Report())
			ok = ok && fr.OK()
		}
	}
	if !ok {
		os.Exit(1)
	}
}

func fail(err error) {
	fmt.Fprintln(os.Stderr, "reliability:", err)
	os.Exit(1)
}
