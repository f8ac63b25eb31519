package main

import (
	"context"
	"encoding/json"
	"fmt"
	"net/url"
	"path/filepath"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/tessera-gis/tessera/internal/client"
)

// cmdAdd adds rasters to a collection with AddImage (or creates the
// collection with CreateImageCollection) and watches the job.
func cmdAdd(ctx context.Context, a *admin, args []string) error {
	fs, common := a.flags("add", "Add rasters to a collection with AddImage and follow the job with a progress\n"+
		"bar (count, rate and ETA), then print its summary. Each PATH_OR_URL is a file,\n"+
		"a directory (walked recursively), a glob or a URL, read by the server; a\n"+
		"relative path is made absolute here. Ctrl-C asks whether to cancel the job.\n"+
		"Exit code 1 if the job fails (a raster that cannot be read is a warning, and\n"+
		"fails the job only with --strict).")
	collection := fs.String("collection", "", "the collection (required)")
	create := fs.Bool("create", false, "create the collection (CreateImageCollection; needs the admin role)")
	rasterType := fs.String("raster-type", "", `"Raster Dataset" (default) or "Table" (manifests), or the rasterType JSON`)
	contextJSON := fs.String("context", "", `AddImage's context options as JSON, e.g. {"computeStatistics":true}`)
	strict := fs.Bool("strict", false, "fail the job, adding nothing, at the first raster that cannot be read")
	args, err := a.parse(fs, common, args)
	if err != nil {
		return err
	}
	if strings.TrimSpace(*collection) == "" {
		return usageError(fs, "--collection is required")
	}
	if len(args) == 0 {
		return usageError(fs, "name at least one PATH_OR_URL")
	}
	inputs := make([]string, 0, len(args))
	for _, in := range args {
		if !strings.Contains(in, "://") && !strings.HasPrefix(in, "/vsi") && !filepath.IsAbs(in) {
			abs, err := filepath.Abs(in)
			if err != nil {
				return err
			}
			in = abs
		}
		inputs = append(inputs, in)
	}
	rasters := inputs[0]
	if len(inputs) > 1 {
		b, _ := json.Marshal(inputs)
		rasters = string(b)
	}
	opts := map[string]any{}
	if *contextJSON != "" {
		if err := json.Unmarshal([]byte(*contextJSON), &opts); err != nil {
			return usageError(fs, "--context is not a JSON object: %v", err)
		}
	}
	if *strict {
		opts["strict"] = true
	}
	params := url.Values{"imageCollection": {*collection}, "inputRasters": {rasters}}
	if len(opts) > 0 {
		b, _ := json.Marshal(opts)
		params.Set("context", string(b))
	}
	if *rasterType != "" {
		params.Set("rasterType", *rasterType)
	}
	task := "AddImage"
	if *create {
		task = "CreateImageCollection"
	}
	return a.runJob(ctx, task, params)
}

// runJob submits a job, watches it and ends the command by its outcome.
func (a *admin) runJob(ctx context.Context, task string, params url.Values) error {
	started := time.Now()
	j, err := a.client.Submit(ctx, task, params)
	if err != nil {
		return err
	}
	if !a.json {
		fmt.Fprintf(a.stderr, "Submitted %s job %s.\n", task, j.ID)
	}
	j, err = a.watch(ctx, j)
	if err != nil {
		return err
	}
	return a.finishJob(j, started)
}

// deleteResult is DeleteImage's result value.
type deleteResult struct {
	URL       string  `json:"url"`
	Matched   int64   `json:"matched"`
	Removed   int64   `json:"removed"`
	DryRun    bool    `json:"dryRun"`
	ObjectIDs []int64 `json:"objectIds"`
}

