// Members (socios) and classifiers (clasificadores) of the association:
// listed, searched by name or DNI, registered and corrected. A correction
// sends the fields with the etag last read, so a change someone else made
// meanwhile is not overwritten.
import { useState } from "preact/hooks";
import { api, ApiError, must, newRequestId } from "../../api/client";
import { idOf } from "../../api/names";
import { t } from "../../i18n";
import { Busy, Empty, ErrorBox, Field, Notice, Select, Table } from "../../ui/ui";
import { AssociationPage, matches, todayInPeru, usePeople, type Classifier, type Member } from "./shared";

export function MembersPage() {
  return <AssociationPage title={t("acopio.members.title")}>{(a) => <People association={a} />}</AssociationPage>;
}

function People(props: { association: string }) {
  const a = props.association;
  const [tab, setTab] = useState<"members" | "classifiers">("members");
  const { members, classifiers, error, reload } = usePeople(a);
  const [q, setQ] = useState("");
  return (
    <>
      <div class="tabs" role="tablist">
        <button type="button" role="tab" aria-selected={tab === "members"} class={tab === "members" ? "primary" : ""} onClick={() => setTab("members")}>
          {t("acopio.members.tab")}
        </button>
        <button type="button" role="tab" aria-selected={tab === "classifiers"} class={tab === "classifiers" ? "primary" : ""} onClick={() => setTab("classifiers")}>
          {t("acopio.classifiers.tab")}
        </button>
      </div>
      <ErrorBox error={error} />
      <Field label={t("acopio.members.search")} type="search" value={q} onInput={(e) => setQ((e.target as HTMLInputElement).value)} hint={t("acopio.member.searchHint")} />
      {tab === "members" ? (
        members === null ? (
          <Busy />
        ) : (
          <MemberList association={a} members={members.filter((m) => !q || matches(q, m.displayName, m.dni))} reload={reload} />
        )
      ) : classifiers === null ? (
        <Busy />
      ) : (
        <ClassifierList association={a} classifiers={classifiers.filter((c) => !q || matches(q, c.displayName, c.dni, c.certificationNumber))} reload={reload} />
      )}
    </>
  );
}

function sexLabel(s: string | undefined): string {
  const labels: Record<string, string> = { SEX_FEMALE: t("acopio.sex.female"), SEX_MALE: t("acopio.sex.male") };
  return labels[s ?? ""] ?? "";
}

function MemberList(props: { association: string; members: Member[]; reload: () => void }) {
  const [editing, setEditing] = useState<Member | "new" | null>(null);
  return (
    <>
      {editing ? (
        <MemberForm
          association={props.association}
          member={editing === "new" ? null : editing}
          done={() => {
            setEditing(null);
            props.reload();
          }}
        />
      ) : (
        <button type="button" class="primary" onClick={() => setEditing("new")}>
          {t("acopio.members.new")}
        </button>
      )}
      {props.members.length === 0 ? (
        <Empty>{t("acopio.members.none")}</Empty>
      ) : (
        <Table
          caption={t("acopio.members.caption", { n: props.members.length })}
          rows={props.members}
          rowKey={(m) => m.name ?? ""}
          columns={[
            { head: t("acopio.field.name"), cell: (m) => m.displayName },
            { head: t("acopio.field.dni"), cell: (m) => m.dni },
            { head: t("acopio.field.sex"), cell: (m) => sexLabel(m.sex) },
            { head: t("acopio.field.herdSize"), cell: (m) => (m.herdSize === undefined ? "" : String(m.herdSize)), num: true },
            {
              head: t("acopio.members.actions"),
              cell: (m) => (
                <button type="button" onClick={() => setEditing(m)} aria-label={t("acopio.members.editWho", { name: m.displayName })}>
                  {t("acopio.members.edit")}
                </button>
              ),
            },
          ]}
        />
      )}
    </>
  );
}

function fieldErrors(err: unknown, resource: string, fields: string[]): Record<string, string> {
  const out: Record<string, string> = {};
  if (!(err instanceof ApiError)) return out;
  for (const f of fields) {
    const m = err.forField(`${resource}.${f}`) ?? err.forField(f);
    if (m) out[f] = m;
  }
  return out;
}

