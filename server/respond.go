package server

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"html/template"
	"net/http"
	"net/url"
	"strings"

	"github.com/tessera-gis/tessera/mosaic"
)

// writeJSON writes v as JSON with the given content type ("" for the
// default), indented for f=pjson. Every JSON answer goes through it.
func writeJSON(w http.ResponseWriter, r *request, status int, v any, contentType string) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if r.f == "pjson" {
		enc.SetIndent("", "  ")
	}
	if err := enc.Encode(v); err != nil {
		http.Error(w, "encoding error", http.StatusInternalServerError)
		return
	}
	writeJSONBody(w, r, status, buf.Bytes(), contentType)
}

// writeJSONBody writes body, JSON that ends with a newline, as writeJSON
// does: the headers, and the JSONP wrapping when the request asks it.
func writeJSONBody(w http.ResponseWriter, r *request, status int, body []byte, contentType string) {
	ct := "application/json; charset=utf-8"
	if r.f == "pjson" {
		ct = "text/plain; charset=utf-8"
	}
	if contentType != "" {
		ct = contentType
	}
	if r.callback != "" && (r.f == "pjson" || strings.HasPrefix(ct, "application/json")) {
		// JSONP, as ArcGIS Server answers callback=NAME: the name was
		// checked by jsonpCallback, the leading comment defeats content
		// sniffing tricks on the first bytes.
		ct = "application/javascript; charset=utf-8"
		body = append([]byte("/**/"+r.callback+"("), append(bytes.TrimRight(body, "\n"), ");\n"...)...)
	}
	w.Header().Set("Content-Type", ct)
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	w.Write(body)
}

// jsonpCallback reports whether name may be a JSONP callback: dot-separated
// JavaScript identifiers of ASCII letters, digits, _ and $, at most 128
// bytes, as Dojo's and esri-leaflet's generated names are.
func jsonpCallback(name string) bool {
	if len(name) == 0 || len(name) > 128 {
		return false
	}
	for _, part := range strings.Split(name, ".") {
		if part == "" || (part[0] >= '0' && part[0] <= '9') {
			return false
		}
		for i := 0; i < len(part); i++ {
			c := part[i]
			if !(c == '_' || c == '$' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9') {
				return false
			}
		}
	}
	return true
}

// respond writes v in the requested format: JSON, or an HTML page of the
// services directory. Other formats are an error.
func (s *Server) respond(w http.ResponseWriter, r *request, v any, page *htmlPage) error {
	switch r.f {
	case "json", "pjson":
		writeJSON(w, r, http.StatusOK, v, "")
	case "html":
		if page == nil {
			page = &htmlPage{}
		}
		page.JSON = v
		s.writeHTML(w, r, http.StatusOK, page)
	default:
		return mosaic.Errorf(mosaic.EINVALID, "Unsupported format %q.", r.f).WithDetails(
			"Use f=json, f=pjson or f=html.")
	}
	return nil
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
	mosaic.ECANCELED:     408, // the request ended (client gone or timed out) before the answer; never a 500
	mosaic.EUNAUTHORIZED: 499,
	mosaic.EINVALIDTOKEN: 498,
	mosaic.EFORBIDDEN:    403,
	mosaic.ELIMIT:        429,
	mosaic.EUNAVAILABLE:  503, // the database connection was lost; the client may try again
	mosaic.EINTERNAL:     500,
}

