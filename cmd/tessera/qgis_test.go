package main_test

import (
	"bytes"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
)

// TestQGIS loads the demo ImageServer in headless QGIS (Debian's 3.22,
// through clients/qgis_check.py): as a raster layer with the
// arcgismapserver provider, which renders through exportImage, and as a
// footprint layer with the arcgisfeatureserver provider, which reads the
// catalog through query.
func TestQGIS(t *testing.T) {
	needQGIS(t)
	p := startServer(t, t.TempDir(), "--demo")
	checkQGIS(t, p)
}

// needQGIS skips the test when QGIS's Python bindings are missing.
func needQGIS(t *testing.T) {
	t.Helper()
	if out, err := exec.Command("/usr/bin/python3", "-c", "import qgis.core").CombinedOutput(); err != nil {
		t.Skipf("QGIS is not installed: /usr/bin/python3 -c 'import qgis.core' failed (%v: %s); "+
			"install it with apt-get install -y --no-install-recommends qgis python3-qgis", err, bytes.TrimSpace(out))
	}
}

// checkQGIS loads p's Demo ImageServer in QGIS as a raster layer and as a
// footprint layer, and checks both.
func checkQGIS(t *testing.T, p *proc) {
	t.Helper()
	png := filepath.Join(t.TempDir(), "qgis.png")
	cmd := exec.Command("/usr/bin/python3", filepath.Join("..", "..", "clients", "qgis_check.py"),
		p.Services()+"/Demo/ImageServer", "--out", png, "--size", "300")
	cmd.Env = append(os.Environ(), "QT_QPA_PLATFORM=offscreen", "HOME="+t.TempDir())
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	runErr := cmd.Run()
	var report struct {
		OK       bool     `json:"ok"`
		Problems []string `json:"problems"`
		Raster   struct {
			Valid  bool   `json:"valid"`
			CRS    string `json:"crs"`
			Render struct {
				Width, Height int
				Opaque        int `json:"sampled_opaque_pixels"`
			} `json:"render"`
		} `json:"raster"`
		Vector struct {
			Valid        bool     `json:"valid"`
			CRS          string   `json:"crs"`
			FeatureCount int      `json:"feature_count"`
			Fields       []string `json:"fields"`
		} `json:"vector"`
	}
	if err := json.Unmarshal(stdout.Bytes(), &report); err != nil {
		t.Fatalf("qgis_check.py: %v (%v)\nstdout:\n%s\nstderr:\n%s", runErr, err, stdout.String(), stderr.String())
	}
	if runErr != nil || !report.OK {
		t.Errorf("qgis_check.py: %v, problems %v\n%s", runErr, report.Problems, stdout.String())
	}
	if !report.Raster.Valid || report.Raster.CRS != "EPSG:32633" || report.Raster.Render.Width != 300 || report.Raster.Render.Opaque == 0 {
		t.Errorf("raster layer: %+v", report.Raster)
	}
	if !report.Vector.Valid || report.Vector.CRS != "EPSG:32633" || report.Vector.FeatureCount != count(t, p, "Demo", "1=1") {
		t.Errorf("footprint layer: %+v", report.Vector)
	}
	if st, err := os.Stat(png); err != nil || st.Size() == 0 {
		t.Errorf("QGIS wrote no image: %v", err)
	}
}
