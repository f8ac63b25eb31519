package server

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/gorilla/mux"

	"github.com/tessera-gis/tessera/mosaic"
)

const gpPath = "/arcgis/rest/services/System/RasterAnalysisTools/GPServer"

// registerGPRoutes registers the GPServer's routes. Each needs the viewer
// role; submitting needs the task's role, and changing a job its owner.
func (s *Server) registerGPRoutes(r *mux.Router) {
	viewer := mosaic.RoleViewer
	s.handle(r, "", viewer, s.handleGPService)
	s.handle(r, "/", viewer, s.handleGPService)
	s.handle(r, "/{task}", viewer, s.handleTask)
	s.handle(r, "/{task}/submitJob", viewer, s.handleSubmitJob)
	s.handle(r, "/{task}/execute", viewer, s.handleExecute)
	s.handle(r, "/{task}/jobs/{job}", viewer, s.handleJob)
	s.handle(r, "/{task}/jobs/{job}/results", viewer, s.handleJobParams("results"))
	s.handle(r, "/{task}/jobs/{job}/results/{param}", viewer, s.handleJobParam("results"))
	s.handle(r, "/{task}/jobs/{job}/inputs", viewer, s.handleJobParams("inputs"))
	s.handle(r, "/{task}/jobs/{job}/inputs/{param}", viewer, s.handleJobParam("inputs"))
	s.handle(r, "/{task}/jobs/{job}/cancel", viewer, s.handleCancelJob)
	s.handle(r, "/{task}/jobs/{job}/delete", viewer, s.handleDeleteJob)
}

// esriJobStatus maps job states to the statuses clients know.
var esriJobStatus = map[mosaic.JobState]string{
	mosaic.JobNew:        "esriJobNew",
	mosaic.JobSubmitted:  "esriJobSubmitted",
	mosaic.JobWaiting:    "esriJobWaiting",
	mosaic.JobExecuting:  "esriJobExecuting",
	mosaic.JobSucceeded:  "esriJobSucceeded",
	mosaic.JobFailed:     "esriJobFailed",
	mosaic.JobTimedOut:   "esriJobTimedOut",
	mosaic.JobCancelling: "esriJobCancelling",
	mosaic.JobCancelled:  "esriJobCancelled",
	mosaic.JobDeleted:    "esriJobDeleted",
}

var esriMessageType = map[mosaic.MessageType]string{
	mosaic.MessageInfo:    "esriJobMessageTypeInformative",
	mosaic.MessageWarning: "esriJobMessageTypeWarning",
	mosaic.MessageError:   "esriJobMessageTypeError",
}

type gpServiceJSON struct {
	CurrentVersion      float64  `json:"currentVersion"`
	ServiceDescription  string   `json:"serviceDescription"`
	Tasks               []string `json:"tasks"`
	ExecutionType       string   `json:"executionType"`
	ResultMapServerName string   `json:"resultMapServerName"`
	MaximumRecords      int      `json:"maximumRecords"`
	Capabilities        string   `json:"capabilities"`
	SupportsUpload      bool     `json:"supportsUpload"`
}

func (s *Server) handleGPService(w http.ResponseWriter, r *request) error {
	out := gpServiceJSON{CurrentVersion: Version, ServiceDescription: "Raster analysis tools for image collections",
		ExecutionType: "esriExecutionTypeAsynchronous", MaximumRecords: s.cfg.MaxRecordCount, Tasks: []string{}}
	page := &htmlPage{Title: "RasterAnalysisTools (GPServer)", Description: out.ServiceDescription,
		Breadcrumbs: []link{{"Home", "/arcgis/rest/services"}, {"System", "/arcgis/rest/services/System"}},
		Props: []prop{{Name: "Execution Type", Value: out.ExecutionType + " (submitJob; execute also works)"},
			{Name: "Maximum Records", Value: strconv.Itoa(out.MaximumRecords)}},
		Tables: []htmlTable{{Title: "Tasks", Headers: []string{"Task", "Description", "Needs role"}}}}
	for _, t := range s.cfg.Jobs.Tasks() {
		out.Tasks = append(out.Tasks, t.Name)
		page.Tables[0].Rows = append(page.Tables[0].Rows, []cell{{Text: t.Name, Href: gpPath + "/" + t.Name},
			{Text: t.Description}, {Text: string(t.Permission)}})
	}
	return s.respond(w, r, out, page)
}