// Error writes err as an Esri error envelope. Every non-HTML response uses
// HTTP 200 with the code in the body, as ArcGIS Server does: ArcGIS REST JS
// throws a generic "HTTP 4xx" error for other statuses without reading the
// body (so its token refresh on 498 never runs), QGIS drops the message,
// and @arcgis/core and the Python API read only the body. That includes
// f=image requests, answered with a JSON body. HTML pages get the matching
// HTTP status. Internal errors are logged and reported as "Internal error."
// Every error response goes through Error: handlers return their errors
// to serve, which calls it.
func (s *Server) Error(w http.ResponseWriter, hr *http.Request, err error) {
	r := requestOf(hr)
	code := mosaic.ErrorCode(err)
	if code == mosaic.EINTERNAL && hr.Context().Err() != nil &&
		(errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded)) {
		// The request ended (the client went away or its deadline passed)
		// and took the work with it: not a server error, whichever layer
		// returned the bare context error.
		code, err = mosaic.ECANCELED, &mosaic.Error{Code: mosaic.ECANCELED, Message: "The request was cancelled.", Err: err}
	}
	switch code {
	case mosaic.EINTERNAL:
		s.log.Error("internal error", "method", r.Method, "path", r.URL.Path, "request_id", r.id, "err", err)
	case mosaic.EUNAVAILABLE:
		s.log.Warn("database unavailable", "method", r.Method, "path", r.URL.Path, "request_id", r.id, "err", err)
	}
	body := esriError{Error: esriErrorBody{Code: codes[code], Message: mosaic.ErrorMessage(err), Details: mosaic.ErrorDetails(err)}}
	if body.Error.Details == nil {
		body.Error.Details = []string{}
	}
	r.code = body.Error.Code
	if r.f == "html" {
		s.writeHTML(w, r, httpStatus(body.Error.Code), &htmlPage{Title: "Error", Error: &body.Error})
		return
	}
	writeJSON(w, r, http.StatusOK, body, "application/json; charset=utf-8")
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

// htmlPage is one page of the browsable services directory. Every page
// has breadcrumbs back to Home, links to its JSON, and the JSON itself;
// pages add properties, tables, links and forms.
type htmlPage struct {
	Title       string
	Description string
	Breadcrumbs []link
	Props       []prop
	Tables      []htmlTable
	Links       []link
	Form        *htmlForm   // the main form, e.g. submitJob
	Actions     []*htmlForm // small forms shown as buttons, e.g. cancel
	Error       *esriErrorBody
	JSON        any

	// Set by writeHTML.
	JSONURL, PrettyURL string
	Token              string
}

type link struct{ Text, Href string }

// prop is one property row: a name and a text value or a link.
type prop struct{ Name, Value, Href string }

type htmlTable struct {
	Title   string
	Headers []string
	Rows    [][]cell
}

type cell struct{ Text, Href string }

type htmlForm struct {
	Action string
	Method string
	Fields []formField
	Submit string
	// Buttons are extra submit buttons posting to other actions (formaction).
	Buttons []link
}

type formField struct {
	Name, Label, Value, Help string
	Multiline, Password      bool
}

