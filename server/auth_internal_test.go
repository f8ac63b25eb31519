package server

import (
	"strings"
	"testing"

	"golang.org/x/crypto/bcrypt"

	"github.com/tessera-gis/tessera/mosaic"
)

// TestUnknownUserCost: a login with an unknown name is compared against
// the costliest user's hash, so it costs as much as a known user's.
func TestUnknownUserCost(t *testing.T) {
	t.Parallel()
	var lines []string
	for i, cost := range []int{4, 6, 5} {
		l, err := PasswordLine("u"+string(rune('a'+i)), mosaic.RoleViewer, "password-"+string(rune('a'+i)), cost)
		if err != nil {
			t.Fatal(err)
		}
		lines = append(lines, l)
	}
	u, err := ParseUsers(strings.NewReader(strings.Join(lines, "\n")))
	if err != nil {
		t.Fatal(err)
	}
	if c, _ := bcrypt.Cost(u.decoy); c != 6 || u.decoyCost != 6 {
		t.Errorf("unknown users are compared at cost %d, want the highest, 6", c)
	}
	// The decoy's password never signs in a stranger.
	if u.checkPassword("nobody", "password-b") != nil || u.checkPassword("ub", "password-b") == nil {
		t.Error("checkPassword")
	}
	if (&Users{}).checkPassword("x", "y") != nil {
		t.Error("empty users")
	}
}
