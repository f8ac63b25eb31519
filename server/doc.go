/*
Package server speaks the ArcGIS REST protocol over HTTP: the services
directory, the RasterAnalysisTools GPServer and one ImageServer per image
collection. It owns every Esri wire format and the mapping of mosaic error
codes to Esri error envelopes; the work happens behind the mosaic
interfaces it holds.

# How a request is served

Server.ServeHTTP passes each request through the layers that
Server.middleware lists, then to the gorilla/mux router:

  - decode, the outermost layer (request.go), decodes the request once
    into a *request: the query string and form body as one set of size-checked
    parameters, the response format f, the caller authenticated from a
    token or API key, and the template of the route that will serve it. It
    keeps the request in the context (requestOf), so that every later layer
    reads the same values, and it records the response's status and size.
  - recoverPanics turns a panic into an internal error.
  - New layers, such as CORS, security headers, request ids, metrics or
    access logs, are added to that list. After the handler returns they
    find the status and size in request.resp, and the Esri error code in
    request.code (JSON errors go out with HTTP 200, as on ArcGIS).

Each route is registered with the role it needs:

	s.handle(r, "/query", mosaic.RoleViewer, s.handleQuery)

and each handler is a function of the decoded request that returns an
error:

	func (s *Server) handleQuery(w http.ResponseWriter, r *request) error

serve (the adapter) reports a request that could not be decoded, checks
the role, runs the handler and writes the error it returns with
Server.Error, the one function that writes Esri error envelopes. A handler
reads parameters with r.param, r.bool, r.int and r.ids, path variables
with r.vars, the caller with r.user (r.require for a role beyond the
route's), and answers with s.respond (JSON or an HTML page, as f says),
writeJSON, or writeImage.
*/
package server
