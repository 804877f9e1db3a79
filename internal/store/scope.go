package store

// The tenancy scopes: this file is where object-level access is enforced.
//
// Every Get and List of a tenant's resource adds the caller's scope to its
// WHERE clause, made here from the caller's principal by the resource's
// visibility rule, so that a row the caller may not see is never read at
// all: another tenant's row answers NotFound exactly like a missing one, and
// a page never holds, counts or skips it. The services check roles (the
// policy table) and what a caller may change; which rows exist for a caller
// is decided here and nowhere else, so a review of tenancy reads this one
// file.

import (
	"strings"

	"github.com/millwa/millwa/internal/millwa"
)

// scope is the part of a List's or Get's WHERE clause that limits rows to
// what the caller may see.
type scope struct {
	sql  string
	args []any
}

// everything is the scope of callers who may see every row.
var everything = scope{sql: "1 = 1"}

// nothing is the scope of callers who may see no row.
var nothing = scope{sql: "1 = 0"}

// SystemPrincipal is the principal of the market's own reads inside a
// change whose caller has already been checked: it sees every row. It must
// never be derived from a request.
var SystemPrincipal = millwa.Principal{Role: millwa.RoleAdmin, Organisation: ""}

// and returns the scope of rows in s that also meet cond.
func (s scope) and(cond string, args ...any) scope {
	return scope{sql: "(" + s.sql + ") AND " + cond, args: append(append([]any(nil), s.args...), args...)}
}

// andScope is the conjunction of scopes.
func andScope(scopes ...scope) scope {
	var parts []string
	var args []any
	for _, s := range scopes {
		parts = append(parts, "("+s.sql+")")
		args = append(args, s.args...)
	}
	return scope{sql: strings.Join(parts, " AND "), args: args}
}

// columnScope limits rows to those whose column holds value.
func columnScope(column string, value any) scope {
	return scope{sql: column + " = ?", args: []any{value}}
}

// regionScope limits rows to those whose column holds a ubigeo code within
// one of the regions (ubigeo prefixes); no region sees nothing.
func regionScope(column string, regions []string) scope {
	var ors []string
	var args []any
	for _, r := range regions {
		if r != "" {
			ors = append(ors, column+` LIKE ? ESCAPE '\'`)
			args = append(args, escapeLike(r)+"%")
		}
	}
	if len(ors) == 0 {
		return nothing
	}
	return scope{sql: strings.Join(ors, " OR "), args: args}
}

// inScope limits rows to those whose expr is one of values; none for no
// values.
func inScope[V ~string](expr string, values []V) scope {
	if len(values) == 0 {
		return nothing
	}
	args := make([]any, len(values))
	for i, v := range values {
		args[i] = string(v)
	}
	return scope{sql: expr + " IN " + placeholders(len(values)), args: args}
}

// placeholders is the parenthesised list of n ? placeholders of an IN
// condition; n is at least 1, since "IN ()" is not SQL.
func placeholders(n int) string {
	return "(?" + strings.Repeat(", ?", n-1) + ")"
}

// rule is how callers of one role see a resource's rows.
type rule func(p millwa.Principal) scope

// roleRules are a resource's rules by role: a role without a rule, and the
// zero principal, see none of its rows.
type roleRules map[millwa.Role]rule

// scope is the scope of p's rows.
func (rs roleRules) scope(p millwa.Principal) scope {
	if r, ok := rs[p.Role]; ok {
		return r(p)
	}
	return nothing
}

// always sees the rows of s, whoever the caller.
func always(s scope) rule {
	return func(millwa.Principal) scope { return s }
}

// own sees a tenant's own rows: those whose column holds the id of the
// caller's organisation when it is one of collection (see ownScope).
func own(collection, column string) rule {
	return func(p millwa.Principal) scope { return ownScope(p, collection, column) }
}

// inRegions sees the rows whose column holds a ubigeo code within one of
// the caller's regions.
func inRegions(column string) rule {
	return func(p millwa.Principal) scope { return regionScope(column, p.Regions) }
}

// organisationID returns the canonical id of the principal's
// organisation when it is one of collection ("associations", "processors",
// "agencies"), the id a tenant's rows are keyed by; ok is false otherwise.
func organisationID(p millwa.Principal, collection string) (id string, ok bool) {
	id, ok = canonicalID(p.OrganisationID())
	return id, ok && p.Organisation == collection+"/"+p.OrganisationID()
}

// ownScope is the scope of a tenant's own rows: those whose column holds
// the id of p's organisation when it is one of collection; nothing when p
// acts for no such organisation.
func ownScope(p millwa.Principal, collection, column string) scope {
	if id, ok := organisationID(p, collection); ok {
		return columnScope(column, id)
	}
	return nothing
}

