package server

import (
	"net/http"
	"strconv"
	"strings"

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
// collection, jobId, since (epoch ms or a date, see mosaic.ParseDate) and limit (default 100,
// at most 10000).
func (s *Server) handleAudit(w http.ResponseWriter, r *request) error {
	f := mosaic.AuditFilter{User: r.param("user"), Action: r.param("action"),
		Collection: r.param("collection"), JobID: r.param("jobId"), Limit: 100}
	if v := strings.TrimSpace(r.param("limit")); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > 10000 {
			return badParam("limit", "expected 1 to 10000")
		}
		f.Limit = n
	}
	since, err := r.time("since")
	if err != nil {
		return err
	}
	f.Since = since
	var entries []mosaic.AuditEntry
	if err := s.cfg.Store.View(r.Context(), func(tx mosaic.ReadTx) (err error) {
		entries, err = tx.AuditLog(f)
		return err
	}); err != nil {
		return err
	}
	out := auditJSON{Entries: make([]auditEntryJSON, 0, len(entries))}
	for _, e := range entries {
		out.Entries = append(out.Entries, auditEntryJSON{Time: e.Time.UnixMilli(), User: e.User, Action: e.Action,
			Collection: e.Collection, JobID: e.JobID, Where: e.Where, Count: e.Count, Detail: e.Detail})
	}
	return s.respond(w, r, out, &htmlPage{Title: "Audit Log", Breadcrumbs: []link{{"Home", "/arcgis/rest/services"}}})
}
