package server

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"

	"github.com/tessera-gis/tessera/mosaic"
	"github.com/tessera-gis/tessera/mosaic/sqlite"
)

// TestErrorCancelledRequest checks that a bare context error from a
// request whose client went away is reported as a cancelled request (408),
// not logged as an internal error, while the same error from a request
// that is still alive stays an internal error (docs/reliability.md,
// finding 7).
func TestErrorCancelledRequest(t *testing.T) {
	t.Parallel()
	db, err := sqlite.Open(context.Background(), filepath.Join(t.TempDir(), "t.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	var logs bytes.Buffer
	s := New(Config{Store: db, Logger: slog.New(slog.NewTextHandler(&logs, nil))})
	for _, tc := range []struct {
		name     string
		cancel   bool
		err      error
		wantCode int
		wantLog  bool
	}{
		{"client gone", true, fmt.Errorf("read rows: %w", context.Canceled), 408, false},
		{"deadline passed", true, fmt.Errorf("scan: %w", context.DeadlineExceeded), 408, false},
		{"alive, bare context error", false, fmt.Errorf("read rows: %w", context.Canceled), 500, true},
		{"client gone, other error", true, fmt.Errorf("disk on fire"), 500, true},
		// A lost database connection (a blip): 503, try again; not an
		// internal error.
		{"connection lost", false, fmt.Errorf("begin write: %w: %w", mosaic.ErrConnectionLost, errors.New("FATAL: terminating connection")), 503, false},
		{"connection lost, client gone", true, fmt.Errorf("%w: unexpected EOF", mosaic.ErrConnectionLost), 503, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			logs.Reset()
			ctx, cancel := context.WithCancel(context.Background())
			if tc.cancel {
				cancel()
			} else {
				defer cancel()
			}
			hr := httptest.NewRequest("GET", "/arcgis/rest/services/C/ImageServer/query?f=json", nil).WithContext(ctx)
			w := httptest.NewRecorder()
			s.Error(w, hr, tc.err)
			var body struct {
				Error struct {
					Code    int
					Message string
				}
			}
			if err := json.Unmarshal(w.Body.Bytes(), &body); err != nil {
				t.Fatalf("body %q: %v", w.Body, err)
			}
			if body.Error.Code != tc.wantCode {
				t.Errorf("code %d (%q), want %d", body.Error.Code, body.Error.Message, tc.wantCode)
			}
			if tc.wantCode == 503 && body.Error.Message != mosaic.ErrUnavailable {
				t.Errorf("message %q, want %q", body.Error.Message, mosaic.ErrUnavailable)
			}
			if got := strings.Contains(logs.String(), "internal error"); got != tc.wantLog {
				t.Errorf("logged internal error: %v, want %v; log:\n%s", got, tc.wantLog, logs.String())
			}
		})
	}
}
