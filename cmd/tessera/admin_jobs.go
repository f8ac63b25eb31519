package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/url"
	"os"
	"path"
	"regexp"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/schollz/progressbar/v3"

	"github.com/tessera-gis/tessera/internal/client"
)

// watch follows a job until it ends, drawing its progress, and returns it
// with its messages and results. Ctrl-C asks whether to cancel the job
// (on a terminal; elsewhere it leaves the job running): yes cancels it and
// waits for the cancel, no (or a second Ctrl-C) stops watching. Either way
// the command then ends with exit code 130.
func (a *admin) watch(ctx context.Context, j *client.Job) (*client.Job, error) {
	return a.watchView(ctx, j, newProgressView(a, j))
}

// watchQuietly is watch without status lines when stderr is not a terminal.
func (a *admin) watchQuietly(ctx context.Context, j *client.Job) (*client.Job, error) {
	v := newProgressView(a, j)
	v.quiet = true
	return a.watchView(ctx, j, v)
}

func (a *admin) watchView(ctx context.Context, j *client.Job, view *progressView) (*client.Job, error) {
	sig := make(chan os.Signal, 1)
	a.mu.Lock()
	a.handler = sig
	a.mu.Unlock()
	defer func() {
		a.mu.Lock()
		a.handler = nil
		a.mu.Unlock()
	}()

	pollCtx, stopPolling := context.WithCancel(ctx)
	type result struct {
		j   *client.Job
		err error
	}
	done := make(chan result, 1)
	go func() {
		j, err := a.client.Wait(pollCtx, j.Task, j.ID, view.update)
		done <- result{j, err}
	}()
	select {
	case r := <-done:
		stopPolling()
		view.finish(r.j)
		return r.j, r.err
	case <-sig:
	}
	stopPolling()
	if r := <-done; r.err == nil { // it ended just before the Ctrl-C
		view.finish(r.j)
		return r.j, nil
	}
	view.interrupt()

	hint := fmt.Sprintf("Job %s keeps running on the server: watch it with \"tessera jobs --watch %s\", cancel it with \"tessera cancel %s\".", j.ID, j.ID, j.ID)
	if !a.interactive {
		fmt.Fprintln(a.stderr, "Interrupted. "+hint)
		return nil, &exitError{code: exitInterrupted, err: errInterrupted, silent: true}
	}
	fmt.Fprintf(a.stderr, "Cancel job %s (%s) on the server? [y/N] ", j.ID, j.Task)
	answer := make(chan string, 1)
	go func() {
		s, _ := a.stdin.ReadString('\n')
		answer <- strings.ToLower(strings.TrimSpace(s))
	}()
	select {
	case s := <-answer:
		if s != "y" && s != "yes" {
			fmt.Fprintln(a.stderr, hint)
			return nil, &exitError{code: exitInterrupted, err: errInterrupted, silent: true}
		}
	case <-sig:
		fmt.Fprintln(a.stderr, "\n"+hint)
		return nil, &exitError{code: exitInterrupted, err: errInterrupted, silent: true}
	}

	fmt.Fprintf(a.stderr, "Cancelling job %s…\n", j.ID)
	if _, err := a.client.Cancel(ctx, j.Task, j.ID); err != nil {
		return nil, err
	}
	waitCtx, stopWaiting := context.WithCancel(ctx)
	defer stopWaiting()
	go func() {
		select {
		case <-sig: // a second Ctrl-C stops waiting for the cancel
			stopWaiting()
		case <-waitCtx.Done():
		}
	}()
	final, err := a.client.Wait(waitCtx, j.Task, j.ID, nil)
	if err != nil {
		if errors.Is(err, context.Canceled) {
			fmt.Fprintf(a.stderr, "The cancel of job %s was sent; not waiting for it.\n", j.ID)
			return nil, &exitError{code: exitInterrupted, err: errInterrupted, silent: true}
		}
		return nil, err
	}
	a.summary(final, time.Time{})
	if a.json {
		a.printJSON(final)
	}
	return nil, &exitError{code: exitInterrupted, err: fmt.Errorf("interrupted; job %s is %s", j.ID, statusWord(final.Status)), silent: true}
}

// finishJob prints a job's summary (and its JSON with --json) and turns
// its status into the command's result.
func (a *admin) finishJob(j *client.Job, started time.Time) error {
	a.summary(j, started)
	if a.json {
		a.printJSON(j)
	}
	if j.Status != client.StatusSucceeded {
		return &exitError{code: exitFailed, err: fmt.Errorf("job %s %s", j.ID, statusWord(j.Status)), silent: true}
	}
	return nil
}

