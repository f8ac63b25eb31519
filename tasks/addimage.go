package tasks

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"math"
	"os"
	"path/filepath"
	"runtime"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/paulmach/orb"

	"github.com/tessera-gis/tessera/mosaic"
	"github.com/tessera-gis/tessera/raster"
)

// AddImage reads rasters with GDAL and adds them to a collection's catalog.
// Source rasters are opened read-only and never changed.
type AddImage struct{}

// Info describes AddImage.
func (AddImage) Info() mosaic.TaskInfo {
	return mosaic.TaskInfo{
		Name: "AddImage", DisplayName: "Add Image", Permission: mosaic.RolePublisher,
		Description: "Adds rasters to an image collection's catalog by reference. Source rasters are read, never copied or changed.",
		Params: []mosaic.ParamInfo{
			paramImageCollection,
			paramInputRasters,
			paramRasterType,
			paramContext,
			paramResultURL,
		},
	}
}

var (
	paramInputRasters = mosaic.ParamInfo{
		Name: "inputRasters", DataType: "GPString", DisplayName: "Input Rasters", Direction: mosaic.ParamInput, Required: true,
		Description: `A path, URL, directory or glob; a JSON array of them; or {"uris":[…]}, {"urls":[…]}, {"uri":…}, {"url":…}.`,
	}
	paramRasterType = mosaic.ParamInfo{
		Name: "rasterType", DataType: "GPString", DisplayName: "Raster Type", Direction: mosaic.ParamInput,
		Description: `{"rasterTypeName":"Raster Dataset","rasterTypeParameters":{…}} or a raster type name.`,
		Default:     "Raster Dataset",
	}
	paramContext = mosaic.ParamInfo{
		Name: "context", DataType: "GPString", DisplayName: "Context", Direction: mosaic.ParamInput,
		Description: `Options as JSON: buildFootprints, computeStatistics, defineNodata, duplicateItemsAction, strict, outSR…`,
	}
)

// addOptions are AddImage's parsed options.
type addOptions struct {
	Sources          []string
	BuildFootprints  bool // valid-data footprints instead of image bounds
	ComputeStats     bool
	NoData           *float64
	Duplicates       mosaic.DuplicateAction
	Strict           bool
	OutSR            string
	UpdateBoundary   bool
	BatchSize        int
	ExplicitRasterTy string
}

func parseAddOptions(in Inputs) (*addOptions, error) {
	o := &addOptions{Duplicates: mosaic.DuplicatesAllow, UpdateBoundary: true, BatchSize: 500}
	var err error
	if o.Sources, err = parseInputRasters(in["inputRasters"]); err != nil {
		return nil, err
	}
	var rt struct {
		Name   string         `json:"rasterTypeName"`
		Params map[string]any `json:"rasterTypeParameters"`
	}
	if s := strings.TrimSpace(in["rasterType"]); s != "" {
		if strings.HasPrefix(s, "{") {
			if err := json.Unmarshal([]byte(s), &rt); err != nil {
				return nil, invalidParam("rasterType", "not valid JSON")
			}
		} else {
			rt.Name = in.String("rasterType")
		}
	}
	switch strings.ToLower(strings.TrimSpace(rt.Name)) {
	case "", "raster dataset", "rasterdataset":
	default:
		return nil, invalidParam("rasterType", fmt.Sprintf("raster type %q is not supported; use \"Raster Dataset\"", rt.Name))
	}
	ctx := map[string]any{}
	if err := in.JSON("context", &ctx); err != nil {
		return nil, err
	}
	for k, v := range rt.Params { // rasterTypeParameters and context share keys
		if _, ok := ctx[k]; !ok {
			ctx[k] = v
		}
	}
	for k, v := range ctx {
		switch strings.ToLower(k) {
		case "buildfootprints":
			o.BuildFootprints, err = anyBool(k, v)
		case "computestatistics":
			o.ComputeStats, err = anyBool(k, v)
		case "definenodata":
			if f, ok := anyFloat(v); ok {
				o.NoData = &f
			}
		case "nodataarguments":
			if m, ok := v.(map[string]any); ok {
				if vals, ok := m["noDataValues"].([]any); ok && len(vals) > 0 {
					if f, ok := anyFloat(vals[0]); ok {
						o.NoData = &f
					}
				}
			}
		case "duplicateitemsaction":
			s, _ := v.(string)
			s = strings.ToUpper(strings.TrimSuffix(strings.ToUpper(s), "_DUPLICATES"))
			switch mosaic.DuplicateAction(s) {
			case mosaic.DuplicatesAllow, mosaic.DuplicatesExclude, mosaic.DuplicatesOverwrite:
				o.Duplicates = mosaic.DuplicateAction(s)
			default:
				err = invalidParam("context", "duplicateItemsAction must be ALLOW, EXCLUDE or OVERWRITE")
			}
		case "strict":
			o.Strict, err = anyBool(k, v)
		case "updateboundary":
			o.UpdateBoundary, err = anyBool(k, v)
		case "outsr":
			o.OutSR = srText(v)
		}
		if err != nil {
			return nil, err
		}
	}
	return o, nil
}

