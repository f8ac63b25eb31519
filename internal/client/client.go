// Package client talks to a running tessera server over its REST API, as
// any ArcGIS REST client does: it gets tokens, lists collections, submits
// geoprocessing jobs and follows them to the end, and lists jobs. The
// admin commands of cmd/tessera are built on it. It imports no other
// tessera package, so it can only do what the HTTP API offers.
//
// Every request carries f=json and, when the client has one, the token or
// API key in the X-Esri-Authorization header (never in the URL). Failures
// are typed: an Esri error envelope is an *Error with its code (498 and 499
// for tokens, 403 for roles, 400, 404, 409 and 429 for requests), an
// answer that is not the REST API is a *ResponseError, and a server that
// cannot be reached is a *ConnError.
package client

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// DefaultURL is the /arcgis root of a server started with the defaults.
const DefaultURL = "http://127.0.0.1:8080/arcgis"

// GPPath is the RasterAnalysisTools GPServer, relative to the root.
const GPPath = "/rest/services/System/RasterAnalysisTools/GPServer"

// maxResponse caps the bytes read from one response.
const maxResponse = 256 << 20

// Client is a connection to one server. Its fields may be set after New
// and before the first request.
type Client struct {
	// URL is the /arcgis root, e.g. http://127.0.0.1:8080/arcgis.
	URL string
	// Token is a token from generateToken or an API key; "" sends none.
	Token string
	// HTTP sends the requests.
	HTTP *http.Client
	// PollMin and PollMax bound the pause between two polls of a job:
	// Wait starts at PollMin and lengthens it up to PollMax.
	PollMin, PollMax time.Duration
	// UserAgent is sent with every request.
	UserAgent string
}

// New returns a client for the server whose /arcgis root is rootURL. A
// URL without a path gets /arcgis; a services-directory URL is cut back to
// the root.
func New(rootURL, token string) (*Client, error) {
	u, err := url.Parse(strings.TrimSpace(rootURL))
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("server URL %q: want http(s)://HOST[:PORT]/arcgis", rootURL)
	}
	u.RawQuery, u.Fragment = "", ""
	p := strings.TrimRight(u.Path, "/")
	if i := strings.Index(p, "/rest"); i >= 0 {
		p = p[:i]
	}
	if p == "" {
		p = "/arcgis"
	}
	u.Path = p
	return &Client{URL: u.String(), Token: token, HTTP: &http.Client{Timeout: 5 * time.Minute},
		PollMin: 100 * time.Millisecond, PollMax: time.Second, UserAgent: "tessera-cli"}, nil
}

// Error is an Esri error envelope the server answered.
type Error struct {
	Code    int      `json:"code"`
	Message string   `json:"message"`
	Details []string `json:"details"`
}

func (e *Error) Error() string {
	msg := strings.TrimSpace(e.Message)
	if len(e.Details) > 0 {
		msg += " " + strings.Join(e.Details, " ")
	}
	return fmt.Sprintf("%s (code %d)", msg, e.Code)
}

// IsAuth reports whether err is a token or permission error: 498 (invalid
// or expired token), 499 (token required) or 403 (role too low).
func IsAuth(err error) bool {
	var e *Error
	return errors.As(err, &e) && (e.Code == 498 || e.Code == 499 || e.Code == 403)
}

// IsNotFound reports whether err is the server's 404 envelope.
func IsNotFound(err error) bool {
	var e *Error
	return errors.As(err, &e) && e.Code == 404
}

// ResponseError is an answer that is not the ArcGIS REST API's: wrong URL,
// a proxy's error page, or a server error.
type ResponseError struct {
	URL    string
	Status int
	Body   string // the start of the body
}

func (e *ResponseError) Error() string {
	return fmt.Sprintf("%s answered HTTP %d, not ArcGIS REST JSON: %.200q", e.URL, e.Status, e.Body)
}

// ConnError is a request that got no answer: the server is down, the
// address is wrong, or the request was cancelled.
type ConnError struct {
	URL string // the /arcgis root
	Err error
}

