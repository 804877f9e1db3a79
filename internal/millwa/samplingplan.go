package millwa

import "time"

// SamplingPlan is a sampling plan an agency proposed and stored: the lots
// of a region and period to check, with every input needed to re-derive
// it. A stored plan never changes.
type SamplingPlan struct {
	ID       string
	AgencyID string
	// Region is the ubigeo prefix the plan covers, as requested.
	Region string
	// StartTime and EndTime bound the period, [StartTime, EndTime).
	StartTime, EndTime time.Time
	// AsOfTime is the moment the registry was read as of.
	AsOfTime time.Time
	Seed     int64
	// Rule is the sampling rule's code, "ISO_2859_1_LEVEL_II".
	Rule        string
	LotCount    int
	SampleCount int
	// Body is what the plan chose, per classifier.
	Body       SamplingPlanBody
	CreateTime time.Time
}

// SamplingPlanBody is what a stored plan chose, kept as a JSON document
// with these tags; it is the domain's record, never the API's wire form.
type SamplingPlanBody struct {
	Classifiers []ClassifierSampleRecord `json:"classifiers"`
}

// ClassifierSampleRecord is one classifier's part of a stored plan.
type ClassifierSampleRecord struct {
	AssociationID   string `json:"association_id"`
	ClassifierID    string `json:"classifier_id"`
	DisplayName     string `json:"display_name"`
	AssociationName string `json:"association_name"`
	LotCount        int    `json:"lot_count"`
	// Severity is the inspection severity's code: NORMAL, TIGHTENED or
	// REDUCED.
	Severity     string   `json:"severity"`
	RecentChecks int      `json:"recent_checks"`
	RecentKappa  *float64 `json:"recent_weighted_kappa,omitempty"`
	SampleSize   int      `json:"sample_size"`
	// Lots are the lots chosen, ordered by name.
	Lots []SampledLot `json:"lots"`
	// ReasonEN and ReasonES say why this severity and size.
	ReasonEN string `json:"reason_en"`
	ReasonES string `json:"reason_es"`
}

// SampledLot is a lot a plan chose, by id and by the number on its bales.
type SampledLot struct {
	AssociationID string `json:"association_id"`
	ID            string `json:"id"`
	LotNumber     string `json:"lot_number"`
}
