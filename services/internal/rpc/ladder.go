package rpc

import (
	"context"
	"database/sql"
	"time"

	"github.com/millwa/millwa/internal/consistency"
	"github.com/millwa/millwa/internal/millwa"
	"github.com/millwa/millwa/internal/store"
)

// Ladder is the sanctions policy every service applies.
var Ladder = consistency.DefaultLadder()

// StandingSanction returns the latest step of sanctions (oldest first) that
// no agency reversed, if any, and the time of the latest reversal (zero
// when none): failed referee tests count from then.
func StandingSanction(sanctions []store.Sanction) (standing *store.Sanction, lastReversal time.Time) {
	for i := range sanctions {
		s := &sanctions[i]
		if s.ReverseTime.Time.IsZero() {
			standing = s
		} else if s.ReverseTime.Time.After(lastReversal) {
			lastReversal = s.ReverseTime.Time
		}
	}
	return standing, lastReversal
}

// ClimbLadder counts the classifier's failed referee tests since the
// latest reversal and, when the policy puts them on a higher step than the
// one they stand on, records that step (the claim whose referee test took
// them there named with it). It returns the audit event of the step, or
// none. It runs inside the transaction that decided the claim.
func ClimbLadder(ctx context.Context, tx *store.Tx, classifierID, associationID, claimID string) ([]Event, error) {
	sanctions, err := tx.Sanctions(ctx, classifierID)
	if err != nil {
		return nil, err
	}
	standing, since := StandingSanction(sanctions)
	failed, err := tx.FailedRefereeTests(ctx, classifierID, since)
	if err != nil {
		return nil, err
	}
	target := Ladder.StepFor(failed)
	current := consistency.NoSanction
	if standing != nil {
		current = consistency.SanctionStep(standing.Step)
	}
	if target.Rank() <= current.Rank() {
		return nil, nil
	}
	s := store.Sanction{ClassifierID: classifierID, AssociationID: associationID, Step: string(target), FailedTests: int64(failed),
		ClaimID: sql.NullString{String: claimID, Valid: claimID != ""}}
	if err := tx.AddSanction(ctx, &s); err != nil {
		return nil, err
	}
	return []Event{{Resource: ClassifierRecordName(associationID, classifierID), Action: "sanction_" + string(target)}}, nil
}

// ClassifierRecordName is the resource name of a classifier's record.
func ClassifierRecordName(associationID, classifierID string) string {
	return "associations/" + associationID + "/classifiers/" + classifierID + "/record"
}

// Suspended reports whether the classifier stands on the SUSPENDED step.
func Suspended(ctx context.Context, tx *store.Tx, classifierID string) (bool, error) {
	sanctions, err := tx.Sanctions(ctx, classifierID)
	if err != nil {
		return false, err
	}
	standing, _ := StandingSanction(sanctions)
	return standing != nil && standing.Step == string(consistency.Suspended), nil
}

// ErrSuspended is the refusal of a lot declared by a suspended classifier
// without a measurement.
func ErrSuspended(classifier string) error {
	return millwa.Reasonf(millwa.FailedPrecondition, "CLASSIFIER_SUSPENDED",
		"%s is suspended on the sanctions ladder: a lot they declare needs a measured sample to be listed", classifier)
}
