package grading

import (
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
)

// OutOfScaleCode is the quality group of a grade that is out of the
// standard's scale: it names no group of the standard.
const OutOfScaleCode = "OUT_OF_SCALE"

// OutOfScaleName is the display name of OutOfScaleCode.
var OutOfScaleName = Text{ES: "Fuera de escala", EN: "Out of scale"}

// OutOfScale says why a grade is out of the standard's scale.
type OutOfScale string

// Reasons a grade is out of scale.
const (
	InScale OutOfScale = ""
	// Coarser: the mean is coarser than the coarsest group's closed band.
	Coarser OutOfScale = "COARSER"
	// Shorter: the staple length is shorter than any group takes at the
	// sample's diameter.
	Shorter OutOfScale = "SHORTER"
)

// Grade is the outcome of grading a sample against a standard.
type Grade struct {
	// QualityGroup is the code of the group: the diameter group, or the
	// short-fibre group when the staple length is below the diameter group's
	// minimum, or OutOfScaleCode when no group of the standard holds the
	// sample (OutOfScale says why).
	QualityGroup     string
	QualityGroupName Text
	// OutOfScale is InScale, or why no group holds the sample.
	OutOfScale OutOfScale
	// LengthClass is the code of the sample's staple-length class, for a
	// standard with length classes when the staple length was given.
	LengthClass string
	// Metrics are the figures the decision was taken on, unrounded.
	Metrics Metrics
	// ToleranceUm is the measurement tolerance of the sample's test method,
	// when it named one; the interval judged is the larger of it and the
	// 95 % interval of the mean.
	ToleranceUm *float64
	// Borderline is true when the interval judged (see ToleranceUm) reaches
	// outside the group's band, or the staple length falls where the
	// standard's known text does not decide; always false when neither an
	// interval nor a tolerance is known.
	Borderline bool
	// Alternatives are the codes of the quality groups, in the standard's
	// order, that the interval reaches into (and the short-fibre group when
	// the length is undecided); nil unless Borderline.
	Alternatives []string
	// Explanation is the rule applied, with its numbers.
	Explanation Text
	// Standard is the id of the standard applied.
	Standard string
}

// Grade grades a sample against the standard.
//
// The mean fibre diameter is rounded to DiameterResolutionUm (halves away
// from zero) and the group is the one whose band holds it; a mean above a
// closed coarsest band is out of scale (Coarser). When the sample gives a
// staple length below that group's MinStapleLengthMm and the standard has a
// short-fibre group whose band holds the rounded mean, the group is the
// short-fibre group; a short sample outside the short group's band keeps
// its diameter group. A short-fibre group with a StapleLengthRangeMm takes
// only lengths in it: shorter is out of scale (Shorter), and a length
// between its end and the group's minimum is borderline in the diameter
// group. A standard with length classes grades the staple length's class
// in the first group, from the diameter group coarser, that takes it, then
// in the short-fibre group; a length no group takes is out of scale.
//
// When the 95 % interval of the mean is known, or the sample names a test
// method with a tolerance, the interval judged is the mean ± the larger of
// the two half-widths; each of its ends is judged as the mean is (rounded to
// the resolution); the grade is borderline when an end falls outside the
// group's band, that is when a true mean anywhere in the interval could
// have been graded in another group, and Alternatives lists those groups.
//
// Grade returns an *InputError naming every invalid field of the sample (a
// breed must be one of the standard's, a test method one it declares), and
// an error matching ErrNotApplicable when the standard has no quality
// groups. It never panics and never returns a group the standard does not
// define, other than OutOfScaleCode.
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
	var tol *float64
	if sample.TestMethod != "" {
		t, ok := s.Tolerance(sample.TestMethod)
		switch {
		case !ok && len(s.MeasurementTolerances) == 0:
			vs.Add("sample.test_method", "must be absent: %s declares no test method tolerance, got %q", s.ID, sample.TestMethod)
		case !ok:
			vs.Add("sample.test_method", "must be one of the test methods of %s (%s), got %q", s.ID, s.TestMethodCodes(), sample.TestMethod)
		default:
			tol = &t.ToleranceUm
		}
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
	last := &s.QualityGroups[len(s.QualityGroups)-1]
	if _, hi := bandSteps(last.Band, res); gi < 0 && last.Band.MaxUm != nil && k > hi {
		gi = len(s.QualityGroups) // beyond the coarsest group
	}
	if gi < 0 {
		return Grade{}, fmt.Errorf("standard %s: no quality group holds a mean of %s µm", s.ID, stepValue(k, res))
	}
	d := decide(s, &sample, &m, k, gi, tol)
	g := Grade{
		OutOfScale:   d.outOfScale,
		Metrics:      m,
		ToleranceUm:  tol,
		Borderline:   d.borderline,
		Alternatives: d.alternatives,
		Explanation:  d.explain(),
		Standard:     s.ID,
	}
	if d.class != nil {
		g.LengthClass = d.class.Code
	}
	if d.outOfScale != InScale {
		g.QualityGroup, g.QualityGroupName = OutOfScaleCode, OutOfScaleName
	} else {
		g.QualityGroup, g.QualityGroupName = d.chosen.Code, d.chosen.Name
	}
	return g, nil
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
	lengthGap                            // below, but above the short-fibre class: undecided
	lengthTooShort                       // below the short-fibre class: out of scale
	classNoLength                        // length classes, but no staple length given
	classTaken                           // the diameter group takes the length class
	classMoved                           // a coarser group takes it
	classShort                           // only the short-fibre group takes it
	classNone                            // no group takes it at this diameter: out of scale
	classOutside                         // shorter than every length class: out of scale
)

