package tasks

// SetHeldItems sets how many items an ingest keeps in memory before it
// stages batches on disk, and returns a function that restores it.
func SetHeldItems(n int) (restore func()) {
	old := heldItems.Swap(int64(n))
	return func() { heldItems.Store(old) }
}

// SetKeptNames sets how many names a listing keeps from its first walk
// (past that, it walks again to yield them), and returns a function that
// restores it.
func SetKeptNames(n int) (restore func()) {
	old := keptNames.Swap(int64(n))
	return func() { keptNames.Store(old) }
}
