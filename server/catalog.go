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

func (s *Server) handleInfo(w http.ResponseWriter, r *request) error {
	info := infoJSON{CurrentVersion: Version, FullVersion: "11.3.0", SoftwareVersion: s.cfg.SoftwareVersion}
	if a := s.cfg.Auth; a != nil {
		info.AuthInfo = authInfoJSON{IsTokenBasedSecurity: true, TokenServicesURL: a.TokenServicesURL(r.Request),
			ShortLivedTokenValidity: a.ShortLivedTokenValidity()}
	}
	return s.respond(w, r, info, &htmlPage{Title: "Server Info", Breadcrumbs: []link{{"Home", "/arcgis/rest/services"}}})
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
func (s *Server) handleRootFolder(w http.ResponseWriter, r *request) error {
	var cs []*mosaic.Collection
	if err := s.cfg.Store.View(r.Context(), func(tx mosaic.ReadTx) (err error) {
		cs, err = tx.Collections()
		return err
	}); err != nil {
		return err
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
	if r.user.Can(mosaic.RoleAdmin) {
		page.Links = append(page.Links, link{"Audit log (admins)", "/arcgis/rest/admin/audit"})
	}
	return s.respond(w, r, out, page)
}

func (s *Server) handleSystemFolder(w http.ResponseWriter, r *request) error {
	out := folderJSON{CurrentVersion: Version, Folders: []string{},
		Services: []serviceRefJSON{{Name: "System/RasterAnalysisTools", Type: "GPServer"}}}
	return s.respond(w, r, out, &htmlPage{Title: "System", Breadcrumbs: []link{{"Home", "/arcgis/rest/services"}},
		Tables: []htmlTable{{Title: "Services", Headers: []string{"Service", "Type"},
			Rows: [][]cell{{{Text: "RasterAnalysisTools", Href: gpPath}, {Text: "GPServer"}}}}}})
}
