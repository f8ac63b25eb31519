package server_test

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/paulmach/orb"

	"github.com/tessera-gis/tessera/mosaic"
	"github.com/tessera-gis/tessera/mosaic/sqlite"
	"github.com/tessera-gis/tessera/server"
)

// noStreamStore hides the store's ItemStreamer, so that a server built on
// it answers every query the general way (Items, then encoding/json).
type noStreamStore struct{ mosaic.Store }

func (s noStreamStore) View(ctx context.Context, fn func(tx mosaic.ReadTx) error) error {
	return s.Store.View(ctx, func(tx mosaic.ReadTx) error { return fn(struct{ mosaic.ReadTx }{tx}) })
}

// TestQueryStreamMatchesEncoder checks that the streamed query pages are
// byte for byte what the general path writes, headers included, for every
// shape of answer: paging, field lists, no geometry, holes, escaping,
// reprojection, generalization, JSONP and GeoJSON.
func TestQueryStreamMatchesEncoder(t *testing.T) {
	t.Parallel()
	f := newImageFixture(t, server.Config{MaxRecordCount: 3})
	general := httptest.NewServer(server.New(server.Config{Store: noStreamStore{f.db}, Projector: mercator{}, MaxRecordCount: 3,
		OutputDir: t.TempDir()}))
	defer general.Close()
	web := strings.Replace(f.IS(), "/Golden/", "/Web/", 1)
	queries := []string{
		"where=1%3D1&outFields=*",
		"where=1%3D1&outFields=*&resultOffset=3",
		"where=1%3D1&outFields=*&resultOffset=2&resultRecordCount=2",
		"where=1%3D1&outFields=Name,AcquisitionDate&resultOffset=3",
		"objectIds=4&outFields=Name",
		"objectIds=5&outFields=*",
		"where=CloudCover+%3E+20&outFields=Name,CloudCover&orderByFields=CloudCover+DESC&returnGeometry=false",
		"where=CloudCover+%3E+200&outFields=*",
		"where=1%3D1",
		"geometry=600050,5300050,600120,5300090&geometryType=esriGeometryEnvelope&outFields=*",
		"where=1%3D1&outFields=*&outSR=4326",
		"where=1%3D1&outFields=*&outSR=102100",
		"where=1%3D1&outFields=*&maxAllowableOffset=5",
		"where=1%3D1&outFields=*&callback=cb",
		"where=1%3D1&outFields=*&callback=dojo.io.script.jsonp_cb1._callback",
	}
	for _, path := range []string{f.IS(), web} {
		for _, q := range queries {
			for _, format := range []string{"json", "geojson"} {
				u := "/query?" + q + "&f=" + format
				got, gotCT := get(t, path+u)
				want, wantCT := get(t, strings.Replace(path, f.srv.URL, general.URL, 1)+u)
				if !bytes.Equal(got, want) || gotCT != wantCT {
					t.Errorf("%s:\nstreamed (%s):\n%s\ngeneral (%s):\n%s", u, gotCT, got, wantCT, want)
				}
			}
		}
	}
	// Errors are the same envelope.
	for _, q := range []string{"where=nosuch%3D1&outFields=*", "outFields=NoSuch", "maxAllowableOffset=-1", "maxAllowableOffset=x"} {
		u := f.IS() + "/query?" + q + "&f=json"
		got, _ := get(t, u)
		want, _ := get(t, strings.Replace(u, f.srv.URL, general.URL, 1))
		if !bytes.Equal(got, want) || !bytes.Contains(got, []byte(`"error"`)) {
			t.Errorf("%s: streamed %s, general %s", q, got, want)
		}
	}
}

// BenchmarkQueryPage measures one 1,000-feature page (every field, with
// footprints) through the HTTP handler, streamed and the general way, and
// reports allocations per feature:
//
//	go test -run '^$' -bench QueryPage -benchmem ./server
func BenchmarkQueryPage(b *testing.B) {
	ctx := context.Background()
	db, err := sqlite.Open(ctx, filepath.Join(b.TempDir(), "tessera.db"))
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	c := &mosaic.Collection{Name: "Page", SRS: mosaic.SpatialRef{WKID: 32633}}
	var items []*mosaic.Item
	for i := range 1000 {
		x, y := 400000+float64(i%40)*2560, 5000000+float64(i/40)*2560
		items = append(items, &mosaic.Item{Path: fmt.Sprintf("/data/t%04d.tif", i),
			Footprint: orb.Bound{Min: orb.Point{x + 0.25, y + 0.5}, Max: orb.Point{x + 2560.75, y + 2560.125}}.ToPolygon(),
			Attributes: map[string]any{"Name": fmt.Sprintf("T%05d_20150101", i), "CloudCover": float64(i%1000) / 10,
				"AcquisitionDate": time.Date(2015, 1, 1+i%365, 0, 0, 0, 0, time.UTC), "SensorName": "Sentinel-2A",
				"ProductName": "L2A", "MinPS": 0.0, "MaxPS": 40.0, "LowPS": 10.0, "HighPS": 10.0, "ZOrder": int64(0)}})
	}
	if err := db.Update(ctx, func(tx mosaic.Tx) error {
		if err := tx.CreateCollection(c); err != nil {
			return err
		}
		_, err := tx.AddItems(c, items, mosaic.AddOptions{})
		return err
	}); err != nil {
		b.Fatal(err)
	}
	for _, bc := range []struct {
		name  string
		store mosaic.Store
	}{{"streamed", db}, {"general", noStreamStore{db}}} {
		b.Run(bc.name, func(b *testing.B) {
			srv := httptest.NewServer(server.New(server.Config{Store: bc.store, MaxRecordCount: 1000, OutputDir: b.TempDir(), Logger: slog.New(slog.DiscardHandler)}))
			defer srv.Close()
			u := srv.URL + "/arcgis/rest/services/Page/ImageServer/query?where=1%3D1&outFields=*&f=json"
			b.ReportAllocs()
			for b.Loop() {
				resp, err := http.Get(u)
				if err != nil {
					b.Fatal(err)
				}
				io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
			}
			b.ReportMetric(float64(testing.AllocsPerRun(5, func() {
				resp, err := http.Get(u)
				if err == nil {
					io.Copy(io.Discard, resp.Body)
					resp.Body.Close()
				}
			}))/1000, "allocs/feature")
		})
	}
}
