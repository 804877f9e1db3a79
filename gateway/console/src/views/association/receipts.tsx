// Receipts (recepciones): a member's delivery at the collection centre. The
// form works with no connection: each delivery gets its request id on the
// phone, and what cannot be sent now waits in the outbox, shown in the list
// as waiting, until the connection returns; the service makes it once
// however many times it is sent.
import { useMemo, useState } from "preact/hooks";
import { api, ApiError, download, must, newRequestId } from "../../api/client";
import { idOf } from "../../api/names";
import { t } from "../../i18n";
import { fmtDate, fmtKg, fmtWeight, parseKgToGrams } from "../../i18n/format";
import { sendOrKeep, usePending, type Pending } from "../../offline/outbox";
import { Link } from "../../router";
import { MoreButton, usePages } from "../../ui/pages";
import { Busy, Empty, ErrorBox, Field, Notice, Select, Table } from "../../ui/ui";
import {
  AssociationPage,
  breedOptions,
  campaignOptions,
  colourOptions,
  currentCampaign,
  FLEECE_STANDARD,
  GROUP_STANDARD,
  groupOptions,
  matches,
  nameOf,
  recall,
  remember,
  todayInPeru,
  usePeople,
  useStandard,
  type Member,
  type Receipt,
} from "./shared";

export function receiptsPath(association: string): string {
  return `/v1/associations/${association}/receipts`;
}

/** ReceiptsPage lists the association's receipts, those waiting to be sent first. */
export function ReceiptsPage() {
  return (
    <AssociationPage
      title={t("acopio.receipts.title")}
      actions={
        <Link class="button primary" href="/acopio/recepciones/nueva">
          {t("acopio.receipts.new")}
        </Link>
      }
    >
      {(a) => <ReceiptList association={a} />}
    </AssociationPage>
  );
}

function ReceiptList(props: { association: string }) {
  const a = props.association;
  const [campaign, setCampaign] = useState(String(currentCampaign()));
  const [state, setState] = useState("ACTIVE");
  const [member, setMember] = useState("");
  const { members } = usePeople(a);
  const pending = usePending().filter((p) => p.kind === "receipt" && p.path === receiptsPath(a));
  const std = useStandard(GROUP_STANDARD);
  const fleeceStd = useStandard(FLEECE_STANDARD);
  const groups = [...groupOptions(std), ...groupOptions(fleeceStd)];

  const list = usePages(
    (token) => {
      const terms = [`campaign = ${Number(campaign)}`];
      if (state) terms.push(`state = ${state}`);
      if (member) terms.push(`member = "associations/${a}/members/${member}"`);
      return must(
        api.GET("/v1/associations/{association}/receipts", {
          params: { path: { association: a }, query: { filter: terms.join(" AND "), orderBy: "receipt_number desc", pageSize: 50, pageToken: token || undefined } },
        }),
      ).then((r) => ({ items: r.receipts, next: r.nextPageToken }));
    },
    [a, campaign, state, member],
    [pending.length],
  );
  const rows = list.items;

  return (
    <>
      <div class="row filters">
        <Select label={t("acopio.field.campaign")} value={campaign} options={campaignOptions()} onChange={(e) => setCampaign((e.target as HTMLSelectElement).value)} />
        <Select
          label={t("acopio.field.state")}
          value={state}
          options={[
            ["ACTIVE", t("acopio.receipts.state.active")],
            ["VOIDED", t("acopio.receipts.state.voided")],
            ["", t("acopio.all")],
          ]}
          onChange={(e) => setState((e.target as HTMLSelectElement).value)}
        />
        <Select
          label={t("acopio.field.member")}
          value={member}
          options={[["", t("acopio.all")], ...(members ?? []).map((m): [string, string] => [idOf(m.name), m.displayName])]}
          onChange={(e) => setMember((e.target as HTMLSelectElement).value)}
        />
      </div>
      {pending.length > 0 && (
        <section aria-labelledby="waiting-title">
          <h2 id="waiting-title">{t("acopio.receipts.waitingTitle", { n: pending.length })}</h2>
          <ul class="pending-list" data-testid="waiting-receipts">
            {pending.map((p) => (
              <WaitingItem key={p.requestId} p={p} />
            ))}
          </ul>
        </section>
      )}
      <ErrorBox error={list.error} />
      {!list.ready ? (
        <Busy />
      ) : rows.length === 0 ? (
        !list.error && <Empty>{t("acopio.receipts.none")}</Empty>
      ) : (
        <Table
          caption={t("acopio.receipts.caption")}
          rows={rows}
          rowKey={(r) => r.name ?? ""}
          columns={[
            { head: t("acopio.field.receiptNumber"), cell: (r) => t("acopio.receipts.number", { n: r.receiptNumber ?? "" }), num: true },
            { head: t("acopio.field.date"), cell: (r) => r.receiveDate ?? fmtDate(r.createTime) },
            { head: t("acopio.field.member"), cell: (r) => r.memberDisplayName },
            { head: t("acopio.field.netWeight"), cell: (r) => fmtWeight(r.netWeightGrams), num: true },
            {
              head: t("acopio.receipts.groups"),
              cell: (r) =>
                r.fleeceCategory
                  ? nameOf(groups, r.fleeceCategory)
                  : Object.entries(r.groupGrams ?? {})
                      .map(([g, grams]) => `${nameOf(groups, g)} ${fmtKg(grams)}`)
                      .join(" · "),
            },
            {
              head: t("acopio.receipts.unused"),
              cell: (r) => fmtKg(Object.values(r.unusedGrams ?? {}).reduce((s, v) => s + BigInt(v || "0"), 0n)),
              num: true,
            },
            {
              head: t("acopio.receipts.slip"),
              cell: (r) => (
                <span class="actions-row">
                  <SlipButton association={a} receipt={r} />
                  <VoidButton association={a} receipt={r} voided={() => void list.load()} />
                </span>
              ),
            },
          ]}
        />
      )}
      <MoreButton list={list} />
    </>
  );
}