// summary prints a finished job's outcome and messages to stderr (stdout
// is for --json).
func (a *admin) summary(j *client.Job, started time.Time) {
	took := ""
	if !started.IsZero() {
		took = " in " + roundDuration(time.Since(started)).String()
	}
	fmt.Fprintf(a.stderr, "%s job %s %s%s.\n", j.Task, j.ID, statusWord(j.Status), took)
	// Warnings and errors always show (the server bounds them); of many
	// informative messages, such as AddImage's one per batch, the first
	// and last few.
	msgs := j.Messages
	const head, tail = 2, 4
	hidden := 0
	for i, m := range msgs {
		if m.Type == "esriJobMessageTypeInformative" && len(msgs) > head+tail+2 && i >= head && i < len(msgs)-tail {
			hidden++
			continue
		}
		if hidden > 0 {
			fmt.Fprintf(a.stderr, "  … %s (tessera jobs %s lists them all)\n", plural(int64(hidden), "more message"), j.ID)
			hidden = 0
		}
		prefix := "  "
		switch m.Type {
		case "esriJobMessageTypeWarning":
			prefix = "  warning: "
		case "esriJobMessageTypeError":
			prefix = "  error: "
		}
		fmt.Fprintln(a.stderr, prefix+m.Description)
	}
}

// statusWord turns esriJobSucceeded into "succeeded".
func statusWord(s string) string {
	w := strings.TrimPrefix(s, "esriJob")
	if w == "TimedOut" {
		return "timed out"
	}
	return strings.ToLower(w)
}

func roundDuration(d time.Duration) time.Duration {
	switch {
	case d < time.Second:
		return d.Round(time.Millisecond)
	case d < time.Minute:
		return d.Round(100 * time.Millisecond)
	}
	return d.Round(time.Second)
}

// countRE finds "N of M unit" in a progress message, as AddImage reports
// "Read 120 of 10000 rasters; …".
var countRE = regexp.MustCompile(`(\d+) of (\d+)(?: ([[:alpha:]]+))?`)

// progressView draws a job's progress: a bar with count, rate and ETA when
// the progress message says "N of M", a percentage bar otherwise, and on
// a stderr that is not a terminal a line per status change.
type progressView struct {
	a       *admin
	job     *client.Job
	w       io.Writer
	bar     *progressbar.ProgressBar
	mode    string // "", "wait", "percent" or "count"
	total   int64
	status  string
	lastOut time.Time
	quiet   bool // no lines when stderr is not a terminal
}

func newProgressView(a *admin, j *client.Job) *progressView {
	return &progressView{a: a, job: j, w: a.stderr}
}

func (v *progressView) update(j *client.Job) {
	if v.a.json {
		return
	}
	if !v.a.tty {
		if v.quiet || j.Done() {
			return // the summary follows
		}
		if j.Status != v.status || (j.Progress != nil && time.Since(v.lastOut) > 5*time.Second) {
			line := fmt.Sprintf("%s job %s: %s", v.job.Task, v.job.ID, statusWord(j.Status))
			if j.Progress != nil {
				line += fmt.Sprintf(" %d%% %s", j.Progress.Percentage, j.Progress.Message)
			}
			fmt.Fprintln(v.w, line)
			v.status, v.lastOut = j.Status, time.Now()
		}
		return
	}
	v.status = j.Status
	switch {
	case j.Done():
		return
	case j.Status != client.StatusExecuting || j.Progress == nil:
		if v.mode == "" {
			v.start("wait", -1, statusWord(j.Status))
		}
		if v.mode == "wait" {
			v.bar.Describe(statusWord(j.Status))
			_ = v.bar.Add(1) // spin
		}
	default:
		if m := countRE.FindStringSubmatch(j.Progress.Message); m != nil {
			done, _ := strconv.ParseInt(m[1], 10, 64)
			total, _ := strconv.ParseInt(m[2], 10, 64)
			if total > 0 {
				if v.mode != "count" || total != v.total {
					unit := m[3]
					if unit == "" {
						unit = "items"
					}
					v.start("count", total, v.job.Task, progressbar.OptionShowCount(), progressbar.OptionShowIts(),
						progressbar.OptionSetItsString(unit))
					v.total = total
				}
				_ = v.bar.Set64(min(done, total))
				return
			}
		}
		if v.mode != "percent" {
			v.start("percent", 100, v.job.Task)
		}
		v.bar.Describe(v.job.Task + ": " + shorten(j.Progress.Message, 40))
		_ = v.bar.Set(j.Progress.Percentage)
	}
}

