package server

import (
	"fmt"
	"net/http"
	"net/url"

	"github.com/tessera-gis/tessera/mosaic"
)

type authInfoJSON struct {
	IsTokenBasedSecurity    bool   `json:"isTokenBasedSecurity"`
	TokenServicesURL        string `json:"tokenServicesUrl,omitempty"`
	ShortLivedTokenValidity int    `json:"shortLivedTokenValidity,omitempty"`
}

type infoJSON struct {
	CurrentVersion  float64      `json:"currentVersion"`
	FullVersion     string       `json:"fullVersion"`
	SoftwareVersion string       `json:"softwareVersion"`
	AuthInfo        authInfoJSON `json:"authInfo"`
}

func (s *Server) handleInfo(w http.ResponseWriter, r *http.Request) {
	if _, err := s.params(r); err != nil {
		s.Error(w, r, err)
		return
	}
	info := infoJSON{CurrentVersion: Version, FullVersion: "11.3.0", SoftwareVersion: s.cfg.SoftwareVersion}
	if a := s.cfg.Auth; a != nil {
		info.AuthInfo = authInfoJSON{IsTokenBasedSecurity: true, TokenServicesURL: a.TokenServicesURL(r),
			ShortLivedTokenValidity: a.ShortLivedTokenValidity()}
	}
	s.respond(w, r, info, &htmlPage{Title: "Server Info", Breadcrumbs: []link{{"Home", "/arcgis/rest/services"}}})
}

type serviceRefJSON struct {
	Name string `json:"name"`
	Type string `json:"type"`
}

type folderJSON struct {
	CurrentVersion float64          `json:"currentVersion"`
	Folders        []string         `json:"folders"`
	Services       []serviceRefJSON `json:"services"`
}

// handleRootFolder lists the System folder and one ImageServer per
// collection.
func (s *Server) handleRootFolder(w http.ResponseWriter, r *http.Request) {
	u, err := s.caller(w, r, mosaic.RoleViewer)
	if err != nil {
		return
	}
	var cs []*mosaic.Collection
	if err := s.cfg.Store.View(r.Context(), func(tx mosaic.ReadTx) (err error) {
		cs, err = tx.Collections()
		return err
	}); err != nil {
		s.Error(w, r, err)
		return
	}
	out := folderJSON{CurrentVersion: Version, Folders: []string{"System"}, Services: []serviceRefJSON{}}
	page := &htmlPage{Title: "Home", Description: "Image collections served over the ArcGIS REST API.",
		Props: []prop{{Name: "Current Version", Value: fmt.Sprint(Version)}},
		Tables: []htmlTable{
			{Title: "Folders", Headers: []string{"Folder"}, Rows: [][]cell{{{Text: "System", Href: "/arcgis/rest/services/System"}}}},
			{Title: "Services", Headers: []string{"Service", "Type", "Items"}},
		}}
	for _, c := range cs {
		out.Services = append(out.Services, serviceRefJSON{Name: c.Name, Type: "ImageServer"})
		page.Tables[1].Rows = append(page.Tables[1].Rows, []cell{{Text: c.Name, Href: "/arcgis/rest/services/" + url.PathEscape(c.Name) + "/ImageServer"},
			{Text: "ImageServer"}, {Text: fmt.Sprint(c.Summary.Count)}})
	}
	page.Links = append(page.Links, link{"Server info", "/arcgis/rest/info"},
		link{"RasterAnalysisTools (GPServer): create collections, add and delete images", gpPath})
	if s.cfg.Auth != nil {
		page.Links = append(page.Links, link{"Generate a token (sign in)", "/arcgis/tokens/generateToken"})
	}
	if u.Can(mosaic.RoleAdmin) {
		page.Links = append(page.Links, link{"Audit log (admins)", "/arcgis/rest/admin/audit"})
	}
	s.respond(w, r, out, page)
}

func (s *Server) handleSystemFolder(w http.ResponseWriter, r *http.Request) {
	if _, err := s.caller(w, r, mosaic.RoleViewer); err != nil {
		return
	}
	out := folderJSON{CurrentVersion: Version, Folders: []string{},
		Services: []serviceRefJSON{{Name: "System/RasterAnalysisTools", Type: "GPServer"}}}
	s.respond(w, r, out, &htmlPage{Title: "System", Breadcrumbs: []link{{"Home", "/arcgis/rest/services"}},
		Tables: []htmlTable{{Title: "Services", Headers: []string{"Service", "Type"},
			Rows: [][]cell{{{Text: "RasterAnalysisTools", Href: gpPath}, {Text: "GPServer"}}}}}})
}

// caller parses the request's parameters and identifies the caller, who
// must have role need. On failure it writes the error and returns it: 499
// (Token Required) when no token was given and anonymous callers may not do
// this, 498 for a bad token, 403 for a user whose role is too low.
func (s *Server) caller(w http.ResponseWriter, r *http.Request, need mosaic.Role) (*mosaic.User, error) {
	if _, err := s.params(r); err != nil {
		s.Error(w, r, err)
		return nil, err
	}
	if s.cfg.Auth == nil {
		return &mosaic.User{Role: mosaic.RoleAdmin}, nil
	}
	u, err := s.cfg.Auth.Authenticate(r)
	if err != nil {
		s.Error(w, r, err)
		return nil, err
	}
	if u.Can(need) {
		return u, nil
	}
	if u == nil || u.Name == "" {
		err = mosaic.Errorf(mosaic.EUNAUTHORIZED, "Token Required").WithDetails(
			"This resource requires a token: get one from " + s.cfg.Auth.TokenServicesURL(r) + ".")
	} else {
		err = mosaic.Errorf(mosaic.EFORBIDDEN, "You do not have permissions to access this resource or perform this operation.").WithDetails(
			fmt.Sprintf("%s has the %s role; this needs %s.", u.Name, u.Role, need))
	}
	s.Error(w, r, err)
	return nil, err
}