function WaitingItem(props: { p: Pending }) {
  const p = props.p;
  return (
    <li class={p.error ? "refused" : "waiting"}>
      <strong>{p.label}</strong>
      {p.error ? (
        <span class="error" role="alert">
          {t("acopio.receipts.refused", { reason: p.error })}
        </span>
      ) : (
        <span class="badge info">{t("acopio.receipts.waiting")}</span>
      )}
    </li>
  );
}

/** SlipButton downloads a receipt's slip (PDF, A6) for the member to keep. */
export function SlipButton(props: { association: string; receipt: Receipt }) {
  const [error, setError] = useState<unknown>(null);
  const r = props.receipt;
  return (
    <span>
      <button
        type="button"
        onClick={() => {
          setError(null);
          download(`/v1/associations/${props.association}/receipts/${idOf(r.name)}/slip.pdf`, `recepcion-${r.campaign}-${r.receiptNumber}.pdf`).catch(setError);
        }}
      >
        {t("acopio.receipts.printSlip")}
      </button>
      <ErrorBox error={error} />
    </span>
  );
}

/** VoidButton cancels a receipt none of whose grams is in a lot; it keeps its number. */
function VoidButton(props: { association: string; receipt: Receipt; voided: () => void }) {
  const r = props.receipt;
  const [asking, setAsking] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const unusedAll = Object.values(r.unusedGrams ?? {}).reduce((sum, v) => sum + BigInt(v || "0"), 0n);
  if (r.state !== "RECEIPT_STATE_ACTIVE" || unusedAll !== BigInt(r.netWeightGrams)) return null;
  if (!asking)
    return (
      <button type="button" class="danger" onClick={() => setAsking(true)} aria-label={t("acopio.receipts.voidWhich", { n: r.receiptNumber ?? "" })}>
        {t("acopio.receipts.void")}
      </button>
    );
  return (
    <span>
      {t("acopio.receipts.voidConfirm", { n: r.receiptNumber ?? "" })}{" "}
      <button
        type="button"
        class="danger"
        onClick={() =>
          must(
            api.POST("/v1/associations/{association}/receipts/{receipt}:void", {
              params: { path: { association: props.association, receipt: idOf(r.name) } },
              body: { etag: r.etag, requestId: newRequestId() },
            }),
          )
            .then(props.voided)
            .catch(setError)
        }
      >
        {t("acopio.receipts.voidYes")}
      </button>{" "}
      <button type="button" onClick={() => setAsking(false)}>
        {t("common.cancel")}
      </button>
      <ErrorBox error={error} />
    </span>
  );
}

