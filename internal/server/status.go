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
// detail and shown to the caller as "internal error". Messages are in the
// call's language (callLanguage), with a LocalizedMessage detail naming it.
func toStatus(ctx context.Context, log *slog.Logger, method string, err error) error {
	if err == nil {
		return nil
	}
	if _, ok := status.FromError(err); ok {
		return err
	}
	lang := callLanguage(ctx)
	switch {
	case errors.Is(err, context.DeadlineExceeded):
		return plainStatus(codes.DeadlineExceeded, lang, "deadline exceeded: retry with a longer deadline")
	case errors.Is(err, context.Canceled):
		return plainStatus(codes.Canceled, lang, "request cancelled by the client")
	}
	e := domainError(ctx, log, method, err)
	if e == nil {
		return internalStatus(lang)
	}
	reason := e.Reason
	if reason == "" {
		reason = strings.ToUpper(string(e.Code))
	}
	details := []protoadapt.MessageV1{&errdetails.ErrorInfo{Reason: reason, Domain: errorDomain, Metadata: e.Metadata}}
	if r := e.Resource; r != nil {
		details = append(details, &errdetails.ResourceInfo{ResourceType: r.Type, ResourceName: r.Name, Description: r.Description})
	}
	return newStatus(e, lang, details...)
}

// internalStatus is what the caller sees of an internal error.
func internalStatus(lang millwa.Language) error {
	return plainStatus(codes.Internal, lang, "internal error: the failure was logged; retry later, and report it if it persists")
}

// plainStatus is a status with a constant message, in lang, and its
// LocalizedMessage.
func plainStatus(code codes.Code, lang millwa.Language, message string) error {
	text := millwa.Translate(lang, message)
	st := status.New(code, text)
	if withDetails, err := st.WithDetails(localized(lang, text)); err == nil {
		st = withDetails
	}
	return st.Err()
}

// localized is the google.rpc.LocalizedMessage detail of a message in lang
// (AIP-193): status.message is already in the caller's language, and the
// detail says which one it is.
func localized(lang millwa.Language, text string) *errdetails.LocalizedMessage {
	return &errdetails.LocalizedMessage{Locale: lang.Locale(), Message: text}
}

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

// newStatus is the status of e: its code through grpcCodes, its message in
// lang, and as details the given ones, a LocalizedMessage, a BadRequest
// listing e's field violations (in lang too) and a RetryInfo when e's chain
// says when to retry.
func newStatus(e *millwa.Error, lang millwa.Language, details ...protoadapt.MessageV1) error {
	code, ok := grpcCodes[e.Code]
	if !ok {
		code = codes.Unknown
	}
	text := e.Text(lang)
	st := status.New(code, text)
	details = append(details, localized(lang, text))
	if len(e.Violations) > 0 {
		br := &errdetails.BadRequest{}
		for _, v := range e.Violations {
			br.FieldViolations = append(br.FieldViolations, &errdetails.BadRequest_FieldViolation{Field: v.Field, Description: v.Text(lang)})
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
// a LocalizedMessage and a RetryInfo when rate limited; a
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
		lang := callLanguage(ctx)
		e := domainError(ctx, log, method, err)
		if e == nil {
			return nil, internalStatus(lang)
		}
		return nil, newStatus(e, lang)
	}
}
