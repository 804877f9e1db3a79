// Members' statements (liquidaciones): per member and campaign, what they
// delivered, what it sold for and what they are owed; payments to members
// against that balance; the printable statement; and a CSV of every
// member's totals, built here from the service's statements. A payment
// made with no connection (cash handed over at a collection centre above
// 4,000 m) waits in the outbox like a receipt, and the statement last read
// is shown, with its time, less the payments waiting.
import { useEffect, useState } from "preact/hooks";
import { api, ApiError, download, must, NetworkError, newRequestId, type Schemas } from "../../api/client";
import { idOf } from "../../api/names";
import { locale, t } from "../../i18n";
import { fmtDateTime, fmtKg, fmtMoney, fmtWeight, parseMoneyToMinor } from "../../i18n/format";
import { sendOrKeep, useLeaving, usePending } from "../../offline/outbox";
import { Busy, ErrorBox, Field, Notice, Select, Table } from "../../ui/ui";
import { MemberPicker } from "./receipts";
import { AssociationPage, campaignOptions, currentCampaign, readKept, usePeople, type Kept, type Member } from "./shared";

type Statement = Schemas["v1MemberStatement"];

export function StatementsPage() {
  return <AssociationPage title={t("acopio.statements.title")}>{(a) => <Statements association={a} />}</AssociationPage>;
}

function getStatement(association: string, member: string, campaign: string): Promise<Statement> {
  return must(
    api.GET("/v1/associations/{association}/members/{member}/statements/{statement}", {
      params: { path: { association, member, statement: campaign } },
    }),
  );
}

/** paymentsPath is where a member's payments are recorded. */
function paymentsPath(association: string, member: string): string {
  return `/v1/associations/${association}/members/${member}/payments`;
}

function Statements(props: { association: string }) {
  const a = props.association;
  const { members, error } = usePeople(a);
  const [campaign, setCampaign] = useState(String(currentCampaign()));
  const [member, setMember] = useState("");
  if (error && !members) return <ErrorBox error={error} />;
  if (!members) return <Busy />;
  return (
    <>
      <div class="row">
        <Select label={t("acopio.field.campaign")} value={campaign} options={campaignOptions()} onChange={(e) => setCampaign((e.target as HTMLSelectElement).value)} />
      </div>
      <CsvExport association={a} campaign={campaign} members={members} />
      <MemberPicker members={members} value={member} onChange={setMember} />
      {member && <StatementView key={`${member}-${campaign}`} association={a} member={member} campaign={campaign} />}
    </>
  );
}

