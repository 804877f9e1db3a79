package main

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/schollz/progressbar/v3"
	"github.com/spf13/cobra"
	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"

	millwav1 "github.com/millwa/millwa/proto/millwa/v1"
)

// maxBatchLots is the server's limit on lots per BatchCreateLots call.
const maxBatchLots = 500

// maxBatchBytes keeps a batch request under the server's 1 MiB message
// limit, with room for the envelope.
const maxBatchBytes = 1<<20 - 64<<10

// errIncomplete is returned when the import ran but some lines were not
// imported; the report has already said which.
var errIncomplete = errors.New("not every line was imported")

// localizedError is an error whose text is in the command's language while
// errors.Is still finds the error it stands for.
type localizedError struct {
	text string
	err  error
}

func (e *localizedError) Error() string { return e.text }
func (e *localizedError) Unwrap() error { return e.err }

// incomplete is errIncomplete in l.
func incomplete(l language) error {
	return &localizedError{text: l.sprintf("not every line was imported"), err: errIncomplete}
}

// importOptions are the flags of "lots import".
type importOptions struct {
	association string
	batch       int
	dryRun      bool
	skipBad     bool
}

func newLotsCommand(g *globalOptions) *cobra.Command {
	lots := &cobra.Command{
		Use:   "lots",
		Short: "Work with the lots of fibre of an association",
	}
	lots.AddCommand(newLotsImportCommand(g), newGradedDifferentlyCommand(g))
	return lots
}

func newLotsImportCommand(g *globalOptions) *cobra.Command {
	var o importOptions
	cmd := &cobra.Command{
		Use:   "import FILE.csv --association associations/{id}",
		Short: "Import lots from a CSV file, one lot per row (importar lotes)",
		Long:  importHelp(),
		Example: `  export MILLWACTL_SERVER=millwa.example.pe:443 MILLWACTL_KEY=mlw_…
  millwactl lots import lotes-2026.csv --association associations/0192f0c4-… --dry-run
  millwactl lots import lotes-2026.csv --association associations/0192f0c4-…`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return runImport(cmd.Context(), g, o, args[0], cmd.OutOrStdout(), cmd.ErrOrStderr())
		},
	}
	cmd.Flags().StringVar(&o.association, "association", "", "the association the lots belong to, associations/{id} or its id (required)")
	cmd.Flags().IntVar(&o.batch, "batch", 200, "lots per BatchCreateLots call, 1 to 500; re-run an interrupted import with the same value")
	cmd.Flags().BoolVar(&o.dryRun, "dry-run", false, "check the file (and, with a key, its codes, members and classifiers against the server) and send nothing")
	cmd.Flags().BoolVar(&o.skipBad, "skip-bad-rows", false, "import the good rows even when some rows are bad, and report the bad ones")
	_ = cmd.MarkFlagRequired("association")
	return cmd
}

// wrap breaks text into lines of at most width bytes where it can,
// indenting the continuation lines.
func wrap(text string, width int, indent string) string {
	var b strings.Builder
	words := strings.Split(text, " ")
	line := words[0]
	for _, word := range words[1:] {
		if strings.TrimSpace(line) != "" && len(line)+1+len(word) > width {
			b.WriteString(line + "\n")
			line = indent + word
			continue
		}
		line += " " + word
	}
	b.WriteString(line + "\n")
	return b.String()
}

// batch is one BatchCreateLots call of the import.
type batch struct {
	id          string
	first, last int // the lines the batch spans
	rows        []*lotRow
}

// planBatches splits the rows into batches of at most size rows spanning
// fixed windows of the file's data rows, and within the server's message
// size. Rows in bad are left out, but windows do not move because of them:
// a row that becomes good later changes its window's request, which the
// server then refuses (REQUEST_ID_REUSED) instead of creating other lots
// twice. tag identifies the file.
func planBatches(rows []lotRow, bad map[int]bool, tag string, size int) []batch {
	var out []batch
	for start := 0; start < len(rows); start += size {
		window := rows[start:min(start+size, len(rows))]
		cur := batch{first: window[0].line}
		bytes := 0
		for i := range window {
			r := &window[i]
			if r.lot == nil || bad[r.line] {
				cur.last = r.line
				continue
			}
			n := proto.Size(&millwav1.CreateLotRequest{Lot: r.lot})
			n += 1 + len(strconv.AppendUint(nil, uint64(n), 10)) // tag and length, generously
			if len(cur.rows) > 0 && bytes+n > maxBatchBytes {
				out = append(out, cur)
				cur = batch{first: r.line}
				bytes = 0
			}
			cur.rows = append(cur.rows, r)
			cur.last = r.line
			bytes += n
		}
		out = append(out, cur)
	}
	kept := out[:0]
	for _, b := range out {
		if len(b.rows) > 0 {
			b.id = fmt.Sprintf("csv-%s-%d-%d", tag, b.first, b.last)
			kept = append(kept, b)
		}
	}
	return kept
}

