package tasks

import (
	"encoding/json"
	"fmt"
	"net/url"
	"regexp"
	"strconv"
	"strings"

	"github.com/tessera-gis/tessera/mosaic"
)

// Inputs are a job's parameters as submitted: text, with JSON-valued
// parameters as JSON text, as the Esri REST protocol sends them.
type Inputs map[string]string

// String returns a parameter's trimmed text. A value that is one JSON string
// literal (`"OBJECTID=10"`, as some clients send) is unquoted.
func (in Inputs) String(name string) string {
	v := strings.TrimSpace(in[name])
	if len(v) >= 2 && v[0] == '"' && v[len(v)-1] == '"' {
		var s string
		if json.Unmarshal([]byte(v), &s) == nil {
			return strings.TrimSpace(s)
		}
	}
	return v
}

// Has reports whether a parameter was given with a non-blank value.
func (in Inputs) Has(name string) bool { return in.String(name) != "" }

// Bool parses a boolean parameter: true/false, yes/no, 1/0, in any case;
// absent means def.
func (in Inputs) Bool(name string, def bool) (bool, error) {
	v, ok := mosaic.ParseBool(in.String(name), def)
	if !ok {
		return false, invalidParam(name, "expected true or false")
	}
	return v, nil
}

// Int parses an integer parameter; absent means def.
func (in Inputs) Int(name string, def int) (int, error) {
	s := in.String(name)
	if s == "" {
		return def, nil
	}
	n, err := strconv.Atoi(s)
	if err != nil {
		return 0, invalidParam(name, "expected an integer")
	}
	return n, nil
}

// IDs parses a comma list of OBJECTIDs (also a JSON array; see
// mosaic.ParseIDs).
func (in Inputs) IDs(name string) ([]int64, error) {
	ids, err := mosaic.ParseIDs(in.String(name))
	if err != nil {
		return nil, invalidParam(name, mosaic.ErrorMessage(err))
	}
	return ids, nil
}

// JSON decodes a JSON-valued parameter into v; absent leaves v unchanged.
// Clients differ: a value may be JSON text or, for some, a plain string.
func (in Inputs) JSON(name string, v any) error {
	s := strings.TrimSpace(in[name])
	if s == "" {
		return nil
	}
	b, err := LenientJSON(s)
	if err != nil {
		return invalidParam(name, "not valid JSON")
	}
	if err := json.Unmarshal(b, v); err != nil {
		return invalidParam(name, "not the expected JSON: "+jsonTypeError(err))
	}
	return nil
}

func invalidParam(name, why string) error {
	return mosaic.Errorf(mosaic.EINVALID, "Invalid value for parameter %s.", name).WithDetails(
		fmt.Sprintf("Invalid value for parameter %s: %s.", name, why))
}

func checkRequired(info mosaic.TaskInfo, in Inputs) error {
	for _, p := range info.Params {
		if p.Direction == mosaic.ParamInput && p.Required && !in.Has(p.Name) {
			return mosaic.Errorf(mosaic.EINVALID, "Unable to complete operation.").WithDetails(
				fmt.Sprintf("Parameter %s is required.", p.Name))
		}
	}
	return nil
}

var hexItemID = regexp.MustCompile(`^[0-9a-fA-F]{32}$`)

