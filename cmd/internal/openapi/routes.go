package main

import (
	"strings"

	"github.com/getkin/kin-openapi/openapi3"
)

// route is one of the gateway's hand-written routes, which no HTTP rule
// describes: the printable pages, the report's other forms, the event
// stream and the documents themselves.
type route struct {
	path, operationID, summary, description string
	tag                                     string
	// like is the generated GET operation whose parameters the route
	// takes ("" for none besides the path's).
	like string
	// contentTypes are the media types of a 200 answer, each with its
	// schema (a string for files and pages).
	contentTypes []string
	public       bool
}

var routes = []route{
	{path: "/v1/associations/{association}/lots/{lot}/label.pdf", operationID: "RegistryService_GetLotLabelPdf", tag: "RegistryService",
		summary: "A lot's label, as PDF", description: "The printable label of GetLotLabel (LotLabel.pdf_path), to stick on the bale; same access as GetLotLabel.",
		contentTypes: []string{"application/pdf"}},
	{path: "/v1/associations/{association}/lots/{lot}/label.svg", operationID: "RegistryService_GetLotLabelSvg", tag: "RegistryService",
		summary: "A lot's label, as SVG", description: "The label of GetLotLabel (LotLabel.svg_path) as an SVG image; same access as GetLotLabel.",
		contentTypes: []string{"image/svg+xml"}},
	{path: "/v1/associations/{association}/lots:labels.pdf", operationID: "RegistryService_BatchGetLotLabelsPdf", tag: "RegistryService",
		summary: "Labels of many lots, as one PDF",
		description: "One PDF with a page per lot, for lots named by `names` (repeated) or matched by `filter` (the syntax of ListLots). " +
			"Each lot counts as one GetLotLabel call against the key's rate limit.",
		contentTypes: []string{"application/pdf"}},
	{path: "/v1/associations/{association}/receipts/{receipt}/slip.pdf", operationID: "RegistryService_GetReceiptSlipPdf", tag: "RegistryService",
		summary: "A receipt's slip, as PDF", description: "The slip for the member to keep (Receipt.slip_pdf_path); same access as GetReceipt.",
		contentTypes: []string{"application/pdf"}},
	{path: "/v1/associations/{association}/receipts/{receipt}/slip.svg", operationID: "RegistryService_GetReceiptSlipSvg", tag: "RegistryService",
		summary: "A receipt's slip, as SVG", description: "The slip of a receipt as an SVG image; same access as GetReceipt.",
		contentTypes: []string{"image/svg+xml"}},
	{path: "/v1/associations/{association}/members/{member}/statements/{campaign}/statement.pdf", operationID: "RegistryService_GetMemberStatementPdf", tag: "RegistryService",
		summary: "A member's statement of a campaign, as PDF", description: "The printable form of GetMemberStatement; same access.",
		contentTypes: []string{"application/pdf"}},
	{path: "/v1/associations/{association}/members/{member}/statements/{campaign}/statement.svg", operationID: "RegistryService_GetMemberStatementSvg", tag: "RegistryService",
		summary: "A member's statement of a campaign, as SVG", description: "The statement of GetMemberStatement as an SVG image; same access.",
		contentTypes: []string{"image/svg+xml"}},
	{path: "/v1/audit/consistencyReport.html", operationID: "AuditService_GetConsistencyReportHtml", tag: "AuditService", like: "AuditService_GetConsistencyReport",
		summary: "The consistency report, as a page", description: "GetConsistencyReport as a printable HTML page; the same query parameters and access.",
		contentTypes: []string{"text/html"}},
	{path: "/v1/audit/consistencyReport.csv", operationID: "AuditService_GetConsistencyReportCsv", tag: "AuditService", like: "AuditService_GetConsistencyReport",
		summary: "The consistency report, as CSV", description: "GetConsistencyReport as a spreadsheet, one row per classifier; the same query parameters and access.",
		contentTypes: []string{"text/csv"}},
	{path: "/v1/observatory/series.csv", operationID: "ObservatoryService_ListPriceSeriesCsv", tag: "ObservatoryService", like: "ObservatoryService_ListPriceSeries", public: true,
		summary: "The price series, as CSV for open-data portals",
		description: "ListPriceSeries as CSV: two comment lines starting `#` (the licence, CC BY 4.0, and the disclosure rule), a header row, " +
			"a row per published week of each series (source `traded`) and per surveyed week (source `surveyed_farm_gate` or `surveyed_intermediary`). " +
			"Columns: week, week_start_date, region, region_name, quality_group, colour, source, currency, price_per_kg, price_per_lb, price_per_quintal, " +
			"low_per_kg, high_per_kg, traded_kg, trade_count, association_count, observation_count; prices in the major unit with a decimal point. " +
			"The same query parameters as ListPriceSeries, and `lang` (es, the default, or en) for the comment lines. No key needed.",
		contentTypes: []string{"text/csv"}},
	{path: "/v1/observatory/series.svg", operationID: "ObservatoryService_ListPriceSeriesSvg", tag: "ObservatoryService", like: "ObservatoryService_ListPriceSeries", public: true,
		summary: "The price series, as an SVG chart",
		description: "ListPriceSeries drawn on the server: a line per series (up to six), surveyed prices dashed. The same query parameters, " +
			"`lang` (es, the default, or en; else Accept-Language) and `unit` (kg, the default, lb or quintal). No key needed.",
		contentTypes: []string{"image/svg+xml"}},
	{path: "/v1/observatory/index.svg", operationID: "ObservatoryService_GetPriceIndexSvg", tag: "ObservatoryService", like: "ObservatoryService_GetPriceIndex", public: true,
		summary:      "The Indicador Alpaca, as an SVG chart",
		description:  "GetPriceIndex drawn on the server. The same query parameters and `lang` (es, the default, or en; else Accept-Language). No key needed.",
		contentTypes: []string{"image/svg+xml"}},
	{path: "/v1/market/events", operationID: "MarketService_WatchMarketEvents", tag: "MarketService", like: "",
		summary: "Follow the market, as server-sent events",
		description: "The events of MarketService.WatchMarket as `text/event-stream`: one event per MarketEvent, with its id as the SSE id, " +
			"its type as the event name and the MarketEvent as JSON data. Resume with the `Last-Event-ID` header (browsers' EventSource sends it) " +
			"or `afterEventId`; `eventTypes` (repeated) narrows the types. An error after the first event is an event named `error` " +
			"whose data is a google.rpc.Status; a resumable one also sets the retry delay.",
		contentTypes: []string{"text/event-stream"}},
	{path: "/openapi.json", operationID: "GetOpenApiDocument", tag: "Documents", public: true,
		summary: "This document", description: "The OpenAPI 3.1 document of the REST API; info.version is the server's build.",
		contentTypes: []string{"application/json"}},
	{path: "/openapi.v2.json", operationID: "GetSwaggerDocument", tag: "Documents", public: true,
		summary: "The Swagger 2.0 document", description: "The same API as written by protoc-gen-openapiv2 (Swagger 2.0), for tools that read only that.",
		contentTypes: []string{"application/json"}},
	{path: "/healthz", operationID: "GetHealth", tag: "Documents", public: true,
		summary: "Readiness", description: "`ok` when the server can answer; 503 with the reason otherwise.",
		contentTypes: []string{"text/plain"}},
}