func (e *ConnError) Error() string {
	return fmt.Sprintf("cannot reach the server at %s: %v", e.URL, e.Err)
}

func (e *ConnError) Unwrap() error { return e.Err }

// do sends a request with f=json (as a query for GET, a form body for
// POST) and decodes the JSON answer into out, or returns its error.
func (c *Client) do(ctx context.Context, method, path string, form url.Values, out any) error {
	if form == nil {
		form = url.Values{}
	}
	form.Set("f", "json")
	u := c.URL + path
	var body io.Reader
	if method == http.MethodGet {
		u += "?" + form.Encode()
	} else {
		body = strings.NewReader(form.Encode())
	}
	req, err := http.NewRequestWithContext(ctx, method, u, body)
	if err != nil {
		return err
	}
	if method != http.MethodGet {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	if c.Token != "" {
		req.Header.Set("X-Esri-Authorization", "Bearer "+c.Token)
	}
	req.Header.Set("User-Agent", c.UserAgent)
	resp, err := c.HTTP.Do(req)
	if err != nil {
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err
		}
		return &ConnError{URL: c.URL, Err: err}
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, maxResponse))
	if err != nil {
		return fmt.Errorf("%s %s: %w", method, c.URL+path, err)
	}
	trimmed := bytes.TrimSpace(data)
	if !json.Valid(trimmed) {
		return &ResponseError{URL: c.URL + path, Status: resp.StatusCode, Body: string(trimmed[:min(len(trimmed), 200)])}
	}
	var env struct {
		Error *Error `json:"error"`
	}
	if trimmed[0] == '{' && json.Unmarshal(trimmed, &env) == nil && env.Error != nil {
		return env.Error
	}
	if resp.StatusCode != http.StatusOK {
		return &ResponseError{URL: c.URL + path, Status: resp.StatusCode, Body: string(trimmed[:min(len(trimmed), 200)])}
	}
	if out == nil {
		return nil
	}
	if err := json.Unmarshal(trimmed, out); err != nil {
		return fmt.Errorf("%s: unexpected JSON: %w", c.URL+path, err)
	}
	return nil
}

// Info is the server's rest/info.
type Info struct {
	CurrentVersion  float64 `json:"currentVersion"`
	SoftwareVersion string  `json:"softwareVersion"`
	AuthInfo        struct {
		IsTokenBasedSecurity bool   `json:"isTokenBasedSecurity"`
		TokenServicesURL     string `json:"tokenServicesUrl"`
	} `json:"authInfo"`
}

// Info reads rest/info.
func (c *Client) Info(ctx context.Context) (*Info, error) {
	var info Info
	if err := c.do(ctx, http.MethodGet, "/rest/info", nil, &info); err != nil {
		return nil, err
	}
	return &info, nil
}

// Token is a token from generateToken.
type Token struct {
	Token   string    `json:"token"`
	Expires time.Time `json:"expires"`
}

// GenerateToken signs in with a user name and password (sent by POST) and
// returns a token that lasts expiration (0: the server's default; it caps
// long ones).
func (c *Client) GenerateToken(ctx context.Context, user, password string, expiration time.Duration) (*Token, error) {
	form := url.Values{"username": {user}, "password": {password}, "client": {"referer"}}
	if expiration > 0 {
		form.Set("expiration", fmt.Sprint(max(1, int(expiration/time.Minute))))
	}
	var out struct {
		Token   string `json:"token"`
		Expires int64  `json:"expires"`
	}
	if err := c.do(ctx, http.MethodPost, "/tokens/generateToken", form, &out); err != nil {
		return nil, err
	}
	if out.Token == "" {
		return nil, &ResponseError{URL: c.URL + "/tokens/generateToken", Status: 200, Body: "no token in the answer"}
	}
	return &Token{Token: out.Token, Expires: time.UnixMilli(out.Expires).UTC()}, nil
}
