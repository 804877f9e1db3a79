package server_test

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"go.yaml.in/yaml/v3"
	"google.golang.org/grpc/codes"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/reflect/protoregistry"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/millwa/millwa/internal/store/storetest"
	millwav1 "github.com/millwa/millwa/proto/millwa/v1"
)

// httpRule is one rule of proto/millwa/v1/millwa_http.yaml.
type httpRule struct {
	Selector string `yaml:"selector"`
	Get      string `yaml:"get"`
	Post     string `yaml:"post"`
	Put      string `yaml:"put"`
	Patch    string `yaml:"patch"`
	Delete   string `yaml:"delete"`
	Body     string `yaml:"body"`
}

// stateChangingRoutes reads the HTTP rules and returns those whose request
// carries a request_id (AIP-155): the calls that change state and that a
// client may retry. The others (gets, lists and the pure computations such
// as :grade and :verify) take none.
func stateChangingRoutes(t *testing.T) []httpRule {
	t.Helper()
	b, err := os.ReadFile("../../proto/millwa/v1/millwa_http.yaml")
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		HTTP struct {
			Rules []httpRule `yaml:"rules"`
		} `yaml:"http"`
	}
	if err := yaml.Unmarshal(b, &doc); err != nil {
		t.Fatalf("parsing millwa_http.yaml: %v", err)
	}
	var out []httpRule
	for _, r := range doc.HTTP.Rules {
		d, err := protoregistry.GlobalFiles.FindDescriptorByName(protoreflect.FullName(r.Selector))
		if err != nil {
			t.Fatalf("rule %s names no method: %v", r.Selector, err)
		}
		if d.(protoreflect.MethodDescriptor).Input().Fields().ByName("request_id") == nil {
			continue
		}
		if r.Get != "" {
			t.Errorf("%s takes a request_id but is a GET", r.Selector)
		}
		out = append(out, r)
	}
	return out
}

// routeCall is one state-changing REST call: who makes it, its path (the
// rule's template filled in) and its JSON body without a request id.
type routeCall struct {
	secret, path string
	body         proto.Message
	// patch marks the Update RPCs (AIP-134), sent as PATCH.
	patch bool
	// del marks the Delete RPCs, sent as DELETE without a body.
	del bool
	// secretOnce marks CreateApiKey, whose retry answers
	// SECRET_SHOWN_ONCE rather than show the secret again.
	secretOnce bool
}

// restAnswer is an HTTP answer with its headers.
type restAnswer struct {
	code   int
	header http.Header
	body   []byte
}

func (ts *testServer) restWithHeaders(t *testing.T, secret, method, path, body string) restAnswer {
	t.Helper()
	req, err := http.NewRequestWithContext(t.Context(), method, ts.baseURL+path, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+secret)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return restAnswer{code: resp.StatusCode, header: resp.Header, body: b}
}

// changeCounts counts the rows of every table a state change writes to:
// each change writes an audit event, so a second change shows there even
// when it updates a row in place.
func changeCounts(t *testing.T, ts *testServer) map[string]int {
	t.Helper()
	db, _ := ts.rawDB(t) // afresh, so that events sequenced since are counted
	out := map[string]int{}
	for _, table := range []string{"audit_events", "idempotency_records", "market_events", "api_keys", "agencies",
		"check_gradings", "sampling_plans", "associations", "members", "classifiers", "lots", "processors", "purchase_orders", "trades", "payouts",
		"webhooks", "trade_claims", "classifier_sanctions", "reference_prices"} {
		var n int
		if err := db.QueryRowContext(t.Context(), "SELECT COUNT(*) FROM "+table).Scan(&n); err != nil {
			t.Fatalf("counting %s: %v", table, err)
		}
		out[table] = n
	}
	return out
}

