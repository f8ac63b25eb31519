// Package storesql holds what the SQL stores (mosaic/sqlite and
// mosaic/postgis) share: the where-clause allow-list of a collection's
// fields, the conversion of attribute values to and from columns, the
// mosaic rank's ORDER BY, and the boundary-cell bookkeeping (grid keys,
// footprint hashes and the rules that decide which cells to rescan), so
// that both stores keep the same contract with one implementation of each
// rule.
//
// Catalog tables, in both stores, alias the items table as "i" and quote
// field names as SQL identifiers; the store's own columns start with an
// underscore, which field names cannot.
package storesql
