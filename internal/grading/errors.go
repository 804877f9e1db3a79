package grading

import (
	"errors"
	"fmt"
	"strings"
)

// Violation names one invalid input field by its proto path relative to the
// request, for example "sample.histogram.counts[3]" or
// `group_grams["BABY"]`, and says what it must be: Description in
// English, made of Format and Args, which a transport may render in the
// caller's language.
type Violation struct {
	Field       string
	Description string
	Format      string
	Args        []any
}

// InputError is returned for invalid input. It lists every violation found,
// in field order, not only the first.
type InputError struct {
	Violations []Violation
}

// Error lists the violations.
func (e *InputError) Error() string {
	var b strings.Builder
	b.WriteString("invalid input")
	for i, v := range e.Violations {
		if i == 0 {
			b.WriteString(": ")
		} else {
			b.WriteString("; ")
		}
		b.WriteString(v.Field)
		b.WriteString(": ")
		b.WriteString(v.Description)
	}
	return b.String()
}

// violations collects Violations; its zero value is ready to use.
type violations []Violation

// Add records that field is invalid, saying why with a constant format
// (a message catalogue translates it by that format) and its arguments.
func (vs *violations) Add(field, format string, args ...any) {
	*vs = append(*vs, Violation{Field: field, Description: fmt.Sprintf(format, args...), Format: format, Args: args})
}

// err returns nil when nothing was recorded, or an *InputError.
func (vs violations) err() error {
	if len(vs) == 0 {
		return nil
	}
	return &InputError{Violations: vs}
}

// ErrNotApplicable is matched (errors.Is) by the error of Standard.Grade on a
// standard without quality groups and of Registry.ClassifyFleece on a
// standard without a fleece classification. The error itself is a
// *NotApplicableError whose message names the operation to use instead.
var ErrNotApplicable = errors.New("the standard does not define what this operation needs")

// NotApplicableError says that a standard cannot answer an operation and
// which one to use instead ("ClassifyFleece" or "GradeSample", the RPC
// names).
type NotApplicableError struct {
	Standard string // the standard's id
	Use      string // the RPC that applies instead
	Reason   string // what the standard lacks
}

// Error says what the standard lacks and which RPC to use.
func (e *NotApplicableError) Error() string {
	return "standard " + e.Standard + " " + e.Reason + ": use " + e.Use
}

// Message is Error as a constant format and its arguments, the standard
// and the RPC to use, so that a message catalogue can translate it.
func (e *NotApplicableError) Message() (format string, args []any) {
	args = []any{e.Standard, e.Use}
	switch e.Reason {
	case reasonNoGroups:
		return "standard %s defines no quality groups: use %s", args
	case reasonCategories:
		return "standard %s defines fleece categories, not quality groups: use %s", args
	case reasonNoFleece:
		return "standard %s has no fleece classification: use %s", args
	}
	return "standard %s cannot answer this: use %s", args
}

// The reasons a standard cannot answer an operation.
const (
	reasonNoGroups   = "defines no quality groups"
	reasonCategories = "defines fleece categories, not quality groups"
	reasonNoFleece   = "has no fleece classification"
)

// Unwrap makes the error match ErrNotApplicable.
func (e *NotApplicableError) Unwrap() error { return ErrNotApplicable }

// FileError is one problem Load found in a standard's data file. Load
// returns every problem it found, joined with errors.Join.
type FileError struct {
	// File is the file's name: "standards/<name>.json" for a shipped
	// standard, the path under the operator's directory otherwise.
	File string
	// Field is the JSON path of the offending value, for example
	// "quality_groups[2].diameter_band.min_um"; empty for the whole file.
	Field string
	// Problem says what is wrong and, where it can, what the value must be.
	Problem string
}

// Error returns "file: field: problem".
func (e *FileError) Error() string {
	if e.Field == "" {
		return e.File + ": " + e.Problem
	}
	return e.File + ": " + e.Field + ": " + e.Problem
}
