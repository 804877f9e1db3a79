// Package millwa holds Millwa's domain: its types, their validation and the
// error vocabulary that every other package speaks. It imports the standard
// library only.
package millwa

import (
	"errors"
	"fmt"
	"strings"
	"time"
)

// Code classifies an error. The transport maps each code to exactly one gRPC
// status code and HTTP status in one table; nothing else decides it.
type Code string

// Error codes. Each names what the caller should do next.
const (
	// Invalid: the request is malformed; fix the named fields and resend.
	Invalid Code = "invalid"
	// NotFound: the resource does not exist or is not visible to the caller.
	NotFound Code = "not_found"
	// AlreadyExists: a resource with the same unique key exists.
	AlreadyExists Code = "already_exists"
	// FailedPrecondition: the resource is not in a state that allows the
	// operation; read it again and decide.
	FailedPrecondition Code = "failed_precondition"
	// PermissionDenied: the caller's role may not call this operation.
	PermissionDenied Code = "permission_denied"
	// Unauthenticated: no valid credentials were presented.
	Unauthenticated Code = "unauthenticated"
	// Aborted: a concurrent change or a retry still in flight conflicted;
	// retry the whole operation.
	Aborted Code = "aborted"
	// ResourceExhausted: a quota or rate limit was hit; retry later.
	ResourceExhausted Code = "resource_exhausted"
	// Unavailable: a dependency (the database) is down; retry with backoff.
	Unavailable Code = "unavailable"
	// Unimplemented: the operation is part of the API but not built yet.
	Unimplemented Code = "unimplemented"
	// Internal: a bug or an unexpected failure. Its detail is logged, never
	// shown to the caller.
	Internal Code = "internal"
)

// FieldViolation names one invalid field of a request and why it is invalid.
// Field is a dotted path in the request's proto field names, for example
// "association.contact.email" or "lots[3].net_weight_grams".
type FieldViolation struct {
	Field       string
	Description string
	// Format and Args are the English format and arguments Description was
	// made from, for the transport to render it in another language; an
	// empty Format means Description is itself the catalogue's key.
	Format string
	Args   []any
}

// Text returns the description in lang.
func (v FieldViolation) Text(lang Language) string {
	if v.Format == "" {
		return Translate(lang, v.Description)
	}
	return Translate(lang, v.Format, v.Args...)
}

// Error is Millwa's error type. Message is safe to show to the caller; Err,
// when set, is the underlying cause and is only logged.
type Error struct {
	Code Code
	// Reason is a stable UPPER_SNAKE_CASE identifier of the error for
	// programs (google.rpc.ErrorInfo reason), for example "LOT_NOT_AVAILABLE".
	// Empty means the transport derives one from Code.
	Reason     string
	Message    string
	Violations []FieldViolation
	// Metadata, when set, is sent with Reason (google.rpc.ErrorInfo
	// metadata): values a program needs to act on the error.
	Metadata map[string]string
	// Resource, when set, is another resource the error is about (the lot
	// that already holds a number), sent as a google.rpc.ResourceInfo.
	Resource *ResourceInfo
	Err      error
	// Format and Args are the English format string and arguments Message
	// was made from (Errorf, Wrap, Reasonf), kept so that the transport can
	// render the message in the caller's language (Text). An empty Format
	// means Message is itself the catalogue's key.
	Format string
	Args   []any
}

// Text returns the message in lang, through the catalogue of translations;
// a message the catalogue lacks stays in English.
func (e *Error) Text(lang Language) string {
	if e.Format == "" {
		return Translate(lang, e.Message)
	}
	return Translate(lang, e.Format, e.Args...)
}

// ResourceInfo names a resource an error is about.
type ResourceInfo struct {
	// Type is the resource's type, for example "millwa.v1.Lot".
	Type string
	// Name is its resource name.
	Name string
	// Description says what the resource has to do with the error.
	Description string
}

// Error returns the message, followed by the cause when there is one.
func (e *Error) Error() string {
	var b strings.Builder
	b.WriteString(string(e.Code))
	b.WriteString(": ")
	b.WriteString(e.Message)
	for _, v := range e.Violations {
		fmt.Fprintf(&b, "; %s: %s", v.Field, v.Description)
	}
	if e.Err != nil {
		b.WriteString(": ")
		b.WriteString(e.Err.Error())
	}
	return b.String()
}

// Unwrap returns the cause.
func (e *Error) Unwrap() error { return e.Err }

// Errorf returns an Error with the given code and a formatted message.
// format must be a constant: it is the key of the message's translations.
func Errorf(code Code, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...), Format: format, Args: args}
}

// Reasonf is Errorf with a google.rpc.ErrorInfo reason.
func Reasonf(code Code, reason, format string, args ...any) *Error {
	e := Errorf(code, format, args...)
	e.Reason = reason
	return e
}

// Wrap returns an Error with the given code and message whose cause is err.
// The cause is logged but never reaches the caller.
func Wrap(code Code, err error, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...), Err: err, Format: format, Args: args}
}

// ErrorCode returns the code of the first *Error in err's chain, or Internal
// when there is none. A nil error has no code and returns "".
func ErrorCode(err error) Code {
	if err == nil {
		return ""
	}
	var e *Error
	if errors.As(err, &e) {
		return e.Code
	}
	return Internal
}

// Violations collects field violations while a request is validated. Its zero
// value is ready to use.
type Violations []FieldViolation

// Add records that field is invalid, with a description of what it must be.
func (vs *Violations) Add(field, format string, args ...any) {
	*vs = append(*vs, FieldViolation{Field: field, Description: fmt.Sprintf(format, args...), Format: format, Args: args})
}

// Err returns nil when nothing was recorded, or an Invalid error listing
// every violation.
func (vs Violations) Err() error {
	if len(vs) == 0 {
		return nil
	}
	fields := make([]string, len(vs))
	for i, v := range vs {
		fields[i] = v.Field
	}
	e := Reasonf(Invalid, "INVALID_FIELDS", "invalid request: check %s", strings.Join(fields, ", "))
	e.Violations = append([]FieldViolation(nil), vs...)
	return e
}

// Prefix returns the violations with prefix and a dot put before each field,
// to report a nested message's fields under their parent.
func (vs Violations) Prefix(prefix string) Violations {
	out := make(Violations, len(vs))
	for i, v := range vs {
		out[i] = v
		out[i].Field = prefix + "." + v.Field
	}
	return out
}

// Checker is a resource that checks the fields a client supplied.
type Checker interface {
	// Check records a violation in vs for every bad field, with field
	// paths under prefix.
	Check(vs *Violations, prefix string)
}

// Validate checks c and returns an Invalid error naming every bad field,
// with field paths under prefix (for example "association"), or nil.
func Validate(c Checker, prefix string) error {
	var vs Violations
	c.Check(&vs, prefix)
	return vs.Err()
}

// RetryAfter is the cause of an error whose client should wait this long
// before it tries again (a rate limit, a full server). The transport finds
// RetryDelay in an error's chain and sends it as a google.rpc.RetryInfo
// (and Retry-After over REST).
type RetryAfter time.Duration

func (d RetryAfter) Error() string { return fmt.Sprintf("retry after %v", time.Duration(d)) }

// RetryDelay returns how long to wait.
func (d RetryAfter) RetryDelay() time.Duration { return time.Duration(d) }
