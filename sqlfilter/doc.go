// Package sqlfilter compiles the SQL-like text that ArcGIS clients send
// (where clauses, outFields, orderByFields) into safe SQL for SQLite or
// PostgreSQL.
package sqlfilter
