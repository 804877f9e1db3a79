package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/jmoiron/sqlx"

	"github.com/millwa/millwa/internal/millwa"
)

// apiKeyRow is an api_keys row, less its digest.
type apiKeyRow struct {
	ID           string     `db:"id"`
	DisplayName  string     `db:"display_name"`
	Role         string     `db:"role"`
	Organisation string     `db:"organisation"`
	OrgAdmin     bool       `db:"org_admin"`
	KeyPrefix    string     `db:"key_prefix"`
	CreateTime   dbTime     `db:"create_time"`
	ExpireTime   dbNullTime `db:"expire_time"`
	RevokeTime   dbNullTime `db:"revoke_time"`
	LastUseTime  dbNullTime `db:"last_use_time"`
}

const apiKeyColumns = `id, display_name, role, organisation, org_admin, key_prefix,
	create_time, expire_time, revoke_time, last_use_time`

func (r *apiKeyRow) apiKey() millwa.APIKey {
	return millwa.APIKey{
		ID:           r.ID,
		DisplayName:  r.DisplayName,
		Role:         millwa.Role(r.Role),
		Organisation: r.Organisation,
		OrgAdmin:     r.OrgAdmin,
		KeyPrefix:    r.KeyPrefix,
		CreateTime:   r.CreateTime.Time,
		ExpireTime:   r.ExpireTime.Time,
		RevokeTime:   r.RevokeTime.Time,
		LastUseTime:  r.LastUseTime.Time,
	}
}

// CreateAPIKey stores k under the SHA-256 digest of its secret, which the
// caller has generated; the secret itself is never stored. It sets k.ID and
// k.CreateTime. It returns AlreadyExists for a digest already stored (which
// only a reused secret can cause).
func (tx *Tx) CreateAPIKey(ctx context.Context, k *millwa.APIKey, digest [32]byte) error {
	id, err := newID()
	if err != nil {
		return err
	}
	t := now()
	_, err = tx.tx.ExecContext(ctx, tx.tx.Rebind(`INSERT INTO api_keys
		(id, key_digest, display_name, role, organisation, org_admin, key_prefix, create_time, expire_time)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`),
		id, digest[:], k.DisplayName, string(k.Role), k.Organisation, k.OrgAdmin, k.KeyPrefix,
		dbTime{t}, dbNullTime{k.ExpireTime})
	if err != nil {
		return dbError(err, "inserting API key %s", id)
	}
	k.ID, k.CreateTime = id, t
	return nil
}

// lookupAPIKeySQL is LookupAPIKey's query, rebound for each dialect.
var lookupAPIKeySQL = byDialect(`SELECT ` + apiKeyColumns + ` FROM api_keys WHERE key_digest = ?`)

// LookupAPIKey returns the key whose secret has the given SHA-256 digest,
// whatever its state. It returns NotFound when no key has it.
func (s *Store) LookupAPIKey(ctx context.Context, digest [32]byte) (millwa.APIKey, error) {
	var row apiKeyRow
	err := s.get(ctx, &row, lookupAPIKeySQL[s.dialect], digest[:])
	if errors.Is(err, sql.ErrNoRows) {
		return millwa.APIKey{}, millwa.Errorf(millwa.NotFound, "no such API key")
	}
	if err != nil {
		return millwa.APIKey{}, dbError(err, "looking up an API key")
	}
	return row.apiKey(), nil
}

// AgencyRegions returns the ubigeo prefixes of the agency with the given id,
// in order; none for an unknown agency.
func (s *Store) AgencyRegions(ctx context.Context, agencyID string) ([]string, error) {
	id, ok := canonicalID(agencyID)
	if !ok {
		return nil, nil
	}
	var regions []string
	err := s.selectRows(ctx, &regions, s.r.Rebind(`SELECT ubigeo_prefix FROM agency_regions WHERE agency_id = ? ORDER BY ubigeo_prefix`), id)
	if err != nil {
		return nil, dbError(err, "reading the regions of agency %s", agencyID)
	}
	return regions, nil
}

// TouchAPIKey records that the key was used at t. It is a single statement
// outside any audit chain: use is not a state change of the key.
func (s *Store) TouchAPIKey(ctx context.Context, id string, t time.Time) error {
	return s.InTx(ctx, func(tx *Tx) error {
		_, err := tx.tx.ExecContext(ctx, tx.tx.Rebind(`UPDATE api_keys SET last_use_time = ? WHERE id = ?`), dbTime{t}, id)
		return dbError(err, "recording the use of API key %s", id)
	})
}

