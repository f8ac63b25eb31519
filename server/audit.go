package server

import (
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/tessera-gis/tessera/mosaic"
)

type auditEntryJSON struct {
	Time       int64  `json:"time"` // epoch ms
	User       string `json:"user"`
	Action     string `json:"action"`
	Collection string `json:"collection"`
	JobID      string `json:"jobId"`
	Where      string `json:"where"`
	Count      int64  `json:"count"`
	Detail     string `json:"detail"`
}

type auditJSON struct {
	Entries []auditEntryJSON `json:"entries"`
}

// handleAudit serves the audit log to admins: every add, delete, restore
// and collection change, newest first. Parameters: user, action,
// collection, jobId, since (epoch ms or RFC 3339) and limit (default 100,
// at most 10000).
func (s *Server) handleAudit(w http.ResponseWriter, r *http.Request) {
	if _, err := s.caller(w, r, mosaic.RoleAdmin); err != nil {
		return
	}
	f := mosaic.AuditFilter{User: param(r.Form, "user"), Action: param(r.Form, "action"),
		Collection: param(r.Form, "collection"), JobID: param(r.Form, "jobId"), Limit: 100}
	if v := strings.TrimSpace(param(r.Form, "limit")); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > 10000 {
			s.Error(w, r, badParam("limit", "expected 1 to 10000"))
			return
		}
		f.Limit = n
	}
	if v := strings.TrimSpace(param(r.Form, "since")); v != "" {
		if ms, err := strconv.ParseInt(v, 10, 64); err == nil {
			f.Since = time.UnixMilli(ms)
		} else if t, err := time.Parse(time.RFC3339, v); err == nil {
			f.Since = t
		} else {
			s.Error(w, r, badParam("since", "expected epoch milliseconds or an RFC 3339 time"))
			return
		}
	}
	var entries []mosaic.AuditEntry
	if err := s.cfg.Store.View(r.Context(), func(tx mosaic.ReadTx) (err error) {
		entries, err = tx.AuditLog(f)
		return err
	}); err != nil {
		s.Error(w, r, err)
		return
	}
	out := auditJSON{Entries: make([]auditEntryJSON, 0, len(entries))}
	for _, e := range entries {
		out.Entries = append(out.Entries, auditEntryJSON{Time: e.Time.UnixMilli(), User: e.User, Action: e.Action,
			Collection: e.Collection, JobID: e.JobID, Where: e.Where, Count: e.Count, Detail: e.Detail})
	}
	s.respond(w, r, out, &htmlPage{Title: "Audit Log", Breadcrumbs: []link{{"Home", "/arcgis/rest/services"}}})
}
