package consistency

import (
	_ "embed"
	"encoding/json"
	"fmt"
	"slices"
	"time"
)

// SanctionStep is a rung of the sanctions ladder a classifier stands on;
// NoSanction is the ground.
type SanctionStep string

// The steps, mildest first.
const (
	NoSanction        SanctionStep = ""
	Feedback          SanctionStep = "FEEDBACK"
	TightenedSampling SanctionStep = "TIGHTENED_SAMPLING"
	Suspended         SanctionStep = "SUSPENDED"
)

// Rank orders the steps: 0 for NoSanction, then 1, 2, 3; -1 for an
// unknown step.
func (s SanctionStep) Rank() int {
	return slices.Index([]SanctionStep{NoSanction, Feedback, TightenedSampling, Suspended}, s)
}

// LadderText is a rung's explanation in Spanish and English.
type LadderText struct {
	ES string `json:"es"`
	EN string `json:"en"`
}

// Rung is one step of the ladder and the number of failed referee tests
// that puts a classifier on it.
type Rung struct {
	Step               SanctionStep `json:"step"`
	FailedRefereeTests int          `json:"failed_referee_tests"`
	Text               LadderText   `json:"text"`
}

// Ladder is the sanctions policy: rungs mildest first, each needing more
// failed referee tests than the one before. It is data (policy/ladder.json),
// with its source.
type Ladder struct {
	Source string `json:"source"`
	Rungs  []Rung `json:"rungs"`
}

//go:embed policy/ladder.json
var ladderJSON []byte

// DefaultLadder is the shipped policy. It panics if the embedded file is
// invalid, which a test rules out.
func DefaultLadder() Ladder {
	l, err := ParseLadder(ladderJSON)
	if err != nil {
		panic(err)
	}
	return l
}

// ParseLadder reads and checks a ladder: known steps, mildest first, each
// needing strictly more failed tests (at least 1) than the one before.
func ParseLadder(b []byte) (Ladder, error) {
	var l Ladder
	if err := json.Unmarshal(b, &l); err != nil {
		return l, fmt.Errorf("sanctions ladder: %w", err)
	}
	prev, prevRank := 0, 0
	for i, r := range l.Rungs {
		if r.Step.Rank() <= prevRank || r.FailedRefereeTests <= prev {
			return l, fmt.Errorf("sanctions ladder: rung %d (%s after %d failed tests) is not milder-first with more failed tests than the one before", i, r.Step, r.FailedRefereeTests)
		}
		prev, prevRank = r.FailedRefereeTests, r.Step.Rank()
	}
	return l, nil
}

// StepFor is the step a classifier with failed referee tests stands on:
// the highest rung whose count it reaches, NoSanction below the first.
func (l Ladder) StepFor(failed int) SanctionStep {
	step := NoSanction
	for _, r := range l.Rungs {
		if failed >= r.FailedRefereeTests {
			step = r.Step
		}
	}
	return step
}

// Rung returns the rung of a step.
func (l Ladder) Rung(step SanctionStep) (Rung, bool) {
	i := slices.IndexFunc(l.Rungs, func(r Rung) bool { return r.Step == step })
	if i < 0 {
		return Rung{}, false
	}
	return l.Rungs[i], true
}

// Finding is one comparison of a classifier's declared group with what a
// check found: an agency's check grading, or a claim that was decided.
type Finding struct {
	Source   string // "CHECK_GRADING" or "CLAIM"
	Resource string
	Lot      string
	Declared string
	Found    string
	// Offset is position(found) − position(declared) on the standard's
	// scale when both are ordered groups (positive: declared finer).
	Offset      int
	OffsetKnown bool
	Time        time.Time
}

// RecordSummary is a classifier's agreement with the checks of their
// work.
type RecordSummary struct {
	Findings   int
	Agreements int
	// MeanOffset is the mean Offset over findings whose offset is known
	// (the bias: positive when the classifier declares finer than found);
	// OffsetCount how many those are.
	MeanOffset  float64
	OffsetCount int
	// Recent are the latest disagreements, newest first, at most the limit
	// given.
	Recent []Finding
}

// Summarise counts agreements and the bias of findings, and keeps the
// latest recent disagreements.
func Summarise(findings []Finding, recent int) RecordSummary {
	var s RecordSummary
	var sum int
	fs := slices.Clone(findings)
	slices.SortStableFunc(fs, func(a, b Finding) int { return b.Time.Compare(a.Time) })
	for _, f := range fs {
		s.Findings++
		if f.Found == f.Declared {
			s.Agreements++
		} else if len(s.Recent) < recent {
			s.Recent = append(s.Recent, f)
		}
		if f.OffsetKnown {
			sum += f.Offset
			s.OffsetCount++
		}
	}
	if s.OffsetCount > 0 {
		s.MeanOffset = float64(sum) / float64(s.OffsetCount)
	}
	return s
}
