// Package storecopy copies what one mosaic.Store holds into another, for
// tessera migrate: collections with their fields, spatial references and
// item IDs; items with their OBJECTIDs (the OIDs of purged items stay
// used), attributes, footprints and raster information; the recycle bin;
// and the audit log.
//
// The copy reads one snapshot of the source and writes the target in one
// transaction, so it is all or nothing. The target must hold no
// collections, and the source no unfinished jobs (their queue entries
// cannot move with them). Job records are not copied: finished ones expire
// within a day, and the target's server issues new job IDs. Boundaries are
// not copied either; the target recomputes them from the items.
package storecopy

import (
	"context"
	"fmt"
	"math"
	"slices"

	"github.com/tessera-gis/tessera/mosaic"
)

// Options tunes Copy.
type Options struct {
	// Batch is how many items are read and written at a time (default
	// 5000).
	Batch int
	// Progress, if set, is called after each collection with what has
	// been copied so far.
	Progress func(Stats)
}

// Stats counts what Copy copied.
type Stats struct {
	Collections int
	Items       int64 // live items
	Recycled    int64 // recycle-bin entries
	Audit       int   // audit entries
}

// Copy copies everything from holds into to, which must be empty of
// collections. Nothing is written unless everything is.
func Copy(ctx context.Context, from, to mosaic.Store, opts Options) (Stats, error) {
	if opts.Batch <= 0 {
		opts.Batch = 5000
	}
	var st Stats
	err := from.View(ctx, func(src mosaic.ReadTx) error {
		active, err := src.ActiveJobs()
		if err != nil {
			return err
		}
		if len(active) > 0 {
			return mosaic.Errorf(mosaic.ECONFLICT, "The source has %d unfinished jobs (the first is %s, %s).", len(active), active[0].ID, active[0].State).
				WithDetails("Start its server and let them finish, or cancel them, before copying.")
		}
		cs, err := src.Collections()
		if err != nil {
			return err
		}
		return to.Update(ctx, func(dst mosaic.Tx) error {
			st = Stats{}
			have, err := dst.Collections()
			if err != nil {
				return err
			}
			if len(have) > 0 {
				return mosaic.Errorf(mosaic.ECONFLICT, "The target already has %d collections (the first is %q).", len(have), have[0].Name).
					WithDetails("Copy into an empty catalog.")
			}
			for _, c := range cs {
				if err := copyCollection(ctx, src, dst, c, opts.Batch, &st); err != nil {
					return fmt.Errorf("collection %s: %w", c.Name, err)
				}
				st.Collections++
				if opts.Progress != nil {
					opts.Progress(st)
				}
			}
			log, err := src.AuditLog(mosaic.AuditFilter{Limit: math.MaxInt32})
			if err != nil {
				return err
			}
			slices.Reverse(log) // oldest first, so the target lists them in the same order
			for _, e := range log {
				if err := dst.Audit(e); err != nil {
					return err
				}
			}
			st.Audit = len(log)
			return nil
		})
	})
	return st, err
}

func copyCollection(ctx context.Context, src mosaic.ReadTx, dst mosaic.Tx, c *mosaic.Collection, batch int, st *Stats) error {
	nc := &mosaic.Collection{Name: c.Name, ItemID: c.ItemID, SRS: c.SRS, Fields: slices.Clone(c.Fields),
		Summary: mosaic.Summary{BandCount: c.Summary.BandCount, PixelType: c.Summary.PixelType}}
	if err := dst.CreateCollection(nc); err != nil {
		return err
	}
	// Purged items leave no row, but their OIDs stay used.
	last, err := src.LastOID(c)
	if err != nil {
		return err
	}
	if err := dst.ReserveOIDs(nc, last); err != nil {
		return err
	}
	for _, recycled := range []bool{false, true} {
		var last int64
		for {
			if err := ctx.Err(); err != nil {
				return err
			}
			page, err := src.QueryItems(c, mosaic.ItemQuery{Where: fmt.Sprintf("OBJECTID > %d", last), Limit: batch,
				OutFields: "*", ReturnGeometry: true, Recycled: recycled})
			if err != nil {
				return err
			}
			if len(page.Items) == 0 {
				break
			}
			if err := dst.ImportItems(nc, page.Items); err != nil {
				return err
			}
			last = page.Items[len(page.Items)-1].OID
			if recycled {
				st.Recycled += int64(len(page.Items))
			} else {
				st.Items += int64(len(page.Items))
			}
			if !page.More {
				break
			}
		}
	}
	return nil
}
