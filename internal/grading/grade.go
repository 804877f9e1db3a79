package grading

import (
	"fmt"
	"math"
	"strings"
)

// Grade is the outcome of grading a sample against a standard.
type Grade struct {
	// QualityGroup is the code of the group: the diameter group, or the
	// short-fibre group when the staple length is below the diameter group's
	// minimum.
	QualityGroup     string
	QualityGroupName Text
	// Metrics are the figures the decision was taken on, unrounded.
	Metrics Metrics
	// Borderline is true when the 95 % interval of the mean reaches outside
	// the group's band; always false when the interval is unknown.
	Borderline bool
	// Alternatives are the codes of the quality groups, in the standard's
	// order, that the interval reaches into; nil unless Borderline.
	Alternatives []string
	// Explanation is the rule applied, with its numbers.
	Explanation Text
	// Standard is the id of the standard applied.
	Standard string
}

// Grade grades a sample against the standard.
//
// The mean fibre diameter is rounded to DiameterResolutionUm (halves away
// from zero) and the group is the one whose band holds it. When the sample
// gives a staple length below that group's MinStapleLengthMm and the
// standard has a short-fibre group whose band holds the rounded mean, the
// group is the short-fibre group; a short sample outside the short group's
// band keeps its diameter group.
//
// When the 95 % interval of the mean is known, each of its ends is judged as
// the mean is (rounded to the resolution); the grade is borderline when an
// end falls outside the group's band, that is when a true mean anywhere in
// the interval could have been graded in another group, and Alternatives
// lists those groups.
//
// Grade returns an *InputError naming every invalid field of the sample (a
// breed must be one of the standard's), and an error matching
// ErrNotApplicable when the standard has no quality groups. It never panics
// and never returns a group the standard does not define.
func (s *Standard) Grade(sample Sample) (Grade, error) {
	if len(s.QualityGroups) == 0 {
		reason := "defines no quality groups"
		if s.FleeceClassification != nil {
			reason = "defines fleece categories, not quality groups"
		}
		return Grade{}, &NotApplicableError{Standard: s.ID, Use: "ClassifyFleece", Reason: reason}
	}
	var vs violations
	if sample.Breed != "" && !s.HasBreed(sample.Breed) {
		codes := make([]string, len(s.Breeds))
		for i, b := range s.Breeds {
			codes[i] = b.Code
		}
		vs.add("sample.breed", fmt.Sprintf("must be one of the breeds of %s (%s), got %q", s.ID, strings.Join(codes, ", "), sample.Breed))
	}
	checkSample(&sample, &vs)
	if err := vs.err(); err != nil {
		return Grade{}, err
	}
	m := metrics(&sample)

	res := s.DiameterResolutionUm
	k, ok := toStep(m.MeanFiberDiameterUm, res)
	if !ok || !(res > 0) {
		return Grade{}, fmt.Errorf("standard %s: diameter resolution %v cannot round a mean of %v µm", s.ID, res, m.MeanFiberDiameterUm)
	}
	gi := -1
	for i := range s.QualityGroups {
		if lo, hi := bandSteps(s.QualityGroups[i].Band, res); lo <= k && k <= hi {
			gi = i
			break
		}
	}
	if gi < 0 {
		return Grade{}, fmt.Errorf("standard %s: no quality group holds a mean of %s µm", s.ID, stepValue(k, res))
	}
	d := decide(s, &sample, &m, k, gi)
	return Grade{
		QualityGroup:     d.chosen.Code,
		QualityGroupName: d.chosen.Name,
		Metrics:          m,
		Borderline:       d.borderline,
		Alternatives:     d.alternatives,
		Explanation:      d.explain(),
		Standard:         s.ID,
	}, nil
}

// bandSteps returns a band's ends in resolution steps, open ends as the
// extremes of int64. An end that cannot be converted makes the band empty.
func bandSteps(b Band, res float64) (lo, hi int64) {
	lo, hi = math.MinInt64, math.MaxInt64
	if b.MinUm != nil {
		v, ok := toStep(*b.MinUm, res)
		if !ok {
			return math.MaxInt64, math.MinInt64
		}
		lo = v
	}
	if b.MaxUm != nil {
		v, ok := toStep(*b.MaxUm, res)
		if !ok {
			return math.MaxInt64, math.MinInt64
		}
		hi = v
	}
	return lo, hi
}

// lengthRule is how the staple length entered the decision.
type lengthRule int

const (
	lengthNotApplied   lengthRule = iota // no staple length, or no rule for the group
	lengthMet                            // at or above the group's minimum
	lengthShort                          // below: graded in the short-fibre group
	lengthShortNoGroup                   // below, but the standard has no short-fibre group
	lengthShortOutside                   // below, but outside the short group's band
)

