// The association's lots: a list with filters, from which lots are picked
// to print their bale labels two to an A4 page; a lot's page with its
// grade, where its fibre came from, its label, corrections of what does not
// touch a trade (number, price, collection point, date) and withdrawal from
// the market.
import { useEffect, useState } from "preact/hooks";
import { api, ApiError, authHeaders, download, must, newRequestId } from "../../api/client";
import { idOf } from "../../api/names";
import { t } from "../../i18n";
import { fmtDate, fmtMoney, fmtWeight, parseMoneyToMinor } from "../../i18n/format";
import { usePending } from "../../offline/outbox";
import { Link } from "../../router";
import { MoreButton, usePages } from "../../ui/pages";
import { Busy, Empty, ErrorBox, Field, Notice, Select, Table } from "../../ui/ui";
import { lotsPath } from "./lotbuilder";
import { AssociationPage, campaignOptions, currentCampaign, GROUP_STANDARD, groupOptions, local, nameOf, useStandard, type Lot } from "./shared";

/** lotStateLabel is the reader's word for a lot's state. */
export function lotStateLabel(state: string | undefined): string {
  const labels: Record<string, string> = {
    LOT_STATE_AVAILABLE: t("acopio.lotState.available"),
    LOT_STATE_ALLOCATED: t("acopio.lotState.allocated"),
    LOT_STATE_SOLD: t("acopio.lotState.sold"),
    LOT_STATE_WITHDRAWN: t("acopio.lotState.withdrawn"),
  };
  return labels[state ?? ""] ?? state ?? "";
}

export function LotsPage() {
  return (
    <AssociationPage
      title={t("acopio.lots.title")}
      actions={
        <>
          <Link class="button primary" href="/acopio/lotes/armar">
            {t("acopio.lots.build")}
          </Link>
          <Link class="button" href="/acopio/lotes/nuevo">
            {t("acopio.lots.new")}
          </Link>
          <Link class="button" href="/acopio/lotes/importar">
            {t("acopio.lots.import")}
          </Link>
        </>
      }
    >
      {(a) => <LotList association={a} />}
    </AssociationPage>
  );
}

