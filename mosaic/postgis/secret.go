package postgis

import (
	"crypto/rand"
	"fmt"
)

// Secret returns the secret called name, creating it from size random
// bytes if it does not exist. Concurrent creators wait for the first
// insert to commit (or roll back) and then read it.
func (tx *Tx) Secret(name string, size int) ([]byte, error) {
	b := make([]byte, size)
	if _, err := rand.Read(b); err != nil {
		return nil, err
	}
	if _, err := tx.exec(`INSERT INTO secrets (name, value) VALUES (?, ?) ON CONFLICT (name) DO NOTHING`, name, b); err != nil {
		return nil, fmt.Errorf("create secret %s: %w", name, err)
	}
	var v []byte
	if err := tx.queryRow(`SELECT value FROM secrets WHERE name = ?`, name).Scan(&v); err != nil {
		return nil, fmt.Errorf("read secret %s: %w", name, err)
	}
	return v, nil
}
