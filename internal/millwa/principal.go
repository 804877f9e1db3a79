package millwa

import (
	"strings"
	"time"
)

// Role is what a principal may do. The transport's policy table names the
// roles allowed on each RPC.
type Role string

// Roles.
const (
	RoleAdmin       Role = "admin"
	RoleAssociation Role = "association"
	RoleProcessor   Role = "processor"
	RoleAgency      Role = "agency"
)

// Principal is the authenticated caller of an RPC: the key it presented and
// the organisation that key acts for.
type Principal struct {
	// KeyID is the id of the API key ("" for the server itself).
	KeyID string
	Role  Role
	// Organisation is the resource name of the organisation the key acts
	// for ("associations/{id}", "processors/{id}", "agencies/{id}"); empty
	// for platform admins.
	Organisation string
	// Regions are the ubigeo prefixes an agency oversees.
	Regions []string
	// OrgAdmin is set on keys that administer their organisation's keys.
	OrgAdmin bool
}

// Actor is how the principal is named in audit events: its key's resource
// name, or "system" for work the server does on its own.
func (p Principal) Actor() string {
	if p.KeyID == "" {
		return "system"
	}
	return "apiKeys/" + p.KeyID
}

// OrganisationID returns the id part of the principal's organisation name,
// or "" for admins.
func (p Principal) OrganisationID() string {
	_, id, _ := strings.Cut(p.Organisation, "/")
	return id
}

// InRegions reports whether the ubigeo code lies in one of the principal's
// regions.
func (p Principal) InRegions(ubigeo string) bool {
	for _, r := range p.Regions {
		if strings.HasPrefix(ubigeo, r) {
			return true
		}
	}
	return false
}

// APIKey is a credential. Only the SHA-256 digest of its secret is stored;
// the secret is shown once, when the key is created.
type APIKey struct {
	ID           string
	DisplayName  string
	Role         Role
	Organisation string
	OrgAdmin     bool
	// KeyPrefix is the start of the secret, for people to recognise a key.
	KeyPrefix   string
	CreateTime  time.Time
	ExpireTime  time.Time // zero: never expires
	RevokeTime  time.Time // zero: not revoked
	LastUseTime time.Time // zero: never used
}

// Active reports whether the key can authenticate at time now.
func (k *APIKey) Active(now time.Time) bool {
	return k.RevokeTime.IsZero() && (k.ExpireTime.IsZero() || now.Before(k.ExpireTime))
}
