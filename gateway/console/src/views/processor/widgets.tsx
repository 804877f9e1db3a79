// Pieces the buyer's pages share: the live feed's panel, the processor the
// page acts for (the key's own; an admin chooses one), and checkbox groups.
import { useEffect, useState } from "preact/hooks";
import { api, must, type Schemas } from "../../api/client";
import { idOf } from "../../api/names";
import { t } from "../../i18n";
import { fmtDateTime, fmtWeight } from "../../i18n/format";
import { Link } from "../../router";
import { orgId, useMe } from "../../session";
import { Select } from "../../ui/ui";
import { useStandards, groupName } from "../public/standards";
import { eventLabel } from "./labels";
import type { FeedState, useMarketFeed } from "./feed";

export function feedStateLabel(s: FeedState): string {
  const labels: Record<FeedState, string> = {
    connecting: t("market.feed.connecting"),
    live: t("market.feed.live"),
    retrying: t("market.feed.retrying"),
    refused: t("market.feed.refused"),
  };
  return labels[s];
}

/** FeedPanel shows the feed's connection state and its latest events. */
export function FeedPanel(props: { feed: ReturnType<typeof useMarketFeed>; limit?: number }) {
  const { feed } = props;
  const standards = useStandards();
  const events = feed.events.slice(0, props.limit ?? 10);
  return (
    <section class="card feed" aria-labelledby="feed-title">
      <div class="feed-head">
        <h2 id="feed-title">{t("market.feed.title")}</h2>
        <span class={`badge feed-${feed.state}`} role="status" aria-live="polite" data-feed-state={feed.state}>
          {feedStateLabel(feed.state)}
        </span>
      </div>
      {feed.state === "retrying" && <p class="hint">{t("market.feed.retryingText")}</p>}
      {feed.state === "refused" && <p class="error">{t("market.feed.refusedText")}</p>}
      {events.length === 0 ? (
        <p class="empty">{t("market.feed.none")}</p>
      ) : (
        <ol class="feed-list" aria-live="polite" aria-label={t("market.feed.listLabel")}>
          {events.map((e) => (
            <li key={e.id}>
              <time dateTime={e.eventTime}>{fmtDateTime(e.eventTime)}</time>
              <strong>{eventLabel(e.type)}</strong>
              {e.trade && (
                <span>
                  <Link href={`/compras/operaciones/${idOf(e.trade.name)}`}>
                    {t("market.feed.tradeLine", {
                      lot: e.trade.lotNumber || idOf(e.trade.lot),
                      group: groupName(standards, e.trade.qualityGroup, e.trade.standard),
                      weight: fmtWeight(e.trade.grams),
                      seller: e.trade.associationDisplayName ?? "",
                    })}
                  </Link>
                </span>
              )}
              {e.purchaseOrder && <span>{t("market.feed.orderLine", { id: idOf(e.purchaseOrder.name) })}</span>}
            </li>
          ))}
        </ol>
      )}
    </section>
  );
}

/**
 * useProcessor is the processor the pages act for: the key's own
 * organisation, or for an admin the one chosen (the first by default).
 */
export function useProcessor(): {
  processor: string;
  choices: Schemas["v1Processor"][];
  choose: (name: string) => void;
  admin: boolean;
} {
  const who = useMe();
  const admin = who?.role === "ROLE_ADMIN";
  const [choices, setChoices] = useState<Schemas["v1Processor"][]>([]);
  const [chosen, choose] = useState("");
  useEffect(() => {
    if (!admin) return;
    must(api.GET("/v1/processors", { params: { query: { pageSize: 500 } } }))
      .then((r) => {
        setChoices(r.processors ?? []);
        if (!chosen && r.processors?.[0]?.name) choose(r.processors[0].name);
      })
      .catch(() => undefined);
  }, [admin]);
  const processor = admin ? chosen : who?.organisation?.startsWith("processors/") ? who.organisation : `processors/${orgId(who)}`;
  return { processor, choices, choose, admin };
}

/** ProcessorChoice lets an admin pick the processor whose orders the page shows. */
export function ProcessorChoice(props: ReturnType<typeof useProcessor>) {
  if (!props.admin) return null;
  return (
    <Select
      label={t("market.processor")}
      value={props.processor}
      onChange={(e) => props.choose((e.target as HTMLSelectElement).value)}
      options={props.choices.map((p) => [p.name ?? "", p.legalName])}
    />
  );
}

/** Checks is a labelled group of checkboxes. */
export function Checks(props: {
  legend: string;
  hint?: string;
  error?: string;
  options: Array<[string, string]>;
  value: string[];
  onChange: (v: string[]) => void;
}) {
  return (
    <fieldset class={`checks${props.error ? " invalid" : ""}`}>
      <legend>{props.legend}</legend>
      {props.hint && <small class="hint">{props.hint}</small>}
      <div class="check-grid">
        {props.options.map(([code, label]) => (
          <label key={code}>
            <input
              type="checkbox"
              value={code}
              checked={props.value.includes(code)}
              onChange={(e) => {
                const on = (e.target as HTMLInputElement).checked;
                props.onChange(on ? [...props.value, code] : props.value.filter((x) => x !== code));
              }}
            />{" "}
            {label}
          </label>
        ))}
      </div>
      {props.error && (
        <small class="error" role="alert">
          {props.error}
        </small>
      )}
    </fieldset>
  );
}
