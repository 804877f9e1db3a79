// The buyer's trades: the list, refreshed by the live feed without a
// reload, and one trade with its steps (confirm, record the weight
// received, record payments until the amount due is paid), its lot and the
// lot's bale label.
import { useEffect, useRef, useState } from "preact/hooks";
import { api, ApiError, authHeaders, download, must, newRequestId, NetworkError, type Schemas } from "../../api/client";
import { idOf } from "../../api/names";
import { t } from "../../i18n";
import { fmtDate, fmtDateTime, fmtMicrons, fmtMoney, fmtWeight, parseKgToGrams, parseMoneyToMinor } from "../../i18n/format";
import { Link, useLocation } from "../../router";
import { MoreButton, usePages } from "../../ui/pages";
import { Busy, Empty, ErrorBox, Field, Notice, Page, Select, Table } from "../../ui/ui";
import { breedName, colourName, groupName, useStandards } from "../public/standards";
import { regionOf } from "../public/regions";
import { useMarketFeed, type FeedEvent } from "./feed";
import { lotPath, lotStateLabel, tradeStateLabel } from "./labels";
import { FeedPanel } from "./widgets";
import "./market.css";

type Trade = Schemas["v1Trade"];

const STATES = ["MATCHED", "CONFIRMED", "DELIVERED", "PAID", "CANCELLED", "DECLINED"] as const;

function stateOptions(): Array<[string, string]> {
  return [["", t("market.filter.allStates")], ...STATES.map((s): [string, string] => [s, tradeStateLabel(`TRADE_STATE_${s}`)])];
}

function filterOf(state: string, order: string): string | undefined {
  const f: string[] = [];
  if (state) f.push(`state = ${state}`);
  if (/^processors\/[^"\\]+\/purchaseOrders\/[^"\\]+$/.test(order)) f.push(`purchase_order = "${order}"`);
  return f.join(" AND ") || undefined;
}

function outstanding(tr: Trade): bigint {
  return BigInt(tr.amountDue || "0") - BigInt(tr.paidAmount || "0");
}

export function TradesPage() {
  const standards = useStandards();
  const order = useLocation().query.get("orden") ?? "";
  const [state, setState] = useState("");
  const timer = useRef(0);
  const trades = usePages(
    (token) =>
      must(api.GET("/v1/trades", { params: { query: { filter: filterOf(state, order), pageToken: token || undefined, pageSize: 50 } } })).then((out) => ({
        items: out.trades,
        next: out.nextPageToken,
      })),
    [state, order],
  );
  const load = () => void trades.load();
  // Each trade event of the feed refreshes the list (once per burst).
  const feed = useMarketFeed((e: FeedEvent) => {
    if (!e.trade) return;
    clearTimeout(timer.current);
    timer.current = window.setTimeout(load, 250);
  });
  // Back after a drop: the feed resumes where it stopped, and the list is read again.
  useEffect(() => {
    if (feed.state === "live" && feed.reconnects > 0) load();
  }, [feed.state]);
  return (
    <Page title={t("market.trades.title")} actions={<Link class="button" href="/compras/ordenes">{t("market.orders.title")}</Link>}>
      <p class="lead">{t("market.trades.intro")}</p>
      <FeedPanel feed={feed} />
      <h2>{t("market.trades.listTitle")}</h2>
      {order && (
        <p>
          {t("market.trades.ofOrder", { order: idOf(order) })} <Link href="/compras/operaciones">{t("market.trades.allOrders")}</Link>
        </p>
      )}
      <div class="row filters">
        <Select label={t("market.filter.state")} value={state} options={stateOptions()} onChange={(e) => setState((e.target as HTMLSelectElement).value)} />
      </div>
      <ErrorBox error={trades.error} />
      {!trades.ready ? (
        !trades.error && <Busy />
      ) : trades.items.length === 0 ? (
        <Empty>{t("market.trades.none")}</Empty>
      ) : (
        <Table
          caption={t("market.trades.caption")}
          rows={trades.items}
          rowKey={(r) => r.name ?? ""}
          columns={[
            {
              head: t("market.col.lot"),
              cell: (r) => <Link href={`/compras/operaciones/${idOf(r.name)}`}>{r.lotNumber || idOf(r.lot)}</Link>,
            },
            { head: t("market.col.seller"), cell: (r) => r.associationDisplayName },
            { head: t("market.col.group"), cell: (r) => `${groupName(standards, r.qualityGroup, r.standard)} · ${colourName(standards, r.colour)}` },
            { head: t("market.col.weight"), cell: (r) => fmtWeight(r.grams), num: true },
            { head: t("market.col.price"), cell: (r) => fmtMoney(r.pricePerKg, r.currencyCode), num: true },
            { head: t("market.col.amountDue"), cell: (r) => fmtMoney(r.amountDue, r.currencyCode), num: true },
            { head: t("market.col.state"), cell: (r) => <span class={`state state-${r.state}`}>{tradeStateLabel(r.state)}</span> },
            { head: t("market.col.created"), cell: (r) => fmtDateTime(r.createTime) },
          ]}
        />
      )}
      <MoreButton list={trades} />
    </Page>
  );
}

