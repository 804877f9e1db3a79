package store

import (
	"context"

	"github.com/google/uuid"

	"github.com/millwa/millwa/internal/millwa"
)

// Reader is the read side of the store, shared by Store (each call reads the
// latest committed state) and Tx (reads see the transaction's own writes).
// Code that only reads takes a Reader, so that it runs inside or outside a
// transaction alike.
type Reader interface {
	// GetAssociation returns the association with the given id if p may
	// see it, or NotFound.
	GetAssociation(ctx context.Context, p millwa.Principal, id string) (millwa.Association, error)
	// ListAssociations returns one page of associations, as the query
	// says, or Invalid for a bad query.
	ListAssociations(ctx context.Context, p millwa.Principal, q ListQuery) (Page[millwa.Association], error)
}

var (
	_ Reader = (*Store)(nil)
	_ Reader = (*Tx)(nil)
)

// List limits shared by every List method.
const (
	// DefaultListLimit is the number of rows a List returns when its
	// filter's Limit is 0.
	DefaultListLimit = 50
	// MaxListLimit is the largest Limit a List accepts: above the API's
	// largest page (500) plus the one extra row a service asks for to
	// learn whether another page follows.
	MaxListLimit = 1000
)

// listLimit returns the number of rows a page of a List with the given
// Limit holds, or Invalid.
func listLimit(limit int) (int, error) {
	switch {
	case limit == 0:
		return DefaultListLimit, nil
	case limit < 0 || limit > MaxListLimit:
		return 0, millwa.Errorf(millwa.Invalid, "limit must be between 1 and %d, got %d", MaxListLimit, limit)
	}
	return limit, nil
}

// canonicalID returns id as the store keeps ids: a lower-case canonical
// UUID. ok is false when id is not a UUID, and so names no stored row.
func canonicalID(id string) (canonical string, ok bool) {
	u, err := uuid.Parse(id)
	if err != nil || len(id) != 36 {
		return "", false
	}
	return u.String(), true
}

// newID returns a new UUIDv7: ids sort by creation time, so that keyset
// pages in id order stay stable while rows are inserted.
func newID() (string, error) {
	u, err := uuid.NewV7()
	if err != nil {
		return "", millwa.Wrap(millwa.Internal, err, "internal error")
	}
	return u.String(), nil
}

// NewID returns a new UUIDv7 for an id the store does not assign itself
// (a clearing run's).
func NewID() (string, error) { return newID() }
