package millwa

import (
	"cmp"
	"slices"
)

// The disclosure rules of the inclusion indicators: a (region, campaign)
// cell is published only when at least InclusionMinAssociations
// associations and InclusionMinMembers members were paid in it.
const (
	InclusionMinAssociations = 3
	InclusionMinMembers      = 10
	// SmallHerdLimit: a member with a recorded herd of fewer alpacas than
	// this is a small producer.
	SmallHerdLimit = 50
)

// PayoutShare is one member's payout from one trade payment, with what
// the inclusion indicators need to know of the member.
type PayoutShare struct {
	AssociationID string
	Region        string // 2-digit department of the association
	Campaign      int    // the lot's campaign
	MemberID      string
	Sex           string // FEMALE, MALE, OTHER, UNDISCLOSED
	HerdSize      int    // -1 when not recorded
	Grams         int64
	Amount        int64
}

// InclusionCell is the reach of one region's payouts in one campaign.
type InclusionCell struct {
	Region             string
	Campaign           int
	MembersPaid        int
	AssociationCount   int
	WomenSharePermille int64 // ‰ of the amount paid to women, half up
	SmallHerdPermille  int64 // ‰ of the amount paid to members with fewer than SmallHerdLimit alpacas
	MedianPayoutPerKg  int64 // lower median of the members' amount per kg
	SurveyedFarmGate   int64 // lower median of the surveyed farm-gate prices per kg; 0 for none
	SurveyedCount      int
}

// Inclusion groups payouts into (region, campaign) cells ordered by
// campaign and region, drops those under the disclosure rules, and sets
// beside each the surveyed farm-gate prices of its region and campaign
// (CampaignOfDate). It returns how many cells it withheld.
func Inclusion(payouts []PayoutShare, surveyed []ReferencePrice) (cells []InclusionCell, suppressed int) {
	type key struct {
		region   string
		campaign int
	}
	type member struct {
		grams, amount int64
	}
	type acc struct {
		assocs              map[string]bool
		members             map[string]*member
		total, women, small int64
	}
	by := map[key]*acc{}
	for _, p := range payouts {
		k := key{p.Region, p.Campaign}
		a := by[k]
		if a == nil {
			a = &acc{assocs: map[string]bool{}, members: map[string]*member{}}
			by[k] = a
		}
		a.assocs[p.AssociationID] = true
		m := a.members[p.MemberID]
		if m == nil {
			m = &member{}
			a.members[p.MemberID] = m
		}
		m.grams += p.Grams
		m.amount += p.Amount
		a.total += p.Amount
		if p.Sex == "FEMALE" {
			a.women += p.Amount
		}
		if p.HerdSize >= 0 && p.HerdSize < SmallHerdLimit {
			a.small += p.Amount
		}
	}
	farmGate := map[key][]int64{}
	for _, r := range surveyed {
		if r.Kind == KindFarmGate {
			k := key{r.Region, CampaignOfDate(r.ObserveDate)}
			farmGate[k] = append(farmGate[k], r.PricePerKg)
		}
	}
	for k, a := range by {
		if len(a.assocs) < InclusionMinAssociations || len(a.members) < InclusionMinMembers || a.total <= 0 {
			suppressed++
			continue
		}
		var perKg []int64
		for _, m := range a.members {
			if m.grams > 0 {
				perKg = append(perKg, (m.amount*1000+m.grams/2)/m.grams)
			}
		}
		cells = append(cells, InclusionCell{
			Region: k.region, Campaign: k.campaign, MembersPaid: len(a.members), AssociationCount: len(a.assocs),
			WomenSharePermille: (a.women*1000 + a.total/2) / a.total, SmallHerdPermille: (a.small*1000 + a.total/2) / a.total,
			MedianPayoutPerKg: LowerMedian(perKg), SurveyedFarmGate: LowerMedian(farmGate[k]), SurveyedCount: len(farmGate[k]),
		})
	}
	slices.SortFunc(cells, func(a, b InclusionCell) int {
		return cmp.Or(cmp.Compare(a.Campaign, b.Campaign), cmp.Compare(a.Region, b.Region))
	})
	return cells, suppressed
}
