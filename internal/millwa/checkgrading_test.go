package millwa_test

import (
	"testing"

	"github.com/millwa/millwa/internal/millwa"
)

func TestCompareGroups(t *testing.T) {
	ordered := []string{"ROYAL_BABY", "BABY", "FLEECE", "MEDIUM_FLEECE", "HUARIZO", "COARSE"}
	for _, tc := range []struct {
		check, declared string
		want            millwa.Agreement
		offset          int
	}{
		{"BABY", "BABY", millwa.AgreementExact, 0},
		{"FLEECE", "BABY", millwa.AgreementAdjacent, 1},
		{"ROYAL_BABY", "BABY", millwa.AgreementAdjacent, -1},
		{"MEDIUM_FLEECE", "BABY", millwa.AgreementDistant, 2},
		{"BABY", "COARSE", millwa.AgreementDistant, -4},
		{"SHORT", "BABY", millwa.AgreementDistant, 0},
		{"BABY", "SHORT", millwa.AgreementDistant, 0},
		{"SHORT", "SHORT", millwa.AgreementExact, 0},
	} {
		got, off := millwa.CompareGroups(ordered, tc.check, tc.declared)
		if got != tc.want || off != tc.offset {
			t.Errorf("CompareGroups(%s, %s) = %s %d, want %s %d", tc.check, tc.declared, got, off, tc.want, tc.offset)
		}
	}
}