// CollectionRef parses an imageCollection parameter in every form clients
// send: {"itemId":…}, {"url":".../ImageServer"}, {"uri":…},
// {"serviceProperties":{"name":…}}, {"name":…}, an ImageServer URL string,
// or a bare name. A bare 32-hex-digit string is tried as a name, then as an
// item ID (see resolveCollection).
func (in Inputs) CollectionRef(name string) (mosaic.CollectionRef, error) {
	raw := strings.TrimSpace(in[name])
	if raw == "" {
		return mosaic.CollectionRef{}, invalidParam(name, "missing")
	}
	if b, err := LenientJSON(raw); err == nil && len(b) > 0 && b[0] == '{' {
		raw = string(b)
	}
	if strings.HasPrefix(raw, "{") {
		var obj struct {
			ItemID            string `json:"itemId"`
			URL               string `json:"url"`
			URI               string `json:"uri"`
			Name              string `json:"name"`
			ServiceProperties struct {
				Name       string `json:"name"`
				ServiceURL string `json:"serviceUrl"`
			} `json:"serviceProperties"`
			ItemProperties struct {
				ItemID string `json:"itemId"`
			} `json:"itemProperties"`
		}
		if err := json.Unmarshal([]byte(raw), &obj); err != nil {
			return mosaic.CollectionRef{}, invalidParam(name, "not valid JSON")
		}
		switch {
		case obj.ItemID != "":
			return mosaic.CollectionRef{ItemID: obj.ItemID}, nil
		case obj.URL != "":
			return refFromText(name, obj.URL)
		case obj.URI != "":
			return refFromText(name, obj.URI)
		case obj.ServiceProperties.Name != "":
			return refFromText(name, obj.ServiceProperties.Name)
		case obj.ServiceProperties.ServiceURL != "":
			return refFromText(name, obj.ServiceProperties.ServiceURL)
		case obj.ItemProperties.ItemID != "":
			return mosaic.CollectionRef{ItemID: obj.ItemProperties.ItemID}, nil
		case obj.Name != "":
			return refFromText(name, obj.Name)
		}
		return mosaic.CollectionRef{}, invalidParam(name, "expected itemId, url, uri or name")
	}
	return refFromText(name, in.String(name))
}

// refFromText reads a collection name from an ImageServer URL, a path whose
// last element is the name, or a bare name.
func refFromText(param, s string) (mosaic.CollectionRef, error) {
	s = strings.TrimSpace(s)
	if strings.Contains(s, "://") {
		u, err := url.Parse(s)
		if err != nil {
			return mosaic.CollectionRef{}, invalidParam(param, "not a valid URL")
		}
		s = u.Path
	}
	s = strings.TrimRight(strings.ReplaceAll(s, `\`, "/"), "/")
	parts := strings.Split(s, "/")
	for i := len(parts) - 1; i >= 0; i-- {
		p, err := url.PathUnescape(parts[i])
		if err != nil {
			p = parts[i]
		}
		if p == "" || strings.EqualFold(p, "ImageServer") {
			continue
		}
		return mosaic.CollectionRef{Name: p}, nil
	}
	return mosaic.CollectionRef{}, invalidParam(param, "no collection name")
}

// resolveCollection finds the collection ref names. A name that matches no
// collection but looks like an item ID is tried as one.
func resolveCollection(tx mosaic.ReadTx, ref mosaic.CollectionRef) (*mosaic.Collection, error) {
	c, err := tx.Collection(ref)
	if err != nil && mosaic.ErrorCode(err) == mosaic.ENOTFOUND && ref.Name != "" && hexItemID.MatchString(ref.Name) {
		if c2, err2 := tx.Collection(mosaic.CollectionRef{ItemID: ref.Name}); err2 == nil {
			return c2, nil
		}
	}
	return c, err
}

// collection resolves the imageCollection input.
func collection(tx mosaic.ReadTx, in Inputs) (*mosaic.Collection, error) {
	ref, err := in.CollectionRef("imageCollection")
	if err != nil {
		return nil, err
	}
	return resolveCollection(tx, ref)
}

// urlResult is the result value of most tasks: the ImageServer URL.
func urlResult(url string, extra map[string]any) map[string]mosaic.JobResult {
	v := map[string]any{"url": url}
	for k, x := range extra {
		v[k] = x
	}
	b, _ := json.Marshal(v)
	return map[string]mosaic.JobResult{"result": {DataType: "GPString", Value: b}}
}

// Standard parameter descriptions shared by tasks.
var (
	paramImageCollection = mosaic.ParamInfo{
		Name: "imageCollection", DataType: "GPString", DisplayName: "Image Collection",
		Description: `The image collection: {"itemId":…}, {"url":".../ImageServer"}, {"uri":…}, or its name.`,
		Direction:   mosaic.ParamInput, Required: true,
	}
	paramResultURL = mosaic.ParamInfo{
		Name: "result", DataType: "GPString", DisplayName: "Result",
		Description: `The image collection's ImageServer: {"url": ".../ImageServer"}.`,
		Direction:   mosaic.ParamOutput, Required: true,
	}
)

func boolParam(name, display, desc string, def bool) mosaic.ParamInfo {
	return mosaic.ParamInfo{Name: name, DataType: "GPBoolean", DisplayName: display, Description: desc,
		Direction: mosaic.ParamInput, Default: def}
}
