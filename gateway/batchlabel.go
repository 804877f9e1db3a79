package gateway

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/grpc-ecosystem/grpc-gateway/v2/runtime"
	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/millwa/millwa/gateway/label"
	millwav1 "github.com/millwa/millwa/proto/millwa/v1"
)

// maxBatchLabels bounds the lots of one batch PDF: 50 A4 pages.
const maxBatchLabels = 100

// batchFileNumbers is how many lots a batch file name names one by one;
// a larger batch is named by its association and the day.
const batchFileNumbers = 4

// batchLabelsHandler serves GET /v1/associations/{a}/lots:labels.pdf: the
// labels of several lots of one association, LabelsPerPage to an A4 page.
// The lots are given as names=… (lot names or ids, comma-separated or the
// parameter repeated, at most maxBatchLabels) or as filter=… (ListLots'
// filter; withdrawn lots, which have no label, are left out). Each label
// is read with GetLotLabel under the caller's key, so an association
// prints only its own lots and a processor only those it sees; a lot the
// caller cannot see is NOT_FOUND, as is a filter that matches none. Each
// read is one call of the key's rate limit, like any other.
type batchLabelsHandler struct {
	mux     *runtime.ServeMux
	client  millwav1.RegistryServiceClient
	pattern string
}

func (h *batchLabelsHandler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	parent := "associations/" + r.PathValue("association")
	names, filter, vs := parseBatchQuery(parent, r.URL.Query())
	if len(vs) > 0 {
		writeStatus(w, r, http.StatusBadRequest, invalidQuery(vs))
		return
	}
	labels, ok := callForRoute(w, r, h.mux, getLotLabelMethod, h.pattern, func(ctx context.Context) ([]*millwav1.LotLabel, error) {
		if filter != "" {
			var err error
			if names, err = h.filtered(ctx, parent, filter); err != nil {
				return nil, err
			}
		}
		out := make([]*millwav1.LotLabel, 0, len(names))
		for _, name := range names {
			resp, err := h.client.GetLotLabel(ctx, &millwav1.GetLotLabelRequest{Name: name})
			if err != nil {
				return nil, err
			}
			out = append(out, resp.GetLabel())
		}
		return out, nil
	})
	if !ok {
		return
	}
	ls := make([]label.Label, len(labels))
	for i, l := range labels {
		ls[i] = labelFromProto(l)
	}
	var body bytes.Buffer
	title := "Etiquetas de lotes / Lot labels: " + labels[0].GetAssociationLegalName()
	if err := label.BatchPDF(&body, title, ls); err != nil {
		writeStatus(w, r, http.StatusInternalServerError, status.New(codes.Internal,
			"internal error: the labels could not be rendered as pdf"))
		return
	}
	writeDocument(w, r, document{body: body.Bytes(), contentType: "application/pdf", disposition: "inline",
		fileName: batchFileName(labels, time.Now())})
}

// filtered lists the lots of parent that filter matches and that have a
// label (not withdrawn), at most maxBatchLabels of them.
func (h *batchLabelsHandler) filtered(ctx context.Context, parent, filter string) ([]string, error) {
	resp, err := h.client.ListLots(ctx, &millwav1.ListLotsRequest{Parent: parent, Filter: filter, PageSize: maxBatchLabels + 1})
	if err != nil {
		return nil, err
	}
	var names []string
	for _, l := range resp.GetLots() {
		if l.GetState() != millwav1.LotState_LOT_STATE_WITHDRAWN {
			names = append(names, l.GetName())
		}
	}
	switch {
	case len(names) > maxBatchLabels || resp.GetNextPageToken() != "" && len(names) == maxBatchLabels:
		return nil, invalidQuery([]*errdetails.BadRequest_FieldViolation{{Field: "filter",
			Description: fmt.Sprintf("matches more than %d lots: narrow it (by lot_number, state or create_time) and print the rest in another batch", maxBatchLabels)}}).Err()
	case len(names) == 0:
		return nil, status.Errorf(codes.NotFound, "no lot of %s that has a label matches the filter %q: check the filter with ListLots", parent, filter)
	}
	return names, nil
}

// parseBatchQuery reads the lots of a batch: names (each a lot's resource
// name under parent or a bare lot id, comma-separated or repeated,
// duplicates dropped) or a filter, never both, and the violations of a
// query that gives neither, both, too many or a lot of another parent.
func parseBatchQuery(parent string, q url.Values) (names []string, filter string, vs []*errdetails.BadRequest_FieldViolation) {
	filter = strings.TrimSpace(q.Get("filter"))
	seen := map[string]bool{}
	for _, v := range q["names"] {
		for _, n := range strings.Split(v, ",") {
			n = strings.TrimSpace(n)
			if n == "" {
				continue
			}
			full, ok := lotUnder(parent, n)
			if !ok {
				vs = append(vs, &errdetails.BadRequest_FieldViolation{Field: "names",
					Description: fmt.Sprintf("%q is not a lot of %s: give lot ids or names such as %s/lots/{lot}, and print another association's lots from its own path", n, parent, parent)})
				continue
			}
			if !seen[full] {
				seen[full] = true
				names = append(names, full)
			}
		}
	}
	switch {
	case len(names) == 0 && filter == "" && len(vs) == 0:
		vs = append(vs, &errdetails.BadRequest_FieldViolation{Field: "names",
			Description: fmt.Sprintf("give the lots to print: names=… (lot ids or names, comma-separated or repeated, at most %d) or filter=… (as ListLots takes it)", maxBatchLabels)})
	case len(names) > 0 && filter != "":
		vs = append(vs, &errdetails.BadRequest_FieldViolation{Field: "filter",
			Description: "give the lots either by names or by filter, not both"})
	case len(names) > maxBatchLabels:
		vs = append(vs, &errdetails.BadRequest_FieldViolation{Field: "names",
			Description: fmt.Sprintf("at most %d lots per batch, got %d: print them in several batches", maxBatchLabels, len(names))})
	}
	return names, filter, vs
}

// lotUnder is the resource name of lot n of parent, n being the name or
// the bare id; false when n names a lot of another parent or is not a lot
// name at all. The id itself is checked by GetLotLabel.
func lotUnder(parent, n string) (string, bool) {
	id, ok := strings.CutPrefix(n, parent+"/lots/")
	if !ok {
		if strings.Contains(n, "/") {
			return "", false
		}
		id = n
	}
	if id == "" || strings.Contains(id, "/") {
		return "", false
	}
	return parent + "/lots/" + id, true
}

// batchFileName names a batch's file by its lots' numbers ("etiqueta-…"
// for one, "etiquetas-…_…" for up to batchFileNumbers), or, for more, by
// the association and the day: "etiquetas-asociacion-…-2026-12-05.pdf".
func batchFileName(labels []*millwav1.LotLabel, now time.Time) string {
	if len(labels) == 1 {
		return "etiqueta-" + fileLotNumber(labels[0]) + ".pdf"
	}
	if len(labels) <= batchFileNumbers {
		parts := make([]string, len(labels))
		for i, l := range labels {
			parts[i] = fileLotNumber(l)
		}
		return "etiquetas-" + strings.Join(parts, "_") + ".pdf"
	}
	assoc := fileSafe(strings.ToLower(labels[0].GetAssociationLegalName()))
	if len(assoc) > 40 {
		assoc = strings.Trim(assoc[:40], "-.")
	}
	if assoc == "" {
		assoc = "lotes"
	}
	return "etiquetas-" + assoc + "-" + now.UTC().Format(time.DateOnly) + ".pdf"
}
