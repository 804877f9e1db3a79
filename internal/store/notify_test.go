package store_test

import (
	"context"
	"database/sql"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/millwa/millwa/internal/millwa"
	"github.com/millwa/millwa/internal/store"
	"github.com/millwa/millwa/internal/store/storetest"
)

// recordMarketEvents records events in one transaction, as the market
// does, and numbers them into the outbox, as the sequencer does.
func recordMarketEvents(t *testing.T, s *store.Store, events ...millwa.MarketEvent) {
	t.Helper()
	if err := s.InTx(t.Context(), func(tx *store.Tx) error {
		return tx.AppendMarketEvents(t.Context(), append([]millwa.MarketEvent(nil), events...)...)
	}); err != nil {
		t.Fatalf("AppendMarketEvents: %v", err)
	}
	if _, err := s.SequencePending(t.Context()); err != nil {
		t.Fatalf("SequencePending: %v", err)
	}
}

// TestMarketEventVisibleMatchesSQL reads the same events through the SQL
// scope of MarketEvents and through MarketEventVisible, for principals of
// every role (and malformed ones), so that the hub's filter in memory
// cannot drift from what a stream catching up from the database sees.
func TestMarketEventVisibleMatchesSQL(t *testing.T) {
	storetest.ForEachDatabase(t, func(t *testing.T, url string) {
		s := storetest.NewStore(t, url)
		procA, procB := uuid.NewString(), uuid.NewString()
		assocX, assocY := uuid.NewString(), uuid.NewString()
		var events []millwa.MarketEvent
		for _, proc := range []string{procA, procB, ""} {
			for _, assoc := range []string{assocX, assocY, ""} {
				events = append(events, millwa.MarketEvent{Type: millwa.EventTradeMatched, Resource: "trades/" + uuid.NewString(),
					ProcessorID: proc, AssociationID: assoc})
			}
		}
		start, err := s.MarketEventCursor(t.Context())
		if err != nil {
			t.Fatal(err)
		}
		recordMarketEvents(t, s, events...)
		all, err := s.MarketEvents(t.Context(), store.SystemPrincipal, start.Head, start.Head+int64(len(events)), nil, 1000)
		if err != nil {
			t.Fatal(err)
		}
		if len(all) != len(events) {
			t.Fatalf("the system principal reads %d events, want all %d", len(all), len(events))
		}
		principals := map[string]millwa.Principal{
			"admin":                     {KeyID: uuid.NewString(), Role: millwa.RoleAdmin},
			"processor A":               {KeyID: uuid.NewString(), Role: millwa.RoleProcessor, Organisation: "processors/" + procA},
			"processor B":               {KeyID: uuid.NewString(), Role: millwa.RoleProcessor, Organisation: "processors/" + procB},
			"processor A in capitals":   {Role: millwa.RoleProcessor, Organisation: "processors/" + upper(procA)},
			"processor of another kind": {Role: millwa.RoleProcessor, Organisation: "associations/" + assocX},
			"processor not a uuid":      {Role: millwa.RoleProcessor, Organisation: "processors/acme"},
			"processor of nothing":      {Role: millwa.RoleProcessor},
			"association X":             {Role: millwa.RoleAssociation, Organisation: "associations/" + assocX},
			"association Y":             {Role: millwa.RoleAssociation, Organisation: "associations/" + assocY},
			"association as processor":  {Role: millwa.RoleAssociation, Organisation: "processors/" + procA},
			"agency":                    {Role: millwa.RoleAgency, Organisation: "agencies/" + uuid.NewString(), Regions: []string{"08"}},
			"zero principal":            {},
		}
		for name, p := range principals {
			got, err := s.MarketEvents(t.Context(), p, start.Head, start.Head+int64(len(events)), nil, 1000)
			if err != nil {
				t.Fatalf("%s: %v", name, err)
			}
			inSQL := map[int64]bool{}
			for _, e := range got {
				inSQL[e.Seq] = true
			}
			seen := 0
			for i := range all {
				inGo := store.MarketEventVisible(p, &all[i])
				if inGo != inSQL[all[i].Seq] {
					t.Errorf("%s, event with processor %q and association %q: visible in Go %v, in SQL %v",
						name, all[i].ProcessorID, all[i].AssociationID, inGo, inSQL[all[i].Seq])
				}
				if inGo {
					seen++
				}
			}
			// The rule is not vacuous: who should see events does.
			want := map[string]int{"admin": 9, "processor A": 3, "processor A in capitals": 3, "processor B": 3, "association X": 3, "association Y": 3}[name]
			if seen != want {
				t.Errorf("%s sees %d of the events, want %d", name, seen, want)
			}
		}
	})
}