// associationOnlyScope is the scope of data that only admins and the
// association itself may see (members, and whose parent they may name):
// rows whose column holds the id of p's association, or every row for an
// admin. Processors, agencies and the zero Principal see nothing.
func associationOnlyScope(p millwa.Principal, column string) scope {
	return roleRules{
		millwa.RoleAdmin:       always(everything),
		millwa.RoleAssociation: own("associations", column),
	}.scope(p)
}

// associationScope is who sees which associations: admins and processors
// (buyers) every one, an association itself, an agency those within its
// regions.
var associationScope = roleRules{
	millwa.RoleAdmin:       always(everything),
	millwa.RoleProcessor:   always(everything),
	millwa.RoleAssociation: own("associations", "id"),
	millwa.RoleAgency:      inRegions("ubigeo"),
}.scope

// processorScope is who sees which processors: admins and associations
// (sellers, who need to know their buyers) every one, a processor itself;
// agencies and the zero principal none.
var processorScope = roleRules{
	millwa.RoleAdmin:       always(everything),
	millwa.RoleAssociation: always(everything),
	millwa.RoleProcessor:   own("processors", "id"),
}.scope

// agencyScope is who sees which agencies: admins every one, an agency
// itself; every other role and the zero principal none.
var agencyScope = roleRules{
	millwa.RoleAdmin:  always(everything),
	millwa.RoleAgency: own("agencies", "id"),
}.scope

// coveringRegionScope selects the agencies that cover the ubigeo code
// ubigeo: those with a region that is a prefix of it. Regions are 2 or 4
// digits, so the candidates are ubigeo's first 2 and first 4 digits.
func coveringRegionScope(ubigeo string) (scope, error) {
	if !millwa.IsUbigeoPrefix(ubigeo) {
		return scope{}, millwa.Errorf(millwa.Invalid, "region must be an INEI ubigeo prefix of 2, 4 or 6 digits, got %q", ubigeo)
	}
	prefixes := []string{ubigeo[:2]}
	if len(ubigeo) >= 4 {
		prefixes = append(prefixes, ubigeo[:4])
	}
	in := inScope("ubigeo_prefix", prefixes)
	return scope{sql: "id IN (SELECT agency_id FROM agency_regions WHERE " + in.sql + ")", args: in.args}, nil
}

// childScope limits visible to the rows of the association with the given
// id, a child resource's parent as its name gives it; nothing when the id
// is not an id, so that the child answers NotFound.
func childScope(visible scope, associationID string) scope {
	assoc, ok := canonicalID(associationID)
	if !ok {
		return nothing
	}
	return visible.and("association_id = ?", assoc)
}

// memberScope is who sees which members: admins every one, an association
// its own. Processors and agencies never see members.
func memberScope(p millwa.Principal) scope {
	return associationOnlyScope(p, "association_id")
}

// classifierScope is who sees which classifiers: admins every one, an
// association its own, an agency those of the associations seated in its
// regions. Processors see none.
func classifierScope(p millwa.Principal) scope {
	if p.Role == millwa.RoleAgency {
		r := regionScope("ubigeo", p.Regions)
		if r.sql == nothing.sql {
			return nothing
		}
		return scope{sql: "association_id IN (SELECT id FROM associations WHERE " + r.sql + ")", args: r.args}
	}
	return associationOnlyScope(p, "association_id")
}

// classifierParentScope is which associations' classifiers p may list: the
// associations p sees (associationScope), except that processors, who see
// every association, see no classifier.
func classifierParentScope(p millwa.Principal) scope {
	if p.Role == millwa.RoleProcessor {
		return nothing
	}
	return associationScope(p)
}

// lotScope is who sees which lots: admins every lot, an association its
// own, an agency those originating in its regions, and a processor those
// still on offer (AVAILABLE, or ALLOCATED with grams left) and, whatever
// their state, those it has a trade on: a buyer reads the lot it bought.
var lotScope = roleRules{
	millwa.RoleAdmin:       always(everything),
	millwa.RoleAssociation: own("associations", "association_id"),
	millwa.RoleAgency:      inRegions("ubigeo"),
	millwa.RoleProcessor:   processorLots,
}.scope

// processorLots is the lots a processor sees (see lotScope). The trade
// condition is a correlated subquery on the lots table by its own name,
// which every lot query reads unaliased.
func processorLots(p millwa.Principal) scope {
	onOffer := "state IN ('AVAILABLE', 'ALLOCATED') AND allocated_grams + withdrawn_grams < net_weight_grams"
	id, ok := organisationID(p, "processors")
	if !ok {
		return scope{sql: onOffer}
	}
	return scope{sql: "(" + onOffer + ") OR EXISTS (SELECT 1 FROM trades tp WHERE tp.lot_id = lots.id AND tp.processor_id = ?)",
		args: []any{id}}
}