// decision is a grade with what explains it.
type decision struct {
	s                    *Standard
	sample               *Sample
	m                    *Metrics
	k                    int64         // rounded mean, in steps
	diameter, chosen     *QualityGroup // the diameter group, the group given; nil beyond the scale
	beyond               Band          // the band beyond a closed coarsest group
	outOfScale           OutOfScale
	class                *LengthClass
	length               lengthRule
	tol                  *float64
	intervalKnown        bool
	lowStep, highStep    int64
	low, high            float64
	borderline           bool
	intervalOut          bool // the interval reaches outside the group's band
	alternatives         []string
	alternativeGroupName []Text
	// scaleLow and scaleHigh are the steps the standard's groups cover
	// together, from the finest band's floor to the coarsest's ceiling.
	scaleLow, scaleHigh int64
}

// outOfScaleName names the out-of-scale outcome as an alternative.
var outOfScaleName = Text{ES: "fuera de escala", EN: "out of scale"}

// decide applies the length rules to the diameter group gi of the rounded
// mean k (len(QualityGroups) for a mean beyond a closed coarsest band), and
// judges the interval of the mean, widened to the tolerance tol when known,
// against the group given.
func decide(s *Standard, sample *Sample, m *Metrics, k int64, gi int, tol *float64) decision {
	res := s.DiameterResolutionUm
	d := decision{s: s, sample: sample, m: m, k: k, tol: tol}
	if gi == len(s.QualityGroups) {
		d.outOfScale = Coarser
		_, hi := bandSteps(s.QualityGroups[gi-1].Band, res)
		from := float64(hi+1) * res
		d.beyond = Band{MinUm: &from}
	} else {
		d.diameter = &s.QualityGroups[gi]
		d.chosen = d.diameter
		if len(s.LengthClasses) > 0 {
			d.lengthClass(gi)
		} else {
			d.minLength()
		}
	}
	d.judgeInterval()
	return d
}

// lengthClass applies a standard's length classes.
func (d *decision) lengthClass(gi int) {
	s, res := d.s, d.s.DiameterResolutionUm
	st := d.sample.StapleLengthMm
	if st == nil {
		d.length = classNoLength
		return
	}
	lc, ok := s.lengthClass(*st)
	if !ok {
		d.length, d.outOfScale, d.chosen = classOutside, Shorter, nil
		return
	}
	d.class = lc
	for i := gi; i < len(s.QualityGroups); i++ {
		if slices.Contains(s.QualityGroups[i].LengthClasses, lc.Code) {
			d.chosen = &s.QualityGroups[i]
			d.length = classTaken
			if i != gi {
				d.length = classMoved
			}
			return
		}
	}
	if sg := s.ShortFiberGroup; sg != nil && slices.Contains(sg.LengthClasses, lc.Code) {
		if lo, hi := bandSteps(sg.Band, res); lo <= d.k && d.k <= hi {
			d.chosen, d.length = sg, classShort
			return
		}
	}
	d.length, d.outOfScale, d.chosen = classNone, Shorter, nil
}

