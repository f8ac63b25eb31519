package tasks

import (
	"strings"
	"testing"

	"github.com/tessera-gis/tessera/mosaic"
)

// The decoders of the GP tasks' parameters answer every input with
// values or an EINVALID error that names the parameter: never a panic, an
// internal error or an empty source. Their seeds run with every go test;
// fuzz them with
//
//	go test -run='^$' -fuzz=FuzzAddImageParams -fuzztime=50000x ./tasks

// checkParamError fails unless err is nil or a client error.
func checkParamError(t *testing.T, err error, what string) {
	t.Helper()
	if err == nil {
		return
	}
	if code := mosaic.ErrorCode(err); code != mosaic.EINVALID {
		t.Fatalf("%s: error code %s, want %s: %v", what, code, mosaic.EINVALID, err)
	}
	if msg := mosaic.ErrorMessage(err); msg == "" || strings.Contains(msg, "Internal error") {
		t.Fatalf("%s: message %q", what, msg)
	}
}

var inputRasterSeeds = []string{
	"/data/a.tif", "/data/a.tif;/data/b.tif\n/data/c.tif", `["/a.tif", "/b.tif"]`, `{"uris":["/a.tif"]}`,
	`{"url":"https://example.com/x.tif"}`, `{"itemIds":["abc"]}`, `{"folderId":"x"}`, `[[["/deep.tif"]]]`,
	`"/quoted.tif"`, `[1, null, true]`, `{"paths":{"path":"/x.tif"}}`, " ; ;\n", "[", `{"uris":[]}`, "s3://bucket/key.tif",
	"/data/*.tif", "/vsicurl/http://127.0.0.1/x.tif",
}

func FuzzParseInputRasters(f *testing.F) {
	for _, s := range inputRasterSeeds {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, raw string) {
		out, err := parseInputRasters(raw)
		checkParamError(t, err, "inputRasters")
		if err == nil && len(out) == 0 {
			t.Fatal("no error and no sources")
		}
		for _, s := range out {
			if s == "" || strings.TrimSpace(s) != s {
				t.Fatalf("source %q is blank or untrimmed", s)
			}
		}
	})
}

// FuzzAddImageParams fuzzes AddImage's inputRasters, context and
// rasterType together, as parseAddOptions reads them.
func FuzzAddImageParams(f *testing.F) {
	for i, ctx := range []string{
		"", `{"buildOverview":true}`, `{"duplicateItemsAction":"EXCLUDE_DUPLICATES","outSR":{"wkid":3857}}`,
		`{"filter":"*.tif","subFolders":false,"batchSize":50}`, `{"filter":"re:^a[0-9]+$"}`, `{"filter":"["}`,
		`{"updateBoundary":"no","batchSize":-1}`, `{"rasterPathField":"Path","strict":true}`, `{outSR:3857}`, `[1,2]`, `{"unknownKey":1}`,
	} {
		rt := []string{"", "Raster Dataset", "Table", `{"rasterTypeName":"Table","rasterTypeParameters":{"rasterPathField":"p"}}`, "LAS", "{"}[i%6]
		f.Add(inputRasterSeeds[i%len(inputRasterSeeds)], ctx, rt)
	}
	f.Fuzz(func(t *testing.T, rasters, ctx, rasterType string) {
		_, err := parseAddOptions(Inputs{"inputRasters": rasters, "context": ctx, "rasterType": rasterType})
		checkParamError(t, err, "AddImage")
	})
}

// FuzzCreateCollectionParams fuzzes CreateImageCollection's name and
// context (outSR and fields).
func FuzzCreateCollectionParams(f *testing.F) {
	for _, s := range [][2]string{
		{"New", `{"outSR":{"wkid":32633}}`}, {"New", `{"outSR":"EPSG:4326","fields":[{"name":"Sat","type":"esriFieldTypeString","length":20}]}`},
		{`{"serviceProperties":{"name":"Svc"}}`, `{"fields":[{"name":"1bad","type":"long"}]}`}, {"", ""}, {"a b", `{"outSR":{"wkt":"GEOGCS[\"x\"]"}}`},
		{"X", `{"outSR":{"wkid":-1}}`}, {"X", `{"fields":[{"name":"OBJECTID","type":"date"}]}`}, {"X", `{"outSR":102100}`},
	} {
		f.Add(s[0], s[1])
	}
	f.Fuzz(func(t *testing.T, name, ctx string) {
		_, err := parseCreateArgs(Inputs{"imageCollection": name, "context": ctx})
		checkParamError(t, err, "CreateImageCollection")
	})
}
