package rpc

import (
	"context"
	"errors"
	"slices"

	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"

	"github.com/millwa/millwa/internal/auth"
	"github.com/millwa/millwa/internal/millwa"
)

// Require returns the principal of the call, or Unauthenticated when there
// is none. Every RPC that is not public calls it first, so that a missing
// entry in the interceptor chain cannot open a door.
func Require(ctx context.Context) (millwa.Principal, error) {
	return auth.Require(ctx)
}

// RequireRole returns PermissionDenied, saying why, unless p has one of the
// roles. It repeats the policy table's rule for RPCs whose data other roles
// must never reach, so that a mistake in the table cannot expose it.
func RequireRole(p millwa.Principal, why string, roles ...millwa.Role) error {
	if slices.Contains(roles, p.Role) {
		return nil
	}
	return millwa.Errorf(millwa.PermissionDenied, "the %s role may not call this: %s", p.Role, why)
}

// Principal is the principal of a call that Require has already admitted.
func Principal(ctx context.Context) millwa.Principal {
	p, _ := auth.FromContext(ctx)
	return p
}

// Get answers a Get RPC: it admits the caller, parses the resource name
// (in the request field "name") against collections, and reads the
// resource with read, which is given the caller and the ids of the name
// and must answer NotFound for what the caller may not see.
func Get[T any](ctx context.Context, name string, collections []string, read func(p millwa.Principal, ids []string) (T, error)) (T, error) {
	var zero T
	p, err := Require(ctx)
	if err != nil {
		return zero, err
	}
	ids, err := millwa.ParseName("name", name, collections...)
	if err != nil {
		return zero, err
	}
	return read(p, ids)
}

// GetByID answers the Get RPC of a resource whose name holds one id
// (collection/{id}): it admits the caller, parses the name and reads the
// resource with read, a store method that answers NotFound for what the
// caller may not see.
func GetByID[T any](ctx context.Context, name, collection string, read func(context.Context, millwa.Principal, string) (T, error)) (T, error) {
	return Get(ctx, name, []string{collection}, func(p millwa.Principal, ids []string) (T, error) { return read(ctx, p, ids[0]) })
}

// ListParent returns the id of the parent a List request names, after
// reading it with read, so that a parent the caller may not see answers
// NotFound; "" for collection/- (AIP-159), which lists under every parent
// the caller may see.
func ListParent[T any](ctx context.Context, p millwa.Principal, parent, collection string, read func(context.Context, millwa.Principal, string) (T, error)) (string, error) {
	if parent == collection+"/-" {
		return "", nil
	}
	ids, err := millwa.ParseName("parent", parent, collection)
	if err != nil {
		return "", err
	}
	if _, err := read(ctx, p, ids[0]); err != nil {
		return "", err
	}
	return ids[0], nil
}

// ListMessage is what every List request message has (AIP-132). Requests
// with a parent, an order_by or a search field have GetParent, GetOrderBy
// or GetSearch too, and a page token is bound to them.
type ListMessage interface {
	GetPageSize() int32
	GetPageToken() string
	GetFilter() string
}

// ListParams are the List fields of a request message.
func ListParams(req ListMessage) millwa.ListRequest {
	lr := millwa.ListRequest{PageSize: req.GetPageSize(), PageToken: req.GetPageToken(), Filter: req.GetFilter()}
	if r, ok := req.(interface{ GetParent() string }); ok {
		lr.Parent = r.GetParent()
	}
	if r, ok := req.(interface{ GetOrderBy() string }); ok {
		lr.OrderBy = r.GetOrderBy()
	}
	if r, ok := req.(interface{ GetSearch() string }); ok {
		lr.Search = r.GetSearch()
	}
	return lr
}

// Lister is one List RPC: what it lists by, how it reads a page and how it
// shows an item.
type Lister[T, P any] struct {
	// Spec is what the resource is filtered and ordered by.
	Spec millwa.ListSpec
	// Refine, when set, checks and rewrites the parsed query for the
	// caller: values the grammar cannot check (enum values, resource
	// names turned into ids), fields a role may not filter on.
	Refine func(p millwa.Principal, q *millwa.ListQuery) error
	// Read reads one page as the caller may see it.
	Read func(ctx context.Context, p millwa.Principal, q millwa.ListQuery) (millwa.Page[T], error)
	// Show is the API's form of an item for the caller (Plain makes one of
	// a conversion that cannot fail and shows every caller the same).
	Show func(p millwa.Principal, item *T) (P, error)
}

// Plain is the Show of a conversion that cannot fail and shows every
// caller the same.
func Plain[T, P any](convert func(*T) P) func(millwa.Principal, *T) (P, error) {
	return func(_ millwa.Principal, item *T) (P, error) { return convert(item), nil }
}