// importer sends a parsed file.
type importer struct {
	registry millwav1.RegistryServiceClient
	grading  millwav1.GradingServiceClient
	parent   string
	file     string
	header   []string
	timeout  time.Duration
	skipBad  bool
	stdout   io.Writer
	stderr   io.Writer
	lang     language
	progress progress
	retry    retryPolicy
	// lots are the lots the server answered with, created or replayed.
	lots []*millwav1.Lot

	created, replayed, createdBatches int
	replayedLots                      int
	errs                              []lineError
	// refused are the lines of good rows the server did not create
	// because their batch was refused.
	refused map[int]bool
}

// retryPolicy is how failed calls are retried.
type retryPolicy struct {
	attempts  int
	base, max time.Duration
}

var defaultRetry = retryPolicy{attempts: 10, base: 500 * time.Millisecond, max: 30 * time.Second}

// runImport is "lots import FILE".
func runImport(ctx context.Context, g *globalOptions, o importOptions, file string, stdout, stderr io.Writer) error {
	runStart := time.Now()
	parent, err := associationName(g.lang, o.association)
	if err != nil {
		return err
	}
	l := g.lang
	if o.batch < 1 || o.batch > maxBatchLots {
		return l.errorf("--batch %d: must be 1 to %d", o.batch, maxBatchLots)
	}
	data, err := os.ReadFile(file)
	if err != nil {
		return err
	}
	sum := sha256.Sum256(data)
	tag := hex.EncodeToString(sum[:6])
	f, err := parseLotsCSVIn(l, data, parent, runStart)
	if err != nil {
		return fmt.Errorf("%s: %w", file, err)
	}
	if len(f.rows) == 0 && len(f.errs) == 0 {
		return l.errorf("%s: no lots: the file has a header but no rows", file)
	}

	im := &importer{parent: parent, file: file, header: f.header, timeout: g.timeout, skipBad: o.skipBad,
		stdout: stdout, stderr: stderr, lang: l, retry: defaultRetry, refused: map[int]bool{}}
	switch {
	case g.key != "":
		conn, err := g.dial(stderr)
		if err != nil {
			return err
		}
		defer conn.Close()
		im.registry = millwav1.NewRegistryServiceClient(conn)
		im.grading = millwav1.NewGradingServiceClient(conn)
		if err := im.checkReferences(ctx, f); err != nil {
			return describe(ctx, l, err, parent)
		}
	case !o.dryRun:
		return l.errorf("no API key: set MILLWACTL_KEY (or --key)")
	default:
		fmt.Fprintln(stderr, l.sprintf("no key (--key or MILLWACTL_KEY): codes, members and classifiers were not checked against the server"))
	}
	slices.SortStableFunc(f.errs, func(a, b lineError) int { return a.line - b.line })
	im.report(f.errs)
	im.errs = append(im.errs, f.errs...)

	bad := f.badLines()
	batches := planBatches(f.rows, bad, tag, o.batch)
	good := 0
	for _, b := range batches {
		good += len(b.rows)
	}
	if len(bad) > 0 && !o.skipBad {
		fmt.Fprintln(stdout, l.sprintf("%d of %d lines have errors: nothing was sent. Fix them, or use --skip-bad-rows to import the %d good rows.", len(bad), len(f.rows), good))
		return incomplete(l)
	}
	if o.dryRun {
		fmt.Fprintln(stdout, l.sprintf("dry run: %d lots in %d batches would be sent to %s; %d lines have errors; nothing was sent", good, len(batches), parent, len(bad)))
		if len(bad) > 0 {
			return incomplete(l)
		}
		return nil
	}

	im.progress = newProgress(stderr, good, l)
	err = im.send(ctx, batches)
	im.progress.finish()
	im.summary()
	printGradedDifferently(stdout, l, im.lots)
	if err != nil {
		return l.errorf("%w; run the same command again to finish: batches already created will not be created twice", describe(ctx, l, err, parent))
	}
	if len(im.errs) > 0 {
		return incomplete(l)
	}
	return nil
}

