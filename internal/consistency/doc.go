// Package consistency measures how well classifiers' declared quality groups
// agree with agencies' check grades, and plans which lots to check next. It
// is pure logic and imports the standard library only; the AuditService
// builds its consistency reports and sampling plans on it.
//
// # Agreement
//
// A Scale lists the category codes compared: a standard's quality groups,
// finest first, then unordered codes such as its short-fibre group. Pairs
// of (declared, checked) codes are tabulated into a ConfusionMatrix, and
// Scale.Agreement summarises them (Statistics): exact and adjacent
// agreement, how often the declared group was finer or coarser than
// measured, Cohen's kappa and a weighted kappa with linear or quadratic
// weights (Weighting).
//
// Kappa and weighted kappa (Cohen 1960, 1968) come with the large-sample
// standard errors of Fleiss, Cohen and Everitt (1969): the non-null one for
// the 95 % interval and the one under κ = 0 for a z test (WeightedKappa
// gives the formulas). The interval is κ ± 1.96·SE, clipped to [−1, 1].
// The results agree with the published examples of Kavanagh et al. (2009),
// Cohen (1968) and Agresti (2002), with SAS PROC FREQ, and with an
// independent script (testdata/kappa_check.py).
//
// Degenerate cases are explicit, and no output ever holds NaN or ±Inf, so
// that every value can be serialised:
//
//   - no pairs: Checks 0, proportions 0, kappas not Defined;
//   - a single pair: kappa not Defined (MinKappaPairs);
//   - every pair declared and checked in one same category: the chance
//     agreement is 1, so kappa is not Defined (agreement cannot be told from
//     chance), although exact agreement is 1;
//   - perfect agreement over two or more categories: κ = 1, SE 0, interval
//     [1, 1].
//
// MeanBias averages the signed distance in micrometres from each measured
// mean fibre diameter to the declared group's Band: 0 inside it, positive
// when the fibre is coarser than declared, negative when finer.
//
// BelowThreshold ranks the classifiers whose weighted kappa is below a
// threshold (DefaultKappaThreshold, 0.6) worst first, in a total order.
//
// # Sampling plans
//
// SampleSizeFor applies ISO 2859-1:1999 single sampling to a classifier's
// lots in a period: the sample-size code letter from the lot count at
// general inspection level II (table 1), the normal (table 2-A) or reduced
// (table 2-C) sample size, or for tightened inspection the normal size of the
// next letter; capped at the lot count and at least 1. DecideSeverity
// chooses normal, tightened or reduced inspection from the classifier's
// recent agreement, with named thresholds. Select draws the lots
// reproducibly from a seed, with a random stream per classifier derived by
// SHA-256 from the seed and the classifier's id, and ProposePlan puts the
// three together.
//
// # References
//
//   - Agresti A (2002). Categorical Data Analysis, 2nd ed. Wiley. §10.5.
//   - Cicchetti DV, Allison T (1971). A new procedure for assessing
//     reliability of scoring EEG sleep recordings. American Journal of EEG
//     Technology 11.
//   - Cohen J (1960). A coefficient of agreement for nominal scales.
//     Educational and Psychological Measurement 20:37–46.
//   - Cohen J (1968). Weighted kappa: nominal scale agreement with provision
//     for scaled disagreement or partial credit. Psychological Bulletin
//     70:213–220.
//   - Fleiss JL, Cohen J (1973). The equivalence of weighted kappa and the
//     intraclass correlation coefficient as measures of reliability.
//     Educational and Psychological Measurement 33:613–619.
//   - Fleiss JL, Cohen J, Everitt BS (1969). Large sample standard errors of
//     kappa and weighted kappa. Psychological Bulletin 72:323–327.
//   - Fleiss JL, Levin B, Paik MC (2003). Statistical Methods for Rates and
//     Proportions, 3rd ed. Wiley. Chapter 18.
//   - ISO 2859-1:1999. Sampling procedures for inspection by attributes —
//     Part 1: Sampling schemes indexed by acceptance quality limit (AQL) for
//     lot-by-lot inspection. Tables 1, 2-A, 2-B, 2-C.
//   - Kavanagh DO et al. (2009). BMC Cancer 9:1, table 2.
//     doi:10.1186/1471-2407-9-1.
//   - Landis JR, Koch GG (1977). The measurement of observer agreement for
//     categorical data. Biometrics 33:159–174.
package consistency
