// The console's only way to the service: same-origin REST calls typed by
// the schema generated from the service's OpenAPI document (schema.d.ts,
// `npm run gen:api`). Nothing here names a field by hand that the schema
// does not have: a change of the API that breaks the console fails `tsc`.
import createClient from "openapi-fetch";
import type { components, paths } from "./schema";
import { lang } from "../i18n";
import { apiKey } from "../session";

export type Schemas = components["schemas"];

/** api calls the REST routes of the service that served the page. */
export const api = createClient<paths>({ baseUrl: location.origin });

api.use({
  onRequest({ request }) {
    const key = apiKey();
    if (key && !request.headers.has("Authorization")) request.headers.set("Authorization", `Bearer ${key}`);
    request.headers.set("Accept-Language", lang() === "es" ? "es-PE, es;q=0.9" : "en");
    return request;
  },
});

export interface FieldViolation {
  field: string;
  description: string;
}

/** ApiError is a service's refusal, with its message in the reader's language. */
export class ApiError extends Error {
  readonly status: number;
  readonly code: number;
  readonly reason: string;
  readonly fieldViolations: FieldViolation[];

  constructor(status: number, body: unknown) {
    const b = (body ?? {}) as { code?: number; message?: string; details?: Array<Record<string, unknown>> };
    super(b.message || `HTTP ${status}`);
    this.status = status;
    this.code = b.code ?? 0;
    let reason = "";
    const fv: FieldViolation[] = [];
    for (const d of b.details ?? []) {
      const type = String(d["@type"] ?? "");
      if (type.endsWith("google.rpc.BadRequest")) {
        for (const v of (d.fieldViolations as FieldViolation[] | undefined) ?? []) fv.push(v);
      } else if (type.endsWith("google.rpc.ErrorInfo")) {
        reason = String(d.reason ?? "");
      }
    }
    this.reason = reason;
    this.fieldViolations = fv;
  }

  /** forField returns the violations of one request field (camelCase or snake_case path). */
  forField(field: string): string | undefined {
    const snake = field.replace(/[A-Z]/g, (c) => "_" + c.toLowerCase());
    const v = this.fieldViolations.find(
      (f) => f.field === field || f.field === snake || f.field.endsWith("." + snake) || f.field.endsWith("." + field),
    );
    return v?.description;
  }
}

/** NetworkError means the service could not be reached: offline, or the line dropped. */
export class NetworkError extends Error {}

type Result<T> = { data?: T; error?: unknown; response: Response };

/**
 * must waits for a call and returns its answer, or throws ApiError with the
 * service's message, or NetworkError when there was no answer at all.
 */
export async function must<T>(call: Promise<Result<T>>): Promise<T> {
  let res: Result<T>;
  try {
    res = await call;
  } catch (e) {
    if (e instanceof TypeError || (e instanceof DOMException && e.name !== "AbortError")) throw new NetworkError(String(e));
    throw e;
  }
  if (!res.response.ok || res.error !== undefined) throw new ApiError(res.response.status, res.error);
  return res.data as T;
}

/** newRequestId makes the request id that makes a retried change happen once. */
export function newRequestId(): string {
  return crypto.randomUUID();
}

/** authHeaders are the headers of a raw fetch (documents, CSV, PDFs). */
export function authHeaders(): Record<string, string> {
  const key = apiKey();
  const h: Record<string, string> = { "Accept-Language": lang() === "es" ? "es-PE, es;q=0.9" : "en" };
  if (key) h.Authorization = `Bearer ${key}`;
  return h;
}

/**
 * download fetches a document of the service (a PDF, a CSV) with the
 * session's key and hands it to the browser as a file or a new tab.
 */
export async function download(path: string, filename: string): Promise<void> {
  let res: Response;
  try {
    res = await fetch(path, { headers: authHeaders() });
  } catch (e) {
    throw new NetworkError(String(e));
  }
  if (!res.ok) throw new ApiError(res.status, await res.json().catch(() => ({})));
  const blob = await res.blob();
  const url = URL.createObjectURL(blob);
  const a = document.createElement("a");
  a.href = url;
  a.download = filename;
  document.body.appendChild(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 60_000);
}
