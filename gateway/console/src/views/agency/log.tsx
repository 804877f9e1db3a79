// The audit log: the events the agency may see, page by page, filtered by
// resource, action and sequence; and the verification of the whole hash
// chain, said plainly: verified up to sequence N, or broken at N and why.
import { useEffect, useRef, useState } from "preact/hooks";
import { api, must, type Schemas } from "../../api/client";
import { t, useLang } from "../../i18n";
import { fmtDateTime, fmtInt } from "../../i18n/format";
import { MoreButton, usePages } from "../../ui/pages";
import { Busy, Empty, ErrorBox, Field, Notice, Page, Select, Table } from "../../ui/ui";

type AuditEvent = Schemas["v1AuditEvent"];
type Verify = Schemas["v1VerifyAuditLogResponse"];

interface Filters {
  resource: string;
  action: string;
  fromSeq: string;
  order: "sequence desc" | "sequence";
}

/** buildFilter writes the filter of ListAuditEvents; values are quoted, quotes escaped. */
function buildFilter(f: Filters): string {
  const q = (s: string) => `"${s.replace(/\\/g, "\\\\").replace(/"/g, '\\"')}"`;
  const terms: string[] = [];
  if (f.resource.trim()) terms.push(`resource = ${q(f.resource.trim())}`);
  if (f.action.trim()) terms.push(`action = ${q(f.action.trim())}`);
  if (f.fromSeq.trim()) terms.push(`sequence ${f.order === "sequence" ? ">=" : "<="} ${f.fromSeq.trim()}`);
  return terms.join(" AND ");
}

export function AuditLogPage() {
  useLang();
  const [draft, setDraft] = useState<Filters>({ resource: "", action: "", fromSeq: "", order: "sequence desc" });
  // The filters of the list shown, which "more" keeps reading with.
  const applied = useRef<Filters>(draft);
  const [seqError, setSeqError] = useState("");
  const events = usePages((token) => {
    const f = applied.current;
    return must(
      api.GET("/v1/audit/events", {
        params: { query: { pageSize: 20, pageToken: token || undefined, filter: buildFilter(f) || undefined, orderBy: f.order } },
      }),
    ).then((r) => ({ items: r.auditEvents, next: r.nextPageToken }));
  });
  useEffect(() => void events.load(), []);

  function submit(e: Event) {
    e.preventDefault();
    if (draft.fromSeq.trim() && !/^\d{1,18}$/.test(draft.fromSeq.trim())) {
      setSeqError(t("agency.log.seqInvalid"));
      return;
    }
    setSeqError("");
    applied.current = draft;
    void events.load();
  }
  const set = (k: keyof Filters) => (e: Event) => setDraft({ ...draft, [k]: (e.target as HTMLInputElement).value } as Filters);

  return (
    <Page title={t("agency.log.title")}>
      <VerifyCard />
      <h2>{t("agency.log.events")}</h2>
      <form class="card filters" onSubmit={submit} noValidate>
        <div class="row">
          <Field label={t("agency.log.resource")} hint={t("agency.log.resourceHint")} value={draft.resource} onInput={set("resource")} spellcheck={false} />
          <Select
            label={t("agency.log.action")}
            value={draft.action}
            onChange={set("action")}
            options={[
              ["", t("agency.log.anyAction")],
              ["create", "create"],
              ["confirm", "confirm"],
              ["cancel", "cancel"],
              ["withdraw", "withdraw"],
              ["allocate", "allocate"],
              ["recordDelivery", "recordDelivery"],
              ["recordPayment", "recordPayment"],
              ["revoke", "revoke"],
            ]}
          />
          <Field label={t("agency.log.fromSeq")} value={draft.fromSeq} onInput={set("fromSeq")} inputMode="numeric" error={seqError || undefined} />
          <Select
            label={t("agency.log.order")}
            value={draft.order}
            onChange={set("order")}
            options={[
              ["sequence desc", t("agency.log.newest")],
              ["sequence", t("agency.log.oldest")],
            ]}
          />
        </div>
        <button type="submit" class="primary" disabled={events.busy}>
          {t("agency.log.filter")}
        </button>
      </form>
      <ErrorBox error={events.error} />
      {events.items.length === 0 && !events.busy && !events.error ? (
        <Empty>{t("agency.log.none")}</Empty>
      ) : (
        <Table
          rows={events.items}
          rowKey={(e) => e.sequence ?? ""}
          columns={[
            { head: t("agency.log.seq"), cell: (e) => fmtInt(e.sequence ?? "0"), num: true },
            { head: t("agency.log.when"), cell: (e) => fmtDateTime(e.createTime) },
            { head: t("agency.log.action"), cell: (e) => e.action },
            { head: t("agency.log.resource"), cell: (e) => <code class="wrap">{e.resource}</code> },
            { head: t("agency.log.actor"), cell: (e) => <code class="wrap">{e.actorOrganisation || e.actor}</code> },
            { head: t("agency.log.hash"), cell: (e) => <code title={e.hash}>{(e.hash ?? "").slice(0, 12)}…</code> },
          ]}
        />
      )}
      {events.busy && <Busy />}
      <MoreButton list={events} />
    </Page>
  );
}