// describe rewords an error that stops a command for people, in l.
func describe(ctx context.Context, l language, err error, parent string) error {
	if ctx.Err() != nil {
		return l.errorf("interrupted (the batch in flight may have been created all the same)")
	}
	st, ok := status.FromError(err)
	if !ok {
		return err
	}
	switch st.Code() {
	case codes.Unauthenticated:
		return l.errorf("the server does not accept the API key (MILLWACTL_KEY or --key): %s", st.Message())
	case codes.PermissionDenied, codes.NotFound:
		return l.errorf("%w (the key must be %s's or an admin's)", err, parent)
	}
	return err
}

// associationName accepts "associations/{id}" or a bare id.
func associationName(l language, v string) (string, error) {
	id := strings.TrimPrefix(strings.TrimSpace(v), "associations/")
	if id == "" || strings.ContainsAny(id, "/ ") {
		return "", l.errorf("--association %q: want associations/{id} or the id", v)
	}
	return "associations/" + id, nil
}

// report prints line errors to stderr as "FILE:LINE: …".
func (im *importer) report(errs []lineError) {
	for _, e := range errs {
		fmt.Fprintf(im.stderr, "%s:%s\n", im.file, e.text(im.lang))
	}
}

// summary prints what the run did.
func (im *importer) summary() {
	lines := map[int]bool{}
	for _, e := range im.errs {
		lines[e.line] = true
	}
	withErrors := len(lines)
	l := im.lang
	fmt.Fprintln(im.stdout, l.sprintf("lots created: %d in %d batches", im.created, im.createdBatches))
	fmt.Fprintln(im.stdout, l.sprintf("batches replayed: %d (%d lots created by an earlier run)", im.replayed, im.replayedLots))
	fmt.Fprintln(im.stdout, l.sprintf("lines with errors: %d", withErrors))
	for line := range im.refused {
		lines[line] = true
	}
	if len(lines) > withErrors {
		fmt.Fprintln(im.stdout, l.sprintf("lines not imported: %d (those with errors and the other rows of the batches the server refused; --skip-bad-rows sends those)", len(lines)))
	}
}

// send sends the batches in order. It returns an error when the import
// cannot go on (the server or the key refuses it, or retries ran out);
// batches the server refuses as invalid are reported and skipped.
func (im *importer) send(ctx context.Context, batches []batch) error {
	for i := range batches {
		if err := im.sendBatch(ctx, &batches[i]); err != nil {
			return im.lang.errorf("lines %d-%d: %w", batches[i].first, batches[i].last, err)
		}
	}
	return nil
}

// sendBatch creates one batch, retrying transient failures. When the server
// refuses lots as invalid, their lines are reported; with --skip-bad-rows
// the rest of the batch is sent again under the same request_id (a re-run
// does the same, so it is replayed), otherwise the batch is skipped.
func (im *importer) sendBatch(ctx context.Context, b *batch) error {
	for {
		req := &millwav1.BatchCreateLotsRequest{Parent: im.parent, RequestId: b.id}
		for _, r := range b.rows {
			req.Requests = append(req.Requests, &millwav1.CreateLotRequest{Lot: r.lot})
		}
		var resp *millwav1.BatchCreateLotsResponse
		var header metadata.MD
		err := im.call(ctx, im.lang.sprintf("lines %d-%d", b.first, b.last), func(ctx context.Context) (err error) {
			ctx = metadata.AppendToOutgoingContext(ctx, "x-request-id", b.id)
			resp, err = im.registry.BatchCreateLots(ctx, req, grpc.Header(&header))
			return err
		})
		if err == nil {
			if len(resp.GetLots()) != len(b.rows) {
				return im.lang.errorf("the server created %d lots for a batch of %d", len(resp.GetLots()), len(b.rows))
			}
			again := replayed(header)
			if again {
				im.replayed++
				im.replayedLots += len(b.rows)
			} else {
				im.createdBatches++
				im.created += len(b.rows)
			}
			im.lots = append(im.lots, resp.GetLots()...)
			im.progress.interrupt(func() { im.printCreated(resp.GetLots(), again) })
			im.progress.add(len(b.rows), im.lang.sprintf("lines %d-%d", b.first, b.last))
			return nil
		}
		if !refusesRows(err) {
			return err
		}
		errs, rejected := mapViolations(im.lang, err, b, im.header)
		im.progress.interrupt(func() { im.report(errs) })
		im.errs = append(im.errs, errs...)
		if !im.skipBad || len(rejected) == 0 {
			for _, r := range b.rows {
				im.refused[r.line] = true
			}
			im.progress.skip(len(b.rows))
			return nil
		}
		kept := b.rows[:0:0]
		for _, r := range b.rows {
			if rejected[r.line] {
				im.refused[r.line] = true
			} else {
				kept = append(kept, r)
			}
		}
		im.progress.skip(len(b.rows) - len(kept))
		if len(kept) == 0 {
			return nil
		}
		b.rows = kept
	}
}