function LotList(props: { association: string }) {
  const a = props.association;
  const [state, setState] = useState("");
  const [group, setGroup] = useState("");
  const [campaign, setCampaign] = useState(String(currentCampaign()));
  const [search, setSearch] = useState("");
  const [query, setQuery] = useState("");
  const [error, setError] = useState<unknown>(null);
  const [picked, setPicked] = useState<Set<string>>(new Set());
  const [printing, setPrinting] = useState(false);
  const std = useStandard(GROUP_STANDARD);
  const groups = groupOptions(std);
  const waiting = usePending().filter((p) => p.kind === "lot" && p.path === lotsPath(a));

  const list = usePages(
    (token) => {
      const terms: string[] = [];
      if (campaign) terms.push(`campaign = ${Number(campaign)}`);
      if (state) terms.push(`state = ${state}`);
      if (group) terms.push(`quality_group = "${group}"`);
      return must(
        api.GET("/v1/associations/{association}/lots", {
          params: {
            path: { association: a },
            query: { filter: terms.join(" AND ") || undefined, search: query || undefined, orderBy: "create_time desc", pageSize: 50, pageToken: token || undefined },
          },
        }),
      ).then((r) => ({ items: r.lots, next: r.nextPageToken }));
    },
    [a, state, group, campaign, query],
    [waiting.length],
  );
  const rows = list.items;

  async function printLabels() {
    setPrinting(true);
    setError(null);
    try {
      const names = [...picked].join(",");
      await download(`/v1/associations/${a}/lots:labels.pdf?names=${encodeURIComponent(names)}`, `etiquetas-${picked.size}.pdf`);
    } catch (e) {
      setError(e);
    } finally {
      setPrinting(false);
    }
  }

  const toggle = (id: string) => {
    const n = new Set(picked);
    if (n.has(id)) n.delete(id);
    else if (n.size < 100) n.add(id);
    setPicked(n);
  };

  return (
    <>
      <form
        class="row filters"
        onSubmit={(e) => {
          e.preventDefault();
          setQuery(search.trim());
        }}
      >
        <Select label={t("acopio.field.campaign")} value={campaign} options={[["", t("acopio.all")], ...campaignOptions()]} onChange={(e) => setCampaign((e.target as HTMLSelectElement).value)} />
        <Select
          label={t("acopio.field.state")}
          value={state}
          options={[
            ["", t("acopio.all")],
            ["AVAILABLE", t("acopio.lotState.available")],
            ["ALLOCATED", t("acopio.lotState.allocated")],
            ["SOLD", t("acopio.lotState.sold")],
            ["WITHDRAWN", t("acopio.lotState.withdrawn")],
          ]}
          onChange={(e) => setState((e.target as HTMLSelectElement).value)}
        />
        <Select label={t("acopio.field.group")} value={group} options={[["", t("acopio.all")], ...groups]} onChange={(e) => setGroup((e.target as HTMLSelectElement).value)} />
        <Field label={t("acopio.lots.search")} type="search" value={search} hint={t("acopio.lots.searchHint")} onInput={(e) => setSearch((e.target as HTMLInputElement).value)} />
        <button type="submit">{t("common.search")}</button>
      </form>
      {waiting.length > 0 && (
        <Notice kind="warn">
          {t("acopio.lots.waiting", { n: waiting.length })} <Link href="/pendientes">{t("acopio.receipts.seeWaiting")}</Link>
        </Notice>
      )}
      <div class="selection-bar">
        <span>{t("acopio.lots.picked", { n: picked.size })}</span>
        <button type="button" class="primary" disabled={picked.size === 0 || printing} onClick={() => void printLabels()}>
          {printing ? t("common.working") : t("acopio.lots.printLabels")}
        </button>
      </div>
      <ErrorBox error={list.error ?? error} />
      {!list.ready ? (
        <Busy />
      ) : rows.length === 0 ? (
        !list.error && <Empty>{t("acopio.lots.none")}</Empty>
      ) : (
        <Table
          caption={t("acopio.lots.caption")}
          rows={rows}
          rowKey={(l) => l.name ?? ""}
          columns={[
            {
              head: t("acopio.lots.pick"),
              cell: (l) => (
                <input
                  type="checkbox"
                  aria-label={t("acopio.lots.pickLot", { number: l.lotNumber || idOf(l.name) })}
                  checked={picked.has(idOf(l.name))}
                  disabled={l.state === "LOT_STATE_WITHDRAWN"}
                  onChange={() => toggle(idOf(l.name))}
                />
              ),
            },
            { head: t("acopio.field.lotNumber"), cell: (l) => <Link href={`/acopio/lotes/${idOf(l.name)}`}>{l.lotNumber || t("acopio.lots.noNumber")}</Link> },
            { head: t("acopio.field.group"), cell: (l) => local(l.marketQualityGroupName) || nameOf(groups, l.marketQualityGroup) },
            { head: t("acopio.field.netWeight"), cell: (l) => fmtWeight(l.netWeightGrams), num: true },
            { head: t("acopio.field.askPrice"), cell: (l) => fmtMoney(l.askPricePerKg, l.currencyCode || "PEN"), num: true },
            { head: t("acopio.field.state"), cell: (l) => lotStateLabel(l.state) },
            { head: t("acopio.field.date"), cell: (l) => l.classificationDate || fmtDate(l.createTime) },
          ]}
        />
      )}
      <MoreButton list={list} />
    </>
  );
}

export function LotPage(props: { params: Record<string, string> }) {
  return <AssociationPage title={t("acopio.lot.title")}>{(a) => <LotDetail association={a} lot={props.params.lot} />}</AssociationPage>;
}

