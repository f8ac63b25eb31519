package server

import (
	"net/http"
	"strings"
)

// dataItemJSON is one registered data store, in the shape of ArcGIS
// Server's admin/data/items: folders are fileShares, URL prefixes
// cloudStores.
type dataItemJSON struct {
	Path string           `json:"path"`
	Type string           `json:"type"`
	Info dataItemInfoJSON `json:"info"`
}

type dataItemInfoJSON struct {
	Path                    string `json:"path"`
	DataStoreConnectionType string `json:"dataStoreConnectionType"`
}

type dataItemsJSON struct {
	Items []dataItemJSON `json:"items"`
}

// handleDataItems lists the registered data stores to publishers and admins,
// who may see source paths anyway, so that they can pick one (read only:
// stores are registered with tessera serve --data-store).
func (s *Server) handleDataItems(w http.ResponseWriter, r *request) error {
	out := dataItemsJSON{Items: []dataItemJSON{}}
	for i, p := range s.cfg.DataStores {
		kind, folder := "folder", "/fileShares/"
		if strings.Contains(p, "://") {
			kind, folder = "cloudStore", "/cloudStores/"
		}
		out.Items = append(out.Items, dataItemJSON{Path: folder + "store" + itoa(i+1), Type: kind,
			Info: dataItemInfoJSON{Path: p, DataStoreConnectionType: "serverOnly"}})
	}
	return s.respond(w, r, out, &htmlPage{Title: "Data Stores", Breadcrumbs: []link{{"Home", "/arcgis/rest/services"}}})
}
