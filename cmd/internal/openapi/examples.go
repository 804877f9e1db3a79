package main

import "github.com/getkin/kin-openapi/openapi3"

// example is a request and answer of one operation, shown in the document.
type example struct {
	summary           string
	request, response any
}

var lotExample = map[string]any{
	"name":                 "associations/0190f3a2-7c1e-7d4b-9a35-1f2e3d4c5b6a/lots/0190f3a4-1b2c-7e8f-8a9b-0c1d2e3f4a5b",
	"standard":             "standards/pe-ntp-231-301-2014",
	"campaign":             2026,
	"breed":                "HUACAYA",
	"colour":               "WHITE",
	"declaredQualityGroup": "BABY",
	"classifier":           "associations/0190f3a2-7c1e-7d4b-9a35-1f2e3d4c5b6a/classifiers/0190f3a3-5d6e-7f80-9a1b-2c3d4e5f6a7b",
	"netWeightGrams":       "46000",
	"askPricePerKg":        "3850",
	"currencyCode":         "PEN",
	"lotNumber":            "2026-0042",
	"state":                "LOT_STATE_AVAILABLE",
	"allocatedGrams":       "0",
	"createTime":           "2026-05-04T14:03:00Z",
}

var purchaseOrderExample = map[string]any{
	"name":                  "processors/0190f3b0-2d3e-7f40-8152-63748596a7b8/purchaseOrders/0190f3b1-aa11-7b22-8c33-d44e55f66a77",
	"standard":              "standards/pe-ntp-231-301-2014",
	"acceptedQualityGroups": []string{"BABY", "FLEECE"},
	"acceptedColours":       []string{"WHITE"},
	"quantityGrams":         "500000",
	"minLotGrams":           "20000",
	"bidPricePerKg":         "4100",
	"currencyCode":          "PEN",
	"expireTime":            "2026-08-31T23:59:59Z",
	"state":                 "PURCHASE_ORDER_STATE_OPEN",
	"filledGrams":           "0",
}

// examples are keyed by operation id: the main operations of the API.
var examples = map[string]example{
	"RegistryService_CreateLot": {
		summary: "A lot of white Huacaya baby fibre, 46 kg at 38.50 PEN per kg",
		request: map[string]any{
			"standard": "standards/pe-ntp-231-301-2014", "campaign": 2026, "breed": "HUACAYA", "colour": "WHITE",
			"declaredQualityGroup": "BABY", "netWeightGrams": "46000", "askPricePerKg": "3850", "currencyCode": "PEN",
			"classifier": "associations/0190f3a2-7c1e-7d4b-9a35-1f2e3d4c5b6a/classifiers/0190f3a3-5d6e-7f80-9a1b-2c3d4e5f6a7b",
		},
		response: lotExample,
	},
	"RegistryService_ListLots": {
		summary:  "A page of one lot",
		response: map[string]any{"lots": []any{lotExample}, "nextPageToken": ""},
	},
	"MarketService_CreatePurchaseOrder": {
		summary: "500 kg of white baby or fleece fibre at 41.00 PEN per kg",
		request: map[string]any{
			"standard": "standards/pe-ntp-231-301-2014", "acceptedQualityGroups": []string{"BABY", "FLEECE"},
			"acceptedColours": []string{"WHITE"}, "quantityGrams": "500000", "minLotGrams": "20000",
			"bidPricePerKg": "4100", "currencyCode": "PEN", "expireTime": "2026-08-31T23:59:59Z",
		},
		response: purchaseOrderExample,
	},
	"GradingService_GradeSample": {
		summary: "A sample of 22.4 µm mean diameter",
		request: map[string]any{"sample": map[string]any{
			"breed": "HUACAYA", "meanFiberDiameterUm": 22.4, "sdUm": 4.1, "fibersMeasured": "2000", "stapleLengthMm": 82,
		}},
		response: map[string]any{
			"qualityGroup":     "BABY",
			"qualityGroupName": map[string]any{"es": "Alpaca Baby", "en": "Alpaca Baby"},
			"borderline":       false,
			"standard":         "standards/pe-ntp-231-301-2014",
		},
	},
}

// addExamples puts each example on its operation's JSON request body and
// 200 answer.
func addExamples(doc *openapi3.T) {
	for _, item := range doc.Paths.Map() {
		for _, op := range item.Operations() {
			ex, ok := examples[op.OperationID]
			if !ok {
				continue
			}
			if ex.request != nil && op.RequestBody != nil && op.RequestBody.Value != nil {
				if mt := op.RequestBody.Value.Content.Get("application/json"); mt != nil {
					mt.Examples = openapi3.Examples{"example": {Value: &openapi3.Example{Summary: ex.summary, Value: ex.request}}}
				}
			}
			if r := op.Responses.Status(200); r != nil && r.Value != nil {
				if mt := r.Value.Content.Get("application/json"); mt != nil {
					mt.Examples = openapi3.Examples{"example": {Value: &openapi3.Example{Summary: ex.summary, Value: ex.response}}}
				}
			}
		}
	}
}
