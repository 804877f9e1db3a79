// The buyer's purchase orders: the list by state, a new order (standard,
// the quality groups, colours and breeds it accepts, quantity in kg, bid a
// kilogram, currency, expiry), with the service's field violations shown
// at their fields; corrections of bid, quantity and expiry (PATCH with the
// order's etag); cancellation.
import { useEffect, useRef, useState } from "preact/hooks";
import { api, ApiError, must, newRequestId, NetworkError, type Schemas } from "../../api/client";
import { idOf } from "../../api/names";
import { t } from "../../i18n";
import { fmtDate, fmtMoney, fmtWeight, parseKgToGrams, parseMoneyToMinor } from "../../i18n/format";
import { Link } from "../../router";
import { Busy, Empty, ErrorBox, Field, Notice, Page, Select, Table } from "../../ui/ui";
import { breedsOf, coloursOf, colourName, DEFAULT_STANDARD, findStandard, groupName, groupsOf, standardTitle, useStandards } from "../public/standards";
import { useMarketFeed } from "./feed";
import { orderStateLabel } from "./labels";
import { Checks, ProcessorChoice, useProcessor } from "./widgets";
import "./market.css";

type Order = Schemas["v1PurchaseOrder"];

const STATES = ["OPEN", "PARTIALLY_FILLED", "FILLED", "CANCELLED", "EXPIRED"] as const;
const CURRENCIES = ["PEN", "USD"];

/** dayInLima is a date input's value n days from now, in Peru. */
function dayInLima(days: number): string {
  return new Date(Date.now() - 5 * 3600_000 + days * 86400_000).toISOString().slice(0, 10);
}

/** endOfDayLima is the last second of a day in Peru (UTC−5), as RFC 3339. */
function endOfDayLima(day: string): string {
  return new Date(`${day}T23:59:59-05:00`).toISOString();
}

function limaDay(ts: string | undefined): string {
  if (!ts) return "";
  return new Date(Date.parse(ts) - 5 * 3600_000).toISOString().slice(0, 10);
}

function kgText(grams: string | undefined): string {
  const g = BigInt(grams || "0");
  const whole = g / 1000n;
  const frac = (g % 1000n).toString().padStart(3, "0").replace(/0+$/, "");
  return frac ? `${whole}.${frac}` : whole.toString();
}

function moneyText(minor: string | undefined): string {
  const m = BigInt(minor || "0");
  return `${m / 100n}.${(m % 100n).toString().padStart(2, "0")}`;
}

