package millwa

import (
	"errors"
	"fmt"
	"strings"
	"testing"
)

func validMember() Member {
	herd := int32(120)
	return Member{DisplayName: "Rosa Quispe Mamani", DNI: "40123456", Sex: SexFemale, HerdSize: &herd}
}

// violationFields returns the fields of err's violations, in order, failing
// t when err is neither nil nor Invalid.
func violationFields(t *testing.T, err error) []string {
	t.Helper()
	if err == nil {
		return nil
	}
	var e *Error
	if !errors.As(err, &e) || e.Code != Invalid {
		t.Fatalf("error %v, want an Invalid *Error", err)
	}
	var got []string
	for _, v := range e.Violations {
		if v.Description == "" {
			t.Errorf("violation of %s has no description", v.Field)
		}
		got = append(got, v.Field)
	}
	return got
}

func TestMemberValidate(t *testing.T) {
	t.Parallel()
	size := func(n int32) *int32 { return &n }
	tests := []struct {
		name   string
		mutate func(*Member)
		want   []string
	}{
		{"valid", func(*Member) {}, nil},
		{"male without herd size", func(m *Member) { m.Sex, m.HerdSize = SexMale, nil }, nil},
		{"herd of none", func(m *Member) { m.HerdSize = size(0) }, nil},
		{"largest herd", func(m *Member) { m.HerdSize = size(MaxHerdSize) }, nil},
		{"empty", func(m *Member) { *m = Member{} }, []string{"m.display_name", "m.dni", "m.sex"}},
		{"DNI of 7 digits", func(m *Member) { m.DNI = "4012345" }, []string{"m.dni"}},
		{"DNI of 9 digits", func(m *Member) { m.DNI = "401234567" }, []string{"m.dni"}},
		{"DNI with a letter", func(m *Member) { m.DNI = "4012345K" }, []string{"m.dni"}},
		{"DNI with full-width digits", func(m *Member) { m.DNI = "４０１２３４５６" }, []string{"m.dni"}},
		{"missing sex", func(m *Member) { m.Sex = "" }, []string{"m.sex"}},
		{"sex the API does not take", func(m *Member) { m.Sex = "OTHER" }, []string{"m.sex"}},
		{"negative herd", func(m *Member) { m.HerdSize = size(-1) }, []string{"m.herd_size"}},
		{"herd too large", func(m *Member) { m.HerdSize = size(MaxHerdSize + 1) }, []string{"m.herd_size"}},
		{"missing name", func(m *Member) { m.DisplayName = "" }, []string{"m.display_name"}},
		{"name of 201 runes", func(m *Member) { m.DisplayName = strings.Repeat("ñ", 201) }, []string{"m.display_name"}},
		{"name with a newline", func(m *Member) { m.DisplayName = "Rosa\nQuispe" }, []string{"m.display_name"}},
		{"several", func(m *Member) { m.DNI, m.HerdSize = "x", size(-5) }, []string{"m.dni", "m.herd_size"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			m := validMember()
			tt.mutate(&m)
			if got := violationFields(t, Validate(&m, "m")); fmt.Sprint(got) != fmt.Sprint(tt.want) {
				t.Fatalf("violations (-want +got):\n- %v\n+ %v", tt.want, got)
			}
		})
	}
}

func TestMemberNormalize(t *testing.T) {
	t.Parallel()
	m := validMember()
	m.DisplayName, m.DNI = "  Rosa Quispe \t", " 40123456\n"
	m.Normalize()
	if m.DisplayName != "Rosa Quispe" || m.DNI != "40123456" {
		t.Fatalf("Normalize left %q, %q", m.DisplayName, m.DNI)
	}
	if err := Validate(&m, "m"); err != nil {
		t.Fatal(err)
	}
}

func TestParseSex(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		in   string
		want Sex
		ok   bool
	}{
		{"FEMALE", SexFemale, true},
		{"SEX_FEMALE", SexFemale, true},
		{"male", SexMale, true},
		{"SEX_MALE", SexMale, true},
		{"SEX_UNSPECIFIED", "", false},
		{"UNSPECIFIED", "", false},
		{"", "", false},
		{"OTHER", "", false},
		{"SEX_SEX_MALE", "", false},
	} {
		got, ok := ParseSex(tc.in)
		if got != tc.want || ok != tc.ok {
			t.Errorf("ParseSex(%q) = %q, %v; want %q, %v", tc.in, got, ok, tc.want, tc.ok)
		}
	}
}
