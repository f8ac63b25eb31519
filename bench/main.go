package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

func main() {
	quick := flag.Bool("quick", false, "smoke-test mode: small data, one repetition")
	only := flag.String("only", "", "comma list of benchmark names to run")
	reps := flag.Int("reps", 5, "repetitions after the warm-up")
	out := flag.String("out", "bench/out/results.md", "markdown results file")
	binary := flag.String("binary", "", "a prebuilt tessera binary to measure instead of building ./cmd/tessera")
	queryItems := flag.String("query-items", "", "comma list of catalog sizes for the query benchmark (default 10000,100000,1000000)")
	flag.Parse()
	var sizes []int
	for _, f := range strings.Split(*queryItems, ",") {
		if f = strings.TrimSpace(f); f != "" {
			n, err := strconv.Atoi(f)
			if err != nil || n <= 0 {
				fmt.Fprintln(os.Stderr, "bench: -query-items: want a comma list of positive integers")
				os.Exit(2)
			}
			sizes = append(sizes, n)
		}
	}
	if err := run(*quick, *only, *reps, *out, *binary, sizes); err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		os.Exit(1)
	}
}

func run(quick bool, only string, reps int, out, binary string, queryItems []int) error {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	root, err := os.Getwd()
	if err != nil {
		return err
	}
	work, err := os.MkdirTemp("", "tessera-bench")
	if err != nil {
		return err
	}
	defer os.RemoveAll(work)
	env := &Env{Quick: quick, Cache: filepath.Join(root, "bench", ".cache"), Work: work, Reps: reps, QueryItems: queryItems,
		Logf: func(f string, a ...any) { fmt.Fprintf(os.Stderr, "  "+f+"\n", a...) }}
	if quick {
		env.Reps = 1
		env.Cache = filepath.Join(work, "cache")
	}
	env.Binary = filepath.Join(work, "tessera")
	if binary != "" {
		env.Binary = binary
	} else {
		build := exec.CommandContext(ctx, "go", "build", "-o", env.Binary, "./cmd/tessera")
		build.Stderr = os.Stderr
		if err := build.Run(); err != nil {
			return fmt.Errorf("build tessera: %w", err)
		}
	}
	want := map[string]bool{}
	for _, n := range strings.Split(only, ",") {
		if n = strings.TrimSpace(n); n != "" {
			want[n] = true
		}
	}
	var rows []Measurement
	failed := 0
	for _, b := range benchmarks() {
		if len(want) > 0 && !want[b.Name] {
			continue
		}
		fmt.Fprintf(os.Stderr, "== %s (issue %d)\n", b.Name, b.Issue)
		start := time.Now()
		ms, err := b.Run(ctx, env)
		if err != nil {
			fmt.Fprintf(os.Stderr, "  FAILED: %v\n", err)
			failed++
			continue
		}
		fmt.Fprintf(os.Stderr, "  done in %s\n", time.Since(start).Round(time.Millisecond))
		rows = append(rows, ms...)
	}
	table := markdown(rows, quick)
	fmt.Println(table)
	if out != "" && !quick {
		if err := os.MkdirAll(filepath.Dir(out), 0o755); err != nil {
			return err
		}
		if err := os.WriteFile(out, []byte(table), 0o644); err != nil {
			return err
		}
	}
	if failed > 0 {
		return fmt.Errorf("%d benchmarks failed", failed)
	}
	return nil
}

// markdown renders the results table.
func markdown(rows []Measurement, quick bool) string {
	var b strings.Builder
	if quick {
		b.WriteString("Quick mode: these figures only show that the benchmarks run.\n\n")
	}
	fmt.Fprintf(&b, "Machine: %s.\n\n", machine())
	b.WriteString("| benchmark | ours: median (min–max) | peer | peer: median | ours/peer | target | peak RSS | notes |\n")
	b.WriteString("|---|---|---|---|---|---|---|---|\n")
	notes := growthNotes(rows)
	for i, m := range rows {
		med := median(m.Ours)
		lo, hi := minMax(m.Ours)
		peer, ratio := "", ""
		if len(m.PeerS) > 0 {
			pm := median(m.PeerS)
			peer = fmtNum(pm) + " " + m.Unit
			if pm > 0 && med > 0 {
				ratio = fmt.Sprintf("%.2f×", med/pm)
			}
		}
		rss := ""
		if m.PeakRSS > 0 {
			rss = fmt.Sprintf("%.0f MiB", float64(m.PeakRSS)/(1<<20))
		}
		note := m.Note
		if notes[i] != "" {
			note = strings.TrimPrefix(note+"; "+notes[i], "; ")
		}
		fmt.Fprintf(&b, "| %s | %s %s (%s–%s) | %s | %s | %s | %s | %s | %s |\n", m.Name, fmtNum(med), m.Unit,
			fmtNum(lo), fmtNum(hi), m.Peer, peer, ratio, m.Target, rss, note)
	}
	return b.String()
}
