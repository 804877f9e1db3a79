package gateway

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"net/url"

	"github.com/grpc-ecosystem/grpc-gateway/v2/runtime"
	"github.com/grpc-ecosystem/grpc-gateway/v2/utilities"
	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"

	"github.com/millwa/millwa/gateway/observatory"
	millwav1 "github.com/millwa/millwa/proto/millwa/v1"
)

// The JSON routes of the observatory, whose query parameters the
// observatory's documents take.
const (
	PriceIndexPath  = "/v1/observatory/index"
	PriceSeriesPath = "/v1/observatory/series"
)

// registerObservatory serves the public observatory's documents:
// /v1/observatory/series.csv (ListPriceSeries as CSV for open-data
// portals), /v1/observatory/series.svg and /v1/observatory/index.svg
// (charts drawn here, to embed in any page). Each takes the query
// parameters of its JSON route, plus lang ("es", the default, or "en"; or
// Accept-Language) and, for series.svg, unit ("kg", the default, "lb" or
// "quintal"); it calls the RPC over conn as the generated routes do, so
// the same policy (public) and rate limit apply.
func registerObservatory(root *http.ServeMux, mux *runtime.ServeMux, conn *grpc.ClientConn) {
	client := millwav1.NewObservatoryServiceClient(conn)
	const seriesMethod = "/millwa.v1.ObservatoryService/ListPriceSeries"
	const indexMethod = "/millwa.v1.ObservatoryService/GetPriceIndex"
	root.Handle("GET "+PriceSeriesPath+".csv", timeQuery(observatoryRoute(mux, seriesMethod, PriceSeriesPath+".csv", false,
		func(ctx context.Context, req *millwav1.ListPriceSeriesRequest) (*millwav1.ListPriceSeriesResponse, error) {
			return client.ListPriceSeries(ctx, req)
		},
		func(resp *millwav1.ListPriceSeriesResponse, _ string, l *observatory.Language) (document, error) {
			var b bytes.Buffer
			err := observatory.SeriesCSV(&b, resp, l)
			return document{body: b.Bytes(), contentType: "text/csv; charset=utf-8", disposition: "attachment",
				fileName: "millwa-series-" + resp.GetCurrencyCode() + ".csv"}, err
		})))
	root.Handle("GET "+PriceSeriesPath+".svg", timeQuery(observatoryRoute(mux, seriesMethod, PriceSeriesPath+".svg", true,
		func(ctx context.Context, req *millwav1.ListPriceSeriesRequest) (*millwav1.ListPriceSeriesResponse, error) {
			return client.ListPriceSeries(ctx, req)
		},
		func(resp *millwav1.ListPriceSeriesResponse, unit string, l *observatory.Language) (document, error) {
			var b bytes.Buffer
			err := observatory.SeriesSVG(&b, resp, unit, l)
			return svgDocument(b.Bytes(), "millwa-series.svg"), err
		})))
	root.Handle("GET "+PriceIndexPath+".svg", timeQuery(observatoryRoute(mux, indexMethod, PriceIndexPath+".svg", false,
		func(ctx context.Context, req *millwav1.GetPriceIndexRequest) (*millwav1.GetPriceIndexResponse, error) {
			return client.GetPriceIndex(ctx, req)
		},
		func(resp *millwav1.GetPriceIndexResponse, _ string, l *observatory.Language) (document, error) {
			var b bytes.Buffer
			err := observatory.IndexSVG(&b, resp, l)
			return svgDocument(b.Bytes(), "indicador-alpaca.svg"), err
		})))
}

// svgDocument is a chart to show inline.
func svgDocument(body []byte, name string) document {
	return document{body: body, contentType: "image/svg+xml; charset=utf-8", disposition: "inline", fileName: name,
		csp: "default-src 'none'; style-src 'unsafe-inline'"}
}

// observatoryRoute is the handler of one observatory document: it reads
// lang (and unit, when withUnit) and then the request message from the
// rest of the query, calls the RPC, and renders the answer.
func observatoryRoute[Req interface {
	proto.Message
	*R
}, R any, Resp any](mux *runtime.ServeMux, method, pattern string, withUnit bool,
	call func(context.Context, Req) (Resp, error),
	render func(Resp, string, *observatory.Language) (document, error)) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		q := r.URL.Query()
		lang := observatory.LangFromAcceptLanguage(r.Header.Get("Accept-Language"))
		var vs []*errdetails.BadRequest_FieldViolation
		if values, ok := q["lang"]; ok {
			l, known := observatory.LangByTag(values[0])
			if !known || len(values) > 1 {
				vs = append(vs, &errdetails.BadRequest_FieldViolation{Field: "lang",
					Description: fmt.Sprintf("lang %q is not one of es (Spanish, the default) or en (English)", values[0])})
			}
			lang = l
		}
		unit := "kg"
		if values, ok := q["unit"]; ok && withUnit {
			unit = values[0]
			if len(values) > 1 || unit != "kg" && unit != "lb" && unit != "quintal" {
				vs = append(vs, &errdetails.BadRequest_FieldViolation{Field: "unit",
					Description: fmt.Sprintf("unit %q is not one of kg (the default), lb or quintal", unit)})
			}
			delete(q, "unit")
		}
		delete(q, "lang")
		if len(vs) > 0 {
			writeStatus(w, r, http.StatusBadRequest, invalidQuery(vs))
			return
		}
		req := Req(new(R))
		if err := runtime.PopulateQueryParameters(req, url.Values(q), utilities.NewDoubleArray(nil)); err != nil {
			errorHandler(r.Context(), mux, nil, w, r, status.Errorf(codes.InvalidArgument, "%v", err))
			return
		}
		resp, ok := callForRoute(w, r, mux, method, pattern, func(ctx context.Context) (Resp, error) { return call(ctx, req) })
		if !ok {
			return
		}
		doc, err := render(resp, unit, lang)
		if err != nil {
			writeStatus(w, r, http.StatusInternalServerError, status.New(codes.Internal,
				"internal error: the observatory's document could not be rendered"))
			return
		}
		w.Header().Set("Content-Language", lang.Code())
		w.Header().Set("Vary", "Accept-Language")
		writeDocument(w, r, doc)
	})
}
