package main

import (
	"context"
	"database/sql"
	"strings"

	_ "github.com/mattn/go-sqlite3" // registers "sqlite3"
)

// IntegrityCheck runs PRAGMA integrity_check on the database at path, from
// this process (a second process beside the server, or after it stopped),
// and returns its answer ("ok" when the file is sound).
func IntegrityCheck(ctx context.Context, path string) (string, error) {
	db, err := sql.Open("sqlite3", "file:"+path+"?mode=ro&_busy_timeout=60000")
	if err != nil {
		return "", err
	}
	defer db.Close()
	rows, err := db.QueryContext(ctx, "PRAGMA integrity_check")
	if err != nil {
		return "", err
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var s string
		if err := rows.Scan(&s); err != nil {
			return "", err
		}
		out = append(out, s)
	}
	return strings.Join(out, "; "), rows.Err()
}