/** nowLocal is the current time as a datetime-local value in Peru (UTC−5, no daylight saving). */
function nowLima(): string {
  const d = new Date(Date.now() - 5 * 3600_000);
  return d.toISOString().slice(0, 16);
}

/** limaToISO reads a datetime-local value as Peru's time (UTC−5). */
function limaToISO(v: string): string {
  return new Date(`${v}:00-05:00`).toISOString();
}

export function TradePage(props: { params: Record<string, string> }) {
  const standards = useStandards();
  const id = props.params.trade;
  const [trade, setTrade] = useState<Trade | null>(null);
  const [error, setError] = useState<unknown>(null);
  async function load() {
    try {
      setTrade(await must(api.GET("/v1/trades/{trade}", { params: { path: { trade: id } } })));
      setError(null);
    } catch (e) {
      setError(e);
    }
  }
  // The trade's events bring its new state; it is read again whole (with the parties' names).
  useMarketFeed((e) => {
    if (e.trade && idOf(e.trade.name) === id) void load();
  });
  useEffect(() => {
    void load();
  }, [id]);
  if (!trade) return <Page title={t("market.trade.title")}>{error ? <ErrorBox error={error} /> : <Busy />}</Page>;
  const cur = trade.currencyCode;
  const due = BigInt(trade.amountDue || "0");
  const rest = outstanding(trade);
  return (
    <Page title={t("market.trade.titleLot", { lot: trade.lotNumber || idOf(trade.lot) })} actions={<Link class="button" href="/compras/operaciones">{t("market.trade.back")}</Link>}>
      <ErrorBox error={error} />
      <dl class="facts card">
        <dt>{t("market.col.state")}</dt>
        <dd>
          <span class={`state state-${trade.state}`}>{tradeStateLabel(trade.state)}</span>
        </dd>
        <dt>{t("market.col.seller")}</dt>
        <dd>{trade.associationDisplayName}</dd>
        <dt>{t("market.col.buyer")}</dt>
        <dd>{trade.processorDisplayName}</dd>
        <dt>{t("market.col.group")}</dt>
        <dd>
          {groupName(standards, trade.qualityGroup, trade.standard)} · {colourName(standards, trade.colour)} · {breedName(standards, trade.breed)}
        </dd>
        <dt>{t("market.col.weight")}</dt>
        <dd>{fmtWeight(trade.grams)}</dd>
        {trade.deliveredGrams && trade.deliveredGrams !== "0" && (
          <>
            <dt>{t("market.trade.delivered")}</dt>
            <dd>{fmtWeight(trade.deliveredGrams)}</dd>
          </>
        )}
        <dt>{t("market.col.price")}</dt>
        <dd>{t("market.trade.priceText", { price: fmtMoney(trade.pricePerKg, cur), bid: fmtMoney(trade.bidPricePerKg, cur), ask: fmtMoney(trade.askPricePerKg, cur) })}</dd>
        <dt>{t("market.col.amountDue")}</dt>
        <dd>{fmtMoney(trade.amountDue, cur)}</dd>
        <dt>{t("market.trade.paid")}</dt>
        <dd>{fmtMoney(trade.paidAmount, cur)}</dd>
        <dt>{t("market.trade.outstanding")}</dt>
        <dd>
          <strong>{fmtMoney(rest.toString(), cur)}</strong>
        </dd>
        <dt>{t("market.col.created")}</dt>
        <dd>{fmtDateTime(trade.createTime)}</dd>
        {trade.declineReason && (
          <>
            <dt>{t("market.trade.declineReason")}</dt>
            <dd>{trade.declineReason}</dd>
          </>
        )}
      </dl>
      <Steps trade={trade} due={due} rest={rest} onChange={() => void load()} />
      <LotSection trade={trade} />
    </Page>
  );
}

