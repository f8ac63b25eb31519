package server

import (
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/gorilla/mux"

	"github.com/tessera-gis/tessera/mosaic"
	"github.com/tessera-gis/tessera/webmap"
)

// webMapPath is where the web map viewer and job monitor are served.
const webMapPath = "/arcgis/webmap"

// registerWebMapRoutes serves the web map pages (package webmap) and the
// two read-only resources they need besides the ArcGIS ones: the caller's
// privileges (rest/self) and the list of recent jobs (GPServer/jobs). It
// registers on the top router before the GPServer's routes, whose
// /{task} would otherwise take "jobs". Edits have no resource here: the
// pages submit the GP tasks like any client.
func (s *Server) registerWebMapRoutes(r *mux.Router) {
	pages := http.StripPrefix(webMapPath, webmap.Handler())
	s.handle(r, webMapPath, anyone, redirectTo(webMapPath+"/"))
	r.PathPrefix(webMapPath + "/").Handler(pages)
	s.handle(r, "/arcgis/rest/self", mosaic.RoleViewer, s.handleSelf)
	s.handle(r, gpPath+"/jobs", mosaic.RoleViewer, s.handleJobList)
}

type selfJSON struct {
	User               string          `json:"user"` // "" for an anonymous caller
	Role               mosaic.Role     `json:"role"`
	Tasks              map[string]bool `json:"tasks"` // GP tasks the caller may submit
	TokenBasedSecurity bool            `json:"tokenBasedSecurity"`
	Expires            int64           `json:"expires,omitempty"` // the token's expiry, epoch ms
}

// handleSelf answers who the caller is and which GP tasks they may
// submit, so that a page shows only the controls that will work. It
// grants nothing: every task checks the caller again.
func (s *Server) handleSelf(w http.ResponseWriter, r *request) error {
	u, err := r.require(mosaic.RoleViewer)
	if err != nil {
		return err
	}
	out := selfJSON{User: u.Name, Role: u.Role, Tasks: map[string]bool{}, TokenBasedSecurity: s.cfg.Auth != nil}
	for _, t := range s.cfg.Jobs.Tasks() {
		need := t.Permission
		if need == "" {
			need = mosaic.RoleViewer
		}
		out.Tasks[t.Name] = u.Can(need)
	}
	if a := s.cfg.Auth; a != nil {
		if tok := requestToken(r.Header, r.params); tok != "" && !strings.HasPrefix(tok, APIKeyPrefix) {
			if c, err := a.signer.verify(tok, a.cfg.Now()); err == nil {
				out.Expires = c.Expires
			}
		}
	}
	return s.respond(w, r, out, &htmlPage{Title: "Signed in as " + u.DisplayName(), Breadcrumbs: []link{{"Home", "/arcgis/rest/services"}}})
}

// jobListJSON is one job in the job list.
type jobListJSON struct {
	JobID     string            `json:"jobId"`
	Task      string            `json:"task"`
	JobStatus string            `json:"jobStatus"`
	Owner     string            `json:"owner"`
	Priority  int               `json:"priority"`
	Submitted int64             `json:"submitted"`          // epoch ms
	Started   int64             `json:"started,omitempty"`  // epoch ms
	Finished  int64             `json:"finished,omitempty"` // epoch ms
	Progress  *progressJSON     `json:"progress,omitempty"`
	Inputs    map[string]string `json:"inputs"`
	Messages  []messageJSON     `json:"messages"`
}

// maxListedInput caps each input's text in the list; the job resource
// has the whole of it.
const maxListedInput = 500

// esriJobStates maps esriJob* statuses back to states, for filters.
var esriJobStates = func() map[string]mosaic.JobState {
	m := map[string]mosaic.JobState{}
	for st, esri := range esriJobStatus {
		m[strings.ToLower(esri)] = st
	}
	return m
}()

