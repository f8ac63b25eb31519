package postgis

import "github.com/tessera-gis/tessera/mosaic"

// ItemsSQL returns the statement that QueryItems runs for q, numbered for
// PostgreSQL, for tests to EXPLAIN.
func ItemsSQL(rtx mosaic.ReadTx, c *mosaic.Collection, q mosaic.ItemQuery) (string, []any, error) {
	tx := rtx.(*Tx)
	sel, _, err := tx.itemsSelect(c, q)
	if err != nil {
		return "", nil, err
	}
	query, args, err := sel.ToSql()
	return dollar(query), args, err
}

// HeartbeatPID returns the server process ID of db's heartbeat connection
// (0 if none is open).
func HeartbeatPID(db *DB) uint32 {
	db.beat.mu.Lock()
	defer db.beat.mu.Unlock()
	if db.beat.conn == nil {
		return 0
	}
	return db.beat.conn.PgConn().PID()
}
