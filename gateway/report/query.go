package report

import (
	"fmt"
	"net/url"
	"strconv"
	"strings"

	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/protobuf/types/known/timestamppb"

	millwav1 "github.com/millwa/millwa/proto/millwa/v1"
)

// reportParam is one query parameter of the report routes: its name in
// the JSON route's camelCase, the proto field name (which grpc-gateway
// accepts too, and which errors name) and how it sets the request.
type reportParam struct {
	name, field string
	set         func(req *millwav1.GetConsistencyReportRequest, v string) string // a violation's description, or ""
}

var reportParams = []reportParam{
	{"region", "region", func(req *millwav1.GetConsistencyReportRequest, v string) string {
		req.Scope = &millwav1.GetConsistencyReportRequest_Region{Region: v}
		return ""
	}},
	{"association", "association", func(req *millwav1.GetConsistencyReportRequest, v string) string {
		req.Scope = &millwav1.GetConsistencyReportRequest_Association{Association: v}
		return ""
	}},
	{"classifier", "classifier", func(req *millwav1.GetConsistencyReportRequest, v string) string {
		req.Scope = &millwav1.GetConsistencyReportRequest_Classifier{Classifier: v}
		return ""
	}},
	{"startTime", "start_time", func(req *millwav1.GetConsistencyReportRequest, v string) string {
		t, msg := parseReportTime(v)
		req.StartTime = t
		return msg
	}},
	{"endTime", "end_time", func(req *millwav1.GetConsistencyReportRequest, v string) string {
		t, msg := parseReportTime(v)
		req.EndTime = t
		return msg
	}},
	{"standard", "standard", func(req *millwav1.GetConsistencyReportRequest, v string) string {
		req.Standard = v
		return ""
	}},
	{"kappaThreshold", "kappa_threshold", func(req *millwav1.GetConsistencyReportRequest, v string) string {
		f, err := strconv.ParseFloat(v, 64)
		if err != nil {
			return fmt.Sprintf("kappaThreshold %q is not a number such as 0.6", v)
		}
		req.KappaThreshold = &f
		return ""
	}},
}

// parseReportTime reads a timestamp as the JSON route does: RFC 3339 or a
// date in Lima.
func parseReportTime(v string) (*timestamppb.Timestamp, string) {
	t, err := ParseTime(v)
	if err != nil {
		return nil, fmt.Sprintf("%q is not %s", v, TimeFormats)
	}
	return timestamppb.New(t), ""
}

// ParseQuery reads the request and the language of a report route.
// It checks only what the request message cannot carry (a value that is
// not a time or a number, two scopes, a parameter given twice, an unknown
// language) and leaves the rest, a missing scope or period included, to
// GetConsistencyReport, so that both routes answer the same request the
// same way. Unknown parameters are ignored, as on the JSON route.
func ParseQuery(q url.Values, acceptLanguage string) (*millwav1.GetConsistencyReportRequest, *Language, []*errdetails.BadRequest_FieldViolation) {
	req := &millwav1.GetConsistencyReportRequest{}
	var vs []*errdetails.BadRequest_FieldViolation
	add := func(field, desc string) {
		vs = append(vs, &errdetails.BadRequest_FieldViolation{Field: field, Description: desc})
	}
	var scopes []string
	for _, p := range reportParams {
		values := append(append([]string(nil), q[p.name]...), q[p.field]...)
		if p.name == p.field {
			values = q[p.name]
		}
		switch {
		case len(values) == 0:
			continue
		case len(values) > 1:
			add(p.field, fmt.Sprintf("%s is given %d times: give it once", p.name, len(values)))
			continue
		}
		if p.field == "region" || p.field == "association" || p.field == "classifier" {
			scopes = append(scopes, p.name)
		}
		if msg := p.set(req, values[0]); msg != "" {
			add(p.field, msg)
		}
	}
	if len(scopes) > 1 {
		add("scope", "give one of region, association or classifier, not "+strings.Join(scopes, " and "))
	}
	lang := langFromAcceptLanguage(acceptLanguage)
	switch values := q["lang"]; {
	case len(values) > 1:
		add("lang", fmt.Sprintf("lang is given %d times: give it once", len(values)))
	case len(values) == 1:
		l, ok := langByTag(values[0])
		if !ok {
			add("lang", fmt.Sprintf("lang %q is not one of es (Spanish, the default) or en (English)", values[0]))
		}
		lang = l
	}
	return req, lang, vs
}
