package consistency_test

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/millwa/millwa/internal/consistency"
)

func TestDefaultLadder(t *testing.T) {
	t.Parallel()
	l := consistency.DefaultLadder()
	if l.Source == "" {
		t.Error("the ladder names no source")
	}
	for _, tt := range []struct {
		failed int
		want   consistency.SanctionStep
	}{
		{0, consistency.NoSanction}, {1, consistency.Feedback}, {2, consistency.TightenedSampling},
		{3, consistency.Suspended}, {7, consistency.Suspended},
	} {
		if got := l.StepFor(tt.failed); got != tt.want {
			t.Errorf("StepFor(%d) = %q, want %q", tt.failed, got, tt.want)
		}
	}
}

func TestParseLadderRefusesDisorder(t *testing.T) {
	t.Parallel()
	for _, bad := range []string{
		`{"rungs": [{"step": "SUSPENDED", "failed_referee_tests": 1}, {"step": "FEEDBACK", "failed_referee_tests": 2}]}`,
		`{"rungs": [{"step": "FEEDBACK", "failed_referee_tests": 2}, {"step": "SUSPENDED", "failed_referee_tests": 2}]}`,
		`{"rungs": [{"step": "WARNING", "failed_referee_tests": 1}]}`,
		`{"rungs": [{"step": "FEEDBACK", "failed_referee_tests": 0}]}`,
	} {
		if _, err := consistency.ParseLadder([]byte(bad)); err == nil {
			t.Errorf("ParseLadder(%s) accepted it", bad)
		}
	}
}

func TestSummarise(t *testing.T) {
	t.Parallel()
	day := func(d int) time.Time { return time.Date(2026, 12, d, 0, 0, 0, 0, time.UTC) }
	fs := []consistency.Finding{
		{Source: "CHECK_GRADING", Declared: "BABY", Found: "BABY", OffsetKnown: true, Time: day(1)},
		{Source: "CHECK_GRADING", Declared: "BABY", Found: "FLEECE", Offset: 1, OffsetKnown: true, Time: day(2)},
		{Source: "CLAIM", Declared: "BABY", Found: "MEDIUM_FLEECE", Offset: 2, OffsetKnown: true, Time: day(4)},
		{Source: "CHECK_GRADING", Declared: "FLEECE", Found: "SHORT", Time: day(3)},
	}
	got := consistency.Summarise(fs, 2)
	want := consistency.RecordSummary{Findings: 4, Agreements: 1, MeanOffset: 1, OffsetCount: 3, Recent: []consistency.Finding{fs[2], fs[3]}}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("Summarise (-want +got):\n%s", diff)
	}
}
