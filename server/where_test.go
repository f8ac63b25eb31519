package server_test

import (
	"bytes"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/tessera-gis/tessera/server"
)

// TestQueryWhereNever500 sends ImageServer/query the where clauses that
// used to reach an internal error, or that issue 15 decided to refuse, over
// real HTTP to a real SQLite store: each gets an Esri error envelope with
// code 400 (in an HTTP 200, as ArcGIS sends it) that says what is wrong.
func TestQueryWhereNever500(t *testing.T) {
	t.Parallel()
	f := newImageFixture(t, server.Config{})
	for _, tc := range []struct{ where, want string }{
		{"ABS(-9223372036854775808) > 0", "integer overflow at 1:1"},
		{"OBJECTID = 9223372036854775808", "integer 9223372036854775808 is out of range at 1:12"},
		{"9223372036854775807 + 1 > OBJECTID", "integer overflow at 1:21"},
		{"POWER(10, 400) > CloudCover", "double overflow at 1:1"},
		{"CAST(1e19 AS INT) > OBJECTID", "integer overflow at 1:1"},
		// Compiles, but OBJECTID 1 makes ABS's argument the smallest integer.
		{"ABS(OBJECTID - 9223372036854775807 - 2) > 0", "a value is out of range where the clause was evaluated"},
		{"NULL", "the clause must be a condition, not NULL"},
		{"Name LIKE 'a!b' ESCAPE '!'", "invalid escape sequence"},
		{"Name LIKE SensorName", "the LIKE pattern must be a string literal"},
		{"AcquisitionDate > TIMESTAMP '2024-01-01'", "a TIMESTAMP needs a time"},
		{"Name = 'a\x1b[2Jb'", "control character U+001B is not allowed at 1:10"},
	} {
		for _, mode := range []string{"", "returnIdsOnly", "returnCountOnly"} {
			form := url.Values{"where": {tc.where}, "f": {"json"}}
			if mode != "" {
				form.Set(mode, "true")
			}
			resp, err := http.PostForm(f.IS()+"/query", form)
			if err != nil {
				t.Fatal(err)
			}
			var buf bytes.Buffer
			buf.ReadFrom(resp.Body)
			resp.Body.Close()
			code, msg := esriError(t, buf.Bytes())
			if resp.StatusCode != http.StatusOK || code != 400 || !strings.Contains(msg, "Invalid where clause.") ||
				!strings.Contains(msg, tc.want) {
				t.Errorf("%q %s: HTTP %d, error %d %q; want 400 with %q", tc.where, mode, resp.StatusCode, code, msg, tc.want)
			}
		}
	}
	// An integer expression as POWER's exponent works.
	m := getJSON(t, f.IS()+"/query?"+url.Values{"where": {"POWER(2, OBJECTID) > 4"}, "returnIdsOnly": {"true"}, "f": {"json"}}.Encode())
	if got := jsonText(m["objectIds"]); got != "[3,4,5]" {
		t.Errorf("POWER(2, OBJECTID) > 4 selects %s", got)
	}
}
