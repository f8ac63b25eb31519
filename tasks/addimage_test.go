package tasks_test

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/tessera-gis/tessera/mosaic"
	"github.com/tessera-gis/tessera/raster/rastertest"
	"github.com/tessera-gis/tessera/tasks"
)

// TestAddImageInputForms adds rasters given in every inputRasters form and
// checks which paths became items.
func TestAddImageInputForms(t *testing.T) {
	t.Parallel()
	testAddImageInputForms(t)
}

// TestAddImageInputFormsStreamed is TestAddImageInputForms with listings
// that keep no more than one name, so that every folder or glob of more
// is walked twice (count, then yield), as a listing of more than
// keptNames files is.
func TestAddImageInputFormsStreamed(t *testing.T) {
	defer tasks.SetKeptNames(1)()
	testAddImageInputForms(t)
}

func testAddImageInputForms(t *testing.T) {
	b := setup(t)
	dir := filepath.Join(b.dir, "src")
	paths := tiles(t, dir, 3)
	sub := tile(t, filepath.Join(dir, "sub"), "deep.tif", 3)
	other := tile(t, filepath.Join(dir, "sub"), "other.tiff", 4)
	if err := os.WriteFile(filepath.Join(dir, "notes.txt"), []byte("not a raster"), 0o644); err != nil {
		t.Fatal(err)
	}
	before := rastertest.Checksums(t, append(paths, sub, other)...)
	srv := b.fileServer(dir)

	cases := []struct {
		name  string
		input string
		ctx   string
		want  []string
	}{
		{"path", paths[0], "", paths[:1]},
		{"file URL", "file://" + paths[0], "", paths[:1]},
		{"JSON string", jsonText(paths[0]), "", paths[:1]},
		{"JSON array", jsonText(paths[:2]), "", paths[:2]},
		{"semicolon list", paths[0] + ";" + paths[1], "", paths[:2]},
		{"uris", jsonText(map[string]any{"uris": paths}), "", paths},
		{"uri", jsonText(map[string]any{"uri": paths[2], "byref": true}), "", paths[2:]},
		{"directory", dir, "", append(append([]string{}, paths...), sub, other)},
		{"directory without subfolders", dir, `{"subFolders": false}`, paths},
		{"directory with filter", dir, `{"filter": "*.tiff"}`, []string{other}},
		{"directory with regex filter", dir, `{"filter": "REGEX:.*/t00[12]\\.tif$"}`, paths[1:]},
		{"glob", filepath.Join(dir, "t00[01].tif"), "", paths[:2]},
		{"filter glob walks subfolders", filepath.Join(dir, "*.tif"), "", append(append([]string{}, paths...), sub)},
		{"url", jsonText(map[string]any{"url": srv + "/t000.tif"}), "", []string{"/vsicurl/" + srv + "/t000.tif"}},
		{"urls", jsonText(map[string]any{"urls": []string{srv + "/t001.tif", srv + "/sub/deep.tif"}}), "",
			[]string{"/vsicurl/" + srv + "/t001.tif", "/vsicurl/" + srv + "/sub/deep.tif"}},
		{"plain https URL string", srv + "/t002.tif", "", []string{"/vsicurl/" + srv + "/t002.tif"}},
		{"vsicurl path", "/vsicurl/" + srv + "/t002.tif", "", []string{"/vsicurl/" + srv + "/t002.tif"}},
	}
	for i, tc := range cases {
		name := fmt.Sprintf("Forms%d", i)
		b.create(name, `{"outSR": 32633}`)
		in := map[string]string{"imageCollection": name, "inputRasters": tc.input}
		if tc.ctx != "" {
			in["context"] = tc.ctx
		}
		j := b.succeed("AddImage", in)
		var got []string
		for _, it := range b.items(name) {
			got = append(got, it.Path)
		}
		want := append([]string(nil), tc.want...)
		sort.Strings(got)
		sort.Strings(want)
		if strings.Join(got, "\n") != strings.Join(want, "\n") {
			t.Errorf("%s: items\n%s\nwant\n%s\n%s", tc.name, strings.Join(got, "\n"), strings.Join(want, "\n"), msgs(j))
		}
		if c := counts(t, j); c != [4]int{len(want), len(want), 0, 0} {
			t.Errorf("%s: counts %v", tc.name, c)
		}
	}
	before.AssertUnchanged(t)
}

