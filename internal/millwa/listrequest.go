package millwa

import (
	"slices"
	"strconv"
	"strings"
)

// ListQuery selects one page of a List: the conditions items must meet,
// their order, and where the page starts. The store runs it; ParseList
// makes it from a List request.
type ListQuery struct {
	// Conditions are joined by AND.
	Conditions []Condition
	// Order lists the sort fields; the id is always the last, implicit key,
	// so the order is total. Empty means id order.
	Order []OrderTerm
	// After is the Next key of the previous page: the page starts after the
	// item whose sort key it is. Empty starts at the beginning.
	After []string
	// Limit is the page size.
	Limit int
	// Search holds the folded words of a text search (see ParseSearch):
	// an item matches when each word is part of one of its searched texts.
	Search []string
}

// Page is one page of a List: its items and, when more follow, the sort key
// of its last item, for the next page's ListQuery.After.
type Page[T any] struct {
	Items []T
	Next  []string
}

// ListRequest holds the AIP-132 fields of a List request.
type ListRequest struct {
	Parent    string
	PageSize  int32
	PageToken string
	Filter    string
	OrderBy   string
	// Search is the request's search string, for resources whose spec
	// allows one.
	Search string
}

// ListSpec is what a resource can be listed by: its filterable fields, its
// orderable fields and its default order.
type ListSpec struct {
	Filter map[string]FieldKind
	// EqualOnly are the filter fields the API documents as "= only".
	EqualOnly    []string
	Order        []string
	DefaultOrder []OrderTerm
	// Search is set when the resource can be searched by text.
	Search bool
}

// ParseList turns a List request into a query, checking the page size, the
// filter, the order and the page token against spec. A condition on a field
// named "region" must be = and an INEI ubigeo prefix (2, 4 or 6 digits).
// Errors are Invalid and name the request field.
func ParseList(req ListRequest, spec ListSpec) (ListQuery, error) {
	size, err := PageSize(req.PageSize)
	if err != nil {
		return ListQuery{}, err
	}
	conds, err := ParseFilter(req.Filter, spec.Filter)
	if err != nil {
		return ListQuery{}, err
	}
	for _, c := range conds {
		if c.Field == "region" && (c.Op != OpEq || !IsUbigeoPrefix(c.Str)) {
			var vs Violations
			vs.Add("filter", `region takes = and an INEI ubigeo prefix of 2, 4 or 6 digits, for example region = "21" (Puno)`)
			return ListQuery{}, vs.Err()
		}
	}
	q := ListQuery{Conditions: conds}
	if err := q.EqualOnly(spec.EqualOnly...); err != nil {
		return ListQuery{}, err
	}
	order, err := ParseOrderBy(req.OrderBy, spec.Order, spec.DefaultOrder)
	if err != nil {
		return ListQuery{}, err
	}
	search, err := ParseSearch(req.Search)
	if err != nil {
		return ListQuery{}, err
	}
	if len(search) > 0 && !spec.Search {
		return ListQuery{}, Errorf(Invalid, "this list cannot be searched by text: leave search empty")
	}
	after, err := DecodePageToken(req.PageToken, req.query())
	if err != nil {
		return ListQuery{}, err
	}
	return ListQuery{Conditions: conds, Order: order, After: after, Limit: size, Search: search}, nil
}

// NextPageToken is the token of the page after one whose Next key is next,
// or "" on the last page.
func (req ListRequest) NextPageToken(next []string) string {
	if next == nil {
		return ""
	}
	return EncodePageToken(next, req.query())
}

// query is what a page token is bound to: parent, filter and order, and
// the search string when there is one (so that tokens made before search
// existed stay valid).
func (req ListRequest) query() string {
	parts := []string{req.Parent, req.Filter, req.OrderBy}
	if req.Search != "" {
		parts = append(parts, req.Search)
	}
	return strings.Join(parts, "\x00")
}

// IsUbigeoPrefix reports whether s is the code of a department, province or
// district: 2, 4 or 6 digits starting with a department code.
func IsUbigeoPrefix(s string) bool {
	switch len(s) {
	case 2, 4, 6:
	default:
		return false
	}
	_, ok := Departments[s[:2]]
	return ok && allDigits(s)
}

// maxRequestIDLen bounds request_id (AIP-155).
const maxRequestIDLen = 64

// CheckRequestID records a violation for a request_id that is too long or
// holds anything but printable ASCII without spaces.
func CheckRequestID(vs *Violations, id string) {
	if len(id) > maxRequestIDLen {
		vs.Add("request_id", "must have at most %d characters; a UUID is recommended", maxRequestIDLen)
		return
	}
	for i := 0; i < len(id); i++ {
		if id[i] <= ' ' || id[i] > '~' {
			vs.Add("request_id", "must be printable ASCII without spaces; a UUID is recommended")
			return
		}
	}
}

// FilterError is an Invalid error on a request's filter, for the rules a
// service adds to the grammar's (values a field takes, who may filter on
// it).
func FilterError(format string, args ...any) error {
	var vs Violations
	vs.Add("filter", format, args...)
	return vs.Err()
}

// EqualOnly returns an Invalid error naming the filter when q compares one
// of the fields with anything but =, for fields the API documents as
// "= only".
func (q ListQuery) EqualOnly(fields ...string) error {
	for _, c := range q.Conditions {
		if c.Op != OpEq && slices.Contains(fields, c.Field) {
			return FilterError("%s takes = only", c.Field)
		}
	}
	return nil
}

// Etag is the opaque version tag of a resource at a revision (AIP-154).
func Etag(revision int64) string {
	return "r" + strconv.FormatInt(revision, 10)
}

// OrganisationList is what associations and processors are listed by: by
// default in registration order. region is an INEI ubigeo prefix of their
// seat or plant: a department (2 digits), a province (4) or a district (6).
var OrganisationList = ListSpec{
	Filter: map[string]FieldKind{
		"ruc": StringField, "legal_name": StringField, "region": StringField, "create_time": TimeField,
	},
	EqualOnly:    []string{"ruc", "legal_name"},
	Order:        []string{"legal_name", "create_time"},
	DefaultOrder: []OrderTerm{{Field: "create_time"}},
}
