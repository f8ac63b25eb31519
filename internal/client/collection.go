package client

import (
	"context"
	"net/http"
	"net/url"
	"sync"
)

// Collection is an image collection as its ImageServer describes it.
type Collection struct {
	Name         string  `json:"name"`
	URL          string  `json:"url"`
	ItemID       string  `json:"serviceItemId"`
	ItemCount    int64   `json:"itemCount"`
	WKID         int     `json:"wkid,omitempty"`
	BandCount    int     `json:"bandCount"`
	PixelType    string  `json:"pixelType"`
	MinPixelSize float64 `json:"minPixelSize"`
	MaxPixelSize float64 `json:"maxPixelSize"`
	Extent       *Extent `json:"extent,omitempty"`
}

// Extent is a bounding box in the collection's spatial reference.
type Extent struct {
	XMin float64 `json:"xmin"`
	YMin float64 `json:"ymin"`
	XMax float64 `json:"xmax"`
	YMax float64 `json:"ymax"`
}

// Collections lists the collections, in the services directory's order,
// each with its ImageServer's description (read four at a time).
func (c *Client) Collections(ctx context.Context) ([]Collection, error) {
	var dir struct {
		Services []struct {
			Name string `json:"name"`
			Type string `json:"type"`
		} `json:"services"`
	}
	if err := c.do(ctx, http.MethodGet, "/rest/services", nil, &dir); err != nil {
		return nil, err
	}
	var names []string
	for _, s := range dir.Services {
		if s.Type == "ImageServer" {
			names = append(names, s.Name)
		}
	}
	out := make([]Collection, len(names))
	errs := make([]error, len(names))
	sem := make(chan struct{}, 4)
	var wg sync.WaitGroup
	for i, name := range names {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer func() { <-sem; wg.Done() }()
			col, err := c.Collection(ctx, name)
			if err == nil {
				out[i] = *col
			}
			errs[i] = err
		}()
	}
	wg.Wait()
	kept := out[:0]
	for i, err := range errs {
		switch {
		case IsNotFound(err):
			// deleted since the directory was read
		case err != nil:
			return nil, err
		default:
			kept = append(kept, out[i])
		}
	}
	return kept, nil
}

// Collection reads one collection's ImageServer description.
func (c *Client) Collection(ctx context.Context, name string) (*Collection, error) {
	path := "/rest/services/" + url.PathEscape(name) + "/ImageServer"
	var info struct {
		Name             string  `json:"name"`
		ItemID           string  `json:"serviceItemId"`
		ItemCount        int64   `json:"itemCount"`
		BandCount        int     `json:"bandCount"`
		PixelType        string  `json:"pixelType"`
		MinPixelSize     float64 `json:"minPixelSize"`
		MaxPixelSize     float64 `json:"maxPixelSize"`
		Extent           *Extent `json:"extent"`
		SpatialReference *struct {
			WKID       int `json:"wkid"`
			LatestWKID int `json:"latestWkid"`
		} `json:"spatialReference"`
	}
	if err := c.do(ctx, http.MethodGet, path, nil, &info); err != nil {
		return nil, err
	}
	col := &Collection{Name: name, URL: c.URL + path, ItemID: info.ItemID, ItemCount: info.ItemCount,
		BandCount: info.BandCount, PixelType: info.PixelType, MinPixelSize: info.MinPixelSize,
		MaxPixelSize: info.MaxPixelSize, Extent: info.Extent}
	if sr := info.SpatialReference; sr != nil {
		col.WKID = sr.LatestWKID
		if col.WKID == 0 {
			col.WKID = sr.WKID
		}
	}
	if info.ItemCount == 0 {
		col.Extent = nil // an empty collection's extent means nothing
	}
	return col, nil
}