var pageTemplate = template.Must(template.New("page").Funcs(template.FuncMap{"tok": addToken}).Parse(`<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>{{.Title}} - tessera</title>
<style>
body{font-family:system-ui,sans-serif;margin:0;color:#222;line-height:1.4}
header{background:#2b4b6f;color:#fff;padding:.6em 1.5em}header a{color:#fff;text-decoration:none}
main{padding:1em 1.5em;max-width:75em}
nav{font-size:95%;margin-bottom:.5em}nav a{margin-right:.3em}
h1{font-size:1.5em;margin:.3em 0}h2{font-size:1.15em;margin-top:1.4em;border-bottom:1px solid #ddd}
pre{background:#f4f4f4;padding:1em;overflow:auto;font-size:85%}
table{border-collapse:collapse;margin:.5em 0}td,th{border:1px solid #ddd;padding:.25em .6em;text-align:left;vertical-align:top}
th{background:#f0f3f7}table.props th{width:14em}
ul.links li{margin:.2em 0}label{display:block;margin-top:.6em;font-weight:600}
input[type=text],input[type=password],textarea{width:100%;max-width:48em;font-family:monospace}
.help{font-size:85%;color:#555}.error{color:#a00}.formats{font-size:90%;color:#555}
form.action{display:inline-block;margin-right:.5em}button{margin-top:.6em}
</style></head><body>
<header><a href="{{tok "/arcgis/rest/services" $.Token}}"><b>tessera</b> &mdash; ArcGIS REST Services Directory</a></header>
<main>
<nav>{{range .Breadcrumbs}}<a href="{{tok .Href $.Token}}">{{.Text}}</a> &gt; {{end}}<b>{{.Title}}</b></nav>
<h1>{{.Title}}</h1>
{{if .JSONURL}}<p class="formats">View as: <a href="{{.JSONURL}}">JSON</a> | <a href="{{.PrettyURL}}">pretty JSON</a></p>{{end}}
{{with .Description}}<p>{{.}}</p>{{end}}
{{with .Error}}<p class="error">Error {{.Code}}: {{.Message}}</p><ul>{{range .Details}}<li>{{.}}</li>{{end}}</ul>{{end}}
{{if .Props}}<table class="props">{{range .Props}}<tr><th>{{.Name}}</th><td>{{if .Href}}<a href="{{tok .Href $.Token}}">{{.Value}}</a>{{else}}{{.Value}}{{end}}</td></tr>{{end}}</table>{{end}}
{{range .Tables}}<h2>{{.Title}}</h2><table><tr>{{range .Headers}}<th>{{.}}</th>{{end}}</tr>
{{range .Rows}}<tr>{{range .}}<td>{{if .Href}}<a href="{{tok .Href $.Token}}">{{.Text}}</a>{{else}}{{.Text}}{{end}}</td>{{end}}</tr>
{{end}}</table>{{end}}
{{if .Links}}<ul class="links">{{range .Links}}<li><a href="{{tok .Href $.Token}}">{{.Text}}</a></li>{{end}}</ul>{{end}}
{{range .Actions}}<form class="action" action="{{.Action}}" method="{{.Method}}">{{if $.Token}}<input type="hidden" name="token" value="{{$.Token}}">{{end}}<input type="hidden" name="f" value="html"><button type="submit">{{.Submit}}</button></form>{{end}}
{{with .Form}}<h2>{{.Submit}}</h2><form action="{{.Action}}" method="{{.Method}}">
{{if $.Token}}<input type="hidden" name="token" value="{{$.Token}}">{{end}}
{{range .Fields}}<label for="{{.Name}}">{{.Label}}</label>
{{if .Multiline}}<textarea id="{{.Name}}" name="{{.Name}}" rows="3">{{.Value}}</textarea>{{else}}<input type="{{if .Password}}password{{else}}text{{end}}" id="{{.Name}}" name="{{.Name}}" value="{{.Value}}">{{end}}
{{with .Help}}<div class="help">{{.}}</div>{{end}}{{end}}
<label for="f">Format</label><select id="f" name="f"><option value="html">HTML</option><option value="pjson">JSON</option></select>
<p><button type="submit">{{.Submit}}</button>{{range .Buttons}} <button type="submit" formaction="{{.Href}}">{{.Text}}</button>{{end}}</p></form>{{end}}
{{if .JSON}}<h2>JSON</h2><pre>{{.JSONText}}</pre>{{end}}
</main></body></html>
`))

// addToken carries a token given as a parameter on to a page's links, as
// the ArcGIS Services Directory does, so that a signed-in user can browse.
func addToken(href, token string) string {
	if token == "" || href == "" {
		return href
	}
	u, err := url.Parse(href)
	if err != nil || u.Host != "" {
		return href
	}
	q := u.Query()
	q.Set("token", token)
	u.RawQuery = q.Encode()
	return u.String()
}

// JSONText renders the page's JSON for display.
func (p *htmlPage) JSONText() string {
	b, err := json.MarshalIndent(p.JSON, "", "  ")
	if err != nil {
		return ""
	}
	return string(b)
}

func (s *Server) writeHTML(w http.ResponseWriter, r *request, status int, p *htmlPage) {
	p.Token = r.token
	if p.JSON != nil && r.Method == http.MethodGet {
		u := *r.URL
		q := u.Query()
		q.Set("f", "json")
		u.RawQuery = q.Encode()
		p.JSONURL = u.String()
		q.Set("f", "pjson")
		u.RawQuery = q.Encode()
		p.PrettyURL = u.String()
	}
	var buf bytes.Buffer
	if err := pageTemplate.Execute(&buf, p); err != nil {
		s.log.Error("render html", "err", err)
		http.Error(w, "render error", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	w.Write(buf.Bytes())
}
