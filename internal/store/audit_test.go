package store_test

import (
	"context"
	"crypto/sha256"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/millwa/millwa/internal/millwa"
	"github.com/millwa/millwa/internal/store"
	"github.com/millwa/millwa/internal/store/storetest"
)

// auditEvent returns the event a lot creation numbered i would append, not
// yet appended.
func auditEvent(i int) millwa.AuditEvent {
	return millwa.AuditEvent{
		Actor:        "apiKeys/0190d4c8-0000-7000-8000-000000000001",
		Role:         millwa.RoleAssociation,
		Organisation: "associations/0190d4c8-0000-7000-8000-00000000000a",
		Method:       "/millwa.v1.RegistryService/CreateLot",
		Resource:     fmt.Sprintf("associations/0190d4c8-0000-7000-8000-00000000000a/lots/%d", i),
		Action:       "create",
		Region:       "210101",
		ChangeDigest: sha256.Sum256([]byte("lot " + strconv.Itoa(i))),
	}
}

// appendEvents appends auditEvent(1) to auditEvent(n) with
// AppendAuditEvents, batch events per transaction, and returns them as
// appended.
func appendEvents(t testing.TB, s *store.Store, n, batch int) []millwa.AuditEvent {
	t.Helper()
	ctx := t.Context()
	out := make([]millwa.AuditEvent, 0, n)
	for from := 1; from <= n; from += batch {
		var appended []millwa.AuditEvent
		if err := s.InTx(ctx, func(tx *store.Tx) error {
			appended = appended[:0] // a retried closure starts again
			var ptrs []*millwa.AuditEvent
			for i := from; i < from+batch && i <= n; i++ {
				appended = append(appended, auditEvent(i))
			}
			for i := range appended {
				ptrs = append(ptrs, &appended[i])
			}
			return tx.AppendAuditEvents(ctx, ptrs...)
		}); err != nil {
			t.Fatalf("appending events %d to %d: %v", from, min(from+batch-1, n), err)
		}
		out = append(out, appended...)
	}
	return out
}

// mustAppend appends e in its own transaction and returns it as appended.
func mustAppend(t testing.TB, s *store.Store, e millwa.AuditEvent) millwa.AuditEvent {
	t.Helper()
	if err := s.InTx(t.Context(), func(tx *store.Tx) error {
		return tx.AppendAuditEvent(t.Context(), &e)
	}); err != nil {
		t.Fatalf("AppendAuditEvent(%s %s): %v", e.Action, e.Resource, err)
	}
	return e
}

// mustVerify verifies the whole chain, failing the test on an error.
func mustVerify(t testing.TB, s *store.Store) store.AuditVerification {
	t.Helper()
	v, err := s.VerifyAuditChain(t.Context())
	if err != nil {
		t.Fatalf("VerifyAuditChain: %v", err)
	}
	return v
}

// verified is the result of verifying the intact chain events.
func verified(events []millwa.AuditEvent) store.AuditVerification {
	v := store.AuditVerification{OK: true, EventsChecked: int64(len(events))}
	if len(events) > 0 {
		last := events[len(events)-1]
		v.HeadSequence, v.HeadHash = last.Sequence, last.Hash
	}
	return v
}

// tamper runs change in a transaction in which the triggers that refuse
// UPDATE and DELETE on audit_events are out of the way, as a forger with
// the database's owner rights would have them.
func tamper(t *testing.T, s *store.Store, change func(ctx context.Context, tx *store.Tx) error) {
	t.Helper()
	ctx := t.Context()
	if err := s.InTx(ctx, func(tx *store.Tx) error {
		before, after := []string{
			// Triggers named in migrations/sqlite/00001_initial.sql.
			"DROP TRIGGER IF EXISTS audit_events_refuse_update",
			"DROP TRIGGER IF EXISTS audit_events_refuse_delete",
		}, []string(nil)
		if s.Dialect() == store.DialectPostgres {
			before = []string{"ALTER TABLE audit_events DISABLE TRIGGER USER"}
			after = []string{"ALTER TABLE audit_events ENABLE TRIGGER USER"}
		}
		for _, stmt := range before {
			if _, err := tx.Exec(ctx, stmt); err != nil {
				return err
			}
		}
		if err := change(ctx, tx); err != nil {
			return err
		}
		for _, stmt := range after {
			if _, err := tx.Exec(ctx, stmt); err != nil {
				return err
			}
		}
		return nil
	}); err != nil {
		t.Fatalf("tampering with the audit log: %v", err)
	}
}

// sequences returns the sequences of events, in order.
func sequences(events []millwa.AuditEvent) []int64 {
	out := make([]int64, len(events))
	for i, e := range events {
		out[i] = e.Sequence
	}
	return out
}

