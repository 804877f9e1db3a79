// Package audit implements millwa.v1.AuditService: agencies, risk-based
// sampling plans, check-grading, consistency reports, and reading and
// verifying the audit log. The statistics are internal/consistency's.
package audit

import (
	"context"
	"crypto/ed25519"
	"encoding/hex"
	"strconv"

	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/millwa/millwa/internal/grading"
	"github.com/millwa/millwa/internal/millwa"
	"github.com/millwa/millwa/internal/store"
	millwav1 "github.com/millwa/millwa/proto/millwa/v1"
	"github.com/millwa/millwa/services/internal/rpc"
)

// Server is the AuditService.
type Server struct {
	millwav1.UnimplementedAuditServiceServer
	store     *store.Store
	standards *grading.Registry
	// signingKey signs audit checkpoints; nil reads the database's.
	signingKey ed25519.PrivateKey
}

// New returns an AuditService backed by st, grading checks with standards.
func New(st *store.Store, standards *grading.Registry, opts ...Option) *Server {
	s := &Server{store: st, standards: standards}
	for _, o := range opts {
		o(s)
	}
	return s
}

// eventList is what ListAuditEvents filters and orders by.
var eventList = millwa.ListSpec{
	Filter: map[string]millwa.FieldKind{
		"resource":           millwa.StringField,
		"actor":              millwa.StringField,
		"actor_organisation": millwa.StringField,
		"actor_role":         millwa.EnumField,
		"method":             millwa.StringField,
		"action":             millwa.StringField,
		"region":             millwa.StringField,
		"sequence":           millwa.IntField,
		"create_time":        millwa.TimeField,
	},
	Order:        []string{"sequence"},
	DefaultOrder: []millwa.OrderTerm{{Field: "sequence"}},
}

// ListAuditEvents lists the audit log: every event for admins; for an
// agency, the events of its regions, of its own agency and of its keys.
func (s *Server) ListAuditEvents(ctx context.Context, req *millwav1.ListAuditEventsRequest) (*millwav1.ListAuditEventsResponse, error) {
	p, err := rpc.Require(ctx)
	if err != nil {
		return nil, err
	}
	lr := millwa.ListRequest{PageSize: req.GetPageSize(), PageToken: req.GetPageToken(), Filter: req.GetFilter(), OrderBy: req.GetOrderBy()}
	q, err := millwa.ParseList(lr, eventList)
	if err != nil {
		return nil, err
	}
	for i, c := range q.Conditions {
		if c.Field == "actor_role" {
			r, ok := rpc.ParseRoleName(c.Str)
			if !ok {
				return nil, millwa.FilterError("actor_role takes ROLE_ADMIN, ROLE_ASSOCIATION, ROLE_PROCESSOR or ROLE_AGENCY")
			}
			q.Conditions[i].Str = string(r)
		}
	}
	var page millwa.Page[millwa.AuditEvent]
	switch p.Role {
	case millwa.RoleAdmin:
		page, err = s.store.ListAuditEvents(ctx, q)
	case millwa.RoleAgency:
		page, err = s.store.ListAuditEventsVisibleTo(ctx, store.AuditVisibility{Organisation: p.Organisation, Regions: p.Regions}, q)
	default:
		return nil, millwa.Errorf(millwa.PermissionDenied, "only admins and agencies read the audit log")
	}
	if err != nil {
		return nil, err
	}
	resp := &millwav1.ListAuditEventsResponse{NextPageToken: lr.NextPageToken(page.Next)}
	for i := range page.Items {
		resp.AuditEvents = append(resp.AuditEvents, eventToProto(&page.Items[i]))
	}
	return resp, nil
}

// VerifyAuditLog recomputes the hash chain over a range and reports the
// first broken link, or the first checkpoint saved earlier that the
// history no longer leads to.
func (s *Server) VerifyAuditLog(ctx context.Context, req *millwav1.VerifyAuditLogRequest) (*millwav1.VerifyAuditLogResponse, error) {
	if _, err := rpc.Require(ctx); err != nil {
		return nil, err
	}
	cps, err := s.checkpoints(ctx, req.GetCheckpoints())
	if err != nil {
		return nil, err
	}
	v, err := s.store.VerifyAuditRange(ctx, req.GetStartSequence(), req.GetEndSequence(), cps...)
	if err != nil {
		if e, ok := err.(*millwa.Error); ok && e.Code == millwa.Invalid && len(e.Violations) == 0 {
			var vs millwa.Violations
			vs.Add("end_sequence", "%s", e.Message)
			return nil, vs.Err()
		}
		return nil, err
	}
	return &millwav1.VerifyAuditLogResponse{
		Ok:                  v.OK,
		EventsChecked:       v.EventsChecked,
		FirstBrokenSequence: v.FirstBroken,
		Failure:             rpc.EnumToProto[millwav1.AuditChainFailure](millwav1.AuditChainFailure_value, "AUDIT_CHAIN_FAILURE_", v.Failure),
		Reason:              v.Problem,
		HeadSequence:        v.HeadSequence,
		HeadHash:            hex.EncodeToString(v.HeadHash[:]),
	}, nil
}

func eventToProto(e *millwa.AuditEvent) *millwav1.AuditEvent {
	return &millwav1.AuditEvent{
		Name:              "auditEvents/" + strconv.FormatInt(e.Sequence, 10),
		Sequence:          e.Sequence,
		Actor:             e.Actor,
		ActorRole:         rpc.RoleToProto(e.Role),
		ActorOrganisation: e.Organisation,
		Method:            e.Method,
		Resource:          e.Resource,
		Action:            e.Action,
		Region:            e.Region,
		ChangeDigest:      hex.EncodeToString(e.ChangeDigest[:]),
		CreateTime:        timestamppb.New(e.Time),
		PreviousHash:      hex.EncodeToString(e.PrevHash[:]),
		Hash:              hex.EncodeToString(e.Hash[:]),
	}
}
