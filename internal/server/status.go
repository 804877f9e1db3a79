package server

import (
	"context"
	"errors"
	"log/slog"
	"strings"
	"time"

	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/protoadapt"
	"google.golang.org/protobuf/types/known/durationpb"

	"github.com/millwa/millwa/internal/millwa"
)

// errorDomain is the ErrorInfo domain of every error Millwa returns.
const errorDomain = "millwa"

// grpcCodes is the one table from domain error codes to gRPC codes, for
// handlers' errors and admission's (authentication, the policy table, the
// rate limit) alike. The gateway turns the gRPC code into the HTTP status.
var grpcCodes = map[millwa.Code]codes.Code{
	millwa.Invalid:            codes.InvalidArgument,
	millwa.NotFound:           codes.NotFound,
	millwa.AlreadyExists:      codes.AlreadyExists,
	millwa.FailedPrecondition: codes.FailedPrecondition,
	millwa.PermissionDenied:   codes.PermissionDenied,
	millwa.Unauthenticated:    codes.Unauthenticated,
	millwa.Aborted:            codes.Aborted,
	millwa.ResourceExhausted:  codes.ResourceExhausted,
	millwa.Unavailable:        codes.Unavailable,
	millwa.Unimplemented:      codes.Unimplemented,
	millwa.Internal:           codes.Internal,
}

// toStatus turns an error returned by a handler into a gRPC status error.
// Errors that already are statuses pass through; domain errors map through
// grpcCodes with an ErrorInfo reason and, for Invalid, a BadRequest listing
// the field violations; anything else is an internal error, logged with its
// detail and shown to the caller as "internal error".
func toStatus(ctx context.Context, log *slog.Logger, method string, err error) error {
	if err == nil {
		return nil
	}
	if _, ok := status.FromError(err); ok {
		return err
	}
	switch {
	case errors.Is(err, context.DeadlineExceeded):
		return status.Error(codes.DeadlineExceeded, "deadline exceeded: retry with a longer deadline")
	case errors.Is(err, context.Canceled):
		return status.Error(codes.Canceled, "request cancelled by the client")
	}
	e := domainError(ctx, log, method, err)
	if e == nil {
		return internalStatus
	}
	reason := e.Reason
	if reason == "" {
		reason = strings.ToUpper(string(e.Code))
	}
	details := []protoadapt.MessageV1{&errdetails.ErrorInfo{Reason: reason, Domain: errorDomain, Metadata: e.Metadata}}
	if r := e.Resource; r != nil {
		details = append(details, &errdetails.ResourceInfo{ResourceType: r.Type, ResourceName: r.Name, Description: r.Description})
	}
	return newStatus(e, details...)
}

// internalStatus is what the caller sees of an internal error.
var internalStatus = status.Error(codes.Internal, "internal error: the failure was logged; retry later, and report it if it persists")

// domainError returns err's *millwa.Error, or nil for an internal error,
// which it logs with its detail; it logs an Unavailable one as a warning.
func domainError(ctx context.Context, log *slog.Logger, method string, err error) *millwa.Error {
	var e *millwa.Error
	if !errors.As(err, &e) || e.Code == millwa.Internal {
		log.ErrorContext(ctx, "internal error", "method", method, "err", err)
		return nil
	}
	if e.Code == millwa.Unavailable {
		log.WarnContext(ctx, "dependency unavailable", "method", method, "err", err)
	}
	return e
}

// newStatus is the status of e: its code through grpcCodes, its message,
// and as details the given ones, a BadRequest listing e's field violations
// and a RetryInfo when e's chain says when to retry.
func newStatus(e *millwa.Error, details ...protoadapt.MessageV1) error {
	code, ok := grpcCodes[e.Code]
	if !ok {
		code = codes.Unknown
	}
	st := status.New(code, e.Message)
	if len(e.Violations) > 0 {
		br := &errdetails.BadRequest{}
		for _, v := range e.Violations {
			br.FieldViolations = append(br.FieldViolations, &errdetails.BadRequest_FieldViolation{Field: v.Field, Description: v.Description})
		}
		details = append(details, br)
	}
	var retry interface{ RetryDelay() time.Duration }
	if errors.As(e, &retry) {
		details = append(details, &errdetails.RetryInfo{RetryDelay: durationpb.New(retry.RetryDelay())})
	}
	if len(details) == 0 {
		return st.Err()
	}
	if withDetails, err := st.WithDetails(details...); err == nil {
		st = withDetails
	}
	return st.Err()
}

// mapAdmission returns admit (auth.Admit) with its errors turned into gRPC
// statuses through grpcCodes. Admission's answers carry no ErrorInfo, only
// a RetryInfo when rate limited, as clients have always received them; a
// call whose client gave up answers Canceled or DeadlineExceeded with the
// error's text.
func mapAdmission(log *slog.Logger, admit func(context.Context) (context.Context, error)) func(context.Context) (context.Context, error) {
	return func(ctx context.Context) (context.Context, error) {
		admitted, err := admit(ctx)
		if err == nil {
			return admitted, nil
		}
		if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
			return nil, status.FromContextError(err).Err()
		}
		method, _ := grpc.Method(ctx)
		e := domainError(ctx, log, method, err)
		if e == nil {
			return nil, internalStatus
		}
		return nil, newStatus(e)
	}
}
