package tasks_test

import (
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/tessera-gis/tessera/mosaic"
)

// TestFailedIngestChangesNothing: an AddImage, or a CreateImageCollection
// with rasters, in which every raster fails, fails with each file's reason
// and leaves the catalog, the fields and the spatial reference as they
// were; so does a Table ingest whose rows all fail, although its manifest
// has new columns. An ingest whose items are all duplicates left out
// succeeds and adds no field either.
func TestFailedIngestChangesNothing(t *testing.T) {
	t.Parallel()
	b := setup(t)
	dir := filepath.Join(b.dir, "data")
	paths := tiles(t, filepath.Join(dir, "tiles"), 2)
	junk := writeFile(t, filepath.Join(dir, "junk.tif"), "not a raster")
	missing := filepath.Join(dir, "missing.tif")

	b.create("Empty", "") // no spatial reference yet: the first raster would set it
	schema := b.collection("Empty")
	unchanged := func(what string) {
		t.Helper()
		c := b.collection("Empty")
		if !reflect.DeepEqual(c.Fields, schema.Fields) || c.Summary.Count != 0 || !c.SRS.IsZero() {
			t.Errorf("%s changed the collection: fields %v, count %d, srs %+v", what, c.Fields, c.Summary.Count, c.SRS)
		}
	}

	j := b.run("AddImage", map[string]string{"imageCollection": "Empty", "inputRasters": jsonText([]string{junk, missing})})
	m := msgs(j)
	if j.State != mosaic.JobFailed || !strings.Contains(m, "None of the 2 rasters could be added; nothing was changed.") ||
		!strings.Contains(m, "Failed to add "+junk) || !strings.Contains(m, "Failed to add "+missing) {
		t.Errorf("every raster failing: %s\n%s", j.State, m)
	}
	unchanged("a failed AddImage")

	manifest := writeFile(t, filepath.Join(dir, "bad.csv"),
		"Raster,Region,Quality\njunk.tif,north,3\nmissing.tif,south,4\n")
	j = b.run("AddImage", map[string]string{"imageCollection": "Empty", "inputRasters": manifest, "rasterType": "Table"})
	if j.State != mosaic.JobFailed || !strings.Contains(msgs(j), "Failed to add row 2 of bad.csv") {
		t.Errorf("a manifest whose rows all fail: %s\n%s", j.State, msgs(j))
	}
	unchanged("a failed Table AddImage")

	j = b.run("CreateImageCollection", map[string]string{"imageCollection": "NeverMade", "inputRasters": junk})
	if j.State != mosaic.JobFailed {
		t.Errorf("CreateImageCollection of a bad raster: %s\n%s", j.State, msgs(j))
	}
	if c, err := func() (*mosaic.Collection, error) {
		var c *mosaic.Collection
		err := b.db.View(t.Context(), func(tx mosaic.ReadTx) (err error) {
			c, err = tx.Collection(mosaic.CollectionRef{Name: "NeverMade"})
			return err
		})
		return c, err
	}(); mosaic.ErrorCode(err) != mosaic.ENOTFOUND {
		t.Errorf("a failed CreateImageCollection left %v (%v)", c, err)
	}

	// One good raster among bad ones still succeeds, with warnings.
	b.create("Mixed", "")
	j = b.succeed("AddImage", map[string]string{"imageCollection": "Mixed", "inputRasters": jsonText([]string{paths[0], junk})})
	if c := counts(t, j); c != [4]int{2, 1, 0, 1} || !strings.Contains(msgs(j), "warning: Failed to add "+junk) {
		t.Errorf("mixed: %v\n%s", c, msgs(j))
	}

	// A manifest with new columns whose rasters are all in the collection
	// already: with EXCLUDE nothing is added, so no field is either.
	b.create("Dups", "")
	b.succeed("AddImage", map[string]string{"imageCollection": "Dups", "inputRasters": jsonText(paths)})
	before := b.collection("Dups")
	dups := writeFile(t, filepath.Join(dir, "dups.csv"), "Raster,Region\ntiles/t000.tif,north\ntiles/t001.tif,south\n")
	j = b.succeed("AddImage", map[string]string{"imageCollection": "Dups", "inputRasters": dups, "rasterType": "Table",
		"context": `{"duplicateItemsAction": "EXCLUDE"}`})
	if c := counts(t, j); c != [4]int{2, 0, 2, 0} {
		t.Errorf("duplicates: counts %v\n%s", c, msgs(j))
	}
	after := b.collection("Dups")
	if _, ok := after.Field("Region"); ok || !reflect.DeepEqual(after.Fields, before.Fields) || after.Summary.Count != 2 {
		t.Errorf("an ingest that added nothing changed the schema: %v", after.Fields)
	}
	// The same manifest with ALLOW adds its items and its field together.
	j = b.succeed("AddImage", map[string]string{"imageCollection": "Dups", "inputRasters": dups, "rasterType": "Table"})
	if _, ok := b.collection("Dups").Field("Region"); !ok || counts(t, j)[1] != 2 {
		t.Errorf("ALLOW: no Region field or %v added\n%s", counts(t, j), msgs(j))
	}
	assertNoStages(t, j.ID)
}
