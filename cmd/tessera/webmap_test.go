package main_test

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/tessera-gis/tessera/mosaic"
	"github.com/tessera-gis/tessera/raster/rastertest"
	"github.com/tessera-gis/tessera/server"
)

var screenshots = flag.String("screenshots", "", "write the web map's documentation screenshots to this folder (TestWebMapInBrowser)")

// webmapDir is the web map's npm project, with its browser tests.
var webmapDir, _ = filepath.Abs("../../webmap")

// chromium is Debian's Chromium, which playwright-core drives.
const chromium = "/usr/bin/chromium"

var webmapNPMOnce sync.Once

// needBrowser skips the test when Node or Chromium is missing, unless CI
// is set, and runs npm ci in webmap/ once if playwright-core is missing.
func needBrowser(t *testing.T) {
	t.Helper()
	for _, bin := range []string{"node", "npm", chromium} {
		if _, err := exec.LookPath(bin); err != nil {
			if os.Getenv("CI") != "" {
				t.Fatalf("%s is not installed (scripts/test installs it)", bin)
			}
			t.Skipf("%s is not installed", bin)
		}
	}
	webmapNPMOnce.Do(func() {
		if _, err := os.Stat(filepath.Join(webmapDir, "node_modules", "playwright-core")); err == nil {
			return
		}
		cmd := exec.Command("npm", "ci", "--no-audit", "--no-fund", "--loglevel=error")
		cmd.Dir = webmapDir
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("npm ci in %s: %v\n%s", webmapDir, err, out)
		}
	})
	if _, err := os.Stat(filepath.Join(webmapDir, "node_modules", "playwright-core")); err != nil {
		t.Fatalf("npm ci did not install playwright-core: %v", err)
	}
}

// TestWebMapInBrowser drives the web map and the job monitor in headless
// Chromium, as users would, against the demo collection on a server with
// token security (webmap/test/browser.test.mjs): a viewer sees the map and
// the jobs but no edit controls; a publisher opens the map from the
// services directory and sees imagery and footprints drawn, previews a
// where clause (the server's parse error, then the count and the
// highlight), deletes the items and undoes it, adds images, and watches a
// long AddImage's progress in the job monitor before cancelling it. The
// pages' pixels and the catalog (through query) are checked at each step.
func TestWebMapInBrowser(t *testing.T) {
	t.Parallel()
	needBrowser(t)
	dir := t.TempDir()
	var users []string
	for _, u := range []struct {
		name string
		role mosaic.Role
	}{{"pub", mosaic.RolePublisher}, {"view", mosaic.RoleViewer}} {
		line, err := server.PasswordLine(u.name, u.role, u.name+"-password", 4)
		if err != nil {
			t.Fatal(err)
		}
		users = append(users, line)
	}
	usersFile := filepath.Join(dir, "users.conf")
	if err := os.WriteFile(usersFile, []byte(strings.Join(users, "\n")+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}

	// Three rasters inside the demo's extent, and enough rasters elsewhere
	// that AddImage runs long enough to watch and cancel, outside the data
	// folder (which no data store may expose).
	src := t.TempDir()
	small := filepath.Join(src, "small")
	long := filepath.Join(src, "long")
	for _, d := range []string{small, long} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	for i := range 3 {
		rastertest.GeoTIFF(t, filepath.Join(small, fmt.Sprintf("new%d.tif", i)),
			rastertest.GeoTransform([6]float64{602000 + float64(i)*2000, 10, 0, 5357000, 0, -10}))
	}
	// One raster under 20,000 names (hard links): each is opened and read
	// like any other, and they take a second to make.
	one := rastertest.GeoTIFF(t, filepath.Join(src, "one.tif"), rastertest.Size(8, 8),
		rastertest.GeoTransform([6]float64{700000, 10, 0, 5300000, 0, -10}))
	for i := range 20000 {
		if err := os.Link(one, filepath.Join(long, fmt.Sprintf("l%05d.tif", i))); err != nil {
			t.Fatal(err)
		}
	}
	before := snapshot(t, small)

	p := startServer(t, dir, "--demo", "--users", usersFile)
	shots := ""
	if *screenshots != "" {
		var err error
		if shots, err = filepath.Abs(*screenshots); err != nil {
			t.Fatal(err)
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, "node", "--test", "--test-concurrency=1", "--test-reporter=spec", "test/browser.test.mjs")
	cmd.Dir = webmapDir
	cmd.Env = append(os.Environ(), "TESSERA_URL="+p.URL, "TESSERA_PUBLISHER=pub:pub-password", "TESSERA_VIEWER=view:view-password",
		"TESSERA_ADD_SMALL="+small, "TESSERA_ADD_LONG="+long, "TESSERA_SCREENSHOTS="+shots, "CHROMIUM="+chromium, "NO_COLOR=1")
	out, err := cmd.CombinedOutput()
	text := string(out)
	if err != nil || !strings.Contains(text, "ℹ fail 0") || strings.Contains(text, "ℹ pass 0\n") {
		t.Fatalf("node --test test/browser.test.mjs: %v\n%s", err, text)
	}
	t.Logf("browser tests:\n%s", text)
	assertUnchanged(t, small, before)
	if strings.Contains(p.Logs(), "pub-password") || strings.Contains(p.Logs(), "token=") {
		t.Errorf("the server logged a password or token:\n%s", p.Logs())
	}
}
