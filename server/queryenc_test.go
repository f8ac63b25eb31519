package server_test

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/tessera-gis/tessera/mosaic"
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

// BenchmarkQueryPage measures one query page through the handler, to read
// the allocations per feature (go test -bench QueryPage -benchmem ./server).
func BenchmarkQueryPage(b *testing.B) {
	f := newImageFixture(b, server.Config{MaxRecordCount: 1000})
	u := f.IS() + "/query?where=1%3D1&outFields=*&f=json"
	for b.Loop() {
		resp, err := http.Get(u)
		if err != nil {
			b.Fatal(err)
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
	}
}
