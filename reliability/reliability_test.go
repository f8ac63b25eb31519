package main

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"
)

// TestShort is the suite's short mode, which scripts/test runs: a real
// tessera serve on a 5,000-item catalog under the mixed load (16 clients,
// 6 s), then the load again with kill -9 three times, then the HTTP-source
// fault (500, closed mid-file, stalled). It fails on any client error, a
// lost or duplicated job, a catalog that differs from the model, or a
// failed integrity_check. The long modes are the reliability command's
// flags (see docs/reliability.md).
func TestShort(t *testing.T) {
	if testing.Short() {
		t.Skip("-short")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	root, err := filepath.Abs("..")
	if err != nil {
		t.Fatal(err)
	}
	env, err := NewEnv(ctx, root, "", t.Logf)
	if err != nil {
		t.Fatal(err)
	}
	defer env.Close()
	o := Options{Items: 5000, Clients: 16, Duration: 6 * time.Second, Think: 100 * time.Millisecond, Kills: 3}
	t.Run("load", func(t *testing.T) {
		res, err := RunLoad(ctx, env, o)
		if err != nil {
			t.Fatal(err)
		}
		t.Logf("mixed load:\n%s", res.Summary())
		if len(res.Problems) > 0 {
			t.Error("problems (see above)")
		}
	})
	for _, fault := range []string{"kill", "http"} {
		t.Run(fault, func(t *testing.T) {
			f := RunFault(ctx, env, fault, o)
			t.Log(f.Report())
			if !f.OK() {
				t.Error("fault check failed (see above)")
			}
		})
	}
	if os.Getenv("TESSERA_RELIABILITY_DISK") != "" { // needs root for mount
		t.Run("disk", func(t *testing.T) {
			f := RunFault(ctx, env, "disk-stage", o)
			t.Log(f.Report())
			if !f.OK() {
				t.Error("fault check failed (see above)")
			}
		})
	}
}
