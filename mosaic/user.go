package mosaic

// Role is a user's level of access. Each role includes the ones below it.
type Role string

// Roles, from least to most privileged.
const (
	RoleViewer    Role = "viewer"    // read services and query catalogs
	RolePublisher Role = "publisher" // add, delete and restore items
	RoleAdmin     Role = "admin"     // create and delete collections
)

func (r Role) rank() int {
	switch r {
	case RoleViewer:
		return 1
	case RolePublisher:
		return 2
	case RoleAdmin:
		return 3
	}
	return 0
}

// Valid reports whether r is a known role.
func (r Role) Valid() bool { return r.rank() > 0 }

// Allows reports whether a user with role r may do what role need permits.
func (r Role) Allows(need Role) bool { return r.rank() >= need.rank() }

// User is an authenticated caller. The anonymous caller, when anonymous
// access is configured, is a User with an empty Name.
type User struct {
	Name string
	Role Role
}

// Can reports whether u may do what role need permits. A nil user may not.
func (u *User) Can(need Role) bool { return u != nil && u.Role.Allows(need) }

// DisplayName returns the user's name for logs and audit records.
func (u *User) DisplayName() string {
	if u == nil || u.Name == "" {
		return "anonymous"
	}
	return u.Name
}