/** NewReceiptPage records a delivery, with or without a connection. */
export function NewReceiptPage() {
  return (
    <AssociationPage
      title={t("acopio.receipts.newTitle")}
      actions={
        <Link class="button" href="/acopio/recepciones">
          {t("acopio.receipts.backToList")}
        </Link>
      }
    >
      {(a) => <ReceiptForm association={a} />}
    </AssociationPage>
  );
}

/** MemberPicker is a search box over the members and a list of those that match. */
export function MemberPicker(props: { members: Member[]; value: string; onChange: (id: string) => void; error?: string; label?: string }) {
  const [q, setQ] = useState("");
  const shown = useMemo(() => props.members.filter((m) => !q || matches(q, m.displayName, m.dni)).slice(0, 200), [props.members, q]);
  const options: Array<[string, string]> = [["", shown.length ? t("acopio.member.choose") : t("acopio.member.noMatch")], ...shown.map((m): [string, string] => [idOf(m.name), t("acopio.member.option", { name: m.displayName, dni: m.dni })])];
  const current = props.members.find((m) => idOf(m.name) === props.value);
  if (current && !shown.includes(current)) options.push([props.value, t("acopio.member.option", { name: current.displayName, dni: current.dni })]);
  return (
    <fieldset class="picker">
      <legend>{props.label ?? t("acopio.field.member")}</legend>
      <Field
        label={t("acopio.member.search")}
        type="search"
        value={q}
        onInput={(e) => {
          const v = (e.target as HTMLInputElement).value;
          setQ(v);
          const hits = props.members.filter((m) => !v || matches(v, m.displayName, m.dni));
          if (hits.length === 1) props.onChange(idOf(hits[0].name));
        }}
        hint={t("acopio.member.searchHint")}
      />
      <Select label={t("acopio.member.pick")} value={props.value} options={options} error={props.error} onChange={(e) => props.onChange((e.target as HTMLSelectElement).value)} />
    </fieldset>
  );
}

interface ReceiptDraft {
  member: string;
  standard: string;
  campaign: string;
  collectionPoint: string;
  receiveDate: string;
  breed: string;
  colour: string;
  fleeceCount: string;
  netKg: string;
  classifier: string;
  fleeceCategory: string;
  groupKg: Record<string, string>;
}

function freshDraft(old?: ReceiptDraft): ReceiptDraft {
  return {
    member: "",
    standard: old?.standard ?? GROUP_STANDARD,
    campaign: old?.campaign ?? String(currentCampaign()),
    collectionPoint: old?.collectionPoint ?? recall("collectionPoint"),
    receiveDate: old?.receiveDate ?? todayInPeru(),
    breed: old?.breed ?? "HUACAYA",
    colour: old?.colour ?? "WHITE",
    fleeceCount: "",
    netKg: "",
    classifier: old?.classifier ?? recall("classifier"),
    fleeceCategory: old?.fleeceCategory ?? "",
    groupKg: {},
  };
}

type Errors = Record<string, string>;

