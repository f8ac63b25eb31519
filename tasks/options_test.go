package tasks_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/paulmach/orb"

	"github.com/tessera-gis/tessera/mosaic"
	"github.com/tessera-gis/tessera/raster/rastertest"
	"github.com/tessera-gis/tessera/tasks"
)

// TestAddImageContextOptions runs AddImage with each context option.
func TestAddImageContextOptions(t *testing.T) {
	t.Parallel()
	b := setup(t)
	dir := filepath.Join(b.dir, "src")
	bordered := tile(t, dir, "bordered.tif", 0, rastertest.NoData(0), rastertest.NoDataBorder(8))
	framed := tile(t, dir, "framed.tif", 1, rastertest.Fill(func(_, x, y int) float64 {
		if x < 16 || y < 16 || x >= 48 || y >= 48 {
			return 7
		}
		return 100
	}))
	before := rastertest.Checksums(t, bordered, framed)
	fullBound := func(i float64) orb.Bound {
		return orb.Bound{Min: orb.Point{500000 + 640*i, 4999360}, Max: orb.Point{500640 + 640*i, 5000000}}
	}
	cases := []struct {
		name  string
		src   string
		ctx   string
		rt    string
		check func(t *testing.T, it *mosaic.Item, j *mosaic.Job)
	}{
		{"default footprint is the image bounds", bordered, "", "", func(t *testing.T, it *mosaic.Item, _ *mosaic.Job) {
			if got := it.Footprint.Bound(); got != fullBound(0) {
				t.Errorf("bound %v", got)
			}
		}},
		{"buildFootprints honours nodata", bordered, `{"buildFootprints": true}`, "", func(t *testing.T, it *mosaic.Item, _ *mosaic.Job) {
			want := orb.Bound{Min: orb.Point{500080, 4999440}, Max: orb.Point{500560, 4999920}}
			if got := it.Footprint.Bound(); !near(got, want, 1e-6) {
				t.Errorf("bound %v, want %v", got, want)
			}
			if a := it.Attributes["Shape_Area"].(float64); a > 480*480+1 || a < 480*480-1 {
				t.Errorf("Shape_Area %g", a)
			}
		}},
		{"footprintsArguments RADIOMETRY", bordered, `{"footprintsArguments": {"method": "RADIOMETRY"}}`, "", func(t *testing.T, it *mosaic.Item, _ *mosaic.Job) {
			if got := it.Footprint.Bound(); got == fullBound(0) {
				t.Errorf("bound %v is the image bounds", got)
			}
		}},
		{"buildFootprints in rasterTypeParameters", bordered, "", `{"rasterTypeName":"Raster Dataset","rasterTypeParameters":{"buildFootprints":true}}`,
			func(t *testing.T, it *mosaic.Item, _ *mosaic.Job) {
				if got := it.Footprint.Bound(); got == fullBound(0) {
					t.Errorf("bound %v is the image bounds", got)
				}
			}},
		{"defineNodata with noDataArguments", framed, `{"defineNodata": true, "noDataArguments": {"noDataValues": [7], "numberOfBand": 99}, "buildFootprints": true}`, "",
			func(t *testing.T, it *mosaic.Item, _ *mosaic.Job) {
				if it.Raster.NoData == nil || *it.Raster.NoData != 7 {
					t.Errorf("nodata %v", it.Raster.NoData)
				}
				want := orb.Bound{Min: orb.Point{500640 + 160, 4999360 + 160}, Max: orb.Point{500640 + 480, 5000000 - 160}}
				if got := it.Footprint.Bound(); !near(got, want, 1e-6) {
					t.Errorf("bound %v, want %v", got, want)
				}
			}},
		{"defineNodata false ignores the values", framed, `{"defineNodata": false, "noDataArguments": {"noDataValues": [7]}}`, "",
			func(t *testing.T, it *mosaic.Item, _ *mosaic.Job) {
				if it.Raster.NoData != nil {
					t.Errorf("nodata %v", *it.Raster.NoData)
				}
			}},
		{"computeStatistics", framed, `{"computeStatistics": "true"}`, "", func(t *testing.T, it *mosaic.Item, _ *mosaic.Job) {
			if len(it.Raster.Stats) != 1 || it.Raster.Stats[0].Min != 7 || it.Raster.Stats[0].Max != 100 {
				t.Errorf("stats %+v", it.Raster.Stats)
			}
		}},
		{"no statistics by default", framed, "", "", func(t *testing.T, it *mosaic.Item, _ *mosaic.Job) {
			if len(it.Raster.Stats) != 0 {
				t.Errorf("stats %+v", it.Raster.Stats)
			}
		}},
		{"updateCellSizeRanges off", framed, `{"updateCellSizeRanges": "NO_CELL_SIZES"}`, "", func(t *testing.T, it *mosaic.Item, _ *mosaic.Job) {
			if it.Attributes["MinPS"] != nil || it.Attributes["MaxPS"] != nil || it.Attributes["LowPS"] != 10.0 {
				t.Errorf("MinPS %v MaxPS %v LowPS %v", it.Attributes["MinPS"], it.Attributes["MaxPS"], it.Attributes["LowPS"])
			}
		}},
		{"updateCellSizeRanges on", framed, `{"updateCellSizeRanges": true}`, "", func(t *testing.T, it *mosaic.Item, _ *mosaic.Job) {
			if it.Attributes["MinPS"] != 0.0 || it.Attributes["MaxPS"] != 100.0 {
				t.Errorf("MinPS %v MaxPS %v", it.Attributes["MinPS"], it.Attributes["MaxPS"])
			}
		}},
		{"updateBoundary off", framed, `{"updateBoundary": false}`, "", func(t *testing.T, it *mosaic.Item, _ *mosaic.Job) {}},
		{"unknown keys are reported", framed, `{"buildFootprint": true, "averagezdem": {"url": "x"}}`, "", func(t *testing.T, it *mosaic.Item, j *mosaic.Job) {
			if m := msgs(j); !strings.Contains(m, "Ignored unknown options: buildFootprint.") {
				t.Errorf("messages:\n%s", m)
			}
		}},
	}
	for i, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			name := fmt.Sprintf("Opt%d", i)
			b.create(name, "")
			in := map[string]string{"imageCollection": name, "inputRasters": tc.src}
			if tc.ctx != "" {
				in["context"] = tc.ctx
			}
			if tc.rt != "" {
				in["rasterType"] = tc.rt
			}
			j := b.succeed("AddImage", in)
			items := b.items(name)
			if len(items) != 1 {
				t.Fatalf("%d items", len(items))
			}
			tc.check(t, items[0], j)
			c := b.collection(name)
			if got, want := c.Summary.Extent, items[0].Footprint.Bound(); !near(got, want, 1e-9) {
				t.Errorf("extent %v, want %v", got, want)
			}
		})
	}
	before.AssertUnchanged(t)
}

