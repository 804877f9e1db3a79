package millwa

import (
	"errors"
	"fmt"
	"strings"
	"testing"
)

func validAssociation() Association {
	return Association{
		LegalName: "Asociación de Productores Alpaqueros Nuevo Amanecer",
		RUC:       "20448012345",
		Ubigeo:    "210101",
		Contact:   Contact{PersonName: "Rosa Quispe Mamani", Phone: "+51 951 234 567"},
	}
}

func TestAssociationValidate(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		mutate func(*Association)
		want   []string // fields in violation, in order
	}{
		{"valid", func(*Association) {}, nil},
		{"valid with email only", func(a *Association) { a.Contact = Contact{PersonName: "R", Email: "r@example.org"} }, nil},
		{"empty", func(a *Association) { *a = Association{} }, []string{"a.legal_name", "a.ruc", "a.ubigeo", "a.contact.person_name", "a.contact.phone"}},
		{"person's RUC", func(a *Association) { a.RUC = "10464862744" }, []string{"a.ruc"}},
		{"control character", func(a *Association) { a.LegalName = "A\x00B" }, []string{"a.legal_name"}},
		{"invalid UTF-8", func(a *Association) { a.Community = "\xff" }, []string{"a.community"}},
		{"200 runes is fine", func(a *Association) { a.LegalName = strings.Repeat("ñ", 200) }, nil},
		{"201 runes", func(a *Association) { a.LegalName = strings.Repeat("ñ", 201) }, []string{"a.legal_name"}},
		{"phone letters", func(a *Association) { a.Contact.Phone = "call me" }, []string{"a.contact.phone"}},
		{"phone too short", func(a *Association) { a.Contact.Phone = "12345" }, []string{"a.contact.phone"}},
		{"email without domain dot", func(a *Association) { a.Contact.Email = "a@b" }, []string{"a.contact.email"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a := validAssociation()
			tt.mutate(&a)
			err := Validate(&a, "a")
			var got []string
			var e *Error
			if errors.As(err, &e) {
				if e.Code != Invalid {
					t.Fatalf("code %s, want invalid", e.Code)
				}
				for _, v := range e.Violations {
					got = append(got, v.Field)
				}
			} else if err != nil {
				t.Fatalf("error of type %T: %v", err, err)
			}
			if fmt.Sprint(got) != fmt.Sprint(tt.want) {
				t.Fatalf("violations (-want +got):\n- %v\n+ %v", tt.want, got)
			}
		})
	}
}

func TestAssociationNormalize(t *testing.T) {
	t.Parallel()
	a := validAssociation()
	a.LegalName, a.RUC, a.Contact.Email = "  Nuevo Amanecer \t", " 20448012345 ", " r@example.org "
	a.Normalize()
	if a.LegalName != "Nuevo Amanecer" || a.RUC != "20448012345" || a.Contact.Email != "r@example.org" {
		t.Fatalf("Normalize left %+v", a)
	}
	if err := Validate(&a, "a"); err != nil {
		t.Fatal(err)
	}
}

func TestErrorCodeAndWrapping(t *testing.T) {
	t.Parallel()
	cause := errors.New("disk on fire")
	err := fmt.Errorf("saving: %w", Wrap(Unavailable, cause, "database unavailable"))
	if got := ErrorCode(err); got != Unavailable {
		t.Errorf("ErrorCode = %s, want unavailable", got)
	}
	if !errors.Is(err, cause) {
		t.Error("cause lost in the chain")
	}
	if got := ErrorCode(errors.New("plain")); got != Internal {
		t.Errorf("plain error code = %s, want internal", got)
	}
	if got := ErrorCode(nil); got != "" {
		t.Errorf("nil error code = %q", got)
	}
	var vs Violations
	if vs.Err() != nil {
		t.Error("empty violations gave an error")
	}
	vs.Add("x", "bad %d", 1)
	inner := Violations{{Field: "y", Description: "worse"}}.Prefix("lots[3]")
	vs = append(vs, inner...)
	var e *Error
	if !errors.As(vs.Err(), &e) || e.Code != Invalid || len(e.Violations) != 2 || e.Violations[1].Field != "lots[3].y" {
		t.Fatalf("violations error = %#v", vs.Err())
	}
	if !strings.Contains(e.Message, "x, lots[3].y") {
		t.Errorf("message %q does not name the fields", e.Message)
	}
}
