package tasks_test

import (
	"context"
	"strings"
	"testing"
)

// TestAddImageObjectStores: s3://, gs:// and az:// inputs are refused at
// submission, with a message that says why and what to do: GDAL would
// read them with the server's own cloud credentials.
func TestAddImageObjectStores(t *testing.T) {
	t.Parallel()
	b := setup(t)
	b.create("Stores", `{"outSR": 32633}`)
	for _, in := range []string{"s3://bucket/s2/a.tif", "gs://gbucket/b.tif", "az://container/c.tif", "/vsis3/bucket/a.tif",
		`{"urls": ["s3://bucket/s2/a.tif"]}`} {
		_, err := b.engine.Submit(context.Background(), "AddImage", map[string]string{"imageCollection": "Stores", "inputRasters": in}, admin)
		if err == nil || !strings.Contains(err.Error(), "not supported") || !strings.Contains(err.Error(), "--data-store") {
			t.Errorf("%s: %v, want a refusal naming --data-store", in, err)
		}
	}
}
