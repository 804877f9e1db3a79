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
// limit, in one transaction under the market lock, releasing their
// MATCHED trades, and records each change in the audit chain as the
// server's own. It returns how many orders it expired.
func ExpireOrders(ctx context.Context, st *store.Store, limit int) (int, error) {
	var n int
	err := st.InTx(ctx, func(tx *store.Tx) error {
		if err := tx.LockMarket(ctx); err != nil {
			return err
		}
		orders, trades, err := tx.ExpireOrders(ctx, time.Now(), limit)
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
		return tx.AppendAuditEvents(ctx, audit...)
	})
	return n, err
}

// systemEvent is the audit event of a change the server made on its own.
func systemEvent(method, resource, action, region string) *millwa.AuditEvent {
	sys := store.SystemPrincipal
	return &millwa.AuditEvent{Actor: sys.Actor(), Role: sys.Role, Method: method, Resource: resource, Action: action, Region: region}
}
