package server

import (
	"bufio"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"io"
	"os"
	"regexp"
	"strings"

	"golang.org/x/crypto/bcrypt"

	"github.com/tessera-gis/tessera/mosaic"
)

// Users holds the accounts and API keys of a users file.
//
// The file has one entry per line; blank lines and lines starting with #
// are ignored:
//
//	user   NAME ROLE BCRYPT-HASH     # made by "tessera passwd NAME ROLE"
//	apikey NAME ROLE sha256:HEX      # made by "tessera apikey NAME ROLE"
//
// ROLE is viewer, publisher or admin. Passwords are stored only as bcrypt
// hashes and API keys only as SHA-256 digests (a key is 256 random bits, so
// a fast digest cannot be brute-forced).
type Users struct {
	users map[string]*account
	keys  map[[sha256.Size]byte]*account
	// decoy is the costliest user's hash: a login with an unknown name is
	// compared against it, so that it takes as long as a known one.
	decoy     []byte
	decoyCost int
}

type account struct {
	name string
	role mosaic.Role
	hash []byte // bcrypt hash, users only
}

var userNameRE = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._@-]{0,63}$`)

// checkName checks an account name: letters, digits and ._@-, and not
// "anonymous" (in any case), the owner recorded for callers without a
// token, which no account may have.
func checkName(name string) error {
	if !userNameRE.MatchString(name) {
		return fmt.Errorf("invalid name %q (letters, digits and ._@- only)", name)
	}
	if strings.EqualFold(name, (*mosaic.User)(nil).DisplayName()) {
		return fmt.Errorf("the name %q is reserved for callers without a token", name)
	}
	return nil
}

// APIKeyPrefix starts every API key, so that keys and tokens are told
// apart without a lookup.
const APIKeyPrefix = "tsk_"

// LoadUsers reads a users file.
func LoadUsers(path string) (*Users, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	u, err := ParseUsers(f)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return u, nil
}

// ParseUsers reads users and API keys in the users-file format.
func ParseUsers(r io.Reader) (*Users, error) {
	u := &Users{users: map[string]*account{}, keys: map[[sha256.Size]byte]*account{}}
	sc := bufio.NewScanner(r)
	for line := 1; sc.Scan(); line++ {
		text := strings.TrimSpace(sc.Text())
		if text == "" || strings.HasPrefix(text, "#") {
			continue
		}
		fields := strings.Fields(text)
		if len(fields) > 4 && strings.HasPrefix(fields[4], "#") {
			fields = fields[:4]
		}
		if len(fields) != 4 {
			return nil, fmt.Errorf("line %d: want \"user|apikey NAME ROLE HASH\", got %d fields", line, len(fields))
		}
		kind, name, role, secret := fields[0], fields[1], mosaic.Role(fields[2]), fields[3]
		if err := checkName(name); err != nil {
			return nil, fmt.Errorf("line %d: %w", line, err)
		}
		if !role.Valid() {
			return nil, fmt.Errorf("line %d: unknown role %q (viewer, publisher or admin)", line, role)
		}
		a := &account{name: name, role: role}
		switch kind {
		case "user":
			if _, err := bcrypt.Cost([]byte(secret)); err != nil {
				return nil, fmt.Errorf("line %d: the password of %s is not a bcrypt hash (use tessera passwd)", line, name)
			}
			if _, dup := u.users[name]; dup {
				return nil, fmt.Errorf("line %d: user %s is listed twice", line, name)
			}
			a.hash = []byte(secret)
			u.users[name] = a
			if c, _ := bcrypt.Cost(a.hash); u.decoy == nil || c > u.decoyCost {
				u.decoy, u.decoyCost = a.hash, c
			}
		case "apikey":
			hexDigest, ok := strings.CutPrefix(secret, "sha256:")
			b, err := hex.DecodeString(hexDigest)
			if !ok || err != nil || len(b) != sha256.Size {
				return nil, fmt.Errorf("line %d: the key of %s is not sha256:<64 hex digits> (use tessera apikey)", line, name)
			}
			var d [sha256.Size]byte
			copy(d[:], b)
			u.keys[d] = a
		default:
			return nil, fmt.Errorf("line %d: unknown entry %q (user or apikey)", line, kind)
		}
	}
	if err := sc.Err(); err != nil {
		return nil, err
	}
	return u, nil
}

// Len returns the number of users and API keys.
func (u *Users) Len() int {
	if u == nil {
		return 0
	}
	return len(u.users) + len(u.keys)
}

// user returns the account named name, if any.
func (u *Users) user(name string) *account {
	if u == nil {
		return nil
	}
	return u.users[name]
}

// HasUser reports whether there is a user called name.
func (u *Users) HasUser(name string) bool { return u.user(name) != nil }

// key returns the account of an API key, if any.
func (u *Users) key(key string) *account {
	if u == nil {
		return nil
	}
	return u.keys[sha256.Sum256([]byte(key))]
}

// checkPassword returns the account if name and password match. An
// unknown name costs a bcrypt comparison too, against the hash of the
// user with the highest cost (its result is ignored), so that the time of
// an answer does not tell which names exist. Give every user the same
// cost (tessera passwd's default) and no name stands out.
func (u *Users) checkPassword(name, password string) *account {
	a := u.user(name)
	if a == nil {
		if u != nil && u.decoy != nil {
			bcrypt.CompareHashAndPassword(u.decoy, []byte(password))
		}
		return nil
	}
	if bcrypt.CompareHashAndPassword(a.hash, []byte(password)) != nil {
		return nil
	}
	return a
}

// PasswordLine returns a users-file line for a user with a bcrypt hash of
// password at the given cost (bcrypt.DefaultCost if 0).
func PasswordLine(name string, role mosaic.Role, password string, cost int) (string, error) {
	if err := checkName(name); err != nil {
		return "", err
	}
	if !role.Valid() {
		return "", fmt.Errorf("unknown role %q (viewer, publisher or admin)", role)
	}
	if len(password) < 8 {
		return "", fmt.Errorf("the password must have at least 8 characters")
	}
	if cost == 0 {
		cost = bcrypt.DefaultCost
	}
	h, err := bcrypt.GenerateFromPassword([]byte(password), cost)
	if err != nil {
		return "", err
	}
	return fmt.Sprintf("user %s %s %s", name, role, h), nil
}

// NewAPIKey returns a new random API key and its users-file line.
func NewAPIKey(name string, role mosaic.Role) (key, line string, err error) {
	if err := checkName(name); err != nil {
		return "", "", err
	}
	if !role.Valid() {
		return "", "", fmt.Errorf("unknown role %q (viewer, publisher or admin)", role)
	}
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		return "", "", err
	}
	key = APIKeyPrefix + base64.RawURLEncoding.EncodeToString(b)
	d := sha256.Sum256([]byte(key))
	return key, fmt.Sprintf("apikey %s %s sha256:%s", name, role, hex.EncodeToString(d[:])), nil
}
