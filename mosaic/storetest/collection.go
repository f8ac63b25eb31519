package storetest

import (
	"math/rand/v2"
	"regexp"
	"slices"
	"testing"
	"time"

	"github.com/tessera-gis/tessera/mosaic"
)

func newRand(seed uint64) *rand.Rand { return rand.New(rand.NewPCG(seed, 7)) }

var collectionTests = []test{
	{"CreateAndFind", testCreateAndFind},
	{"CreateInvalid", testCreateInvalid},
	{"ListedByName", testCollectionsByName},
	{"SetSRS", testSetSRS},
	{"Delete", testDeleteCollection},
	{"OddNames", testOddNames},
}

// testOddNames: names that a request may carry but no collection can have
// (a NUL, bytes that are not UTF-8) are not found, or refused as invalid,
// by every store; never an internal error (PostgreSQL's text refuses
// them where SQLite compares them).
func testOddNames(t *testing.T, open Opener) {
	b := setup(t, open)
	for _, name := range []string{"Te\x00st", "\xff", "\xc3(", "a\x00"} {
		err := b.db.View(b.ctx, func(tx mosaic.ReadTx) error {
			_, err := tx.Collection(mosaic.CollectionRef{Name: name})
			return err
		})
		if code := mosaic.ErrorCode(err); code != mosaic.ENOTFOUND && code != mosaic.EINVALID {
			t.Errorf("Collection(%q): %v (code %q), want not found or invalid", name, err, code)
		}
		err = b.db.View(b.ctx, func(tx mosaic.ReadTx) error {
			_, err := tx.Collection(mosaic.CollectionRef{ItemID: name})
			return err
		})
		if code := mosaic.ErrorCode(err); code != mosaic.ENOTFOUND && code != mosaic.EINVALID {
			t.Errorf("Collection(item %q): %v (code %q), want not found or invalid", name, err, code)
		}
		err = b.db.View(b.ctx, func(tx mosaic.ReadTx) error {
			_, err := tx.Job(name)
			return err
		})
		if code := mosaic.ErrorCode(err); code != mosaic.ENOTFOUND && code != mosaic.EINVALID {
			t.Errorf("Job(%q): %v (code %q), want not found or invalid", name, err, code)
		}
	}
}

var itemIDRE = regexp.MustCompile(`^[0-9a-f]{32}$`)

func testCreateAndFind(t *testing.T, open Opener) {
	b := setup(t, open)
	c := b.c
	if c.ID == 0 || !itemIDRE.MatchString(c.ItemID) {
		t.Errorf("created collection has ID %d, ItemID %q", c.ID, c.ItemID)
	}
	if c.CreatedAt.IsZero() || c.UpdatedAt.IsZero() || time.Since(c.CreatedAt) > time.Hour {
		t.Errorf("created at %v, updated at %v", c.CreatedAt, c.UpdatedAt)
	}
	if !slices.Equal(c.Fields, mosaic.StandardFields()) {
		t.Errorf("fields = %v, want the standard fields", c.Fields)
	}
	for _, ref := range []mosaic.CollectionRef{{Name: "Test"}, {Name: "tEST"}, {ItemID: c.ItemID}} {
		var got *mosaic.Collection
		b.view(t, func(tx mosaic.ReadTx) (err error) {
			got, err = tx.Collection(ref)
			return err
		})
		if got.ID != c.ID || got.Name != "Test" || got.ItemID != c.ItemID || got.SRS != c.SRS ||
			!slices.Equal(got.Fields, c.Fields) || got.Summary.Count != 0 {
			t.Errorf("Collection(%v) = %+v, want %+v", ref, got, c)
		}
		if !got.CreatedAt.Equal(c.CreatedAt.Truncate(time.Millisecond)) && !got.CreatedAt.Equal(c.CreatedAt) {
			t.Errorf("Collection(%v).CreatedAt = %v, want %v", ref, got.CreatedAt, c.CreatedAt)
		}
	}
	for _, ref := range []mosaic.CollectionRef{{Name: "Nope"}, {ItemID: "0123456789abcdef0123456789abcdef"}} {
		err := b.db.View(b.ctx, func(tx mosaic.ReadTx) error {
			_, err := tx.Collection(ref)
			return err
		})
		wantCode(t, "Collection("+ref.String()+")", err, mosaic.ENOTFOUND)
	}
	// A given item ID is kept, in lower case, and found in any case.
	given := &mosaic.Collection{Name: "Given", ItemID: "ABCDEF0123456789ABCDEF0123456789"}
	b.update(t, func(tx mosaic.Tx) error { return tx.CreateCollection(given) })
	if given.ItemID != "abcdef0123456789abcdef0123456789" {
		t.Errorf("given item ID stored as %q", given.ItemID)
	}
	b.view(t, func(tx mosaic.ReadTx) error {
		got, err := tx.Collection(mosaic.CollectionRef{ItemID: "ABCDEF0123456789ABCDEF0123456789"})
		if err == nil && got.Name != "Given" {
			t.Errorf("found %q by item ID", got.Name)
		}
		return err
	})
}