type gpParamJSON struct {
	Name          string   `json:"name"`
	DataType      string   `json:"dataType"`
	DisplayName   string   `json:"displayName"`
	Description   string   `json:"description"`
	Direction     string   `json:"direction"`
	DefaultValue  any      `json:"defaultValue"`
	ParameterType string   `json:"parameterType"`
	Category      string   `json:"category"`
	ChoiceList    []string `json:"choiceList,omitempty"`
}

type gpTaskJSON struct {
	Name          string        `json:"name"`
	DisplayName   string        `json:"displayName"`
	Description   string        `json:"description"`
	Category      string        `json:"category"`
	HelpURL       string        `json:"helpUrl"`
	ExecutionType string        `json:"executionType"`
	Parameters    []gpParamJSON `json:"parameters"`
}

// task returns the task named in the URL.
func (s *Server) task(r *request) (mosaic.TaskInfo, error) {
	name := r.vars("task")
	for _, t := range s.cfg.Jobs.Tasks() {
		if strings.EqualFold(t.Name, name) {
			return t, nil
		}
	}
	return mosaic.TaskInfo{}, mosaic.Errorf(mosaic.ENOTFOUND, "Task %q does not exist.", name)
}

func (s *Server) handleTask(w http.ResponseWriter, r *request) error {
	t, err := s.task(r)
	if err != nil {
		return err
	}
	out := gpTaskJSON{Name: t.Name, DisplayName: t.DisplayName, Description: t.Description,
		ExecutionType: "esriExecutionTypeAsynchronous", Parameters: []gpParamJSON{}}
	form := &htmlForm{Action: gpPath + "/" + t.Name + "/submitJob", Method: "post", Submit: "Submit Job",
		Buttons: []link{{"Execute (wait for the result)", gpPath + "/" + t.Name + "/execute"}}}
	params := htmlTable{Title: "Parameters", Headers: []string{"Name", "Data type", "Direction", "Type", "Default", "Description"}}
	for _, p := range t.Params {
		pj := gpParamJSON{Name: p.Name, DataType: p.DataType, DisplayName: p.DisplayName, Description: p.Description,
			DefaultValue: p.Default, ChoiceList: p.Choices, ParameterType: "esriGPParameterTypeOptional",
			Direction: "esriGPParameterDirectionInput"}
		if p.Required {
			pj.ParameterType = "esriGPParameterTypeRequired"
		}
		if p.Direction == mosaic.ParamOutput {
			pj.Direction = "esriGPParameterDirectionOutput"
			pj.ParameterType = "esriGPParameterTypeDerived"
		} else {
			v := ""
			if p.Default != nil {
				v = fmt.Sprint(p.Default)
			}
			form.Fields = append(form.Fields, formField{Name: p.Name, Label: p.DisplayName, Value: v, Help: p.Description,
				Multiline: p.DataType == "GPString" && p.Name != "where"})
		}
		out.Parameters = append(out.Parameters, pj)
		def := ""
		if p.Default != nil {
			def = fmt.Sprint(p.Default)
		}
		params.Rows = append(params.Rows, []cell{{Text: p.Name}, {Text: p.DataType},
			{Text: strings.TrimPrefix(pj.Direction, "esriGPParameterDirection")},
			{Text: strings.TrimPrefix(pj.ParameterType, "esriGPParameterType")}, {Text: def}, {Text: p.Description}})
	}
	return s.respond(w, r, out, &htmlPage{Title: t.DisplayName + " (" + t.Name + ")", Description: t.Description, Form: form,
		Props:       []prop{{Name: "Execution Type", Value: out.ExecutionType}, {Name: "Needs role", Value: string(t.Permission)}},
		Tables:      []htmlTable{params},
		Breadcrumbs: []link{{"Home", "/arcgis/rest/services"}, {"System", "/arcgis/rest/services/System"}, {"RasterAnalysisTools", gpPath}}})
}

// inputsFor picks the task's input parameters out of the request,
// case-insensitively. Unknown parameters are ignored.
func inputsFor(t mosaic.TaskInfo, r *request) map[string]string {
	in := map[string]string{}
	for _, p := range t.Params {
		if p.Direction != mosaic.ParamInput {
			continue
		}
		if x := r.param(p.Name); x != "" {
			in[p.Name] = x
		}
	}
	return in
}