func near(a, b orb.Bound, tol float64) bool {
	for i := range 2 {
		if d := a.Min[i] - b.Min[i]; d > tol || d < -tol {
			return false
		}
		if d := a.Max[i] - b.Max[i]; d > tol || d < -tol {
			return false
		}
	}
	return true
}

// TestAddImageOutSR sets the spatial reference of a collection created
// without one, and shows outSR is ignored once it has one.
func TestAddImageOutSR(t *testing.T) {
	t.Parallel()
	b := setup(t)
	src := tile(t, filepath.Join(b.dir, "src"), "a.tif", 0)
	b.create("NoSRS", "")
	b.succeed("AddImage", map[string]string{"imageCollection": "NoSRS", "inputRasters": src, "context": `{"outSR": "EPSG:3857"}`})
	if c := b.collection("NoSRS"); c.SRS.WKID != 3857 {
		t.Errorf("SRS %+v", c.SRS)
	}
	j := b.succeed("AddImage", map[string]string{"imageCollection": "NoSRS", "inputRasters": src, "context": `{"outSR": 4326}`})
	if c := b.collection("NoSRS"); c.SRS.WKID != 3857 {
		t.Errorf("SRS %+v", c.SRS)
	}
	if !strings.Contains(msgs(j), "outSR is ignored") {
		t.Errorf("messages:\n%s", msgs(j))
	}
	b.create("FirstRaster", "")
	b.succeed("AddImage", map[string]string{"imageCollection": "FirstRaster", "inputRasters": src})
	if c := b.collection("FirstRaster"); c.SRS.WKID != 32633 {
		t.Errorf("SRS %+v", c.SRS)
	}
}

