// Lists read a page at a time: the items read so far, the next page's token,
// and a button that reads it.
import { useEffect, useRef, useState } from "preact/hooks";
import { t } from "../i18n";

/** Page of a list as a reader gives it: its items and the next page's token. */
export interface ListPage<T> {
  items: T[] | undefined;
  next: string | undefined;
}

/** Pages is a list read page by page, as usePages keeps it. */
export interface Pages<T> {
  /** items read so far for the current query. */
  items: T[];
  /** next is the next page's token, "" after the last page. */
  next: string;
  /** busy is true while a page is being read. */
  busy: boolean;
  /** ready is true once the current query's first page was read (or refused). */
  ready: boolean;
  error: unknown;
  /** load() reads the first page again, replacing what was read; load(token) appends the page after. */
  load: (token?: string) => Promise<void>;
}

/**
 * usePages keeps the items of a list read page by page with read.
 *
 * Only the answer to the latest first-page read counts: a slower answer to
 * an earlier query (a filter since changed) is dropped, so the list never
 * shows rows of a filter that is no longer chosen.
 *
 * With query given, the list is emptied and read again whenever one of
 * its values changes (the filters); with refresh, it is read again in
 * place, keeping its rows until the new ones arrive (after a change made
 * elsewhere, such as an entry leaving the outbox).
 */
export function usePages<T>(read: (token: string) => Promise<ListPage<T>>, query?: readonly unknown[], refresh: readonly unknown[] = []): Pages<T> {
  const [items, setItems] = useState<T[]>([]);
  const [next, setNext] = useState("");
  const [busy, setBusy] = useState(false);
  const [ready, setReady] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const generation = useRef(0);
  const mounted = useRef(false);
  async function load(token = "") {
    const mine = token ? generation.current : ++generation.current;
    setBusy(true);
    setError(null);
    try {
      const page = await read(token);
      if (mine !== generation.current) return;
      setItems((old) => (token ? [...old, ...(page.items ?? [])] : (page.items ?? [])));
      setNext(page.next ?? "");
    } catch (e) {
      if (mine === generation.current) setError(e);
    } finally {
      if (mine === generation.current) {
        setBusy(false);
        setReady(true);
      }
    }
  }
  useEffect(
    () => {
      if (!query) return;
      setItems([]);
      setNext("");
      setReady(false);
      void load();
    },
    query ? [...query] : [],
  );
  useEffect(() => {
    if (!query) return;
    if (!mounted.current) {
      mounted.current = true;
      return;
    }
    void load();
  }, [...refresh]);
  return { items, next, busy, ready, error, load };
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
