package registry

import (
	"context"
	"errors"
	"strconv"

	"github.com/millwa/millwa/internal/millwa"
	"github.com/millwa/millwa/internal/store"
	"github.com/millwa/millwa/services/internal/rpc"
)

// A lot number is unique within an association and campaign: the
// database's unique index refuses a second lot with a number, and the
// handlers name the lot that holds it.

// lotNumberKey is a lot number within a campaign.
type lotNumberKey struct {
	campaign int
	number   string
}

// checkBatchNumbers records a violation for each lot of a batch that
// repeats the number of an earlier lot of the batch in the same campaign.
// fields name each lot in the request.
func checkBatchNumbers(vs *millwa.Violations, lots []millwa.Lot, fields []string) {
	first := map[lotNumberKey]int{}
	for i, l := range lots {
		if l.LotNumber == "" {
			continue
		}
		k := lotNumberKey{l.Campaign, l.LotNumber}
		if j, ok := first[k]; ok {
			vs.Add(fields[i]+".lot_number", "repeats the number %q of %s in campaign %d: give each lot its own number", l.LotNumber, fields[j], l.Campaign)
			continue
		}
		first[k] = i
	}
}

// nameNumberHolder turns the store's LOT_NUMBER_TAKEN error of creating
// lots (named in the request by fields) into one that names the first lot
// refused and the lot that holds its number: its resource name in the
// message, a field violation, the ErrorInfo metadata (keys in
// lowerCamelCase, AIP-193) and a ResourceInfo.
// The transaction has rolled back (on PostgreSQL nothing more can be read
// in it), so the holder is read afterwards; any other error, or a holder
// no longer found, is returned as it came.
func (s *Server) nameNumberHolder(ctx context.Context, err error, lots []millwa.Lot, fields []string) error {
	var taken *millwa.Error
	if !errors.As(err, &taken) || taken.Reason != store.LotNumberTaken || len(lots) == 0 {
		return err
	}
	var numbers []string
	seen := map[string]bool{}
	for _, l := range lots {
		if l.LotNumber != "" && !seen[l.LotNumber] {
			seen[l.LotNumber] = true
			numbers = append(numbers, l.LotNumber)
		}
	}
	holders, lookupErr := s.store.LotsNumbered(ctx, rpc.Principal(ctx), lots[0].AssociationID, numbers)
	if lookupErr != nil {
		return err
	}
	byKey := map[lotNumberKey]millwa.Lot{}
	for _, h := range holders {
		byKey[lotNumberKey{h.Campaign, h.LotNumber}] = h
	}
	for i, l := range lots {
		h, ok := byKey[lotNumberKey{l.Campaign, l.LotNumber}]
		if l.LotNumber == "" || !ok {
			continue
		}
		name := lotName(&h)
		e := millwa.Errorf(millwa.AlreadyExists, "lot number %q of campaign %d is already the number of %s: give the lot another number, or leave it empty", l.LotNumber, l.Campaign, name)
		var vs millwa.Violations
		vs.Add(fields[i]+".lot_number", "is already the number of %s in campaign %d", name, l.Campaign)
		e.Reason, e.Violations, e.Err = store.LotNumberTaken, vs, err
		e.Metadata = map[string]string{
			"lot": name, "lotNumber": l.LotNumber, "campaign": strconv.Itoa(l.Campaign), "field": fields[i] + ".lot_number",
		}
		e.Resource = &millwa.ResourceInfo{Type: "millwa.v1.Lot", Name: name, Description: "the lot that holds this lot number in this campaign"}
		return e
	}
	return err
}