// TestEveryStateChangingRouteHonoursQueryRequestID walks every REST route
// of the HTTP rules whose call takes a request_id, including those whose
// body is "*" (for which grpc-gateway reads no query), and retries each
// call with the same ?requestId=: the retry is answered with the first
// answer, says X-Millwa-Replayed, and changes nothing.
func TestEveryStateChangingRouteHonoursQueryRequestID(t *testing.T) {
	t.Parallel()
	storetest.ForEachDatabase(t, func(t *testing.T, dbURL string) {
		t.Parallel()
		ts := startServerWith(t, dbURL, callAuction)
		puno := ts.lotFixture(t, "210101")
		proc, procKey := ts.createProcessor(t, "040101")
		agency, agencyKey := ts.createAgency(t, "21")
		reg := millwav1.NewRegistryServiceClient(ts.dial(t, puno.secret))
		mkt := millwav1.NewMarketServiceClient(ts.conn)
		asProc := millwav1.NewMarketServiceClient(ts.dial(t, procKey))
		asPuno := millwav1.NewMarketServiceClient(ts.dial(t, puno.secret))

		newLot := func() *millwav1.Lot {
			resp, err := reg.CreateLot(t.Context(), &millwav1.CreateLotRequest{Parent: puno.assoc.GetName(), Lot: puno.lot("BABY")})
			if err != nil {
				t.Fatalf("CreateLot: %v", err)
			}
			return resp.GetLot()
		}
		newPlacedOrder := func(grams int64) *millwav1.PurchaseOrder {
			// Above newOrder's bid, so that the clearing gives the new
			// lots to this order rather than to the resting one.
			o := newOrder()
			o.QuantityGrams, o.BidPricePerKg = grams, 2600
			resp, err := asProc.CreatePurchaseOrder(t.Context(), &millwav1.CreatePurchaseOrderRequest{Parent: proc.GetName(), PurchaseOrder: o})
			if err != nil {
				t.Fatalf("CreatePurchaseOrder: %v", err)
			}
			return resp.GetPurchaseOrder()
		}
		// newTrade clears a new lot against a new order of its size and
		// returns the order's trade.
		newTrade := func() *millwav1.Trade {
			newLot()
			o := newPlacedOrder(46_000)
			if _, err := mkt.RunClearing(t.Context(), &millwav1.RunClearingRequest{}); err != nil {
				t.Fatalf("RunClearing: %v", err)
			}
			list, err := mkt.ListTrades(t.Context(), &millwav1.ListTradesRequest{Filter: `purchase_order = "` + o.GetName() + `"`})
			if err != nil || len(list.GetTrades()) != 1 {
				t.Fatalf("trades of the order: %v %v", list, err)
			}
			return list.GetTrades()[0]
		}
		confirmedTrade := func() *millwav1.Trade {
			tr := newTrade()
			for _, c := range []millwav1.MarketServiceClient{asPuno, asProc} {
				resp, err := c.ConfirmTrade(t.Context(), &millwav1.ConfirmTradeRequest{Name: tr.GetName()})
				if err != nil {
					t.Fatalf("ConfirmTrade: %v", err)
				}
				tr = resp.GetTrade()
			}
			return tr
		}
		weighed := timestamppb.New(time.Now().Add(-time.Hour))
		// against is a laboratory sample of the group newOrder accepts that
		// the trade was not sold as (BABY or FLEECE), beyond tolerance.
		against := func(tr *millwav1.Trade) *millwav1.FiberSample {
			if tr.GetQualityGroup() == "BABY" {
				return laserSample(25.0)
			}
			return laserSample(21.0)
		}
		// openClaim files a claim on a new delivered trade.
		openClaim := func() *millwav1.Claim {
			tr := confirmedTrade()
			if _, err := asProc.RecordDelivery(t.Context(), &millwav1.RecordDeliveryRequest{Name: tr.GetName(), DeliveredGrams: 46_000, WeighTime: weighed}); err != nil {
				t.Fatalf("RecordDelivery: %v", err)
			}
			resp, err := asProc.FileClaim(t.Context(), &millwav1.FileClaimRequest{Parent: tr.GetName(),
				Claim: &millwav1.Claim{Sample: against(tr), Laboratory: "Laboratorio de la planta"}})
			if err != nil {
				t.Fatalf("FileClaim: %v", err)
			}
			return resp.GetClaim()
		}
		newReceipt := func(grams int64) *millwav1.Receipt {
			resp, err := reg.CreateReceipt(t.Context(), &millwav1.CreateReceiptRequest{Parent: puno.assoc.GetName(), Receipt: receiptOf(puno, grams)})
			if err != nil {
				t.Fatalf("CreateReceipt: %v", err)
			}
			return resp.GetReceipt()
		}
		// paidFromReceipt sells a lot built from a new receipt and returns
		// its member, who is then owed money.
		paidFromReceipt := func() string {
			r := newReceipt(46_000)
			lot := puno.lot("BABY")
			// The cheapest lot on offer, so that the clearing sells it
			// first.
			lot.Contributions, lot.Sources, lot.AskPricePerKg = nil, []*millwav1.LotSource{{Receipt: r.GetName(), Grams: 46_000}}, 100
			if _, err := reg.CreateLot(t.Context(), &millwav1.CreateLotRequest{Parent: puno.assoc.GetName(), Lot: lot}); err != nil {
				t.Fatalf("CreateLot from a receipt: %v", err)
			}
			o := newPlacedOrder(46_000)
			if _, err := mkt.RunClearing(t.Context(), &millwav1.RunClearingRequest{}); err != nil {
				t.Fatalf("RunClearing: %v", err)
			}
			list, err := mkt.ListTrades(t.Context(), &millwav1.ListTradesRequest{Filter: `purchase_order = "` + o.GetName() + `"`})
			if err != nil || len(list.GetTrades()) != 1 {
				t.Fatalf("trades of the order: %v %v", list, err)
			}
			tr := list.GetTrades()[0]
			for _, c := range []millwav1.MarketServiceClient{asPuno, asProc} {
				if _, err := c.ConfirmTrade(t.Context(), &millwav1.ConfirmTradeRequest{Name: tr.GetName()}); err != nil {
					t.Fatalf("ConfirmTrade: %v", err)
				}
			}
			d, err := asProc.RecordDelivery(t.Context(), &millwav1.RecordDeliveryRequest{Name: tr.GetName(), DeliveredGrams: 46_000, WeighTime: weighed})
			if err != nil {
				t.Fatalf("RecordDelivery: %v", err)
			}
			if _, err := asProc.RecordPayment(t.Context(), &millwav1.RecordPaymentRequest{Name: tr.GetName(), PaidAmount: d.GetTrade().GetAmountDue(), PaymentReference: "BCP-ACOPIO"}); err != nil {
				t.Fatalf("RecordPayment: %v", err)
			}
			return r.GetMember()
		}

		cases := map[string]func() routeCall{
			"millwa.v1.IdentityService.CreateApiKey": func() routeCall {
				return routeCall{secret: adminSecret, path: "/v1/apiKeys", secretOnce: true,
					body: &millwav1.ApiKey{DisplayName: "retried key", Role: millwav1.Role_ROLE_ASSOCIATION, Organisation: puno.assoc.GetName()}}
			},
			"millwa.v1.IdentityService.RevokeApiKey": func() routeCall {
				name, _ := ts.createKey(t, millwav1.Role_ROLE_ASSOCIATION, puno.assoc.GetName(), false)
				return routeCall{secret: adminSecret, path: "/v1/" + name + ":revoke", body: &millwav1.RevokeApiKeyRequest{}}
			},
			"millwa.v1.AuditService.CreateAgency": func() routeCall {
				return routeCall{secret: adminSecret, path: "/v1/agencies", body: newAgency(int(fixtureN.Add(1)), "08")}
			},
			"millwa.v1.AuditService.RecordCheckGrading": func() routeCall {
				return routeCall{secret: agencyKey, path: "/v1/" + agency.GetName() + "/checkGradings",
					body: &millwav1.CheckGrading{Lot: newLot().GetName(), Sample: checkSample(21.0)}}
			},
			"millwa.v1.ObservatoryService.RecordReferencePrice": func() routeCall {
				return routeCall{secret: agencyKey, path: "/v1/" + agency.GetName() + "/referencePrices",
					body: surveyed("2026-05-04", "FLEECE", millwav1.ReferencePriceKind_REFERENCE_PRICE_KIND_FARM_GATE,
						1500, millwav1.PriceUnit_PRICE_UNIT_KILOGRAM)}
			},
			"millwa.v1.AuditService.ProposeSamplingPlan": func() routeCall {
				newLot()
				return routeCall{secret: agencyKey, path: "/v1/audit/samplingPlans:propose",
					body: &millwav1.ProposeSamplingPlanRequest{Region: "21", StartTime: timestamppb.New(time.Now().Add(-time.Hour)),
						EndTime: timestamppb.New(time.Now().Add(time.Hour)), Seed: proto.Int64(1)}}
			},
			"millwa.v1.RegistryService.CreateAssociation": func() routeCall {
				return routeCall{secret: adminSecret, path: "/v1/associations", body: newAssociation(int(fixtureN.Add(1)), "210101")}
			},
			"millwa.v1.RegistryService.CreateMember": func() routeCall {
				return routeCall{secret: adminSecret, path: "/v1/" + puno.assoc.GetName() + "/members",
					body: newMember("Socia Reintento", millwav1.Sex_SEX_FEMALE, 40)}
			},
			"millwa.v1.RegistryService.CreateClassifier": func() routeCall {
				return routeCall{secret: adminSecret, path: "/v1/" + puno.assoc.GetName() + "/classifiers", body: newClassifier("Clasificador Reintento")}
			},
			"millwa.v1.RegistryService.CreateLot": func() routeCall {
				return routeCall{secret: puno.secret, path: "/v1/" + puno.assoc.GetName() + "/lots", body: puno.lot("FLEECE")}
			},
			"millwa.v1.RegistryService.BatchCreateLots": func() routeCall {
				return routeCall{secret: puno.secret, path: "/v1/" + puno.assoc.GetName() + "/lots:batchCreate",
					body: &millwav1.BatchCreateLotsRequest{Requests: []*millwav1.CreateLotRequest{{Lot: puno.lot("BABY")}, {Lot: puno.lot("FLEECE")}}}}
			},
			"millwa.v1.RegistryService.WithdrawLot": func() routeCall {
				return routeCall{secret: puno.secret, path: "/v1/" + newLot().GetName() + ":withdraw", body: &millwav1.WithdrawLotRequest{}}
			},
			"millwa.v1.RegistryService.CreateReceipt": func() routeCall {
				return routeCall{secret: puno.secret, path: "/v1/" + puno.assoc.GetName() + "/receipts", body: receiptOf(puno, 3000)}
			},
			"millwa.v1.RegistryService.VoidReceipt": func() routeCall {
				return routeCall{secret: puno.secret, path: "/v1/" + newReceipt(3000).GetName() + ":void", body: &millwav1.VoidReceiptRequest{}}
			},
			"millwa.v1.RegistryService.RecordMemberPayment": func() routeCall {
				return routeCall{secret: puno.secret, path: "/v1/" + paidFromReceipt() + "/payments",
					body: &millwav1.MemberPayment{Campaign: 2026, Amount: 100, Method: millwav1.PaymentMethod_PAYMENT_METHOD_BANK_TRANSFER}}
			},
			"millwa.v1.RegistryService.UpdateAssociation": func() routeCall {
				return routeCall{secret: puno.secret, path: "/v1/" + puno.assoc.GetName(), patch: true,
					body: &millwav1.Association{Community: "Comunidad " + newDNI()}}
			},
			"millwa.v1.RegistryService.UpdateMember": func() routeCall {
				return routeCall{secret: puno.secret, path: "/v1/" + puno.members[1], patch: true,
					body: &millwav1.Member{HerdSize: proto.Int32(int32(fixtureN.Add(1)))}}
			},
			"millwa.v1.RegistryService.UpdateClassifier": func() routeCall {
				return routeCall{secret: puno.secret, path: "/v1/" + puno.classifier, patch: true,
					body: &millwav1.Classifier{CertificationNumber: "SINEACE-" + newDNI()}}
			},
			"millwa.v1.RegistryService.UpdateLot": func() routeCall {
				// An ask no order here bids, so that later clearings
				// leave the lot alone.
				return routeCall{secret: puno.secret, path: "/v1/" + newLot().GetName(), patch: true,
					body: &millwav1.Lot{AskPricePerKg: 9000, LotNumber: "R-" + newDNI()}}
			},
			"millwa.v1.MarketService.UpdatePurchaseOrder": func() routeCall {
				// A bid under every ask, so that later clearings leave
				// the order alone.
				return routeCall{secret: procKey, path: "/v1/" + newPlacedOrder(10_000).GetName(), patch: true,
					body: &millwav1.PurchaseOrder{BidPricePerKg: 1000}}
			},
			"millwa.v1.MarketService.CreateWebhook": func() routeCall {
				return routeCall{secret: puno.secret, path: "/v1/" + puno.assoc.GetName() + "/webhooks", body: newWebhook()}
			},
			"millwa.v1.MarketService.DeleteWebhook": func() routeCall {
				return routeCall{secret: puno.secret, path: "/v1/" + createWebhook(t, ts, puno.secret, puno.assoc.GetName(), webhookURL).GetWebhook().GetName(), del: true}
			},
			"millwa.v1.MarketService.ReplayWebhook": func() routeCall {
				return routeCall{secret: puno.secret, path: "/v1/" + createWebhook(t, ts, puno.secret, puno.assoc.GetName(), webhookURL).GetWebhook().GetName() + ":replay",
					body: &millwav1.ReplayWebhookRequest{AfterEventId: "0"}}
			},
			"millwa.v1.MarketService.CreateProcessor": func() routeCall {
				return routeCall{secret: adminSecret, path: "/v1/processors", body: newProcessor(int(fixtureN.Add(1)), "040101")}
			},
			"millwa.v1.MarketService.CreatePurchaseOrder": func() routeCall {
				return routeCall{secret: procKey, path: "/v1/" + proc.GetName() + "/purchaseOrders", body: newOrder()}
			},
			"millwa.v1.MarketService.CancelPurchaseOrder": func() routeCall {
				return routeCall{secret: procKey, path: "/v1/" + newPlacedOrder(10_000).GetName() + ":cancel", body: &millwav1.CancelPurchaseOrderRequest{}}
			},
			"millwa.v1.MarketService.RunClearing": func() routeCall {
				newLot()
				newPlacedOrder(46_000)
				return routeCall{secret: adminSecret, path: "/v1/market:clear", body: &millwav1.RunClearingRequest{}}
			},
			"millwa.v1.MarketService.ConfirmTrade": func() routeCall {
				return routeCall{secret: puno.secret, path: "/v1/" + newTrade().GetName() + ":confirm", body: &millwav1.ConfirmTradeRequest{}}
			},
			"millwa.v1.MarketService.DeclineTrade": func() routeCall {
				return routeCall{secret: puno.secret, path: "/v1/" + newTrade().GetName() + ":decline",
					body: &millwav1.DeclineTradeRequest{Reason: "sold at the fair"}}
			},
			"millwa.v1.MarketService.RecordDelivery": func() routeCall {
				return routeCall{secret: procKey, path: "/v1/" + confirmedTrade().GetName() + ":recordDelivery",
					body: &millwav1.RecordDeliveryRequest{DeliveredGrams: 45_000, WeighTime: weighed}}
			},
			"millwa.v1.MarketService.FileClaim": func() routeCall {
				tr := confirmedTrade()
				if _, err := asProc.RecordDelivery(t.Context(), &millwav1.RecordDeliveryRequest{Name: tr.GetName(), DeliveredGrams: 46_000, WeighTime: weighed}); err != nil {
					t.Fatalf("RecordDelivery: %v", err)
				}
				return routeCall{secret: procKey, path: "/v1/" + tr.GetName() + "/claims",
					body: &millwav1.Claim{Sample: against(tr), Laboratory: "Laboratorio de la planta"}}
			},
			"millwa.v1.MarketService.AcceptClaim": func() routeCall {
				return routeCall{secret: puno.secret, path: "/v1/" + openClaim().GetName() + ":accept", body: &millwav1.AcceptClaimRequest{}}
			},
			"millwa.v1.MarketService.ReferClaim": func() routeCall {
				return routeCall{secret: puno.secret, path: "/v1/" + openClaim().GetName() + ":refer", body: &millwav1.ReferClaimRequest{Reason: "our grade stands"}}
			},
			"millwa.v1.MarketService.DecideClaim": func() routeCall {
				c := openClaim()
				if _, err := asPuno.ReferClaim(t.Context(), &millwav1.ReferClaimRequest{Name: c.GetName()}); err != nil {
					t.Fatalf("ReferClaim: %v", err)
				}
				return routeCall{secret: agencyKey, path: "/v1/" + c.GetName() + ":decide",
					body: &millwav1.DecideClaimRequest{Sample: c.GetSample(), Laboratory: "Laboratorio regional"}}
			},
			"millwa.v1.RegistryService.ReverseClassifierSanction": func() routeCall {
				// Three referee tests confirm claims on puno's lots: its
				// classifier is SUSPENDED, which the agency reverses.
				for range 3 {
					c := openClaim()
					if _, err := asPuno.ReferClaim(t.Context(), &millwav1.ReferClaimRequest{Name: c.GetName()}); err != nil {
						t.Fatalf("ReferClaim: %v", err)
					}
					if _, err := millwav1.NewMarketServiceClient(ts.dial(t, agencyKey)).DecideClaim(t.Context(), &millwav1.DecideClaimRequest{
						Name: c.GetName(), Sample: c.GetSample(), Laboratory: "Laboratorio regional"}); err != nil {
						t.Fatalf("DecideClaim: %v", err)
					}
				}
				return routeCall{secret: agencyKey, path: "/v1/" + puno.classifier + "/record:reverseSanction",
					body: &millwav1.ReverseClassifierSanctionRequest{Reason: "re-trained"}}
			},
			"millwa.v1.MarketService.RecordPayment": func() routeCall {
				tr := confirmedTrade()
				resp, err := asProc.RecordDelivery(t.Context(), &millwav1.RecordDeliveryRequest{Name: tr.GetName(), DeliveredGrams: 46_000, WeighTime: weighed})
				if err != nil {
					t.Fatalf("RecordDelivery: %v", err)
				}
				return routeCall{secret: procKey, path: "/v1/" + tr.GetName() + ":recordPayment",
					body: &millwav1.RecordPaymentRequest{PaidAmount: resp.GetTrade().GetAmountDue(), PaymentReference: "BCP-RETRY"}}
			},
		}

		routes := stateChangingRoutes(t)
		var walked []string
		for _, r := range routes {
			if r.Post == "" && r.Patch == "" && r.Delete == "" {
				t.Fatalf("%s: the test knows POST, PATCH and DELETE routes only; teach it %+v", r.Selector, r)
			}
			prepare, ok := cases[r.Selector]
			if !ok {
				t.Errorf("%s (%s%s%s) changes state but the test has no call for it: add one", r.Selector, r.Post, r.Patch, r.Delete)
				continue
			}
			walked = append(walked, r.Selector)
			call := prepare()
			id := "retry-" + newID()
			path := call.path + "?requestId=" + url.QueryEscape(id)
			body := jsonBody(t, call.body)

			method := http.MethodPost
			switch {
			case call.patch:
				method = http.MethodPatch
			case call.del:
				method, body = http.MethodDelete, ""
			}
			before := changeCounts(t, ts)
			first := ts.restWithHeaders(t, call.secret, method, path, body)
			if first.code != http.StatusOK || first.header.Get("X-Millwa-Replayed") != "" {
				t.Fatalf("%s: first call HTTP %d, X-Millwa-Replayed %q: %.300s", r.Selector, first.code, first.header.Get("X-Millwa-Replayed"), first.body)
			}
			afterFirst := changeCounts(t, ts)
			if afterFirst["audit_events"] <= before["audit_events"] || afterFirst["idempotency_records"] != before["idempotency_records"]+1 {
				t.Fatalf("%s: the first call wrote %d audit events and %d request ids, want some and 1",
					r.Selector, afterFirst["audit_events"]-before["audit_events"], afterFirst["idempotency_records"]-before["idempotency_records"])
			}
			again := ts.restWithHeaders(t, call.secret, method, path, body)
			switch {
			case call.secretOnce:
				st := restError(t, r.Selector+" retried", restResult{again.code, again.body}, http.StatusBadRequest, codes.FailedPrecondition)
				if errorReason(st) != "SECRET_SHOWN_ONCE" {
					t.Errorf("%s retried: reason %q, want SECRET_SHOWN_ONCE", r.Selector, errorReason(st))
				}
			case again.code != http.StatusOK || again.header.Get("X-Millwa-Replayed") != "true":
				t.Errorf("%s retried: HTTP %d, X-Millwa-Replayed %q, want 200 and true: %.300s", r.Selector, again.code, again.header.Get("X-Millwa-Replayed"), again.body)
			case !jsonEqual(first.body, again.body):
				t.Errorf("%s retried: answer differs from the first:\n%s\n%s", r.Selector, first.body, again.body)
			}
			if diff := cmp.Diff(afterFirst, changeCounts(t, ts)); diff != "" {
				t.Errorf("%s: the retry changed state (-after the first +after the retry):\n%s", r.Selector, diff)
			}
		}
		if len(walked) < len(cases) {
			t.Errorf("walked %v, but the test has calls for %d routes: a rule is gone or lost its request_id", walked, len(cases))
		}
	})
}