function failureText(f: Schemas["v1AuditChainFailure"] | undefined): string {
  const m: Record<string, string> = {
    AUDIT_CHAIN_FAILURE_HASH_MISMATCH: t("agency.log.failHash"),
    AUDIT_CHAIN_FAILURE_PREVIOUS_HASH_MISMATCH: t("agency.log.failPrevious"),
    AUDIT_CHAIN_FAILURE_SEQUENCE_GAP: t("agency.log.failGap"),
    AUDIT_CHAIN_FAILURE_HEAD_MISMATCH: t("agency.log.failHead"),
    AUDIT_CHAIN_FAILURE_CHECKPOINT_MISMATCH: t("agency.log.failCheckpoint"),
  };
  return m[f ?? ""] ?? "";
}

type Checkpoint = Schemas["v1AuditCheckpoint"];

/** readCheckpoints reads saved checkpoint files: each holds one checkpoint or a list of them. */
async function readCheckpoints(files: FileList | null): Promise<Checkpoint[]> {
  const out: Checkpoint[] = [];
  for (const f of Array.from(files ?? [])) {
    let data: unknown;
    try {
      data = JSON.parse(await f.text());
    } catch {
      throw new Error(t("agency.log.checkpointFileInvalid", { file: f.name }));
    }
    for (const c of Array.isArray(data) ? data : [data]) {
      if (!c || typeof c !== "object" || !("signature" in c) || !("headHash" in c)) throw new Error(t("agency.log.checkpointFileInvalid", { file: f.name }));
      out.push(c as Checkpoint);
    }
  }
  return out;
}

/** saveCheckpoint fetches a signed checkpoint of the chain's head and hands it to the browser as a file. */
async function saveCheckpoint(): Promise<Checkpoint> {
  const c = await must(api.GET("/v1/audit/checkpoint"));
  const blob = new Blob([JSON.stringify(c, null, 2) + "\n"], { type: "application/json" });
  const url = URL.createObjectURL(blob);
  const a = document.createElement("a");
  a.href = url;
  a.download = `millwa-checkpoint-${c.sequence ?? "0"}-${(c.signTime ?? "").slice(0, 10)}.json`;
  document.body.appendChild(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 60_000);
  return c;
}

function VerifyCard() {
  const [result, setResult] = useState<Verify | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);
  const [files, setFiles] = useState<FileList | null>(null);
  const [used, setUsed] = useState(0);
  const [saved, setSaved] = useState<Checkpoint | null>(null);
  async function verify() {
    setBusy(true);
    setError(null);
    setResult(null);
    try {
      const checkpoints = await readCheckpoints(files);
      setUsed(checkpoints.length);
      setResult(await must(api.POST("/v1/audit/events:verify", { body: { checkpoints } })));
    } catch (e) {
      setError(e);
    } finally {
      setBusy(false);
    }
  }
  async function save() {
    setError(null);
    try {
      setSaved(await saveCheckpoint());
    } catch (e) {
      setError(e);
    }
  }
  return (
    <section class="card" aria-labelledby="verify-h">
      <h2 id="verify-h">{t("agency.log.verifyTitle")}</h2>
      <p class="hint">{t("agency.log.verifyIntro")}</p>
      <div class="field">
        <label for="checkpoint-files">{t("agency.log.checkpointFiles")}</label>
        <input id="checkpoint-files" type="file" accept="application/json,.json" multiple aria-describedby="checkpoint-hint" onChange={(e) => setFiles((e.target as HTMLInputElement).files)} />
        <small id="checkpoint-hint" class="hint">
          {t("agency.log.checkpointHint")}
        </small>
      </div>
      <div class="actions-row">
        <button type="button" class="primary" onClick={() => void verify()} disabled={busy}>
          {busy ? t("agency.log.verifying") : t("agency.log.verify")}
        </button>
        <button type="button" onClick={() => void save()}>
          {t("agency.log.saveCheckpoint")}
        </button>
      </div>
      {saved && <Notice>{t("agency.log.checkpointSaved", { seq: fmtInt(saved.sequence ?? "0") })}</Notice>}
      <ErrorBox error={error} />
      {busy && <Busy />}
      {result && (
        <div class={`verdict ${result.ok ? "ok" : "broken"}`} role="status" aria-live="polite" id="chain-verdict">
          {result.ok ? (
            <>
              <strong>{t("agency.log.verified", { seq: fmtInt(result.headSequence ?? "0") })}</strong>
              <p>{t("agency.log.verifiedDetail", { n: fmtInt(result.eventsChecked ?? "0") })}</p>
              {used > 0 && <p>{t("agency.log.checkpointsAgree", { n: used })}</p>}
            </>
          ) : (
            <>
              <strong>{t("agency.log.broken", { seq: fmtInt(result.firstBrokenSequence ?? "0") })}</strong>
              <p>{failureText(result.failure)}</p>
              <p>{t("agency.log.brokenDetail", { seq: fmtInt(result.headSequence ?? "0"), n: fmtInt(result.eventsChecked ?? "0") })}</p>
              {result.reason && (
                <p class="hint" lang="en">
                  {result.reason}
                </p>
              )}
            </>
          )}
          {result.headHash && (
            <p class="hint">
              {t("agency.log.headHash")} <code class="wrap">{result.headHash}</code>
            </p>
          )}
        </div>
      )}
    </section>
  );
}
