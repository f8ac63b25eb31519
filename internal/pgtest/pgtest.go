// Package pgtest gives tests throwaway PostgreSQL databases on the server
// at 127.0.0.1:5432 (or TESSERA_POSTGRES_DSN): a uniquely named database,
// with PostGIS, dropped when the test ends, and cheap schemas inside it.
//
// Without a reachable server the tests that need one are skipped, unless
// TESSERA_REQUIRE_POSTGRES=1 (scripts/test sets it), which makes them fail.
package pgtest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"net/url"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

// AdminDSN is the connection string of the server's maintenance database:
// TESSERA_POSTGRES_DSN, or postgres://postgres@127.0.0.1:5432/test.
func AdminDSN() string {
	if dsn := os.Getenv("TESSERA_POSTGRES_DSN"); dsn != "" {
		return dsn
	}
	return "postgres://postgres@127.0.0.1:5432/test?sslmode=disable"
}

// Required reports whether TESSERA_REQUIRE_POSTGRES=1.
func Required() bool { return os.Getenv("TESSERA_REQUIRE_POSTGRES") == "1" }

// Reachable connects to the server and reports why it could not.
func Reachable(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	conn, err := pgx.Connect(ctx, AdminDSN())
	if err != nil {
		return err
	}
	return conn.Close(ctx)
}

// Database is a throwaway database.
type Database struct {
	Name string
	DSN  string // connection string of the database
}

// NewDatabase creates a database named prefix_<random> with PostGIS and
// drops it (closing any connections left) when tb ends. It skips tb when
// the server is unreachable, or fails it under TESSERA_REQUIRE_POSTGRES=1.
func NewDatabase(tb testing.TB, prefix string) *Database {
	tb.Helper()
	db, err := CreateDatabase(context.Background(), prefix)
	if err != nil {
		if Required() {
			tb.Fatalf("PostgreSQL is required (TESSERA_REQUIRE_POSTGRES=1): %v", err)
		}
		tb.Skipf("PostgreSQL not usable, skipping (set TESSERA_REQUIRE_POSTGRES=1 to fail instead): %v", err)
	}
	tb.Cleanup(func() {
		if err := db.Drop(context.Background()); err != nil {
			tb.Errorf("drop database %s: %v", db.Name, err)
		}
	})
	return db
}

// CreateDatabase creates a database named prefix_<random> with PostGIS.
// The caller drops it (Drop); TestMain functions use it where no
// testing.TB exists yet.
func CreateDatabase(ctx context.Context, prefix string) (*Database, error) {
	admin, err := connect(ctx, AdminDSN())
	if err != nil {
		return nil, err
	}
	defer admin.Close(ctx)
	name := prefix + "_" + randomHex(6)
	if _, err := admin.Exec(ctx, "CREATE DATABASE "+pgx.Identifier{name}.Sanitize()); err != nil {
		return nil, fmt.Errorf("create database %s: %w", name, err)
	}
	db := &Database{Name: name, DSN: withDatabase(AdminDSN(), name)}
	conn, err := connect(ctx, db.DSN)
	if err == nil {
		_, err = conn.Exec(ctx, "CREATE EXTENSION IF NOT EXISTS postgis")
		conn.Close(ctx)
	}
	if err != nil {
		db.Drop(ctx)
		return nil, fmt.Errorf("create extension postgis in %s: %w", name, err)
	}
	return db, nil
}

// Drop drops the database, closing the connections still open to it.
func (db *Database) Drop(ctx context.Context) error {
	admin, err := connect(ctx, AdminDSN())
	if err != nil {
		return err
	}
	defer admin.Close(ctx)
	_, err = admin.Exec(ctx, "DROP DATABASE IF EXISTS "+pgx.Identifier{db.Name}.Sanitize()+" WITH (FORCE)")
	return err
}

// NewSchema creates a schema named prefix_<random> in the database and
// returns a connection string whose search_path is that schema and then
// public (where PostGIS lives), so that a store opened with it starts
// empty. The schema goes with the database.
func (db *Database) NewSchema(tb testing.TB, prefix string) string {
	tb.Helper()
	ctx := context.Background()
	conn, err := connect(ctx, db.DSN)
	if err != nil {
		tb.Fatal(err)
	}
	defer conn.Close(ctx)
	name := prefix + "_" + randomHex(6)
	if _, err := conn.Exec(ctx, "CREATE SCHEMA "+pgx.Identifier{name}.Sanitize()); err != nil {
		tb.Fatalf("create schema %s: %v", name, err)
	}
	return WithParam(db.DSN, "search_path", name+",public")
}

// CreateSchema creates a schema named prefix_<random> in the database and
// returns a connection string whose search_path is that schema and then
// public, as NewSchema does, for callers without a testing.TB.
func (db *Database) CreateSchema(ctx context.Context, prefix string) (string, error) {
	conn, err := connect(ctx, db.DSN)
	if err != nil {
		return "", err
	}
	defer conn.Close(ctx)
	name := prefix + "_" + randomHex(6)
	if _, err := conn.Exec(ctx, "CREATE SCHEMA "+pgx.Identifier{name}.Sanitize()); err != nil {
		return "", fmt.Errorf("create schema %s: %w", name, err)
	}
	return WithParam(db.DSN, "search_path", name+",public"), nil
}

func connect(ctx context.Context, dsn string) (*pgx.Conn, error) {
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	return pgx.Connect(ctx, dsn)
}

// withDatabase returns dsn, a postgres:// URL, naming database name.
func withDatabase(dsn, name string) string {
	u, err := url.Parse(dsn)
	if err != nil || u.Scheme == "" {
		return strings.TrimSpace(dsn) + " dbname=" + name
	}
	u.Path = "/" + name
	return u.String()
}

// WithParam returns dsn, a postgres:// URL, with a query parameter set
// (pgx passes unknown ones to the server as run-time settings).
func WithParam(dsn, key, value string) string {
	u, err := url.Parse(dsn)
	if err != nil || u.Scheme == "" {
		return strings.TrimSpace(dsn) + " " + key + "=" + value
	}
	q := u.Query()
	q.Set(key, value)
	u.RawQuery = q.Encode()
	return u.String()
}

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}