function MemberForm(props: { association: string; member: Member | null; done: () => void }) {
  const m = props.member;
  const [displayName, setName] = useState(m?.displayName ?? "");
  const [dni, setDni] = useState(m?.dni ?? "");
  const [sex, setSex] = useState<Member["sex"]>(m?.sex ?? "SEX_FEMALE");
  const [herd, setHerd] = useState(m?.herdSize === undefined ? "" : String(m.herdSize));
  const [errors, setErrors] = useState<Record<string, string>>({});
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);

  async function submit(e: Event) {
    e.preventDefault();
    const fe: Record<string, string> = {};
    if (!displayName.trim()) fe.displayName = t("acopio.members.error.name");
    if (!/^\d{8}$/.test(dni.trim())) fe.dni = t("acopio.members.error.dni");
    if (herd.trim() && !/^\d+$/.test(herd.trim())) fe.herdSize = t("acopio.members.error.herd");
    setErrors(fe);
    if (Object.keys(fe).length) return;
    const body = { displayName: displayName.trim(), dni: dni.trim(), sex, ...(herd.trim() ? { herdSize: Number(herd.trim()) } : {}) };
    setBusy(true);
    setError(null);
    try {
      if (m) {
        await must(
          api.PATCH("/v1/associations/{association}/members/{member}", {
            params: { path: { association: props.association, member: idOf(m.name) }, query: { requestId: newRequestId() } },
            body: { ...body, etag: m.etag } as Member,
          }),
        );
      } else {
        await must(api.POST("/v1/associations/{association}/members", { params: { path: { association: props.association }, query: { requestId: newRequestId() } }, body }));
      }
      props.done();
    } catch (err) {
      setError(err);
      setErrors(fieldErrors(err, "member", ["displayName", "dni", "sex", "herdSize"]));
    } finally {
      setBusy(false);
    }
  }
  return (
    <form class="card narrow" onSubmit={submit} noValidate aria-label={m ? t("acopio.members.editTitle") : t("acopio.members.newTitle")}>
      <h2>{m ? t("acopio.members.editTitle") : t("acopio.members.newTitle")}</h2>
      <ErrorBox error={error} />
      <Field label={t("acopio.field.name")} value={displayName} maxLength={200} onInput={(e) => setName((e.target as HTMLInputElement).value)} error={errors.displayName} />
      <Field label={t("acopio.field.dni")} inputMode="numeric" maxLength={8} value={dni} onInput={(e) => setDni((e.target as HTMLInputElement).value)} error={errors.dni} />
      <Select
        label={t("acopio.field.sex")}
        value={sex}
        options={[
          ["SEX_FEMALE", t("acopio.sex.female")],
          ["SEX_MALE", t("acopio.sex.male")],
        ]}
        onChange={(e) => setSex((e.target as HTMLSelectElement).value as Member["sex"])}
        error={errors.sex}
      />
      <Field label={t("acopio.field.herdSize")} inputMode="numeric" value={herd} onInput={(e) => setHerd((e.target as HTMLInputElement).value)} error={errors.herdSize} />
      <div class="actions-row">
        <button type="submit" class="primary" disabled={busy}>
          {busy ? t("common.working") : t("common.save")}
        </button>
        <button type="button" onClick={props.done}>
          {t("common.cancel")}
        </button>
      </div>
    </form>
  );
}

function ClassifierList(props: { association: string; classifiers: Classifier[]; reload: () => void }) {
  const [editing, setEditing] = useState<Classifier | "new" | null>(null);
  const [saved, setSaved] = useState(false);
  return (
    <>
      {saved && <Notice>{t("acopio.members.saved")}</Notice>}
      {editing ? (
        <ClassifierForm
          association={props.association}
          classifier={editing === "new" ? null : editing}
          done={(ok) => {
            setEditing(null);
            setSaved(ok);
            props.reload();
          }}
        />
      ) : (
        <button type="button" class="primary" onClick={() => setEditing("new")}>
          {t("acopio.classifiers.new")}
        </button>
      )}
      {props.classifiers.length === 0 ? (
        <Empty>{t("acopio.classifiers.none")}</Empty>
      ) : (
        <Table
          caption={t("acopio.classifiers.caption", { n: props.classifiers.length })}
          rows={props.classifiers}
          rowKey={(c) => c.name ?? ""}
          columns={[
            { head: t("acopio.field.name"), cell: (c) => c.displayName },
            { head: t("acopio.field.dni"), cell: (c) => c.dni },
            { head: t("acopio.field.certificate"), cell: (c) => c.certificationNumber },
            { head: t("acopio.field.certificationDate"), cell: (c) => c.certificationDate },
            {
              head: t("acopio.members.actions"),
              cell: (c) => (
                <button type="button" onClick={() => setEditing(c)} aria-label={t("acopio.members.editWho", { name: c.displayName })}>
                  {t("acopio.members.edit")}
                </button>
              ),
            },
          ]}
        />
      )}
    </>
  );
}