// TestAddImageDuplicates adds the same paths again with each
// duplicateItemsAction.
func TestAddImageDuplicates(t *testing.T) {
	t.Parallel()
	b := setup(t)
	dir := filepath.Join(b.dir, "src")
	paths := tiles(t, dir, 3)
	before := rastertest.Checksums(t, paths...)
	for _, tc := range []struct {
		action    string
		wantCount [4]int
		wantItems int
	}{
		{"", [4]int{3, 3, 0, 0}, 5},
		{"ALLOW_DUPLICATES", [4]int{3, 3, 0, 0}, 5},
		{"EXCLUDE", [4]int{3, 1, 2, 0}, 3},
		{"EXCLUDE_DUPLICATES", [4]int{3, 1, 2, 0}, 3},
		{"overwrite", [4]int{3, 3, 0, 0}, 3},
	} {
		name := "Dup" + strings.ToUpper(tc.action[:min(len(tc.action), 4)])
		if tc.action == "ALLOW_DUPLICATES" || tc.action == "EXCLUDE_DUPLICATES" {
			name += "D"
		}
		b.create(name, "")
		b.succeed("AddImage", map[string]string{"imageCollection": name, "inputRasters": jsonText(paths[:2])})
		old := b.items(name)
		in := map[string]string{"imageCollection": name, "inputRasters": dir}
		if tc.action != "" {
			in["context"] = `{"duplicateItemsAction": "` + tc.action + `"}`
		}
		j := b.succeed("AddImage", in)
		if c := counts(t, j); c != tc.wantCount {
			t.Errorf("%s: counts %v, want %v\n%s", tc.action, c, tc.wantCount, msgs(j))
		}
		items := b.items(name)
		if len(items) != tc.wantItems {
			t.Errorf("%s: %d items, want %d", tc.action, len(items), tc.wantItems)
		}
		if strings.EqualFold(tc.action, "overwrite") {
			if v := result(t, j)["overwritten"]; v != 2.0 {
				t.Errorf("overwritten = %v", v)
			}
			for _, it := range items {
				for _, o := range old {
					if it.OID == o.OID {
						t.Errorf("OVERWRITE kept item %d", it.OID)
					}
				}
			}
		}
		if strings.HasPrefix(tc.action, "EXCLUDE") && !strings.Contains(msgs(j), "2 duplicates skipped") {
			t.Errorf("messages:\n%s", msgs(j))
		}
	}
	before.AssertUnchanged(t)
}

// orthoSR is an orthographic projection centred near the test rasters: a
// raster that covers the other side of the globe cannot be reprojected to it.
const orthoSR = `"+proj=ortho +lat_0=45 +lon_0=15 +datum=WGS84 +units=m +no_defs"`

// failingInputs writes one good raster and one raster for each kind of
// failure: missing, unreadable, without spatial reference, and one that
// cannot be reprojected to orthoSR (it covers the whole world).
func failingInputs(t *testing.T, dir string) (good string, bad map[string]string) {
	good = tile(t, dir, "good.tif", 0)
	notRaster := filepath.Join(dir, "text.tif")
	if err := os.WriteFile(notRaster, []byte("this is not a GeoTIFF"), 0o644); err != nil {
		t.Fatal(err)
	}
	bad = map[string]string{
		filepath.Join(dir, "missing.tif"): "it is not a readable file inside a registered data store",
		notRaster:                         "GDAL cannot read it as a raster",
		rastertest.GeoTIFF(t, filepath.Join(dir, "nosrs.tif"), rastertest.NoSRS(), rastertest.NoGeoTransform()): "no spatial reference",
		rastertest.GeoTIFF(t, filepath.Join(dir, "world.tif"), rastertest.EPSG(4326), rastertest.Size(36, 18),
			rastertest.GeoTransform([6]float64{-180, 10, 0, 90, 0, -10})): "cannot be reprojected to the collection's spatial reference",
	}
	return good, bad
}

