package consistency

import "fmt"

// Thresholds of DecideSeverity. They stand in for the switching rules of
// ISO 2859-1 (clause 9), which count accepted and rejected lots: a check
// grading has no acceptance decision, so the switch is judged on the
// classifier's recent agreement statistics instead.
const (
	// MinChecksToJudge is the fewest recent checks on which a classifier's
	// severity is changed from normal. Below it, a kappa's standard error
	// is too large to tell good grading from bad.
	MinChecksToJudge = 5

	// TightenBelowKappa: a recent weighted kappa below it tightens. It is
	// DefaultKappaThreshold, so a classifier the consistency report would
	// list as below threshold is sampled tightened.
	TightenBelowKappa = DefaultKappaThreshold

	// TightenBelowExact: a recent exact-agreement proportion below it
	// tightens, whatever the kappa: more than half the declared groups
	// were wrong.
	TightenBelowExact = 0.5

	// MinChecksToReduce is the fewest recent checks on which a classifier
	// may be reduced. ISO 2859-1 asks for ten consecutive accepted lots
	// before reduced inspection; twice that many checks give a high kappa
	// an interval narrow enough for the interval test below to mean
	// something.
	MinChecksToReduce = 20

	// ReduceAtLeastKappa: reduction needs a recent weighted kappa of at
	// least 0.8 ("almost perfect" agreement in the scale of Landis and Koch
	// 1977 starts at 0.81; 0.8 is the customary round figure) ...
	ReduceAtLeastKappa = 0.8

	// ReduceAtLeastExact: ... and an exact-agreement proportion of at least
	// 0.8 ...
	ReduceAtLeastExact = 0.8

	// ReduceCILowAtLeast: ... and the lower end of the kappa's 95 % interval
	// at or above the tightening threshold, so that agreement is
	// consistently, not luckily, high.
	ReduceCILowAtLeast = TightenBelowKappa
)

// Cause says which branch of DecideSeverity chose the severity.
type Cause int

// Causes.
const (
	// CauseTooFewChecks: fewer than MinChecksToJudge recent checks; normal.
	CauseTooFewChecks Cause = iota + 1
	// CauseLowKappa: weighted kappa below TightenBelowKappa; tightened.
	CauseLowKappa
	// CauseLowExactAgreement: exact agreement below TightenBelowExact;
	// tightened.
	CauseLowExactAgreement
	// CauseConsistentAgreement: the reduction criteria all hold; reduced.
	CauseConsistentAgreement
	// CauseModerateAgreement: enough checks, neither low nor consistently
	// high agreement (including an undefined kappa with every check in one
	// group, where agreement cannot be told from chance); normal.
	CauseModerateAgreement
	// CauseSanction: the classifier stands on the sanctions ladder's step
	// of tightened sampling or above; tightened, whatever the agreement.
	CauseSanction
)

// String names the cause.
func (c Cause) String() string {
	switch c {
	case CauseTooFewChecks:
		return "too few checks"
	case CauseLowKappa:
		return "low kappa"
	case CauseLowExactAgreement:
		return "low exact agreement"
	case CauseConsistentAgreement:
		return "consistent agreement"
	case CauseModerateAgreement:
		return "moderate agreement"
	case CauseSanction:
		return "sanction"
	}
	return fmt.Sprintf("Cause(%d)", int(c))
}

// DecideSeverity chooses a classifier's inspection severity from the
// statistics of its recent checks (the service uses quadratic weights, so
// recent.WeightedKappa is the quadratic-weighted kappa). In order:
//
//  1. fewer than MinChecksToJudge checks: Normal (CauseTooFewChecks);
//  2. weighted kappa defined and below TightenBelowKappa: Tightened
//     (CauseLowKappa);
//  3. exact agreement below TightenBelowExact: Tightened
//     (CauseLowExactAgreement);
//  4. at least MinChecksToReduce checks, weighted kappa defined, at least
//     ReduceAtLeastKappa and with its 95 % interval's lower end at least
//     ReduceCILowAtLeast, and exact agreement at least ReduceAtLeastExact:
//     Reduced (CauseConsistentAgreement);
//  5. otherwise Normal (CauseModerateAgreement).
func DecideSeverity(recent Statistics) (Severity, Cause) {
	k := recent.WeightedKappa
	switch {
	case recent.Checks < MinChecksToJudge:
		return Normal, CauseTooFewChecks
	case k.Defined && k.Value < TightenBelowKappa:
		return Tightened, CauseLowKappa
	case recent.ExactProportion < TightenBelowExact:
		return Tightened, CauseLowExactAgreement
	case recent.Checks >= MinChecksToReduce && k.Defined &&
		k.Value >= ReduceAtLeastKappa && k.CILow >= ReduceCILowAtLeast &&
		recent.ExactProportion >= ReduceAtLeastExact:
		return Reduced, CauseConsistentAgreement
	}
	return Normal, CauseModerateAgreement
}
