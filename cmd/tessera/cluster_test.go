package main_test

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/tessera-gis/tessera/internal/pgtest"
	"github.com/tessera-gis/tessera/internal/subprocess"
)

// nginx is Debian's nginx (scripts/test installs nginx-light), the load
// balancer of docs/deploy.md.
const nginx = "/usr/sbin/nginx"

// TestClusterBehindNginx follows docs/deploy.md on one machine: three
// instances on one fresh PostGIS database, all started at once with --demo
// and a shared --data, behind nginx with deploy.md's upstream settings and
// no sticky sessions, so that consecutive requests of one client go to
// different instances (a job submitted through one is polled through
// another and its result read through a third). Through the load balancer
// it runs the README's walkthrough and the real clients: ArcGIS REST JS,
// @arcgis/core (geoprocessor and image service), GDAL's ESRIJSON and WMS
// drivers and QGIS; then, with --users on every instance, the token tests
// of REST JS and @arcgis/core (a token generated through one instance is
// used on the others).
func TestClusterBehindNginx(t *testing.T) {
	t.Parallel()
	ownDatabase(t)
	if _, err := os.Stat(nginx); err != nil {
		if os.Getenv("CI") != "" {
			t.Fatal("nginx is not installed (scripts/test installs it)")
		}
		t.Skip("nginx is not installed (apt-get install nginx-light)")
	}
	needNode(t)
	needGDAL(t)
	pdb := pgtest.NewDatabase(t, "tessera_cluster")
	// The client cancel tests purge Big, which takes long enough to be
	// cancelled.
	seedPostgres(t, pdb.DSN, "Big", bigItems)

	shared := t.TempDir() // --data of every instance, as deploy.md asks
	port := freePort(t)
	lb := &proc{Server: &subprocess.Server{URL: fmt.Sprintf("http://127.0.0.1:%d/arcgis", port)}, t: t}
	common := []string{"--db", pdb.DSN, "--public-url", lb.URL, "--demo"}

	t.Run("anonymous", func(t *testing.T) {
		ps := startInstances(t, 3, shared, common...)
		access := startNginx(t, port, ps)
		created := 0
		for _, p := range ps {
			if strings.Contains(p.Logs(), "created demo collection") {
				created++
			}
		}
		if created != 1 {
			t.Errorf("%d instances created Demo, want 1", created)
		}
		walkthrough(t, lb, filepath.Join(shared, "demo"))
		runNode(t, lb, nil, "restjs.test.mjs", "core.test.mjs", "gdal.test.mjs", "imagery.test.mjs")
		if _, err := exec.Command("/usr/bin/python3", "-c", "import qgis.core").CombinedOutput(); err == nil {
			checkQGIS(t, lb)
		} else if os.Getenv("CI") != "" {
			t.Error("QGIS is not installed (scripts/test installs it)")
		}
		assertSpread(t, access, ps)
	})

	t.Run("tokens", func(t *testing.T) {
		dir := t.TempDir()
		users := pubUsersFile(t, dir)
		ps := startInstances(t, 3, shared, append(common, "--users", users)...)
		access := startNginx(t, port, ps)
		runNode(t, lb, []string{"TESSERA_USER=pub", "TESSERA_PASSWORD=pub-password"}, "restjs.test.mjs", "core.test.mjs", "imagery.test.mjs")
		assertSpread(t, access, ps)
		for _, p := range ps {
			if strings.Contains(p.Logs(), "pub-password") {
				t.Errorf("an instance logged the password:\n%s", p.Logs())
			}
		}
	})
}

// startInstances starts n servers on dir at the same moment, with args,
// and stops them when the test ends.
func startInstances(t *testing.T, n int, dir string, args ...string) []*proc {
	t.Helper()
	if !slices.Contains(args, "--data-store") {
		args = append(args, "--data-store", os.TempDir())
	}
	ps := make([]*proc, n)
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			s, err := subprocess.Start(context.Background(), binary, dir, args...)
			if err == nil {
				ps[i] = &proc{Server: s, t: t}
			}
			errs[i] = err
		}()
	}
	wg.Wait()
	for _, p := range ps {
		if p == nil {
			continue
		}
		t.Cleanup(func() {
			p.Stop()
			if t.Failed() {
				t.Logf("server log (%s):\n%s", p.Addr, p.Logs())
			}
		})
	}
	for _, err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	return ps
}

// startNginx runs nginx on 127.0.0.1:port in front of ps, with the
// upstream settings of docs/deploy.md, until the test ends. It returns the
// path of its access log, whose lines end with the upstream address.
func startNginx(t *testing.T, port int, ps []*proc) string {
	t.Helper()
	dir := t.TempDir()
	var upstreams strings.Builder
	for _, p := range ps {
		fmt.Fprintf(&upstreams, "        server %s max_fails=2 fail_timeout=10s;\n", p.Addr)
	}
	conf := fmt.Sprintf(`worker_processes 1;
daemon off;
error_log %[1]s/error.log;
pid %[1]s/nginx.pid;
events { worker_connections 512; }
http {
    log_format up '$request_method $status $upstream_addr';
    access_log %[1]s/access.log up;
    client_body_temp_path %[1]s/body;
    proxy_temp_path %[1]s/proxy;
    upstream tessera {
%[2]s    }
    server {
        listen 127.0.0.1:%[3]d;
        client_max_body_size 10m;
        location /arcgis/ {
            proxy_pass http://tessera;
            proxy_set_header Host $host:$server_port;
            proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
            proxy_read_timeout 1h;
        }
    }
}
`, dir, upstreams.String(), port)
	path := filepath.Join(dir, "nginx.conf")
	if err := os.WriteFile(path, []byte(conf), 0o644); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(nginx, "-c", path, "-p", dir)
	out := &strings.Builder{}
	cmd.Stdout, cmd.Stderr = out, out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan struct{})
	go func() { cmd.Wait(); close(exited) }()
	t.Cleanup(func() {
		cmd.Process.Signal(os.Interrupt) // SIGINT: nginx's fast shutdown
		select {
		case <-exited:
		case <-time.After(10 * time.Second):
			cmd.Process.Kill()
			<-exited
		}
	})
	deadline := time.Now().Add(20 * time.Second)
	for {
		resp, err := http.Get(fmt.Sprintf("http://127.0.0.1:%d/arcgis/rest/info?f=json", port))
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				break
			}
		}
		select {
		case <-exited:
			errLog, _ := os.ReadFile(filepath.Join(dir, "error.log"))
			t.Fatalf("nginx exited: %s\n%s", out, errLog)
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("nginx does not answer on port %d: %v", port, err)
		}
		time.Sleep(50 * time.Millisecond)
	}
	return filepath.Join(dir, "access.log")
}

// assertSpread checks that every instance answered requests through the
// load balancer, and that no answer through it was a server error.
func assertSpread(t *testing.T, access string, ps []*proc) {
	t.Helper()
	b, err := os.ReadFile(access)
	if err != nil {
		t.Fatal(err)
	}
	served := map[string]int{}
	for _, line := range strings.Split(strings.TrimSpace(string(b)), "\n") {
		f := strings.Fields(line)
		if len(f) != 3 {
			continue
		}
		served[f[2]]++
		if strings.HasPrefix(f[1], "5") {
			t.Errorf("the load balancer answered %s", line)
		}
	}
	for _, p := range ps {
		if served[p.Addr] == 0 {
			t.Errorf("instance %s answered no request through the load balancer (%v)", p.Addr, served)
		}
	}
	t.Logf("requests per instance: %v", served)
}

// freePort returns a loopback TCP port that was free a moment ago.
func freePort(t *testing.T) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}