function Steps(props: { trade: Trade; due: bigint; rest: bigint; onChange: () => void }) {
  const tr = props.trade;
  const name = idOf(tr.name);
  const cur = tr.currencyCode;
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const [done, setDone] = useState("");
  const [kg, setKg] = useState("");
  const [when, setWhen] = useState(nowLima());
  const [amount, setAmount] = useState("");
  const [reference, setReference] = useState("");
  const [local, setLocal] = useState<Record<string, string>>({});
  // One request id per attempt of a step, so a retry after a lost answer acts once.
  const rid = useRef<Record<string, string>>({});
  function requestId(step: string): string {
    return (rid.current[step] ??= newRequestId());
  }
  async function run(step: string, call: () => Promise<{ trade?: Trade }>, message: string) {
    setBusy(true);
    setError(null);
    setDone("");
    try {
      const out = await call();
      delete rid.current[step];
      if (out.trade) props.onChange();
      setDone(message);
      setLocal({});
    } catch (e) {
      if (!(e instanceof NetworkError)) delete rid.current[step];
      setError(e);
    } finally {
      setBusy(false);
    }
  }
  function confirm() {
    void run(
      "confirm",
      () => must(api.POST("/v1/trades/{trade}:confirm", { params: { path: { trade: name } }, body: { etag: tr.etag, requestId: requestId("confirm") } })),
      t("market.step.confirmed"),
    );
  }
  function deliver(e: Event) {
    e.preventDefault();
    const grams = parseKgToGrams(kg);
    if (grams === null || grams <= 0n) {
      setLocal({ kg: t("market.step.kgInvalid") });
      return;
    }
    if (!when) {
      setLocal({ when: t("market.step.whenRequired") });
      return;
    }
    void run(
      "deliver",
      () =>
        must(
          api.POST("/v1/trades/{trade}:recordDelivery", {
            params: { path: { trade: name } },
            body: { deliveredGrams: grams.toString(), weighTime: limaToISO(when), etag: tr.etag, requestId: requestId("deliver") },
          }),
        ),
      t("market.step.deliveryRecorded"),
    );
  }
  function pay(e: Event) {
    e.preventDefault();
    const minor = parseMoneyToMinor(amount);
    const errs: Record<string, string> = {};
    if (minor === null || minor <= 0n) errs.amount = t("market.step.amountInvalid");
    else if (minor > props.rest) errs.amount = t("market.step.amountTooHigh", { rest: fmtMoney(props.rest.toString(), cur) });
    if (!reference.trim()) errs.reference = t("market.step.referenceRequired");
    if (Object.keys(errs).length) {
      setLocal(errs);
      return;
    }
    void run(
      "pay",
      () =>
        must(
          api.POST("/v1/trades/{trade}:recordPayment", {
            params: { path: { trade: name } },
            body: { paidAmount: minor!.toString(), paymentReference: reference.trim(), etag: tr.etag, requestId: requestId("pay") },
          }),
        ).then((out) => {
          setAmount("");
          setReference("");
          return out;
        }),
      t("market.step.paymentRecorded"),
    );
  }
  const api_ = error instanceof ApiError ? error : null;
  const state = tr.state;
  const confirmedByMe = !!tr.processorConfirmTime;
  return (
    <section class="card steps" aria-labelledby="steps-title">
      <h2 id="steps-title">{t("market.step.title")}</h2>
      <ol class="step-list">
        <li class={state === "TRADE_STATE_MATCHED" ? "current" : tr.confirmTime ? "past" : ""}>
          <h3>{t("market.step.confirm")}</h3>
          {state === "TRADE_STATE_MATCHED" ? (
            confirmedByMe ? (
              <p>{t("market.step.waitingSeller", { seller: tr.associationDisplayName ?? "" })}</p>
            ) : (
              <>
                <p>{t("market.step.confirmText")}</p>
                <button type="button" class="primary" disabled={busy} onClick={confirm}>
                  {t("market.step.confirmButton")}
                </button>
              </>
            )
          ) : (
            <p>{tr.confirmTime ? t("market.step.confirmedAt", { when: fmtDateTime(tr.confirmTime) }) : tradeStateLabel(state)}</p>
          )}
        </li>
        <li class={state === "TRADE_STATE_CONFIRMED" ? "current" : tr.deliverTime ? "past" : ""}>
          <h3>{t("market.step.delivery")}</h3>
          {state === "TRADE_STATE_CONFIRMED" ? (
            <form onSubmit={deliver} noValidate>
              <div class="row">
                <Field
                  label={t("market.step.receivedKg")}
                  hint={t("market.step.receivedKgHint", { weight: fmtWeight(tr.grams) })}
                  inputMode="decimal"
                  value={kg}
                  onInput={(e) => setKg((e.target as HTMLInputElement).value)}
                  error={local.kg ?? api_?.forField("deliveredGrams")}
                />
                <Field
                  label={t("market.step.weighTime")}
                  type="datetime-local"
                  value={when}
                  onInput={(e) => setWhen((e.target as HTMLInputElement).value)}
                  error={local.when ?? api_?.forField("weighTime")}
                />
              </div>
              <button type="submit" class="primary" disabled={busy}>
                {t("market.step.deliveryButton")}
              </button>
            </form>
          ) : tr.deliverTime ? (
            <p>{t("market.step.deliveredAt", { weight: fmtWeight(tr.deliveredGrams), when: fmtDateTime(tr.weighTime || tr.deliverTime) })}</p>
          ) : (
            <p class="hint">{t("market.step.deliveryLater")}</p>
          )}
        </li>
        <li class={state === "TRADE_STATE_DELIVERED" ? "current" : state === "TRADE_STATE_PAID" ? "past" : ""}>
          <h3>{t("market.step.payment")}</h3>
          {state === "TRADE_STATE_DELIVERED" ? (
            <form onSubmit={pay} noValidate>
              <p>
                {t("market.step.paymentText", {
                  due: fmtMoney(props.due.toString(), cur),
                  paid: fmtMoney(tr.paidAmount, cur),
                  rest: fmtMoney(props.rest.toString(), cur),
                })}
              </p>
              <div class="row">
                <Field
                  label={t("market.step.amount", { currency: cur ?? "PEN" })}
                  hint={t("market.step.amountHint")}
                  inputMode="decimal"
                  value={amount}
                  placeholder={(Number(props.rest) / 100).toFixed(2)}
                  onInput={(e) => setAmount((e.target as HTMLInputElement).value)}
                  error={local.amount ?? api_?.forField("paidAmount")}
                />
                <Field
                  label={t("market.step.reference")}
                  hint={t("market.step.referenceHint")}
                  value={reference}
                  maxLength={200}
                  onInput={(e) => setReference((e.target as HTMLInputElement).value)}
                  error={local.reference ?? api_?.forField("paymentReference")}
                />
              </div>
              <button type="submit" class="primary" disabled={busy}>
                {t("market.step.paymentButton")}
              </button>
            </form>
          ) : state === "TRADE_STATE_PAID" ? (
            <p>{t("market.step.paidAt", { amount: fmtMoney(tr.paidAmount, cur), when: fmtDateTime(tr.payTime) })}</p>
          ) : (
            <p class="hint">{t("market.step.paymentLater")}</p>
          )}
        </li>
      </ol>
      {busy && <Busy />}
      {done && <Notice>{done}</Notice>}
      {error !== null && !(api_ && api_.fieldViolations.length > 0) && <ErrorBox error={error} />}
    </section>
  );
}

