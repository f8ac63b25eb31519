package tasks_test

import (
	"testing"

	"github.com/tessera-gis/tessera/tasks"
)

func TestLenientJSON(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name, in, want string
	}{
		{"strict", `{"url":"https://h/a/ImageServer"}`, `{"url":"https://h/a/ImageServer"}`},
		{"python repr", `{'url': 'https://h/a/ImageServer', 'byref': True, 'x': None, 'y': False}`,
			`{"url": "https://h/a/ImageServer", "byref": true, "x": null, "y": false}`},
		{"double encoded", `"{\"uris\":[\"/a.tif\"]}"`, `{"uris":["/a.tif"]}`},
		{"plain JSON string stays", `"Demo"`, `"Demo"`},
		{"trailing commas", `{"a": [1, 2,], "b": 3,}`, `{"a": [1, 2], "b": 3}`},
		{"bare keys", `{outSR: {wkid: 32633}}`, `{"outSR": {"wkid": 32633}}`},
		{"numbers", `{'a': -1.5e3, 'b': [0.25, 1E-2]}`, `{"a": -1.5e3, "b": [0.25, 1E-2]}`},
		{"quotes inside strings", `{'where': 'Name = "x", y', 'q': "it's"}`, `{"where": "Name = \"x\", y", "q": "it's"}`},
		{"escaped single quote", `{'a': 'it\'s'}`, `{"a": "it's"}`},
		{"bom", "\ufeff{\"a\":1}", `{"a":1}`},
		{"unicode", `{'n': 'Zürich \u00e9'}`, `{"n": "Zürich é"}`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := tasks.LenientJSON(tc.in)
			if err != nil {
				t.Fatalf("LenientJSON(%s): %v", tc.in, err)
			}
			if string(got) != tc.want {
				t.Errorf("LenientJSON(%s) = %s, want %s", tc.in, got, tc.want)
			}
		})
	}
	for _, bad := range []string{`{url: https://x}`, `{'a': 'unterminated}`, `not json`, `{"a": 1`, `{'a': Nope}`} {
		if got, err := tasks.LenientJSON(bad); err == nil {
			t.Errorf("LenientJSON(%s) = %s, want an error", bad, got)
		}
	}
}
