package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"strings"
	"time"

	"github.com/tessera-gis/tessera/internal/subprocess"
)

// StartServer runs "tessera serve" on dir with the binary under test.
// The benchmark's data folders are its data stores.
func StartServer(ctx context.Context, env *Env, dir string, args ...string) (*subprocess.Server, error) {
	for _, d := range []string{env.Cache, env.Work} {
		if st, err := os.Stat(d); err == nil && st.IsDir() {
			args = append(args, "--data-store", d)
		}
	}
	return subprocess.Start(ctx, env.Binary, dir, args...)
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
	body, err := send(client, req)
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

// fetch GETs u and returns the body of a 200 answer.
func fetch(ctx context.Context, hc *http.Client, u string) ([]byte, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return nil, err
	}
	return send(hc, req)
}

// send does req and returns the body of a 200 answer.
func send(hc *http.Client, req *http.Request) ([]byte, error) {
	resp, err := hc.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		return nil, err
	}
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("%s %s: HTTP %d: %.300s", req.Method, req.URL, resp.StatusCode, body)
	}
	return body, nil
}

// RunJob submits a task and polls its job every poll interval until it is
// terminal, as a client does. It returns the job JSON and the time from
// submit to the first poll that saw the terminal status.
func RunJob(ctx context.Context, s *subprocess.Server, task string, form url.Values, poll time.Duration) (map[string]any, time.Duration, error) {
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
