// Building blocks shared by every view: a page with its title, labelled
// fields, the service's errors in the reader's language, busy and empty
// states. Every field has a label (screen readers read it); tables turn
// into cards on a narrow screen (styles.css).
import type { ComponentChildren, PartialInputHTMLAttributes, PartialSelectHTMLAttributes } from "preact";
import { useEffect } from "preact/hooks";
import { ApiError, NetworkError } from "../api/client";
import { t } from "../i18n";

export function Page(props: { title: string; actions?: ComponentChildren; children?: ComponentChildren }) {
  useEffect(() => {
    document.title = `${props.title} · Millwa`;
  }, [props.title]);
  return (
    <section class="page" aria-labelledby="page-title">
      <header class="page-head">
        <h1 id="page-title">{props.title}</h1>
        {props.actions && <div class="actions">{props.actions}</div>}
      </header>
      {props.children}
    </section>
  );
}

let fieldSeq = 0;

/** Field is a labelled input; error shows under it and is announced. */
export function Field(
  props: {
    label: string;
    hint?: string;
    error?: string;
    children?: ComponentChildren;
  } & Omit<PartialInputHTMLAttributes<HTMLInputElement>, "label" | "role" | "type"> & { type?: string },
) {
  const { label, hint, error, children, id, ...input } = props;
  const fid = (id as string | undefined) ?? `f${++fieldSeq}`;
  return (
    <div class={`field${error ? " invalid" : ""}`}>
      <label for={fid}>{label}</label>
      {children ?? <input id={fid} {...(input as Record<string, unknown>)} aria-invalid={error ? "true" : undefined} aria-describedby={error ? `${fid}-err` : hint ? `${fid}-hint` : undefined} />}
      {hint && !error && (
        <small id={`${fid}-hint`} class="hint">
          {hint}
        </small>
      )}
      {error && (
        <small id={`${fid}-err`} class="error" role="alert">
          {error}
        </small>
      )}
    </div>
  );
}

/** Select is a labelled select. */
export function Select(
  props: { label: string; error?: string; options: Array<[string, string]> } & Omit<PartialSelectHTMLAttributes<HTMLSelectElement>, "label" | "role">,
) {
  const { label, error, options, id, ...rest } = props;
  const fid = (id as string | undefined) ?? `f${++fieldSeq}`;
  return (
    <div class={`field${error ? " invalid" : ""}`}>
      <label for={fid}>{label}</label>
      <select id={fid} aria-invalid={error ? "true" : undefined} {...rest}>
        {options.map(([v, text]) => (
          <option value={v} key={v}>
            {text}
          </option>
        ))}
      </select>
      {error && (
        <small class="error" role="alert">
          {error}
        </small>
      )}
    </div>
  );
}

/** ErrorBox shows what went wrong and what to do next. */
export function ErrorBox(props: { error: unknown }) {
  const e = props.error;
  if (!e) return null;
  let text: string;
  if (e instanceof NetworkError) text = t("common.error.network");
  else if (e instanceof ApiError) {
    text = e.message;
    if (e.status === 401) text += " " + t("common.error.signInAgain");
  } else text = e instanceof Error ? e.message : String(e);
  return (
    <div class="notice error" role="alert">
      {text}
    </div>
  );
}

export function Busy() {
  return (
    <p class="busy" role="status" aria-live="polite">
      {t("common.loading")}
    </p>
  );
}

export function Empty(props: { children?: ComponentChildren }) {
  return <p class="empty">{props.children ?? t("common.empty")}</p>;
}

/** Notice is a polite status line (saved, queued, …). */
export function Notice(props: { kind?: "ok" | "warn" | "error"; children?: ComponentChildren }) {
  return (
    <div class={`notice ${props.kind ?? "ok"}`} role="status" aria-live="polite">
      {props.children}
    </div>
  );
}

/** Table is a data table; on a narrow screen each row becomes a card with the headers as labels. */
export function Table<T>(props: {
  caption?: string;
  rows: T[];
  columns: Array<{ head: string; cell: (row: T) => ComponentChildren; num?: boolean }>;
  rowKey: (row: T) => string;
}) {
  return (
    <div class="table-wrap">
      <table class="data">
        {props.caption && <caption>{props.caption}</caption>}
        <thead>
          <tr>
            {props.columns.map((c) => (
              <th scope="col" class={c.num ? "num" : undefined} key={c.head}>
                {c.head}
              </th>
            ))}
          </tr>
        </thead>
        <tbody>
          {props.rows.map((r) => (
            <tr key={props.rowKey(r)}>
              {props.columns.map((c) => (
                <td data-label={c.head} class={c.num ? "num" : undefined} key={c.head}>
                  {c.cell(r)}
                </td>
              ))}
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