// handleJobList lists recent jobs of every task, newest first, for the
// job monitor: GPServer/jobs?f=json[&status=esriJobExecuting,…][&task=…]
// [&owner=…][&since=…][&limit=1..1000, default 100][&messages=0..100,
// default 20]. Callers with role viewer may read it, as they may read any
// job. Unfinished jobs show their live status and progress, as jobs/<id>
// does.
func (s *Server) handleJobList(w http.ResponseWriter, r *request) error {
	f := mosaic.JobFilter{Task: strings.TrimSpace(r.param("task")), Owner: strings.TrimSpace(r.param("owner")),
		Limit: 100, Messages: 20}
	for _, st := range strings.Split(r.param("status"), ",") {
		if st = strings.TrimSpace(st); st == "" {
			continue
		}
		state, ok := esriJobStates[strings.ToLower(st)]
		if !ok {
			return badParam("status", "expected a comma list of esriJob* statuses, such as esriJobExecuting,esriJobFailed")
		}
		f.States = append(f.States, state)
		switch state { // a submitted job reads as waiting while the workers are busy
		case mosaic.JobSubmitted:
			f.States = append(f.States, mosaic.JobWaiting)
		case mosaic.JobWaiting:
			f.States = append(f.States, mosaic.JobSubmitted)
		}
	}
	var err error
	if f.Limit, err = rangeParam(r, "limit", 100, 1, 1000); err != nil {
		return err
	}
	if f.Messages, err = rangeParam(r, "messages", 20, 0, 100); err != nil {
		return err
	}
	since, err := r.time("since")
	if err != nil {
		return err
	}
	f.Since = since
	var jobs []*mosaic.Job
	if err := s.cfg.Store.View(r.Context(), func(tx mosaic.ReadTx) (err error) {
		jobs, err = tx.RecentJobs(f)
		return err
	}); err != nil {
		return err
	}
	out := struct {
		Jobs []jobListJSON `json:"jobs"`
	}{Jobs: make([]jobListJSON, 0, len(jobs))}
	page := &htmlPage{Title: "Jobs", Description: "Recent jobs of every task, newest first.",
		Breadcrumbs: []link{{"Home", "/arcgis/rest/services"}, {"System", "/arcgis/rest/services/System"}, {"RasterAnalysisTools", gpPath}},
		Links:       []link{{"Job monitor (live)", webMapPath + "/jobs.html"}},
		Tables:      []htmlTable{{Title: "Jobs", Headers: []string{"Job", "Task", "Status", "Owner", "Submitted", "Progress"}}}}
	for _, j := range jobs {
		if !j.State.Terminal() {
			// The engine knows live progress, waiting and cancelling.
			if live, err := s.cfg.Jobs.Job(r.Context(), j.ID); err == nil {
				live.Messages = j.Messages
				j = live
			}
		}
		item := jobListJSON{JobID: j.ID, Task: j.Task, JobStatus: esriJobStatus[j.State], Owner: j.Owner, Priority: j.Priority,
			Submitted: j.SubmittedAt.UnixMilli(), Started: unixMilli(j.StartedAt), Finished: unixMilli(j.FinishedAt),
			Inputs: map[string]string{}, Messages: messagesJSON(j)}
		if j.State == mosaic.JobExecuting && j.Progress != nil {
			item.Progress = &progressJSON{Type: "default", Message: j.Progress.Message, Percentage: j.Progress.Percentage}
		}
		if !r.seesSources() {
			item.Messages = []messageJSON{} // like inputs, they name source files
		}
		for k, v := range j.Inputs {
			if !r.seesSources() && !publicInput(k) {
				continue
			}
			if len(v) > maxListedInput {
				v = strings.ToValidUTF8(v[:maxListedInput], "") + "…"
			}
			item.Inputs[k] = v
		}
		out.Jobs = append(out.Jobs, item)
		progress := ""
		if item.Progress != nil {
			progress = strconv.Itoa(item.Progress.Percentage) + "% " + item.Progress.Message
		}
		page.Tables[0].Rows = append(page.Tables[0].Rows, []cell{{Text: j.ID, Href: gpPath + "/" + j.Task + "/jobs/" + j.ID},
			{Text: j.Task}, {Text: item.JobStatus}, {Text: j.Owner}, {Text: htmlTime(j.SubmittedAt)}, {Text: progress}})
	}
	return s.respond(w, r, out, page)
}

func unixMilli(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return t.UnixMilli()
}

// rangeParam reads an integer parameter from lo to hi; blank means def.
func rangeParam(r *request, name string, def, lo, hi int) (int, error) {
	v := strings.TrimSpace(r.param(name))
	if v == "" {
		return def, nil
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < lo || n > hi {
		return 0, badParam(name, "expected "+strconv.Itoa(lo)+" to "+strconv.Itoa(hi))
	}
	return n, nil
}
