package registry

import (
	"context"

	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/fieldmaskpb"

	"github.com/millwa/millwa/internal/millwa"
	"github.com/millwa/millwa/internal/store"
	millwav1 "github.com/millwa/millwa/proto/millwa/v1"
	"github.com/millwa/millwa/services/internal/rpc"
)

// What each Update RPC may change (AIP-134); every other field is
// immutable. The RUC and ubigeo of an association stay: the RUC is its
// identity with SUNAT, the ubigeo its lots' origin and its agencies'
// scope. A classifier's member stays as registered.
var (
	associationMask = rpc.Mask{
		Updatable:  []string{"legal_name", "community", "contact", "fee_basis_points"},
		OutputOnly: []string{"create_time", "update_time"},
	}
	memberMask = rpc.Mask{
		Updatable:  []string{"display_name", "dni", "sex", "herd_size"},
		OutputOnly: []string{"create_time", "update_time"},
	}
	classifierMask = rpc.Mask{
		Updatable:  []string{"display_name", "dni", "certification_number", "certification_date"},
		OutputOnly: []string{"create_time", "update_time"},
	}
)

// GetMember returns one member, if the caller may see it: admins and the
// member's association.
func (s *Server) GetMember(ctx context.Context, req *millwav1.GetMemberRequest) (*millwav1.GetMemberResponse, error) {
	m, err := rpc.Get(ctx, req.GetName(), []string{associationsCollection, membersCollection},
		func(p millwa.Principal, ids []string) (millwa.Member, error) {
			return s.store.GetMember(ctx, p, ids[0], ids[1])
		})
	if err != nil {
		return nil, err
	}
	return &millwav1.GetMemberResponse{Member: memberToProto(&m)}, nil
}

// GetClassifier returns one classifier, if the caller may see it: admins,
// the classifier's association and the agencies of its region.
func (s *Server) GetClassifier(ctx context.Context, req *millwav1.GetClassifierRequest) (*millwav1.GetClassifierResponse, error) {
	c, err := rpc.Get(ctx, req.GetName(), []string{associationsCollection, classifiersCollection},
		func(p millwa.Principal, ids []string) (millwa.Classifier, error) {
			return s.store.GetClassifier(ctx, p, ids[0], ids[1])
		})
	if err != nil {
		return nil, err
	}
	return &millwav1.GetClassifierResponse{Classifier: classifierToProto(&c)}, nil
}

// UpdateAssociation corrects an association's names, contact and fee.
func (s *Server) UpdateAssociation(ctx context.Context, req *millwav1.UpdateAssociationRequest) (*millwav1.UpdateAssociationResponse, error) {
	in := req.GetAssociation()
	return update(ctx, s, req, "association", in, req.GetUpdateMask(), associationMask, []string{associationsCollection},
		func(tx *store.Tx, a millwa.Association, _ []string, paths rpc.Paths) (*millwav1.UpdateAssociationResponse, []rpc.Event, error) {
			if err := rpc.CheckEtag(in.GetName(), in.GetEtag(), millwa.Etag(a.Revision)); err != nil {
				return nil, nil, err
			}
			var vs millwa.Violations
			next := rpc.Revise(&vs, "association", associationToProto(&a), in, paths, associationFromProto)
			if err := vs.Err(); err != nil {
				return nil, nil, err
			}
			next.ID, next.Revision, next.CreateTime = a.ID, a.Revision, a.CreateTime
			if err := tx.UpdateAssociation(ctx, &next); err != nil {
				return nil, nil, err
			}
			return &millwav1.UpdateAssociationResponse{Association: associationToProto(&next)}, nil, nil
		})
}

// UpdateMember corrects a member's name, DNI, sex and herd size.
func (s *Server) UpdateMember(ctx context.Context, req *millwav1.UpdateMemberRequest) (*millwav1.UpdateMemberResponse, error) {
	in := req.GetMember()
	return update(ctx, s, req, "member", in, req.GetUpdateMask(), memberMask, []string{associationsCollection, membersCollection},
		func(tx *store.Tx, _ millwa.Association, ids []string, paths rpc.Paths) (*millwav1.UpdateMemberResponse, []rpc.Event, error) {
			m, err := tx.GetMember(ctx, rpc.Principal(ctx), ids[0], ids[1])
			if err != nil {
				return nil, nil, err
			}
			if err := rpc.CheckEtag(in.GetName(), in.GetEtag(), millwa.Etag(m.Revision)); err != nil {
				return nil, nil, err
			}
			var vs millwa.Violations
			next := rpc.Revise(&vs, "member", memberToProto(&m), in, paths, memberFromProto)
			if err := vs.Err(); err != nil {
				return nil, nil, err
			}
			next.ID, next.AssociationID, next.Revision, next.CreateTime = m.ID, m.AssociationID, m.Revision, m.CreateTime
			if err := tx.UpdateMember(ctx, &next); err != nil {
				return nil, nil, err
			}
			return &millwav1.UpdateMemberResponse{Member: memberToProto(&next)}, nil, nil
		})
}

