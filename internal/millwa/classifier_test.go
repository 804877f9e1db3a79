package millwa

import (
	"fmt"
	"strings"
	"testing"
	"time"
)

func validClassifier() Classifier {
	return Classifier{
		DisplayName:         "Juana Condori Apaza",
		DNI:                 "42345678",
		CertificationNumber: "SINEACE-2023-0412",
		CertificationDate:   "2023-06-15",
	}
}

func TestClassifierValidate(t *testing.T) {
	t.Parallel()
	// 03:00 UTC on 1 March 2026 is still 28 February in Peru (UTC-5).
	now := time.Date(2026, 3, 1, 3, 0, 0, 0, time.UTC)
	tests := []struct {
		name   string
		mutate func(*Classifier)
		want   []string
	}{
		{"valid", func(*Classifier) {}, nil},
		{"with a member", func(c *Classifier) { c.MemberID = "0192d1a0-0000-7000-8000-000000000001" }, nil},
		{"certified today in Peru", func(c *Classifier) { c.CertificationDate = "2026-02-28" }, nil},
		{"certified tomorrow in Peru, today in UTC", func(c *Classifier) { c.CertificationDate = "2026-03-01" }, []string{"c.certification_date"}},
		{"certified next year", func(c *Classifier) { c.CertificationDate = "2027-01-01" }, []string{"c.certification_date"}},
		{"leap day", func(c *Classifier) { c.CertificationDate = "2024-02-29" }, nil},
		{"no such day", func(c *Classifier) { c.CertificationDate = "2023-02-29" }, []string{"c.certification_date"}},
		{"day first", func(c *Classifier) { c.CertificationDate = "15/06/2023" }, []string{"c.certification_date"}},
		{"single-digit month", func(c *Classifier) { c.CertificationDate = "2023-6-15" }, []string{"c.certification_date"}},
		{"a timestamp", func(c *Classifier) { c.CertificationDate = "2023-06-15T00:00:00Z" }, []string{"c.certification_date"}},
		{"missing date", func(c *Classifier) { c.CertificationDate = "" }, []string{"c.certification_date"}},
		{"missing number", func(c *Classifier) { c.CertificationNumber = "" }, []string{"c.certification_number"}},
		{"number of 64", func(c *Classifier) { c.CertificationNumber = strings.Repeat("9", 64) }, nil},
		{"number of 65", func(c *Classifier) { c.CertificationNumber = strings.Repeat("9", 65) }, []string{"c.certification_number"}},
		{"bad DNI", func(c *Classifier) { c.DNI = "1234" }, []string{"c.dni"}},
		{"missing name", func(c *Classifier) { c.DisplayName = "" }, []string{"c.display_name"}},
		{"empty", func(c *Classifier) { *c = Classifier{} }, []string{"c.display_name", "c.dni", "c.certification_number", "c.certification_date"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			c := validClassifier()
			tt.mutate(&c)
			var vs Violations
			c.check(&vs, "c", now)
			if got := violationFields(t, vs.Err()); fmt.Sprint(got) != fmt.Sprint(tt.want) {
				t.Fatalf("violations (-want +got):\n- %v\n+ %v", tt.want, got)
			}
		})
	}
}

// TestClassifierValidateNow checks the clock Validate uses: today in Peru
// passes, a week ahead does not.
func TestClassifierValidateNow(t *testing.T) {
	t.Parallel()
	c := validClassifier()
	c.CertificationDate = time.Now().In(peruTime).Format(DateLayout)
	if err := Validate(&c, "c"); err != nil {
		t.Errorf("certified today: %v", err)
	}
	c.CertificationDate = time.Now().AddDate(0, 0, 7).Format(DateLayout)
	if got := violationFields(t, Validate(&c, "c")); fmt.Sprint(got) != "[c.certification_date]" {
		t.Errorf("certified next week: violations %v", got)
	}
}

func TestClassifierNormalize(t *testing.T) {
	t.Parallel()
	c := validClassifier()
	c.DisplayName, c.DNI, c.CertificationNumber, c.CertificationDate = " Juana ", "42345678 ", "\tA-1 ", " 2023-06-15 "
	c.Normalize()
	want := Classifier{DisplayName: "Juana", DNI: "42345678", CertificationNumber: "A-1", CertificationDate: "2023-06-15"}
	if c != want {
		t.Fatalf("Normalize left %+v, want %+v", c, want)
	}
}