// start replaces the bar with a new one of the given mode.
func (v *progressView) start(mode string, max int64, desc string, opts ...progressbar.Option) {
	if v.bar != nil {
		_ = v.bar.Clear()
	}
	v.mode = mode
	opts = append([]progressbar.Option{
		progressbar.OptionSetWriter(v.w),
		progressbar.OptionSetDescription(desc),
		progressbar.OptionSetWidth(30),
		progressbar.OptionThrottle(100 * time.Millisecond),
		progressbar.OptionShowElapsedTimeOnFinish(),
		progressbar.OptionSetRenderBlankState(true),
		progressbar.OptionSpinnerType(14),
		progressbar.OptionSetSpinnerChangeInterval(0), // the spinner turns on each poll; no goroutine of its own
		progressbar.OptionOnCompletion(func() { fmt.Fprintln(v.w) }),
	}, opts...)
	v.bar = progressbar.NewOptions64(max, opts...)
}

// finish completes the bar of a job that succeeded, and ends the line of
// one that did not.
func (v *progressView) finish(j *client.Job) {
	if v.bar == nil || j == nil {
		return
	}
	if j.Status == client.StatusSucceeded && v.mode != "wait" {
		if !v.bar.IsFinished() {
			_ = v.bar.Finish()
		}
		return
	}
	_ = v.bar.Clear()
}

// interrupt ends the bar's line before a question.
func (v *progressView) interrupt() {
	if v.bar != nil && !v.bar.IsFinished() {
		fmt.Fprintln(v.w)
	}
}

func shorten(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n-1]) + "…"
}

// cmdJobs lists jobs, or shows or watches one.
func cmdJobs(ctx context.Context, a *admin, args []string) error {
	fs, common := a.flags("jobs", "Without JOB_ID, list the jobs of every task, newest first. With --watch,\n"+
		"refresh the list every second until Ctrl-C.\n\n"+
		"With JOB_ID, show that job; with --watch, follow it with a progress bar\n"+
		"until it ends (Ctrl-C asks whether to cancel it) and exit as add does:\n"+
		"0 if it succeeded, 1 if not.")
	watch := fs.Bool("watch", false, "refresh the list, or follow the job, until Ctrl-C")
	active := fs.Bool("active", false, "only jobs that have not ended")
	task := fs.String("task", "", "only this task's jobs (AddImage, DeleteImage, …)")
	owner := fs.String("owner", "", "only this user's jobs (\"anonymous\" for jobs without a token)")
	limit := fs.Int("limit", 50, "at most this many jobs (1 to 1000)")
	args, err := a.parse(fs, common, args)
	if err != nil {
		return err
	}
	switch {
	case len(args) > 1:
		return usageError(fs, "one JOB_ID at most")
	case *limit < 1 || *limit > 1000:
		return usageError(fs, "--limit must be 1 to 1000")
	case len(args) == 1:
		j, err := a.client.FindJob(ctx, args[0])
		if err != nil {
			return err
		}
		if !*watch {
			a.showJob(j)
			return nil
		}
		if !j.Done() {
			if j, err = a.watch(ctx, j); err != nil {
				return err
			}
		}
		return a.finishJob(j, time.Time{})
	}
	f := client.JobFilter{Active: *active, Task: *task, Owner: *owner, Limit: *limit}
	for {
		jobs, err := a.client.Jobs(ctx, f)
		if err != nil {
			return err
		}
		switch {
		case a.json && *watch:
			b, _ := json.Marshal(jobs)
			fmt.Fprintf(a.stdout, "%s\n", b)
		case a.json:
			a.printJSON(jobs)
		default:
			if *watch && a.tty {
				fmt.Fprint(a.stdout, "\x1b[H\x1b[2J") // clear the screen
			}
			a.jobTable(jobs)
		}
		if !*watch {
			return nil
		}
		select {
		case <-ctx.Done():
			return &exitError{code: exitInterrupted, err: errInterrupted, silent: true}
		case <-time.After(time.Second):
		}
	}
}