// UpdateClassifier corrects a classifier's name, DNI and certificate.
func (s *Server) UpdateClassifier(ctx context.Context, req *millwav1.UpdateClassifierRequest) (*millwav1.UpdateClassifierResponse, error) {
	in := req.GetClassifier()
	return update(ctx, s, req, "classifier", in, req.GetUpdateMask(), classifierMask, []string{associationsCollection, classifiersCollection},
		func(tx *store.Tx, _ millwa.Association, ids []string, paths rpc.Paths) (*millwav1.UpdateClassifierResponse, []rpc.Event, error) {
			c, err := tx.GetClassifier(ctx, rpc.Principal(ctx), ids[0], ids[1])
			if err != nil {
				return nil, nil, err
			}
			if err := rpc.CheckEtag(in.GetName(), in.GetEtag(), millwa.Etag(c.Revision)); err != nil {
				return nil, nil, err
			}
			var vs millwa.Violations
			next := rpc.Revise(&vs, "classifier", classifierToProto(&c), in, paths, classifierFromProto)
			if err := vs.Err(); err != nil {
				return nil, nil, err
			}
			next.ID, next.AssociationID, next.MemberID = c.ID, c.AssociationID, c.MemberID
			next.Revision, next.CreateTime = c.Revision, c.CreateTime
			if err := tx.UpdateClassifier(ctx, &next); err != nil {
				return nil, nil, err
			}
			return &millwav1.UpdateClassifierResponse{Classifier: classifierToProto(&next)}, nil, nil
		})
}

// update runs an Update RPC of a resource of an association (or of the
// association itself), which only admins and the association may call.
// in is the resource sent in the request field named field, its name one
// of collections; m says which paths of mask may change. change gets the
// association the name starts with, read as the caller sees it (so that
// another association's resource answers NotFound), the name's ids and
// the paths, and writes the change; the audit event names the resource,
// in the association's region, followed by any change returns (the trades
// a corrected lot was matched in).
func update[R proto.Message, P interface {
	proto.Message
	GetName() string
}](ctx context.Context, s *Server, req rpc.Request, field string, in P, mask *fieldmaskpb.FieldMask, m rpc.Mask,
	collections []string, change func(tx *store.Tx, a millwa.Association, ids []string, paths rpc.Paths) (R, []rpc.Event, error)) (R, error) {
	var zero R
	p, err := rpc.Require(ctx)
	if err != nil {
		return zero, err
	}
	if err := rpc.RequireRole(p, "only admins and the association itself correct its records", millwa.RoleAdmin, millwa.RoleAssociation); err != nil {
		return zero, err
	}
	var vs millwa.Violations
	millwa.CheckRequestID(&vs, req.GetRequestId())
	if !in.ProtoReflect().IsValid() {
		vs.Add(field, "is required: the resource with its name and the fields to change")
		return zero, vs.Err()
	}
	ids, err := millwa.ParseName(field+".name", in.GetName(), collections...)
	if err != nil {
		rpc.AddViolations(&vs, err)
	}
	paths := m.Paths(&vs, field, in, mask)
	if err := vs.Err(); err != nil {
		return zero, err
	}
	return rpc.Do(ctx, s.store, req, nil, func(tx *store.Tx) (R, []rpc.Event, error) {
		a, err := tx.GetAssociation(ctx, p, ids[0])
		if err != nil {
			return zero, nil, err
		}
		r, more, err := change(tx, a, ids, paths)
		if err != nil {
			return zero, nil, err
		}
		return r, append([]rpc.Event{{Resource: in.GetName(), Action: "update", Region: a.Ubigeo}}, more...), nil
	})
}