func anyBool(name string, v any) (bool, error) {
	switch x := v.(type) {
	case bool:
		return x, nil
	case string:
		return Inputs{name: x}.Bool(name, false)
	case float64:
		return x != 0, nil
	}
	return false, invalidParam("context", name+" must be true or false")
}

func anyFloat(v any) (float64, bool) {
	switch x := v.(type) {
	case float64:
		return x, true
	case string:
		f, err := strconv.ParseFloat(strings.TrimSpace(x), 64)
		return f, err == nil
	}
	return 0, false
}

// srText turns an outSR value ({"wkid":…}, {"wkt":…}, a number or text)
// into text that raster.ParseSRS reads.
func srText(v any) string {
	switch x := v.(type) {
	case float64:
		return strconv.Itoa(int(x))
	case string:
		return x
	case map[string]any:
		if w, ok := x["latestWkid"].(float64); ok {
			return strconv.Itoa(int(w))
		}
		if w, ok := x["wkid"].(float64); ok {
			return strconv.Itoa(int(w))
		}
		if s, ok := x["wkt"].(string); ok {
			return s
		}
	}
	return ""
}

// parseInputRasters reads the inputRasters forms into raw source strings.
func parseInputRasters(raw string) ([]string, error) {
	raw = strings.TrimSpace(raw)
	if raw == "" {
		return nil, invalidParam("inputRasters", "missing")
	}
	var out []string
	var walk func(v any) error
	walk = func(v any) error {
		switch x := v.(type) {
		case string:
			if s := strings.TrimSpace(x); s != "" {
				out = append(out, s)
			}
		case []any:
			for _, e := range x {
				if err := walk(e); err != nil {
					return err
				}
			}
		case map[string]any:
			found := false
			for _, k := range []string{"uris", "urls", "uri", "url", "paths", "path"} {
				if e, ok := x[k]; ok {
					found = true
					if err := walk(e); err != nil {
						return err
					}
				}
			}
			if _, ok := x["itemIds"]; ok && !found {
				return invalidParam("inputRasters", "portal itemIds are not supported; give paths or URLs")
			}
			if _, ok := x["folderId"]; ok && !found {
				return invalidParam("inputRasters", "portal folderIds are not supported; give a directory path")
			}
			if !found {
				return invalidParam("inputRasters", "expected uri, uris, url or urls")
			}
		default:
			return invalidParam("inputRasters", "expected a path, a URL or a JSON array of them")
		}
		return nil
	}
	if strings.HasPrefix(raw, "[") || strings.HasPrefix(raw, "{") || strings.HasPrefix(raw, `"`) {
		var v any
		if err := json.Unmarshal([]byte(raw), &v); err != nil {
			return nil, invalidParam("inputRasters", "not valid JSON")
		}
		if err := walk(v); err != nil {
			return nil, err
		}
	} else {
		// A plain comma or semicolon list of paths, as some clients send.
		for _, p := range strings.FieldsFunc(raw, func(r rune) bool { return r == ';' || r == '\n' }) {
			out = append(out, strings.TrimSpace(p))
		}
	}
	if len(out) == 0 {
		return nil, invalidParam("inputRasters", "no rasters given")
	}
	return out, nil
}

