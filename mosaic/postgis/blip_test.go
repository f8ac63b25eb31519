package postgis_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/tessera-gis/tessera/mosaic"
	"github.com/tessera-gis/tessera/mosaic/postgis"
)

// TestConnectionBlip cuts the store's connections (pg_terminate_backend,
// as a network blip or a server restart would): a transaction begun after
// the idle connections were cut runs on a new one (a request that had not
// started loses nothing), and one whose connection is cut midway fails
// with an error marked mosaic.ErrConnectionLost.
func TestConnectionBlip(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	db := openStoreWith(t, "pool_max_conns", "3")
	killer, err := pgx.ConnectConfig(ctx, db.Pool().Config().ConnConfig.Copy())
	if err != nil {
		t.Fatal(err)
	}
	defer killer.Close(context.Background())
	kill := func(pids []uint32) {
		t.Helper()
		if _, err := killer.Exec(ctx, `SELECT pg_terminate_backend(pid) FROM unnest($1::int[]) AS u (pid)`, pids); err != nil {
			t.Fatal(err)
		}
		for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(5 * time.Millisecond) {
			var n int
			if err := killer.QueryRow(ctx, `SELECT count(*) FROM pg_stat_activity WHERE pid = ANY($1::int[])`, pids).Scan(&n); err != nil {
				t.Fatal(err)
			}
			if n == 0 {
				return
			}
			if time.Now().After(deadline) {
				t.Fatalf("%d backends still there", n)
			}
		}
	}

	// Every pooled connection idle and cut.
	var conns []*pgxpool.Conn
	var pids []uint32
	for range 3 {
		c, err := db.Pool().Acquire(ctx)
		if err != nil {
			t.Fatal(err)
		}
		conns = append(conns, c)
		pids = append(pids, c.Conn().PgConn().PID())
	}
	for _, c := range conns {
		c.Release()
	}
	kill(pids)
	for i := range 2 {
		err := db.Update(ctx, func(tx mosaic.Tx) error {
			_, err := tx.Job("none")
			if mosaic.ErrorCode(err) == mosaic.ENOTFOUND {
				return nil
			}
			return err
		})
		if err != nil {
			t.Fatalf("transaction %d after a blip: %v", i, err)
		}
	}

	// Cut midway.
	err = db.Update(ctx, func(tx mosaic.Tx) error {
		kill([]uint32{tx.(*postgis.Tx).PgxTx().Conn().PgConn().PID()})
		_, err := tx.Job("none")
		return err
	})
	if !errors.Is(err, mosaic.ErrConnectionLost) || mosaic.ErrorCode(err) != mosaic.EUNAVAILABLE {
		t.Errorf("transaction cut midway: %v (%s), want mosaic.ErrConnectionLost", err, mosaic.ErrorCode(err))
	}
}