// refusesRows reports whether err refuses rows of a batch the server names
// in field violations: InvalidArgument, or AlreadyExists for a lot number
// another lot of the association holds.
func refusesRows(err error) bool {
	switch status.Code(err) {
	case codes.InvalidArgument:
		return true
	case codes.AlreadyExists:
		for _, d := range status.Convert(err).Details() {
			if _, ok := d.(*errdetails.BadRequest); ok {
				return true
			}
		}
	}
	return false
}

// replayed reports whether the server answered with the stored answer of
// an earlier call with the same request_id: the batch was created before,
// by an earlier run (or by this run's first attempt, when its reply was
// lost).
func replayed(header metadata.MD) bool {
	v := header.Get("x-millwa-replayed")
	return len(v) == 1 && v[0] == "true"
}

// violationPath matches "requests[12].lot.colour".
var violationPath = regexp.MustCompile(`^requests\[(\d+)\]\.?(.*)$`)

// mapViolations turns the server's InvalidArgument answer to a batch into
// line errors, naming the CSV column of each field, and returns the lines
// the server named. A violation that names no lot is reported against
// every line of the batch.
func mapViolations(l language, err error, b *batch, header []string) ([]lineError, map[int]bool) {
	st := status.Convert(err)
	var errs []lineError
	rejected := map[int]bool{}
	whole := func(msg string) {
		errs = append(errs, lineError{line: b.first, msg: l.sprintf("lines %d-%d were refused: %s", b.first, b.last, msg)})
	}
	for _, d := range st.Details() {
		if info, ok := d.(*errdetails.ErrorInfo); ok && info.GetReason() == "REQUEST_ID_REUSED" {
			whole(l.sprintf("request_id %s was used before for other rows: the file or --batch changed since an earlier run of this import, or the file was imported into another association. Import new or changed rows from a new file", b.id))
			return errs, rejected
		}
	}
	for _, d := range st.Details() {
		br, ok := d.(*errdetails.BadRequest)
		if !ok {
			continue
		}
		for _, v := range br.GetFieldViolations() {
			m := violationPath.FindStringSubmatch(v.GetField())
			i := -1
			if m != nil {
				i, _ = strconv.Atoi(m[1])
			}
			if i < 0 || i >= len(b.rows) {
				whole(fmt.Sprintf("%s %s", v.GetField(), v.GetDescription()))
				continue
			}
			r := b.rows[i]
			rejected[r.line] = true
			label, idx := columnAt(header, csvColumn(m[2], r))
			errs = append(errs, lineError{line: r.line, column: label, colIndex: idx, msg: l.sprintf("refused by the server: %s %s", m[2], linesOf(l, v.GetDescription(), b))})
		}
	}
	if len(errs) == 0 {
		whole(st.Message())
	}
	return errs, rejected
}

// requestRef matches a lot of the batch named in a violation's
// description: "requests[2].lot".
var requestRef = regexp.MustCompile(`requests\[(\d+)\]\.lot`)

// linesOf names, in a violation's description, the lots of the batch by
// their lines of the file ("line 4") instead of their place in the batch.
func linesOf(l language, description string, b *batch) string {
	return requestRef.ReplaceAllStringFunc(description, func(ref string) string {
		i, err := strconv.Atoi(requestRef.FindStringSubmatch(ref)[1])
		if err != nil || i < 0 || i >= len(b.rows) {
			return ref
		}
		return l.sprintf("line %d", b.rows[i].line)
	})
}

