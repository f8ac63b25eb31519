package main

import (
	"bytes"
	"context"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync/atomic"
	"time"
)

// source is a misbehaving HTTP file server on loopback: /good/ serves the
// file, /e500/ answers 500, /cut/ announces the whole file and closes the
// connection halfway through it, /stall/ never answers (until released).
type source struct {
	data     []byte
	srv      *http.Server
	url      string
	release  chan struct{}
	requests atomic.Int64
}

func startSource(file string) (*source, error) {
	b, err := os.ReadFile(file)
	if err != nil {
		return nil, err
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	s := &source{data: b, url: "http://" + ln.Addr().String() + "/", release: make(chan struct{})}
	s.srv = &http.Server{Handler: s}
	go s.srv.Serve(ln)
	return s, nil
}

func (s *source) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	s.requests.Add(1)
	mode, _, _ := strings.Cut(strings.TrimPrefix(r.URL.Path, "/"), "/")
	switch mode {
	case "good":
		http.ServeContent(w, r, "x.tif", time.Time{}, bytes.NewReader(s.data))
	case "e500":
		http.Error(w, "source broken", http.StatusInternalServerError)
	case "cut":
		hj, ok := w.(http.Hijacker)
		if !ok {
			return
		}
		conn, buf, err := hj.Hijack()
		if err != nil {
			return
		}
		fmt.Fprintf(buf, "HTTP/1.1 200 OK\r\nContent-Type: image/tiff\r\nAccept-Ranges: bytes\r\nContent-Length: %d\r\n\r\n", len(s.data))
		buf.Write(s.data[:len(s.data)/2])
		buf.Flush()
		conn.Close()
	case "stall":
		select { // bounded: at most two minutes
		case <-s.release:
		case <-r.Context().Done():
		case <-time.After(2 * time.Minute):
		}
	default:
		http.NotFound(w, r)
	}
}

func (s *source) Close() {
	close(s.release)
	s.srv.Close()
}

