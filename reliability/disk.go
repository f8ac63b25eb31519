package main

import (
	"context"
	"fmt"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"
)

// faultDisk puts the server's data folder (and, with stageToo, its
// temporary folder, where AddImage stages items) on a tmpfs only a little
// larger than the catalog, and submits an AddImage of thousands of rasters
// that cannot fit, while clients query and poll. The job must fail with a
// message, the server stay up and answer, the catalog stay as it was and
// the file pass integrity_check. Then the tmpfs is grown (remount) and the
// same AddImage must succeed without a restart, and after a restart every
// job must still report its true status.
func faultDisk(ctx context.Context, env *Env, o Options, f *FaultResult, stageToo bool) {
	cat, err := GenerateCatalog(ctx, env, o.Items)
	if err != nil {
		f.problem("catalog: %v", err)
		return
	}
	st, err := os.Stat(cat.Path)
	if err != nil {
		f.problem("%v", err)
		return
	}
	mnt := filepath.Join(env.Work, fmt.Sprintf("tmpfs-%v", stageToo))
	os.MkdirAll(mnt, 0o755)
	size := st.Size() + 3<<20
	if out, err := exec.CommandContext(ctx, "mount", "-t", "tmpfs", "-o", fmt.Sprintf("size=%d", size), "tmpfs", mnt).CombinedOutput(); err != nil {
		f.problem("mount tmpfs (needs root): %v: %s", err, out)
		return
	}
	defer exec.Command("umount", "-l", mnt).Run()
	f.logf("data folder on a %.1f MiB tmpfs (catalog %.1f MiB, %d items)%s", float64(size)/(1<<20), float64(st.Size())/(1<<20), cat.Items,
		map[bool]string{true: "; TMPDIR (AddImage's stage files) on it too", false: ""}[stageToo])
	dir := filepath.Join(mnt, "data")
	if err := cat.Copy(dir); err != nil {
		f.problem("copy catalog: %v", err)
		return
	}
	if stageToo {
		tmp := filepath.Join(mnt, "tmp")
		os.MkdirAll(tmp, 0o755)
		old := os.Getenv("TMPDIR")
		os.Setenv("TMPDIR", tmp) // the server inherits it
		defer os.Setenv("TMPDIR", old)
	}
	srv, err := StartServer(ctx, env, dir, o.ServerArgs...)
	if stageToo {
		os.Setenv("TMPDIR", "")
	}
	if err != nil {
		f.problem("start: %v", err)
		return
	}
	defer func() { srv.Kill() }() // the process running at the end (Start replaces it)
	// Thousands of tiny rasters: more than the free space holds.
	src := filepath.Join(env.Store, fmt.Sprintf("fill%v", stageToo))
	os.MkdirAll(src, 0o755)
	const n = 6000
	for i := range n {
		if err := copyFile(env.Template(), filepath.Join(src, fmt.Sprintf("fault_fill%v_%04d.tif", stageToo, i))); err != nil {
			f.problem("%v", err)
			return
		}
	}
	l := o.load(env, srv, cat)
	l.Clients, l.DeletePct, l.AddPct = 4, 0, 0
	l.Duration = 24 * time.Hour
	l.init()
	loadDone := make(chan struct{})
	go func() { l.Run(ctx); close(loadDone) }()
	form := url.Values{"imageCollection": {Collection}, "inputRasters": {filepath.Join(src, "*.tif")}}
	t0 := time.Now()
	id, status, msgs, err := runJob(ctx, l, "AddImage", form, 5*time.Minute)
	l.stopAt(time.Now())
	<-loadDone
	if err != nil {
		f.problem("AddImage on a full disk: %v", err)
		return
	}
	f.logf("AddImage of %d rasters on the small disk: %s after %s; its error: %s", n, status, time.Since(t0).Round(time.Millisecond), lastError(msgs))
	if status != "esriJobFailed" {
		f.problem("AddImage on a full disk ended %s, want esriJobFailed", status)
	}
	if strings.Contains(strings.ToLower(msgs), "internal error") {
		f.problem("message says internal error: %s", msgs)
	}
	if err := healthy(ctx, srv); err != nil {
		f.problem("server after the disk filled: %v", err)
	}
	if got, err := countWhere(ctx, l, fmt.Sprintf("Name LIKE 'fault_fill%v_%%'", stageToo)); err != nil || got != 0 {
		f.problem("the failed AddImage left %d items (%v)", got, err)
	}
	res := l.Check(ctx) // no item added, none lost, no error for the clients
	if len(res.Problems) > 0 {
		f.Problems = append(f.Problems, res.Problems...)
	}
	f.logf("while the disk filled, %d queries/polls/exports/directory reads: %d errors; catalog still %d items",
		l.completed(), errorCount(res), res.Items)
	if msg, err := IntegrityCheck(ctx, srv.DB()); err != nil || msg != "ok" {
		f.problem("integrity_check with the disk full: %v %s", err, msg)
	} else {
		f.logf("integrity_check with the disk full (server up): ok")
	}
	// Make room and run the same add again, without a restart.
	if out, err := exec.CommandContext(ctx, "mount", "-o", fmt.Sprintf("remount,size=%d", size+256<<20), mnt).CombinedOutput(); err != nil {
		f.problem("grow tmpfs: %v: %s", err, out)
		return
	}
	id2, status2, msgs2, err := runJob(ctx, l, "AddImage", form, 5*time.Minute)
	if err != nil || status2 != "esriJobSucceeded" {
		f.problem("AddImage after making room: %s %v: %s", status2, err, msgs2)
	} else {
		f.logf("after growing the tmpfs (no restart) the same AddImage succeeded: %s", lastInfo(msgs2))
	}
	// Restart: both jobs keep their statuses, the added items are there.
	if err := srv.Stop(); err != nil {
		f.problem("stop: %v", err)
	}
	if msg, err := IntegrityCheck(ctx, srv.DB()); err != nil || msg != "ok" {
		f.problem("integrity_check after stop: %v %s", err, msg)
	}
	if err := srv.Start(ctx); err != nil {
		f.problem("restart: %v", err)
		return
	}
	for _, j := range [][2]string{{id, "esriJobFailed"}, {id2, "esriJobSucceeded"}} {
		var st struct {
			JobStatus string `json:"jobStatus"`
		}
		if err := getJSON(ctx, l.hc, l.gp("AddImage")+"/jobs/"+j[0]+"?f=json", &st); err != nil || st.JobStatus != j[1] {
			f.problem("after restart job %s is %s (%v), want %s", j[0], st.JobStatus, err, j[1])
		}
	}
	if got, err := countWhere(ctx, l, fmt.Sprintf("Name LIKE 'fault_fill%v_%%'", stageToo)); err != nil || got != n {
		f.problem("after restart %d fill items (%v), want %d", got, err, n)
	} else {
		f.logf("after a restart: the failed job still failed, the succeeded one succeeded, its %d items present; integrity_check ok", n)
	}
}

