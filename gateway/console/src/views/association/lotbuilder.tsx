// Building a lot from receipts: the clerk picks the standard, campaign,
// breed, colour and group, sees what each receipt still holds of that group
// and what all of them hold per group, takes grams from the receipts, and
// the lot is created with those sources. Like a receipt, a lot built with
// no connection waits in the outbox.
import { useEffect, useMemo, useState } from "preact/hooks";
import { api, ApiError, download, must, NetworkError, newRequestId } from "../../api/client";
import { idOf } from "../../api/names";
import { t } from "../../i18n";
import { fmtKg, fmtMoney, fmtWeight, parseKgToGrams, parseMoneyToMinor } from "../../i18n/format";
import { sendOrKeep, useLeaving, usePending, type Pending } from "../../offline/outbox";
import { Link } from "../../router";
import { Busy, Empty, ErrorBox, Field, Notice, Select } from "../../ui/ui";
import {
  AssociationPage,
  breedOptions,
  campaignOptions,
  colourOptions,
  currentCampaign,
  FLEECE_STANDARD,
  GROUP_STANDARD,
  groupOptions,
  nameOf,
  readKept,
  recall,
  remember,
  usePeople,
  useStandard,
  type Lot,
  type Receipt,
} from "./shared";

export function lotsPath(association: string): string {
  return `/v1/associations/${association}/lots`;
}

export function LotBuilderPage() {
  return (
    <AssociationPage
      title={t("acopio.builder.title")}
      actions={
        <Link class="button" href="/acopio/lotes">
          {t("acopio.lots.backToList")}
        </Link>
      }
    >
      {(a) => <LotBuilder association={a} />}
    </AssociationPage>
  );
}

/**
 * activeReceipts lists the campaign's active receipts; the last list read is
 * kept for the tab's session, so that a lot can be built with no connection
 * (the service then checks, when it is sent, that the grams are still there).
 */
async function activeReceipts(association: string, campaign: number): Promise<Receipt[]> {
  const kept = await readKept(`millwa.acopio.receipts.${association}.${campaign}`, () => readActiveReceipts(association, campaign), (e) => e instanceof NetworkError);
  return kept.value;
}

async function readActiveReceipts(association: string, campaign: number): Promise<Receipt[]> {
  const out: Receipt[] = [];
  let token = "";
  for (let i = 0; i < 20; i++) {
    const r = await must(
      api.GET("/v1/associations/{association}/receipts", {
        params: {
          path: { association },
          query: { filter: `campaign = ${campaign} AND state = ACTIVE`, orderBy: "receipt_number", pageSize: 500, pageToken: token || undefined },
        },
      }),
    );
    out.push(...(r.receipts ?? []));
    token = r.nextPageToken ?? "";
    if (!token) break;
  }
  return out;
}

/** heldKey names one group of one receipt. */
function heldKey(receipt: string, group: string): string {
  return `${receipt}\u0000${group}`;
}

/**
 * heldByPending is what the lots waiting in the outbox (built with no
 * connection, not refused) take from each group of each receipt: the
 * receipts read before know nothing of them, and a second lot built
 * offline from the same receipt must not be offered those grams again.
 */
function heldByPending(waiting: Pending[], association: string): Map<string, bigint> {
  const held = new Map<string, bigint>();
  for (const p of waiting) {
    if (p.kind !== "lot" || p.error || p.path !== lotsPath(association)) continue;
    const lot = p.body as { declaredQualityGroup?: string; sources?: Array<{ receipt?: string; grams?: string }> };
    for (const s of lot.sources ?? []) {
      const k = heldKey(s.receipt ?? "", lot.declaredQualityGroup ?? "");
      held.set(k, (held.get(k) ?? 0n) + BigInt(s.grams ?? "0"));
    }
  }
  return held;
}

/** unused is what a receipt still holds of a group, less what waiting lots take. */
function unused(r: Receipt, group: string, held: Map<string, bigint>): bigint {
  const left = BigInt(r.unusedGrams?.[group] ?? "0") - (held.get(heldKey(r.name ?? "", group)) ?? 0n);
  return left > 0n ? left : 0n;
}

