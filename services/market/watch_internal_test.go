package market

import (
	"testing"
	"time"

	"github.com/google/uuid"
	"google.golang.org/protobuf/proto"

	"github.com/millwa/millwa/internal/millwa"
	millwav1 "github.com/millwa/millwa/proto/millwa/v1"
)

// TestResponseCache: streams share an event's response for each way of
// showing it, processors never get the payouts, and an event that takes
// another's slot gets a response of its own.
func TestResponseCache(t *testing.T) {
	var c responseCache
	trade := func(seq int64) *millwa.MarketEvent {
		tr := &millwa.Trade{ID: uuid.NewString(), ProcessorID: uuid.NewString(), AssociationID: uuid.NewString(),
			State: millwa.TradePaid, Payouts: []millwa.Payout{{MemberID: uuid.NewString(), MemberDisplayName: "Juan Condori Huamán", Grams: 1000, Amount: 2200}}}
		e := millwa.TradeEvent(millwa.EventTradePaid, tr)
		e.Seq, e.Time = seq, time.Now()
		return &e
	}
	proc := millwa.Principal{Role: millwa.RoleProcessor}
	assoc := millwa.Principal{Role: millwa.RoleAssociation}
	e := trade(7)
	a1, a2, p1 := c.response(e, assoc), c.response(e, assoc), c.response(e, proc)
	if a1 != a2 {
		t.Error("two streams of the same view got two responses for one event")
	}
	if len(a1.GetEvent().GetTrade().GetPayouts()) != 1 {
		t.Errorf("an association's response has payouts %v; want the trade's one", a1.GetEvent().GetTrade().GetPayouts())
	}
	if p1 == a1 || len(p1.GetEvent().GetTrade().GetPayouts()) != 0 {
		t.Errorf("a processor's response has payouts %v; want none, in a response of its own", p1.GetEvent().GetTrade().GetPayouts())
	}
	if len(e.Trade.Payouts) != 1 {
		t.Error("making the processor's response changed the event")
	}
	// The encoding made once is the message's.
	b, err := a1.MarshalOnce()
	var back millwav1.WatchMarketResponse
	if err != nil || proto.Unmarshal(b, &back) != nil || !proto.Equal(&back, a1.WatchMarketResponse) {
		t.Errorf("MarshalOnce = %d bytes, %v; they do not decode to the response", len(b), err)
	}
	if b2, _ := a1.MarshalOnce(); &b2[0] != &b[0] {
		t.Error("MarshalOnce encoded the response again")
	}
	// An event responseCacheSize later lands in the same slot.
	later := trade(7 + responseCacheSize)
	if got := c.response(later, assoc); got == a1 || got.GetEvent().GetId() != "1031" || got.GetEvent().GetResource() != later.Resource {
		t.Errorf("the event in the same slot got %v; want its own response", got.GetEvent())
	}
	if got := c.response(e, assoc); got.GetEvent().GetId() != "7" || got.GetEvent().GetResource() != e.Resource {
		t.Errorf("the first event again got %v", got.GetEvent())
	}
}