// priority reads the optional priority (1–4, or urgent/high/normal/low) and
// urgent=true parameters.
func priority(r *request) (int, error) {
	if urgent, ok := mosaic.ParseBool(r.param("urgent"), false); ok && urgent {
		return 1, nil
	}
	switch p := strings.ToLower(strings.TrimSpace(r.param("priority"))); p {
	case "":
		return 0, nil
	case "urgent", "highest":
		return 1, nil
	case "high":
		return 1, nil
	case "normal", "default":
		return 2, nil
	case "low":
		return 3, nil
	case "lowest":
		return 4, nil
	default:
		n, err := strconv.Atoi(p)
		if err != nil || n < 1 || n > 4 {
			return 0, badParam("priority", "expected 1 (most urgent) to 4, or urgent, high, normal, low")
		}
		return n, nil
	}
}

type submitJSON struct {
	JobID     string `json:"jobId"`
	JobStatus string `json:"jobStatus"`
}

// submission reads a submitJob or execute request: the task, its inputs,
// and the caller's options. The caller needs the task's role.
func (s *Server) submission(r *request) (mosaic.TaskInfo, map[string]string, mosaic.SubmitOptions, error) {
	t, err := s.task(r)
	if err != nil {
		return t, nil, mosaic.SubmitOptions{}, err
	}
	need := t.Permission
	if need == "" {
		need = mosaic.RoleViewer
	}
	u, err := r.require(need)
	if err != nil {
		return t, nil, mosaic.SubmitOptions{}, err
	}
	p, err := priority(r)
	if err != nil {
		return t, nil, mosaic.SubmitOptions{}, err
	}
	return t, inputsFor(t, r), mosaic.SubmitOptions{User: u, Priority: p, RequestID: r.id}, nil
}

func (s *Server) handleSubmitJob(w http.ResponseWriter, r *request) error {
	t, inputs, opts, err := s.submission(r)
	if err != nil {
		return err
	}
	j, err := s.cfg.Jobs.Submit(r.Context(), t.Name, inputs, opts)
	if err != nil {
		return err
	}
	r.jobID = j.ID
	if r.f == "html" {
		http.Redirect(w, r.Request, addToken(gpPath+"/"+t.Name+"/jobs/"+j.ID, r.token), http.StatusSeeOther)
		return nil
	}
	return s.respond(w, r, submitJSON{JobID: j.ID, JobStatus: esriJobStatus[j.State]}, nil)
}

type paramValueJSON struct {
	ParamName string          `json:"paramName"`
	DataType  string          `json:"dataType"`
	Value     json.RawMessage `json:"value"`
}

type executeJSON struct {
	Results  []paramValueJSON `json:"results"`
	Messages []messageJSON    `json:"messages"`
}

// handleExecute runs a task synchronously: it submits a job and waits.
func (s *Server) handleExecute(w http.ResponseWriter, r *request) error {
	t, inputs, opts, err := s.submission(r)
	if err != nil {
		return err
	}
	j, err := s.cfg.Jobs.Execute(r.Context(), t.Name, inputs, opts)
	if j != nil {
		r.jobID = j.ID
	}
	if err != nil {
		return err
	}
	if j.State != mosaic.JobSucceeded {
		msg := "Job " + esriJobStatus[j.State] + "."
		var details []string
		for _, m := range j.Messages {
			if m.Type == mosaic.MessageError {
				details = append(details, m.Description)
			}
		}
		return &mosaic.Error{Code: mosaic.EINVALID, Message: msg, Details: details}
	}
	out := executeJSON{Results: []paramValueJSON{}, Messages: messagesJSON(j)}
	for _, p := range t.Params {
		if res, ok := j.Results[p.Name]; ok && p.Direction == mosaic.ParamOutput {
			out.Results = append(out.Results, paramValueJSON{ParamName: p.Name, DataType: res.DataType, Value: res.Value})
		}
	}
	return s.respond(w, r, out, nil)
}

type messageJSON struct {
	Type        string `json:"type"`
	Description string `json:"description"`
}

type paramURLJSON struct {
	ParamURL string `json:"paramUrl"`
}

type progressJSON struct {
	Type       string `json:"type"`
	Message    string `json:"message"`
	Percentage int    `json:"percentage"`
}

