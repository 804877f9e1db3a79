package consistency

import (
	"fmt"
	"time"
)

// Check is one check grading as a consistency report reads it: the latest
// check of one lot.
type Check struct {
	ClassifierID  string
	AssociationID string
	// Standard is the id of the standard the check was graded under.
	Standard string
	// Declared is the lot's declared group; Checked the check's group.
	Declared, Checked string
	// Borderline is the check grade's flag.
	Borderline bool
	// MeasuredUm is the check's mean fibre diameter, nil when its grade
	// has none.
	MeasuredUm *float64
	// Time is when the check was recorded.
	Time time.Time
}

// ReportInput is what a consistency report is computed from.
type ReportInput struct {
	// Standard is the id of the standard reported on; checks under any
	// other are only counted.
	Standard string
	// Scale is the standard's groups, finest first.
	Scale *Scale
	// Bands are the diameter bands of the standard's groups by code, for
	// the bias; a group without a band adds nothing to it.
	Bands map[string]Band
	// From and To bound the period, [From, To), for the monthly series.
	From, To time.Time
	// KappaThreshold lists the classifiers below it (BelowThreshold).
	KappaThreshold float64
	// MaxBelow bounds that list.
	MaxBelow int
	// Checks are the latest check of each lot in scope and period.
	Checks []Check
}

// Agreement is the statistics of a set of checks and their diameter bias.
type Agreement struct {
	Statistics Statistics
	Bias       Bias
}

// ClassifierAgreement is one classifier's agreement.
type ClassifierAgreement struct {
	ClassifierID, AssociationID string
	Agreement
}

// PeriodAgreement is the agreement of the checks recorded in [Start, End).
type PeriodAgreement struct {
	Start, End time.Time
	Agreement
}

// Report is a consistency report's figures.
type Report struct {
	// OtherStandardChecks counts the checks under another standard, left
	// out of every figure.
	OtherStandardChecks int
	// BorderlineChecks counts the checks whose grade was borderline.
	BorderlineChecks int
	// Classifiers counts the classifiers with checks.
	Classifiers int
	// Overall is the agreement of every check counted, Matrix its table.
	Overall Agreement
	Matrix  ConfusionMatrix
	// Below are the classifiers below the threshold, worst first, at most
	// MaxBelow.
	Below []ClassifierAgreement
	// Monthly is the agreement of each calendar month (UTC) the period
	// touches, in order.
	Monthly []PeriodAgreement
}

// BuildReport computes a consistency report: quadratic-weighted agreement
// and bias overall, per classifier (listing those below the threshold) and
// per calendar month.
func BuildReport(in ReportInput) (Report, error) {
	var r Report
	var counted []Check
	byClassifier := map[string][]Check{}
	var order []string
	for _, c := range in.Checks {
		if c.Standard != in.Standard {
			r.OtherStandardChecks++
			continue
		}
		if c.Borderline {
			r.BorderlineChecks++
		}
		counted = append(counted, c)
		if _, seen := byClassifier[c.ClassifierID]; !seen {
			order = append(order, c.ClassifierID)
		}
		byClassifier[c.ClassifierID] = append(byClassifier[c.ClassifierID], c)
	}
	r.Classifiers = len(byClassifier)
	var err error
	if r.Overall, err = in.agreement(counted); err != nil {
		return Report{}, err
	}
	r.Matrix = r.Overall.Statistics.Matrix

	per := make([]ClassifierStatistics, 0, len(order))
	results := map[string]Agreement{}
	for _, id := range order {
		a, err := in.agreement(byClassifier[id])
		if err != nil {
			return Report{}, err
		}
		results[id] = a
		per = append(per, ClassifierStatistics{ClassifierID: id, Statistics: a.Statistics})
	}
	below, err := BelowThreshold(per, in.KappaThreshold)
	if err != nil {
		return Report{}, err
	}
	for _, c := range below[:min(len(below), in.MaxBelow)] {
		r.Below = append(r.Below, ClassifierAgreement{
			ClassifierID: c.ClassifierID, AssociationID: byClassifier[c.ClassifierID][0].AssociationID, Agreement: results[c.ClassifierID],
		})
	}

	for m := time.Date(in.From.Year(), in.From.Month(), 1, 0, 0, 0, 0, time.UTC); m.Before(in.To); m = m.AddDate(0, 1, 0) {
		end := m.AddDate(0, 1, 0)
		var month []Check
		for _, c := range counted {
			if !c.Time.Before(m) && c.Time.Before(end) {
				month = append(month, c)
			}
		}
		a, err := in.agreement(month)
		if err != nil {
			return Report{}, err
		}
		r.Monthly = append(r.Monthly, PeriodAgreement{Start: m, End: end, Agreement: a})
	}
	return r, nil
}

// agreement computes the quadratic-weighted agreement and the bias of
// checks.
func (in ReportInput) agreement(checks []Check) (Agreement, error) {
	pairs := make([]Pair, 0, len(checks))
	var diam []DiameterCheck
	for _, c := range checks {
		pairs = append(pairs, Pair{Declared: c.Declared, Checked: c.Checked})
		if b, ok := in.Bands[c.Declared]; ok && c.MeasuredUm != nil && *c.MeasuredUm > 0 {
			diam = append(diam, DiameterCheck{MeasuredUm: *c.MeasuredUm, Declared: b})
		}
	}
	stats, err := in.Scale.Agreement(pairs, Quadratic)
	if err != nil {
		return Agreement{}, fmt.Errorf("computing agreement: %w", err)
	}
	bias, err := MeanBias(diam)
	if err != nil {
		return Agreement{}, fmt.Errorf("computing bias: %w", err)
	}
	return Agreement{Statistics: stats, Bias: bias}, nil
}
