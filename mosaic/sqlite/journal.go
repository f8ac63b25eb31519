package sqlite

/*
// SQLite as mattn/go-sqlite3 builds it into this binary: the declarations
// it needs, without its header (sqlite3_config is variadic, which cgo
// cannot call directly).
int sqlite3_config(int, ...);
#define TESSERA_SQLITE_CONFIG_STMTJRNL_SPILL 26

static int tessera_stmtjrnl_spill(int n) {
	return sqlite3_config(TESSERA_SQLITE_CONFIG_STMTJRNL_SPILL, n);
}
*/
import "C"

// A statement in a transaction keeps the original of every page it
// changes in a statement journal, to undo itself if it fails. SQLite
// holds that journal in memory up to a threshold (64 KiB by default) and
// spills the rest to a temporary file. Each 32-row insert of an ingest
// (the row, three indexes, the R*Tree, the raster row) went past it: about
// 27,000 writes to a temporary file per 10,000 items, a twentieth of the
// job's CPU. stmtJournalSpill raises the threshold to 8 MiB: an insert's
// journal stays in memory, and a statement that changes much more (a
// DeleteImage of a large part of a large catalog) still spills, so memory
// stays bounded.
const stmtJournalSpill = 8 << 20

// stmtJournalConfigured reports whether SQLite took the setting: it must
// be made before SQLite's first use in the process, which init does.
var stmtJournalConfigured bool

func init() {
	stmtJournalConfigured = C.tessera_stmtjrnl_spill(C.int(stmtJournalSpill)) == 0
}