func TestAppendAuditEvent(t *testing.T) {
	t.Parallel()
	storetest.ForEachDatabase(t, func(t *testing.T, url string) {
		t.Parallel()
		ctx := t.Context()
		s := storetest.NewStore(t, url)

		if diff := cmp.Diff(verified(nil), mustVerify(t, s)); diff != "" {
			t.Errorf("VerifyAuditChain of the empty log (-want +got):\n%s", diff)
		}

		withTime := auditEvent(3)
		withTime.Time = time.Date(2026, 3, 14, 15, 9, 26, 535897932, time.FixedZone("PET", -5*3600))
		noRegion := auditEvent(4)
		noRegion.Region, noRegion.Organisation, noRegion.Role = "", "", millwa.RoleAdmin
		inputs := []millwa.AuditEvent{auditEvent(1), auditEvent(2), withTime, noRegion, auditEvent(5)}

		var got []millwa.AuditEvent
		for _, in := range inputs {
			before := time.Now()
			e := mustAppend(t, s, in)
			after := time.Now()
			if in.Time.IsZero() && (e.Time.Before(before.Add(-time.Microsecond)) || e.Time.After(after)) {
				t.Errorf("event %d: Time = %v, want between %v and %v", e.Sequence, e.Time, before, after)
			}
			got = append(got, e)
		}

		var want []millwa.AuditEvent
		var prev [32]byte
		for i, in := range inputs {
			w := in
			w.Sequence = int64(i + 1)
			w.Time = got[i].Time
			if !in.Time.IsZero() {
				w.Time = time.Date(2026, 3, 14, 20, 9, 26, 535897000, time.UTC)
			}
			w.PrevHash = prev
			w.Hash = millwa.ChainHash(prev, w.Sequence, &w)
			prev = w.Hash
			want = append(want, w)
		}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("appended events (-want +got):\n%s", diff)
		}
		for _, e := range got {
			if e.Time.Location() != time.UTC || e.Time.Nanosecond()%1000 != 0 {
				t.Errorf("event %d: Time = %v, want UTC at microsecond precision", e.Sequence, e.Time)
			}
			stored, err := s.GetAuditEvent(ctx, e.Sequence)
			if err != nil {
				t.Fatalf("GetAuditEvent(%d): %v", e.Sequence, err)
			}
			if diff := cmp.Diff(e, stored); diff != "" {
				t.Errorf("GetAuditEvent(%d) (-appended +stored):\n%s", e.Sequence, diff)
			}
		}

		if diff := cmp.Diff(verified(got), mustVerify(t, s)); diff != "" {
			t.Errorf("VerifyAuditChain (-want +got):\n%s", diff)
		}
		var headSeq int64
		var headHash []byte
		if err := queryRow(ctx, s, "SELECT last_sequence, last_hash FROM audit_chain_head WHERE id = 1", nil, &headSeq, &headHash); err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff([]any{int64(5), got[4].Hash[:]}, []any{headSeq, headHash}); diff != "" {
			t.Errorf("chain head (-want +got):\n%s", diff)
		}
	})
}

// chainOf returns events chained after the event with hash prev and
// sequence seq, as the store must chain them.
func chainOf(prev [32]byte, seq int64, events []millwa.AuditEvent) []millwa.AuditEvent {
	out := make([]millwa.AuditEvent, len(events))
	for i, e := range events {
		seq++
		e.Sequence, e.PrevHash = seq, prev
		e.Hash = millwa.ChainHash(prev, seq, &e)
		prev = e.Hash
		out[i] = e
	}
	return out
}

// TestAppendAuditEvents appends batches, across the size of one INSERT,
// between single appends: they make one chain, as single appends would.
func TestAppendAuditEvents(t *testing.T) {
	t.Parallel()
	storetest.ForEachDatabase(t, func(t *testing.T, url string) {
		t.Parallel()
		ctx := t.Context()
		s := storetest.NewStore(t, url)
		var all []millwa.AuditEvent
		appendBatch := func(from, n int) {
			t.Helper()
			batch := make([]millwa.AuditEvent, n)
			ptrs := make([]*millwa.AuditEvent, n)
			for i := range batch {
				batch[i] = auditEvent(from + i)
				ptrs[i] = &batch[i]
			}
			before := time.Now()
			if err := s.InTx(ctx, func(tx *store.Tx) error { return tx.AppendAuditEvents(ctx, ptrs...) }); err != nil {
				t.Fatalf("AppendAuditEvents of %d events: %v", n, err)
			}
			after := time.Now()
			var prev [32]byte
			if len(all) > 0 {
				prev = all[len(all)-1].Hash
			}
			inputs := make([]millwa.AuditEvent, n)
			for i := range inputs {
				inputs[i] = auditEvent(from + i)
				inputs[i].Time = batch[0].Time // one time for the batch
			}
			if batch[0].Time.Before(before.Add(-time.Microsecond)) || batch[0].Time.After(after) {
				t.Errorf("batch of %d: Time = %v, want between %v and %v", n, batch[0].Time, before, after)
			}
			if diff := cmp.Diff(chainOf(prev, int64(len(all)), inputs), batch); diff != "" {
				t.Errorf("batch of %d (-want +got):\n%s", n, diff)
			}
			all = append(all, batch...)
		}
		appendBatch(1, 1)
		all = append(all, mustAppend(t, s, auditEvent(2)))
		appendBatch(3, 250) // three INSERTs: 100, 100, 50
		all = append(all, mustAppend(t, s, auditEvent(253)))
		appendBatch(254, 100)
		if err := s.InTx(ctx, func(tx *store.Tx) error { return tx.AppendAuditEvents(ctx) }); err != nil {
			t.Errorf("AppendAuditEvents of no event: %v", err)
		}

		if diff := cmp.Diff(verified(all), mustVerify(t, s)); diff != "" {
			t.Errorf("VerifyAuditChain (-want +got):\n%s", diff)
		}
		page, err := s.ListAuditEvents(ctx, store.ListQuery{Limit: store.MaxListLimit})
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(all, page.Items); diff != "" {
			t.Errorf("stored events (-appended +stored):\n%s", diff)
		}

		// One incomplete event refuses the batch: nothing is appended or
		// changed.
		good, bad := auditEvent(400), auditEvent(401)
		bad.Action = ""
		in := []millwa.AuditEvent{good, bad}
		err = s.InTx(ctx, func(tx *store.Tx) error { return tx.AppendAuditEvents(ctx, &good, &bad) })
		if got := errorCode(err); got != millwa.Internal {
			t.Errorf("AppendAuditEvents with an event without action: code %q (%v), want %q", got, err, millwa.Internal)
		}
		if diff := cmp.Diff(in, []millwa.AuditEvent{good, bad}); diff != "" {
			t.Errorf("the refused events changed (-before +after):\n%s", diff)
		}
		if diff := cmp.Diff(verified(all), mustVerify(t, s)); diff != "" {
			t.Errorf("VerifyAuditChain after the refused batch (-want +got):\n%s", diff)
		}
	})
}

