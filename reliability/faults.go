package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// lastServer is the server the latest scenario started (for its log).
var lastServer *Server

// FaultResult is the outcome of one fault scenario.
type FaultResult struct {
	Name     string
	Lines    []string // what happened, in order
	Problems []string
	Load     *Result // the load's check, when the fault ran under the mixed load
}

// OK reports whether the scenario found nothing wrong.
func (f *FaultResult) OK() bool {
	return len(f.Problems) == 0 && (f.Load == nil || len(f.Load.Problems) == 0)
}

func (f *FaultResult) logf(format string, a ...any) {
	f.Lines = append(f.Lines, fmt.Sprintf(format, a...))
}
func (f *FaultResult) problem(format string, a ...any) {
	f.Problems = append(f.Problems, fmt.Sprintf(format, a...))
}

// Report renders the outcome.
func (f *FaultResult) Report() string {
	var b strings.Builder
	status := "PASS"
	if !f.OK() {
		status = "FAIL"
	}
	fmt.Fprintf(&b, "fault %s: %s\n", f.Name, status)
	for _, l := range f.Lines {
		fmt.Fprintf(&b, "  %s\n", l)
	}
	for _, p := range f.Problems {
		fmt.Fprintf(&b, "  PROBLEM: %s\n", p)
	}
	if f.Load != nil {
		b.WriteString(f.Load.Summary())
	}
	return b.String()
}

// RunFault runs one named fault scenario.
func RunFault(ctx context.Context, env *Env, name string, o Options) *FaultResult {
	f := &FaultResult{Name: name}
	switch name {
	case "kill":
		faultKill(ctx, env, o, f)
	case "disk":
		faultDisk(ctx, env, o, f, false)
	case "disk-stage":
		faultDisk(ctx, env, o, f, true)
	case "http":
		faultHTTP(ctx, env, o, f)
	case "lock":
		faultLock(ctx, env, o, f)
	default:
		f.problem("unknown fault %q", name)
	}
	if !f.OK() && lastServer != nil {
		p := filepath.Join(os.TempDir(), "tessera-reliability-"+name+".log")
		if os.WriteFile(p, []byte(lastServer.Logs()), 0o644) == nil {
			f.logf("server log: %s", p)
		}
	}
	return f
}