// eventsQuery are the query parameters of the event stream.
var eventsQuery = []*openapi3.Parameter{
	{Name: "afterEventId", In: "query", Description: "Resume after this event id (the Last-Event-ID header does the same).",
		Schema: openapi3.NewStringSchema().NewRef()},
	{Name: "eventTypes", In: "query", Description: "Event types to receive (repeated); empty means every type.",
		Schema: openapi3.NewArraySchema().WithItems(openapi3.NewStringSchema()).NewRef(), Style: "form", Explode: openapi3.Ptr(true)},
}

// langQuery and unitQuery are the observatory documents' own parameters.
var (
	langQuery = &openapi3.Parameter{Name: "lang", In: "query", Description: "Language: es (Spanish, the default) or en; without it, Accept-Language.",
		Schema: openapi3.NewStringSchema().WithEnum("es", "en").NewRef()}
	unitQuery = &openapi3.Parameter{Name: "unit", In: "query", Description: "Weight unit of the prices drawn: kg (the default), lb (0.45359237 kg) or quintal (100 lb).",
		Schema: openapi3.NewStringSchema().WithEnum("kg", "lb", "quintal").NewRef()}
)

// batchLabelsQuery are the query parameters of the batch labels route.
var batchLabelsQuery = []*openapi3.Parameter{
	{Name: "names", In: "query", Description: "Resource names of the lots (repeated), each under the association of the path.",
		Schema: openapi3.NewArraySchema().WithItems(openapi3.NewStringSchema()).NewRef(), Style: "form", Explode: openapi3.Ptr(true)},
	{Name: "filter", In: "query", Description: "A ListLots filter choosing the lots, when names is empty.",
		Schema: openapi3.NewStringSchema().NewRef()},
}

