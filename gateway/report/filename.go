package report

import (
	"strings"

	"google.golang.org/protobuf/types/known/timestamppb"

	millwav1 "github.com/millwa/millwa/proto/millwa/v1"
)

// scopeCode is the code of what a report covers: the region's ubigeo, the
// association's or the classifier's resource name; "" for none.
func scopeCode(r *millwav1.ConsistencyReport) string {
	switch s := r.GetScope().(type) {
	case *millwav1.ConsistencyReport_Region:
		return s.Region
	case *millwav1.ConsistencyReport_Association:
		return s.Association
	case *millwav1.ConsistencyReport_Classifier:
		return s.Classifier
	}
	return ""
}

// FileName is the name a report is saved under: the language's word
// for the report, the scope and the period, in characters every file
// system takes.
func FileName(r *millwav1.ConsistencyReport, l *Language, ext string) string {
	scope := scopeCode(r)
	if _, ok := r.GetScope().(*millwav1.ConsistencyReport_Region); ok {
		scope = "region-" + scope
	}
	parts := []string{l.text.FileName}
	if scope != "" {
		parts = append(parts, scope)
	}
	for _, ts := range []*timestamppb.Timestamp{r.GetStartTime(), r.GetEndTime()} {
		if ts != nil {
			parts = append(parts, ts.AsTime().UTC().Format("2006-01-02"))
		}
	}
	var b strings.Builder
	for _, c := range strings.Join(parts, "_") {
		switch {
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9', c == '_', c == '-':
			b.WriteRune(c)
		default:
			b.WriteByte('-')
		}
		if b.Len() >= 120 {
			break
		}
	}
	return b.String() + "." + ext
}
