package tasks

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/tessera-gis/tessera/mosaic"
)

// DeleteImageCollection removes a collection, its catalog and its
// ImageServer. Source rasters stay.
type DeleteImageCollection struct{}

// Info describes DeleteImageCollection.
func (DeleteImageCollection) Info() mosaic.TaskInfo {
	return mosaic.TaskInfo{
		Name: "DeleteImageCollection", DisplayName: "Delete Image Collection", Permission: mosaic.RoleAdmin,
		Description: "Deletes an image collection, its catalog and its ImageServer. Source rasters are never deleted.",
		Params: []mosaic.ParamInfo{paramImageCollection, {
			Name: "result", DataType: "GPBoolean", DisplayName: "Result", Direction: mosaic.ParamOutput, Required: true,
			Description: "true when the collection was deleted.",
		}},
	}
}

// Validate checks the collection exists.
func (t DeleteImageCollection) Validate(ctx context.Context, tx mosaic.ReadTx, params map[string]string) error {
	in, err := required(t, params)
	if err != nil {
		return err
	}
	_, err = collection(tx, in)
	return err
}

// Run deletes the collection.
func (DeleteImageCollection) Run(ctx context.Context, r *Run) error {
	return r.Finish(ctx, func(tx mosaic.Tx) (map[string]mosaic.JobResult, []mosaic.JobMessage, error) {
		c, err := collection(tx, r.Inputs())
		if err != nil {
			return nil, nil, err
		}
		if err := tx.DeleteCollection(c); err != nil {
			return nil, nil, err
		}
		if err := tx.Audit(mosaic.AuditEntry{User: r.Job().Owner, Action: "delete-collection", Collection: c.Name,
			JobID: r.ID(), Count: c.Summary.Count}); err != nil {
			return nil, nil, err
		}
		v, _ := json.Marshal(true)
		return map[string]mosaic.JobResult{"result": {DataType: "GPBoolean", Value: v}},
			[]mosaic.JobMessage{mosaic.Info(fmt.Sprintf("Deleted image collection %s and its %d catalog items. Source rasters were not touched.",
				c.Name, c.Summary.Count))}, nil
	})
}
