package grading_test

import (
	"encoding/binary"
	"errors"
	"math"
	"slices"
	"strings"
	"testing"

	"github.com/millwa/millwa/internal/grading"
)

// Bits of FuzzGrade's present argument: which optional fields the sample
// gives.
const (
	hasMean = 1 << iota
	hasSD
	hasCount
	hasStaple
	hasHistogram
)

// FuzzGrade grades arbitrary samples against every shipped standard with
// quality groups: Grade must never panic, must refuse bad input only with an
// *InputError naming sample fields, and must never answer a group the
// standard does not define.
func FuzzGrade(f *testing.F) {
	f.Add(uint8(hasMean|hasSD|hasCount|hasStaple), 22.4, 4.1, int64(2000), 82.0, 0.0, 0.0, []byte(nil), "HUACAYA")
	f.Add(uint8(hasMean|hasSD|hasCount), 22.9, 4.1, int64(200), 0.0, 0.0, 0.0, []byte(nil), "SURI")
	f.Add(uint8(hasMean|hasStaple), 20.05, 0.0, int64(0), 64.9, 0.0, 0.0, []byte(nil), "")
	f.Add(uint8(hasHistogram|hasStaple), 0.0, 0.0, int64(0), 90.0, 9.5, 1.0, []byte{0, 10, 0, 40, 0, 130, 1, 10, 0, 200, 0, 60, 0, 5}, "SURI")
	f.Add(uint8(hasHistogram), 0.0, 0.0, int64(0), 0.0, 95.0, 1.0, []byte{0, 1, 0, 1, 0, 1, 0, 1, 0, 1, 0, 1}, "")
	f.Add(uint8(hasHistogram|hasMean), math.NaN(), math.Inf(1), int64(-1), -1.0, 5.0, 0.0, []byte{255, 255}, "LLAMA")
	reg, err := grading.Load("")
	if err != nil {
		f.Fatal(err)
	}
	var standards []*grading.Standard
	for _, s := range reg.List() {
		if len(s.QualityGroups) > 0 {
			standards = append(standards, s)
		}
	}
	f.Fuzz(func(t *testing.T, present uint8, mean, sd float64, n int64, staple, start, width float64, counts []byte, breed string) {
		var sample grading.Sample
		sample.Breed = breed
		if present&hasMean != 0 {
			sample.MeanFiberDiameterUm = &mean
		}
		if present&hasSD != 0 {
			sample.SDUm = &sd
		}
		if present&hasCount != 0 {
			sample.FibersMeasured = &n
		}
		if present&hasStaple != 0 {
			sample.StapleLengthMm = &staple
		}
		if present&hasHistogram != 0 {
			h := &grading.Histogram{StartUm: start, WidthUm: width}
			// Two bytes a class, signed, scaled up by the high bit of the
			// first so that large and negative counts occur.
			for i := 0; i+1 < len(counts); i += 2 {
				c := int64(int16(binary.BigEndian.Uint16(counts[i:])))
				if counts[i]&0x40 != 0 {
					c *= 1 << 20
				}
				h.Counts = append(h.Counts, c)
			}
			sample.Histogram = h
		}
		for _, s := range standards {
			g, err := s.Grade(sample)
			if err != nil {
				var in *grading.InputError
				if !errors.As(err, &in) || len(in.Violations) == 0 {
					t.Fatalf("%s: error %v is not an *InputError with violations", s.ID, err)
				}
				for _, v := range in.Violations {
					if !strings.HasPrefix(v.Field, "sample.") || v.Description == "" {
						t.Fatalf("%s: violation %+v", s.ID, v)
					}
				}
				continue
			}
			checkGrade(t, s, g)
		}
	})
}

// checkGrade checks what must hold of every grade.
func checkGrade(t *testing.T, s *grading.Standard, g grading.Grade) {
	t.Helper()
	if (g.QualityGroup == grading.OutOfScaleCode) != (g.OutOfScale != grading.InScale) {
		t.Fatalf("%s: group %q with out of scale %q", s.ID, g.QualityGroup, g.OutOfScale)
	}
	if !s.HasGroup(g.QualityGroup) && g.QualityGroup != grading.OutOfScaleCode {
		t.Fatalf("%s: group %q is not the standard's", s.ID, g.QualityGroup)
	}
	var codes []string
	for _, q := range s.QualityGroups {
		codes = append(codes, q.Code)
	}
	// The short-fibre group comes last: it is an alternative when the
	// staple length falls where the standard does not decide.
	lengthUndecided := s.ShortFiberGroup != nil && slices.Contains(g.Alternatives, s.ShortFiberGroup.Code)
	// Out of scale is an alternative of an in-scale grade whose interval
	// reaches past the scale's ends; it comes after the groups.
	if g.QualityGroup != grading.OutOfScaleCode {
		codes = append(codes, grading.OutOfScaleCode)
	}
	if s.ShortFiberGroup != nil {
		codes = append(codes, s.ShortFiberGroup.Code)
	}
	last := -1
	for _, a := range g.Alternatives {
		i := slices.Index(codes, a)
		if i <= last || a == g.QualityGroup {
			t.Fatalf("%s: alternatives %v of %s are not other groups in the standard's order", s.ID, g.Alternatives, g.QualityGroup)
		}
		last = i
	}
	if g.Borderline != (len(g.Alternatives) > 0) {
		t.Fatalf("%s: borderline %v with alternatives %v", s.ID, g.Borderline, g.Alternatives)
	}
	m := g.Metrics
	if g.Borderline && m.MFDCI95LowUm == nil && !lengthUndecided {
		t.Fatalf("%s: borderline without an interval", s.ID)
	}
	for _, v := range []*float64{&m.MeanFiberDiameterUm, m.SDUm, m.CVPercent, m.ComfortFactorPercent, m.SpinningFinenessUm, m.MFDCI95LowUm, m.MFDCI95HighUm} {
		if v != nil && (math.IsNaN(*v) || math.IsInf(*v, 0)) {
			t.Fatalf("%s: metrics %+v are not finite", s.ID, m)
		}
	}
	if m.MeanFiberDiameterUm < 5 || m.MeanFiberDiameterUm > 100 {
		t.Fatalf("%s: MFD %v outside 5–100 µm", s.ID, m.MeanFiberDiameterUm)
	}
	if g.Explanation.ES == "" || g.Explanation.EN == "" || g.QualityGroupName.ES == "" || g.QualityGroupName.EN == "" || g.Standard != s.ID {
		t.Fatalf("%s: grade %+v lacks a name, an explanation or its standard", s.ID, g)
	}
	// A diameter group's band holds the rounded mean (tenths, computed here
	// with a tolerance rather than the package's rounding).
	if s.ShortFiberGroup != nil && g.QualityGroup == s.ShortFiberGroup.Code || g.QualityGroup == grading.OutOfScaleCode || g.LengthClass != "" {
		return
	}
	for _, q := range s.QualityGroups {
		if q.Code != g.QualityGroup {
			continue
		}
		tenths := math.Floor(m.MeanFiberDiameterUm*10 + 0.5 + 1e-9)
		if q.Band.MinUm != nil && tenths < math.Round(*q.Band.MinUm*10) || q.Band.MaxUm != nil && tenths > math.Round(*q.Band.MaxUm*10) {
			t.Fatalf("%s: MFD %v is not in the band of %s", s.ID, m.MeanFiberDiameterUm, q.Code)
		}
	}
}