func TestAppendAuditEventRefusesIncompleteEvent(t *testing.T) {
	t.Parallel()
	storetest.ForEachDatabase(t, func(t *testing.T, url string) {
		t.Parallel()
		s := storetest.NewStore(t, url)
		for _, tc := range []struct {
			name  string
			clear func(e *millwa.AuditEvent)
		}{
			{"no actor", func(e *millwa.AuditEvent) { e.Actor = "" }},
			{"no role", func(e *millwa.AuditEvent) { e.Role = "" }},
			{"no method", func(e *millwa.AuditEvent) { e.Method = "" }},
			{"no resource", func(e *millwa.AuditEvent) { e.Resource = "" }},
			{"no action", func(e *millwa.AuditEvent) { e.Action = "" }},
		} {
			t.Run(tc.name, func(t *testing.T) {
				e := auditEvent(1)
				tc.clear(&e)
				in := e
				err := s.InTx(t.Context(), func(tx *store.Tx) error { return tx.AppendAuditEvent(t.Context(), &e) })
				if got := errorCode(err); got != millwa.Internal {
					t.Errorf("AppendAuditEvent: code %q (%v), want %q", got, err, millwa.Internal)
				}
				if diff := cmp.Diff(in, e); diff != "" {
					t.Errorf("the refused event changed (-before +after):\n%s", diff)
				}
			})
		}
		if diff := cmp.Diff(verified(nil), mustVerify(t, s)); diff != "" {
			t.Errorf("VerifyAuditChain after the refusals (-want +got):\n%s", diff)
		}
	})
}

// TestVerifyAuditChain10000 is the acceptance test of issue 3: an
// untouched chain of 10,000 events verifies.
func TestVerifyAuditChain10000(t *testing.T) {
	t.Parallel()
	storetest.ForEachDatabase(t, func(t *testing.T, url string) {
		t.Parallel()
		s := storetest.NewStore(t, url)
		start := time.Now()
		events := appendEvents(t, s, 10_000, 500)
		appended := time.Since(start)

		start = time.Now()
		got := mustVerify(t, s)
		t.Logf("%s: appended 10,000 events in %v, verified them in %v", s.Dialect(), appended.Round(time.Millisecond), time.Since(start).Round(time.Millisecond))
		if diff := cmp.Diff(verified(events), got); diff != "" {
			t.Errorf("VerifyAuditChain (-want +got):\n%s", diff)
		}
		if want := int64(10_000); events[len(events)-1].Sequence != want {
			t.Errorf("last sequence = %d, want %d", events[len(events)-1].Sequence, want)
		}
	})
}