// minLength applies a group's minimum staple length and the short-fibre
// group.
func (d *decision) minLength() {
	s, res := d.s, d.s.DiameterResolutionUm
	st, least := d.sample.StapleLengthMm, d.diameter.MinStapleLengthMm
	if st == nil || least == nil {
		return
	}
	sg := s.ShortFiberGroup
	switch {
	case *st >= *least:
		d.length = lengthMet
		return
	case sg == nil:
		d.length = lengthShortNoGroup
		return
	}
	if r := sg.StapleLengthRangeMm; r != nil {
		if r.MinMm != nil && *st < *r.MinMm {
			d.length, d.outOfScale, d.chosen = lengthTooShort, Shorter, nil
			return
		}
		if r.MaxMm != nil && *st >= *r.MaxMm {
			d.length = lengthGap
			return
		}
	}
	if lo, hi := bandSteps(sg.Band, res); lo <= d.k && d.k <= hi {
		d.length = lengthShort
		d.chosen = sg
	} else {
		d.length = lengthShortOutside
	}
}

// judgeInterval judges the interval of the mean (or the tolerance) against
// the band of the group given.
func (d *decision) judgeInterval() {
	s, m, res := d.s, d.m, d.s.DiameterResolutionUm
	if d.length == lengthGap {
		d.borderline = true
	}
	var band Band
	switch {
	case d.length == classMoved:
		// Every diameter from the diameter group's start up to the chosen
		// group's end grades the same at this length class.
		band = Band{MinUm: d.diameter.Band.MinUm, MaxUm: d.chosen.Band.MaxUm}
	case d.chosen != nil:
		band = d.chosen.Band
	case d.outOfScale == Coarser:
		band = d.beyond
	default:
		return
	}
	d.scaleLow, d.scaleHigh = math.MaxInt64, math.MinInt64
	for i := range s.QualityGroups {
		glo, ghi := bandSteps(s.QualityGroups[i].Band, res)
		d.scaleLow, d.scaleHigh = min(d.scaleLow, glo), max(d.scaleHigh, ghi)
	}
	half := -1.0
	if m.MFDCI95LowUm != nil && m.MFDCI95HighUm != nil {
		half = (*m.MFDCI95HighUm - *m.MFDCI95LowUm) / 2
	}
	if d.tol != nil && *d.tol > half {
		half = *d.tol
	}
	if half >= 0 {
		var low, high float64
		if d.tol != nil && *d.tol == half || m.MFDCI95LowUm == nil {
			low, high = m.MeanFiberDiameterUm-half, m.MeanFiberDiameterUm+half
		} else {
			low, high = *m.MFDCI95LowUm, *m.MFDCI95HighUm
		}
		lk, okLow := toStep(low, res)
		hk, okHigh := toStep(high, res)
		if okLow && okHigh {
			d.intervalKnown, d.lowStep, d.highStep, d.low, d.high = true, lk, hk, low, high
			clo, chi := bandSteps(band, res)
			if lk < clo || hk > chi {
				d.borderline, d.intervalOut = true, true
				for i := range s.QualityGroups {
					g := &s.QualityGroups[i]
					if g == d.chosen {
						continue
					}
					glo, ghi := bandSteps(g.Band, res)
					a, b := max(glo, lk), min(ghi, hk)
					// The part of the interval in g must also lie outside the
					// chosen group's band: only there would the sample be
					// graded otherwise.
					if a > b || (a >= clo && b <= chi) {
						continue
					}
					d.alternatives = append(d.alternatives, g.Code)
					d.alternativeGroupName = append(d.alternativeGroupName, g.Name)
				}
				// Past the scale's ends (a coarsest band closed by
				// OutOfScale, a finest band with a floor) the sample
				// would be out of scale: that is an alternative too.
				if d.chosen != nil && (lk < d.scaleLow || hk > d.scaleHigh) {
					d.alternatives = append(d.alternatives, OutOfScaleCode)
					d.alternativeGroupName = append(d.alternativeGroupName, outOfScaleName)
				}
			}
		}
	}
	if d.length == lengthGap && !slices.Contains(d.alternatives, s.ShortFiberGroup.Code) {
		d.alternatives = append(d.alternatives, s.ShortFiberGroup.Code)
		d.alternativeGroupName = append(d.alternativeGroupName, s.ShortFiberGroup.Name)
	}
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

	w.both("MFD ", mfd, " µm")
	if d.sample.Histogram != nil && d.m.FibersMeasured != nil {
		n := grouped(*d.m.FibersMeasured)
		w.es.WriteString(" (histograma de " + n + " fibras)")
		w.en.WriteString(" (histogram of " + n + " fibres)")
	}
	w.say(", redondeado a ", ", rounded to ")
	w.both(rounded)
	if d.diameter == nil {
		last := &s.QualityGroups[len(s.QualityGroups)-1]
		w.say(", es más grueso que el grupo más grueso, ", ", is coarser than the coarsest group, ")
		w.name(last.Name)
		w.both(" (")
		w.band(last.Band, res)
		w.say("), de ", "), of ")
		w.name(s.Title)
		w.say(": fuera de escala, no se da el grupo más cercano.", ": out of scale, not graded in the nearest group.")
		d.outOfScaleNote(&w)
	} else {
		w.say(", está en la banda de ", ", is in the band of ")
		w.name(d.diameter.Name)
		w.both(" (")
		w.band(d.diameter.Band, res)
		w.say(") de ", ") of ")
		w.name(s.Title)
		w.both(".")
		if len(s.LengthClasses) > 0 {
			d.explainClass(&w)
		} else {
			d.explainMinLength(&w, rounded)
		}
	}

	if d.chosen == nil && d.outOfScale != Coarser {
		return w.text()
	}
	if !d.intervalKnown {
		if d.length != lengthGap {
			w.say(" El intervalo de 95 % del MFD no se conoce (requiere la desviación estándar y el número de fibras) y no se indicó el método de ensayo: no se evaluó si es límite.",
				" The 95 % interval of the MFD is unknown (it needs the SD and the number of fibres) and no test method was named: not assessed as borderline.")
		}
		return w.text()
	}
	low := consistent(d.low, dec+1, dec+1, func(v float64) bool {
		k, ok := toStep(v, res)
		return ok && k == d.lowStep
	})
	high := consistent(d.high, dec+1, dec+1, func(v float64) bool {
		k, ok := toStep(v, res)
		return ok && k == d.highStep
	})
	if d.tol != nil && (d.m.MFDCI95LowUm == nil || *d.tol >= (*d.m.MFDCI95HighUm-*d.m.MFDCI95LowUm)/2) {
		t := trimmed(*d.tol, 6)
		w.say(" Con la tolerancia de ± ", " Widened to the ± ")
		w.both(t)
		w.say(" µm del método "+d.sample.TestMethod+", mayor que el intervalo de 95 % de la media, su intervalo, ",
			" µm tolerance of method "+d.sample.TestMethod+", larger than the 95 % interval of the mean, its interval, ")
	} else {
		w.say(" Su intervalo de 95 %, ", " Its 95 % interval, ")
	}
	w.both(low, "–", high, " µm, ")
	if !d.intervalOut {
		w.say("queda dentro de ", "stays within ")
	} else {
		w.say("sale de ", "reaches outside ")
	}
	if d.chosen != nil {
		w.name(d.chosen.Name)
		w.both(" (")
		w.band(d.chosen.Band, res)
		w.both(")")
	} else {
		w.say("lo que está fuera de escala (", "what is out of scale (")
		w.band(d.beyond, res)
		w.both(")")
	}
	if !d.intervalOut {
		w.both(".")
		return w.text()
	}
	names := d.alternativeGroupName
	if d.length == lengthGap {
		names = names[:len(names)-1] // the short-fibre group is there for the length
	}
	for i, n := range names {
		switch {
		case i == 0:
			w.say(" hacia ", " into ")
		case i == len(names)-1:
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

// explainMinLength explains a group's minimum staple length and the
// short-fibre group.
func (d *decision) explainMinLength(w *bilingual, rounded string) {
	s, res := d.s, d.s.DiameterResolutionUm
	dn := d.diameter.Name
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
	case lengthGap:
		r := s.ShortFiberGroup.StapleLengthRangeMm
		below()
		w.say(", pero es de ", ", but is ")
		w.both(trimmed(*r.MaxMm, 6))
		w.say(" mm o más, por encima de la clase de fibra corta ", " mm or more, above the short-fibre class ")
		w.name(s.ShortFiberGroup.Name)
		w.both(" (")
		w.lengthRange(*r)
		w.say("). Lo que la norma dispone entre ambos largos no se conoce: no se clasifica como corta; la muestra es límite.",
			"). What the standard says between the two lengths is not known: not graded short; the sample is borderline.")
	case lengthTooShort:
		r := s.ShortFiberGroup.StapleLengthRangeMm
		w.say(" El largo de mecha de ", " Staple length ")
		w.both(st)
		w.say(" mm es menor que la clase de fibra corta ", " mm is shorter than the short-fibre class ")
		w.name(s.ShortFiberGroup.Name)
		w.both(" (")
		w.lengthRange(*r)
		w.say("): fuera de escala, no se da el grupo más cercano.", "): out of scale, not graded in the nearest group.")
		d.outOfScaleNote(w)
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
}

// explainClass explains a standard's length classes.
func (d *decision) explainClass(w *bilingual) {
	s := d.s
	if d.length == classNoLength {
		w.say(" No se dio el largo de mecha: no se decidió la clase de largo.", " No staple length was given: the length class was not decided.")
		return
	}
	st := trimmed(*d.sample.StapleLengthMm, 6)
	w.say(" El largo de mecha de ", " Staple length ")
	w.both(st)
	if d.class == nil {
		w.say(" mm es menor que toda clase de largo de ", " mm is shorter than every length class of ")
		w.name(s.Title)
		w.say(": fuera de escala, no se da el grupo más cercano.", ": out of scale, not graded in the nearest group.")
		d.outOfScaleNote(w)
		return
	}
	w.say(" mm es de la clase de largo ", " mm is in length class ")
	w.name(d.class.Name)
	w.both(" (")
	w.lengthRange(d.class.Range)
	w.both(")")
	switch d.length {
	case classTaken:
		w.say(", que ", ", which ")
		w.name(d.diameter.Name)
		w.say(" admite.", " takes.")
	case classMoved:
		w.say(", que ", ", which ")
		w.name(d.diameter.Name)
		w.say(" no admite: se clasifica en ", " does not take: graded ")
		w.name(d.chosen.Name)
		w.say(", el siguiente grupo más grueso que la admite.", ", the next coarser group that takes it.")
	case classShort:
		w.say(", que ningún grupo de diámetro admite: grupo de fibra corta ", ", which no diameter group takes: short-fibre group ")
		w.name(d.chosen.Name)
		w.both(".")
	case classNone:
		w.say(", que ningún grupo admite con este diámetro: fuera de escala, no se da el grupo más cercano.",
			", which no group takes at this diameter: out of scale, not graded in the nearest group.")
		d.outOfScaleNote(w)
	}
}

// outOfScaleNote writes the standard's own note on what lies outside it.
func (d *decision) outOfScaleNote(w *bilingual) {
	if t := d.s.OutOfScale; t != nil {
		w.both(" ")
		w.name(*t)
	}
}

// lengthRange writes a range of staple length.
func (w *bilingual) lengthRange(r LengthRange) {
	switch {
	case r.MinMm != nil && r.MaxMm != nil:
		w.both(trimmed(*r.MinMm, 6), "–", trimmed(*r.MaxMm, 6), " mm")
	case r.MinMm != nil:
		w.both("≥ ", trimmed(*r.MinMm, 6), " mm")
	case r.MaxMm != nil:
		w.both("< ", trimmed(*r.MaxMm, 6), " mm")
	default:
		w.say("cualquier largo", "any length")
	}
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
