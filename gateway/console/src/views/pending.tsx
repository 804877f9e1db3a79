// What waits to be sent: changes recorded with no connection, and any the
// service refused, with its reason, for the clerk to correct or discard.
import { discard, send, usePending } from "../offline/outbox";
import { t } from "../i18n";
import { fmtDateTime } from "../i18n/format";
import { Empty, Page } from "../ui/ui";

export function PendingPage() {
  const list = usePending();
  return (
    <Page
      title={t("pending.title")}
      actions={
        <button type="button" onClick={() => void send()} disabled={list.length === 0}>
          {t("pending.sendNow")}
        </button>
      }
    >
      <p>{t("pending.intro")}</p>
      {list.length === 0 ? (
        <Empty>{t("pending.none")}</Empty>
      ) : (
        <ul class="pending-list">
          {list.map((p) => (
            <li key={p.requestId} class={p.error ? "refused" : ""}>
              <strong>{p.label}</strong>
              <span>{fmtDateTime(p.createTime)}</span>
              {p.error ? (
                <>
                  <span class="error" role="alert">
                    {t("pending.refused", { reason: p.error })}
                  </span>
                  <button type="button" onClick={() => void discard(p.requestId)}>
                    {t("pending.discard")}
                  </button>
                </>
              ) : (
                <span>{t("pending.waiting", { n: p.attempts })}</span>
              )}
            </li>
          ))}
        </ul>
      )}
    </Page>
  );
}
