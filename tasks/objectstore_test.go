package tasks_test

import (
	"net/url"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/tessera-gis/tessera/raster/rastertest"
)

// TestAddImageObjectStores reads s3://, gs:// and az:// URLs through GDAL's
// /vsis3/, /vsigs/ and /vsiaz/, against a local HTTP server standing in for
// each store's endpoint. It sets environment variables, so it does not run
// in parallel.
func TestAddImageObjectStores(t *testing.T) {
	b := setup(t)
	root := filepath.Join(b.dir, "stores")
	srcs := []string{
		tile(t, filepath.Join(root, "bucket", "s2"), "a.tif", 0),
		tile(t, filepath.Join(root, "gbucket"), "b.tif", 1),
		tile(t, filepath.Join(root, "acc", "container"), "c.tif", 2),
	}
	before := rastertest.Checksums(t, srcs...)
	srv := fileServer(t, root)
	u, _ := url.Parse(srv)
	t.Setenv("AWS_NO_SIGN_REQUEST", "YES")
	t.Setenv("AWS_S3_ENDPOINT", u.Host)
	t.Setenv("AWS_HTTPS", "NO")
	t.Setenv("AWS_VIRTUAL_HOSTING", "FALSE")
	t.Setenv("GS_NO_SIGN_REQUEST", "YES")
	t.Setenv("CPL_GS_ENDPOINT", srv+"/")
	t.Setenv("AZURE_STORAGE_CONNECTION_STRING", "DefaultEndpointsProtocol=http;AccountName=acc;AccountKey=a2V5;BlobEndpoint="+srv+"/acc")

	b.create("Stores", `{"outSR": 32633}`)
	j := b.succeed("AddImage", map[string]string{"imageCollection": "Stores",
		"inputRasters": `{"urls": ["s3://bucket/s2/a.tif", "gs://gbucket/b.tif", "az://container/c.tif"]}`})
	var got []string
	for _, it := range b.items("Stores") {
		got = append(got, it.Path)
	}
	sort.Strings(got)
	want := "/vsiaz/container/c.tif /vsigs/gbucket/b.tif /vsis3/bucket/s2/a.tif"
	if strings.Join(got, " ") != want {
		t.Errorf("items %v, want %s\n%s", got, want, msgs(j))
	}
	before.AssertUnchanged(t)
}