type jobJSON struct {
	JobID     string                  `json:"jobId"`
	JobStatus string                  `json:"jobStatus"`
	Results   map[string]paramURLJSON `json:"results,omitempty"`
	Inputs    map[string]paramURLJSON `json:"inputs"`
	Messages  *[]messageJSON          `json:"messages,omitempty"` // [] when empty, absent with returnMessages=false
	Progress  *progressJSON           `json:"progress,omitempty"`
}

func messagesJSON(j *mosaic.Job) []messageJSON {
	out := make([]messageJSON, 0, len(j.Messages))
	for _, m := range j.Messages {
		out = append(out, messageJSON{Type: esriMessageType[m.Type], Description: m.Description})
	}
	return out
}

// job loads the job named in the URL, which must belong to the URL's task.
func (s *Server) job(r *request) (*mosaic.Job, mosaic.TaskInfo, error) {
	t, err := s.task(r)
	if err != nil {
		return nil, t, err
	}
	id := r.vars("job")
	j, err := s.cfg.Jobs.Job(r.Context(), id)
	if err == nil && !strings.EqualFold(j.Task, t.Name) {
		err = mosaic.Errorf(mosaic.ENOTFOUND, "Job %q does not exist.", id)
	}
	if err != nil {
		return nil, t, err
	}
	return j, t, nil
}

// withMessages reads returnMessages: messages are left out of a job's
// status only for false.
func withMessages(r *request) bool {
	v, ok := mosaic.ParseBool(r.param("returnMessages"), true)
	return v || !ok
}

// jobView is a job's JSON. Without full (a viewer asking) it has no
// messages and no inputs but the collection: they name source files.
func jobView(j *mosaic.Job, t mosaic.TaskInfo, withMessages, full bool) jobJSON {
	out := jobJSON{JobID: j.ID, JobStatus: esriJobStatus[j.State], Inputs: map[string]paramURLJSON{}}
	for _, p := range t.Params {
		switch {
		case p.Direction == mosaic.ParamInput:
			if !full && !publicInput(p.Name) {
				continue
			}
			// As on ArcGIS, a job that ended without succeeding links
			// neither its inputs nor its results.
			if _, ok := j.Inputs[p.Name]; ok && (j.State == mosaic.JobSucceeded || !j.State.Terminal()) {
				out.Inputs[p.Name] = paramURLJSON{"inputs/" + p.Name}
			}
		case j.State == mosaic.JobSucceeded:
			if _, ok := j.Results[p.Name]; ok {
				if out.Results == nil {
					out.Results = map[string]paramURLJSON{}
				}
				out.Results[p.Name] = paramURLJSON{"results/" + p.Name}
			}
		}
	}
	if withMessages {
		msgs := []messageJSON{}
		if full {
			msgs = messagesJSON(j)
		}
		out.Messages = &msgs
	}
	if j.State == mosaic.JobExecuting && j.Progress != nil {
		out.Progress = &progressJSON{Type: "default", Message: j.Progress.Message, Percentage: j.Progress.Percentage}
	}
	return out
}

func (s *Server) handleJob(w http.ResponseWriter, r *request) error {
	j, t, err := s.job(r)
	if err != nil {
		return err
	}
	return s.respond(w, r, jobView(j, t, withMessages(r), r.seesSources()), s.jobPage(j, t, r.seesSources()))
}

