// Lists read a page at a time: the items read so far, the next page's token,
// and a button that reads it.
import { useState } from "preact/hooks";
import { t } from "../i18n";

/** Page of a list as a reader gives it: its items and the next page's token. */
export interface ListPage<T> {
  items: T[] | undefined;
  next: string | undefined;
}

/**
 * usePages keeps the items of a list read page by page with read: load()
 * reads the first page again (replacing what was read), load(token) the
 * page after, appended.
 */
export function usePages<T>(read: (token: string) => Promise<ListPage<T>>): {
  items: T[];
  next: string;
  busy: boolean;
  error: unknown;
  load: (token?: string) => Promise<void>;
} {
  const [items, setItems] = useState<T[]>([]);
  const [next, setNext] = useState("");
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);
  async function load(token = "") {
    setBusy(true);
    setError(null);
    try {
      const page = await read(token);
      setItems((old) => (token ? [...old, ...(page.items ?? [])] : (page.items ?? [])));
      setNext(page.next ?? "");
    } catch (e) {
      setError(e);
    } finally {
      setBusy(false);
    }
  }
  return { items, next, busy, error, load };
}

/** MoreButton reads the next page of a list, when there is one and none is being read. */
export function MoreButton(props: { list: { next: string; busy: boolean; load: (token?: string) => Promise<void> } }) {
  const { next, busy, load } = props.list;
  if (!next || busy) return null;
  return (
    <button type="button" onClick={() => void load(next)}>
      {t("common.more")}
    </button>
  );
}
