package grading

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
)

// The grade record is how a Grade is kept with a lot or a check grading
// (the grading_detail column). It is a document of Millwa's own, with JSON
// keys fixed here, so that renaming anything in the API or in Grade cannot
// change what stored rows mean. The keys are those the API's Grade message
// had in JSON when grades were first stored, so rows written then read the
// same: the standard may carry its "standards/" prefix and the fibre count
// is a JSON string, as protobuf's JSON mapping writes int64 values.

// recordDoc is the stored form of a Grade.
type recordDoc struct {
	Standard         string      `json:"standard"`
	QualityGroup     string      `json:"qualityGroup"`
	QualityGroupName Text        `json:"qualityGroupName"`
	Metrics          *metricsDoc `json:"metrics,omitempty"`
	Borderline       bool        `json:"borderline,omitempty"`
	Alternatives     []string    `json:"alternatives,omitempty"`
	Explanation      Text        `json:"explanation"`
	// Written only when set, so that records of grades in scale, without
	// length classes or test method, read as they always did.
	OutOfScale  OutOfScale `json:"outOfScale,omitempty"`
	LengthClass string     `json:"lengthClass,omitempty"`
	ToleranceUm *float64   `json:"toleranceUm,omitempty"`
}

// metricsDoc is the stored form of Metrics, field for field (so that
// each converts to the other). The fibre count is a JSON string, as
// protobuf's JSON mapping writes an int64 and the first rows hold it.
type metricsDoc struct {
	MeanFiberDiameterUm  float64  `json:"meanFiberDiameterUm,omitempty"`
	SDUm                 *float64 `json:"sdUm,omitempty"`
	CVPercent            *float64 `json:"cvPercent,omitempty"`
	ComfortFactorPercent *float64 `json:"comfortFactorPercent,omitempty"`
	SpinningFinenessUm   *float64 `json:"spinningFinenessUm,omitempty"`
	FibersMeasured       *int64   `json:"fibersMeasured,omitempty,string"`
	MFDCI95LowUm         *float64 `json:"mfdCi95LowUm,omitempty"`
	MFDCI95HighUm        *float64 `json:"mfdCi95HighUm,omitempty"`
}

// EncodeRecord is the stored form of g.
func EncodeRecord(g Grade) ([]byte, error) {
	doc := recordDoc{
		Standard: g.Standard, QualityGroup: g.QualityGroup, QualityGroupName: g.QualityGroupName,
		Borderline: g.Borderline, Alternatives: g.Alternatives, Explanation: g.Explanation,
		OutOfScale: g.OutOfScale, LengthClass: g.LengthClass, ToleranceUm: g.ToleranceUm,
	}
	m := metricsDoc(g.Metrics)
	doc.Metrics = &m
	return json.Marshal(doc)
}

// ErrBadRecord is wrapped by the errors of DecodeRecord.
var ErrBadRecord = errors.New("malformed grade record")

// DecodeRecord reads a grade stored by EncodeRecord (or by the API's JSON
// of a Grade, as the first rows were). A record that is not JSON, has a
// key this package does not know, or lacks the standard or the quality
// group is an error wrapping ErrBadRecord: a stored grade is never read as
// an empty one.
//
// A record as EncodeRecord writes it is read by a hand-written parser,
// since a stored grade is decoded on every read of a lot; anything that
// parser is not sure of (escapes in strings, keys in another case, a
// repeated key, null, malformed input) is left to encoding/json, which
// decides.
func DecodeRecord(b []byte) (Grade, error) {
	if g, ok := decodeFast(b); ok {
		return g, nil
	}
	return decodeJSON(b)
}

// decodeJSON is DecodeRecord by encoding/json.
func decodeJSON(b []byte) (Grade, error) {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	var doc recordDoc
	if err := dec.Decode(&doc); err != nil {
		return Grade{}, fmt.Errorf("%w: %v", ErrBadRecord, err)
	}
	if dec.More() {
		return Grade{}, fmt.Errorf("%w: data after the record", ErrBadRecord)
	}
	doc.Standard = strings.TrimPrefix(doc.Standard, "standards/")
	if doc.Standard == "" || doc.QualityGroup == "" {
		return Grade{}, fmt.Errorf("%w: it names no standard or no quality group", ErrBadRecord)
	}
	g := Grade{
		Standard: doc.Standard, QualityGroup: doc.QualityGroup, QualityGroupName: doc.QualityGroupName,
		Borderline: doc.Borderline, Alternatives: doc.Alternatives, Explanation: doc.Explanation,
		OutOfScale: doc.OutOfScale, LengthClass: doc.LengthClass, ToleranceUm: doc.ToleranceUm,
	}
	if doc.Metrics != nil {
		g.Metrics = Metrics(*doc.Metrics)
	}
	return g, nil
}
