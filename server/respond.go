package server

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"html/template"
	"net/http"
	"net/url"
	"strings"

	"github.com/tessera-gis/tessera/mosaic"
)

// params parses the query string and a form body into one set of values,
// enforcing the size limits. Esri clients send GET queries and POST forms.
func (s *Server) params(r *http.Request) (url.Values, error) {
	if err := r.ParseForm(); err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return nil, mosaic.Errorf(mosaic.ELIMIT, "Request body too large.").WithDetails(
				fmt.Sprintf("The limit is %d bytes.", mbe.Limit))
		}
		return nil, mosaic.Errorf(mosaic.EINVALID, "Unable to parse the request.").WithDetails(err.Error())
	}
	for k, vs := range r.Form {
		for _, v := range vs {
			if len(v) > s.cfg.MaxParamBytes {
				return nil, mosaic.Errorf(mosaic.ELIMIT, "Parameter %s is too long.", k).WithDetails(
					fmt.Sprintf("The limit is %d bytes per parameter.", s.cfg.MaxParamBytes))
			}
		}
	}
	return r.Form, nil
}

// param returns a parameter, matching its name case-insensitively as ArcGIS
// does (clients send returnCountOnly, returncountonly…).
func param(v url.Values, name string) string {
	if x, ok := v[name]; ok && len(x) > 0 {
		return x[0]
	}
	for k, x := range v {
		if len(x) > 0 && strings.EqualFold(k, name) {
			return x[0]
		}
	}
	return ""
}

// format returns the requested response format: json, pjson, html, image,
// geojson… The default is html, as on ArcGIS.
func format(r *http.Request) string {
	f := strings.ToLower(strings.TrimSpace(r.Form.Get("f")))
	if f == "" {
		f = strings.ToLower(strings.TrimSpace(r.URL.Query().Get("f")))
	}
	if f == "" {
		return "html"
	}
	return f
}

// writeJSON writes v as JSON, indented for f=pjson.
func writeJSON(w http.ResponseWriter, r *http.Request, status int, v any) {
	writeJSONType(w, r, status, v, "")
}

// writeJSONType writes v as JSON with the given content type ("" for the
// default).
func writeJSONType(w http.ResponseWriter, r *http.Request, status int, v any, contentType string) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if format(r) == "pjson" {
		enc.SetIndent("", "  ")
	}
	if err := enc.Encode(v); err != nil {
		http.Error(w, "encoding error", http.StatusInternalServerError)
		return
	}
	ct := "application/json; charset=utf-8"
	if format(r) == "pjson" {
		ct = "text/plain; charset=utf-8"
	}
	if contentType != "" {
		ct = contentType
	}
	w.Header().Set("Content-Type", ct)
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	w.Write(buf.Bytes())
}

// respond writes v in the requested format: JSON, or an HTML page of the
// services directory.
func (s *Server) respond(w http.ResponseWriter, r *http.Request, v any, page *htmlPage) {
	switch format(r) {
	case "json", "pjson":
		writeJSON(w, r, http.StatusOK, v)
	case "html":
		if page == nil {
			page = &htmlPage{}
		}
		page.JSON = v
		s.writeHTML(w, r, http.StatusOK, page)
	default:
		s.Error(w, r, mosaic.Errorf(mosaic.EINVALID, "Unsupported format %q.", format(r)).WithDetails(
			"Use f=json, f=pjson or f=html."))
	}
}

// esriError is the Esri error envelope.
type esriError struct {
	Error esriErrorBody `json:"error"`
}

type esriErrorBody struct {
	Code    int      `json:"code"`
	Message string   `json:"message"`
	Details []string `json:"details"`
}

// codes maps mosaic error codes to Esri error codes.
var codes = map[string]int{
	mosaic.EINVALID:      400,
	mosaic.ENOTFOUND:     404,
	mosaic.ECONFLICT:     409,
	mosaic.ECANCELED:     500,
	mosaic.EUNAUTHORIZED: 499,
	mosaic.EINVALIDTOKEN: 498,
	mosaic.EFORBIDDEN:    403,
	mosaic.ELIMIT:        429,
	mosaic.EINTERNAL:     500,
}

