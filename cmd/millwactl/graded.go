package main

// This file reports lots whose market grade differs from the one their
// classifier declared: after an import, and as "lots graded-differently".

import (
	"context"
	"fmt"
	"io"

	"github.com/spf13/cobra"

	millwav1 "github.com/millwa/millwa/proto/millwa/v1"
)

// printCreated says what the server did with a batch's lots, in the API's
// words: each lot created (or, for a replayed batch, created by an earlier
// run) by its resource name and lot number.
func (im *importer) printCreated(lots []*millwav1.Lot, replayed bool) {
	for _, lot := range lots {
		if replayed {
			fmt.Fprintln(im.stdout, im.lang.sprintf("lot %s%s was created by an earlier run", lot.GetName(), lotNumberNote(lot)))
		} else {
			fmt.Fprintln(im.stdout, im.lang.sprintf("created lot %s%s", lot.GetName(), lotNumberNote(lot)))
		}
	}
}

// lotNumberNote is " (NUMBER)" for a lot with a number, else "".
func lotNumberNote(lot *millwav1.Lot) string {
	if lot.GetLotNumber() == "" {
		return ""
	}
	return " (" + lot.GetLotNumber() + ")"
}

// gradedDifferently returns the lots whose market quality group (from the
// grading of their measurement) differs from their declared group.
func gradedDifferently(lots []*millwav1.Lot) []*millwav1.Lot {
	var out []*millwav1.Lot
	for _, lot := range lots {
		if m := lot.GetMarketQualityGroup(); m != "" && m != lot.GetDeclaredQualityGroup() {
			out = append(out, lot)
		}
	}
	return out
}

// gradeReason is why a lot's market group differs, in l: the server's
// explanation of the discrepancy, else the grading's own explanation.
func gradeReason(l language, lot *millwav1.Lot) string {
	text := lot.GetDiscrepancyExplanation()
	if text.GetEs() == "" && text.GetEn() == "" {
		text = lot.GetMeasuredGrade().GetExplanation()
	}
	if l == english || text.GetEs() == "" {
		return text.GetEn()
	}
	return text.GetEs()
}

// printGradedDifferently lists the lots of lots whose market grade differs
// from the declared one: lot number (or name), declared group, market
// group and why. It prints nothing when there are none.
func printGradedDifferently(w io.Writer, l language, lots []*millwav1.Lot) int {
	diff := gradedDifferently(lots)
	if len(diff) == 0 {
		return 0
	}
	fmt.Fprintln(w, l.sprintf("lots whose market grade differs from the declared one: %d", len(diff)))
	for _, lot := range diff {
		id := lot.GetLotNumber()
		if id == "" {
			id = lot.GetName()
		}
		fmt.Fprintln(w, l.sprintf("  %s: declared %s, market %s: %s", id, lot.GetDeclaredQualityGroup(), lot.GetMarketQualityGroup(), gradeReason(l, lot)))
	}
	return len(diff)
}

// newGradedDifferentlyCommand is "lots graded-differently".
func newGradedDifferentlyCommand(g *globalOptions) *cobra.Command {
	var association string
	cmd := &cobra.Command{
		Use:   "graded-differently --association associations/{id}",
		Short: "List the lots whose market grade differs from the declared one",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return runGradedDifferently(cmd.Context(), g, association, cmd.OutOrStdout(), cmd.ErrOrStderr())
		},
	}
	cmd.Flags().StringVar(&association, "association", "", "the association whose lots to read, associations/{id} or its id (required)")
	_ = cmd.MarkFlagRequired("association")
	return cmd
}

// runGradedDifferently reads every lot of the association and prints
// those graded differently.
func runGradedDifferently(ctx context.Context, g *globalOptions, association string, stdout, stderr io.Writer) error {
	l := g.lang
	parent, err := associationName(l, association)
	if err != nil {
		return err
	}
	if g.key == "" {
		return l.errorf("no API key: set MILLWACTL_KEY (or --key)")
	}
	conn, err := g.dial(stderr)
	if err != nil {
		return err
	}
	defer conn.Close()
	im := &importer{registry: millwav1.NewRegistryServiceClient(conn), parent: parent, timeout: g.timeout, stderr: stderr, lang: l, retry: defaultRetry}
	var lots []*millwav1.Lot
	token := ""
	for {
		var resp *millwav1.ListLotsResponse
		err := im.call(ctx, l.sprintf("listing the lots of %s", parent), func(ctx context.Context) (err error) {
			resp, err = im.registry.ListLots(ctx, &millwav1.ListLotsRequest{Parent: parent, PageSize: 500, PageToken: token})
			return err
		})
		if err != nil {
			return describe(ctx, l, err, parent)
		}
		lots = append(lots, resp.GetLots()...)
		if token = resp.GetNextPageToken(); token == "" {
			break
		}
	}
	if printGradedDifferently(stdout, l, lots) == 0 {
		fmt.Fprintln(stdout, l.sprintf("every one of the %d lots of %s is sold as the group its classifier declared", len(lots), parent))
	}
	return nil
}