function StatementView(props: { association: string; member: string; campaign: string }) {
  const [read, setRead] = useState<Kept<Statement> | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [n, setN] = useState(0);
  useEffect(() => {
    // With no connection, the statement read last, saying when.
    readKept(
      `millwa.acopio.statement.${props.association}.${props.member}.${props.campaign}`,
      () => getStatement(props.association, props.member, props.campaign),
      (e) => e instanceof NetworkError,
    )
      .then(setRead)
      .catch(setError);
  }, [n]);
  // Payments to this member for this campaign waiting in the outbox.
  const waiting = usePending().filter(
    (p) => p.kind === "payment" && !p.error && p.path === paymentsPath(props.association, props.member) && (p.body as { campaign?: number }).campaign === Number(props.campaign),
  );
  const waitingAmount = waiting.reduce((sum, p) => sum + BigInt((p.body as { amount?: string }).amount ?? "0"), 0n);
  // A waiting payment sent (or refused): read the statement again.
  useLeaving(waiting.length, () => setN((x) => x + 1));
  if (error) return <ErrorBox error={error} />;
  if (!read) return <Busy />;
  const s = read.value;
  const cur = s.currencyCode || "PEN";
  const balance = BigInt(s.balanceAmount ?? "0") - waitingAmount;
  return (
    <section class="card statement" aria-labelledby="statement-title">
      <h2 id="statement-title">{t("acopio.statements.of", { name: s.memberDisplayName ?? "", campaign: props.campaign })}</h2>
      {read.readAt && <Notice kind="warn">{t("acopio.statements.offline", { time: fmtDateTime(read.readAt) })}</Notice>}
      <dl class="facts">
        <dt>{t("acopio.statements.delivered")}</dt>
        <dd>{fmtWeight(s.deliveredGrams)}</dd>
        <dt>{t("acopio.statements.sold")}</dt>
        <dd>{fmtWeight(s.soldGrams)}</dd>
        <dt>{t("acopio.statements.earned")}</dt>
        <dd>{fmtMoney(s.earnedAmount, cur)}</dd>
        <dt>{t("acopio.statements.fee", { percent: ((s.feeBasisPoints ?? 0) / 100).toLocaleString(locale()) })}</dt>
        <dd>{fmtMoney(s.feeAmount, cur)}</dd>
        <dt>{t("acopio.statements.paid")}</dt>
        <dd>{fmtMoney(s.paidAmount, cur)}</dd>
        {waitingAmount > 0n && (
          <>
            <dt>{t("acopio.statements.waiting", { n: waiting.length })}</dt>
            <dd>{fmtMoney(waitingAmount, cur)}</dd>
          </>
        )}
        <dt>{t("acopio.statements.balance")}</dt>
        <dd>
          <strong>{fmtMoney(balance, cur)}</strong>
        </dd>
      </dl>
      <button
        type="button"
        onClick={() =>
          download(`/v1/associations/${props.association}/members/${props.member}/statements/${props.campaign}/statement.pdf`, `liquidacion-${props.campaign}-${s.memberDisplayName ?? props.member}.pdf`).catch(
            setError,
          )
        }
      >
        {t("acopio.statements.pdf")}
      </button>
      <Table
        caption={t("acopio.statements.lines")}
        rows={s.lines ?? []}
        rowKey={(l) => l.receipt ?? ""}
        columns={[
          { head: t("acopio.field.receiptNumber"), cell: (l) => t("acopio.receipts.number", { n: l.receiptNumber ?? "" }), num: true },
          { head: t("acopio.field.date"), cell: (l) => l.receiveDate },
          { head: t("acopio.statements.delivered"), cell: (l) => fmtKg(l.deliveredGrams), num: true },
          { head: t("acopio.statements.sold"), cell: (l) => fmtKg(l.soldGrams), num: true },
          { head: t("acopio.statements.earned"), cell: (l) => fmtMoney(l.earnedAmount, cur), num: true },
        ]}
      />
      <PaymentForm
        association={props.association}
        member={props.member}
        memberName={s.memberDisplayName ?? ""}
        campaign={props.campaign}
        balance={balance}
        currency={cur}
        paid={() => setN(n + 1)}
      />
    </section>
  );
}

function PaymentForm(props: { association: string; member: string; memberName: string; campaign: string; balance: bigint; currency: string; paid: () => void }) {
  const [amount, setAmount] = useState("");
  const [method, setMethod] = useState<NonNullable<Schemas["v1MemberPayment"]["method"]>>("PAYMENT_METHOD_CASH");
  const [reference, setReference] = useState("");
  const [amountError, setAmountError] = useState("");
  const [error, setError] = useState<unknown>(null);
  const [note, setNote] = useState("");
  const [busy, setBusy] = useState(false);
  async function submit(e: Event) {
    e.preventDefault();
    setNote("");
    setError(null);
    const minor = parseMoneyToMinor(amount);
    if (minor === null || minor <= 0n) {
      setAmountError(t("acopio.error.price"));
      return;
    }
    if (minor > props.balance) {
      setAmountError(t("acopio.statements.error.overBalance", { balance: fmtMoney(props.balance, props.currency) }));
      return;
    }
    setAmountError("");
    setBusy(true);
    const requestId = newRequestId();
    const body = { campaign: Number(props.campaign), amount: String(minor), method, reference: reference.trim() || undefined, currencyCode: props.currency };
    // With no connection the payment waits in the outbox under its request
    // id, and is made once when the connection returns.
    const label = t("acopio.statements.pendingLabel", { amount: fmtMoney(minor, props.currency), name: props.memberName });
    try {
      const made = await sendOrKeep({ requestId, method: "POST", path: paymentsPath(props.association, props.member), body, label, kind: "payment" }, () =>
        must(
          api.POST("/v1/associations/{association}/members/{member}/payments", {
            params: { path: { association: props.association, member: props.member }, query: { requestId } },
            body,
          }),
        ),
      );
      const amount = fmtMoney(minor, props.currency);
      setNote(made ? t("acopio.statements.paidNote", { amount }) : t("acopio.statements.queued", { amount }));
      setAmount("");
      setReference("");
      if (made) props.paid();
    } catch (err) {
      setError(err);
      if (err instanceof ApiError) setAmountError(err.forField("payment.amount") ?? "");
    } finally {
      setBusy(false);
    }
  }
  return (
    <form onSubmit={submit} noValidate aria-label={t("acopio.statements.pay")}>
      <h3>{t("acopio.statements.pay")}</h3>
      {note && <Notice>{note}</Notice>}
      <ErrorBox error={error} />
      <div class="row">
        <Field label={t("acopio.statements.amount")} inputMode="decimal" value={amount} onInput={(e) => setAmount((e.target as HTMLInputElement).value)} error={amountError || undefined} />
        <Select
          label={t("acopio.statements.method")}
          value={method}
          options={[
            ["PAYMENT_METHOD_CASH", t("acopio.payment.cash")],
            ["PAYMENT_METHOD_BANK_TRANSFER", t("acopio.payment.bank")],
            ["PAYMENT_METHOD_MOBILE_WALLET", t("acopio.payment.wallet")],
          ]}
          onChange={(e) => setMethod((e.target as HTMLSelectElement).value as typeof method)}
        />
        <Field label={t("acopio.statements.reference")} maxLength={100} value={reference} onInput={(e) => setReference((e.target as HTMLInputElement).value)} />
      </div>
      <button type="submit" class="primary" disabled={busy || props.balance <= 0n}>
        {busy ? t("common.working") : t("acopio.statements.paySend")}
      </button>
    </form>
  );
}

