package matching_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/millwa/millwa/internal/matching"
)

// TestClearRefusesRepeatedIDs checks that a repeated lot or order id is
// refused, naming it, in small and large books (where the check goes
// through hashes first), and that ids that differ are not taken for
// repeats.
func TestClearRefusesRepeatedIDs(t *testing.T) {
	for _, size := range []int{3, 5000} {
		b := matching.GenerateBook(9, size, size/2+1)
		if _, err := matching.Clear(b); err != nil {
			t.Fatalf("%d lots with distinct ids: %v", size, err)
		}
		lots := b
		lots.Lots = append([]matching.Lot(nil), b.Lots...)
		lots.Lots[len(lots.Lots)-1].ID = lots.Lots[len(lots.Lots)/2].ID
		_, err := matching.Clear(lots)
		if !errors.Is(err, matching.ErrInvalidBook) || !strings.Contains(err.Error(), "lot \""+lots.Lots[len(lots.Lots)/2].ID+"\" appears twice") {
			t.Errorf("%d lots, one id repeated: error %v", size, err)
		}
		orders := b
		orders.Orders = append([]matching.Order(nil), b.Orders...)
		orders.Orders[0].ID = orders.Orders[len(orders.Orders)-1].ID
		_, err = matching.Clear(orders)
		if !errors.Is(err, matching.ErrInvalidBook) || !strings.Contains(err.Error(), "order \""+orders.Orders[0].ID+"\" appears twice") {
			t.Errorf("%d orders, one id repeated: error %v", len(orders.Orders), err)
		}
		// A lot and an order may share an id.
		shared := b
		shared.Orders = append([]matching.Order(nil), b.Orders...)
		shared.Orders[0].ID = b.Lots[0].ID
		if _, err := matching.Clear(shared); err != nil {
			t.Errorf("an order with a lot's id: %v", err)
		}
	}
}