export function OrdersPage() {
  const standards = useStandards();
  const proc = useProcessor();
  const [state, setState] = useState("");
  const [orders, setOrders] = useState<Order[] | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [creating, setCreating] = useState(false);
  const [editing, setEditing] = useState<Order | null>(null);
  const [notice, setNotice] = useState("");
  const parent = proc.admin ? "-" : idOf(proc.processor);
  async function load() {
    if (!parent) return;
    try {
      const out = await must(
        api.GET("/v1/processors/{processor}/purchaseOrders", {
          params: { path: { processor: parent }, query: { filter: state ? `state = ${state}` : undefined, orderBy: "create_time desc", pageSize: 200 } },
        }),
      );
      setOrders(out.purchaseOrders ?? []);
      setError(null);
    } catch (e) {
      setError(e);
    }
  }
  useMarketFeed((e) => {
    if (e.purchaseOrder || e.trade) void load();
  });
  useEffect(() => {
    void load();
  }, [state, parent]);
  async function cancel(o: Order) {
    if (!window.confirm(t("market.orders.cancelAsk"))) return;
    setNotice("");
    try {
      await must(
        api.POST("/v1/processors/{processor}/purchaseOrders/{purchaseOrder}:cancel", {
          params: { path: { processor: idOf(o.name?.split("/purchaseOrders/")[0]), purchaseOrder: idOf(o.name) } },
          body: { etag: o.etag, requestId: newRequestId() },
        }),
      );
      setNotice(t("market.orders.cancelled"));
      void load();
    } catch (e) {
      setError(e);
    }
  }
  const live = (o: Order) => o.state === "PURCHASE_ORDER_STATE_OPEN" || o.state === "PURCHASE_ORDER_STATE_PARTIALLY_FILLED";
  return (
    <Page
      title={t("market.orders.title")}
      actions={
        <button type="button" class="primary" aria-expanded={creating} onClick={() => setCreating(!creating)}>
          {t("market.orders.new")}
        </button>
      }
    >
      <p class="lead">{t("market.orders.intro")}</p>
      {creating && (
        <OrderForm
          standards={standards}
          proc={proc}
          onDone={(o) => {
            setCreating(false);
            setNotice(
              o.state === "PURCHASE_ORDER_STATE_OPEN"
                ? t("market.orders.created")
                : t("market.orders.createdFilled", { weight: fmtWeight(o.filledGrams) }),
            );
            void load();
          }}
          onCancel={() => setCreating(false)}
        />
      )}
      {editing && (
        <EditForm
          order={editing}
          onDone={() => {
            setEditing(null);
            setNotice(t("market.orders.updated"));
            void load();
          }}
          onCancel={() => setEditing(null)}
        />
      )}
      {notice && <Notice>{notice}</Notice>}
      <div class="row filters">
        {proc.admin && <ProcessorChoice {...proc} />}
        <Select
          label={t("market.filter.state")}
          value={state}
          options={[["", t("market.filter.allStates")], ...STATES.map((s): [string, string] => [s, orderStateLabel(`PURCHASE_ORDER_STATE_${s}`)])]}
          onChange={(e) => setState((e.target as HTMLSelectElement).value)}
        />
      </div>
      <ErrorBox error={error} />
      {orders === null ? (
        !error && <Busy />
      ) : orders.length === 0 ? (
        <Empty>{t("market.orders.none")}</Empty>
      ) : (
        <Table
          caption={t("market.orders.caption")}
          rows={orders}
          rowKey={(r) => r.name ?? ""}
          columns={[
            { head: t("market.col.groups"), cell: (r) => r.acceptedQualityGroups.map((g) => groupName(standards, g, r.standard)).join(", ") },
            {
              head: t("market.col.colours"),
              cell: (r) => (r.acceptedColours?.length ? r.acceptedColours.map((c) => colourName(standards, c)).join(", ") : t("market.orders.anyColour")),
            },
            { head: t("market.col.quantity"), cell: (r) => fmtWeight(r.quantityGrams), num: true },
            { head: t("market.col.filled"), cell: (r) => fmtWeight(r.filledGrams), num: true },
            { head: t("market.col.bid"), cell: (r) => fmtMoney(r.bidPricePerKg, r.currencyCode || "PEN"), num: true },
            { head: t("market.col.expires"), cell: (r) => fmtDate(r.expireTime) },
            { head: t("market.col.state"), cell: (r) => <span class={`state state-${r.state}`}>{orderStateLabel(r.state)}</span> },
            {
              head: t("market.col.actions"),
              cell: (r) => (
                <span class="actions-row">
                  <Link href={`/compras/operaciones?orden=${encodeURIComponent(r.name ?? "")}`}>{t("market.orders.trades")}</Link>
                  {live(r) && (
                    <>
                      <button type="button" onClick={() => setEditing(r)}>
                        {t("market.orders.edit")}
                      </button>
                      <button type="button" class="danger" onClick={() => void cancel(r)}>
                        {t("market.orders.cancel")}
                      </button>
                    </>
                  )}
                </span>
              ),
            },
          ]}
        />
      )}
    </Page>
  );
}

