package millwa

import (
	"fmt"
	"strings"
	"testing"
)

func validAgency() Agency {
	return Agency{
		DisplayName: "Dirección Regional Agraria Puno",
		Regions:     []string{"21", "0801"},
		RUC:         "20406325815",
		Contact:     Contact{PersonName: "Luis Mamani Quispe", Email: "auditoria@example.org"},
	}
}

func TestAgencyValidate(t *testing.T) {
	t.Parallel()
	many := make([]string, 0, MaxAgencyRegions+1)
	for d := 1; len(many) <= MaxAgencyRegions; d++ {
		for p := 1; p <= 9 && len(many) <= MaxAgencyRegions; p++ {
			many = append(many, fmt.Sprintf("%02d%02d", d, p))
		}
	}
	tests := []struct {
		name   string
		mutate func(*Agency)
		want   []string
	}{
		{"valid", func(*Agency) {}, nil},
		{"no RUC, no contact", func(a *Agency) { a.RUC, a.Contact = "", Contact{} }, nil},
		{"fifty regions", func(a *Agency) { a.Regions = many[:MaxAgencyRegions] }, nil},
		{"fifty-one regions", func(a *Agency) { a.Regions = many }, []string{"a.regions"}},
		{"no regions", func(a *Agency) { a.Regions = nil }, []string{"a.regions"}},
		{"district", func(a *Agency) { a.Regions = []string{"210101"} }, []string{"a.regions[0]"}},
		{"three digits", func(a *Agency) { a.Regions = []string{"21", "210"} }, []string{"a.regions[1]"}},
		{"unknown department", func(a *Agency) { a.Regions = []string{"26"} }, []string{"a.regions[0]"}},
		{"province 00", func(a *Agency) { a.Regions = []string{"2100"} }, []string{"a.regions[0]"}},
		{"empty entry", func(a *Agency) { a.Regions = []string{"21", ""} }, []string{"a.regions[1]"}},
		{"duplicate", func(a *Agency) { a.Regions = []string{"21", "08", "21"} }, []string{"a.regions[2]"}},
		{"province within department", func(a *Agency) { a.Regions = []string{"21", "2101"} }, []string{"a.regions[1]"}},
		{"department over province", func(a *Agency) { a.Regions = []string{"2101", "21"} }, []string{"a.regions[1]"}},
		{"two provinces of one department", func(a *Agency) { a.Regions = []string{"2101", "2105"} }, nil},
		{"RUC check digit", func(a *Agency) { a.RUC = "20406325816" }, []string{"a.ruc"}},
		{"RUC of a person", func(a *Agency) { a.RUC = "10406325810"; a.RUC = a.RUC[:10] + string(RUCCheckDigit(a.RUC[:10])) }, []string{"a.ruc"}},
		{"contact without a way to reach", func(a *Agency) { a.Contact = Contact{PersonName: "Luis"} }, []string{"a.contact.phone"}},
		{"contact without a name", func(a *Agency) { a.Contact = Contact{Phone: "+51 951 234 567"} }, []string{"a.contact.person_name"}},
		{"missing name", func(a *Agency) { a.DisplayName = "" }, []string{"a.display_name"}},
		{"name of 200", func(a *Agency) { a.DisplayName = strings.Repeat("ñ", 200) }, nil},
		{"name of 201", func(a *Agency) { a.DisplayName = strings.Repeat("ñ", 201) }, []string{"a.display_name"}},
		{"empty", func(a *Agency) { *a = Agency{} }, []string{"a.display_name", "a.regions"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			a := validAgency()
			tt.mutate(&a)
			if got := violationFields(t, Validate(&a, "a")); fmt.Sprint(got) != fmt.Sprint(tt.want) {
				t.Fatalf("violations (-want +got):\n- %v\n+ %v", tt.want, got)
			}
		})
	}
}

func TestAgencyNormalize(t *testing.T) {
	t.Parallel()
	in := []string{" 21 ", "0801"}
	a := Agency{DisplayName: "  DRA Puno\t", RUC: " 20406325815 ", Regions: in, Contact: Contact{Email: " x@example.org "}}
	a.Normalize()
	want := Agency{DisplayName: "DRA Puno", RUC: "20406325815", Regions: []string{"21", "0801"}, Contact: Contact{Email: "x@example.org"}}
	if fmt.Sprintf("%#v", a) != fmt.Sprintf("%#v", want) {
		t.Fatalf("Normalize:\n got %#v\nwant %#v", a, want)
	}
	if in[0] != " 21 " {
		t.Errorf("Normalize changed the caller's slice: %q", in)
	}
	if got := SortedRegions(a.Regions); fmt.Sprint(got) != "[0801 21]" || a.Regions[0] != "21" {
		t.Errorf("SortedRegions = %v (input now %v), want a sorted copy", got, a.Regions)
	}
}