// faultHTTP registers the misbehaving source as a data store and, under
// the mixed load, adds a raster from each of its modes. A 500 and a
// connection closed mid-file must end in a failed job with a message (or a
// job that added nothing), a stalled source must not hold the server: the
// job is cancelled and ends at once. None may add an item; the good file
// must be added; then the model check, integrity_check and a restart.
func faultHTTP(ctx context.Context, env *Env, o Options, f *FaultResult) {
	// A file of a few hundred KiB, so that GDAL reads it in several ranges.
	big := filepath.Join(env.Work, "big.tif")
	if out, err := exec.CommandContext(ctx, "gdal_create", "-q", "-of", "GTiff", "-outsize", "512", "512", "-bands", "3", "-ot", "Byte",
		"-burn", "9", "-co", "TILED=YES", "-a_srs", "EPSG:32633", "-a_ullr", "401000", "5003000", "406120", "4997880", big).CombinedOutput(); err != nil {
		f.problem("gdal_create: %v: %s", err, out)
		return
	}
	src, err := startSource(big)
	if err != nil {
		f.problem("source: %v", err)
		return
	}
	defer src.Close()
	o.ServerArgs = append(o.ServerArgs, "--data-store", src.url)
	cat, srv, err := setup(ctx, env, o, "http")
	if err != nil {
		f.problem("setup: %v", err)
		return
	}
	l := o.load(env, srv, cat)
	l.init()
	l.Duration = 24 * time.Hour
	loadDone := make(chan struct{})
	go func() { l.Run(ctx); close(loadDone) }()
	sleep(ctx, time.Second)

	type outcome struct{ id, want string }
	var jobs []outcome
	for _, mode := range []string{"e500", "cut"} {
		name := "fault_http_" + mode
		t0 := time.Now()
		id, status, msgs, err := runJob(ctx, l, "AddImage", url.Values{"imageCollection": {Collection}, "inputRasters": {src.url + mode + "/" + name + ".tif"}}, 3*time.Minute)
		if err != nil {
			f.problem("AddImage from a source that %s: %v", mode, err)
			continue
		}
		f.logf("source %s: AddImage %s in %s; %s; warning: %q", map[string]string{"e500": "answers 500", "cut": "closes mid-file"}[mode],
			status, time.Since(t0).Round(time.Millisecond), firstNonEmpty(lastError(msgs), lastInfo(msgs)), firstWarning(msgs))
		if status == "esriJobSucceeded" && !strings.Contains(msgs, "0 added") {
			f.problem("AddImage from a source that %s succeeded: %s", mode, msgs)
		}
		if strings.Contains(strings.ToLower(msgs), "internal error") {
			f.problem("message says internal error: %s", msgs)
		}
		if n, err := countWhere(ctx, l, "Name = '"+name+"'"); err != nil || n != 0 {
			f.problem("source %s: %d items added (%v)", mode, n, err)
		}
		jobs = append(jobs, outcome{id, status})
	}
	// The stall: submit, let it hang, check the server still answers, cancel.
	var sub struct {
		JobID string `json:"jobId"`
	}
	if err := postJSON(ctx, l.gp("AddImage")+"/submitJob", url.Values{"f": {"json"}, "imageCollection": {Collection},
		"inputRasters": {src.url + "stall/fault_http_stall.tif"}}, &sub); err != nil {
		f.problem("submit stalled add: %v", err)
	} else {
		before := l.completed()
		sleep(ctx, 4*time.Second)
		var st struct {
			JobStatus string `json:"jobStatus"`
		}
		getJSON(ctx, l.hc, l.gp("AddImage")+"/jobs/"+sub.JobID+"?f=json", &st)
		f.logf("source stalls: after 4 s the job is %s; the clients completed %d requests meanwhile", st.JobStatus, l.completed()-before)
		t0 := time.Now()
		postJSON(ctx, l.gp("AddImage")+"/jobs/"+sub.JobID+"/cancel", url.Values{"f": {"json"}}, &st)
		for i := 0; i < 600 && !terminal[st.JobStatus]; i++ { // 30 s at most
			sleep(ctx, 50*time.Millisecond)
			getJSON(ctx, l.hc, l.gp("AddImage")+"/jobs/"+sub.JobID+"?f=json", &st)
		}
		f.logf("cancelled: %s %s after the cancel", st.JobStatus, time.Since(t0).Round(time.Millisecond))
		if !terminal[st.JobStatus] {
			f.problem("stalled AddImage still %s 30 s after its cancel", st.JobStatus)
		}
		if n, err := countWhere(ctx, l, "Name = 'fault_http_stall'"); err != nil || n != 0 {
			f.problem("stalled source: %d items added (%v)", n, err)
		}
		jobs = append(jobs, outcome{sub.JobID, st.JobStatus})
	}
	id, status, msgs, err := runJob(ctx, l, "AddImage", url.Values{"imageCollection": {Collection}, "inputRasters": {src.url + "good/fault_http_good.tif"}}, 3*time.Minute)
	if err != nil || status != "esriJobSucceeded" {
		f.problem("AddImage from the good source: %s %v %s", status, err, msgs)
	} else if n, err := countWhere(ctx, l, "Name = 'fault_http_good'"); err != nil || n != 1 {
		f.problem("good source: %d items (%v), want 1", n, err)
	} else {
		f.logf("the same server then adds the file from a source that works: %s, 1 item", status)
	}
	jobs = append(jobs, outcome{id, status})
	l.stopAt(time.Now())
	<-loadDone
	f.Load = finish(ctx, l)
	if err := srv.Start(ctx); err != nil {
		f.problem("restart: %v", err)
		return
	}
	defer func() { srv.Stop() }()
	for _, j := range jobs {
		var st struct {
			JobStatus string `json:"jobStatus"`
		}
		if err := getJSON(ctx, l.hc, l.gp("AddImage")+"/jobs/"+j.id+"?f=json", &st); err != nil || st.JobStatus != j.want {
			f.problem("after a restart job %s is %s (%v), want %s", j.id, st.JobStatus, err, j.want)
		}
	}
	f.logf("after a restart every fault job reports the same status; the source saw %d requests", src.requests.Load())
}

func firstNonEmpty(a, b string) string {
	if a != `""` {
		return "error: " + a
	}
	return b
}

func firstWarning(msgs string) string {
	for _, line := range strings.Split(msgs, "\n") {
		if w, ok := strings.CutPrefix(line, "esriJobMessageTypeWarning: "); ok {
			return w
		}
	}
	return ""
}