func (s *Server) jobPage(j *mosaic.Job, t mosaic.TaskInfo, full bool) *htmlPage {
	base := gpPath + "/" + t.Name + "/jobs/" + j.ID
	p := &htmlPage{Title: "Job " + j.ID,
		Breadcrumbs: []link{{"Home", "/arcgis/rest/services"}, {"System", "/arcgis/rest/services/System"},
			{"RasterAnalysisTools", gpPath}, {t.Name, gpPath + "/" + t.Name}},
		Props: []prop{{Name: "Job ID", Value: j.ID}, {Name: "Status", Value: esriJobStatus[j.State]},
			{Name: "Task", Value: t.Name, Href: gpPath + "/" + t.Name}, {Name: "Owner", Value: j.Owner},
			{Name: "Priority", Value: strconv.Itoa(j.Priority)}, {Name: "Submitted", Value: htmlTime(j.SubmittedAt)}},
		Links: []link{{"Refresh", base}}}
	if !j.StartedAt.IsZero() {
		p.Props = append(p.Props, prop{Name: "Started", Value: htmlTime(j.StartedAt)})
	}
	if !j.FinishedAt.IsZero() {
		p.Props = append(p.Props, prop{Name: "Finished", Value: htmlTime(j.FinishedAt)})
	}
	if j.Progress != nil && !j.State.Terminal() {
		p.Props = append(p.Props, prop{Name: "Progress", Value: fmt.Sprintf("%d%% %s", j.Progress.Percentage, j.Progress.Message)})
	}
	msgs := htmlTable{Title: "Messages", Headers: []string{"Type", "Description"}}
	for _, m := range j.Messages {
		if full {
			msgs.Rows = append(msgs.Rows, []cell{{Text: string(m.Type)}, {Text: m.Description}})
		}
	}
	params := htmlTable{Title: "Parameters", Headers: []string{"Name", "Direction", "Value"}}
	for _, prm := range t.Params {
		switch {
		case prm.Direction == mosaic.ParamInput && !full && !publicInput(prm.Name):
		case prm.Direction == mosaic.ParamInput:
			if v, ok := j.Inputs[prm.Name]; ok {
				params.Rows = append(params.Rows, []cell{{Text: prm.Name, Href: base + "/inputs/" + prm.Name}, {Text: "input"}, {Text: v}})
			}
		case j.State == mosaic.JobSucceeded:
			if res, ok := j.Results[prm.Name]; ok {
				params.Rows = append(params.Rows, []cell{{Text: prm.Name, Href: base + "/results/" + prm.Name}, {Text: "result"}, {Text: string(res.Value)}})
			}
		}
	}
	p.Tables = []htmlTable{params, msgs}
	if !j.State.Terminal() {
		p.Actions = append(p.Actions, &htmlForm{Action: base + "/cancel", Method: "post", Submit: "Cancel Job"})
	}
	p.Actions = append(p.Actions, &htmlForm{Action: base + "/delete", Method: "post", Submit: "Delete Job"})
	return p
}

func htmlTime(t time.Time) string { return t.UTC().Format("2006-01-02 15:04:05.000 UTC") }

// handleJobParams lists every result or input of a job as an array, as
// ArcGIS 11.1+ does.
func (s *Server) handleJobParams(kind string) handler {
	return func(w http.ResponseWriter, r *request) error {
		j, t, err := s.job(r)
		if err != nil {
			return err
		}
		out := []paramValueJSON{}
		for _, p := range t.Params {
			if kind == "inputs" && !r.seesSources() && !publicInput(p.Name) {
				continue
			}
			if v, ok := paramValue(j, p, kind); ok {
				out = append(out, v)
			}
		}
		if kind == "results" && j.State != mosaic.JobSucceeded {
			return notReady(j)
		}
		return s.respond(w, r, out, nil)
	}
}

func (s *Server) handleJobParam(kind string) handler {
	return func(w http.ResponseWriter, r *request) error {
		j, t, err := s.job(r)
		if err != nil {
			return err
		}
		name := r.vars("param")
		if err := canSeeInput(r, kind, name); err != nil {
			return err
		}
		for _, p := range t.Params {
			if !strings.EqualFold(p.Name, name) {
				continue
			}
			if kind == "results" && p.Direction == mosaic.ParamOutput && j.State != mosaic.JobSucceeded {
				return notReady(j)
			}
			if v, ok := paramValue(j, p, kind); ok {
				return s.respond(w, r, v, &htmlPage{Title: j.ID + " " + strings.TrimSuffix(kind, "s") + " " + p.Name,
					Breadcrumbs: []link{{"Home", "/arcgis/rest/services"}, {"RasterAnalysisTools", gpPath}, {t.Name, gpPath + "/" + t.Name},
						{j.ID, gpPath + "/" + t.Name + "/jobs/" + j.ID}}})
			}
		}
		return mosaic.Errorf(mosaic.ENOTFOUND, "Job %s has no %s parameter %q.", j.ID, strings.TrimSuffix(kind, "s"), name)
	}
}

// publicInput reports whether every caller may see a job's input: only
// the collection; the others (inputRasters, where, context…) may name
// source files.
func publicInput(name string) bool { return strings.EqualFold(name, "imageCollection") }