// decision is a grade with what explains it.
type decision struct {
	s                    *Standard
	sample               *Sample
	m                    *Metrics
	k                    int64         // rounded mean, in steps
	diameter, chosen     *QualityGroup // the diameter group, the group given
	length               lengthRule
	intervalKnown        bool
	lowStep, highStep    int64
	borderline           bool
	alternatives         []string
	alternativeGroupName []Text
}

func decide(s *Standard, sample *Sample, m *Metrics, k int64, gi int) *decision {
	res := s.DiameterResolutionUm
	d := &decision{s: s, sample: sample, m: m, k: k, diameter: &s.QualityGroups[gi]}
	d.chosen = d.diameter
	if st, least := sample.StapleLengthMm, d.diameter.MinStapleLengthMm; st != nil && least != nil {
		switch {
		case *st >= *least:
			d.length = lengthMet
		case s.ShortFiberGroup == nil:
			d.length = lengthShortNoGroup
		default:
			if lo, hi := bandSteps(s.ShortFiberGroup.Band, res); lo <= k && k <= hi {
				d.length = lengthShort
				d.chosen = s.ShortFiberGroup
			} else {
				d.length = lengthShortOutside
			}
		}
	}
	if m.MFDCI95LowUm == nil || m.MFDCI95HighUm == nil {
		return d
	}
	lk, okLow := toStep(*m.MFDCI95LowUm, res)
	hk, okHigh := toStep(*m.MFDCI95HighUm, res)
	if !okLow || !okHigh {
		return d
	}
	d.intervalKnown, d.lowStep, d.highStep = true, lk, hk
	clo, chi := bandSteps(d.chosen.Band, res)
	if lk >= clo && hk <= chi {
		return d
	}
	d.borderline = true
	for i := range s.QualityGroups {
		g := &s.QualityGroups[i]
		if g == d.chosen {
			continue
		}
		glo, ghi := bandSteps(g.Band, res)
		a, b := max(glo, lk), min(ghi, hk)
		// The part of the interval in g must also lie outside the chosen
		// group's band: only there would the sample be graded otherwise.
		if a > b || (a >= clo && b <= chi) {
			continue
		}
		d.alternatives = append(d.alternatives, g.Code)
		d.alternativeGroupName = append(d.alternativeGroupName, g.Name)
	}
	return d
}