function LotBuilder(props: { association: string }) {
  const a = props.association;
  const [standard, setStandard] = useState(GROUP_STANDARD);
  const [campaign, setCampaign] = useState(String(currentCampaign()));
  const [breed, setBreed] = useState("HUACAYA");
  const [colour, setColour] = useState("WHITE");
  const [group, setGroup] = useState("");
  const [receipts, setReceipts] = useState<Receipt[] | null>(null);
  const [take, setTake] = useState<Record<string, string>>({});
  const [lotNumber, setLotNumber] = useState("");
  const [price, setPrice] = useState("");
  const [collectionPoint, setCollectionPoint] = useState(recall("collectionPoint"));
  const [classifier, setClassifier] = useState(recall("classifier"));
  const [errors, setErrors] = useState<Record<string, string>>({});
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);
  const [made, setMade] = useState<{ lot?: Lot; queued?: string } | null>(null);
  const [n, setN] = useState(0);
  const std = useStandard(standard);
  const groups = groupOptions(std);
  const { classifiers } = usePeople(a);
  const waiting = usePending();
  const held = useMemo(() => heldByPending(waiting, a), [waiting, a]);
  // A waiting lot sent (or refused): read the receipts again, which now
  // know what it took.
  useLeaving(waiting.filter((p) => p.kind === "lot" && !p.error).length, () => setN((x) => x + 1));

  useEffect(() => {
    setReceipts(null);
    setError(null);
    activeReceipts(a, Number(campaign))
      .then(setReceipts)
      .catch((e) => {
        setError(e);
        setReceipts([]);
      });
  }, [a, campaign, n]);

  const fitting = useMemo(
    () => (receipts ?? []).filter((r) => (r.standard ?? `standards/${GROUP_STANDARD}`) === `standards/${standard}` && r.breed === breed && r.colour === colour),
    [receipts, standard, breed, colour],
  );
  // What the fitting receipts hold per group, for the clerk to choose a group with enough fibre.
  const perGroup = useMemo(() => {
    const m = new Map<string, { grams: bigint; receipts: number }>();
    for (const r of fitting) {
      for (const g of Object.keys(r.unusedGrams ?? {})) {
        const grams = unused(r, g, held);
        if (grams <= 0n) continue;
        const e = m.get(g) ?? { grams: 0n, receipts: 0 };
        m.set(g, { grams: e.grams + grams, receipts: e.receipts + 1 });
      }
    }
    return m;
  }, [fitting, held]);
  useEffect(() => {
    if (!group || !perGroup.has(group)) {
      const first = groups.find(([g]) => perGroup.has(g))?.[0] ?? "";
      setGroup(first);
      setTake({});
    }
  }, [perGroup, groups.length]);
  const sources = fitting.filter((r) => unused(r, group, held) > 0n);

  const chosen: Array<{ receipt: string; grams: bigint }> = [];
  const sourceErrors: Record<string, string> = {};
  for (const r of sources) {
    const txt = take[r.name ?? ""];
    if (!txt) continue;
    const g = parseKgToGrams(txt);
    if (g === null) sourceErrors[r.name ?? ""] = t("acopio.error.kg");
    else if (g > unused(r, group, held)) sourceErrors[r.name ?? ""] = t("acopio.builder.error.tooMuch", { left: fmtKg(unused(r, group, held)) });
    else if (g > 0n) chosen.push({ receipt: r.name ?? "", grams: g });
  }
  const total = chosen.reduce((s, c) => s + c.grams, 0n);

  async function submit(ev: Event) {
    ev.preventDefault();
    setError(null);
    setMade(null);
    const e: Record<string, string> = {};
    if (Object.keys(sourceErrors).length || chosen.length === 0) e.sources = t("acopio.builder.error.none");
    const ask = parseMoneyToMinor(price);
    if (ask === null || ask <= 0n) e.askPricePerKg = t("acopio.error.price");
    if (!collectionPoint.trim()) e.collectionPoint = t("acopio.error.collectionPoint");
    // Every lot names the classifier who classed it (the agencies' check
    // gradings measure each classifier): the service refuses a lot without.
    if (!classifier) e.classifier = t("acopio.receipts.error.classifier");
    setErrors(e);
    if (Object.keys(e).length) return;
    const lot = {
      standard: `standards/${standard}`,
      campaign: Number(campaign),
      breed,
      colour,
      declaredQualityGroup: group,
      netWeightGrams: String(total),
      askPricePerKg: String(ask),
      lotNumber: lotNumber.trim() || undefined,
      collectionPoint: collectionPoint.trim(),
      classifier: `associations/${a}/classifiers/${classifier}`,
      sources: chosen.map((c) => ({ receipt: c.receipt, grams: String(c.grams) })),
    };
    remember("collectionPoint", lot.collectionPoint);
    remember("classifier", classifier);
    const requestId = newRequestId();
    const label = t("acopio.builder.pendingLabel", { number: lot.lotNumber ?? "—", group: nameOf(groups, group), weight: fmtWeight(total) });
    setBusy(true);
    try {
      const created = await sendOrKeep({ requestId, method: "POST", path: lotsPath(a), body: lot, label, kind: "lot" }, () =>
        must(api.POST("/v1/associations/{association}/lots", { params: { path: { association: a }, query: { requestId } }, body: lot })),
      );
      setTake({});
      if (created) {
        setMade({ lot: created });
        setLotNumber("");
        setN(n + 1);
      } else setMade({ queued: label });
    } catch (err) {
      setError(err);
      if (err instanceof ApiError) {
        setErrors({
          lotNumber: err.forField("lot.lotNumber") ?? "",
          askPricePerKg: err.forField("lot.askPricePerKg") ?? "",
          collectionPoint: err.forField("lot.collectionPoint") ?? "",
          sources: err.fieldViolations.filter((v) => v.field.startsWith("lot.sources")).map((v) => v.description).join(" "),
        });
      }
    } finally {
      setBusy(false);
    }
  }

  return (
    <form class="card builder" onSubmit={submit} noValidate aria-label={t("acopio.builder.title")}>
      {made?.lot && <LotMade association={a} lot={made.lot} />}
      {made?.queued && (
        <Notice kind="warn">
          {t("acopio.builder.queued", { what: made.queued })} <Link href="/pendientes">{t("acopio.receipts.seeWaiting")}</Link>
        </Notice>
      )}
      <ErrorBox error={error} />
      <p>{t("acopio.builder.intro")}</p>
      <div class="row">
        <Select
          label={t("acopio.field.standard")}
          value={standard}
          options={[
            [GROUP_STANDARD, t("acopio.standard.groups")],
            [FLEECE_STANDARD, t("acopio.standard.fleece")],
          ]}
          onChange={(e) => setStandard((e.target as HTMLSelectElement).value)}
        />
        <Select label={t("acopio.field.campaign")} value={campaign} options={campaignOptions()} onChange={(e) => setCampaign((e.target as HTMLSelectElement).value)} />
        <Select label={t("acopio.field.breed")} value={breed} options={breedOptions(std)} onChange={(e) => setBreed((e.target as HTMLSelectElement).value)} />
        <Select label={t("acopio.field.colour")} value={colour} options={colourOptions(std)} onChange={(e) => setColour((e.target as HTMLSelectElement).value)} />
      </div>
      {receipts === null ? (
        <Busy />
      ) : perGroup.size === 0 ? (
        <Empty>{t("acopio.builder.nothing")}</Empty>
      ) : (
        <>
          <div class="table-wrap">
            <table class="data">
              <caption>{t("acopio.builder.perGroup")}</caption>
              <thead>
                <tr>
                  <th scope="col">{t("acopio.field.group")}</th>
                  <th scope="col" class="num">
                    {t("acopio.builder.left")}
                  </th>
                  <th scope="col" class="num">
                    {t("acopio.builder.receiptsCount")}
                  </th>
                </tr>
              </thead>
              <tbody>
                {groups
                  .filter(([g]) => perGroup.has(g))
                  .map(([g, name]) => (
                    <tr key={g} class={g === group ? "chosen" : undefined}>
                      <td data-label={t("acopio.field.group")}>
                        <label class="inline">
                          <input
                            type="radio"
                            name="group"
                            value={g}
                            checked={g === group}
                            onChange={() => {
                              setGroup(g);
                              setTake({});
                            }}
                          />{" "}
                          {name}
                        </label>
                      </td>
                      <td data-label={t("acopio.builder.left")} class="num">
                        {fmtWeight(perGroup.get(g)!.grams)}
                      </td>
                      <td data-label={t("acopio.builder.receiptsCount")} class="num">
                        {perGroup.get(g)!.receipts}
                      </td>
                    </tr>
                  ))}
              </tbody>
            </table>
          </div>
          <fieldset class="sources">
            <legend>{t("acopio.builder.sources", { group: nameOf(groups, group) })}</legend>
            <button
              type="button"
              class="link"
              onClick={() => setTake(Object.fromEntries(sources.map((r) => [r.name ?? "", (Number(unused(r, group, held)) / 1000).toString()])))}
            >
              {t("acopio.builder.takeAll")}
            </button>
            <ul class="source-list">
              {sources.map((r) => {
                const key = r.name ?? "";
                const on = key in take;
                return (
                  <li key={key} class={on ? "on" : undefined}>
                    <label class="inline">
                      <input
                        type="checkbox"
                        checked={on}
                        onChange={() => {
                          const nt = { ...take };
                          if (on) delete nt[key];
                          else nt[key] = (Number(unused(r, group, held)) / 1000).toString();
                          setTake(nt);
                        }}
                      />{" "}
                      <span>
                        {t("acopio.builder.receiptLine", { n: r.receiptNumber ?? "", member: r.memberDisplayName ?? "", left: fmtKg(unused(r, group, held)) })}
                      </span>
                    </label>
                    {on && (
                      <Field
                        label={t("acopio.builder.takeKg", { n: r.receiptNumber ?? "" })}
                        type="text"
                        inputMode="decimal"
                        value={take[key]}
                        error={sourceErrors[key]}
                        onInput={(e) => setTake({ ...take, [key]: (e.target as HTMLInputElement).value })}
                      />
                    )}
                  </li>
                );
              })}
            </ul>
            <p class="total" aria-live="polite">
              {t("acopio.builder.total", { weight: fmtWeight(total), n: chosen.length })}
            </p>
            {errors.sources && (
              <p class="error" role="alert">
                {errors.sources}
              </p>
            )}
          </fieldset>
          <div class="row">
            <Field label={t("acopio.field.lotNumber")} value={lotNumber} maxLength={32} onInput={(e) => setLotNumber((e.target as HTMLInputElement).value)} error={errors.lotNumber || undefined} />
            <Field
              label={t("acopio.field.askPrice")}
              type="text"
              inputMode="decimal"
              value={price}
              onInput={(e) => setPrice((e.target as HTMLInputElement).value)}
              error={errors.askPricePerKg || undefined}
              hint={parseMoneyToMinor(price) ? t("acopio.builder.lotValue", { value: fmtMoney((parseMoneyToMinor(price)! * total) / 1000n) }) : undefined}
            />
          </div>
          <div class="row">
            <Field label={t("acopio.field.collectionPoint")} value={collectionPoint} maxLength={200} onInput={(e) => setCollectionPoint((e.target as HTMLInputElement).value)} error={errors.collectionPoint || undefined} />
            <Select
              label={t("acopio.field.classifier")}
              value={classifier}
              options={[["", t("acopio.classifier.choose")], ...(classifiers ?? []).map((c): [string, string] => [idOf(c.name), c.displayName])]}
              onChange={(e) => setClassifier((e.target as HTMLSelectElement).value)}
              error={errors.classifier || undefined}
            />
          </div>
          <button type="submit" class="primary" disabled={busy}>
            {busy ? t("common.working") : t("acopio.builder.create")}
          </button>
        </>
      )}
    </form>
  );
}

/** LotMade says a lot was created, with its label to print. */
export function LotMade(props: { association: string; lot: Lot }) {
  const l = props.lot;
  const [error, setError] = useState<unknown>(null);
  return (
    <Notice>
      {t("acopio.lots.created", { number: l.lotNumber || idOf(l.name), weight: fmtWeight(l.netWeightGrams) })}{" "}
      <button
        type="button"
        onClick={() => {
          setError(null);
          download(`/v1/associations/${props.association}/lots/${idOf(l.name)}/label.pdf`, `etiqueta-${l.lotNumber || idOf(l.name)}.pdf`).catch(setError);
        }}
      >
        {t("acopio.lots.printLabel")}
      </button>{" "}
      <Link href={`/acopio/lotes/${idOf(l.name)}`}>{t("acopio.lots.open")}</Link>
      <ErrorBox error={error} />
    </Notice>
  );
}