function ReceiptForm(props: { association: string }) {
  const a = props.association;
  const { members, classifiers, error: loadError } = usePeople(a);
  const [d, setD] = useState<ReceiptDraft>(freshDraft());
  const [errors, setErrors] = useState<Errors>({});
  const [error, setError] = useState<unknown>(null);
  const [done, setDone] = useState<{ receipt?: Receipt; queued?: string } | null>(null);
  const [busy, setBusy] = useState(false);
  const std = useStandard(d.standard);
  const groups = groupOptions(std);
  const byFleece = d.standard === FLEECE_STANDARD;
  const set = (k: keyof ReceiptDraft) => (e: Event) => setD({ ...d, [k]: (e.target as HTMLInputElement).value });

  const net = parseKgToGrams(d.netKg);
  const groupGrams: Record<string, bigint> = {};
  let groupSum = 0n;
  let groupBad = "";
  for (const [g, kg] of Object.entries(d.groupKg)) {
    if (!kg.trim()) continue;
    const grams = parseKgToGrams(kg);
    if (grams === null) groupBad = g;
    else if (grams > 0n) {
      groupGrams[g] = grams;
      groupSum += grams;
    }
  }

  function check(): Errors {
    const e: Errors = {};
    if (!d.member) e.member = t("acopio.receipts.error.member");
    if (!d.collectionPoint.trim()) e.collectionPoint = t("acopio.error.collectionPoint");
    const count = Number(d.fleeceCount);
    if (!Number.isInteger(count) || count < 1 || count > 10000) e.fleeceCount = t("acopio.receipts.error.fleeceCount");
    if (net === null || net <= 0n) e.netWeightGrams = t("acopio.error.kg");
    if (!d.classifier) e.classifier = t("acopio.receipts.error.classifier");
    if (byFleece) {
      if (!d.fleeceCategory) e.fleeceCategory = t("acopio.receipts.error.category");
    } else if (groupBad) e.groupGrams = t("acopio.error.kg");
    else if (net !== null && groupSum !== net) e.groupGrams = t("acopio.receipts.error.groupSum", { sum: fmtKg(groupSum), net: fmtKg(net) });
    return e;
  }

  async function submit(ev: Event) {
    ev.preventDefault();
    setDone(null);
    setError(null);
    const e = check();
    setErrors(e);
    if (Object.keys(e).length) return;
    const body = {
      member: `associations/${a}/members/${d.member}`,
      standard: `standards/${d.standard}`,
      campaign: Number(d.campaign),
      collectionPoint: d.collectionPoint.trim(),
      receiveDate: d.receiveDate || undefined,
      breed: d.breed,
      colour: d.colour,
      fleeceCount: Number(d.fleeceCount),
      netWeightGrams: String(net),
      classifier: `associations/${a}/classifiers/${d.classifier}`,
      ...(byFleece ? { fleeceCategory: d.fleeceCategory } : { groupGrams: Object.fromEntries(Object.entries(groupGrams).map(([g, v]) => [g, String(v)])) }),
    };
    remember("collectionPoint", body.collectionPoint);
    remember("classifier", d.classifier);
    const requestId = newRequestId();
    const who = members?.find((m) => idOf(m.name) === d.member)?.displayName ?? "";
    const label = t("acopio.receipts.pendingLabel", { member: who, weight: fmtWeight(body.netWeightGrams) });
    setBusy(true);
    try {
      const r = await sendOrKeep({ requestId, method: "POST", path: receiptsPath(a), body, label, kind: "receipt" }, () =>
        must(api.POST("/v1/associations/{association}/receipts", { params: { path: { association: a }, query: { requestId } }, body })),
      );
      setDone(r ? { receipt: r } : { queued: label });
      setD(freshDraft(d));
    } catch (err) {
      setError(err);
      if (err instanceof ApiError) {
        const fe: Errors = {};
        for (const f of ["member", "collectionPoint", "fleeceCount", "netWeightGrams", "classifier", "fleeceCategory", "groupGrams", "receiveDate", "campaign"]) {
          const m = err.forField(`receipt.${f}`) ?? err.fieldViolations.find((v) => v.field.startsWith(`receipt.group_grams`) && f === "groupGrams")?.description;
          if (m) fe[f] = m;
        }
        setErrors(fe);
      }
    } finally {
      setBusy(false);
    }
  }

  if (loadError && !members) return <ErrorBox error={loadError} />;
  if (!members || !classifiers) return <Busy />;
  if (members.length === 0 || classifiers.length === 0)
    return (
      <Notice kind="warn">
        {members.length === 0 ? t("acopio.receipts.noMembers") : t("acopio.receipts.noClassifiers")} <Link href="/acopio/socios">{t("acopio.members.title")}</Link>
      </Notice>
    );
  return (
    <form class="card" onSubmit={submit} noValidate aria-label={t("acopio.receipts.newTitle")}>
      {done?.receipt && (
        <Notice>
          {t("acopio.receipts.saved", { n: done.receipt.receiptNumber ?? "", member: done.receipt.memberDisplayName ?? "" })} <SlipButton association={a} receipt={done.receipt} />
        </Notice>
      )}
      {done?.queued && (
        <Notice kind="warn">
          {t("acopio.receipts.queued", { what: done.queued })} <Link href="/acopio/recepciones">{t("acopio.receipts.seeWaiting")}</Link>
        </Notice>
      )}
      <ErrorBox error={error} />
      <MemberPicker members={members} value={d.member} onChange={(m) => setD({ ...d, member: m })} error={errors.member} />
      <div class="row">
        <Select
          label={t("acopio.field.standard")}
          value={d.standard}
          options={[
            [GROUP_STANDARD, t("acopio.standard.groups")],
            [FLEECE_STANDARD, t("acopio.standard.fleece")],
          ]}
          onChange={set("standard")}
        />
        <Select label={t("acopio.field.campaign")} value={d.campaign} options={campaignOptions()} onChange={set("campaign")} error={errors.campaign} />
      </div>
      <div class="row">
        <Field label={t("acopio.field.collectionPoint")} value={d.collectionPoint} onInput={set("collectionPoint")} error={errors.collectionPoint} maxLength={200} autoComplete="on" />
        <Field label={t("acopio.field.receiveDate")} type="date" value={d.receiveDate} max={todayInPeru()} onInput={set("receiveDate")} error={errors.receiveDate} />
      </div>
      <div class="row">
        <Select label={t("acopio.field.breed")} value={d.breed} options={breedOptions(std)} onChange={set("breed")} />
        <Select label={t("acopio.field.colour")} value={d.colour} options={colourOptions(std)} onChange={set("colour")} />
      </div>
      <div class="row">
        <Field label={t("acopio.field.fleeceCount")} type="text" inputMode="numeric" value={d.fleeceCount} onInput={set("fleeceCount")} error={errors.fleeceCount} />
        <Field
          label={t("acopio.field.netWeightKg")}
          type="text"
          inputMode="decimal"
          value={d.netKg}
          onInput={set("netKg")}
          error={errors.netWeightGrams}
          hint={net !== null && net > 0n ? fmtWeight(net) : t("acopio.hint.kg")}
        />
      </div>
      <Select
        label={t("acopio.field.classifier")}
        value={d.classifier}
        options={[["", t("acopio.classifier.choose")], ...classifiers.map((c): [string, string] => [idOf(c.name), c.displayName])]}
        onChange={set("classifier")}
        error={errors.classifier}
      />
      {byFleece ? (
        <Select
          label={t("acopio.field.fleeceCategory")}
          value={d.fleeceCategory}
          options={[["", t("acopio.receipts.chooseCategory")], ...groups]}
          onChange={set("fleeceCategory")}
          error={errors.fleeceCategory}
        />
      ) : (
        <fieldset class="groups">
          <legend>{t("acopio.receipts.groupKg")}</legend>
          <div class="row">
            {groups.map(([code, name]) => (
              <Field
                key={code}
                label={name}
                type="text"
                inputMode="decimal"
                value={d.groupKg[code] ?? ""}
                onInput={(e) => setD({ ...d, groupKg: { ...d.groupKg, [code]: (e.target as HTMLInputElement).value } })}
              />
            ))}
          </div>
          <p class={errors.groupGrams ? "error" : "hint"} role={errors.groupGrams ? "alert" : undefined}>
            {errors.groupGrams ?? t("acopio.receipts.groupSum", { sum: fmtKg(groupSum), net: net !== null ? fmtKg(net) : "—" })}
          </p>
          {net !== null && net > groupSum && (
            <button
              type="button"
              class="link"
              onClick={() => {
                const first = groups[0]?.[0];
                if (!first) return;
                const rest = net - groupSum + (groupGrams[first] ?? 0n);
                setD({ ...d, groupKg: { ...d.groupKg, [first]: (Number(rest) / 1000).toString() } });
              }}
            >
              {t("acopio.receipts.restToFirst", { group: groups[0]?.[1] ?? "" })}
            </button>
          )}
        </fieldset>
      )}
      <button type="submit" class="primary" disabled={busy}>
        {busy ? t("common.working") : t("acopio.receipts.record")}
      </button>
    </form>
  );
}