// jsonEqual reports whether two JSON documents hold the same value.
func jsonEqual(a, b []byte) bool {
	var x, y any
	if json.Unmarshal(a, &x) != nil || json.Unmarshal(b, &y) != nil {
		return bytes.Equal(a, b)
	}
	return cmp.Equal(x, y)
}

// TestQueryAndBodyRequestIDMustAgree sends a body-"*" call with its
// request id in the query and the body: the same id is one request, two
// ids are refused naming request_id, before anything is written.
func TestQueryAndBodyRequestIDMustAgree(t *testing.T) {
	t.Parallel()
	ts := startServerWith(t, storetest.SQLiteURL(t), callAuction)
	f := ts.lotFixture(t, "210101")
	path := "/v1/" + f.assoc.GetName() + "/lots:batchCreate"
	body := func(id string) string {
		return jsonBody(t, &millwav1.BatchCreateLotsRequest{RequestId: id, Requests: []*millwav1.CreateLotRequest{{Lot: f.lot("BABY")}}})
	}

	before := changeCounts(t, ts)
	res := ts.restWithHeaders(t, f.secret, http.MethodPost, path+"?requestId=query-id", body("body-id"))
	st := restError(t, "different ids in query and body", restResult{res.code, res.body}, http.StatusBadRequest, codes.InvalidArgument)
	if !strings.Contains(st.Message(), "request_id") || !slices.Equal(badRequestFields(st), []string{"request_id"}) {
		t.Errorf("conflict answer %q with fields %v, want it to name request_id", st.Message(), badRequestFields(st))
	}
	res = ts.restWithHeaders(t, f.secret, http.MethodPost, path+"?requestId=one&request_id=two", body(""))
	restError(t, "two ids in the query", restResult{res.code, res.body}, http.StatusBadRequest, codes.InvalidArgument)
	if diff := cmp.Diff(before, changeCounts(t, ts)); diff != "" {
		t.Errorf("refused calls changed state (-before +after):\n%s", diff)
	}

	first := ts.restWithHeaders(t, f.secret, http.MethodPost, path+"?requestId=same-id", body("same-id"))
	again := ts.restWithHeaders(t, f.secret, http.MethodPost, path, body("same-id"))
	viaQuery := ts.restWithHeaders(t, f.secret, http.MethodPost, path+"?request_id=same-id", body(""))
	if first.code != http.StatusOK || again.header.Get("X-Millwa-Replayed") != "true" || viaQuery.header.Get("X-Millwa-Replayed") != "true" ||
		!jsonEqual(first.body, again.body) || !jsonEqual(first.body, viaQuery.body) {
		t.Errorf("one id in both places: HTTP %d; body-only retry replayed %q, query-only retry replayed %q", first.code,
			again.header.Get("X-Millwa-Replayed"), viaQuery.header.Get("X-Millwa-Replayed"))
	}
	if n := countRows(t, ts, "SELECT COUNT(*) FROM lots"); n != 1 {
		t.Errorf("%d lots after one batch and its retries, want 1", n)
	}
}

// receiptOf is a receipt of the fixture's first member: grams of classed
// white Huacaya BABY, campaign 2026.
func receiptOf(f lotFixture, grams int64) *millwav1.Receipt {
	return &millwav1.Receipt{
		Member: f.members[0], Campaign: 2026, CollectionPoint: "Centro de acopio Ichu", Breed: "HUACAYA", Colour: "WHITE",
		FleeceCount: 3, NetWeightGrams: grams, Classifier: f.classifier, GroupGrams: map[string]int64{"BABY": grams},
	}
}