/** csvCell quotes a value for CSV when it holds a comma, a quote or a line break. */
function csvCell(v: string): string {
  return /[",\n\r]/.test(v) ? `"${v.replace(/"/g, '""')}"` : v;
}

/** decimal writes minor units (or grams) as a plain decimal with a point, for spreadsheets. */
function decimal(v: string | undefined, scale: number): string {
  const n = BigInt(v || "0");
  const neg = n < 0n;
  const s = (neg ? -n : n).toString().padStart(scale + 1, "0");
  return `${neg ? "-" : ""}${s.slice(0, -scale)}.${s.slice(-scale)}`;
}

function CsvExport(props: { association: string; campaign: string; members: Member[] }) {
  const [done, setDone] = useState(0);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);
  async function run() {
    setBusy(true);
    setError(null);
    setDone(0);
    try {
      const rows = [
        ["dni", "socio", "campana", "entregado_kg", "vendido_kg", "ganado_soles", "comision_soles", "pagado_soles", "saldo_soles"].join(","),
      ];
      // Every member's statement, 200 a request, in the members' order.
      const byMember = new Map<string, Statement>();
      let pageToken: string | undefined;
      do {
        const page = await must(
          api.GET("/v1/associations/{association}/members/-/statements", {
            params: { path: { association: props.association }, query: { campaign: Number(props.campaign), pageSize: 200, pageToken, orderBy: "display_name" } },
          }),
        );
        for (const s of page.statements ?? []) byMember.set(s.member ?? "", s);
        setDone(byMember.size);
        pageToken = page.nextPageToken || undefined;
      } while (pageToken);
      for (const m of props.members) {
        const s = byMember.get(m.name ?? "");
        if (!s) continue; // registered after the list was read
        rows.push(
          [m.dni, m.displayName, props.campaign, decimal(s.deliveredGrams, 3), decimal(s.soldGrams, 3), decimal(s.earnedAmount, 2), decimal(s.feeAmount, 2), decimal(s.paidAmount, 2), decimal(s.balanceAmount, 2)]
            .map(csvCell)
            .join(","),
        );
      }
      const blob = new Blob(["\ufeff" + rows.join("\r\n") + "\r\n"], { type: "text/csv;charset=utf-8" });
      const url = URL.createObjectURL(blob);
      const link = document.createElement("a");
      link.href = url;
      link.download = `liquidaciones-${props.campaign}.csv`;
      document.body.appendChild(link);
      link.click();
      link.remove();
      setTimeout(() => URL.revokeObjectURL(url), 60_000);
    } catch (e) {
      setError(e);
    } finally {
      setBusy(false);
    }
  }
  return (
    <div class="csv-export">
      <button type="button" disabled={busy || props.members.length === 0} onClick={() => void run()}>
        {t("acopio.statements.csv")}
      </button>
      {busy && (
        <span>
          <progress max={props.members.length} value={done} aria-label={t("acopio.statements.csvProgress", { done, total: props.members.length })} />{" "}
          {t("acopio.statements.csvProgress", { done, total: props.members.length })}
        </span>
      )}
      <ErrorBox error={error} />
    </div>
  );
}
