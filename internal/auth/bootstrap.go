package auth

import (
	"context"
	"crypto/sha256"
	"fmt"
	"io"
	"time"

	"github.com/millwa/millwa/internal/millwa"
	"github.com/millwa/millwa/internal/store"
)

// Bootstrap is the outcome of EnsureAdminKey.
type Bootstrap struct {
	// Secret is the secret of a key the server generated, to print once;
	// "" when none was generated.
	Secret string
	// Key is the admin key created, if any.
	Key millwa.APIKey
	// Created is false when an active admin key existed already.
	Created bool
}

// EnsureAdminKey makes sure a platform admin key exists. When none is
// active it stores envSecret (MILLWA_ADMIN_KEY) as one, or generates a key
// and returns its secret, to be shown once. It returns Invalid for an
// envSecret shorter than 32 characters.
func EnsureAdminKey(ctx context.Context, st *store.Store, envSecret string) (Bootstrap, error) {
	if envSecret != "" && len(envSecret) < minBootstrapSecretLen {
		return Bootstrap{}, millwa.Errorf(millwa.Invalid, "MILLWA_ADMIN_KEY must have at least %d characters: generate one with 'openssl rand -base64 32'", minBootstrapSecretLen)
	}
	var out Bootstrap
	err := st.InTx(ctx, func(tx *store.Tx) error {
		out = Bootstrap{}
		n, err := tx.CountActiveAdminKeys(ctx, time.Now())
		if err != nil || n > 0 {
			return err
		}
		secret, digest, prefix := envSecret, Digest(envSecret), Prefix(envSecret)
		if envSecret == "" {
			if secret, digest, prefix, err = NewSecret(); err != nil {
				return err
			}
			out.Secret = secret
		}
		k := millwa.APIKey{DisplayName: "first admin key", Role: millwa.RoleAdmin, KeyPrefix: prefix}
		if err := createKey(ctx, tx, &k, digest, "bootstrap"); err != nil {
			return err
		}
		out.Key, out.Created = k, true
		return nil
	})
	return out, err
}

// AnnounceSecret writes the secret of a generated first admin key for the
// operator, once; it never goes to the log.
func AnnounceSecret(w io.Writer, secret string) {
	fmt.Fprintf(w, "\nFirst admin key, shown only this once (keep it safe; it cannot be recovered):\n\n    %s\n\nUse it as the header  authorization: Bearer <key>\n\n", secret)
}

// CreateKey stores a new key for k's role and organisation, on behalf of
// the server's operator (the audit actor is "system"), and returns its
// secret. It returns Invalid when the organisation does not fit the role
// or does not exist.
func CreateKey(ctx context.Context, st *store.Store, k *millwa.APIKey) (secret string, err error) {
	var vs millwa.Violations
	CheckKeyOwner(&vs, k.Role, k.Organisation)
	if err := vs.Err(); err != nil {
		return "", err
	}
	err = st.InTx(ctx, func(tx *store.Tx) error {
		if k.Organisation != "" {
			ok, err := tx.OrganisationExists(ctx, k.Organisation)
			if err != nil {
				return err
			}
			if !ok {
				return millwa.Errorf(millwa.Invalid, "organisation %s does not exist: create it first", k.Organisation)
			}
		}
		s, digest, prefix, err := NewSecret()
		if err != nil {
			return err
		}
		k.KeyPrefix = prefix
		if err := createKey(ctx, tx, k, digest, "create"); err != nil {
			return err
		}
		secret = s
		return nil
	})
	return secret, err
}

// createKey stores k and records it in the audit chain as done by the
// server itself.
func createKey(ctx context.Context, tx *store.Tx, k *millwa.APIKey, digest [32]byte, action string) error {
	if err := tx.CreateAPIKey(ctx, k, digest); err != nil {
		return err
	}
	change := sha256.Sum256([]byte(fmt.Sprintf("%s|%s|%s|%t", k.ID, k.Role, k.Organisation, k.OrgAdmin)))
	return tx.AppendAuditEvent(ctx, &millwa.AuditEvent{
		Actor:        "system",
		Role:         millwa.RoleAdmin,
		Method:       "millwa admin",
		Resource:     "apiKeys/" + k.ID,
		Action:       action,
		ChangeDigest: change,
	})
}

// CheckKeyOwner records violations when the organisation does not fit the
// role: admins have none, the other roles an organisation of their kind.
func CheckKeyOwner(vs *millwa.Violations, role millwa.Role, organisation string) {
	want := map[millwa.Role]string{
		millwa.RoleAssociation: "associations",
		millwa.RoleProcessor:   "processors",
		millwa.RoleAgency:      "agencies",
	}
	switch collection, ok := want[role]; {
	case role == millwa.RoleAdmin:
		if organisation != "" {
			vs.Add("api_key.organisation", "must be empty for an admin key")
		}
	case !ok:
		vs.Add("api_key.role", "must be admin, association, processor or agency")
	default:
		if _, err := millwa.ParseName("api_key.organisation", organisation, collection); err != nil {
			vs.Add("api_key.organisation", "a %s key needs the resource name of its organisation, %s/{id}", role, collection)
		}
	}
}