// TestAddImageFailures checks that each failure is one warning naming the
// raster and why, that the rest is added, and that strict adds nothing.
func TestAddImageFailures(t *testing.T) {
	t.Parallel()
	b := setup(t)
	dir := filepath.Join(b.dir, "src")
	good, bad := failingInputs(t, dir)
	inputs := []string{good}
	var existing []string
	for p := range bad {
		inputs = append(inputs, p)
		if _, err := os.Stat(p); err == nil {
			existing = append(existing, p)
		}
	}
	before := rastertest.Checksums(t, append(existing, good)...)

	b.create("Lenient", `{"outSR": `+orthoSR+`}`)
	j := b.succeed("AddImage", map[string]string{"imageCollection": "Lenient", "inputRasters": jsonText(inputs)})
	if c := counts(t, j); c != [4]int{5, 1, 0, 4} {
		t.Errorf("counts %v", c)
	}
	warnings := 0
	for _, m := range j.Messages {
		if m.Type == mosaic.MessageWarning {
			warnings++
		}
	}
	if warnings != 4 {
		t.Errorf("%d warnings, want 4:\n%s", warnings, msgs(j))
	}
	for p, why := range bad {
		re := regexp.MustCompile(`(?m)^warning: Failed to add ` + regexp.QuoteMeta(p) + `: .*` + regexp.QuoteMeta(why))
		if !re.MatchString(msgs(j)) {
			t.Errorf("no warning for %s saying %q:\n%s", p, why, msgs(j))
		}
	}
	if !strings.Contains(msgs(j), "Total 5 rasters: 1 added, 0 skipped as duplicates, 4 failed.") {
		t.Errorf("messages:\n%s", msgs(j))
	}
	if n := len(b.items("Lenient")); n != 1 {
		t.Errorf("%d items", n)
	}

	b.create("Strict", `{"outSR": `+orthoSR+`}`)
	b.succeed("AddImage", map[string]string{"imageCollection": "Strict", "inputRasters": good})
	for p, why := range bad {
		j := b.run("AddImage", map[string]string{"imageCollection": "Strict", "inputRasters": jsonText([]string{good, p}),
			"context": `{"strict": true}`})
		if j.State != mosaic.JobFailed || !strings.Contains(msgs(j), why) || !strings.Contains(msgs(j), "Nothing was added (strict)") {
			t.Errorf("strict with %s: %s\n%s", p, j.State, msgs(j))
		}
		if n := len(b.items("Strict")); n != 1 {
			t.Errorf("strict with %s: %d items, want 1", p, n)
		}
	}
	// strict CreateImageCollection leaves no collection.
	j = b.run("CreateImageCollection", map[string]string{"imageCollection": "StrictNew", "inputRasters": jsonText(inputs),
		"context": `{"strict": true, "outSR": ` + orthoSR + `}`})
	if j.State != mosaic.JobFailed {
		t.Errorf("strict create: %s", j.State)
	}
	err := b.db.View(context.Background(), func(tx mosaic.ReadTx) error {
		_, err := tx.Collection(mosaic.CollectionRef{Name: "StrictNew"})
		return err
	})
	if mosaic.ErrorCode(err) != mosaic.ENOTFOUND {
		t.Errorf("strict create left a collection: %v", err)
	}
	before.AssertUnchanged(t)
}