func testCreateInvalid(t *testing.T, open Opener) {
	b := setup(t, open)
	std := mosaic.StandardFields()
	noPath := slices.DeleteFunc(slices.Clone(std), func(f mosaic.Field) bool { return f.Name == mosaic.FieldNamePath })
	tests := []struct {
		name string
		c    mosaic.Collection
		code string
	}{
		{"taken name", mosaic.Collection{Name: "Test"}, mosaic.ECONFLICT},
		{"taken name in another case", mosaic.Collection{Name: "TEST"}, mosaic.ECONFLICT},
		{"bad name", mosaic.Collection{Name: "1abc"}, mosaic.EINVALID},
		{"name with a space", mosaic.Collection{Name: "a b"}, mosaic.EINVALID},
		{"duplicate field", mosaic.Collection{Name: "Dup", Fields: append(slices.Clone(std), mosaic.Field{Name: "name", Type: mosaic.FieldString})}, mosaic.EINVALID},
		{"no Path field", mosaic.Collection{Name: "NoPath", Fields: noPath}, mosaic.EINVALID},
		{"bad field type", mosaic.Collection{Name: "BadType", Fields: append(slices.Clone(std), mosaic.Field{Name: "X", Type: "blob"})}, mosaic.EINVALID},
		{"bad field name", mosaic.Collection{Name: "BadName", Fields: append(slices.Clone(std), mosaic.Field{Name: "_x", Type: mosaic.FieldString})}, mosaic.EINVALID},
	}
	for _, tt := range tests {
		c := tt.c
		err := b.db.Update(b.ctx, func(tx mosaic.Tx) error { return tx.CreateCollection(&c) })
		wantCode(t, tt.name, err, tt.code)
	}
	var all []*mosaic.Collection
	b.view(t, func(tx mosaic.ReadTx) (err error) {
		all, err = tx.Collections()
		return err
	})
	if len(all) != 1 {
		t.Errorf("%d collections after failed creates, want 1", len(all))
	}
}

func testCollectionsByName(t *testing.T, open Opener) {
	b := setup(t, open)
	for _, name := range []string{"beta", "Alpha", "gamma", "Delta"} {
		b.update(t, func(tx mosaic.Tx) error { return tx.CreateCollection(&mosaic.Collection{Name: name}) })
	}
	b.view(t, func(tx mosaic.ReadTx) (err error) {
		b.c, err = tx.Collection(mosaic.CollectionRef{Name: "alpha"})
		return err
	})
	b.add(t, item("/src/a.tif", rect(0, 0, 10, 10), 1, 1))
	var all []*mosaic.Collection
	b.view(t, func(tx mosaic.ReadTx) (err error) {
		all, err = tx.Collections()
		return err
	})
	var names []string
	for _, c := range all {
		names = append(names, c.Name)
		if want := int64(0); c.Name == "Alpha" {
			want = 1
			if c.Summary.Count != want {
				t.Errorf("%s: summary count %d, want %d", c.Name, c.Summary.Count, want)
			}
		} else if c.Summary.Count != want {
			t.Errorf("%s: summary count %d, want %d", c.Name, c.Summary.Count, want)
		}
	}
	if want := []string{"Alpha", "beta", "Delta", "gamma", "Test"}; !slices.Equal(names, want) {
		t.Errorf("collections = %v, want %v (by name, ignoring case)", names, want)
	}
}

func testSetSRS(t *testing.T, open Opener) {
	b := setup(t, open)
	c := &mosaic.Collection{Name: "NoSRS"}
	b.update(t, func(tx mosaic.Tx) error { return tx.CreateCollection(c) })
	c.SRS = mosaic.SpatialRef{WKID: 3857, WKT: `PROJCS["WGS 84 / Pseudo-Mercator"]`}
	b.update(t, func(tx mosaic.Tx) error { return tx.SetCollectionSRS(c) })
	b.view(t, func(tx mosaic.ReadTx) error {
		got, err := tx.Collection(mosaic.CollectionRef{Name: "NoSRS"})
		if err == nil && got.SRS != c.SRS {
			t.Errorf("SRS = %+v, want %+v", got.SRS, c.SRS)
		}
		return err
	})
}

func testDeleteCollection(t *testing.T, open Opener) {
	b := setup(t, open)
	b.grid(t, 5, 4, 2, 0, 1)
	b.mustDelete(t, mosaic.ItemDelete{Where: "OBJECTID <= 10"})
	other := &mosaic.Collection{Name: "Other"}
	b.update(t, func(tx mosaic.Tx) error { return tx.CreateCollection(other) })
	b.update(t, func(tx mosaic.Tx) error { return tx.DeleteCollection(b.c) })
	err := b.db.View(b.ctx, func(tx mosaic.ReadTx) error {
		_, err := tx.Collection(mosaic.CollectionRef{Name: "Test"})
		return err
	})
	wantCode(t, "collection after delete", err, mosaic.ENOTFOUND)
	err = b.db.Update(b.ctx, func(tx mosaic.Tx) error { return tx.DeleteCollection(b.c) })
	wantCode(t, "deleting it again", err, mosaic.ENOTFOUND)
	b.view(t, func(tx mosaic.ReadTx) error {
		_, err := tx.Collection(mosaic.CollectionRef{Name: "Other"})
		return err
	})
	// A new collection of the same name starts empty: no items, no
	// recycle bin, no boundary.
	b.c = &mosaic.Collection{Name: "Test"}
	b.update(t, func(tx mosaic.Tx) error { return tx.CreateCollection(b.c) })
	if n := len(b.items(t, false)) + len(b.items(t, true)); n != 0 {
		t.Errorf("recreated collection has %d items", n)
	}
	b.checkBoundary(t)
	if n := b.purge(t, time.Now().Add(time.Hour), 0); n != 0 {
		t.Errorf("purged %d recycle-bin entries of a deleted collection", n)
	}
}
