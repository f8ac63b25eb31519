package client_test

import (
	"testing"

	"github.com/tessera-gis/tessera/internal/client"
)

// TestNew: the root URL is found from what people paste.
func TestNew(t *testing.T) {
	t.Parallel()
	tests := []struct{ in, want string }{
		{"http://127.0.0.1:8080/arcgis", "http://127.0.0.1:8080/arcgis"},
		{"http://127.0.0.1:8080/arcgis/", "http://127.0.0.1:8080/arcgis"},
		{"http://127.0.0.1:8080", "http://127.0.0.1:8080/arcgis"},
		{"https://gis.example.com/arcgis/rest/services?f=json", "https://gis.example.com/arcgis"},
		{"https://gis.example.com/proxy/arcgis/rest/services/Demo/ImageServer", "https://gis.example.com/proxy/arcgis"},
		{" http://h:1/arcgis#x ", "http://h:1/arcgis"},
	}
	for _, tt := range tests {
		c, err := client.New(tt.in, "")
		if err != nil || c.URL != tt.want {
			t.Errorf("New(%q) = %v, %v; want %s", tt.in, c, err, tt.want)
		}
	}
	for _, bad := range []string{"", "127.0.0.1:8080", "ftp://h/arcgis", "http:///arcgis", "://x"} {
		if _, err := client.New(bad, ""); err == nil {
			t.Errorf("New(%q) accepted", bad)
		}
	}
}

// TestErrors: the error kinds scripts tell apart.
func TestErrors(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		err        error
		auth, miss bool
	}{
		{&client.Error{Code: 498}, true, false},
		{&client.Error{Code: 499}, true, false},
		{&client.Error{Code: 403}, true, false},
		{&client.Error{Code: 404}, false, true},
		{&client.Error{Code: 400}, false, false},
		{&client.ResponseError{Status: 404}, false, false},
	} {
		if client.IsAuth(tt.err) != tt.auth || client.IsNotFound(tt.err) != tt.miss {
			t.Errorf("%v: IsAuth %v, IsNotFound %v", tt.err, client.IsAuth(tt.err), client.IsNotFound(tt.err))
		}
	}
	e := &client.Error{Code: 400, Message: "Invalid where.", Details: []string{"Unknown field Nope at 1."}}
	if got := e.Error(); got != "Invalid where. Unknown field Nope at 1. (code 400)" {
		t.Errorf("Error() = %q", got)
	}
}
