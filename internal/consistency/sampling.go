package consistency

import (
	"fmt"
	"math"
)

// CodeLetter is an ISO 2859-1 sample-size code letter, 'A' to 'R' (I and O
// are not used); 0 is no letter.
type CodeLetter byte

// codeLetters are the letters in order, with the single-sampling sample
// sizes of ISO 2859-1:1999 for normal inspection (table 2-A) and reduced
// inspection (table 2-C). The same figures are in MIL-STD-105E (tables II-A
// and II-C) and ANSI/ASQ Z1.4, from which ISO 2859-1 descends. Tightened
// inspection in the standard (table 2-B) keeps the normal sample size of a
// letter and lowers the acceptance numbers; see SampleSizeFor for how this
// package tightens instead.
var codeLetters = []struct {
	letter          CodeLetter
	normal, reduced int
}{
	{'A', 2, 2},
	{'B', 3, 2},
	{'C', 5, 2},
	{'D', 8, 3},
	{'E', 13, 5},
	{'F', 20, 8},
	{'G', 32, 13},
	{'H', 50, 20},
	{'J', 80, 32},
	{'K', 125, 50},
	{'L', 200, 80},
	{'M', 315, 125},
	{'N', 500, 200},
	{'P', 800, 315},
	{'Q', 1250, 500},
	{'R', 2000, 800},
}

// levelII is ISO 2859-1:1999 table 1 ("Sample size code letters"), column
// general inspection level II: the letter for a lot (here: a classifier's
// lots in the period) of at most maxLots items. The table starts at 2; a
// single lot reads the first row.
var levelII = []struct {
	maxLots int
	letter  CodeLetter
}{
	{8, 'A'},
	{15, 'B'},
	{25, 'C'},
	{50, 'D'},
	{90, 'E'},
	{150, 'F'},
	{280, 'G'},
	{500, 'H'},
	{1200, 'J'},
	{3200, 'K'},
	{10000, 'L'},
	{35000, 'M'},
	{150000, 'N'},
	{500000, 'P'},
	{math.MaxInt, 'Q'},
}

// LevelIICodeLetter is the general-inspection-level-II code letter for a
// population of lots: 2–8 A, 9–15 B, 16–25 C, 26–50 D, 51–90 E, 91–150 F,
// 151–280 G, 281–500 H, 501–1200 J, 1201–3200 K, 3201–10000 L,
// 10001–35000 M, 35001–150000 N, 150001–500000 P, more Q (ISO 2859-1:1999
// table 1). One lot reads as A; no lots (or a negative count) has no letter.
func LevelIICodeLetter(lots int) CodeLetter {
	if lots < 1 {
		return 0
	}
	for _, r := range levelII {
		if lots <= r.maxLots {
			return r.letter
		}
	}
	return 'Q' // unreachable: the last row ends at math.MaxInt
}

func letterIndex(l CodeLetter) int {
	for i, r := range codeLetters {
		if r.letter == l {
			return i
		}
	}
	return -1
}

// String is the letter itself, "" for no letter.
func (l CodeLetter) String() string {
	if letterIndex(l) < 0 {
		return ""
	}
	return string(rune(l))
}

// Next is the letter one row further down the tables (a larger sample): B
// for A, J for H, R for Q. R, the last, stays R; no letter stays none.
func (l CodeLetter) Next() CodeLetter {
	i := letterIndex(l)
	if i < 0 {
		return 0
	}
	return codeLetters[min(i+1, len(codeLetters)-1)].letter
}

// NormalSampleSize is the letter's sample size under normal inspection
// (ISO 2859-1 table 2-A); 0 for no letter.
func (l CodeLetter) NormalSampleSize() int {
	if i := letterIndex(l); i >= 0 {
		return codeLetters[i].normal
	}
	return 0
}

// ReducedSampleSize is the letter's sample size under reduced inspection
// (ISO 2859-1 table 2-C), about two fifths of the normal size (it is the
// normal size two letters up, and never below 2); 0 for no letter.
func (l CodeLetter) ReducedSampleSize() int {
	if i := letterIndex(l); i >= 0 {
		return codeLetters[i].reduced
	}
	return 0
}

// Severity is the ISO 2859-1 switching state a classifier is sampled under.
// The values match the order of the service's InspectionSeverity enum.
type Severity int

// Severities.
const (
	// Normal inspection: level II, table 2-A.
	Normal Severity = iota + 1
	// Tightened inspection: a larger sample (see SampleSizeFor).
	Tightened
	// Reduced inspection: table 2-C.
	Reduced
)

// String names the severity.
func (s Severity) String() string {
	switch s {
	case Normal:
		return "normal"
	case Tightened:
		return "tightened"
	case Reduced:
		return "reduced"
	}
	return fmt.Sprintf("Severity(%d)", int(s))
}

// SampleSize is how many of a classifier's lots to check, and why.
type SampleSize struct {
	// Lots is the classifier's number of lots in the period: the population.
	Lots int
	// Severity is the inspection severity the size was read for.
	Severity Severity
	// Letter is the level-II code letter of Lots; 0 when there are no lots.
	Letter CodeLetter
	// TableLetter is the letter whose row gave the size: Letter under normal
	// and reduced inspection, Letter.Next() under tightened inspection.
	TableLetter CodeLetter
	// TableSize is the size in the table, before capping.
	TableSize int
	// Size is the number of lots to draw: TableSize capped at Lots (every
	// lot when the table asks for as many or more). It is at least 1 when
	// there is a lot, and 0 when there is none.
	Size int
}

// Capped reports whether the table asked for at least as many lots as there
// are, so that every lot is checked.
func (s SampleSize) Capped() bool { return s.TableSize >= s.Lots }

// SampleSizeFor is the rule of the service's SAMPLING_RULE_ISO_2859_1_LEVEL_II:
// single sampling with the classifier's lots in the period as the ISO
// "lot" and each of its lots as an "item".
//
//   - The code letter comes from the lot count, general inspection level II
//     (LevelIICodeLetter).
//   - Normal: the letter's normal sample size (table 2-A).
//   - Tightened: the normal sample size of the next letter. ISO 2859-1
//     tightens by lowering acceptance numbers at the same sample size; a
//     check-grading plan has no acceptance number, so it tightens by checking
//     more lots, the next row's sample (about 1.6 times as many). Because the
//     general-inspection-level-III letter of every lot-size range of table 1
//     is exactly one letter above the level-II letter, this is the same as
//     sampling at level III.
//   - Reduced: the letter's reduced sample size (table 2-C).
//
// The size is then capped at the lot count, so every classifier with a lot
// gets at least one check and none gets more checks than lots.
func SampleSizeFor(lots int, severity Severity) (SampleSize, error) {
	if lots < 0 {
		return SampleSize{}, fmt.Errorf("%w: %d", ErrLotCount, lots)
	}
	if severity != Normal && severity != Tightened && severity != Reduced {
		return SampleSize{}, fmt.Errorf("%w: %d", ErrSeverity, int(severity))
	}
	out := SampleSize{Lots: lots, Severity: severity}
	if lots == 0 {
		return out, nil
	}
	out.Letter = LevelIICodeLetter(lots)
	switch severity {
	case Normal:
		out.TableLetter = out.Letter
		out.TableSize = out.Letter.NormalSampleSize()
	case Tightened:
		out.TableLetter = out.Letter.Next()
		out.TableSize = out.TableLetter.NormalSampleSize()
	case Reduced:
		out.TableLetter = out.Letter
		out.TableSize = out.Letter.ReducedSampleSize()
	}
	out.Size = max(min(out.TableSize, lots), 1)
	return out, nil
}