function ClassifierForm(props: { association: string; classifier: Classifier | null; done: (saved: boolean) => void }) {
  const c = props.classifier;
  const [displayName, setName] = useState(c?.displayName ?? "");
  const [dni, setDni] = useState(c?.dni ?? "");
  const [certificationNumber, setNumber] = useState(c?.certificationNumber ?? "");
  const [certificationDate, setDate] = useState(c?.certificationDate ?? "");
  const [errors, setErrors] = useState<Record<string, string>>({});
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);

  async function submit(e: Event) {
    e.preventDefault();
    const fe: Record<string, string> = {};
    if (!displayName.trim()) fe.displayName = t("acopio.members.error.name");
    if (!/^\d{8}$/.test(dni.trim())) fe.dni = t("acopio.members.error.dni");
    if (!certificationNumber.trim()) fe.certificationNumber = t("acopio.classifiers.error.number");
    if (!certificationDate) fe.certificationDate = t("acopio.classifiers.error.date");
    setErrors(fe);
    if (Object.keys(fe).length) return;
    const body = { displayName: displayName.trim(), dni: dni.trim(), certificationNumber: certificationNumber.trim(), certificationDate };
    setBusy(true);
    setError(null);
    try {
      if (c) {
        await must(
          api.PATCH("/v1/associations/{association}/classifiers/{classifier}", {
            params: { path: { association: props.association, classifier: idOf(c.name) }, query: { requestId: newRequestId() } },
            body: { ...body, etag: c.etag } as Classifier,
          }),
        );
      } else {
        await must(api.POST("/v1/associations/{association}/classifiers", { params: { path: { association: props.association }, query: { requestId: newRequestId() } }, body }));
      }
      props.done(true);
    } catch (err) {
      setError(err);
      setErrors(fieldErrors(err, "classifier", ["displayName", "dni", "certificationNumber", "certificationDate"]));
    } finally {
      setBusy(false);
    }
  }
  return (
    <form class="card narrow" onSubmit={submit} noValidate aria-label={c ? t("acopio.classifiers.editTitle") : t("acopio.classifiers.newTitle")}>
      <h2>{c ? t("acopio.classifiers.editTitle") : t("acopio.classifiers.newTitle")}</h2>
      <ErrorBox error={error} />
      <Field label={t("acopio.field.name")} value={displayName} maxLength={200} onInput={(e) => setName((e.target as HTMLInputElement).value)} error={errors.displayName} />
      <Field label={t("acopio.field.dni")} inputMode="numeric" maxLength={8} value={dni} onInput={(e) => setDni((e.target as HTMLInputElement).value)} error={errors.dni} />
      <Field label={t("acopio.field.certificate")} value={certificationNumber} maxLength={64} onInput={(e) => setNumber((e.target as HTMLInputElement).value)} error={errors.certificationNumber} />
      <Field
        label={t("acopio.field.certificationDate")}
        type="date"
        max={todayInPeru()}
        value={certificationDate}
        onInput={(e) => setDate((e.target as HTMLInputElement).value)}
        error={errors.certificationDate}
      />
      <div class="actions-row">
        <button type="submit" class="primary" disabled={busy}>
          {busy ? t("common.working") : t("common.save")}
        </button>
        <button type="button" onClick={() => props.done(false)}>
          {t("common.cancel")}
        </button>
      </div>
    </form>
  );
}