// List answers a List RPC for an admitted caller p: it parses the request
// against the spec, refines the query, reads a page and returns its items
// in the API's form with the next page's token.
func (l Lister[T, P]) List(ctx context.Context, p millwa.Principal, req ListMessage) (items []P, next string, err error) {
	lr := ListParams(req)
	q, err := millwa.ParseList(lr, l.Spec)
	if err != nil {
		return nil, "", err
	}
	if l.Refine != nil {
		if err := l.Refine(p, &q); err != nil {
			return nil, "", err
		}
	}
	page, err := l.Read(ctx, p, q)
	if err != nil {
		return nil, "", err
	}
	items = make([]P, len(page.Items))
	for i := range page.Items {
		if items[i], err = l.Show(p, &page.Items[i]); err != nil {
			return nil, "", err
		}
	}
	return items, lr.NextPageToken(page.Next), nil
}

// Serve answers a List RPC that any admitted caller may make: Require,
// then List.
func (l Lister[T, P]) Serve(ctx context.Context, req ListMessage) (items []P, next string, err error) {
	p, err := Require(ctx)
	if err != nil {
		return nil, "", err
	}
	return l.List(ctx, p, req)
}

// Checked is a domain resource that cleans and checks itself.
type Checked[D any] interface {
	*D
	Normalize()
	Check(vs *millwa.Violations, field string)
}

// Input reads the resource of a Create request from the request field
// named field: it records that the field is required when in is nil, and
// otherwise converts in with from, normalises and checks it, recording
// violations in vs under field.
func Input[D any, PD Checked[D], P comparable](vs *millwa.Violations, field string, in P, from func(P) D) D {
	var zero P
	if in == zero {
		vs.Add(field, "is required")
		return *new(D)
	}
	d := from(in)
	PD(&d).Normalize()
	PD(&d).Check(vs, field)
	return d
}

// OutputOnly records a violation of each of the named fields of in (a
// resource in a request, under prefix) that is set although the server
// fills it in. The names are given in the message's field order, so that
// the answer is the same each time.
func OutputOnly(vs *millwa.Violations, prefix string, in proto.Message, fields ...protoreflect.Name) {
	m := in.ProtoReflect()
	for _, name := range fields {
		fd := m.Descriptor().Fields().ByName(name)
		if fd == nil {
			panic("rpc.OutputOnly: " + string(m.Descriptor().FullName()) + " has no field " + string(name))
		}
		if m.Has(fd) {
			vs.Add(prefix+"."+string(name), "is output only: leave it empty")
		}
	}
}

// ParseParent returns the ids of the resource a request's parent names,
// or records the violation of "parent" in vs and returns nil.
func ParseParent(vs *millwa.Violations, parent string, collections ...string) []string {
	ids, err := millwa.ParseName("parent", parent, collections...)
	if err != nil {
		AddViolations(vs, err)
		return nil
	}
	return ids
}

// AddViolations appends the field violations of an Invalid error to vs.
func AddViolations(vs *millwa.Violations, err error) {
	var e *millwa.Error
	if errors.As(err, &e) {
		*vs = append(*vs, e.Violations...)
	}
}

// Change checks what every request changing an existing resource shares:
// it admits the caller, checks the request_id and parses the resource name
// given in the field "name" against collections, returning the caller and
// the name's ids.
func Change(ctx context.Context, req Request, name string, collections ...string) (millwa.Principal, []string, error) {
	p, err := Require(ctx)
	if err != nil {
		return p, nil, err
	}
	var vs millwa.Violations
	millwa.CheckRequestID(&vs, req.GetRequestId())
	ids, err := millwa.ParseName("name", name, collections...)
	if err != nil {
		return p, nil, err
	}
	return p, ids, vs.Err()
}

// CheckEtag answers Aborted when the client's etag (empty: none given) is
// not the resource's current one.
func CheckEtag(name, given, current string) error {
	if given != "" && given != current {
		return millwa.Errorf(millwa.Aborted, "%s changed since etag %q was read: read it again", name, given)
	}
	return nil
}

// FilterNames turns the values of filter conditions on resource names into
// the ids the store compares: for each field of fields, a value must be a
// name of the given collections, and becomes the last id in it.
func FilterNames(q *millwa.ListQuery, fields map[string][]string) error {
	for i, c := range q.Conditions {
		collections, ok := fields[c.Field]
		if !ok {
			continue
		}
		ids, err := millwa.ParseName("filter", c.Str, collections...)
		if err != nil {
			return millwa.FilterError("%s takes a resource name such as %q", c.Field, exampleName(collections))
		}
		q.Conditions[i].Str = ids[len(ids)-1]
	}
	return nil
}

// exampleName is a resource name of the collections, for messages.
func exampleName(collections []string) string {
	name := ""
	for i, c := range collections {
		if i > 0 {
			name += "/"
		}
		name += c + "/0190…"
	}
	return name
}
