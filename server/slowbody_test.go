package server_test

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/tessera-gis/tessera/mosaic"
	"github.com/tessera-gis/tessera/server"
)

// slowRenderer takes its time, longer than the body timeout.
type slowRenderer struct{ d time.Duration }

func (s slowRenderer) Render(ctx context.Context, req mosaic.RenderRequest) (*mosaic.Image, error) {
	select {
	case <-time.After(s.d):
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	return &mosaic.Image{Data: []byte("\x89PNG slow stub"), ContentType: "image/png", Extension: "png"}, nil
}

// TestSlowBodies: a body that stalls, or trickles in, is cut off after
// BodyTimeout; a request whose body arrived may take longer to answer,
// and the connection stays usable for the next request.
func TestSlowBodies(t *testing.T) {
	t.Parallel()
	const timeout = 300 * time.Millisecond
	f := newImageFixture(t, server.Config{BodyTimeout: timeout, Renderer: slowRenderer{2 * timeout}})
	addr := strings.TrimPrefix(f.srv.URL, "http://")
	path := "/arcgis/rest/services/Golden/ImageServer/exportImage"

	// dial returns a connection that gives up on the server after 10 s,
	// so a server that never answers fails the test instead of hanging it.
	dial := func(t *testing.T) (net.Conn, *bufio.Reader) {
		c, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { c.Close() })
		c.SetDeadline(time.Now().Add(10 * time.Second))
		return c, bufio.NewReader(c)
	}
	head := func(n int) string {
		return fmt.Sprintf("POST %s HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: %d\r\n\r\n", path, n)
	}
	refused := func(t *testing.T, r *bufio.Reader, start time.Time) {
		t.Helper()
		resp, err := http.ReadResponse(r, nil)
		if err != nil {
			t.Fatalf("no answer: %v", err)
		}
		body, _ := io.ReadAll(resp.Body)
		if !strings.Contains(string(body), "Request body too slow") {
			t.Errorf("answer: %d %s", resp.StatusCode, body)
		}
		if d := time.Since(start); d < timeout || d > 5*time.Second {
			t.Errorf("cut off after %v, want about %v", d, timeout)
		}
	}

	t.Run("stalled", func(t *testing.T) {
		t.Parallel()
		c, r := dial(t)
		start := time.Now()
		fmt.Fprint(c, head(1000)+"bbox=600000,5300000")
		refused(t, r, start)
	})
	t.Run("trickle", func(t *testing.T) {
		t.Parallel()
		c, r := dial(t)
		start := time.Now()
		body := strings.Repeat("x", 60)
		fmt.Fprint(c, head(len(body)))
		go func() {
			for i := range body { // 60 × 20 ms: longer than the timeout
				if _, err := c.Write([]byte{body[i]}); err != nil {
					return
				}
				time.Sleep(20 * time.Millisecond)
			}
		}()
		refused(t, r, start)
	})
	t.Run("slow answer, keep-alive", func(t *testing.T) {
		t.Parallel()
		c, r := dial(t)
		body := "bbox=600000,5300000,600100,5300100&f=image"
		for i := range 2 {
			fmt.Fprint(c, head(len(body))+body)
			resp, err := http.ReadResponse(r, nil)
			if err != nil {
				t.Fatalf("request %d: %v", i+1, err)
			}
			b, _ := io.ReadAll(resp.Body)
			if !strings.Contains(string(b), "PNG slow stub") {
				t.Errorf("request %d: %d %s", i+1, resp.StatusCode, b)
			}
		}
	})
	t.Run("other content types are read under the deadline too", func(t *testing.T) {
		t.Parallel()
		c, r := dial(t)
		start := time.Now()
		fmt.Fprint(c, strings.Replace(head(1000), "application/x-www-form-urlencoded", "application/octet-stream", 1)+"abc")
		refused(t, r, start)
	})
}