// Error writes err as an Esri error envelope. Every non-HTML response uses
// HTTP 200 with the code in the body, as ArcGIS Server does: ArcGIS REST JS
// throws a generic "HTTP 4xx" error for other statuses without reading the
// body (so its token refresh on 498 never runs), QGIS drops the message,
// and @arcgis/core and the Python API read only the body. That includes
// f=image requests, answered with a JSON body. HTML pages get the matching
// HTTP status. Internal errors are logged and reported as "Internal error."
func (s *Server) Error(w http.ResponseWriter, r *http.Request, err error) {
	code := mosaic.ErrorCode(err)
	if code == mosaic.EINTERNAL {
		s.log.Error("internal error", "method", r.Method, "path", r.URL.Path, "err", err)
	}
	body := esriError{Error: esriErrorBody{Code: codes[code], Message: mosaic.ErrorMessage(err), Details: mosaic.ErrorDetails(err)}}
	if body.Error.Details == nil {
		body.Error.Details = []string{}
	}
	if format(r) == "html" {
		s.writeHTML(w, r, httpStatus(body.Error.Code), &htmlPage{Title: "Error", Error: &body.Error})
		return
	}
	writeJSONType(w, r, http.StatusOK, body, "application/json; charset=utf-8")
}

func httpStatus(code int) int {
	switch code {
	case 498, 499:
		return http.StatusUnauthorized
	case 0:
		return http.StatusInternalServerError
	}
	if http.StatusText(code) == "" {
		return http.StatusInternalServerError
	}
	return code
}

// htmlPage is one page of the browsable services directory.
type htmlPage struct {
	Title       string
	Breadcrumbs []link
	Links       []link
	Form        *htmlForm
	Error       *esriErrorBody
	JSON        any
}

type link struct{ Text, Href string }

type htmlForm struct {
	Action string
	Method string
	Fields []formField
	Submit string
}

type formField struct {
	Name, Label, Value, Help string
	Multiline, Password      bool
}

var pageTemplate = template.Must(template.New("page").Parse(`<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>{{.Title}} - tessera</title>
<style>
body{font-family:system-ui,sans-serif;margin:0;color:#222}
header{background:#2b4b6f;color:#fff;padding:.6em 1em}header a{color:#fff}
main{padding:1em 1.5em;max-width:70em}
nav a{margin-right:.3em}pre{background:#f4f4f4;padding:1em;overflow:auto;font-size:90%}
ul.links li{margin:.2em 0}label{display:block;margin-top:.6em;font-weight:600}
input[type=text],textarea{width:100%;max-width:48em;font-family:monospace}
.help{font-size:85%;color:#555}.error{color:#a00}
</style></head><body>
<header><b>tessera</b> &mdash; ArcGIS REST Services Directory</header>
<main>
<nav>{{range .Breadcrumbs}}<a href="{{.Href}}">{{.Text}}</a> &gt; {{end}}<b>{{.Title}}</b></nav>
<h1>{{.Title}}</h1>
{{with .Error}}<p class="error">Error {{.Code}}: {{.Message}}</p><ul>{{range .Details}}<li>{{.}}</li>{{end}}</ul>{{end}}
{{if .Links}}<ul class="links">{{range .Links}}<li><a href="{{.Href}}">{{.Text}}</a></li>{{end}}</ul>{{end}}
{{with .Form}}<form action="{{.Action}}" method="{{.Method}}">
{{range .Fields}}<label for="{{.Name}}">{{.Label}}</label>
{{if .Multiline}}<textarea id="{{.Name}}" name="{{.Name}}" rows="3">{{.Value}}</textarea>{{else}}<input type="text" id="{{.Name}}" name="{{.Name}}" value="{{.Value}}">{{end}}
{{with .Help}}<div class="help">{{.}}</div>{{end}}{{end}}
<label for="f">Format</label><select id="f" name="f"><option value="html">HTML</option><option value="pjson">JSON</option></select>
<p><button type="submit">{{.Submit}}</button></p></form>{{end}}
{{if .JSON}}<h2>JSON</h2><pre>{{.JSONText}}</pre>{{end}}
</main></body></html>
`))

// JSONText renders the page's JSON for display.
func (p *htmlPage) JSONText() string {
	b, err := json.MarshalIndent(p.JSON, "", "  ")
	if err != nil {
		return ""
	}
	return string(b)
}

func (s *Server) writeHTML(w http.ResponseWriter, r *http.Request, status int, p *htmlPage) {
	var buf bytes.Buffer
	if err := pageTemplate.Execute(&buf, p); err != nil {
		s.log.Error("render html", "err", err)
		http.Error(w, "render error", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(status)
	w.Write(buf.Bytes())
}