// showJob prints one job.
func (a *admin) showJob(j *client.Job) {
	if a.json {
		a.printJSON(j)
		return
	}
	fmt.Fprintf(a.stdout, "Job %s (%s): %s\n", j.ID, j.Task, statusWord(j.Status))
	if j.Progress != nil {
		fmt.Fprintf(a.stdout, "Progress: %d%% %s\n", j.Progress.Percentage, j.Progress.Message)
	}
	for _, m := range j.Messages {
		fmt.Fprintf(a.stdout, "  %-11s %s\n", strings.ToLower(strings.TrimPrefix(m.Type, "esriJobMessageType")), m.Description)
	}
	for name, v := range j.Results {
		fmt.Fprintf(a.stdout, "Result %s: %s\n", name, v)
	}
}

// jobTable prints jobs as a table.
func (a *admin) jobTable(jobs []client.JobSummary) {
	tw := tabwriter.NewWriter(a.stdout, 2, 8, 2, ' ', 0)
	fmt.Fprintln(tw, "JOB\tTASK\tSTATUS\tOWNER\tCOLLECTION\tSUBMITTED\tTOOK\tPROGRESS")
	now := time.Now()
	for _, j := range jobs {
		took := ""
		if j.Started != 0 {
			end := now
			if j.Finished != 0 {
				end = time.UnixMilli(j.Finished)
			}
			took = roundDuration(end.Sub(time.UnixMilli(j.Started))).String()
		}
		progress := ""
		if j.Progress != nil {
			progress = fmt.Sprintf("%d%% %s", j.Progress.Percentage, shorten(j.Progress.Message, 50))
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", j.ID, j.Task, statusWord(j.Status), j.Owner,
			collectionName(j.ImageCollection), clock(time.UnixMilli(j.Submitted), now), took, progress)
	}
	tw.Flush()
	if len(jobs) == 0 {
		fmt.Fprintln(a.stdout, "(no jobs)")
	}
}

// clock formats t briefly: the time of day if it is today.
func clock(t, now time.Time) string {
	t = t.Local()
	if y, m, d := t.Date(); y == now.Year() && m == now.Month() && d == now.Day() {
		return t.Format(time.TimeOnly)
	}
	return t.Format("Jan 02 15:04")
}

// collectionName reads a collection's name from an imageCollection input:
// a name, an ImageServer URL, or JSON with a url, a name or an itemId.
func collectionName(in string) string {
	in = strings.TrimSpace(in)
	var v struct {
		URL               string `json:"url"`
		URI               string `json:"uri"`
		Name              string `json:"name"`
		ItemID            string `json:"itemId"`
		ServiceProperties struct {
			Name string `json:"name"`
		} `json:"serviceProperties"`
	}
	if strings.HasPrefix(in, "{") && json.Unmarshal([]byte(in), &v) == nil {
		switch {
		case v.URL != "" || v.URI != "":
			in = firstOf(v.URL, v.URI)
		case v.ServiceProperties.Name != "":
			return v.ServiceProperties.Name
		case v.Name != "":
			return v.Name
		case v.ItemID != "":
			return "item " + v.ItemID
		}
	}
	if u, err := url.Parse(in); err == nil && u.Scheme != "" {
		p := strings.TrimSuffix(strings.TrimSuffix(u.Path, "/"), "/ImageServer")
		if name, err := url.PathUnescape(path.Base(p)); err == nil {
			return name
		}
	}
	return in
}

// cmdCancel cancels a job.
func cmdCancel(ctx context.Context, a *admin, args []string) error {
	fs, common := a.flags("cancel", "Cancel a job, queued or running, and wait until it has stopped. A job that\n"+
		"had already ended stays as it was (exit code 1).")
	args, err := a.parse(fs, common, args)
	if err != nil {
		return err
	}
	if len(args) != 1 {
		return usageError(fs, "give one JOB_ID")
	}
	j, err := a.client.FindJob(ctx, args[0])
	if err != nil {
		return err
	}
	if j.Done() {
		a.showJob(j)
		return exitWith(exitFailed, "job %s had already %s", j.ID, statusWord(j.Status))
	}
	if _, err := a.client.Cancel(ctx, j.Task, j.ID); err != nil {
		return err
	}
	j, err = a.client.Wait(ctx, j.Task, j.ID, nil)
	if err != nil {
		return err
	}
	a.summary(j, time.Time{})
	if a.json {
		a.printJSON(j)
	}
	if j.Status != client.StatusCancelled {
		return exitWith(exitFailed, "job %s %s before the cancel took effect", j.ID, statusWord(j.Status))
	}
	return nil
}