func errorCount(r *Result) int {
	n := 0
	for _, s := range r.Ops {
		n += s.Errors
	}
	return n
}

// healthy checks that the server answers its services directory.
func healthy(ctx context.Context, srv *Server) error {
	var m map[string]any
	return getJSON(ctx, &httpClient, srv.Base()+"/rest/services?f=json", &m)
}

// runJob submits a job outside the load's model and waits for its end.
// It returns the job id, final status and messages (one per line).
func runJob(ctx context.Context, l *Load, task string, form url.Values, limit time.Duration) (string, string, string, error) {
	form.Set("f", "json")
	var sub struct {
		JobID string `json:"jobId"`
	}
	if err := postJSON(ctx, l.gp(task)+"/submitJob", form, &sub); err != nil {
		return "", "", "", err
	}
	deadline := time.Now().Add(limit)
	for time.Now().Before(deadline) {
		var st struct {
			JobStatus string `json:"jobStatus"`
			Messages  []struct {
				Type        string `json:"type"`
				Description string `json:"description"`
			} `json:"messages"`
		}
		if err := getJSON(ctx, l.hc, l.gp(task)+"/jobs/"+sub.JobID+"?f=json", &st); err != nil {
			return sub.JobID, "", "", err
		}
		if terminal[st.JobStatus] {
			var b strings.Builder
			for _, m := range st.Messages {
				fmt.Fprintf(&b, "%s: %s\n", m.Type, m.Description)
			}
			return sub.JobID, st.JobStatus, b.String(), nil
		}
		sleep(ctx, 50*time.Millisecond)
	}
	return sub.JobID, "", "", fmt.Errorf("job %s did not end within %s", sub.JobID, limit)
}

// lastError returns the job's error messages but the final "Failed at".
func lastError(msgs string) string {
	var out []string
	for _, line := range strings.Split(msgs, "\n") {
		if m, ok := strings.CutPrefix(line, "esriJobMessageTypeError: "); ok && !strings.HasPrefix(m, "Failed at") {
			out = append(out, m)
		}
	}
	return fmt.Sprintf("%q", strings.Join(out, " / "))
}

func lastInfo(msgs string) string {
	out := ""
	for _, line := range strings.Split(strings.TrimSpace(msgs), "\n") {
		if strings.Contains(line, "Total") {
			out = line
		}
	}
	return fmt.Sprintf("%q", out)
}

// countWhere counts the items a where clause selects.
func countWhere(ctx context.Context, l *Load, where string) (int, error) {
	var m struct {
		Count int `json:"count"`
	}
	u := l.services() + "/" + Collection + "/ImageServer/query?" + url.Values{"f": {"json"}, "where": {where}, "returnCountOnly": {"true"}}.Encode()
	err := getJSON(ctx, l.hc, u, &m)
	return m.Count, err
}
