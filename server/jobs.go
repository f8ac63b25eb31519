package server

import (
	"net/http"
	"strconv"
	"strings"

	"github.com/tessera-gis/tessera/mosaic"
)

type jobEntryJSON struct {
	JobID     string        `json:"jobId"`
	Task      string        `json:"task"`
	JobStatus string        `json:"jobStatus"`
	Owner     string        `json:"owner"`
	Priority  int           `json:"priority"`
	Input     string        `json:"imageCollection,omitempty"` // the imageCollection input as submitted
	Submitted int64         `json:"submitted"`                 // epoch ms
	Started   *int64        `json:"started"`                   // epoch ms, null until it starts
	Finished  *int64        `json:"finished"`                  // epoch ms, null until it ends
	Progress  *progressJSON `json:"progress,omitempty"`
}

type jobListJSON struct {
	Jobs []jobEntryJSON `json:"jobs"`
}

// handleJobList lists GP jobs, newest first: all of them for admins, the
// caller's own for everyone else (ArcGIS has no such resource on the
// services directory; its admin API lists jobs per service). Parameters:
// active=true (only jobs that have not finished), task, owner (admins),
// and limit (1 to 1000, default 100). Running jobs carry their progress.
func (s *Server) handleJobList(w http.ResponseWriter, r *http.Request) {
	u, err := s.caller(w, r, mosaic.RoleViewer)
	if err != nil {
		return
	}
	f := mosaic.JobFilter{Task: strings.TrimSpace(param(r.Form, "task")), Limit: 100,
		Active: strings.EqualFold(strings.TrimSpace(param(r.Form, "active")), "true")}
	if u.Can(mosaic.RoleAdmin) {
		f.Owner = strings.TrimSpace(param(r.Form, "owner"))
	} else {
		f.Owner = u.DisplayName()
	}
	for _, t := range s.cfg.Jobs.Tasks() {
		if strings.EqualFold(t.Name, f.Task) {
			f.Task = t.Name
		}
	}
	if v := strings.TrimSpace(param(r.Form, "limit")); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > 1000 {
			s.Error(w, r, badParam("limit", "expected 1 to 1000"))
			return
		}
		f.Limit = n
	}
	var jobs []*mosaic.Job
	if err := s.cfg.Store.View(r.Context(), func(tx mosaic.ReadTx) (err error) {
		jobs, err = tx.Jobs(f)
		return err
	}); err != nil {
		s.Error(w, r, err)
		return
	}
	out := jobListJSON{Jobs: make([]jobEntryJSON, 0, len(jobs))}
	page := &htmlPage{Title: "Jobs", Breadcrumbs: []link{{"Home", "/arcgis/rest/services"}, {"RasterAnalysisTools", gpPath}},
		Tables: []htmlTable{{Headers: []string{"Job", "Task", "Status", "Owner", "Submitted", "Progress"}}}}
	for _, j := range jobs {
		if !j.State.Terminal() {
			// The engine knows live progress, waiting and cancelling.
			if live, err := s.cfg.Jobs.Job(r.Context(), j.ID); err == nil {
				j = live
			}
		}
		e := jobEntryJSON{JobID: j.ID, Task: j.Task, JobStatus: esriJobStatus[j.State], Owner: j.Owner,
			Priority: j.Priority, Input: j.Inputs["imageCollection"], Submitted: j.SubmittedAt.UnixMilli()}
		if !j.StartedAt.IsZero() {
			ms := j.StartedAt.UnixMilli()
			e.Started = &ms
		}
		if !j.FinishedAt.IsZero() {
			ms := j.FinishedAt.UnixMilli()
			e.Finished = &ms
		}
		progress := ""
		if j.State == mosaic.JobExecuting && j.Progress != nil {
			e.Progress = &progressJSON{Type: "default", Message: j.Progress.Message, Percentage: j.Progress.Percentage}
			progress = strconv.Itoa(j.Progress.Percentage) + "% " + j.Progress.Message
		}
		out.Jobs = append(out.Jobs, e)
		page.Tables[0].Rows = append(page.Tables[0].Rows, []cell{{Text: j.ID, Href: gpPath + "/" + j.Task + "/jobs/" + j.ID},
			{Text: j.Task}, {Text: e.JobStatus}, {Text: j.Owner}, {Text: htmlTime(j.SubmittedAt)}, {Text: progress}})
	}
	s.respond(w, r, out, page)
}