// rasterExts are the file extensions a directory walk picks up.
var rasterExts = map[string]bool{".tif": true, ".tiff": true, ".gtif": true, ".img": true, ".jp2": true,
	".vrt": true, ".nc": true, ".hdf": true, ".h5": true, ".dem": true, ".asc": true, ".png": true,
	".jpg": true, ".jpeg": true, ".ntf": true, ".nitf": true, ".sid": true, ".ecw": true, ".dt0": true,
	".dt1": true, ".dt2": true, ".kea": true, ".bil": true, ".grd": true, ".mrf": true, ".crf": true}

// gdalName maps URLs to GDAL virtual file system names.
func gdalName(s string) string {
	lower := strings.ToLower(s)
	switch {
	case strings.HasPrefix(lower, "http://"), strings.HasPrefix(lower, "https://"):
		return "/vsicurl/" + s
	case strings.HasPrefix(lower, "s3://"):
		return "/vsis3/" + s[len("s3://"):]
	case strings.HasPrefix(lower, "gs://"):
		return "/vsigs/" + s[len("gs://"):]
	case strings.HasPrefix(lower, "az://"):
		return "/vsiaz/" + s[len("az://"):]
	case strings.HasPrefix(lower, "file://"):
		return s[len("file://"):]
	}
	return s
}

// expandSources turns inputs into raster names: directories are walked,
// globs expanded, URLs mapped to GDAL's virtual file systems. A local path
// that does not exist is returned as is, to fail as one item.
func expandSources(ctx context.Context, inputs []string) ([]string, error) {
	var out []string
	seen := map[string]bool{}
	add := func(s string) {
		if !seen[s] {
			seen[s] = true
			out = append(out, s)
		}
	}
	for _, in := range inputs {
		name := gdalName(in)
		if strings.HasPrefix(name, "/vsi") {
			add(name)
			continue
		}
		if strings.ContainsAny(filepath.Base(name), "*?[") {
			dir, pattern := filepath.Split(name)
			if dir == "" {
				dir = "."
			}
			if st, err := os.Stat(dir); err == nil && st.IsDir() && !strings.ContainsAny(dir, "*?[") {
				// A filter such as /data/*.tif matches recursively, as
				// ArcGIS's filter does with sub_folder on.
				err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
					if err != nil {
						return nil // unreadable subdirectories are skipped
					}
					if err := ctx.Err(); err != nil {
						return err
					}
					if !d.IsDir() {
						if ok, _ := filepath.Match(pattern, d.Name()); ok {
							add(p)
						}
					}
					return nil
				})
				if err != nil {
					return nil, err
				}
				continue
			}
			matches, err := filepath.Glob(name)
			if err != nil {
				return nil, invalidParam("inputRasters", fmt.Sprintf("bad pattern %q", in))
			}
			for _, m := range matches {
				add(m)
			}
			continue
		}
		st, err := os.Stat(name)
		if err != nil || !st.IsDir() {
			add(name)
			continue
		}
		err = filepath.WalkDir(name, func(p string, d fs.DirEntry, err error) error {
			if err != nil {
				return nil
			}
			if err := ctx.Err(); err != nil {
				return err
			}
			if !d.IsDir() && rasterExts[strings.ToLower(filepath.Ext(p))] {
				add(p)
			}
			return nil
		})
		if err != nil {
			return nil, err
		}
	}
	return out, nil
}

// Validate checks the collection and the options.
func (AddImage) Validate(ctx context.Context, tx mosaic.ReadTx, in Inputs) error {
	if _, err := parseAddOptions(in); err != nil {
		return err
	}
	_, err := collection(tx, in)
	return err
}

// Run reads the rasters in parallel and commits them in batches.
func (AddImage) Run(ctx context.Context, r *Run) error {
	o, err := parseAddOptions(r.Inputs())
	if err != nil {
		return err
	}
	var c *mosaic.Collection
	if err := r.Store().View(ctx, func(tx mosaic.ReadTx) (err error) {
		c, err = collection(tx, r.Inputs())
		return err
	}); err != nil {
		return err
	}
	return ingest(ctx, r, c, o, nil)
}

// ingestStats counts an ingest.
type ingestStats struct {
	Total, Added, Skipped, Failed, Overwritten int
	Batches                                    int
}

