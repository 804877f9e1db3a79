package allocation

import (
	"context"
	"time"

	"github.com/millwa/millwa/internal/millwa"
	"github.com/millwa/millwa/internal/store"
)

// ExpireMethod is the method the audit chain records for the server's own
// expiry of purchase orders.
const ExpireMethod = "system/ExpirePurchaseOrders"

// ExpireOrders expires the orders whose expire time has passed, at most
// limit, in one transaction that locks their books exclusively, releasing
// their MATCHED trades, and records each change in the audit chain as the
// server's own. It returns how many orders it expired.
func ExpireOrders(ctx context.Context, st *store.Store, limit int) (int, error) {
	var n int
	err := st.InTx(ctx, func(tx *store.Tx) error {
		t := time.Now()
		due, err := tx.OrdersToExpire(ctx, t, limit)
		if err != nil || len(due) == 0 {
			return err
		}
		var books []store.Book
		ids := make([]string, len(due))
		for i := range due {
			books = append(books, store.OrderBooks(&due[i])...)
			ids[i] = due[i].ID
		}
		if err := tx.LockBooks(ctx, books...); err != nil {
			return err
		}
		orders, trades, err := tx.ExpireOrders(ctx, t, ids)
		if err != nil {
			return err
		}
		n = len(orders)
		var audit []*millwa.AuditEvent
		for _, o := range orders {
			audit = append(audit, systemEvent(ExpireMethod, millwa.PurchaseOrderName(o.ProcessorID, o.ID), "expire", ""))
		}
		for _, tr := range trades {
			audit = append(audit, systemEvent(ExpireMethod, millwa.TradeName(tr.ID), "cancel", tr.OriginUbigeo))
		}
		return tx.RecordAuditEvents(ctx, audit...)
	})
	return n, err
}

// systemEvent is the audit event of a change the server made on its own.
func systemEvent(method, resource, action, region string) *millwa.AuditEvent {
	sys := store.SystemPrincipal
	return &millwa.AuditEvent{Actor: sys.Actor(), Role: sys.Role, Method: method, Resource: resource, Action: action, Region: region}
}