// CountActiveAdminKeys returns the number of platform admin keys that are
// neither revoked nor expired at t, locking them until the transaction
// ends, so that concurrent transactions that revoke admin keys one by one
// see each other's revocations and cannot together revoke the last one.
func (tx *Tx) CountActiveAdminKeys(ctx context.Context, t time.Time) (int, error) {
	var ids []string
	err := sqlx.SelectContext(ctx, tx.tx, &ids, tx.tx.Rebind(`SELECT id FROM api_keys
		WHERE role = 'admin' AND revoke_time IS NULL AND (expire_time IS NULL OR expire_time > ?)
		ORDER BY id`+tx.forUpdate), dbTime{t})
	if err != nil {
		return 0, dbError(err, "counting admin keys")
	}
	return len(ids), nil
}

// HasAPIKeyDigest reports whether a key with the given secret digest exists.
func (tx *Tx) HasAPIKeyDigest(ctx context.Context, digest [32]byte) (bool, error) {
	var n int
	err := sqlx.GetContext(ctx, tx.tx, &n, tx.tx.Rebind(`SELECT COUNT(*) FROM api_keys WHERE key_digest = ?`), digest[:])
	if err != nil {
		return false, dbError(err, "looking up an API key")
	}
	return n > 0, nil
}

// OrganisationExists reports whether the organisation with the resource
// name ("associations/{id}", "processors/{id}" or "agencies/{id}") exists.
// It returns Invalid for a name of another form.
func (tx *Tx) OrganisationExists(ctx context.Context, name string) (bool, error) {
	collection, id, _ := strings.Cut(name, "/")
	tables := map[string]string{"associations": "associations", "processors": "processors", "agencies": "agencies"}
	table, ok := tables[collection]
	key, idOK := canonicalID(id)
	if !ok || !idOK {
		return false, millwa.Errorf(millwa.Invalid, "%q is not an organisation's resource name", name)
	}
	var n int
	err := sqlx.GetContext(ctx, tx.tx, &n, tx.tx.Rebind(fmt.Sprintf(`SELECT COUNT(*) FROM %s WHERE id = ?`, table)), key)
	if err != nil {
		return false, dbError(err, "looking up %s", name)
	}
	return n > 0, nil
}

// apiKeyList is how keys are filtered and paged, in id (creation) order.
// The state filter is derived from the times, so ListAPIKeys handles it.
var apiKeyList = resourceColumns{
	rowSource: rowSource{noun: "API key", from: "api_keys", selectList: apiKeyColumns},
	columns: map[string]column{
		"role":         {expr: "role", kind: millwa.StringField},
		"organisation": {expr: "organisation", kind: millwa.StringField},
		"org_admin":    {expr: "org_admin", kind: millwa.BoolField},
	},
}

// GetAPIKey returns the key with the given id if p may see it, or NotFound
// ("API key ID not found") whether it is missing or hidden.
func (qs queries) GetAPIKey(ctx context.Context, p millwa.Principal, id string) (millwa.APIKey, error) {
	return getOne(ctx, qs, &apiKeyList.rowSource, apiKeyScope(p), id, (*apiKeyRow).apiKey)
}

// apiKeyState is the SQL condition of a key state at time t, with its
// arguments; ok is false for an unknown state.
func apiKeyState(state string, t time.Time) (cond string, args []any, ok bool) {
	switch state {
	case "active":
		return "revoke_time IS NULL AND (expire_time IS NULL OR expire_time > ?)", []any{dbTime{t}}, true
	case "expired":
		return "revoke_time IS NULL AND expire_time IS NOT NULL AND expire_time <= ?", []any{dbTime{t}}, true
	case "revoked":
		return "revoke_time IS NOT NULL", nil, true
	}
	return "", nil, false
}