// TestAddImageBatchesAndCancel cancels an ingest after its first batch is
// read and checks that it added nothing (items commit only with the job's
// success), that progress was reported, and that an uncancelled job
// reports each batch and commits them all at once.
func TestAddImageBatchesAndCancel(t *testing.T) {
	t.Parallel()
	b := setup(t)
	dir := filepath.Join(b.dir, "src")
	paths := tiles(t, dir, 240, rastertest.Size(256, 256), rastertest.NoData(0), rastertest.NoDataBorder(3))
	before := rastertest.Checksums(t, paths...)
	b.create("Batches", "")

	// An uncancelled job reads ceil(240/50) batches, each reported, and
	// commits them in its final transaction.
	j := b.succeed("AddImage", map[string]string{"imageCollection": "Batches", "inputRasters": dir, "context": `{"batchSize": 50}`})
	for i := 1; i <= 4; i++ {
		if !strings.Contains(msgs(j), fmt.Sprintf("Batch %d read: 50 items staged", i)) {
			t.Errorf("no message for batch %d:\n%s", i, msgs(j))
		}
	}
	if !strings.Contains(msgs(j), "Committed 240 items in one transaction") {
		t.Errorf("no commit message:\n%s", msgs(j))
	}
	if v := result(t, j)["batches"]; v != 5.0 {
		t.Errorf("batches = %v", v)
	}
	if n := len(b.items("Batches")); n != 240 {
		t.Errorf("%d items, want 240", n)
	}

	b.create("Cancelled", "")
	schema := b.collection("Cancelled")
	ctx := context.Background()
	sub, err := b.engine.Submit(ctx, "AddImage", map[string]string{"imageCollection": "Cancelled", "inputRasters": dir,
		"context": `{"batchSize": 10, "buildFootprints": true, "computeStatistics": true}`}, admin)
	if err != nil {
		t.Fatal(err)
	}
	sawProgress := false
	deadline := time.Now().Add(time.Minute)
	for time.Now().Before(deadline) {
		cur, err := b.engine.Job(ctx, sub.ID)
		if err != nil {
			t.Fatal(err)
		}
		if cur.Progress != nil && strings.HasPrefix(cur.Progress.Message, "Read ") {
			sawProgress = true
		}
		if cur.State.Terminal() || strings.Contains(msgs(cur), "Batch 2 read") {
			break
		}
		time.Sleep(2 * time.Millisecond)
	}
	if _, err := b.engine.Cancel(ctx, sub.ID); err != nil {
		t.Fatal(err)
	}
	var final *mosaic.Job
	for time.Now().Before(deadline) {
		if final, err = b.engine.Job(ctx, sub.ID); err != nil {
			t.Fatal(err)
		}
		if final.State.Terminal() {
			break
		}
		time.Sleep(10 * time.Millisecond)
	}
	if final.State == mosaic.JobSucceeded {
		t.Skip("the job finished before the cancel landed")
	}
	if final.State != mosaic.JobCancelled {
		t.Fatalf("state %s\n%s", final.State, msgs(final))
	}
	if !sawProgress {
		t.Error("no progress was reported while the job ran")
	}
	if n := len(b.items("Cancelled")); n != 0 {
		t.Errorf("%d items after cancel, want 0:\n%s", n, msgs(final))
	}
	if !strings.Contains(msgs(final), "Batch 1 read: 10 items staged") || !strings.Contains(msgs(final), "nothing was added") {
		t.Errorf("messages:\n%s", msgs(final))
	}
	after := b.collection("Cancelled")
	if !reflect.DeepEqual(after.Fields, schema.Fields) || after.Summary.Count != 0 || !after.SRS.IsZero() {
		t.Errorf("a cancelled job changed the collection: fields %v, count %d, srs %+v", after.Fields, after.Summary.Count, after.SRS)
	}
	assertNoStages(t, sub.ID)
	before.AssertUnchanged(t)
}

