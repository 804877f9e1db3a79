package registry

import (
	"strings"

	"github.com/millwa/millwa/internal/millwa"
	"github.com/millwa/millwa/internal/store"
)

// listQuery turns a List request's paging, filter and order fields into a
// store query, checking each against the fields the resource allows. A
// region condition must be an INEI ubigeo prefix. parent is the request's
// parent, which a page token is bound to with the filter and order.
func listQuery(pageSize int32, pageToken, filter, orderBy, parent string,
	fields map[string]millwa.FieldKind, orderFields []string, defaultOrder []millwa.OrderTerm) (store.ListQuery, error) {
	size, err := millwa.PageSize(pageSize)
	if err != nil {
		return store.ListQuery{}, err
	}
	conds, err := millwa.ParseFilter(filter, fields)
	if err != nil {
		return store.ListQuery{}, err
	}
	for _, c := range conds {
		if c.Field == "region" && (c.Op != millwa.OpEq || !isUbigeoPrefix(c.Str)) {
			var vs millwa.Violations
			vs.Add("filter", `region takes = and an INEI ubigeo prefix of 2, 4 or 6 digits, for example region = "21" (Puno)`)
			return store.ListQuery{}, vs.Err()
		}
	}
	order, err := millwa.ParseOrderBy(orderBy, orderFields, defaultOrder)
	if err != nil {
		return store.ListQuery{}, err
	}
	after, err := millwa.DecodePageToken(pageToken, pageQuery(filter, orderBy, parent))
	if err != nil {
		return store.ListQuery{}, err
	}
	return store.ListQuery{Conditions: conds, Order: order, After: after, Limit: size}, nil
}

// nextPageToken is the token of the page after one whose Next key is next,
// or "" on the last page.
func nextPageToken(next []string, filter, orderBy, parent string) string {
	if next == nil {
		return ""
	}
	return millwa.EncodePageToken(next, pageQuery(filter, orderBy, parent))
}

// pageQuery is what a page token is bound to.
func pageQuery(filter, orderBy, parent string) string {
	return strings.Join([]string{parent, filter, orderBy}, "\x00")
}

// isUbigeoPrefix reports whether s is the code of a department, province or
// district: 2, 4 or 6 digits starting with a department code.
func isUbigeoPrefix(s string) bool {
	switch len(s) {
	case 2, 4, 6:
	default:
		return false
	}
	if strings.Trim(s, "0123456789") != "" {
		return false
	}
	_, ok := millwa.Departments[s[:2]]
	return ok
}