function LotSection(props: { trade: Trade }) {
  const standards = useStandards();
  const { association, lot } = lotPath(props.trade.lot);
  const [data, setData] = useState<Schemas["v1Lot"] | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [label, setLabel] = useState("");
  const [labelError, setLabelError] = useState<unknown>(null);
  useEffect(() => {
    if (!association || !lot) return;
    must(api.GET("/v1/associations/{association}/lots/{lot}", { params: { path: { association, lot } } }))
      .then(setData)
      .catch(setError);
  }, [association, lot, props.trade.state]);
  useEffect(() => () => void (label && URL.revokeObjectURL(label)), [label]);
  async function showLabel() {
    setLabelError(null);
    try {
      const res = await fetch(`/v1/associations/${association}/lots/${lot}/label.svg`, { headers: authHeaders() });
      if (!res.ok) throw new ApiError(res.status, await res.json().catch(() => ({})));
      setLabel(URL.createObjectURL(await res.blob()));
    } catch (e) {
      setLabelError(e instanceof TypeError ? new NetworkError(String(e)) : e);
    }
  }
  const number = props.trade.lotNumber || lot;
  return (
    <section class="card" aria-labelledby="lot-title">
      <h2 id="lot-title">{t("market.lot.title", { lot: number })}</h2>
      <ErrorBox error={error} />
      {data && (
        <dl class="facts">
          <dt>{t("market.col.state")}</dt>
          <dd>{lotStateLabel(data.state)}</dd>
          <dt>{t("market.lot.declared")}</dt>
          <dd>{groupName(standards, data.declaredQualityGroup, data.standard)}</dd>
          <dt>{t("market.lot.market")}</dt>
          <dd>{groupName(standards, data.marketQualityGroup, data.standard)}</dd>
          {data.measurement?.meanFiberDiameterUm !== undefined && (
            <>
              <dt>{t("market.lot.mfd")}</dt>
              <dd>{fmtMicrons(data.measurement.meanFiberDiameterUm)}</dd>
            </>
          )}
          <dt>{t("market.lot.net")}</dt>
          <dd>{fmtWeight(data.netWeightGrams)}</dd>
          <dt>{t("market.lot.origin")}</dt>
          <dd>
            {regionOf(data.ubigeo)}
            {data.collectionPoint ? ` · ${data.collectionPoint}` : ""}
          </dd>
          {data.classificationDate && (
            <>
              <dt>{t("market.lot.classified")}</dt>
              <dd>{fmtDate(`${data.classificationDate}T12:00:00-05:00`)}</dd>
            </>
          )}
        </dl>
      )}
      <div class="actions-row">
        <button type="button" onClick={() => void showLabel()}>
          {t("market.lot.showLabel")}
        </button>
        <button
          type="button"
          onClick={() => void download(`/v1/associations/${association}/lots/${lot}/label.pdf`, `etiqueta-${number}.pdf`).catch(setLabelError)}
        >
          {t("market.lot.labelPdf")}
        </button>
      </div>
      <ErrorBox error={labelError} />
      {label && <img class="label-preview" src={label} alt={t("market.lot.labelAlt", { lot: number })} />}
    </section>
  );
}