function OrderForm(props: { standards: ReturnType<typeof useStandards>; proc: ReturnType<typeof useProcessor>; onDone: (o: Order) => void; onCancel: () => void }) {
  const graded = props.standards.filter((s) => (s.qualityGroups?.length ?? 0) > 0 || (s.fleeceClassification?.categories?.length ?? 0) > 0);
  const [standard, setStandard] = useState(DEFAULT_STANDARD);
  const std = findStandard(props.standards, standard);
  const [groups, setGroups] = useState<string[]>([]);
  const [colours, setColours] = useState<string[]>([]);
  const [breeds, setBreeds] = useState<string[]>([]);
  const [kg, setKg] = useState("");
  const [bid, setBid] = useState("");
  const [currency, setCurrency] = useState("PEN");
  const [expiry, setExpiry] = useState(dayInLima(30));
  const [maxUm, setMaxUm] = useState("");
  const [local, setLocal] = useState<Record<string, string>>({});
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);
  const rid = useRef("");
  async function submit(e: Event) {
    e.preventDefault();
    const errs: Record<string, string> = {};
    const grams = parseKgToGrams(kg);
    const minor = parseMoneyToMinor(bid);
    if (groups.length === 0) errs.groups = t("market.orders.groupsRequired");
    if (grams === null || grams <= 0n) errs.kg = t("market.orders.kgInvalid");
    if (minor === null || minor <= 0n) errs.bid = t("market.orders.bidInvalid");
    if (!expiry) errs.expiry = t("market.orders.expiryRequired");
    const um = maxUm.trim() ? Number(maxUm.trim().replace(",", ".")) : undefined;
    if (um !== undefined && !(um > 0)) errs.maxUm = t("market.orders.maxUmInvalid");
    setLocal(errs);
    if (Object.keys(errs).length) return;
    if (!props.proc.processor) {
      setError(new Error(t("market.orders.noProcessor")));
      return;
    }
    setBusy(true);
    setError(null);
    rid.current ||= newRequestId();
    try {
      const o = await must(
        api.POST("/v1/processors/{processor}/purchaseOrders", {
          params: { path: { processor: idOf(props.proc.processor) }, query: { requestId: rid.current } },
          body: {
            standard,
            acceptedQualityGroups: groups,
            acceptedColours: colours,
            acceptedBreeds: breeds,
            quantityGrams: grams!.toString(),
            bidPricePerKg: minor!.toString(),
            currencyCode: currency,
            expireTime: endOfDayLima(expiry),
            maxMeanFiberDiameterUm: um,
          },
        }),
      );
      rid.current = "";
      props.onDone(o);
    } catch (err) {
      // A lost answer is retried with the same request id; a refusal gets a new one.
      if (!(err instanceof NetworkError)) rid.current = "";
      setError(err);
    } finally {
      setBusy(false);
    }
  }
  const apiErr = error instanceof ApiError ? error : null;
  const fe = (local: string | undefined, field: string) => local ?? apiErr?.forField(field);
  return (
    <form class="card" onSubmit={submit} noValidate aria-labelledby="new-order-title">
      <h2 id="new-order-title">{t("market.orders.newTitle")}</h2>
      {props.proc.admin && <ProcessorChoice {...props.proc} />}
      <Select
        label={t("market.orders.standard")}
        value={standard}
        options={(graded.length ? graded : [{ name: DEFAULT_STANDARD }]).map((s): [string, string] => [s.name ?? "", standardTitle(s)])}
        onChange={(e) => {
          setStandard((e.target as HTMLSelectElement).value);
          setGroups([]);
        }}
        error={apiErr?.forField("purchaseOrder.standard")}
      />
      <Checks
        legend={t("market.orders.groups")}
        options={groupsOf(std)}
        value={groups}
        onChange={setGroups}
        error={fe(local.groups, "purchaseOrder.acceptedQualityGroups")}
      />
      <Checks
        legend={t("market.orders.colours")}
        hint={t("market.orders.coloursHint")}
        options={coloursOf(std)}
        value={colours}
        onChange={setColours}
        error={apiErr?.forField("purchaseOrder.acceptedColours")}
      />
      <Checks
        legend={t("market.orders.breeds")}
        hint={t("market.orders.breedsHint")}
        options={breedsOf(std)}
        value={breeds}
        onChange={setBreeds}
        error={apiErr?.forField("purchaseOrder.acceptedBreeds")}
      />
      <div class="row">
        <Field
          label={t("market.orders.kg")}
          hint={t("market.orders.kgHint")}
          inputMode="decimal"
          value={kg}
          onInput={(e) => setKg((e.target as HTMLInputElement).value)}
          error={fe(local.kg, "purchaseOrder.quantityGrams")}
        />
        <Field
          label={t("market.orders.bid")}
          hint={t("market.orders.bidHint")}
          inputMode="decimal"
          value={bid}
          onInput={(e) => setBid((e.target as HTMLInputElement).value)}
          error={fe(local.bid, "purchaseOrder.bidPricePerKg")}
        />
        <Select
          label={t("market.orders.currency")}
          value={currency}
          options={CURRENCIES.map((c): [string, string] => [c, c])}
          onChange={(e) => setCurrency((e.target as HTMLSelectElement).value)}
          error={apiErr?.forField("purchaseOrder.currencyCode")}
        />
      </div>
      <div class="row">
        <Field
          label={t("market.orders.expiry")}
          hint={t("market.orders.expiryHint")}
          type="date"
          value={expiry}
          onInput={(e) => setExpiry((e.target as HTMLInputElement).value)}
          error={fe(local.expiry, "purchaseOrder.expireTime")}
        />
        <Field
          label={t("market.orders.maxUm")}
          hint={t("market.orders.maxUmHint")}
          inputMode="decimal"
          value={maxUm}
          onInput={(e) => setMaxUm((e.target as HTMLInputElement).value)}
          error={fe(local.maxUm, "purchaseOrder.maxMeanFiberDiameterUm")}
        />
      </div>
      {error !== null && !(apiErr && apiErr.fieldViolations.length > 0) && <ErrorBox error={error} />}
      {apiErr && apiErr.fieldViolations.length > 0 && <p class="error" role="alert">{t("market.form.fixFields")}</p>}
      <div class="actions-row">
        <button type="submit" class="primary" disabled={busy}>
          {busy ? t("common.working") : t("market.orders.place")}
        </button>
        <button type="button" onClick={props.onCancel}>
          {t("common.cancel")}
        </button>
      </div>
    </form>
  );
}