// addRoutes adds the hand-written routes to the document.
func addRoutes(doc *openapi3.T) {
	ops := map[string]*openapi3.Operation{}
	for _, item := range doc.Paths.Map() {
		for _, op := range item.Operations() {
			ops[op.OperationID] = op
		}
	}
	for _, r := range routes {
		op := openapi3.NewOperation()
		op.OperationID, op.Summary, op.Description, op.Tags = r.operationID, r.summary, r.description, []string{r.tag}
		for _, name := range pathParameters(r.path) {
			op.AddParameter(&openapi3.Parameter{Name: name, In: "path", Required: true, Schema: openapi3.NewStringSchema().NewRef()})
		}
		if like := ops[r.like]; like != nil {
			for _, p := range like.Parameters {
				if p.Value.In != "path" {
					op.Parameters = append(op.Parameters, p)
				}
			}
		}
		switch r.operationID {
		case "MarketService_WatchMarketEvents":
			for _, p := range eventsQuery {
				op.AddParameter(p)
			}
		case "RegistryService_BatchGetLotLabelsPdf":
			for _, p := range batchLabelsQuery {
				op.AddParameter(p)
			}
		case "ObservatoryService_ListPriceSeriesCsv", "ObservatoryService_GetPriceIndexSvg":
			op.AddParameter(langQuery)
		case "ObservatoryService_ListPriceSeriesSvg":
			op.AddParameter(langQuery)
			op.AddParameter(unitQuery)
		}
		content := openapi3.NewContent()
		for _, ct := range r.contentTypes {
			schema := openapi3.NewStringSchema()
			if ct == "application/json" {
				schema = openapi3.NewObjectSchema()
			}
			content[ct] = openapi3.NewMediaType().WithSchema(schema)
		}
		op.Responses = openapi3.NewResponses()
		op.Responses.Set("200", &openapi3.ResponseRef{Value: openapi3.NewResponse().WithDescription("OK").WithContent(content)})
		if r.public {
			op.Security = &openapi3.SecurityRequirements{}
		}
		if r.operationID == "GetHealth" {
			op.Responses.Set("503", &openapi3.ResponseRef{Value: openapi3.NewResponse().
				WithDescription("Not serving, with the reason as text.").
				WithContent(openapi3.Content{"text/plain": openapi3.NewMediaType().WithSchema(openapi3.NewStringSchema())})})
		}
		op.Responses.Set("default", &openapi3.ResponseRef{Value: openapi3.NewResponse().
			WithDescription("An error, as google.rpc.Status JSON with the HTTP code of its gRPC code.").
			WithJSONSchemaRef(openapi3.NewSchemaRef("#/components/schemas/rpcStatus", nil))})
		doc.AddOperation(r.path, "GET", op)
	}
}

// pathParameters are the names of a path template's parameters, in order.
func pathParameters(path string) []string {
	var names []string
	for {
		_, rest, ok := strings.Cut(path, "{")
		if !ok {
			return names
		}
		name, after, _ := strings.Cut(rest, "}")
		names = append(names, name)
		path = after
	}
}
