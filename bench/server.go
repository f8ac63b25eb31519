package main

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"
)

// Server is a tessera process started for a benchmark.
type Server struct {
	URL  string // …/arcgis
	cmd  *exec.Cmd
	done chan struct{}
	mu   sync.Mutex
	logs strings.Builder
}

var servingRE = regexp.MustCompile(`url=(http://\S+)/rest/services`)

// StartServer runs "tessera serve --addr 127.0.0.1:0 --data dir args…" and
// waits until it serves.
func StartServer(ctx context.Context, env *Env, dir string, args ...string) (*Server, error) {
	s := &Server{done: make(chan struct{})}
	s.cmd = exec.Command(env.Binary, append([]string{"serve", "--addr", "127.0.0.1:0", "--data", dir}, args...)...)
	stderr, err := s.cmd.StderrPipe()
	if err != nil {
		return nil, err
	}
	if err := s.cmd.Start(); err != nil {
		return nil, err
	}
	urlc := make(chan string, 1)
	go func() {
		defer close(s.done)
		sc := bufio.NewScanner(stderr)
		sc.Buffer(make([]byte, 1<<20), 1<<20)
		for sc.Scan() {
			line := sc.Text()
			s.mu.Lock()
			s.logs.WriteString(line + "\n")
			s.mu.Unlock()
			if m := servingRE.FindStringSubmatch(line); m != nil {
				select {
				case urlc <- m[1]:
				default:
				}
			}
		}
		s.cmd.Wait()
	}()
	select {
	case s.URL = <-urlc:
		return s, nil
	case <-s.done:
		return nil, fmt.Errorf("tessera exited: %s", s.Logs())
	case <-ctx.Done():
		s.Stop()
		return nil, ctx.Err()
	case <-time.After(10 * time.Minute):
		s.Stop()
		return nil, fmt.Errorf("tessera did not start: %s", s.Logs())
	}
}

// Logs returns the server's stderr so far.
func (s *Server) Logs() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.logs.String()
}

// Stop ends the server with SIGTERM and waits.
func (s *Server) Stop() {
	select {
	case <-s.done:
		return
	default:
	}
	s.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-s.done:
	case <-time.After(time.Minute):
		s.cmd.Process.Kill()
		<-s.done
	}
}

// PeakRSS returns the server's peak resident set size (VmHWM) in bytes.
func (s *Server) PeakRSS() int64 { return peakRSS(s.cmd.Process.Pid) }

func peakRSS(pid int) int64 {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(b), "\n") {
		if strings.HasPrefix(line, "VmHWM:") {
			f := strings.Fields(line)
			if len(f) >= 2 {
				kb, _ := strconv.ParseInt(f[1], 10, 64)
				return kb << 10
			}
		}
	}
	return 0
}

// GP returns the URL of a GP task.
func (s *Server) GP(task string) string {
	return s.URL + "/rest/services/System/RasterAnalysisTools/GPServer/" + task
}

var client = &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 256}, Timeout: 30 * time.Minute}

// PostJSON POSTs a form with f=json and decodes the answer; an Esri error
// envelope is returned as an error.
func PostJSON(ctx context.Context, u string, form url.Values) (map[string]any, error) {
	if form.Get("f") == "" {
		form.Set("f", "json")
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, u, strings.NewReader(form.Encode()))
	if err != nil {
		return nil, err
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	resp, err := client.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		return nil, err
	}
	var m map[string]any
	if err := json.Unmarshal(body, &m); err != nil {
		return nil, fmt.Errorf("%s: not JSON: %.200s", u, body)
	}
	if e, ok := m["error"]; ok {
		return nil, fmt.Errorf("%s: %v", u, e)
	}
	return m, nil
}

// RunJob submits a task and polls its job every poll interval until it is
// terminal, as a client does. It returns the job JSON and the time from
// submit to the first poll that saw the terminal status.
func RunJob(ctx context.Context, s *Server, task string, form url.Values, poll time.Duration) (map[string]any, time.Duration, error) {
	start := time.Now()
	m, err := PostJSON(ctx, s.GP(task)+"/submitJob", form)
	if err != nil {
		return nil, 0, err
	}
	id, _ := m["jobId"].(string)
	if id == "" {
		return nil, 0, fmt.Errorf("submit %s: %v", task, m)
	}
	for {
		j, err := PostJSON(ctx, s.GP(task)+"/jobs/"+id, url.Values{"returnMessages": {"false"}})
		if err != nil {
			return nil, 0, err
		}
		switch j["jobStatus"] {
		case "esriJobSucceeded":
			return j, time.Since(start), nil
		case "esriJobFailed", "esriJobCancelled", "esriJobTimedOut":
			full, _ := PostJSON(ctx, s.GP(task)+"/jobs/"+id, url.Values{})
			return full, time.Since(start), fmt.Errorf("job %s %v: %v", id, j["jobStatus"], full["messages"])
		}
		select {
		case <-ctx.Done():
			return nil, 0, ctx.Err()
		case <-time.After(poll):
		}
	}
}
