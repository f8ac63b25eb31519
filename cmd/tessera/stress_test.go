package main_test

import (
	"context"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// TestQueryJobStress runs the load of TestDataStoreVRTTheft in a loop
// (AddImage of refused and legitimate VRTs, counts, new collections)
// beside readers whose query and exportImage requests are cancelled at
// random moments by client timeouts, and fails if the server dies or
// reports a crash or a data race. Opt-in: TESSERA_E2E_STRESS=seconds
// (with TESSERA_E2E_BINARY, against a server built with -asan).
func TestQueryJobStress(t *testing.T) {
	secs, _ := strconv.Atoi(os.Getenv("TESSERA_E2E_STRESS"))
	if secs <= 0 {
		t.Skip("opt-in: TESSERA_E2E_STRESS=seconds")
	}
	s := startStoreServer(t)
	deadline := time.Now().Add(time.Duration(secs) * time.Second)
	var wg sync.WaitGroup
	var nq, nerr, njobs atomic.Int64
	names := []string{"S"}
	var mu sync.Mutex
	queries := []string{
		"/query?where=1=1&returnCountOnly=true&f=json",
		"/query?where=1=1&outFields=*&f=json",
		"/query?objectIds=1,2,3&outFields=*&returnGeometry=true&f=json",
		"/query?where=Name+LIKE+%27sw%25%27&outFields=Name&f=json",
		"/exportImage?f=image&format=tiff&pixelType=U8&size=8,4&bbox=500000,4999960,500080,5000000&bboxSR=32633",
	}
	for r := range 6 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			rng := rand.New(rand.NewPCG(uint64(r), 7))
			for time.Now().Before(deadline) {
				mu.Lock()
				name := names[rng.IntN(len(names))]
				mu.Unlock()
				u := s.Services() + "/" + name + "/ImageServer" + queries[rng.IntN(len(queries))]
				var ctx context.Context
				var cancel context.CancelFunc
				if rng.IntN(3) == 0 {
					ctx, cancel = context.WithCancel(context.Background())
				} else {
					ctx, cancel = context.WithTimeout(context.Background(), time.Duration(rng.IntN(4000))*time.Microsecond)
				}
				req, _ := http.NewRequestWithContext(ctx, "GET", u, nil)
				resp, err := http.DefaultClient.Do(req)
				if err == nil {
					io.Copy(io.Discard, resp.Body) //nolint:errcheck // test
					resp.Body.Close()
				} else {
					nerr.Add(1)
				}
				cancel()
				nq.Add(1)
				select {
				case <-s.Done():
					return
				default:
				}
			}
		}()
	}
	// The jobs run on the test's goroutine (the helpers call t.Fatal).
	func() {
		rng := rand.New(rand.NewPCG(42, 7))
		i := 0
		for time.Now().Before(deadline) {
			select {
			case <-s.Done():
				return
			default:
			}
			i++
			switch rng.IntN(8) {
			case 0:
				name := fmt.Sprintf("N%d", i)
				id := submit(t, s.proc, "CreateImageCollection", url.Values{"imageCollection": {name}, "context": {`{"outSR": 32633}`}})
				wait(t, s.proc, "CreateImageCollection", id)
				mu.Lock()
				names = append(names, name)
				mu.Unlock()
			case 1, 2:
				vrt := writeFile(t, filepath.Join(s.root, fmt.Sprintf("sw%d.vrt", i)), simpleSourceVRT(s.ok))
				mu.Lock()
				name := names[rng.IntN(len(names))]
				mu.Unlock()
				id := submit(t, s.proc, "AddImage", url.Values{"imageCollection": {name}, "inputRasters": {vrt}})
				wait(t, s.proc, "AddImage", id)
			default:
				p := writeFile(t, filepath.Join(s.root, fmt.Sprintf("evil%d.vrt", i)), rawBandVRT(filepath.Join(s.data, "token.secret")))
				id := submit(t, s.proc, "AddImage", url.Values{"imageCollection": {"S"}, "inputRasters": {p}})
				wait(t, s.proc, "AddImage", id)
			}
			njobs.Add(1)
			count(t, s.proc, "S", "1=1")
		}
	}()
	wg.Wait()
	select {
	case <-s.Done():
		t.Fatalf("server died")
	default:
	}
	if c := crashExcerpt(s.Logs()); c != "" {
		t.Fatalf("server reported:\n%s", c)
	}
	t.Logf("queries %d (client errors %d), jobs %d", nq.Load(), nerr.Load(), njobs.Load())
}