// canSeeInput refuses a job's input to callers who do not see sources.
func canSeeInput(r *request, kind, name string) error {
	if kind != "inputs" || r.seesSources() || publicInput(name) {
		return nil
	}
	if _, err := r.require(mosaic.RolePublisher); err != nil {
		return mosaic.Errorf(mosaic.ErrorCode(err), "%s", mosaic.ErrorMessage(err)).WithDetails(
			"A job's inputs name source files: only publishers and admins may read them.")
	}
	return nil
}

func notReady(j *mosaic.Job) error {
	return mosaic.Errorf(mosaic.EINVALID, "Results are not available.").WithDetails(
		fmt.Sprintf("Job %s is %s; results exist only for esriJobSucceeded.", j.ID, esriJobStatus[j.State]))
}

// paramValue renders one input or result of a job.
func paramValue(j *mosaic.Job, p mosaic.ParamInfo, kind string) (paramValueJSON, bool) {
	if kind == "results" {
		res, ok := j.Results[p.Name]
		if !ok || p.Direction != mosaic.ParamOutput {
			return paramValueJSON{}, false
		}
		return paramValueJSON{ParamName: p.Name, DataType: res.DataType, Value: res.Value}, true
	}
	raw, ok := j.Inputs[p.Name]
	if !ok || p.Direction != mosaic.ParamInput {
		return paramValueJSON{}, false
	}
	// JSON-valued inputs echo as JSON; everything else as a string.
	var v json.RawMessage
	trimmed := strings.TrimSpace(raw)
	if (strings.HasPrefix(trimmed, "{") || strings.HasPrefix(trimmed, "[")) && json.Valid([]byte(trimmed)) {
		v = json.RawMessage(trimmed)
	} else if p.DataType == "GPBoolean" && (strings.EqualFold(trimmed, "true") || strings.EqualFold(trimmed, "false")) {
		v = json.RawMessage(strings.ToLower(trimmed))
	} else {
		v, _ = json.Marshal(raw)
	}
	return paramValueJSON{ParamName: p.Name, DataType: p.DataType, Value: v}, true
}

func (s *Server) handleCancelJob(w http.ResponseWriter, r *request) error {
	j, t, err := s.changeableJob(r)
	if err != nil {
		return err
	}
	if j, err = s.cfg.Jobs.Cancel(r.Context(), j.ID); err != nil {
		return err
	}
	if r.f == "html" {
		http.Redirect(w, r.Request, gpPath+"/"+t.Name+"/jobs/"+j.ID, http.StatusSeeOther)
		return nil
	}
	return s.respond(w, r, jobView(j, t, withMessages(r), r.seesSources()), nil)
}

func (s *Server) handleDeleteJob(w http.ResponseWriter, r *request) error {
	j, t, err := s.changeableJob(r)
	if err != nil {
		return err
	}
	if j, err = s.cfg.Jobs.Delete(r.Context(), j.ID); err != nil {
		return err
	}
	if r.f == "html" {
		http.Redirect(w, r.Request, addToken(gpPath+"/"+t.Name, r.token), http.StatusSeeOther)
		return nil
	}
	return s.respond(w, r, submitJSON{JobID: j.ID, JobStatus: esriJobStatus[mosaic.JobDeleted]}, nil)
}

// changeableJob loads the job named in the URL for cancel and delete,
// which its owner and admins may do. Ownership needs a name: a job
// submitted without a token belongs to "anonymous", a name no account can
// have, so only an admin may cancel or delete it (in open mode every
// local caller is one).
func (s *Server) changeableJob(r *request) (*mosaic.Job, mosaic.TaskInfo, error) {
	j, t, err := s.job(r)
	if err != nil {
		return nil, t, err
	}
	if r.authErr != nil {
		return nil, t, r.authErr
	}
	u := r.user
	if u.Can(mosaic.RoleAdmin) || (u != nil && u.Name != "" && j.Owner == u.Name) {
		return j, t, nil
	}
	if r.crossSite != "" {
		return nil, t, errCrossSite(r.crossSite, r.auth != nil)
	}
	return nil, t, mosaic.Errorf(mosaic.EFORBIDDEN, "You do not have permissions to access this resource or perform this operation.").
		WithDetails("Only the job's owner or an admin may cancel or delete it; a job submitted without a token has no owner who could.")
}