// explain writes the rules applied, with their numbers, in both languages.
func (d *decision) explain() Text {
	s, res := d.s, d.s.DiameterResolutionUm
	var es, en strings.Builder
	dec := decimals(res)
	mfd := consistent(d.m.MeanFiberDiameterUm, dec+1, dec, func(v float64) bool {
		k, ok := toStep(v, res)
		return ok && k == d.k
	})
	rounded := stepValue(d.k, res)
	band := bandText(d.diameter.Band, res)
	dn := d.diameter.Name
	if h := d.sample.Histogram; h != nil && d.m.FibersMeasured != nil {
		n := grouped(*d.m.FibersMeasured)
		fmt.Fprintf(&en, "MFD %s µm (histogram of %s fibres), rounded to %s, is in the band of %s (%s) of %s.", mfd, n, rounded, dn.EN, band.EN, s.Title.EN)
		fmt.Fprintf(&es, "MFD %s µm (histograma de %s fibras), redondeado a %s, está en la banda de %s (%s) de %s.", mfd, n, rounded, dn.ES, band.ES, s.Title.ES)
	} else {
		fmt.Fprintf(&en, "MFD %s µm, rounded to %s, is in the band of %s (%s) of %s.", mfd, rounded, dn.EN, band.EN, s.Title.EN)
		fmt.Fprintf(&es, "MFD %s µm, redondeado a %s, está en la banda de %s (%s) de %s.", mfd, rounded, dn.ES, band.ES, s.Title.ES)
	}

	var st, least string
	if d.sample.StapleLengthMm != nil {
		st = trimmed(*d.sample.StapleLengthMm, 6)
	}
	if d.diameter.MinStapleLengthMm != nil {
		least = trimmed(*d.diameter.MinStapleLengthMm, 6)
	}
	switch d.length {
	case lengthMet:
		fmt.Fprintf(&en, " Staple length %s mm meets the %s mm minimum of %s.", st, least, dn.EN)
		fmt.Fprintf(&es, " El largo de mecha de %s mm cumple el mínimo de %s mm de %s.", st, least, dn.ES)
	case lengthShort:
		sn := s.ShortFiberGroup.Name
		fmt.Fprintf(&en, " Staple length %s mm is below the %s mm minimum of %s: short-fibre group %s.", st, least, dn.EN, sn.EN)
		fmt.Fprintf(&es, " El largo de mecha de %s mm es menor que el mínimo de %s mm de %s: grupo de fibra corta %s.", st, least, dn.ES, sn.ES)
	case lengthShortNoGroup:
		fmt.Fprintf(&en, " Staple length %s mm is below the %s mm minimum of %s, but the standard has no short-fibre group: the group stands.", st, least, dn.EN)
		fmt.Fprintf(&es, " El largo de mecha de %s mm es menor que el mínimo de %s mm de %s, pero la norma no tiene grupo de fibra corta: el grupo se mantiene.", st, least, dn.ES)
	case lengthShortOutside:
		sg := s.ShortFiberGroup
		sb := bandText(sg.Band, res)
		fmt.Fprintf(&en, " Staple length %s mm is below the %s mm minimum of %s, but the rounded MFD %s is outside the band of the short-fibre group %s (%s): the sample stays in %s.", st, least, dn.EN, rounded, sg.Name.EN, sb.EN, dn.EN)
		fmt.Fprintf(&es, " El largo de mecha de %s mm es menor que el mínimo de %s mm de %s, pero el MFD redondeado %s está fuera de la banda del grupo de fibra corta %s (%s): la muestra queda en %s.", st, least, dn.ES, rounded, sg.Name.ES, sb.ES, dn.ES)
	default:
		switch {
		case d.sample.StapleLengthMm == nil && d.diameter.MinStapleLengthMm != nil && s.ShortFiberGroup != nil:
			fmt.Fprintf(&en, " No staple length was given: the short-fibre rule (%s mm minimum) was not applied.", least)
			fmt.Fprintf(&es, " No se dio el largo de mecha: no se aplicó la regla de fibra corta (mínimo de %s mm).", least)
		case d.sample.StapleLengthMm != nil && s.ShortFiberGroup != nil:
			fmt.Fprintf(&en, " %s has no minimum staple length: the staple length of %s mm does not change the group.", dn.EN, st)
			fmt.Fprintf(&es, " %s no tiene largo de mecha mínimo: el largo de %s mm no cambia el grupo.", dn.ES, st)
		case d.sample.StapleLengthMm != nil:
			fmt.Fprintf(&en, " The standard has no short-fibre rule: the staple length of %s mm does not change the group.", st)
			fmt.Fprintf(&es, " La norma no tiene regla de fibra corta: el largo de mecha de %s mm no cambia el grupo.", st)
		}
	}

	switch {
	case !d.intervalKnown:
		en.WriteString(" The 95 % interval of the MFD is unknown (it needs the SD and the number of fibres): not assessed as borderline.")
		es.WriteString(" El intervalo de 95 % del MFD no se conoce (requiere la desviación estándar y el número de fibras): no se evaluó si es límite.")
	default:
		low := consistent(*d.m.MFDCI95LowUm, dec+1, dec+1, func(v float64) bool {
			k, ok := toStep(v, res)
			return ok && k == d.lowStep
		})
		high := consistent(*d.m.MFDCI95HighUm, dec+1, dec+1, func(v float64) bool {
			k, ok := toStep(v, res)
			return ok && k == d.highStep
		})
		cn := d.chosen.Name
		cb := bandText(d.chosen.Band, res)
		if !d.borderline {
			fmt.Fprintf(&en, " Its 95 %% interval, %s–%s µm, stays within %s (%s).", low, high, cn.EN, cb.EN)
			fmt.Fprintf(&es, " Su intervalo de 95 %%, %s–%s µm, queda dentro de %s (%s).", low, high, cn.ES, cb.ES)
			break
		}
		fmt.Fprintf(&en, " Its 95 %% interval, %s–%s µm, reaches outside %s (%s)", low, high, cn.EN, cb.EN)
		fmt.Fprintf(&es, " Su intervalo de 95 %%, %s–%s µm, sale de %s (%s)", low, high, cn.ES, cb.ES)
		if len(d.alternativeGroupName) > 0 {
			en.WriteString(" into ")
			es.WriteString(" hacia ")
			listNames(&en, &es, d.alternativeGroupName)
		}
		en.WriteString(": borderline, re-test the sample before selling it on this grade.")
		es.WriteString(": muestra límite, repita el análisis antes de venderla con este grado.")
	}
	return Text{ES: es.String(), EN: en.String()}
}

// listNames writes "A, B and C" and "A, B y C".
func listNames(en, es *strings.Builder, names []Text) {
	for i, n := range names {
		if i > 0 {
			if i == len(names)-1 {
				en.WriteString(" and ")
				es.WriteString(" y ")
			} else {
				en.WriteString(", ")
				es.WriteString(", ")
			}
		}
		en.WriteString(n.EN)
		es.WriteString(n.ES)
	}
}
