package server

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// A token is "v1.<payload>.<mac>": base64url JSON claims and their
// HMAC-SHA256 under the server's secret. Nothing in it is secret; it cannot
// be forged or altered without the key, it carries its own expiry, and it
// names a fingerprint of the user's password hash, so changing a password
// (and restarting) invalidates the user's tokens.
const tokenVersion = "v1"

type tokenClaims struct {
	User    string `json:"u"`
	Expires int64  `json:"x"`            // epoch ms
	Print   string `json:"p"`            // fingerprint of the password hash
	IP      string `json:"ip,omitempty"` // client=ip|requestip binding
	Nonce   string `json:"n"`
}

var (
	errTokenInvalid = errors.New("invalid token")
	errTokenExpired = errors.New("token expired")
)

// tokenSigner issues and checks tokens with one secret.
type tokenSigner struct{ key []byte }

func (s tokenSigner) mac(b []byte) []byte {
	m := hmac.New(sha256.New, s.key)
	m.Write([]byte(tokenVersion + "."))
	m.Write(b)
	return m.Sum(nil)
}

// fingerprint binds tokens to the current password hash without revealing it.
func (s tokenSigner) fingerprint(a *account) string {
	m := hmac.New(sha256.New, s.key)
	m.Write([]byte("password-hash\x00"))
	m.Write(a.hash)
	return base64.RawURLEncoding.EncodeToString(m.Sum(nil)[:9])
}

func (s tokenSigner) issue(c tokenClaims) (string, error) {
	n := make([]byte, 9)
	if _, err := rand.Read(n); err != nil {
		return "", err
	}
	c.Nonce = base64.RawURLEncoding.EncodeToString(n)
	b, err := json.Marshal(c)
	if err != nil {
		return "", err
	}
	return tokenVersion + "." + base64.RawURLEncoding.EncodeToString(b) + "." +
		base64.RawURLEncoding.EncodeToString(s.mac(b)), nil
}

// verify checks a token's signature and expiry and returns its claims.
func (s tokenSigner) verify(token string, now time.Time) (tokenClaims, error) {
	var c tokenClaims
	parts := strings.Split(token, ".")
	if len(parts) != 3 || parts[0] != tokenVersion {
		return c, errTokenInvalid
	}
	payload, err1 := base64.RawURLEncoding.DecodeString(parts[1])
	sig, err2 := base64.RawURLEncoding.DecodeString(parts[2])
	if err1 != nil || err2 != nil || !hmac.Equal(sig, s.mac(payload)) {
		return c, errTokenInvalid
	}
	if err := json.Unmarshal(payload, &c); err != nil || c.User == "" {
		return c, errTokenInvalid
	}
	if now.UnixMilli() >= c.Expires {
		return c, errTokenExpired
	}
	return c, nil
}

// LoadOrCreateSecret returns the token-signing secret stored at path,
// creating a random 32-byte one (mode 0600) if the file does not exist.
// Keeping it in the data directory keeps tokens valid across restarts.
func LoadOrCreateSecret(path string) ([]byte, error) {
	b, err := os.ReadFile(path)
	if err == nil {
		if len(b) < 32 {
			return nil, fmt.Errorf("token secret %s is shorter than 32 bytes; delete it to make a new one", path)
		}
		return b, nil
	}
	if !errors.Is(err, os.ErrNotExist) {
		return nil, err
	}
	b = make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		return nil, err
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), ".token-secret-*")
	if err != nil {
		return nil, err
	}
	defer os.Remove(tmp.Name())
	if err := tmp.Chmod(0o600); err != nil {
		tmp.Close()
		return nil, err
	}
	if _, err := tmp.Write(b); err != nil {
		tmp.Close()
		return nil, err
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return nil, err
	}
	if err := tmp.Close(); err != nil {
		return nil, err
	}
	// Link, not rename: if another process created the file meanwhile, use
	// theirs rather than replace it.
	if err := os.Link(tmp.Name(), path); err != nil {
		if errors.Is(err, os.ErrExist) {
			return LoadOrCreateSecret(path)
		}
		return nil, err
	}
	return b, nil
}