function LotDetail(props: { association: string; lot: string }) {
  const a = props.association;
  const [lot, setLot] = useState<Lot | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [svg, setSvg] = useState("");
  const [confirming, setConfirming] = useState(false);
  const [correcting, setCorrecting] = useState(false);
  const [note, setNote] = useState("");
  const std = useStandard(GROUP_STANDARD);
  const groups = groupOptions(std);

  async function load(): Promise<Lot | null> {
    try {
      const l = await must(api.GET("/v1/associations/{association}/lots/{lot}", { params: { path: { association: a, lot: props.lot } } }));
      setLot(l);
      return l;
    } catch (e) {
      setError(e);
      return null;
    }
  }
  useEffect(() => {
    void load();
  }, [a, props.lot]);
  // The label's picture, fetched with the key and shown from memory.
  useEffect(() => {
    if (!lot || lot.state === "LOT_STATE_WITHDRAWN") return;
    let url = "";
    fetch(`/v1/associations/${a}/lots/${props.lot}/label.svg`, { headers: authHeaders() })
      .then((r) => (r.ok ? r.blob() : null))
      .then((b) => {
        if (!b) return;
        url = URL.createObjectURL(b);
        setSvg(url);
      })
      .catch(() => undefined);
    return () => {
      if (url) URL.revokeObjectURL(url);
    };
  }, [lot?.etag]);

  async function withdraw() {
    setError(null);
    try {
      await must(
        api.POST("/v1/associations/{association}/lots/{lot}:withdraw", {
          params: { path: { association: a, lot: props.lot } },
          body: { etag: lot?.etag, requestId: newRequestId() },
        }),
      );
      setConfirming(false);
      setNote(t("acopio.lot.withdrawn"));
      await load();
    } catch (e) {
      setError(e);
    }
  }

  if (error && !lot) return <ErrorBox error={error} />;
  if (!lot) return <Busy />;
  const number = lot.lotNumber || idOf(lot.name);
  const onOffer = BigInt(lot.netWeightGrams) - BigInt(lot.allocatedGrams ?? "0") - BigInt(lot.withdrawnGrams ?? "0");
  return (
    <>
      <ErrorBox error={error} />
      {note && <Notice>{note}</Notice>}
      <dl class="facts card">
        <dt>{t("acopio.field.lotNumber")}</dt>
        <dd>{number}</dd>
        <dt>{t("acopio.field.state")}</dt>
        <dd>{lotStateLabel(lot.state)}</dd>
        <dt>{t("acopio.lot.marketGroup")}</dt>
        <dd>{local(lot.marketQualityGroupName) || nameOf(groups, lot.marketQualityGroup)}</dd>
        <dt>{t("acopio.field.declaredGroup")}</dt>
        <dd>{nameOf(groups, lot.declaredQualityGroup)}</dd>
        {lot.measuredGrade && (
          <>
            <dt>{t("acopio.lot.grade")}</dt>
            <dd>{local(lot.measuredGrade.explanation)}</dd>
          </>
        )}
        {lot.discrepancy && (
          <>
            <dt>{t("acopio.lot.discrepancy")}</dt>
            <dd class="error">{local(lot.discrepancyExplanation)}</dd>
          </>
        )}
        <dt>{t("acopio.field.netWeight")}</dt>
        <dd>{fmtWeight(lot.netWeightGrams)}</dd>
        <dt>{t("acopio.lot.allocated")}</dt>
        <dd>{fmtWeight(lot.allocatedGrams ?? "0")}</dd>
        <dt>{t("acopio.lot.onOffer")}</dt>
        <dd>{fmtWeight(onOffer < 0n ? 0n : onOffer)}</dd>
        <dt>{t("acopio.field.askPrice")}</dt>
        <dd>{fmtMoney(lot.askPricePerKg, lot.currencyCode || "PEN")}</dd>
        <dt>{t("acopio.field.campaign")}</dt>
        <dd>{lot.campaign}</dd>
        <dt>{t("acopio.field.collectionPoint")}</dt>
        <dd>{lot.collectionPoint}</dd>
        <dt>{t("acopio.field.classificationDate")}</dt>
        <dd>{lot.classificationDate}</dd>
      </dl>
      <div class="actions-row">
        {lot.state !== "LOT_STATE_WITHDRAWN" && (
          <button
            type="button"
            class="primary"
            onClick={() => download(`/v1/associations/${a}/lots/${props.lot}/label.pdf`, `etiqueta-${number}.pdf`).catch(setError)}
          >
            {t("acopio.lots.printLabel")}
          </button>
        )}
        {(lot.state === "LOT_STATE_AVAILABLE" || lot.state === "LOT_STATE_ALLOCATED") && !correcting && (
          <button
            type="button"
            onClick={() => {
              setNote("");
              setCorrecting(true);
            }}
          >
            {t("acopio.lot.correct")}
          </button>
        )}
        {(lot.state === "LOT_STATE_AVAILABLE" || (lot.state === "LOT_STATE_ALLOCATED" && onOffer > 0n)) &&
          (confirming ? (
            <span class="confirm">
              {t("acopio.lot.withdrawConfirm", { weight: fmtWeight(onOffer) })}{" "}
              <button type="button" class="danger" onClick={() => void withdraw()}>
                {t("acopio.lot.withdrawYes")}
              </button>{" "}
              <button type="button" onClick={() => setConfirming(false)}>
                {t("common.cancel")}
              </button>
            </span>
          ) : (
            <button type="button" class="danger" onClick={() => setConfirming(true)}>
              {t("acopio.lot.withdraw")}
            </button>
          ))}
      </div>
      {correcting && (
        <LotCorrection
          association={a}
          lot={lot}
          reload={load}
          done={(changed) => {
            setCorrecting(false);
            if (changed) {
              setLot(changed);
              setNote(t("acopio.lot.corrected"));
            }
          }}
        />
      )}
      {svg && <img class="label-preview" src={svg} alt={t("acopio.lot.labelAlt", { number })} />}
      <h2>{t("acopio.lot.origin")}</h2>
      {(lot.sources ?? []).length > 0 ? (
        <Table
          rows={lot.sources ?? []}
          rowKey={(s) => s.receipt ?? ""}
          columns={[
            { head: t("acopio.lot.receipt"), cell: (s) => <ReceiptName association={a} name={s.receipt ?? ""} /> },
            { head: t("acopio.field.netWeight"), cell: (s) => fmtWeight(s.grams), num: true },
          ]}
        />
      ) : null}
      <Table
        caption={t("acopio.lot.contributions")}
        rows={lot.contributions ?? []}
        rowKey={(c) => c.member ?? ""}
        columns={[
          { head: t("acopio.field.member"), cell: (c) => <MemberName association={a} name={c.member ?? ""} /> },
          { head: t("acopio.field.netWeight"), cell: (c) => fmtWeight(c.grams), num: true },
        ]}
      />
    </>
  );
}

