// Loads the contact list 100 rows at a time, only the pages in view, so the UI never holds the whole table.
import { useEffect, useMemo, useRef, useState } from "react";
import { useQueries, useQueryClient, type QueryClient } from "@tanstack/react-query";
import { api, type ContactPage, type SortColumn, type TableRow } from "./api";
import { CONTACTS_KEY } from "./queryKeys";

export const PAGE_SIZE = 100;
/** Rows fetched beyond the visible ones, so ordinary scrolling rarely shows a grey row. */
const PREFETCH_ROWS = 40;
/** While the scrollbar is dragged fast, ask for the pages in view at most this often. */
const RANGE_THROTTLE_MS = 90;

/** The table's Status and Owner filters: a status as Rust spells it, an owner's email; null for any. */
export type ListFilters = { status: string | null; owner: string | null };
export type ListParams = { search: string; sort: SortColumn; descending: boolean } & ListFilters;

const listKey = (p: ListParams) => [...CONTACTS_KEY, p.search, p.sort, p.descending, p.status, p.owner] as const;
const pageKey = (p: ListParams, page: number) => [...listKey(p), page] as const;

export type ContactPages = {
  /** Rows the table should have: the total, or (when the total is unknown) rows loaded so far plus a page if more follow. */
  count: number;
  /** The total for the search: a number, null when there are too many matches to count, undefined before the first answer. */
  total: number | null | undefined;
  /** The first page for these parameters has arrived (not just the previous search's rows standing in). */
  settled: boolean;
  /** The row (its contact, phones as shown) at an index, if its page is loaded. */
  rowAt: (index: number) => TableRow | undefined;
  error: Error | null;
  retry: () => void;
};

/** The row count a set of pages implies when the total is unknown. */
function extentOf(pages: Iterable<[number, ContactPage]>): number {
  let extent = 0;
  for (const [page, data] of pages) {
    const end = page * PAGE_SIZE + data.rows.length + (data.has_more ? PAGE_SIZE : 0);
    if (end > extent) extent = end;
  }
  return extent;
}

function cachedPages(qc: QueryClient, params: ListParams): Array<[number, ContactPage]> {
  const out: Array<[number, ContactPage]> = [];
  for (const [key, data] of qc.getQueriesData<ContactPage>({ queryKey: listKey(params), exact: false })) {
    const page = key[key.length - 1];
    if (data && typeof page === "number") out.push([page, data]);
  }
  return out;
}

/** `answer`, or a rejection as soon as `signal` aborts (Tauri's IPC cannot be called off; its answer is ignored). */
function unlessAborted<T>(answer: Promise<T>, signal: AbortSignal): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const abort = () => reject(signal.reason);
    if (signal.aborted) abort();
    signal.addEventListener("abort", abort, { once: true });
    answer.then(resolve, reject).finally(() => signal.removeEventListener("abort", abort));
  });
}

function useThrottled<T extends string>(value: T, ms: number): T {
  const [current, setCurrent] = useState(value);
  const last = useRef(0);
  useEffect(() => {
    const wait = last.current + ms - performance.now();
    if (wait <= 0) {
      last.current = performance.now();
      setCurrent(value);
      return;
    }
    const timer = window.setTimeout(() => {
      last.current = performance.now();
      setCurrent(value);
    }, wait);
    return () => window.clearTimeout(timer);
  }, [value, ms]);
  return current;
}

/**
 * The pages covering rows firstRow..lastRow (the virtualizer's range) for the given search and sort.
 * Page 0 is always fetched: it carries the total. Until the first page for new parameters arrives,
 * the previous parameters' pages stand in, so typing in the search box never blanks the table.
 * Every keystroke asks at once (no debounce); pages for parameters no longer shown are cancelled.
 */
export function useContactPages(params: ListParams, firstRow: number, lastRow: number): ContactPages {
  const qc = useQueryClient();
  const keyText = JSON.stringify(listKey(params));

  const from = Math.floor(Math.max(0, firstRow - PREFETCH_ROWS) / PAGE_SIZE);
  const to = Math.floor(Math.max(0, lastRow + PREFETCH_ROWS) / PAGE_SIZE);
  const wanted = useThrottled(`${from}:${to}`, RANGE_THROTTLE_MS);
  const pages = useMemo(() => {
    const [a, b] = wanted.split(":").map(Number);
    const set = new Set<number>([0]);
    for (let p = a; p <= b; p++) set.add(p);
    return [...set].sort((x, y) => x - y);
  }, [wanted]);

  // The pages last shown for the most recent parameters that had data: stand-ins after a change.
  const shown = useRef<{ key: string; pages: Map<number, ContactPage> }>({ key: "", pages: new Map() });

  const results = useQueries({
    queries: pages.map((page) => ({
      queryKey: pageKey(params, page),
      // Reading `signal` lets TanStack Query cancel the page once nothing shows it (a newer
      // keystroke changed the key): its late answer is dropped, never cached or drawn.
      queryFn: ({ signal }: { signal: AbortSignal }) =>
        unlessAborted(
          api.listContacts({
            search: params.search,
            sort: params.sort,
            descending: params.descending,
            status: params.status,
            owner: params.owner,
            offset: page * PAGE_SIZE,
            limit: PAGE_SIZE,
          }),
          signal,
        ),
      placeholderData: () => (shown.current.key !== keyText ? shown.current.pages.get(page) : undefined),
    })),
  });

  const byPage = new Map<number, ContactPage>();
  const real = new Map<number, ContactPage>();
  let error: Error | null = null;
  results.forEach((r, i) => {
    if (r.data) byPage.set(pages[i], r.data);
    if (r.data && !r.isPlaceholderData) real.set(pages[i], r.data);
    if (r.error && !error) error = r.error;
  });
  if (real.size > 0) shown.current = { key: keyText, pages: real };

  const first = byPage.get(0);
  const settled = real.has(0);
  const total = first ? first.total : undefined;
  let count = 0;
  if (typeof total === "number") count = total;
  else if (total === null) count = settled ? extentOf(cachedPages(qc, params)) : extentOf(byPage);

  const rowAt = (index: number): TableRow | undefined => {
    const page = Math.floor(index / PAGE_SIZE);
    const data = byPage.get(page) ?? (settled ? qc.getQueryData<ContactPage>(pageKey(params, page)) : undefined);
    return data?.rows[index - page * PAGE_SIZE];
  };

  const retry = () => {
    void qc.refetchQueries({ queryKey: listKey(params) });
  };

  return { count, total, settled, rowAt, error, retry };
}
