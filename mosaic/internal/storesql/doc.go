// Package storesql holds what the SQL stores (mosaic/sqlite and
// mosaic/postgis) share: the where-clause allow-list of a collection's
// fields, the conversion of attribute values to and from columns, the
// mosaic rank's ORDER BY, and the boundary-cell bookkeeping (grid keys,
// footprint hashes and the rules that decide which cells to rescan), so
// that both stores keep the same contract with one implementation of each
// rule.
//
// Statements that both stores run with the same SQL are written once here
// over DB, a small interface over a transaction that each store adapts
// (database/sql for SQLite, pgx for PostgreSQL): JobTx (jobs, the audit
// log, secrets), which each store's Tx embeds, and Items (deleting,
// restoring and purging items, the per-item checks and encoding of
// AddItems), which a store configures with its dialect and its own steps.
// What is driver glue or dialect (DDL, batch inserts, array and JSON
// parameters, locks) stays in each store.
//
// Catalog tables, in both stores, alias the items table as "i" and quote
// field names as SQL identifiers; the store's own columns start with an
// underscore, which field names cannot.
package storesql
