package tasks

import (
	"context"
	"fmt"

	"github.com/tessera-gis/tessera/mosaic"
)

// RestoreImage puts items removed by DeleteImage back from the recycle bin,
// with their original OBJECTIDs and attributes.
type RestoreImage struct{}

// Info describes RestoreImage.
func (RestoreImage) Info() mosaic.TaskInfo {
	return mosaic.TaskInfo{
		Name: "RestoreImage", DisplayName: "Restore Image", Permission: mosaic.RolePublisher,
		Description: "Restores items from an image collection's recycle bin: those a where clause selects, or all that one DeleteImage job removed.",
		Params: []mosaic.ParamInfo{
			paramImageCollection,
			{Name: "where", DataType: "GPString", DisplayName: "Where", Direction: mosaic.ParamInput,
				Description: "Standardized SQL over the removed items. Required unless jobId is given."},
			{Name: "jobId", DataType: "GPString", DisplayName: "Job ID", Direction: mosaic.ParamInput,
				Description: "Restore everything this DeleteImage job removed."},
			paramResultURL,
		},
	}
}

// Validate checks the collection and the selection.
func (t RestoreImage) Validate(ctx context.Context, tx mosaic.ReadTx, params map[string]string) error {
	in, err := required(t, params)
	if err != nil {
		return err
	}
	c, err := collection(tx, in)
	if err != nil {
		return err
	}
	return tx.CheckWhere(c, in.String("where"), !in.Has("jobId"))
}

// Run restores the items.
func (RestoreImage) Run(ctx context.Context, r *Run) error {
	in := Inputs(r.Inputs())
	var name string
	err := r.Finish(ctx, func(tx mosaic.Tx) (map[string]mosaic.JobResult, []mosaic.JobMessage, error) {
		c, err := collection(tx, in)
		if err != nil {
			return nil, nil, err
		}
		name = c.Name
		res, err := tx.RestoreItems(c, mosaic.ItemRestore{Where: in.String("where"), JobID: in.String("jobId")})
		if err != nil {
			return nil, nil, err
		}
		if err := tx.Audit(mosaic.AuditEntry{User: r.Job().Owner, Action: "restore", Collection: c.Name, JobID: r.ID(),
			Where: in.String("where"), Count: res.Restored, Detail: "fromJob=" + in.String("jobId")}); err != nil {
			return nil, nil, err
		}
		msgs := []mosaic.JobMessage{mosaic.Info(fmt.Sprintf("Restored %d items to %s with their original OBJECTIDs; it now has %d items.",
			res.Restored, c.Name, c.Summary.Count))}
		if res.Restored == 0 {
			msgs = append(msgs, mosaic.Warning("Nothing in the recycle bin matched."))
		}
		return urlResult(r.ServiceURL(c.Name), map[string]any{"restored": res.Restored}), msgs, nil
	})
	if err == nil {
		r.AfterCommit(refreshBoundary(name))
	}
	return err
}
