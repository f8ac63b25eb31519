package main_test

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

// clientsDir is the npm harness of the real JavaScript clients.
var clientsDir, _ = filepath.Abs("../../clients")

var npmOnce sync.Once

// clientModules are the packages of clients/package.json; npm ci runs when
// one of them is missing.
var clientModules = []string{"@esri/arcgis-rest-request", "@arcgis/core", "lerc", "leaflet", "esri-leaflet", "ol", "esbuild", "playwright-core"}

// needNode skips the test when Node is missing, unless CI is set, and runs
// npm ci once if a client package is missing from clients/node_modules.
func needNode(t *testing.T) {
	t.Helper()
	if _, err := exec.LookPath("node"); err != nil {
		if os.Getenv("CI") != "" {
			t.Fatal("node is not installed (scripts/test installs it)")
		}
		t.Skip("node is not installed")
	}
	npmOnce.Do(func() {
		missing := false
		for _, m := range clientModules {
			if _, err := os.Stat(filepath.Join(clientsDir, "node_modules", m)); err != nil {
				missing = true
			}
		}
		if !missing {
			return
		}
		cmd := exec.Command("npm", "ci", "--no-audit", "--no-fund", "--loglevel=error")
		cmd.Dir = clientsDir
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("npm ci in %s: %v\n%s", clientsDir, err, out)
		}
	})
	for _, m := range clientModules {
		if _, err := os.Stat(filepath.Join(clientsDir, "node_modules", m)); err != nil {
			t.Fatalf("npm ci did not install the clients: %v", err)
		}
	}
}

// cancelParams makes the client cancel tests cancel real slow work: a
// purge of the seeded collection Big instead of DeleteImage(1=0), which
// finishes before a cancel can land.
const cancelParams = `{"imageCollection":"Big","where":"1=1","purge":"true","updateBoundary":"false"}`

// runNode runs the given client test files against p with env added.
func runNode(t *testing.T, p *proc, env []string, files ...string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 8*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, "node", append([]string{"--test", "--test-concurrency=1", "--test-reporter=spec"}, files...)...)
	cmd.Dir = clientsDir
	cmd.Env = append(os.Environ(), "TESSERA_URL="+p.URL, "TESSERA_CANCEL_PARAMS="+cancelParams, "NO_COLOR=1")
	cmd.Env = append(cmd.Env, env...)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("node --test %s: %v\n%s", strings.Join(files, " "), err, out)
	}
	text := string(out)
	if !strings.Contains(text, "ℹ fail 0") || strings.Contains(text, "ℹ pass 0\n") {
		t.Fatalf("node --test %s did not pass cleanly:\n%s", strings.Join(files, " "), text)
	}
	t.Logf("node --test %s:\n%s", strings.Join(files, " "), text)
}

// TestRealClients runs ArcGIS REST JS 4.10.2 (Job, tokens, refresh on 498)
// and @arcgis/core 5.1 (geoprocessor.submitJob, waitForJobCompletion,
// fetchResultData) against the real server on the demo collection, first
// open (no users), then with token security and a publisher account.
func TestRealClients(t *testing.T) {
	t.Parallel()
	needNode(t)
	files := []string{"restjs.test.mjs", "core.test.mjs"}

	t.Run("anonymous", func(t *testing.T) {
		p := startServer(t, bigDir(t), "--demo")
		runNode(t, p, nil, files...)
	})

	t.Run("tokens", func(t *testing.T) {
		dir := bigDir(t)
		users := pubUsersFile(t, dir)
		p := startServer(t, dir, "--demo", "--users", users)
		runNode(t, p, []string{"TESSERA_USER=pub", "TESSERA_PASSWORD=pub-password"}, files...)
		if strings.Contains(p.Logs(), "pub-password") || strings.Contains(p.Logs(), "token=") {
			t.Errorf("the server logged a password or token:\n%s", p.Logs())
		}
	})
}