// assertNoStages fails if a job left staged items on disk.
func assertNoStages(t *testing.T, jobID string) {
	t.Helper()
	if left, _ := filepath.Glob(filepath.Join(os.TempDir(), "tessera-ingest-"+jobID+"-*")); len(left) > 0 {
		t.Errorf("job %s left staged items: %v", jobID, left)
	}
}

// TestAddImageSpillsToStage ingests more items than an ingest keeps in
// memory: the first batches are held, then every batch goes to the stage
// file, and all commit once, in input order, leaving no stage file behind.
// Not parallel: it lowers a package-wide limit.
func TestAddImageSpillsToStage(t *testing.T) {
	defer tasks.SetHeldItems(60)()
	b := setup(t)
	dir := filepath.Join(b.dir, "src")
	paths := tiles(t, dir, 130)
	b.create("Spill", "")
	j := b.succeed("AddImage", map[string]string{"imageCollection": "Spill", "inputRasters": dir, "context": `{"batchSize": 25}`})
	if !strings.Contains(msgs(j), "Batch 5 read: 25 items staged") || !strings.Contains(msgs(j), "Committed 130 items in one transaction") {
		t.Errorf("messages:\n%s", msgs(j))
	}
	items := b.items("Spill")
	if len(items) != len(paths) {
		t.Fatalf("%d items, want %d", len(items), len(paths))
	}
	for i, it := range items {
		if it.Path != paths[i] {
			t.Fatalf("item %d is %s, want %s", i+1, it.Path, paths[i])
		}
	}
	assertNoStages(t, j.ID)
}

// TestAddImageFailsInFinalRead fails an ingest on its last raster, which
// the final transaction reads (it begins while the last rasters are
// read): strict adds nothing and leaves the collection as it was, with
// the messages of a failure read earlier; lenient adds the rest.
func TestAddImageFailsInFinalRead(t *testing.T) {
	t.Parallel()
	b := setup(t)
	dir := filepath.Join(b.dir, "src")
	tiles(t, dir, 60)
	missing := filepath.Join(b.dir, "missing.tif")
	inputs := jsonText([]string{dir, missing})
	b.create("Tail", "")
	j := b.run("AddImage", map[string]string{"imageCollection": "Tail", "inputRasters": inputs, "context": `{"strict": true, "batchSize": 10}`})
	if j.State != mosaic.JobFailed || !strings.Contains(msgs(j), "Nothing was added (strict)") ||
		!strings.Contains(msgs(j), "Stopped at the first failure (strict) after reading 61 of 61 rasters: 60 readable") {
		t.Errorf("strict: %s\n%s", j.State, msgs(j))
	}
	if c := b.collection("Tail"); c.Summary.Count != 0 || !c.SRS.IsZero() || len(b.items("Tail")) != 0 {
		t.Errorf("strict changed the collection: %d items, srs %+v", c.Summary.Count, c.SRS)
	}
	j = b.run("CreateImageCollection", map[string]string{"imageCollection": "TailNew", "inputRasters": inputs,
		"context": `{"strict": true}`})
	if j.State != mosaic.JobFailed {
		t.Errorf("strict create: %s", j.State)
	}
	err := b.db.View(context.Background(), func(tx mosaic.ReadTx) error {
		_, err := tx.Collection(mosaic.CollectionRef{Name: "TailNew"})
		return err
	})
	if mosaic.ErrorCode(err) != mosaic.ENOTFOUND {
		t.Errorf("strict create left a collection: %v", err)
	}
	j = b.succeed("AddImage", map[string]string{"imageCollection": "Tail", "inputRasters": inputs, "context": `{"batchSize": 10}`})
	if c := counts(t, j); c != [4]int{61, 60, 0, 1} || !strings.Contains(msgs(j), "Failed to add "+missing) ||
		!strings.Contains(msgs(j), "Batch 6 read: 10 items staged") {
		t.Errorf("lenient: counts %v\n%s", c, msgs(j))
	}
	if n := len(b.items("Tail")); n != 60 {
		t.Errorf("%d items, want 60", n)
	}
	assertNoStages(t, j.ID)
}
