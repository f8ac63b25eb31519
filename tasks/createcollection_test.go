package tasks_test

import (
	"context"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/tessera-gis/tessera/mosaic"
	"github.com/tessera-gis/tessera/raster/rastertest"
)

// TestCreateImageCollection creates collections with outSR as a wkid, as
// WKT and by default, with and without rasters.
func TestCreateImageCollection(t *testing.T) {
	t.Parallel()
	b := setup(t)
	dir := filepath.Join(b.dir, "src")
	paths := tiles(t, dir, 2)
	utm32 := rastertest.GeoTIFF(t, filepath.Join(b.dir, "utm32.tif"), rastertest.EPSG(32632),
		rastertest.GeoTransform([6]float64{700000, 30, 0, 5300000, 0, -30}))
	manifest := writeFile(t, filepath.Join(dir, "m.csv"), "Raster,Grade\nt000.tif,A\nt001.tif,B\n")
	before := rastertest.Checksums(t, append(paths, utm32, manifest)...)
	wkt, err := exec.Command("gdalsrsinfo", "-o", "wkt1", "EPSG:3035").Output()
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name, inputs, ctx string
		wantWKID          int
		wantItems         int
	}{
		{"Empty", "", "", 0, 0},
		{"EmptyWkid", "", `{"outSR": {"wkid": 102100}}`, 3857, 0},
		{"Wkid", filepath.Join(dir, "*.tif"), `{"outSR": {"wkid": 4326}}`, 4326, 2},
		{"BareWkid", filepath.Join(dir, "*.tif"), `{"outSR": 3857}`, 3857, 2},
		{"Wkt", jsonText(paths), `{"outSR": {"wkt": ` + jsonText(strings.TrimSpace(string(wkt))) + `}}`, 3035, 2},
		{"FirstRaster", jsonText([]string{utm32, paths[0]}), "", 32632, 2},
	}
	for _, tc := range cases {
		in := map[string]string{"imageCollection": tc.name}
		if tc.inputs != "" {
			in["inputRasters"] = tc.inputs
		}
		if tc.ctx != "" {
			in["context"] = tc.ctx
		}
		j := b.succeed("CreateImageCollection", in)
		c := b.collection(tc.name)
		if c.SRS.WKID != tc.wantWKID || c.Summary.Count != int64(tc.wantItems) {
			t.Errorf("%s: SRS %d, %d items; want %d, %d", tc.name, c.SRS.WKID, c.Summary.Count, tc.wantWKID, tc.wantItems)
		}
		v := result(t, j)
		if v["url"] != servicesURL+"/"+tc.name+"/ImageServer" || v["itemId"] != c.ItemID {
			t.Errorf("%s: result %v (itemId %s)", tc.name, v, c.ItemID)
		}
		if tc.wantItems > 0 && v["added"] != float64(tc.wantItems) {
			t.Errorf("%s: result %v", tc.name, v)
		}
	}
	// Python's form, {"serviceProperties": {"name": …}}, and a Table input.
	b.succeed("CreateImageCollection", map[string]string{
		"imageCollection": `{"serviceProperties": {"name": "FromTable"}, "itemProperties": {"folderId": "x"}}`,
		"inputRasters":    manifest, "rasterType": `{"rasterTypeName": "Table"}`,
	})
	if items := b.items("FromTable"); len(items) != 2 || items[1].Attributes["Grade"] != "B" {
		t.Errorf("FromTable: %d items", len(items))
	}
	before.AssertUnchanged(t)
}

// TestCreateImageCollectionErrors checks the synchronous errors: a taken
// name (in any case), a bad name and a bad outSR.
func TestCreateImageCollectionErrors(t *testing.T) {
	t.Parallel()
	b := setup(t)
	b.create("Taken", "")
	for _, tc := range []struct {
		in   map[string]string
		code string
		want string
	}{
		{map[string]string{"imageCollection": "Taken"}, mosaic.ECONFLICT, `Image collection "Taken" already exists.`},
		{map[string]string{"imageCollection": "taken"}, mosaic.ECONFLICT, `already exists`},
		{map[string]string{"imageCollection": `{"serviceProperties":{"name":"Taken"}}`}, mosaic.ECONFLICT, `already exists`},
		{map[string]string{"imageCollection": "1bad name"}, mosaic.EINVALID, "Invalid image collection name"},
		{map[string]string{"imageCollection": "Fine", "context": `{"outSR": {"wkid": 999999}}`}, mosaic.EINVALID, "outSR"},
		{map[string]string{"imageCollection": "Fine", "inputRasters": "/x.tif", "rasterType": "Lidar"}, mosaic.EINVALID, "not supported"},
	} {
		_, err := b.engine.Submit(context.Background(), "CreateImageCollection", tc.in, admin)
		if mosaic.ErrorCode(err) != tc.code || !strings.Contains(mosaic.ErrorMessage(err)+strings.Join(mosaic.ErrorDetails(err), " "), tc.want) {
			t.Errorf("%v: %v (%s), want %s %q", tc.in, err, mosaic.ErrorCode(err), tc.code, tc.want)
		}
	}
}