// cmdDelete runs DeleteImage as a dry run, shows the count, asks, and
// deletes.
func cmdDelete(ctx context.Context, a *admin, args []string) error {
	fs, common := a.flags("delete", "Delete the items of a collection that a where clause selects, with DeleteImage.\n"+
		"A dry run first prints how many items match; then, unless --yes, the command\n"+
		"asks before deleting (without a terminal to ask on, it needs --yes). Removed\n"+
		"items go to the recycle bin, from which \"tessera restore --job ID\" puts\n"+
		"them back, unless --purge. Source rasters are never touched.")
	collection := fs.String("collection", "", "the collection (required)")
	where := fs.String("where", "", "SQL over the catalog's fields, e.g. \"CloudCover > 50\" (required; 1=1 selects all)")
	dryRun := fs.Bool("dry-run", false, "only count what would be deleted")
	yes := fs.Bool("yes", false, "delete without asking")
	purge := fs.Bool("purge", false, "remove for good instead of to the recycle bin")
	args, err := a.parse(fs, common, args)
	if err != nil {
		return err
	}
	switch {
	case strings.TrimSpace(*collection) == "":
		return usageError(fs, "--collection is required")
	case strings.TrimSpace(*where) == "":
		return usageError(fs, "--where is required (1=1 selects every item)")
	case len(args) > 0:
		return usageError(fs, "unexpected arguments %q", args)
	case !*dryRun && !*yes && !a.interactive:
		return usageError(fs, "stdin is not a terminal to confirm on: pass --yes to delete, or --dry-run to count")
	}
	params := url.Values{"imageCollection": {*collection}, "where": {*where}}
	dry := url.Values{"dryRun": {"true"}}
	for k, v := range params {
		dry[k] = v
	}
	out := map[string]any{"dryRun": nil, "job": nil}
	j, err := a.client.Submit(ctx, "DeleteImage", dry)
	if err != nil {
		return err
	}
	if j, err = a.watchQuietly(ctx, j); err != nil {
		return err
	}
	out["dryRun"] = j
	if j.Status != client.StatusSucceeded {
		a.summary(j, time.Time{})
		if a.json {
			a.printJSON(out)
		}
		return exitWith(exitFailed, "the dry run %s", statusWord(j.Status))
	}
	var res deleteResult
	if err := j.Result("result", &res); err != nil {
		return fmt.Errorf("dry run %s: %w", j.ID, err)
	}
	fmt.Fprintf(a.stderr, "%s of %s match %s.\n", plural(res.Matched, "item"), *collection, *where)
	if *dryRun || res.Matched == 0 {
		if a.json {
			a.printJSON(out)
		}
		if res.Matched == 0 && !*dryRun {
			fmt.Fprintln(a.stderr, "Nothing to delete.")
		}
		return nil
	}
	if !*yes {
		where := "to the recycle bin (tessera restore puts them back)"
		if *purge {
			where = "for good (--purge)"
		}
		ok, err := a.ask(ctx, fmt.Sprintf("Delete %s from %s, %s? [y/N] ", plural(res.Matched, "item"), *collection, where))
		if err != nil {
			return err
		}
		if !ok {
			if a.json {
				a.printJSON(out)
			}
			return exitWith(exitFailed, "declined; nothing was deleted")
		}
	}
	if *purge {
		params.Set("purge", "true")
	}
	started := time.Now()
	if j, err = a.client.Submit(ctx, "DeleteImage", params); err != nil {
		return err
	}
	if j, err = a.watch(ctx, j); err != nil {
		return err
	}
	out["job"] = j
	a.summary(j, started)
	if a.json {
		a.printJSON(out)
	}
	if j.Status != client.StatusSucceeded {
		return &exitError{code: exitFailed, err: fmt.Errorf("job %s %s", j.ID, statusWord(j.Status)), silent: true}
	}
	if err := j.Result("result", &res); err == nil && res.Removed != res.Matched {
		fmt.Fprintf(a.stderr, "Note: the catalog changed after the dry run: %d matched then, %d were removed.\n", res.Matched, res.Removed)
	}
	if !*purge {
		fmt.Fprintf(a.stderr, "Undo with: tessera restore --job %s\n", j.ID)
	}
	return nil
}

func plural(n int64, word string) string {
	if n == 1 {
		return "1 " + word
	}
	return strconv.FormatInt(n, 10) + " " + word + "s"
}

// cmdRestore puts back what a DeleteImage job removed.
func cmdRestore(ctx context.Context, a *admin, args []string) error {
	fs, common := a.flags("restore", "Put back, with RestoreImage, the items a DeleteImage job moved to the recycle\n"+
		"bin, with their original OBJECTIDs. The collection is the delete job's\n"+
		"unless --collection names it (needed once the delete job's record expired).")
	jobID := fs.String("job", "", "the DeleteImage job (required)")
	collection := fs.String("collection", "", "the collection (default: the delete job's)")
	where := fs.String("where", "", "restore only the removed items this SQL selects")
	args, err := a.parse(fs, common, args)
	if err != nil {
		return err
	}
	if strings.TrimSpace(*jobID) == "" {
		return usageError(fs, "--job is required")
	}
	if len(args) > 0 {
		return usageError(fs, "unexpected arguments %q", args)
	}
	coll := strings.TrimSpace(*collection)
	if coll == "" {
		raw, err := a.client.Input(ctx, "DeleteImage", *jobID, "imageCollection")
		if err != nil {
			return fmt.Errorf("finding the collection of job %s (or pass --collection): %w", *jobID, err)
		}
		if err := json.Unmarshal(raw, &coll); err != nil {
			coll = string(raw) // JSON inputs come back as JSON, which RestoreImage takes as is
		}
	}
	params := url.Values{"imageCollection": {coll}, "jobId": {*jobID}}
	if *where != "" {
		params.Set("where", *where)
	}
	return a.runJob(ctx, "RestoreImage", params)
}

// cmdCollections lists the collections as a table.
func cmdCollections(ctx context.Context, a *admin, args []string) error {
	fs, common := a.flags("collections", "List the collections with their item counts, spatial references, bands and\npixel sizes.")
	args, err := a.parse(fs, common, args)
	if err != nil {
		return err
	}
	if len(args) > 0 {
		return usageError(fs, "unexpected arguments %q", args)
	}
	cs, err := a.client.Collections(ctx)
	if err != nil {
		return err
	}
	if a.json {
		if cs == nil {
			cs = []client.Collection{}
		}
		a.printJSON(cs)
		return nil
	}
	tw := tabwriter.NewWriter(a.stdout, 2, 8, 2, ' ', 0)
	fmt.Fprintln(tw, "NAME\tITEMS\tWKID\tBANDS\tPIXEL TYPE\tPIXEL SIZE")
	for _, c := range cs {
		size := ""
		if c.ItemCount > 0 {
			size = strconv.FormatFloat(c.MinPixelSize, 'g', 6, 64)
			if c.MaxPixelSize != c.MinPixelSize {
				size += "–" + strconv.FormatFloat(c.MaxPixelSize, 'g', 6, 64)
			}
		}
		wkid := ""
		if c.WKID != 0 {
			wkid = strconv.Itoa(c.WKID)
		}
		fmt.Fprintf(tw, "%s\t%d\t%s\t%d\t%s\t%s\n", c.Name, c.ItemCount, wkid, c.BandCount, c.PixelType, size)
	}
	tw.Flush()
	if len(cs) == 0 {
		fmt.Fprintln(a.stdout, "(no collections)")
	}
	return nil
}