// ListAPIKeys returns one page of the keys q selects among those p may see,
// in creation order. Besides role, organisation and org_admin, q may filter
// on state ("active", "expired" or "revoked"), judged at t. It returns
// Invalid for a field, state, key or limit the query may not have.
func (qs queries) ListAPIKeys(ctx context.Context, p millwa.Principal, q ListQuery, t time.Time) (Page[millwa.APIKey], error) {
	visible := apiKeyScope(p)
	rest := q
	rest.Conditions = nil
	for _, c := range q.Conditions {
		if c.Field != "state" {
			rest.Conditions = append(rest.Conditions, c)
			continue
		}
		cond, condArgs, ok := apiKeyState(c.Str, t)
		if !ok || (c.Op != millwa.OpEq && c.Op != millwa.OpNe) {
			return Page[millwa.APIKey]{}, millwa.Errorf(millwa.Invalid, "state takes = or != and active, expired or revoked")
		}
		if c.Op == millwa.OpNe {
			cond = "NOT (" + cond + ")"
		}
		visible = visible.and("("+cond+")", condArgs...)
	}
	return listPage(ctx, qs, &apiKeyList, visible, rest, (*apiKeyRow).apiKey)
}

// RevokeAPIKey revokes the key with the given id now. It returns
// FailedPrecondition when the key is already revoked and NotFound when
// there is no such key.
func (tx *Tx) RevokeAPIKey(ctx context.Context, id string) error {
	key, ok := canonicalID(id)
	if !ok {
		return millwa.Errorf(millwa.NotFound, "API key %s not found", id)
	}
	res, err := tx.tx.ExecContext(ctx, tx.tx.Rebind(`UPDATE api_keys SET revoke_time = ? WHERE id = ? AND revoke_time IS NULL`), dbTime{now()}, key)
	if err != nil {
		return dbError(err, "revoking API key %s", id)
	}
	if n, err := res.RowsAffected(); err != nil {
		return dbError(err, "revoking API key %s", id)
	} else if n == 0 {
		return millwa.Errorf(millwa.FailedPrecondition, "API key %s is already revoked, or does not exist", id)
	}
	return nil
}

// InactiveAPIKeys returns those of ids (at most a few hundred) whose keys
// are revoked, expired at t or do not exist, in one query: a replica asks
// it about the keys of its open streams.
func (s *Store) InactiveAPIKeys(ctx context.Context, ids []string, t time.Time) ([]string, error) {
	var args []any
	var out []string
	for _, id := range ids {
		if key, ok := canonicalID(id); ok {
			args = append(args, key)
		} else {
			out = append(out, id)
		}
	}
	if len(args) == 0 {
		return out, nil
	}
	q, qargs, err := sqlx.In(`SELECT id FROM api_keys WHERE id IN (?)`, args)
	if err != nil {
		return nil, fmt.Errorf("building the query of key states: %w", err)
	}
	q += ` AND revoke_time IS NULL AND (expire_time IS NULL OR expire_time > ?)`
	qargs = append(qargs, dbTime{t})
	var active []string
	if err := sqlx.SelectContext(ctx, s.r, &active, s.r.Rebind(q), qargs...); err != nil {
		return nil, dbError(err, "reading the state of %d API keys", len(args))
	}
	live := make(map[string]bool, len(active))
	for _, id := range active {
		live[id] = true
	}
	for _, a := range args {
		if id := a.(string); !live[id] {
			out = append(out, id)
		}
	}
	return out, nil
}

// apiKeyDigestSQL is APIKeyDigest's query, rebound for each dialect.
var apiKeyDigestSQL = byDialect(`SELECT key_digest FROM api_keys WHERE id = ?`)

// APIKeyDigest returns the SHA-256 digest of the secret of the key with
// the given id, whatever its state: session tokens are signed with it, so
// that they are bound to the key and never outlive it. It returns NotFound
// when no key has the id.
func (s *Store) APIKeyDigest(ctx context.Context, id string) ([32]byte, error) {
	canonical, ok := canonicalID(id)
	if !ok {
		return [32]byte{}, millwa.Errorf(millwa.NotFound, "no such API key")
	}
	var digest []byte
	err := s.get(ctx, &digest, apiKeyDigestSQL[s.dialect], canonical)
	if errors.Is(err, sql.ErrNoRows) {
		return [32]byte{}, millwa.Errorf(millwa.NotFound, "no such API key")
	}
	if err != nil {
		return [32]byte{}, dbError(err, "reading the digest of API key %s", id)
	}
	if len(digest) != 32 {
		return [32]byte{}, fmt.Errorf("API key %s has a digest of %d bytes, want 32", id, len(digest))
	}
	return [32]byte(digest), nil
}
