// The association's trades: what the market matched to its lots, to
// confirm or decline (with the reason the processor will read), and how far
// each has gone towards payment.
import { useState } from "preact/hooks";
import { api, must, newRequestId } from "../../api/client";
import { t } from "../../i18n";
import { fmtDateTime, fmtMoney, fmtWeight } from "../../i18n/format";
import { MoreButton, usePages } from "../../ui/pages";
import { Busy, Empty, ErrorBox, Notice, Select } from "../../ui/ui";
import { AssociationPage, type Trade } from "./shared";

function tradeStateLabel(s: string | undefined): string {
  const labels: Record<string, string> = {
    TRADE_STATE_MATCHED: t("acopio.tradeState.matched"),
    TRADE_STATE_CONFIRMED: t("acopio.tradeState.confirmed"),
    TRADE_STATE_DELIVERED: t("acopio.tradeState.delivered"),
    TRADE_STATE_PAID: t("acopio.tradeState.paid"),
    TRADE_STATE_CANCELLED: t("acopio.tradeState.cancelled"),
    TRADE_STATE_DECLINED: t("acopio.tradeState.declined"),
  };
  return labels[s ?? ""] ?? s ?? "";
}

export function TradesPage() {
  return <AssociationPage title={t("acopio.trades.title")}>{(a) => <TradeList association={a} />}</AssociationPage>;
}

function TradeList(props: { association: string }) {
  const [state, setState] = useState("MATCHED");
  const [n, setN] = useState(0);
  const [note, setNote] = useState("");

  const list = usePages(
    (token) => {
      const terms = [`association = "associations/${props.association}"`];
      if (state) terms.push(`state = ${state}`);
      return must(api.GET("/v1/trades", { params: { query: { filter: terms.join(" AND "), pageSize: 50, pageToken: token || undefined } } })).then((r) => ({
        items: r.trades,
        next: r.nextPageToken,
      }));
    },
    [props.association, state],
    [n],
  );
  const rows = list.items;

  return (
    <>
      <Select
        label={t("acopio.field.state")}
        value={state}
        options={[
          ["MATCHED", t("acopio.tradeState.matched")],
          ["CONFIRMED", t("acopio.tradeState.confirmed")],
          ["DELIVERED", t("acopio.tradeState.delivered")],
          ["PAID", t("acopio.tradeState.paid")],
          ["DECLINED", t("acopio.tradeState.declined")],
          ["CANCELLED", t("acopio.tradeState.cancelled")],
          ["", t("acopio.all")],
        ]}
        onChange={(e) => setState((e.target as HTMLSelectElement).value)}
      />
      {note && <Notice>{note}</Notice>}
      <ErrorBox error={list.error} />
      {!list.ready ? (
        <Busy />
      ) : rows.length === 0 ? (
        <Empty>{t("acopio.trades.none")}</Empty>
      ) : (
        <ul class="trade-list">
          {rows.map((tr) => (
            <TradeCard
              key={tr.name}
              trade={tr}
              changed={(what) => {
                setNote(what);
                setN(n + 1);
              }}
            />
          ))}
        </ul>
      )}
      <MoreButton list={list} />
    </>
  );
}

function TradeCard(props: { trade: Trade; changed: (what: string) => void }) {
  const tr = props.trade;
  const id = (tr.name ?? "").slice("trades/".length);
  const [declining, setDeclining] = useState(false);
  const [reason, setReason] = useState("");
  const [error, setError] = useState<unknown>(null);
  const [reasonError, setReasonError] = useState("");
  const [busy, setBusy] = useState(false);

  async function confirm() {
    setBusy(true);
    setError(null);
    try {
      await must(api.POST("/v1/trades/{trade}:confirm", { params: { path: { trade: id } }, body: { etag: tr.etag, requestId: newRequestId() } }));
      props.changed(t("acopio.trades.confirmed"));
    } catch (e) {
      setError(e);
    } finally {
      setBusy(false);
    }
  }
  async function decline(e: Event) {
    e.preventDefault();
    const r = reason.trim();
    if (r.length < 1 || r.length > 500) {
      setReasonError(t("acopio.trades.error.reason"));
      return;
    }
    setBusy(true);
    setError(null);
    try {
      await must(api.POST("/v1/trades/{trade}:decline", { params: { path: { trade: id } }, body: { etag: tr.etag, reason: r, requestId: newRequestId() } }));
      props.changed(t("acopio.trades.declined"));
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  }
  const confirmedByUs = !!tr.associationConfirmTime;
  return (
    <li class="card trade">
      <p>
        <strong>{t("acopio.trades.lot", { number: tr.lotNumber || "—" })}</strong> · {tradeStateLabel(tr.state)}
      </p>
      <p>{t("acopio.trades.buyer", { name: tr.processorDisplayName ?? "" })}</p>
      <p>
        {t("acopio.trades.terms", { weight: fmtWeight(tr.grams), price: fmtMoney(tr.pricePerKg, tr.currencyCode || "PEN"), amount: fmtMoney(tr.amountDue, tr.currencyCode || "PEN") })}
      </p>
      <p class="hint">{fmtDateTime(tr.createTime)}</p>
      {tr.declineReason && <p>{t("acopio.trades.reasonGiven", { reason: tr.declineReason })}</p>}
      <ErrorBox error={error} />
      {tr.state === "TRADE_STATE_MATCHED" && (
        <div class="actions-row">
          {confirmedByUs ? (
            <span class="hint">{t("acopio.trades.waitingBuyer")}</span>
          ) : (
            <button type="button" class="primary" disabled={busy} onClick={() => void confirm()}>
              {t("acopio.trades.confirm")}
            </button>
          )}
          {!declining && (
            <button type="button" class="danger" disabled={busy} onClick={() => setDeclining(true)}>
              {t("acopio.trades.decline")}
            </button>
          )}
        </div>
      )}
      {declining && (
        <form onSubmit={decline} noValidate>
          <div class={`field${reasonError ? " invalid" : ""}`}>
            <label for={`reason-${id}`}>{t("acopio.trades.reason")}</label>
            <textarea id={`reason-${id}`} maxLength={500} rows={3} value={reason} onInput={(e) => setReason((e.target as HTMLTextAreaElement).value)} />
            {reasonError && (
              <small class="error" role="alert">
                {reasonError}
              </small>
            )}
          </div>
          <div class="actions-row">
            <button type="submit" class="danger" disabled={busy}>
              {t("acopio.trades.declineSend")}
            </button>
            <button type="button" onClick={() => setDeclining(false)}>
              {t("common.cancel")}
            </button>
          </div>
        </form>
      )}
    </li>
  );
}