// TestVerifyAuditChainDetectsTampering changes the stored log of 20 events
// as a forger with write access to the database could, and checks that
// verification reports the first event whose link is broken, and which
// check failed.
func TestVerifyAuditChainDetectsTampering(t *testing.T) {
	t.Parallel()
	const n = 20
	forged := sha256.Sum256([]byte("forged"))
	update := func(stmt string, args ...any) func(ctx context.Context, tx *store.Tx, _ []millwa.AuditEvent) error {
		return func(ctx context.Context, tx *store.Tx, _ []millwa.AuditEvent) error {
			changed, err := tx.Exec(ctx, stmt, args...)
			if err == nil && changed == 0 {
				err = fmt.Errorf("%s changed no row", stmt)
			}
			return err
		}
	}
	// rewritten is event seq with another action and the hash recomputed
	// from it, as a forger who knows the hash rule would write it.
	rewritten := func(chain []millwa.AuditEvent, seq int) millwa.AuditEvent {
		e := chain[seq-1]
		e.Action = "forged"
		e.Hash = millwa.ChainHash(e.PrevHash, e.Sequence, &e)
		return e
	}
	rewrite := func(seq int) func(ctx context.Context, tx *store.Tx, chain []millwa.AuditEvent) error {
		return func(ctx context.Context, tx *store.Tx, chain []millwa.AuditEvent) error {
			e := rewritten(chain, seq)
			_, err := tx.Exec(ctx, "UPDATE audit_events SET action = ?, hash = ? WHERE sequence = ?", e.Action, e.Hash[:], seq)
			return err
		}
	}
	for _, tc := range []struct {
		name   string
		change func(ctx context.Context, tx *store.Tx, chain []millwa.AuditEvent) error
		// The first broken event and the check it fails; every event
		// before it verified.
		wantBroken  int64
		wantFailure store.AuditFailure
		// wantHead is the hash of the last event verified, when it is not
		// the one appended.
		wantHead func(chain []millwa.AuditEvent) [32]byte
	}{
		{"action changed", update("UPDATE audit_events SET action = 'withdraw' WHERE sequence = 7"), 7, store.AuditHashMismatch, nil},
		{"organisation changed", update("UPDATE audit_events SET organisation = 'associations/other' WHERE sequence = 7"), 7, store.AuditHashMismatch, nil},
		{"actor changed", update("UPDATE audit_events SET actor = 'apiKeys/other' WHERE sequence = 7"), 7, store.AuditHashMismatch, nil},
		{"region changed", update("UPDATE audit_events SET region = '080101' WHERE sequence = 7"), 7, store.AuditHashMismatch, nil},
		{"change digest changed", update("UPDATE audit_events SET change_digest = ? WHERE sequence = 7", forged[:]), 7, store.AuditHashMismatch, nil},
		{"time changed", update("UPDATE audit_events SET event_time = ? WHERE sequence = 7", store.DBTime{Time: time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC)}), 7, store.AuditHashMismatch, nil},
		{"stored hash changed", update("UPDATE audit_events SET hash = ? WHERE sequence = 7", forged[:]), 7, store.AuditHashMismatch, nil},
		{"previous hash changed", update("UPDATE audit_events SET prev_hash = ? WHERE sequence = 7", forged[:]), 7, store.AuditPrevHashMismatch, nil},
		{"middle event deleted", update("DELETE FROM audit_events WHERE sequence = 7"), 7, store.AuditSequenceGap, nil},
		{"two events deleted", update("DELETE FROM audit_events WHERE sequence IN (7, 8)"), 7, store.AuditSequenceGap, nil},
		{"first event deleted", update("DELETE FROM audit_events WHERE sequence = 1"), 1, store.AuditSequenceGap, nil},
		// Events removed from the end leave the head naming events that are
		// gone: the proto documents that as HEAD_MISMATCH, not a gap.
		{"last event deleted", update("DELETE FROM audit_events WHERE sequence = 20"), 20, store.AuditHeadMismatch, nil},
		{"last two events deleted", update("DELETE FROM audit_events WHERE sequence >= 19"), 19, store.AuditHeadMismatch, nil},
		{"every event deleted", update("DELETE FROM audit_events"), 1, store.AuditHeadMismatch, nil},
		// A forger who recomputes the changed event's hash breaks the
		// link to the next event, which still names the old hash.
		{"event rewritten with its hash recomputed", rewrite(7), 8, store.AuditPrevHashMismatch, func(chain []millwa.AuditEvent) [32]byte {
			return rewritten(chain, 7).Hash
		}},
		// The last event has no next one: the chain head names its hash.
		{"last event rewritten with its hash recomputed", rewrite(n), n, store.AuditHeadMismatch, nil},
		{"chain head hash changed", update("UPDATE audit_chain_head SET last_hash = ? WHERE id = 1", forged[:]), n, store.AuditHeadMismatch, nil},
		{"chain head moved back", func(ctx context.Context, tx *store.Tx, chain []millwa.AuditEvent) error {
			_, err := tx.Exec(ctx, "UPDATE audit_chain_head SET last_sequence = ?, last_hash = ? WHERE id = 1", n-1, chain[n-2].Hash[:])
			return err
		}, n, store.AuditHeadMismatch, nil},
		{"event inserted past the head", func(ctx context.Context, tx *store.Tx, chain []millwa.AuditEvent) error {
			e := auditEvent(n + 1)
			e.Sequence, e.Time, e.PrevHash = n+1, time.Now().UTC().Truncate(time.Microsecond), chain[n-1].Hash
			e.Hash = millwa.ChainHash(e.PrevHash, e.Sequence, &e)
			_, err := tx.Exec(ctx, `INSERT INTO audit_events (sequence, actor, role, organisation, method,
					resource, action, region, change_digest, event_time, prev_hash, hash)
				VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
				e.Sequence, e.Actor, string(e.Role), e.Organisation, e.Method, e.Resource, e.Action, e.Region,
				e.ChangeDigest[:], store.DBTime{Time: e.Time}, e.PrevHash[:], e.Hash[:])
			return err
		}, n + 1, store.AuditHeadMismatch, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			storetest.ForEachDatabase(t, func(t *testing.T, url string) {
				t.Parallel()
				s := storetest.NewStore(t, url)
				chain := appendEvents(t, s, n, n)
				if v := mustVerify(t, s); !v.OK {
					t.Fatalf("the untouched chain does not verify: %+v", v)
				}
				tamper(t, s, func(ctx context.Context, tx *store.Tx) error { return tc.change(ctx, tx, chain) })

				got := mustVerify(t, s)
				want := store.AuditVerification{
					FirstBroken:   tc.wantBroken,
					Failure:       tc.wantFailure,
					EventsChecked: tc.wantBroken - 1,
					HeadSequence:  tc.wantBroken - 1,
					Problem:       got.Problem,
				}
				if tc.wantHead != nil {
					want.HeadHash = tc.wantHead(chain)
				} else if tc.wantBroken > 1 {
					want.HeadHash = chain[tc.wantBroken-2].Hash
				}
				if diff := cmp.Diff(want, got); diff != "" {
					t.Errorf("VerifyAuditChain (-want +got):\n%s", diff)
				}
				if event := fmt.Sprintf("event %d", tc.wantBroken); !strings.Contains(got.Problem, event) {
					t.Errorf("Problem %q does not name %s", got.Problem, event)
				}
				t.Logf("Problem: %s", got.Problem)
			})
		})
	}
}

func TestVerifyAuditRange(t *testing.T) {
	t.Parallel()
	storetest.ForEachDatabase(t, func(t *testing.T, url string) {
		t.Parallel()
		ctx := t.Context()
		s := storetest.NewStore(t, url)
		chain := appendEvents(t, s, 30, 30)
		rangeOK := func(from, to int) store.AuditVerification {
			return store.AuditVerification{OK: true, EventsChecked: int64(to - from + 1), HeadSequence: int64(to), HeadHash: chain[to-1].Hash}
		}
		for _, tc := range []struct {
			name       string
			start, end int64
			want       store.AuditVerification
		}{
			{"everything", 0, 0, rangeOK(1, 30)},
			{"everything, spelt out", 1, 30, rangeOK(1, 30)},
			{"from the start", 0, 12, rangeOK(1, 12)},
			{"to the head", 12, 0, rangeOK(12, 30)},
			{"middle", 10, 20, rangeOK(10, 20)},
			{"one event", 17, 17, rangeOK(17, 17)},
			{"the last event", 30, 30, rangeOK(30, 30)},
		} {
			t.Run(tc.name, func(t *testing.T) {
				got, err := s.VerifyAuditRange(ctx, tc.start, tc.end)
				if err != nil {
					t.Fatalf("VerifyAuditRange(%d, %d): %v", tc.start, tc.end, err)
				}
				if diff := cmp.Diff(tc.want, got); diff != "" {
					t.Errorf("VerifyAuditRange(%d, %d) (-want +got):\n%s", tc.start, tc.end, diff)
				}
			})
		}
		for _, tc := range []struct {
			name       string
			start, end int64
		}{
			{"negative start", -1, 0},
			{"negative end", 0, -1},
			{"end past the head", 0, 31},
			{"start past the head", 31, 0},
			{"start after end", 20, 10},
		} {
			t.Run(tc.name, func(t *testing.T) {
				_, err := s.VerifyAuditRange(ctx, tc.start, tc.end)
				if got := errorCode(err); got != millwa.Invalid {
					t.Errorf("VerifyAuditRange(%d, %d): code %q (%v), want %q", tc.start, tc.end, got, err, millwa.Invalid)
				}
			})
		}

		// Break event 5 and delete event 14: a range after them trusts the
		// anchor before it; a range over them finds the first.
		tamper(t, s, func(ctx context.Context, tx *store.Tx) error {
			if _, err := tx.Exec(ctx, "UPDATE audit_events SET action = 'forged' WHERE sequence = 5"); err != nil {
				return err
			}
			_, err := tx.Exec(ctx, "DELETE FROM audit_events WHERE sequence = 14")
			return err
		})
		for _, tc := range []struct {
			name       string
			start, end int64
			want       store.AuditVerification
		}{
			{"after the breaks", 16, 0, rangeOK(16, 30)},
			{"before the breaks", 1, 4, rangeOK(1, 4)},
			{"from the altered event", 5, 0, store.AuditVerification{FirstBroken: 5, Failure: store.AuditHashMismatch}},
			{"over the altered event", 3, 8, store.AuditVerification{FirstBroken: 5, Failure: store.AuditHashMismatch, EventsChecked: 2, HeadSequence: 4, HeadHash: chain[3].Hash}},
			{"over the gap", 10, 20, store.AuditVerification{FirstBroken: 14, Failure: store.AuditSequenceGap, EventsChecked: 4, HeadSequence: 13, HeadHash: chain[12].Hash}},
			{"ending at the gap", 10, 14, store.AuditVerification{FirstBroken: 14, Failure: store.AuditSequenceGap, EventsChecked: 4, HeadSequence: 13, HeadHash: chain[12].Hash}},
			{"anchored on the gap", 15, 0, store.AuditVerification{FirstBroken: 14, Failure: store.AuditSequenceGap}},
			{"everything", 0, 0, store.AuditVerification{FirstBroken: 5, Failure: store.AuditHashMismatch, EventsChecked: 4, HeadSequence: 4, HeadHash: chain[3].Hash}},
		} {
			t.Run(tc.name, func(t *testing.T) {
				got, err := s.VerifyAuditRange(ctx, tc.start, tc.end)
				if err != nil {
					t.Fatalf("VerifyAuditRange(%d, %d): %v", tc.start, tc.end, err)
				}
				tc.want.Problem = got.Problem
				if diff := cmp.Diff(tc.want, got); diff != "" {
					t.Errorf("VerifyAuditRange(%d, %d) (-want +got):\n%s", tc.start, tc.end, diff)
				}
				if !tc.want.OK && !strings.Contains(got.Problem, fmt.Sprintf("event %d", tc.want.FirstBroken)) {
					t.Errorf("Problem %q does not name event %d", got.Problem, tc.want.FirstBroken)
				}
			})
		}
	})
}

func TestAuditEventRolledBack(t *testing.T) {
	t.Parallel()
	storetest.ForEachDatabase(t, func(t *testing.T, url string) {
		t.Parallel()
		ctx := t.Context()
		s := storetest.NewStore(t, url)
		chain := appendEvents(t, s, 3, 3)

		errChange := fmt.Errorf("the change failed")
		var inTx millwa.AuditEvent
		err := s.InTx(ctx, func(tx *store.Tx) error {
			for i := 4; i <= 5; i++ {
				inTx = auditEvent(i)
				if err := tx.AppendAuditEvent(ctx, &inTx); err != nil {
					return err
				}
			}
			return errChange
		})
		if err != errChange {
			t.Fatalf("InTx = %v, want the closure's error", err)
		}
		if inTx.Sequence != 5 {
			t.Errorf("inside the transaction the second event had sequence %d, want 5", inTx.Sequence)
		}
		for _, seq := range []int64{4, 5} {
			if _, err := s.GetAuditEvent(ctx, seq); errorCode(err) != millwa.NotFound {
				t.Errorf("GetAuditEvent(%d) after the rollback: %v, want NotFound", seq, err)
			}
		}
		var headSeq int64
		var headHash []byte
		if err := queryRow(ctx, s, "SELECT last_sequence, last_hash FROM audit_chain_head WHERE id = 1", nil, &headSeq, &headHash); err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff([]any{int64(3), chain[2].Hash[:]}, []any{headSeq, headHash}); diff != "" {
			t.Errorf("chain head after the rollback (-want +got):\n%s", diff)
		}
		if diff := cmp.Diff(verified(chain), mustVerify(t, s)); diff != "" {
			t.Errorf("VerifyAuditChain after the rollback (-want +got):\n%s", diff)
		}

		// The next append takes the place of the rolled-back one: no gap.
		next := mustAppend(t, s, auditEvent(6))
		if next.Sequence != 4 || next.PrevHash != chain[2].Hash {
			t.Errorf("next event: sequence %d, previous hash %x; want 4 after %x", next.Sequence, next.PrevHash, chain[2].Hash)
		}
		if diff := cmp.Diff(verified(append(chain, next)), mustVerify(t, s)); diff != "" {
			t.Errorf("VerifyAuditChain after the next append (-want +got):\n%s", diff)
		}
	})
}

// TestAppendAuditEventConcurrentReplicas appends from 16 goroutines
// through 4 stores on one database, as replicas would, while another
// verifies the chain: the chain stays linear and every verification, which
// sees a snapshot, passes.
func TestAppendAuditEventConcurrentReplicas(t *testing.T) {
	t.Parallel()
	const (
		replicas = 4
		writers  = 16
		appends  = 25
	)
	storetest.ForEachDatabase(t, func(t *testing.T, url string) {
		t.Parallel()
		ctx := t.Context()
		stores := make([]*store.Store, replicas)
		for i := range stores {
			stores[i] = storetest.NewStore(t, url)
		}

		var wg sync.WaitGroup
		for w := range writers {
			wg.Go(func() {
				s := stores[w%replicas]
				var last int64
				for i := range appends {
					var appended millwa.AuditEvent
					if err := s.InTx(ctx, func(tx *store.Tx) error {
						appended = auditEvent(w*appends + i)
						appended.Actor = fmt.Sprintf("apiKeys/writer-%d", w)
						return tx.AppendAuditEvent(ctx, &appended)
					}); err != nil {
						t.Errorf("writer %d, append %d: %v", w, i, err)
						return
					}
					// Each append commits before the next begins.
					if appended.Sequence <= last {
						t.Errorf("writer %d, append %d: sequence %d after %d", w, i, appended.Sequence, last)
					}
					last = appended.Sequence
				}
			})
		}
		done := make(chan struct{})
		var verifications int
		var verifier sync.WaitGroup
		verifier.Go(func() {
			for {
				v, err := stores[replicas-1].VerifyAuditChain(ctx)
				if err != nil || !v.OK {
					t.Errorf("VerifyAuditChain while appending: %+v, %v", v, err)
					return
				}
				verifications++
				select {
				case <-done:
					return
				default:
				}
			}
		})
		wg.Wait()
		close(done)
		verifier.Wait()
		t.Logf("%s: %d verifications passed while appending", stores[0].Dialect(), verifications)

		page, err := stores[0].ListAuditEvents(ctx, store.ListQuery{Limit: store.MaxListLimit})
		if err != nil {
			t.Fatal(err)
		}
		total := writers * appends
		wantSeqs := make([]int64, total)
		for i := range wantSeqs {
			wantSeqs[i] = int64(i + 1)
		}
		if diff := cmp.Diff(wantSeqs, sequences(page.Items)); diff != "" {
			t.Errorf("sequences (-want +got):\n%s", diff)
		}
		var gotResources, wantResources []string
		for i, e := range page.Items {
			gotResources = append(gotResources, e.Resource)
			wantResources = append(wantResources, auditEvent(i).Resource)
		}
		slices.Sort(gotResources)
		slices.Sort(wantResources)
		if diff := cmp.Diff(wantResources, gotResources); diff != "" {
			t.Errorf("each append exactly once: resources (-want +got):\n%s", diff)
		}
		if diff := cmp.Diff(verified(page.Items), mustVerify(t, stores[1])); diff != "" {
			t.Errorf("VerifyAuditChain after appending (-want +got):\n%s", diff)
		}
	})
}

// listFixture appends the ten events TestListAuditEvents filters: an admin
// creates associations A and B, their keys create and withdraw lots, the
// admin creates agencies G and G2 and a key, and agencies G and H record
// check gradings. Event i is at base plus i hours.
func listFixture(t *testing.T, s *store.Store, base time.Time) []millwa.AuditEvent {
	t.Helper()
	const (
		registry = "/millwa.v1.RegistryService/"
		audit    = "/millwa.v1.AuditService/"
	)
	type ev struct {
		actor, org, method, resource, action, region string
	}
	admin := func(method, resource, region string) ev {
		return ev{"apiKeys/admin", "", method, resource, "create", region}
	}
	specs := []ev{
		admin(registry+"CreateAssociation", "associations/A", "210101"),
		admin(registry+"CreateAssociation", "associations/B", "080101"),
		{"apiKeys/kA", "associations/A", registry + "CreateLot", "associations/A/lots/L1", "create", "211101"},
		{"apiKeys/kA", "associations/A", registry + "WithdrawLot", "associations/A/lots/L1", "withdraw", "211101"},
		{"apiKeys/kB", "associations/B", registry + "CreateLot", "associations/B/lots/L2", "create", "080101"},
		admin(audit+"CreateAgency", "agencies/G", ""),
		{"apiKeys/kG", "agencies/G", audit + "RecordCheckGrading", "agencies/G/checkGradings/C1", "create", "211101"},
		admin("/millwa.v1.IdentityService/CreateApiKey", "apiKeys/kG", ""),
		{"apiKeys/kH", "agencies/H", audit + "RecordCheckGrading", "agencies/H/checkGradings/C2", "create", "080101"},
		admin(audit+"CreateAgency", "agencies/G2", ""),
	}
	var out []millwa.AuditEvent
	for i, sp := range specs {
		role := millwa.RoleAdmin
		switch {
		case strings.HasPrefix(sp.org, "associations/"):
			role = millwa.RoleAssociation
		case strings.HasPrefix(sp.org, "agencies/"):
			role = millwa.RoleAgency
		}
		out = append(out, mustAppend(t, s, millwa.AuditEvent{
			Actor: sp.actor, Role: role, Organisation: sp.org, Method: sp.method,
			Resource: sp.resource, Action: sp.action, Region: sp.region,
			ChangeDigest: sha256.Sum256([]byte(sp.resource)),
			Time:         base.Add(time.Duration(i+1) * time.Hour),
		}))
	}
	return out
}

func TestListAuditEvents(t *testing.T) {
	t.Parallel()
	storetest.ForEachDatabase(t, func(t *testing.T, url string) {
		t.Parallel()
		s := storetest.NewStore(t, url)
		base := time.Date(2026, 11, 1, 8, 0, 0, 0, time.UTC)
		events := listFixture(t, s, base)
		at := func(seq int) time.Time { return events[seq-1].Time }
		str := func(field string, op millwa.Op, v string) millwa.Condition {
			return millwa.Condition{Field: field, Op: op, Str: v}
		}
		seq := func(op millwa.Op, v int64) millwa.Condition {
			return millwa.Condition{Field: "sequence", Op: op, Int: v}
		}
		created := func(op millwa.Op, v time.Time) millwa.Condition {
			return millwa.Condition{Field: "create_time", Op: op, Time: v}
		}
		where := func(cs ...millwa.Condition) store.ListQuery { return store.ListQuery{Conditions: cs} }
		desc := []millwa.OrderTerm{{Field: "sequence", Desc: true}}
		for _, tc := range []struct {
			name string
			q    store.ListQuery
			want []int64
		}{
			{"all", store.ListQuery{}, []int64{1, 2, 3, 4, 5, 6, 7, 8, 9, 10}},
			{"resource", where(str("resource", millwa.OpEq, "associations/A")), []int64{1}},
			{"resource under", where(str("resource", millwa.OpEq, "associations/A/*")), []int64{3, 4}},
			{"resource prefix", where(str("resource", millwa.OpEq, "agencies/G*")), []int64{6, 7, 10}},
			{"resource not under", where(str("resource", millwa.OpNe, "associations/*")), []int64{6, 7, 8, 9, 10}},
			{"resource other than", where(str("resource", millwa.OpNe, "agencies/G")), []int64{1, 2, 3, 4, 5, 7, 8, 9, 10}},
			{"resource LIKE wildcards are literal", where(str("resource", millwa.OpEq, "agencies/_/*")), nil},
			{"resource exact has no wildcards", where(str("resource", millwa.OpEq, "agencies/%")), nil},
			{"actor", where(str("actor", millwa.OpEq, "apiKeys/kA")), []int64{3, 4}},
			{"actor organisation", where(str("actor_organisation", millwa.OpEq, "agencies/H")), []int64{9}},
			{"actor role", where(str("actor_role", millwa.OpEq, string(millwa.RoleAgency))), []int64{7, 9}},
			{"method", where(str("method", millwa.OpEq, "/millwa.v1.RegistryService/WithdrawLot")), []int64{4}},
			{"action", where(str("action", millwa.OpEq, "withdraw")), []int64{4}},
			{"region department", where(str("region", millwa.OpEq, "21")), []int64{1, 3, 4, 7}},
			{"region province", where(str("region", millwa.OpEq, "2111")), []int64{3, 4, 7}},
			{"region outside", where(str("region", millwa.OpNe, "21")), []int64{2, 5, 6, 8, 9, 10}},
			{"sequence after", where(seq(millwa.OpGt, 7)), []int64{8, 9, 10}},
			{"sequence up to", where(seq(millwa.OpLe, 2)), []int64{1, 2}},
			{"sequence equal", where(seq(millwa.OpEq, 5)), []int64{5}},
			{"created from", where(created(millwa.OpGe, at(6))), []int64{6, 7, 8, 9, 10}},
			{"created before", where(created(millwa.OpLt, at(3))), []int64{1, 2}},
			{"created within", where(created(millwa.OpGt, at(2)), created(millwa.OpLe, at(4))), []int64{3, 4}},
			{"region and action", where(str("region", millwa.OpEq, "21"), str("action", millwa.OpEq, "create")), []int64{1, 3, 7}},
			{"newest first", store.ListQuery{Order: desc}, []int64{10, 9, 8, 7, 6, 5, 4, 3, 2, 1}},
			{"newest first, filtered", store.ListQuery{Order: desc, Conditions: []millwa.Condition{str("region", millwa.OpEq, "08")}}, []int64{9, 5, 2}},
			{"ascending order spelt out", store.ListQuery{Order: []millwa.OrderTerm{{Field: "sequence"}}, Limit: 3}, []int64{1, 2, 3}},
			{"limit", store.ListQuery{Limit: 3}, []int64{1, 2, 3}},
			{"after", store.ListQuery{After: []string{"8"}}, []int64{9, 10}},
			{"after, newest first", store.ListQuery{Order: desc, After: []string{"8"}, Limit: 3}, []int64{7, 6, 5}},
			{"after the last", store.ListQuery{After: []string{"10"}}, nil},
			{"ordered by action", store.ListQuery{Order: []millwa.OrderTerm{{Field: "action", Desc: true}}}, []int64{4, 1, 2, 3, 5, 6, 7, 8, 9, 10}},
			{"ordered by action, after", store.ListQuery{Order: []millwa.OrderTerm{{Field: "action"}}, After: []string{"create", "9"}}, []int64{10, 4}},
		} {
			t.Run(tc.name, func(t *testing.T) {
				t.Parallel()
				got, err := s.ListAuditEvents(t.Context(), tc.q)
				if err != nil {
					t.Fatalf("ListAuditEvents(%+v): %v", tc.q, err)
				}
				if diff := cmp.Diff(tc.want, sequences(got.Items), cmp.Comparer(func(a, b []int64) bool { return slices.Equal(a, b) })); diff != "" {
					t.Errorf("ListAuditEvents(%+v) sequences (-want +got):\n%s", tc.q, diff)
				}
			})
		}

		// The events come back whole.
		all, err := s.ListAuditEvents(t.Context(), store.ListQuery{})
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(events, all.Items); diff != "" {
			t.Errorf("listed events (-appended +listed):\n%s", diff)
		}

		// Paging in pages of 3 gives every event once, in order, with the
		// last item's sequence as the page key.
		for _, tc := range []struct {
			name  string
			order []millwa.OrderTerm
			want  []int64
		}{
			{"oldest first", nil, []int64{1, 2, 3, 4, 5, 6, 7, 8, 9, 10}},
			{"newest first", desc, []int64{10, 9, 8, 7, 6, 5, 4, 3, 2, 1}},
		} {
			t.Run("pages "+tc.name, func(t *testing.T) {
				t.Parallel()
				q := store.ListQuery{Order: tc.order, Limit: 3}
				var got []int64
				for page := 0; ; page++ {
					p, err := s.ListAuditEvents(t.Context(), q)
					if err != nil {
						t.Fatalf("page %d: %v", page, err)
					}
					got = append(got, sequences(p.Items)...)
					if p.Next == nil {
						break
					}
					if want := []string{strconv.FormatInt(p.Items[len(p.Items)-1].Sequence, 10)}; !slices.Equal(want, p.Next) {
						t.Errorf("page %d: Next = %q, want %q", page, p.Next, want)
					}
					if page > 10 {
						t.Fatal("paging does not end")
					}
					q.After = p.Next
				}
				if diff := cmp.Diff(tc.want, got); diff != "" {
					t.Errorf("sequences in page order (-want +got):\n%s", diff)
				}
			})
		}

		for _, tc := range []struct {
			name string
			q    store.ListQuery
		}{
			{"unknown field", where(str("hash", millwa.OpEq, "x"))},
			{"unknown order", store.ListQuery{Order: []millwa.OrderTerm{{Field: "prev_hash"}}}},
			{"page key not a sequence", store.ListQuery{After: []string{"x"}}},
			{"page key a UUID", store.ListQuery{After: []string{"0190d4c8-0000-7000-8000-000000000001"}}},
			{"page key too long", store.ListQuery{Order: desc, After: []string{"8", "8"}}},
			{"page key too short", store.ListQuery{Order: []millwa.OrderTerm{{Field: "action"}}, After: []string{"create"}}},
			{"limit too large", store.ListQuery{Limit: store.MaxListLimit + 1}},
		} {
			t.Run("invalid "+tc.name, func(t *testing.T) {
				t.Parallel()
				_, err := s.ListAuditEvents(t.Context(), tc.q)
				if got := errorCode(err); got != millwa.Invalid {
					t.Errorf("ListAuditEvents(%+v): code %q (%v), want %q", tc.q, got, err, millwa.Invalid)
				}
			})
		}
	})
}

func TestListAuditEventsVisibleTo(t *testing.T) {
	t.Parallel()
	storetest.ForEachDatabase(t, func(t *testing.T, url string) {
		t.Parallel()
		s := storetest.NewStore(t, url)
		listFixture(t, s, time.Date(2026, 11, 1, 8, 0, 0, 0, time.UTC))
		agencyG := store.AuditVisibility{Organisation: "agencies/G", Regions: []string{"21"}}
		for _, tc := range []struct {
			name string
			v    store.AuditVisibility
			q    store.ListQuery
			want []int64
		}{
			// Puno's events, agency G's own (not agency G2's) and its keys'.
			{"agency of Puno", agencyG, store.ListQuery{}, []int64{1, 3, 4, 6, 7}},
			{"agency of Cusco", store.AuditVisibility{Organisation: "agencies/H", Regions: []string{"08"}}, store.ListQuery{}, []int64{2, 5, 9}},
			{"two regions", store.AuditVisibility{Regions: []string{"2111", "08"}}, store.ListQuery{}, []int64{2, 3, 4, 5, 7, 9}},
			{"no regions", store.AuditVisibility{Organisation: "agencies/G"}, store.ListQuery{}, []int64{6, 7}},
			{"nothing", store.AuditVisibility{}, store.ListQuery{}, nil},
			{"an empty region sees nothing", store.AuditVisibility{Regions: []string{""}}, store.ListQuery{}, nil},
			{"LIKE wildcards are literal", store.AuditVisibility{Organisation: "agencies/_", Regions: []string{"2_"}}, store.ListQuery{}, nil},
			{"and a filter", agencyG, store.ListQuery{Conditions: []millwa.Condition{{Field: "action", Op: millwa.OpEq, Str: "create"}}}, []int64{1, 3, 6, 7}},
			{"and a filter outside it", agencyG, store.ListQuery{Conditions: []millwa.Condition{{Field: "region", Op: millwa.OpEq, Str: "08"}}}, nil},
			{"newest first, after", agencyG, store.ListQuery{Order: []millwa.OrderTerm{{Field: "sequence", Desc: true}}, After: []string{"6"}, Limit: 2}, []int64{4, 3}},
		} {
			t.Run(tc.name, func(t *testing.T) {
				t.Parallel()
				got, err := s.ListAuditEventsVisibleTo(t.Context(), tc.v, tc.q)
				if err != nil {
					t.Fatalf("ListAuditEventsVisibleTo(%+v, %+v): %v", tc.v, tc.q, err)
				}
				if diff := cmp.Diff(tc.want, sequences(got.Items), cmp.Comparer(func(a, b []int64) bool { return slices.Equal(a, b) })); diff != "" {
					t.Errorf("ListAuditEventsVisibleTo(%+v, %+v) sequences (-want +got):\n%s", tc.v, tc.q, diff)
				}
			})
		}
	})
}

func TestGetAuditEventNotFound(t *testing.T) {
	t.Parallel()
	storetest.ForEachDatabase(t, func(t *testing.T, url string) {
		t.Parallel()
		s := storetest.NewStore(t, url)
		appendEvents(t, s, 2, 2)
		for _, seq := range []int64{0, -1, 3, 1 << 40} {
			_, err := s.GetAuditEvent(t.Context(), seq)
			if got := errorCode(err); got != millwa.NotFound {
				t.Errorf("GetAuditEvent(%d): code %q (%v), want %q", seq, got, err, millwa.NotFound)
			}
			if want := fmt.Sprintf("audit event %d not found", seq); errorMessage(err) != want {
				t.Errorf("GetAuditEvent(%d): message %q, want %q", seq, errorMessage(err), want)
			}
		}
	})
}