/** CorrectableFields are the fields of a lot LotCorrection edits, as typed. */
type CorrectableFields = { lotNumber: string; price: string; point: string; date: string };

function correctable(l: Lot): CorrectableFields {
  return { lotNumber: l.lotNumber ?? "", price: (Number(l.askPricePerKg) / 100).toFixed(2), point: l.collectionPoint ?? "", date: l.classificationDate ?? "" };
}

/**
 * LotCorrection corrects what a lot on the market may change at any time:
 * its number, asking price, collection point and classification date
 * (UpdateLot with those four fields and the etag last read). When someone
 * else changed the lot meanwhile (ABORTED), the lot is read again: the
 * fields the clerk did not touch take the new values, the ones the clerk
 * typed are kept, and the clerk reviews them and saves again, so that
 * nobody's change is overwritten unseen.
 */
function LotCorrection(props: { association: string; lot: Lot; reload: () => Promise<Lot | null>; done: (changed: Lot | null) => void }) {
  const l = props.lot;
  const [base, setBase] = useState(() => correctable(l));
  const [v, setV] = useState(() => correctable(l));
  const [errors, setErrors] = useState<Record<string, string>>({});
  const [error, setError] = useState<unknown>(null);
  const [changedMeanwhile, setChangedMeanwhile] = useState(false);
  const [busy, setBusy] = useState(false);
  const set = (k: keyof CorrectableFields) => (e: Event) => {
    const value = (e.target as HTMLInputElement).value;
    setV((cur) => ({ ...cur, [k]: value }));
  };

  async function submit(ev: Event) {
    ev.preventDefault();
    const ask = parseMoneyToMinor(v.price);
    const fe: Record<string, string> = {};
    if (ask === null || ask <= 0n) fe.price = t("acopio.error.price");
    if (!/^\d{4}-\d{2}-\d{2}$/.test(v.date)) fe.date = t("acopio.lot.error.date");
    setErrors(fe);
    if (Object.keys(fe).length) return;
    setBusy(true);
    setError(null);
    setChangedMeanwhile(false);
    try {
      const changed = await must(
        api.PATCH("/v1/associations/{association}/lots/{lot}", {
          params: { path: { association: props.association, lot: idOf(l.name) }, query: { requestId: newRequestId() } },
          // Only these fields are sent: the gateway makes the update mask
          // of the fields the body names.
          body: { lotNumber: v.lotNumber.trim(), askPricePerKg: String(ask), collectionPoint: v.point.trim(), classificationDate: v.date, etag: l.etag } as Lot,
        }),
      );
      props.done(changed);
    } catch (err) {
      if (err instanceof ApiError && err.status === 409 && err.code === 10) {
        const fresh = await props.reload();
        if (fresh) {
          const now = correctable(fresh);
          setV((cur) => {
            const merged = { ...cur };
            for (const k of Object.keys(now) as Array<keyof CorrectableFields>) if (cur[k] === base[k]) merged[k] = now[k];
            return merged;
          });
          setBase(now);
          setChangedMeanwhile(true);
          return;
        }
      }
      setError(err);
      if (err instanceof ApiError) {
        const field = (f: string) => err.forField(`lot.${f}`) ?? err.forField(f) ?? "";
        setErrors({ lotNumber: field("lotNumber"), price: field("askPricePerKg"), point: field("collectionPoint"), date: field("classificationDate") });
      }
    } finally {
      setBusy(false);
    }
  }
  return (
    <form class="card narrow" onSubmit={submit} noValidate aria-label={t("acopio.lot.correctTitle")}>
      <h2>{t("acopio.lot.correctTitle")}</h2>
      <p class="hint">{t("acopio.lot.correctHint")}</p>
      {changedMeanwhile && <Notice kind="warn">{t("acopio.lot.changedMeanwhile")}</Notice>}
      <ErrorBox error={error} />
      <Field label={t("acopio.field.lotNumber")} value={v.lotNumber} maxLength={32} onInput={set("lotNumber")} error={errors.lotNumber} />
      <Field label={t("acopio.field.askPrice")} inputMode="decimal" value={v.price} onInput={set("price")} error={errors.price} />
      <Field label={t("acopio.field.collectionPoint")} value={v.point} maxLength={200} onInput={set("point")} error={errors.point} />
      <Field label={t("acopio.field.classificationDate")} type="date" value={v.date} onInput={set("date")} error={errors.date} />
      <div class="actions-row">
        <button type="submit" class="primary" disabled={busy}>
          {busy ? t("common.working") : t("common.save")}
        </button>
        <button type="button" onClick={() => props.done(null)}>
          {t("common.cancel")}
        </button>
      </div>
    </form>
  );
}

const memberNames = new Map<string, Promise<string>>();

/** MemberName shows a member's name for a resource name. */
function MemberName(props: { association: string; name: string }) {
  const [n, setN] = useState("");
  useEffect(() => {
    let p = memberNames.get(props.name);
    if (!p) {
      p = must(api.GET("/v1/associations/{association}/members/{member}", { params: { path: { association: props.association, member: idOf(props.name) } } }))
        .then((m) => m.displayName)
        .catch(() => idOf(props.name));
      memberNames.set(props.name, p);
    }
    void p.then(setN);
  }, [props.name]);
  return <>{n || "…"}</>;
}

/** ReceiptName shows a receipt as its number and member, "N.° 12 · Justina Quispe". */
function ReceiptName(props: { association: string; name: string }) {
  const [n, setN] = useState("");
  useEffect(() => {
    must(api.GET("/v1/associations/{association}/receipts/{receipt}", { params: { path: { association: props.association, receipt: idOf(props.name) } } }))
      .then((r) => setN(t("acopio.lot.receiptName", { n: r.receiptNumber ?? "", member: r.memberDisplayName ?? "" })))
      .catch(() => setN(idOf(props.name)));
  }, [props.name]);
  return <>{n || "…"}</>;
}