// ingest adds o.Sources to c. Rasters are inspected by a worker pool sized
// to the cores; items are committed in batches, each with a message, and
// the last batch commits with the job's final state. finishExtra, if set,
// runs inside the final transaction.
func ingest(ctx context.Context, r *Run, c *mosaic.Collection, o *addOptions, finishExtra func(tx mosaic.Tx, c *mosaic.Collection) error) error {
	r.Progress(0, "Listing rasters")
	sources, err := expandSources(ctx, o.Sources)
	if err != nil {
		return err
	}
	st := ingestStats{Total: len(sources)}
	if err := r.Log(ctx, mosaic.Info(fmt.Sprintf("Adding %d rasters to %s.", len(sources), c.Name))); err != nil {
		return err
	}

	var target raster.SRS
	if o.OutSR != "" && c.SRS.IsZero() {
		if target, err = raster.ParseSRS(o.OutSR); err != nil {
			return invalidParam("context", fmt.Sprintf("outSR %q is not a known spatial reference", o.OutSR))
		}
	} else if !c.SRS.IsZero() {
		if target, err = srsOf(c.SRS); err != nil {
			return fmt.Errorf("collection spatial reference: %w", err)
		}
	}

	results := inspectAll(ctx, sources, o)
	var (
		batch    []*mosaic.Item
		failures []mosaic.JobMessage
		warned   int
		srsSet   = !target.IsZero()
	)
	flush := func(final bool) error {
		msgs := failures
		failures = nil
		commit := func(tx mosaic.Tx) error {
			cur, err := tx.Collection(mosaic.CollectionRef{ItemID: c.ItemID})
			if err != nil {
				return err
			}
			if cur.SRS.IsZero() && !target.IsZero() {
				if err := setCollectionSRS(tx, cur, target); err != nil {
					return err
				}
			}
			res, err := tx.AddItems(cur, batch, mosaic.AddOptions{Duplicates: o.Duplicates})
			if err != nil {
				return err
			}
			st.Added += res.Added
			st.Skipped += res.Skipped
			st.Overwritten += res.Overwritten
			*c = *cur
			if len(batch) > 0 {
				st.Batches++
				msgs = append(msgs, mosaic.Info(fmt.Sprintf("Batch %d committed: %d items added, %d duplicates skipped.",
					st.Batches, res.Added, res.Skipped)))
				if err := tx.Audit(mosaic.AuditEntry{User: r.Job().Owner, Action: "add", Collection: cur.Name,
					JobID: r.ID(), Count: int64(res.Added), Detail: fmt.Sprintf("batch %d", st.Batches)}); err != nil {
					return err
				}
			}
			return nil
		}
		defer func() { batch = batch[:0] }()
		if !final {
			return r.Store().Update(ctx, func(tx mosaic.Tx) error {
				if err := commit(tx); err != nil {
					return err
				}
				return tx.AddJobMessages(r.ID(), msgs...)
			})
		}
		return r.Finish(ctx, func(tx mosaic.Tx) (map[string]mosaic.JobResult, []mosaic.JobMessage, error) {
			if o.Strict && st.Failed > 0 {
				return nil, nil, mosaic.Errorf(mosaic.EINVALID, "%d of %d rasters could not be added; nothing was added (strict).", st.Failed, st.Total)
			}
			if err := commit(tx); err != nil {
				return nil, nil, err
			}
			if finishExtra != nil {
				if err := finishExtra(tx, c); err != nil {
					return nil, nil, err
				}
			}
			msgs = append(msgs, mosaic.Info(fmt.Sprintf("Total %d rasters: %d added, %d skipped as duplicates, %d failed. %s now has %d items.",
				st.Total, st.Added, st.Skipped, st.Failed, c.Name, c.Summary.Count)))
			return urlResult(r.ServiceURL(c.Name), map[string]any{
				"total": st.Total, "added": st.Added, "skipped": st.Skipped, "failed": st.Failed,
				"overwritten": st.Overwritten, "batches": st.Batches,
				"itemId": c.ItemID, // CreateImageCollection's result must carry it (Python returns value["itemId"])
			}), msgs, nil
		})
	}

	done := 0
	for res := range results {
		done++
		if done%64 == 0 {
			r.Progress(done*100/max(1, len(sources)), "Read %d of %d rasters", done, len(sources))
		}
		if res.err != nil {
			st.Failed++
			if warned < 1000 {
				failures = append(failures, mosaic.Warning(fmt.Sprintf("Skipped %s: %v", res.path, res.err)))
				warned++
			}
			continue
		}
		if !srsSet && !res.info.SRS.IsZero() {
			target, srsSet = res.info.SRS, true
		}
		it, err := buildItem(c, res.path, res.info, target, o)
		if err != nil {
			st.Failed++
			if warned < 1000 {
				failures = append(failures, mosaic.Warning(fmt.Sprintf("Skipped %s: %v", res.path, err)))
				warned++
			}
			continue
		}
		batch = append(batch, it)
		if len(batch) >= o.BatchSize && !o.Strict {
			if err := flush(false); err != nil {
				return err
			}
		}
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	if warned < st.Failed {
		failures = append(failures, mosaic.Warning(fmt.Sprintf("%d more rasters failed.", st.Failed-warned)))
	}
	if err := flush(true); err != nil {
		return err
	}
	if o.UpdateBoundary {
		r.engine.refreshBoundary(c.Name)
	}
	return nil
}

type inspected struct {
	path string
	info *raster.Info
	err  error
}

// inspectAll inspects sources with one worker per core and streams the
// results in input order.
func inspectAll(ctx context.Context, sources []string, o *addOptions) <-chan inspected {
	var opts []raster.InspectOption
	if o.BuildFootprints {
		opts = append(opts, raster.ValidDataFootprint())
	}
	if o.ComputeStats {
		opts = append(opts, raster.Statistics())
	}
	if o.NoData != nil {
		opts = append(opts, raster.NoData(*o.NoData))
	}
	workers := runtime.GOMAXPROCS(0)
	slots := make([]chan inspected, len(sources))
	for i := range slots {
		slots[i] = make(chan inspected, 1)
	}
	jobs := make(chan int)
	go func() {
		defer close(jobs)
		for i := range sources {
			select {
			case jobs <- i:
			case <-ctx.Done():
				return
			}
		}
	}()
	for range workers {
		go func() {
			for i := range jobs {
				info, err := raster.Inspect(sources[i], opts...)
				slots[i] <- inspected{path: sources[i], info: info, err: err}
			}
		}()
	}
	out := make(chan inspected, workers*4)
	go func() {
		defer close(out)
		for i := range slots {
			select {
			case res := <-slots[i]:
				out <- res
			case <-ctx.Done():
				return
			}
		}
	}()
	return out
}

// buildItem turns a raster's description into a catalog item in target.
func buildItem(c *mosaic.Collection, path string, info *raster.Info, target raster.SRS, o *addOptions) (*mosaic.Item, error) {
	if info.SRS.IsZero() {
		return nil, raster.ErrNoSRS
	}
	fp := info.Footprint
	cellX, cellY, coarse := info.CellSizeX, info.CellSizeY, info.CoarsestCellSize
	if !sameSRS(info.SRS, target) {
		g, err := raster.Transform(info.Footprint, info.SRS, target)
		if err != nil {
			return nil, fmt.Errorf("cannot reproject footprint to the collection's spatial reference: %w", err)
		}
		p, ok := g.(orb.Polygon)
		if !ok {
			return nil, errors.New("reprojected footprint is not a polygon")
		}
		// Scale cell sizes by the ratio of the reprojected to native extent.
		nb, tb := info.Footprint.Bound(), p.Bound()
		if w := nb.Max[0] - nb.Min[0]; w > 0 {
			s := (tb.Max[0] - tb.Min[0]) / w
			cellX, coarse = cellX*s, coarse*s
		}
		if h := nb.Max[1] - nb.Min[1]; h > 0 {
			cellY *= (tb.Max[1] - tb.Min[1]) / h
		}
		fp = p
	}
	if coarse <= 0 {
		coarse = cellX
	}
	base := filepath.Base(path)
	attrs := map[string]any{
		mosaic.FieldNameName:     strings.TrimSuffix(base, filepath.Ext(base)),
		mosaic.FieldNameLowPS:    math.Min(cellX, cellY),
		mosaic.FieldNameHighPS:   coarse,
		mosaic.FieldNameMinPS:    0.0,
		mosaic.FieldNameMaxPS:    coarse * 3,
		mosaic.FieldNameCategory: int64(mosaic.CategoryPrimary),
		mosaic.FieldNameTag:      "Dataset",
	}
	mapMetadata(c, info.Metadata, attrs)
	ri := mosaic.RasterInfo{
		Driver: info.Driver, Width: info.Width, Height: info.Height, Bands: info.Bands,
		PixelType: info.PixelType, NoData: info.NoData, GeoTransform: info.GeoTransform,
		CellSizeX: info.CellSizeX, CellSizeY: info.CellSizeY, Overviews: info.Overviews,
		SRS: mosaic.SpatialRef{WKID: info.SRS.EPSG, WKT: info.SRS.WKT},
	}
	for _, s := range info.Stats {
		ri.Stats = append(ri.Stats, mosaic.BandStats(s))
	}
	return &mosaic.Item{Path: path, Footprint: fp, Attributes: attrs, Raster: ri}, nil
}

// derivedFields are computed from the footprint or the raster; metadata
// never overrides them.
var derivedFields = map[string]bool{"objectid": true, "shape": true, "shape_area": true, "shape_length": true,
	"centerx": true, "centery": true, "path": true, "lowps": true, "highps": true, "minps": true, "maxps": true}

// mapMetadata copies GDAL metadata items onto catalog fields with the same
// name (case-insensitively), converting values to the field's type.
func mapMetadata(c *mosaic.Collection, md map[string]string, attrs map[string]any) {
	keys := make([]string, 0, len(md))
	for k := range md {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		f, ok := c.Field(k)
		if !ok || derivedFields[strings.ToLower(f.Name)] {
			continue
		}
		if v, ok := convertText(f.Type, md[k]); ok {
			attrs[f.Name] = v
		}
	}
}

// convertText parses metadata text as a field type.
func convertText(t mosaic.FieldType, s string) (any, bool) {
	s = strings.TrimSpace(s)
	if s == "" {
		return nil, false
	}
	switch t {
	case mosaic.FieldString:
		return s, true
	case mosaic.FieldInteger:
		if n, err := strconv.ParseInt(s, 10, 64); err == nil {
			return n, true
		}
		if f, err := strconv.ParseFloat(s, 64); err == nil && f == math.Trunc(f) {
			return int64(f), true
		}
	case mosaic.FieldDouble:
		if f, err := strconv.ParseFloat(s, 64); err == nil && !math.IsNaN(f) && !math.IsInf(f, 0) {
			return f, true
		}
	case mosaic.FieldDate:
		if t, ok := parseDate(s); ok {
			return t, true
		}
	}
	return nil, false
}

var dateLayouts = []string{time.RFC3339Nano, "2006-01-02T15:04:05", "2006-01-02 15:04:05", "2006-01-02T15:04:05.000",
	"2006-01-02", "2006:01:02 15:04:05", "2006/01/02", "20060102", "2006-01-02T15:04Z"}

func parseDate(s string) (time.Time, bool) {
	for _, l := range dateLayouts {
		if t, err := time.Parse(l, s); err == nil {
			return t.UTC(), true
		}
	}
	if ms, err := strconv.ParseInt(s, 10, 64); err == nil && ms > 1e11 {
		return time.UnixMilli(ms).UTC(), true
	}
	return time.Time{}, false
}

func sameSRS(a, b raster.SRS) bool {
	if a.EPSG != 0 && b.EPSG != 0 {
		return mosaic.NormalizeWKID(a.EPSG) == mosaic.NormalizeWKID(b.EPSG)
	}
	return a.WKT == b.WKT
}

func srsOf(sr mosaic.SpatialRef) (raster.SRS, error) {
	if sr.WKID != 0 {
		return raster.SRSFromEPSG(mosaic.NormalizeWKID(sr.WKID))
	}
	return raster.ParseSRS(sr.WKT)
}

func setCollectionSRS(tx mosaic.Tx, c *mosaic.Collection, s raster.SRS) error {
	c.SRS = mosaic.SpatialRef{WKID: s.EPSG, WKT: s.WKT}
	return tx.SetCollectionSRS(c)
}
