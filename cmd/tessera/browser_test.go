package main_test

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestBrowserClients runs three web mapping clients in headless Chromium
// against two real servers on the demo collection, one open and one with
// --users, from pages served on another origin (localhost, while tessera
// is at 127.0.0.1) as real web apps are (clients/browser/browser.test.mjs):
// OpenLayers 10.11.0 ImageArcGISRest and esri-leaflet 3.1.0 imageMapLayer
// (Leaflet 1.9.4) draw the imagery and esri-leaflet's identify() answers
// GDAL's pixel; @arcgis/core 5.1.25 ImageryLayer draws in a MapView
// (WebGL on SwiftShader), and the layer's identify(), getSamples() and
// computeHistograms() answer what GDAL reads; geoprocessor.submitJob of
// DeleteImage from the page deletes the item with a token
// (IdentityManager.registerToken) and is refused without one. Screenshots'
// pixels prove the drawing.
func TestBrowserClients(t *testing.T) {
	t.Parallel()
	needNode(t)
	for _, bin := range []string{chromium, "gdallocationinfo", "gdaltransform"} {
		if _, err := exec.LookPath(bin); err != nil {
			if os.Getenv("CI") != "" {
				t.Fatalf("%s is not installed (scripts/test installs it)", bin)
			}
			t.Skipf("%s is not installed", bin)
		}
	}
	open := startServer(t, t.TempDir(), "--demo")

	dir := t.TempDir()
	usersFile := pubUsersFile(t, dir)
	users := startServer(t, dir, "--demo", "--users", usersFile)

	shots := ""
	if *screenshots != "" {
		var err error
		if shots, err = filepath.Abs(*screenshots); err != nil {
			t.Fatal(err)
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 8*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, "node", "--test", "--test-concurrency=1", "--test-reporter=spec", "browser/browser.test.mjs")
	cmd.Dir = clientsDir
	cmd.Env = append(os.Environ(), "TESSERA_OPEN_URL="+open.URL, "TESSERA_USERS_URL="+users.URL, "TESSERA_PUBLISHER=pub:pub-password",
		"TESSERA_SCREENSHOTS="+shots, "CHROMIUM="+chromium, "NO_COLOR=1")
	out, err := cmd.CombinedOutput()
	text := string(out)
	if err != nil || !strings.Contains(text, "ℹ fail 0") || strings.Contains(text, "ℹ pass 0\n") {
		t.Fatalf("node --test browser/browser.test.mjs: %v\n%s", err, text)
	}
	t.Logf("browser tests:\n%s", text)
	if strings.Contains(users.Logs(), "pub-password") {
		t.Errorf("the server logged a password:\n%s", users.Logs())
	}
}