// csvColumn names the CSV column of a lot field path such as
// "lot.contributions[2].member", or "" when none matches.
func csvColumn(path string, r *lotRow) string {
	field := strings.TrimPrefix(path, "lot.")
	if strings.HasPrefix(field, "contributions[") {
		var j int
		var rest string
		if n, _ := fmt.Sscanf(field, "contributions[%d]", &j); n == 1 && j >= 0 && j < len(r.cols.contributions) {
			rest = field[strings.Index(field, "]")+1:]
			if rest == ".grams" {
				return r.cols.contributions[j][1]
			}
			return r.cols.contributions[j][0]
		}
		return "member_*"
	}
	switch {
	case field == "contributions":
		return r.cols.weight
	case field == "net_weight_grams":
		return r.cols.weight
	case field == "ask_price_per_kg":
		return r.cols.price
	case field == "measurement" || strings.HasPrefix(field, "measurement.histogram"):
		return "mean_fiber_diameter_um"
	case strings.HasPrefix(field, "measurement."):
		return strings.TrimPrefix(field, "measurement.")
	case slices.Contains(fixedColumns, field):
		return field
	}
	return ""
}

// call runs one RPC with the per-call timeout, retrying with exponential
// backoff (or after the server's RetryInfo delay) while it fails with
// Unavailable, DeadlineExceeded, Aborted or ResourceExhausted.
func (im *importer) call(ctx context.Context, what string, rpc func(context.Context) error) error {
	delay := im.retry.base
	for attempt := 1; ; attempt++ {
		callCtx, cancel := context.WithTimeout(ctx, im.timeout)
		err := rpc(callCtx)
		cancel()
		if err == nil {
			return nil
		}
		if ctx.Err() != nil {
			return ctx.Err()
		}
		st := status.Convert(err)
		switch st.Code() {
		case codes.Unavailable, codes.DeadlineExceeded, codes.Aborted, codes.ResourceExhausted:
		default:
			return err
		}
		if attempt >= im.retry.attempts {
			return im.lang.errorf("%s: gave up after %d attempts: %w", what, attempt, err)
		}
		wait := delay/2 + rand.N(delay/2+1) // jitter
		for _, d := range st.Details() {
			if ri, ok := d.(*errdetails.RetryInfo); ok && ri.GetRetryDelay() != nil {
				wait = min(ri.GetRetryDelay().AsDuration(), 5*time.Minute)
			}
		}
		say := func() {
			fmt.Fprintln(im.stderr, im.lang.sprintf("%s: %s (%s); retrying in %v", what, st.Code(), st.Message(), wait.Round(time.Millisecond)))
		}
		if im.progress != nil {
			im.progress.interrupt(say)
		} else {
			say()
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(wait):
		}
		delay = min(delay*2, im.retry.max)
	}
}

// progress shows how many lots are done: a bar on a terminal, a line per
// batch otherwise.
type progress interface {
	// add counts n lots done, note saying which.
	add(n int, note string)
	// skip counts n lots that will not be sent.
	skip(n int)
	// interrupt runs print, which writes lines, without garbling the bar.
	interrupt(print func())
	finish()
}

func newProgress(w io.Writer, total int, l language) progress {
	if f, ok := w.(*os.File); ok {
		if fi, err := f.Stat(); err == nil && fi.Mode()&os.ModeCharDevice != 0 {
			bar := progressbar.NewOptions(total,
				progressbar.OptionSetWriter(w),
				progressbar.OptionSetDescription(l.pick("lotes", "lots")),
				progressbar.OptionShowCount(),
				progressbar.OptionSetPredictTime(true),
				progressbar.OptionThrottle(100*time.Millisecond),
				progressbar.OptionOnCompletion(func() { fmt.Fprintln(w) }),
			)
			_ = bar.RenderBlank()
			return &barProgress{w: w, bar: bar}
		}
	}
	return &lineProgress{w: w, total: total, lang: l}
}

// barProgress is a progress bar.
type barProgress struct {
	w   io.Writer
	bar *progressbar.ProgressBar
}

func (p *barProgress) add(n int, _ string) { _ = p.bar.Add(n) }
func (p *barProgress) skip(n int)          { p.bar.ChangeMax(p.bar.GetMax() - n) }
func (p *barProgress) interrupt(print func()) {
	_ = p.bar.Clear()
	print()
}
func (p *barProgress) finish() {
	if !p.bar.IsFinished() {
		_ = p.bar.Exit()
		fmt.Fprintln(p.w)
	}
}

// lineProgress prints "progress: DONE/TOTAL lots (note)" lines.
type lineProgress struct {
	w           io.Writer
	done, total int
	lang        language
}

func (p *lineProgress) add(n int, note string) {
	p.done += n
	fmt.Fprintln(p.w, p.lang.sprintf("progress: %d/%d lots (%s)", p.done, p.total, note))
}
func (p *lineProgress) skip(n int)             { p.total -= n }
func (p *lineProgress) interrupt(print func()) { print() }
func (p *lineProgress) finish()                {}
