package grading

import (
	"fmt"
	"math"
	"strconv"
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
		reason := reasonNoGroups
		if s.FleeceClassification != nil {
			reason = reasonCategories
		}
		return Grade{}, &NotApplicableError{Standard: s.ID, Use: "ClassifyFleece", Reason: reason}
	}
	var vs violations
	if sample.Breed != "" && !s.HasBreed(sample.Breed) {
		codes := make([]string, len(s.Breeds))
		for i, b := range s.Breeds {
			codes[i] = b.Code
		}
		vs.Add("sample.breed", "must be one of the breeds of %s (%s), got %q", s.ID, strings.Join(codes, ", "), sample.Breed)
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

// decide applies the short-fibre rule to the diameter group gi of the
// rounded mean k, and judges the interval of the mean against the group
// given.
func decide(s *Standard, sample *Sample, m *Metrics, k int64, gi int) decision {
	res := s.DiameterResolutionUm
	d := decision{s: s, sample: sample, m: m, k: k, diameter: &s.QualityGroups[gi]}
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
// It writes into two builders rather than through fmt: it is most of the
// work of a grade.
func (d *decision) explain() Text {
	s, res := d.s, d.s.DiameterResolutionUm
	var w bilingual
	w.es.Grow(640)
	w.en.Grow(640)
	dec := decimals(res)
	mfd := consistent(d.m.MeanFiberDiameterUm, dec+1, dec, func(v float64) bool {
		k, ok := toStep(v, res)
		return ok && k == d.k
	})
	rounded := stepValue(d.k, res)
	dn := d.diameter.Name

	w.both("MFD ", mfd, " µm")
	if d.sample.Histogram != nil && d.m.FibersMeasured != nil {
		n := grouped(*d.m.FibersMeasured)
		w.es.WriteString(" (histograma de " + n + " fibras)")
		w.en.WriteString(" (histogram of " + n + " fibres)")
	}
	w.say(", redondeado a ", ", rounded to ")
	w.both(rounded)
	w.say(", está en la banda de ", ", is in the band of ")
	w.name(dn)
	w.both(" (")
	w.band(d.diameter.Band, res)
	w.say(") de ", ") of ")
	w.name(s.Title)
	w.both(".")

	var st, least string
	if d.sample.StapleLengthMm != nil {
		st = trimmed(*d.sample.StapleLengthMm, 6)
	}
	if d.diameter.MinStapleLengthMm != nil {
		least = trimmed(*d.diameter.MinStapleLengthMm, 6)
	}
	below := func() {
		w.say(" El largo de mecha de ", " Staple length ")
		w.both(st)
		w.say(" mm es menor que el mínimo de ", " mm is below the ")
		w.both(least)
		w.say(" mm de ", " mm minimum of ")
		w.name(dn)
	}
	switch d.length {
	case lengthMet:
		w.say(" El largo de mecha de ", " Staple length ")
		w.both(st)
		w.say(" mm cumple el mínimo de ", " mm meets the ")
		w.both(least)
		w.say(" mm de ", " mm minimum of ")
		w.name(dn)
		w.both(".")
	case lengthShort:
		below()
		w.say(": grupo de fibra corta ", ": short-fibre group ")
		w.name(s.ShortFiberGroup.Name)
		w.both(".")
	case lengthShortNoGroup:
		below()
		w.say(", pero la norma no tiene grupo de fibra corta: el grupo se mantiene.",
			", but the standard has no short-fibre group: the group stands.")
	case lengthShortOutside:
		sg := s.ShortFiberGroup
		below()
		w.say(", pero el MFD redondeado ", ", but the rounded MFD ")
		w.both(rounded)
		w.say(" está fuera de la banda del grupo de fibra corta ", " is outside the band of the short-fibre group ")
		w.name(sg.Name)
		w.both(" (")
		w.band(sg.Band, res)
		w.say("): la muestra queda en ", "): the sample stays in ")
		w.name(dn)
		w.both(".")
	default:
		switch {
		case d.sample.StapleLengthMm == nil && d.diameter.MinStapleLengthMm != nil && s.ShortFiberGroup != nil:
			w.say(" No se dio el largo de mecha: no se aplicó la regla de fibra corta (mínimo de ",
				" No staple length was given: the short-fibre rule (")
			w.both(least)
			w.say(" mm).", " mm minimum) was not applied.")
		case d.sample.StapleLengthMm != nil && s.ShortFiberGroup != nil:
			w.both(" ")
			w.name(dn)
			w.say(" no tiene largo de mecha mínimo: el largo de ", " has no minimum staple length: the staple length of ")
			w.both(st)
			w.say(" mm no cambia el grupo.", " mm does not change the group.")
		case d.sample.StapleLengthMm != nil:
			w.say(" La norma no tiene regla de fibra corta: el largo de mecha de ", " The standard has no short-fibre rule: the staple length of ")
			w.both(st)
			w.say(" mm no cambia el grupo.", " mm does not change the group.")
		}
	}

	if !d.intervalKnown {
		w.say(" El intervalo de 95 % del MFD no se conoce (requiere la desviación estándar y el número de fibras): no se evaluó si es límite.",
			" The 95 % interval of the MFD is unknown (it needs the SD and the number of fibres): not assessed as borderline.")
		return w.text()
	}
	low := consistent(*d.m.MFDCI95LowUm, dec+1, dec+1, func(v float64) bool {
		k, ok := toStep(v, res)
		return ok && k == d.lowStep
	})
	high := consistent(*d.m.MFDCI95HighUm, dec+1, dec+1, func(v float64) bool {
		k, ok := toStep(v, res)
		return ok && k == d.highStep
	})
	w.say(" Su intervalo de 95 %, ", " Its 95 % interval, ")
	w.both(low, "–", high, " µm, ")
	if !d.borderline {
		w.say("queda dentro de ", "stays within ")
	} else {
		w.say("sale de ", "reaches outside ")
	}
	w.name(d.chosen.Name)
	w.both(" (")
	w.band(d.chosen.Band, res)
	w.both(")")
	if !d.borderline {
		w.both(".")
		return w.text()
	}
	for i, n := range d.alternativeGroupName {
		switch {
		case i == 0:
			w.say(" hacia ", " into ")
		case i == len(d.alternativeGroupName)-1:
			w.say(" y ", " and ")
		default:
			w.both(", ")
		}
		w.name(n)
	}
	w.say(": muestra límite, repita el análisis antes de venderla con este grado.",
		": borderline, re-test the sample before selling it on this grade.")
	return w.text()
}

// bilingual writes a text in Spanish and English side by side.
type bilingual struct{ es, en strings.Builder }

// both writes the same parts in both languages.
func (w *bilingual) both(parts ...string) {
	for _, p := range parts {
		w.es.WriteString(p)
		w.en.WriteString(p)
	}
}

// say writes a part in each language.
func (w *bilingual) say(es, en string) {
	w.es.WriteString(es)
	w.en.WriteString(en)
}

// name writes a localized name.
func (w *bilingual) name(t Text) { w.say(t.ES, t.EN) }

// band writes a band as bandText does, without building strings.
func (w *bilingual) band(b Band, res float64) {
	var buf [32]byte
	d := decimals(res)
	end := func(v float64) {
		n := strconv.AppendFloat(buf[:0], v, 'f', d, 64)
		w.es.Write(n)
		w.en.Write(n)
	}
	switch {
	case b.MinUm != nil && b.MaxUm != nil:
		end(*b.MinUm)
		w.both("–")
		end(*b.MaxUm)
		w.both(" µm")
	case b.MaxUm != nil:
		w.both("≤ ")
		end(*b.MaxUm)
		w.both(" µm")
	case b.MinUm != nil:
		w.both("≥ ")
		end(*b.MinUm)
		w.both(" µm")
	default:
		w.name(bandText(b, res))
	}
}

func (w *bilingual) text() Text { return Text{ES: w.es.String(), EN: w.en.String()} }
