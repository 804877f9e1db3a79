package server

import (
	"context"
	"errors"
	"log/slog"
	"strings"

	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/protoadapt"

	"github.com/millwa/millwa/internal/millwa"
)

// errorDomain is the ErrorInfo domain of every error Millwa returns.
const errorDomain = "millwa"

// grpcCodes is the one table from domain error codes to gRPC codes. The
// gateway turns the gRPC code into the HTTP status.
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
	var e *millwa.Error
	if !errors.As(err, &e) || e.Code == millwa.Internal {
		log.ErrorContext(ctx, "internal error", "method", method, "err", err)
		return status.Error(codes.Internal, "internal error: the failure was logged; retry later, and report it if it persists")
	}
	if e.Code == millwa.Unavailable {
		log.WarnContext(ctx, "dependency unavailable", "method", method, "err", err)
	}
	code, ok := grpcCodes[e.Code]
	if !ok {
		code = codes.Unknown
	}
	st := status.New(code, e.Message)
	reason := e.Reason
	if reason == "" {
		reason = strings.ToUpper(string(e.Code))
	}
	details := []protoadapt.MessageV1{&errdetails.ErrorInfo{Reason: reason, Domain: errorDomain}}
	if len(e.Violations) > 0 {
		br := &errdetails.BadRequest{}
		for _, v := range e.Violations {
			br.FieldViolations = append(br.FieldViolations, &errdetails.BadRequest_FieldViolation{Field: v.Field, Description: v.Description})
		}
		details = append(details, br)
	}
	if withDetails, err := st.WithDetails(details...); err == nil {
		st = withDetails
	}
	return st.Err()
}
