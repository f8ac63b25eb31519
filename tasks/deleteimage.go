package tasks

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/tessera-gis/tessera/mosaic"
)

// DeleteImage removes catalog items selected by a where clause. It never
// touches source rasters. The removal, the boundary and extent update, the
// audit entry and the job's final state commit in one transaction.
type DeleteImage struct{}

// Info describes DeleteImage.
func (DeleteImage) Info() mosaic.TaskInfo {
	return mosaic.TaskInfo{
		Name: "DeleteImage", DisplayName: "Delete Image", Permission: mosaic.RolePublisher,
		Description: "Removes items from an image collection's catalog. Source rasters are never deleted. " +
			"Removed items stay in a recycle bin for the retention period; RestoreImage puts them back.",
		Params: []mosaic.ParamInfo{
			paramImageCollection,
			{Name: "where", DataType: "GPString", DisplayName: "Where", Direction: mosaic.ParamInput, Required: true,
				Description: "Standardized SQL over the catalog's fields selecting the items to remove. Required; 1=1 removes every item."},
			{Name: "objectIds", DataType: "GPString", DisplayName: "Object IDs", Direction: mosaic.ParamInput,
				Description: "Optional comma list of OBJECTIDs, combined with where by AND."},
			boolParam("strict", "Strict", "Fail, deleting nothing, when nothing matches or a listed objectId does not exist.", false),
			boolParam("dryRun", "Dry Run", "Report what would be removed without removing it.", false),
			boolParam("purge", "Purge", "Remove for good instead of keeping items restorable in the recycle bin.", false),
			boolParam("updateBoundary", "Update Boundary", "Update the collection's boundary (always kept correct; false only defers the union work to the next boundary read).", true),
			boolParam("updateCellSizeRanges", "Update Cell Size Ranges", "Update the collection's cell size ranges (always kept current).", true),
			paramResultURL,
		},
	}
}

type deleteArgs struct {
	d              mosaic.ItemDelete
	updateBoundary bool
}

func parseDeleteArgs(in Inputs) (deleteArgs, error) {
	var a deleteArgs
	var err error
	a.d.Where = in.String("where")
	if a.d.ObjectIDs, err = in.IDs("objectIds"); err != nil {
		return a, err
	}
	if a.d.Strict, err = in.Bool("strict", false); err != nil {
		return a, err
	}
	if a.d.DryRun, err = in.Bool("dryRun", false); err != nil {
		return a, err
	}
	if a.d.Purge, err = in.Bool("purge", false); err != nil {
		return a, err
	}
	if a.updateBoundary, err = in.Bool("updateBoundary", true); err != nil {
		return a, err
	}
	if _, err = in.Bool("updateCellSizeRanges", true); err != nil {
		return a, err
	}
	return a, nil
}

// Validate checks the collection and compiles the where clause.
func (t DeleteImage) Validate(ctx context.Context, tx mosaic.ReadTx, params map[string]string) error {
	in, err := required(t, params)
	if err != nil {
		return err
	}
	a, err := parseDeleteArgs(in)
	if err != nil {
		return err
	}
	c, err := collection(tx, in)
	if err != nil {
		return err
	}
	return tx.CheckWhere(c, a.d.Where, true)
}

// Run removes the items.
func (DeleteImage) Run(ctx context.Context, r *Run) error {
	a, err := parseDeleteArgs(r.Inputs())
	if err != nil {
		return err
	}
	a.d.JobID = r.ID()
	var name string
	var removed int64
	r.Progress(0, "Selecting items")
	err = r.Finish(ctx, func(tx mosaic.Tx) (map[string]mosaic.JobResult, []mosaic.JobMessage, error) {
		c, err := collection(tx, r.Inputs())
		if err != nil {
			return nil, nil, err
		}
		name = c.Name
		res, err := tx.DeleteItems(c, a.d)
		if err != nil {
			return nil, nil, err
		}
		removed = res.Removed
		r.Progress(90, "Removed %d items; committing", res.Removed)
		extra := map[string]any{"matched": res.Matched, "removed": res.Removed, "dryRun": a.d.DryRun,
			"elapsedMs": r.Elapsed().Milliseconds()}
		var msgs []mosaic.JobMessage
		if a.d.DryRun {
			extra["objectIds"] = res.OIDs
			msgs = append(msgs, mosaic.Info(fmt.Sprintf("Dry run: %d items of %s match; nothing was removed. OBJECTIDs: %s",
				res.Matched, c.Name, idList(res.OIDs, 50))))
		} else {
			where := a.d.Where
			bin := "kept in the recycle bin; RestoreImage with jobId=" + r.ID() + " puts them back"
			if a.d.Purge {
				bin = "purged"
			}
			msgs = append(msgs, mosaic.Info(fmt.Sprintf("Matched %d items, removed %d items from %s (%s). Source rasters were not touched.",
				res.Matched, res.Removed, c.Name, bin)))
			if res.Matched == 0 {
				msgs = append(msgs, mosaic.Warning("The where clause matched no items; nothing was removed."))
			}
			msgs = append(msgs, mosaic.Info(fmt.Sprintf("%s now has %d items.", c.Name, c.Summary.Count)))
			action := "delete"
			if a.d.Purge {
				action = "delete-purge"
			}
			if err := tx.Audit(mosaic.AuditEntry{User: r.Job().Owner, Action: action, Collection: c.Name, JobID: r.ID(),
				Where: where, Count: res.Removed, Detail: "objectIds=" + idList(res.OIDs, 1000)}); err != nil {
				return nil, nil, err
			}
		}
		msgs = append(msgs, mosaic.Info(fmt.Sprintf("Elapsed Time: %.3f seconds", r.Elapsed().Seconds())))
		return urlResult(r.ServiceURL(c.Name), extra), msgs, nil
	})
	if err != nil {
		return err
	}
	if removed >= largeIngest {
		// Like a large ingest, a large delete fills the write connection's
		// page cache.
		releaseMemory(ctx, r.Store())
	}
	if a.updateBoundary && !a.d.DryRun {
		r.AfterCommit(refreshBoundary(name))
	}
	return nil
}

// idList renders up to n IDs as a JSON array, noting how many were left out.
func idList(ids []int64, n int) string {
	if len(ids) <= n {
		b, _ := json.Marshal(ids)
		return string(b)
	}
	b, _ := json.Marshal(ids[:n])
	return fmt.Sprintf("%s and %d more", b, len(ids)-n)
}