function EditForm(props: { order: Order; onDone: () => void; onCancel: () => void }) {
  const o = props.order;
  const [kg, setKg] = useState(kgText(o.quantityGrams));
  const [bid, setBid] = useState(moneyText(o.bidPricePerKg));
  const [expiry, setExpiry] = useState(limaDay(o.expireTime));
  const [local, setLocal] = useState<Record<string, string>>({});
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);
  async function submit(e: Event) {
    e.preventDefault();
    const errs: Record<string, string> = {};
    const grams = parseKgToGrams(kg);
    const minor = parseMoneyToMinor(bid);
    if (grams === null || grams <= 0n) errs.kg = t("market.orders.kgInvalid");
    if (minor === null || minor <= 0n) errs.bid = t("market.orders.bidInvalid");
    if (!expiry) errs.expiry = t("market.orders.expiryRequired");
    setLocal(errs);
    if (Object.keys(errs).length) return;
    setBusy(true);
    setError(null);
    const [, processor, , purchaseOrder] = (o.name ?? "").split("/");
    // Only the changed fields go in the body: over REST they are the update mask.
    const body: Record<string, string> = { etag: o.etag ?? "" };
    if (grams!.toString() !== o.quantityGrams) body.quantityGrams = grams!.toString();
    if (minor!.toString() !== o.bidPricePerKg) body.bidPricePerKg = minor!.toString();
    if (expiry !== limaDay(o.expireTime)) body.expireTime = endOfDayLima(expiry);
    if (Object.keys(body).length === 1) {
      setBusy(false);
      props.onCancel();
      return;
    }
    try {
      await must(
        api.PATCH("/v1/processors/{processor}/purchaseOrders/{purchaseOrder}", {
          params: { path: { processor, purchaseOrder }, query: { requestId: newRequestId() } },
          body: body as unknown as Order,
        }),
      );
      props.onDone();
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  }
  const apiErr = error instanceof ApiError ? error : null;
  const stale = apiErr?.code === 10;
  return (
    <form class="card" onSubmit={submit} noValidate aria-labelledby="edit-order-title">
      <h2 id="edit-order-title">{t("market.orders.editTitle")}</h2>
      <p class="hint">{t("market.orders.editText", { filled: fmtWeight(o.filledGrams) })}</p>
      <div class="row">
        <Field
          label={t("market.orders.kg")}
          inputMode="decimal"
          value={kg}
          onInput={(e) => setKg((e.target as HTMLInputElement).value)}
          error={local.kg ?? apiErr?.forField("quantityGrams")}
        />
        <Field
          label={t("market.orders.bid")}
          inputMode="decimal"
          value={bid}
          onInput={(e) => setBid((e.target as HTMLInputElement).value)}
          error={local.bid ?? apiErr?.forField("bidPricePerKg")}
        />
        <Field
          label={t("market.orders.expiry")}
          type="date"
          value={expiry}
          onInput={(e) => setExpiry((e.target as HTMLInputElement).value)}
          error={local.expiry ?? apiErr?.forField("expireTime")}
        />
      </div>
      {stale && <p class="error" role="alert">{t("market.orders.stale")}</p>}
      {error !== null && !stale && !(apiErr && apiErr.fieldViolations.length > 0) && <ErrorBox error={error} />}
      <div class="actions-row">
        <button type="submit" class="primary" disabled={busy}>
          {busy ? t("common.working") : t("common.save")}
        </button>
        <button type="button" onClick={props.onCancel}>
          {t("common.cancel")}
        </button>
      </div>
    </form>
  );
}