// TestAddImageFolderSidecars: rasters found in a folder keep their
// external overviews (a sidecar sorted after its raster, in a subfolder
// too), whether the listing is kept or walked a second time as it is
// read, and when the folder is given by a link to it; a raster without
// one gets none.
func TestAddImageFolderSidecars(t *testing.T) {
	b := setup(t)
	dir := filepath.Join(b.dir, "src")
	a := tile(t, dir, "a.tif", 0)
	plain := tile(t, dir, "b.tif", 1)
	c := tile(t, filepath.Join(dir, "sub"), "c.tif", 2)
	for _, p := range []string{a, c} {
		if out, err := exec.Command("gdaladdo", "-q", "-ro", p, "2", "4").CombinedOutput(); err != nil {
			t.Fatalf("gdaladdo: %v: %s", err, out)
		}
	}
	link := filepath.Join(b.dir, "link")
	if err := os.Symlink(dir, link); err != nil {
		t.Fatal(err)
	}
	before := rastertest.Checksums(t, a, plain, c, a+".ovr", c+".ovr")
	for i, run := range []struct {
		kept  int
		input string
	}{{100000, dir}, {1, dir}, {100000, link}} {
		kept := run.kept
		restore := tasks.SetKeptNames(kept)
		name := fmt.Sprintf("Sidecars%d", i)
		b.create(name, `{"outSR": 32633}`)
		j := b.succeed("AddImage", map[string]string{"imageCollection": name, "inputRasters": run.input})
		restore()
		at := func(p string) string { return filepath.Join(run.input, strings.TrimPrefix(p, dir)) } // items keep the name given
		want := map[string]float64{at(a): 40, at(plain): 10, at(c): 40}
		items := b.items(name)
		if len(items) != len(want) {
			t.Fatalf("kept %d: %d items, want %d\n%s", kept, len(items), len(want), msgs(j))
		}
		for _, it := range items {
			if hp := it.Attributes["HighPS"]; hp != want[it.Path] {
				t.Errorf("kept %d: %s: HighPS %v, want %v", kept, it.Path, hp, want[it.Path])
			}
		}
	}
	before.AssertUnchanged(t)
}

// TestAddImageInputErrors checks that bad inputRasters and rasterType
// values are synchronous errors.
func TestAddImageInputErrors(t *testing.T) {
	t.Parallel()
	b := setup(t)
	b.create("Errs", "")
	cases := []struct{ name, input, rasterType, ctx, want string }{
		{"missing", "", "", "", "inputRasters is required"},
		{"bad JSON", `{"uris": [`, "", "", "not valid JSON"},
		{"itemIds", `{"itemIds": ["abc"]}`, "", "", "itemIds are not supported"},
		{"folderId", `{"folderId": "abc"}`, "", "", "folderIds are not supported"},
		{"empty list", `[]`, "", "", "no rasters given"},
		{"unknown raster type", "/x.tif", "Landsat 8", "", `raster type "Landsat 8" is not supported`},
		{"bad duplicates", "/x.tif", "", `{"duplicateItemsAction": "MERGE"}`, "ALLOW, EXCLUDE or OVERWRITE"},
		{"bad boolean", "/x.tif", "", `{"strict": "perhaps"}`, "strict must be true or false"},
		{"nodata without value", "/x.tif", "", `{"defineNodata": true}`, "noDataValues"},
		{"bad batch size", "/x.tif", "", `{"batchSize": 0}`, "batchSize"},
		{"bad regex", "/x.tif", "", `{"filter": "REGEX:("}`, "regular expression"},
		{"missing manifest", "/nonexistent/m.csv", "Table", "", "manifest /nonexistent/m.csv is not a readable file inside a registered data store"},
	}
	for _, tc := range cases {
		in := map[string]string{"imageCollection": "Errs", "inputRasters": tc.input}
		if tc.rasterType != "" {
			in["rasterType"] = tc.rasterType
		}
		if tc.ctx != "" {
			in["context"] = tc.ctx
		}
		_, err := b.engine.Submit(context.Background(), "AddImage", in, admin)
		if err == nil || mosaic.ErrorCode(err) != mosaic.EINVALID {
			t.Errorf("%s: err = %v, want EINVALID", tc.name, err)
			continue
		}
		text := mosaic.ErrorMessage(err) + " " + strings.Join(mosaic.ErrorDetails(err), " ")
		if !strings.Contains(text, tc.want) {
			t.Errorf("%s: %q does not say %q", tc.name, text, tc.want)
		}
	}
	_, err := b.engine.Submit(context.Background(), "AddImage",
		map[string]string{"imageCollection": "Nope", "inputRasters": "/x.tif"}, admin)
	if mosaic.ErrorCode(err) != mosaic.ENOTFOUND {
		t.Errorf("unknown collection: %v", err)
	}
}

// TestAddImageCollectionForms names the collection in every form clients
// send.
func TestAddImageCollectionForms(t *testing.T) {
	t.Parallel()
	b := setup(t)
	src := tiles(t, filepath.Join(b.dir, "src"), 1)[0]
	b.create("Forms", "")
	itemID := b.collection("Forms").ItemID
	url := servicesURL + "/Forms/ImageServer"
	forms := []string{
		`{"itemId":"` + itemID + `"}`,
		`{"url":"` + url + `"}`,
		`{"uri":"/fileshare/mosaics/md.gdb/Forms"}`,
		`{"serviceProperties":{"name":"Forms","serviceUrl":"` + url + `"}}`,
		"Forms",
		"forms",
		url,
		itemID,
	}
	for i, ic := range forms {
		j := b.succeed("AddImage", map[string]string{"imageCollection": ic, "inputRasters": src})
		if got := result(t, j)["url"]; got != url {
			t.Errorf("%s: result url %v", ic, got)
		}
		if n := len(b.items("Forms")); n != i+1 {
			t.Errorf("%s: %d items, want %d", ic, n, i+1)
		}
	}
}
