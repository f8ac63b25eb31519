package tasks

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/paulmach/orb"

	"github.com/tessera-gis/tessera/mosaic"
)

// TestStageRoundTrip: staged items come back as they went in, every
// attribute type included, batch by batch and more than once (a final
// transaction may run twice); the file is the job's (jobs.CreateTemp), so
// that the engine removes it if the process dies, and remove deletes it.
func TestStageRoundTrip(t *testing.T) {
	nd := -9999.0
	when := time.Date(2024, 5, 1, 10, 0, 0, 0, time.UTC)
	batches := [][]*mosaic.Item{
		{{Path: "/data/a.tif", Footprint: orb.Polygon{{{0, 0}, {1, 0}, {1, 1}, {0, 0}}},
			Attributes: map[string]any{"Name": "a", "Count": int64(3), "Cloud": 12.5, "When": when, "Blank": nil},
			Raster:     mosaic.RasterInfo{Width: 10, Height: 10, Bands: 3, PixelType: "U8", NoData: &nd, Stats: []mosaic.BandStats{{Min: 1, Max: 2}}}}},
		{{Path: "/data/b.tif", Footprint: orb.Polygon{{{0, 0}, {2, 0}, {2, 2}, {0, 0}}}, Attributes: map[string]any{}}},
	}
	s := &stage{jobID: "jtest" + mosaic.NewItemID()}
	defer s.remove()
	for _, b := range batches {
		if err := s.write(b); err != nil {
			t.Fatal(err)
		}
	}
	for range 2 {
		var got [][]*mosaic.Item
		if err := s.each(func(items []*mosaic.Item) error { got = append(got, items); return nil }); err != nil {
			t.Fatal(err)
		}
		if len(got) != 2 || !reflect.DeepEqual(got[0][0].Attributes, batches[0][0].Attributes) ||
			!reflect.DeepEqual(got[0][0].Raster, batches[0][0].Raster) || !reflect.DeepEqual(got[1][0].Footprint, batches[1][0].Footprint) ||
			got[1][0].Path != "/data/b.tif" {
			t.Fatalf("read back %+v %+v", got[0][0], got[1][0])
		}
	}
	name := s.f.Name()
	if !strings.HasPrefix(filepath.Base(name), "tessera-job-"+s.jobID+"-") {
		t.Errorf("stage file %s is not named after its job", name)
	}
	s.remove()
	if _, err := os.Stat(name); !os.IsNotExist(err) {
		t.Errorf("remove left %s: %v", name, err)
	}
}