// purchaseOrderScope is who sees which purchase orders: admins every one, a
// processor its own; associations, agencies and the zero principal none.
var purchaseOrderScope = roleRules{
	millwa.RoleAdmin:     always(everything),
	millwa.RoleProcessor: own("processors", "processor_id"),
}.scope

// tradeScope is who sees which trades, and which market events: admins
// every one, a processor its own, an association those on its lots (an
// order's events have no association); agencies none.
var tradeScope = roleRules{
	millwa.RoleAdmin:       always(everything),
	millwa.RoleProcessor:   own("processors", "processor_id"),
	millwa.RoleAssociation: own("associations", "association_id"),
}.scope

// MarketEventVisible reports whether p may see e: tradeScope's rule in Go,
// for the event hub that reads each event once and hands it to every
// stream in memory. It must agree with tradeScope on every principal
// (TestMarketEventVisibleMatchesSQL holds the two together).
func MarketEventVisible(p millwa.Principal, e *millwa.MarketEvent) bool {
	switch p.Role {
	case millwa.RoleAdmin:
		return true
	case millwa.RoleProcessor:
		id, ok := organisationID(p, "processors")
		return ok && e.ProcessorID == id
	case millwa.RoleAssociation:
		id, ok := organisationID(p, "associations")
		return ok && e.AssociationID == id
	}
	return false
}

// seesPayouts reports whether p may read the member payouts of the trades
// it sees: admins and associations, never processors.
func seesPayouts(p millwa.Principal) bool {
	return p.Role == millwa.RoleAdmin || p.Role == millwa.RoleAssociation
}

// checkGradingScope is who sees which check gradings: admins every one, an
// agency its own; every other role and the zero principal none.
var checkGradingScope = roleRules{
	millwa.RoleAdmin:  always(everything),
	millwa.RoleAgency: own("agencies", "c.agency_id"),
}.scope

// samplingPlanScope is who sees which stored sampling plans: admins every
// one, an agency its own; every other role and the zero principal none.
var samplingPlanScope = roleRules{
	millwa.RoleAdmin:  always(everything),
	millwa.RoleAgency: own("agencies", "agency_id"),
}.scope

// apiKeyScope is who sees which keys: admins every key, an organisation's
// admin key the keys of its organisation, any other key only itself.
func apiKeyScope(p millwa.Principal) scope {
	switch {
	case p.Role == millwa.RoleAdmin:
		return everything
	case p.Role == "":
		return nothing
	case p.OrgAdmin && p.Organisation != "":
		return columnScope("organisation", p.Organisation)
	}
	if id, ok := canonicalID(p.KeyID); ok {
		return columnScope("id", id)
	}
	return nothing
}

// AuditVisibility is the part of the audit log an agency may list: the
// events whose region lies within one of Regions (ubigeo prefixes), the
// events about Organisation or a resource under it
// ("agencies/{g}/checkGradings/…"), and the events made with Organisation's
// keys. An empty Regions entry is ignored; the zero AuditVisibility sees no
// event.
type AuditVisibility struct {
	Organisation string
	Regions      []string
}

// scope returns the visibility as a scope of audit_events rows.
func (v AuditVisibility) scope() scope {
	ors := []string{}
	var args []any
	if r := regionScope("region", v.Regions); r.sql != nothing.sql {
		ors = append(ors, r.sql)
		args = append(args, r.args...)
	}
	if v.Organisation != "" {
		ors = append(ors, "organisation = ?", "resource = ?", `resource LIKE ? ESCAPE '\'`)
		args = append(args, v.Organisation, v.Organisation, escapeLike(v.Organisation+"/")+"%")
	}
	if len(ors) == 0 {
		return nothing
	}
	return scope{sql: strings.Join(ors, " OR "), args: args}
}

// AuditScope is what a consistency report or a sampling plan covers: lots
// originating in Region (a ubigeo prefix), or of one association, or
// declared by one classifier. Exactly one is set.
type AuditScope struct {
	Region        string
	AssociationID string
	ClassifierID  string
}

// sql is the scope's condition on lots aliased l, with the visibility of
// p: an agency reads only lots in its regions.
func (a AuditScope) sql(p millwa.Principal) scope {
	var s scope
	switch {
	case a.Region != "":
		s = scope{sql: `l.ubigeo LIKE ? ESCAPE '\'`, args: []any{escapeLike(a.Region) + "%"}}
	case a.AssociationID != "":
		s = columnScope("l.association_id", a.AssociationID)
	case a.ClassifierID != "":
		s = columnScope("l.classifier_id", a.ClassifierID)
	default:
		return nothing
	}
	switch p.Role {
	case millwa.RoleAdmin:
	case millwa.RoleAgency:
		s = andScope(s, regionScope("l.ubigeo", p.Regions))
	default:
		return nothing
	}
	return s
}
