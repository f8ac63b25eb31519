// Package subprocess runs a tessera binary as a child process, for the
// end-to-end tests and the benchmarks: it starts "tessera serve" on a free
// loopback port, learns the URL from the start-up log line, keeps the log,
// and stops the process with SIGTERM (or SIGKILL, to test crashes).
package subprocess

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"
)

// Server is a running "tessera serve" process.
type Server struct {
	// URL is the server's /arcgis root, e.g. http://127.0.0.1:43211/arcgis
	// (its --public-url's, if given).
	URL string
	// Addr is the address it listens on, e.g. 127.0.0.1:43211.
	Addr string

	cmd  *exec.Cmd
	done chan struct{}
	mu   sync.Mutex
	logs strings.Builder
}

// servingRE finds the URL in the start-up line, logged as text
// (url=http://…) or JSON ("url":"http://…").
var servingRE = regexp.MustCompile(`"?url"?[=:]"?(http://[^\s"]+)/rest/services`)

// addrRE finds the listening address in the same line.
var addrRE = regexp.MustCompile(`"?addr"?[=:]"?([^\s"]+)`)

// Start runs "binary serve --addr 127.0.0.1:0 --data dir args…" and waits
// until it logs that it serves, the process exits, ctx ends or two minutes
// pass.
func Start(ctx context.Context, binary, dir string, args ...string) (*Server, error) {
	s := &Server{done: make(chan struct{})}
	s.cmd = exec.Command(binary, append([]string{"serve", "--addr", "127.0.0.1:0", "--data", dir}, args...)...)
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
				if a := addrRE.FindStringSubmatch(line); a != nil {
					s.mu.Lock()
					s.Addr = a[1]
					s.mu.Unlock()
				}
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
		return nil, fmt.Errorf("tessera exited before serving:\n%s", s.Logs())
	case <-ctx.Done():
		s.Kill()
		return nil, ctx.Err()
	case <-time.After(2 * time.Minute):
		s.Kill()
		return nil, fmt.Errorf("tessera did not start in time:\n%s", s.Logs())
	}
}

// Logs returns what the server wrote to stderr so far.
func (s *Server) Logs() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.logs.String()
}

// Services returns the services directory URL.
func (s *Server) Services() string { return s.URL + "/rest/services" }

// GP returns the URL of a RasterAnalysisTools task.
func (s *Server) GP(task string) string {
	return s.URL + "/rest/services/System/RasterAnalysisTools/GPServer/" + task
}

// Pid returns the process ID.
func (s *Server) Pid() int { return s.cmd.Process.Pid }

// Done is closed when the process has exited.
func (s *Server) Done() <-chan struct{} { return s.done }

// Stop sends SIGTERM and waits for the process to exit. If it has not
// exited within a minute it is killed, and Stop reports that.
func (s *Server) Stop() error {
	select {
	case <-s.done:
		return nil
	default:
	}
	s.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-s.done:
		return nil
	case <-time.After(time.Minute):
		s.Kill()
		return errors.New("tessera did not stop on SIGTERM within a minute; killed it")
	}
}

// Kill sends SIGKILL and waits for the process to exit.
func (s *Server) Kill() {
	s.cmd.Process.Kill()
	<-s.done
}

// PeakRSS returns the process's peak resident set size (VmHWM) in bytes,
// or 0 once it has exited.
func (s *Server) PeakRSS() int64 {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", s.Pid()))
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(b), "\n") {
		if f := strings.Fields(line); len(f) >= 2 && f[0] == "VmHWM:" {
			kb, _ := strconv.ParseInt(f[1], 10, 64)
			return kb << 10
		}
	}
	return 0
}
