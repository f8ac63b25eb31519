package postgis

import "github.com/tessera-gis/tessera/mosaic/internal/storesql"

// Secret returns the secret called name, creating it from size random
// bytes if it does not exist. Concurrent creators wait for the first
// insert to commit (or roll back) and then read it.
func (tx *Tx) Secret(name string, size int) ([]byte, error) {
	return storesql.Secret(tx.conn(), name, size)
}