func upper(s string) string {
	b := []byte(s)
	for i, c := range b {
		if c >= 'a' && c <= 'z' {
			b[i] = c - 'a' + 'A'
		}
	}
	return string(b)
}

// TestListenMarketEvents: a commit of market events by another store on
// the same PostgreSQL database reaches a listener, also after its
// connection has been cut; on SQLite there is nothing to listen to.
func TestListenMarketEvents(t *testing.T) {
	t.Run("sqlite", func(t *testing.T) {
		s := storetest.NewStore(t, storetest.SQLiteURL(t))
		ch, err := s.ListenMarketEvents(t.Context())
		if err != nil || ch != nil {
			t.Fatalf("ListenMarketEvents on SQLite = %v, %v; want a nil channel and no error", ch, err)
		}
	})
	t.Run("postgres", func(t *testing.T) {
		url := storetest.PostgresURL(t)
		listener, writer := storetest.NewStore(t, url), storetest.NewStore(t, url)
		ctx, cancel := context.WithCancel(t.Context())
		defer cancel()
		ch, err := listener.ListenMarketEvents(ctx)
		if err != nil || ch == nil {
			t.Fatalf("ListenMarketEvents = %v, %v", ch, err)
		}
		db, _ := storetest.RawDB(t, url)
		listenerPID := func() int {
			var pid sql.NullInt64
			_ = db.QueryRowContext(t.Context(), `SELECT max(pid) FROM pg_stat_activity WHERE application_name = 'millwa-listen'
				AND datname = current_database() AND query LIKE 'LISTEN%'`).Scan(&pid)
			return int(pid.Int64)
		}
		waitFor := func(what string, cond func() bool) {
			t.Helper()
			for deadline := time.Now().Add(20 * time.Second); !cond(); time.Sleep(20 * time.Millisecond) {
				if time.Now().After(deadline) {
					t.Fatalf("waited 20 s for %s", what)
				}
			}
		}
		drain := func() {
			for {
				select {
				case <-ch:
				default:
					return
				}
			}
		}
		// Notifications are delivered, not made up: nothing arrives while
		// nothing is committed, and a commit brings one.
		waitFor("the listening connection", func() bool { return listenerPID() != 0 })
		drain()
		select {
		case <-ch:
			t.Fatal("a notification arrived with no commit")
		case <-time.After(300 * time.Millisecond):
		}
		event := millwa.MarketEvent{Type: millwa.EventOrderFilled, Resource: "processors/p/purchaseOrders/o", ProcessorID: uuid.NewString()}
		recordMarketEvents(t, writer, event)
		select {
		case <-ch:
		case <-time.After(20 * time.Second):
			t.Fatal("no notification 20 s after another store committed an event")
		}
		// Cut the listening connection: a new one takes its place, and
		// commits reach it again.
		old := listenerPID()
		if _, err := db.ExecContext(t.Context(), `SELECT pg_terminate_backend($1)`, old); err != nil {
			t.Fatal(err)
		}
		waitFor("a new listening connection", func() bool { pid := listenerPID(); return pid != 0 && pid != old })
		drain()
		recordMarketEvents(t, writer, event)
		select {
		case <-ch:
		case <-time.After(20 * time.Second):
			t.Fatal("no notification after the listener reconnected")
		}
		// A rolled-back transaction announces nothing.
		time.Sleep(100 * time.Millisecond)
		drain()
		_ = writer.InTx(t.Context(), func(tx *store.Tx) error {
			if err := tx.LockMarket(t.Context()); err != nil {
				return err
			}
			if err := tx.AppendMarketEvents(t.Context(), event); err != nil {
				return err
			}
			return millwa.Errorf(millwa.Aborted, "roll back")
		})
		select {
		case <-ch:
			t.Fatal("a rolled-back transaction was announced")
		case <-time.After(300 * time.Millisecond):
		}
	})
}
