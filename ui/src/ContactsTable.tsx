// The contacts grid: TanStack Table for columns (the chooser's choice) and sorting, TanStack Virtual for rows, pages fetched as they scroll into view; the Status and Owner filters above it.
import {
  memo,
  useCallback,
  useEffect,
  useId,
  useLayoutEffect,
  useMemo,
  useReducer,
  useRef,
  useState,
  type CSSProperties,
  type KeyboardEvent,
  type MouseEvent,
  type ReactNode,
  type RefObject,
} from "react";
import { flushSync } from "react-dom";
import {
  createColumnHelper,
  flexRender,
  getCoreRowModel,
  useReactTable,
  type SortingState,
  type Updater,
  type VisibilityState,
} from "@tanstack/react-table";
import { useVirtualizer } from "@tanstack/react-virtual";
import type { Contact, SortColumn, TableRow, User } from "./api";
import { ContactRow, type GridColumn } from "./ContactRow";
import { displayName, fullName } from "./format";
import { RowMenu } from "./RowMenu";
import { ScaledScrollElement, observeScaledRect } from "./scaledScroll";
import { TableTools, loadVisibility, saveVisibility, useUsers, type Visibility } from "./TableTools";
import { useContactPages, type ListFilters, type ListParams } from "./useContactPages";

export const ROW_HEIGHT = 36;
const OVERSCAN = 10;

/** Each column's share of the row: the grid's template is built from the columns shown. */
const TRACKS: Record<string, string> = {
  name: "minmax(100px, 1.4fr)",
  email: "minmax(120px, 1.7fr)",
  mobile_phone: "minmax(130px, 1fr)",
  company: "minmax(80px, 1.2fr)",
  job_title: "minmax(70px, 1.1fr)",
  status: "minmax(120px, 1fr)",
  owner: "minmax(90px, 1fr)",
  updated_at: "minmax(148px, 0.9fr)",
  actions: "44px",
};

const column = createColumnHelper<TableRow>();

/** The columns, in order; `owners` names each owner (by email) for the Owner column. ContactRow draws the cells. */
function makeColumns(owners: Map<string, string>) {
  return [
    column.accessor((r) => fullName(r.contact), { id: "name", header: "Name" }),
    column.accessor((r) => r.contact.email ?? "", { id: "email", header: "Email" }),
    // Stored as E.164; shown as people read it ("+1 646-912-3478").
    column.accessor((r) => r.mobile_phone_display ?? r.contact.mobile_phone ?? "", { id: "mobile_phone", header: "Mobile phone" }),
    column.accessor((r) => r.contact.company ?? "", { id: "company", header: "Company" }),
    column.accessor((r) => r.contact.job_title ?? "", { id: "job_title", header: "Job title" }),
    column.accessor((r) => r.contact.status ?? "", { id: "status", header: "Status", enableSorting: false }),
    column.accessor((r) => owners.get(r.contact.owner) ?? r.contact.owner, { id: "owner", header: "Owner", enableSorting: false }),
    column.accessor((r) => r.contact.updated_at, { id: "updated_at", header: "Last updated" }),
    column.display({ id: "actions", header: "Actions", enableSorting: false }),
  ];
}

/** A narrow grid drops the less telling columns rather than clip the row menu (the chooser's choice stands for wider). */
function narrowHidden(width: number): Visibility {
  const hide = (ids: string[]) => Object.fromEntries(ids.map((id) => [id, false]));
  if (width <= 420) return hide(["mobile_phone", "company", "job_title", "status", "owner", "updated_at"]);
  if (width <= 720) return hide(["mobile_phone", "job_title", "status", "owner"]);
  return {};
}

function ownerNames(users: User[] | undefined): Map<string, string> {
  return new Map((users ?? []).map((u) => [u.email, u.name || u.email]));
}

export type ListState = {
  /** A number, null for "too many to count", undefined before the first answer. */
  total: number | null | undefined;
  /** Rows for the current search and sort have arrived. */
  settled: boolean;
};

type Props = {
  params: ListParams;
  onSortChange: (sort: SortColumn, descending: boolean) => void;
  onEdit: (contact: Contact) => void;
  onDelete: (contact: Contact) => void;
  onAdd: () => void;
  onListState: (state: ListState) => void;
  /** The Status and Owner filters changed (they are part of `params`). */
  onFiltersChange: (filters: ListFilters) => void;
  /** Shown instead of the plain empty state when the database itself is empty (the first run). */
  firstRun?: ReactNode;
  /** The focusable grid element, so the app can give focus back to it. */
  gridRef: RefObject<HTMLDivElement | null>;
};

type OpenMenu = { index: number; contact: Contact; anchor: HTMLElement };

/** No rows go through TanStack Table's row model: ContactRow reads the columns' accessors. */
const NO_ROWS: TableRow[] = [];

/** Memoised: the app's other state (the count, the status line) does not redraw the grid. */
export const ContactsTable = memo(function ContactsTable({
  params,
  onSortChange,
  onEdit,
  onDelete,
  onAdd,
  onListState,
  onFiltersChange,
  gridRef,
  firstRun,
}: Props) {
  const idPrefix = useId();
  const rowId = (index: number) => `${idPrefix}row-${index}`;

  const [range, setRange] = useState<[number, number]>([0, 40]);
  const list = useContactPages(params, range[0], range[1]);
  const { count } = list;

  // The scroll body, wrapped so the virtualizer can address more rows than a browser can lay out.
  const countRef = useRef(count);
  countRef.current = count;
  const bodyRef = useRef<HTMLDivElement | null>(null);
  const scrollerRef = useRef<ScaledScrollElement | null>(null);
  const setBody = useCallback((el: HTMLDivElement | null) => {
    bodyRef.current = el;
    scrollerRef.current = el ? new ScaledScrollElement(el, () => countRef.current * ROW_HEIGHT) : null;
  }, []);

  // The virtualizer is given the most rows the list has had, not its count now: a new count makes
  // it measure every row again (20 to 30 ms at a million, each time the search box is cleared).
  // Rows past the count now are not drawn.
  const mostRows = useRef(0);
  mostRows.current = Math.max(mostRows.current, count);
  const virtualizer = useVirtualizer<HTMLElement, HTMLElement>({
    count: mostRows.current,
    getScrollElement: () => scrollerRef.current as unknown as HTMLElement | null,
    estimateSize: () => ROW_HEIGHT,
    overscan: OVERSCAN,
    observeElementRect: observeScaledRect,
  });
  const items = virtualizer.getVirtualItems().filter((item) => item.index < count);
  const first = items.length ? items[0].index : 0;
  const last = items.length ? items[items.length - 1].index : 0;
  useEffect(() => {
    setRange((prev) => (prev[0] === first && prev[1] === last ? prev : [first, last]));
  }, [first, last]);

  // Rows are placed from the scroll position on every scroll once the list is taller than the browser allows.
  const [, forceRender] = useReducer((n: number) => n + 1, 0);
  useEffect(() => {
    const el = bodyRef.current;
    if (!el) return;
    const onScroll = () => {
      if (scrollerRef.current && scrollerRef.current.scale !== 1) flushSync(forceRender);
    };
    el.addEventListener("scroll", onScroll, { passive: true });
    return () => el.removeEventListener("scroll", onScroll);
  }, []);

  // The header stays aligned with the rows when the body shows a classic (space-taking) scrollbar.
  // Its width also decides which columns fit (a narrow window, or a wide pane beside the grid).
  const [gutter, setGutter] = useState(0);
  const [width, setWidth] = useState(Infinity);
  useLayoutEffect(() => {
    const el = bodyRef.current;
    if (!el) return;
    const measure = () => {
      setGutter(el.offsetWidth - el.clientWidth);
      setWidth(el.offsetWidth);
    };
    measure();
    const observer = new ResizeObserver(measure);
    observer.observe(el);
    return () => observer.disconnect();
  }, []);

  const [selected, setSelected] = useState<number | null>(null);
  const [menu, setMenu] = useState<OpenMenu | null>(null);

  // A new search, sort or filter starts at the top with nothing selected.
  const paramsKey = [params.search, params.sort, params.descending, params.status, params.owner].join("\u0000");
  useEffect(() => {
    virtualizer.scrollToOffset(0);
    setSelected(null);
    setMenu(null);
  }, [paramsKey]); // the virtualizer is a stable instance

  // Deleting rows can leave the selection past the end.
  useEffect(() => {
    if (selected !== null && list.settled && selected >= count) setSelected(count > 0 ? count - 1 : null);
  }, [selected, count, list.settled]);

  useEffect(() => {
    onListState({ total: list.total, settled: list.settled });
  }, [list.total, list.settled, onListState]);

  const users = useUsers();
  const columns = useMemo(() => makeColumns(ownerNames(users)), [users]);
  const [visibility, setVisibility] = useState<Visibility>(loadVisibility);
  const changeVisibility = useCallback((v: Visibility) => {
    setVisibility(v);
    saveVisibility(v);
  }, []);

  const columnVisibility = useMemo(() => ({ ...visibility, ...narrowHidden(width) }) as VisibilityState, [visibility, width]);
  const sorting: SortingState = [{ id: params.sort, desc: params.descending }];
  const table = useReactTable({
    data: NO_ROWS,
    columns,
    getCoreRowModel: getCoreRowModel(),
    manualSorting: true,
    // The table never pages or expands rows itself: without these it resets state (and re-renders) on every data change.
    manualPagination: true,
    autoResetPageIndex: false,
    autoResetExpanded: false,
    enableMultiSort: false,
    enableSortingRemoval: false,
    sortDescFirst: false,
    state: { sorting, columnVisibility },
    onSortingChange: (updater: Updater<SortingState>) => {
      const next = typeof updater === "function" ? updater(sorting) : updater;
      if (next[0]) onSortChange(next[0].id as SortColumn, next[0].desc);
    },
  });
  // The same array while the columns and their choice stay the same (the table reads both), so unchanged rows are not redrawn.
  const shownColumns: GridColumn[] = useMemo(() => table.getVisibleLeafColumns(), [table, columns, columnVisibility]);

  const menuRef = useRef(menu);
  menuRef.current = menu;
  const closeMenu = useCallback(
    (returnFocus: boolean) => {
      const open = menuRef.current;
      setMenu(null);
      if (open && returnFocus) {
        // The button may have scrolled out of the DOM; the grid is the next best place.
        if (open.anchor.isConnected) open.anchor.focus();
        else gridRef.current?.focus();
      }
    },
    [gridRef],
  );

  const moveTo = (index: number) => {
    if (count === 0) return;
    const i = Math.max(0, Math.min(count - 1, index));
    setSelected(i);
    virtualizer.scrollToIndex(i, { align: "auto" });
  };

  const openMenuFor = (index: number, anchor: HTMLElement) => {
    const contact = list.rowAt(index)?.contact;
    if (contact) setMenu({ index, contact, anchor });
  };

  const onGridKeyDown = (e: KeyboardEvent<HTMLDivElement>) => {
    if (e.target !== e.currentTarget || e.altKey || e.metaKey) return;
    const pageRows = Math.max(1, Math.floor((bodyRef.current?.clientHeight ?? ROW_HEIGHT) / ROW_HEIGHT) - 1);
    const current = selected !== null ? list.rowAt(selected)?.contact : undefined;
    switch (e.key) {
      case "ArrowDown":
        moveTo(selected === null ? 0 : selected + 1);
        break;
      case "ArrowUp":
        moveTo(selected === null ? 0 : selected - 1);
        break;
      case "PageDown":
        moveTo((selected ?? 0) + pageRows);
        break;
      case "PageUp":
        moveTo((selected ?? 0) - pageRows);
        break;
      case "Home":
        moveTo(0);
        break;
      case "End":
        moveTo(count - 1);
        break;
      case "Enter":
        if (current) onEdit(current);
        break;
      case "Delete":
        if (current) onDelete(current);
        break;
      case "ContextMenu":
      case "F10": {
        if (e.key === "F10" && !e.shiftKey) return;
        const anchor = selected !== null ? document.getElementById(`${rowId(selected)}-actions`) : null;
        if (anchor && selected !== null) openMenuFor(selected, anchor);
        break;
      }
      default:
        return;
    }
    e.preventDefault();
  };

  // Stable, as the rows are memoised: the open menu is read from its ref.
  const onActionsClick = useCallback((e: MouseEvent<HTMLButtonElement>, index: number, contact: Contact) => {
    e.stopPropagation();
    setSelected(index);
    if (menuRef.current?.index === index) setMenu(null);
    else setMenu({ index, contact, anchor: e.currentTarget });
  }, []);

  // Where a row sits inside the sizer (differs from its virtual offset only for very long lists).
  const scroller = scrollerRef.current;
  const realScrollTop = bodyRef.current?.scrollTop ?? 0;
  const scale = scroller?.scale ?? 1;
  const topOf = (start: number) => (scale === 1 ? start : start - realScrollTop * scale + realScrollTop);
  const sizerHeight = scroller ? scroller.realSize : count * ROW_HEIGHT;

  const selectedRendered = selected !== null && items.some((item) => item.index === selected);
  const keys = new Set<string>();
  const empty = list.settled && count === 0;
  const headers = table.getHeaderGroups()[0].headers;
  const filtered = params.status !== null || params.owner !== null;
  // The row's template follows the columns shown (a narrow window's container rules override it).
  const template = { "--columns": headers.map((h) => TRACKS[h.id] ?? "minmax(80px, 1fr)").join(" ") } as CSSProperties;

  return (
    <div className="table-area">
      <TableTools
        filters={{ status: params.status, owner: params.owner }}
        onFiltersChange={onFiltersChange}
        visibility={visibility}
        onVisibilityChange={changeVisibility}
      />
      <div
        ref={gridRef}
        role="grid"
        aria-label="Contacts"
        aria-rowcount={list.total === null ? -1 : count + 1}
        aria-colcount={headers.length}
        aria-activedescendant={selectedRendered ? rowId(selected) : undefined}
        tabIndex={0}
        className="grid"
        style={template}
        onKeyDown={onGridKeyDown}
      >
        <div role="rowgroup" className="grid-head" style={{ paddingRight: gutter }}>
          <div role="row" aria-rowindex={1} className="row head-row">
            {headers.map((header) => {
              const sortable = header.column.getCanSort();
              const sorted = header.column.getIsSorted();
              const title = flexRender(header.column.columnDef.header, header.getContext());
              if (!sortable) {
                return (
                  <div key={header.id} role="columnheader" className={`cell cell-${header.id}`}>
                    <span className={header.id === "actions" ? "visually-hidden" : "head-label"}>{title}</span>
                  </div>
                );
              }
              return (
                <div
                  key={header.id}
                  role="columnheader"
                  aria-sort={sorted === "asc" ? "ascending" : sorted === "desc" ? "descending" : "none"}
                  className={`cell cell-${header.id}`}
                >
                  <button
                    type="button"
                    className={`sort-button${sorted ? " sorted" : ""}`}
                    onClick={() => header.column.toggleSorting(sorted === "asc")}
                  >
                    <span>{title}</span>
                    {/* An SVG, not a text arrow: the button's text stays exactly the column name. */}
                    {sorted && (
                      <svg className="sort-icon" viewBox="0 0 10 10" width="10" height="10" aria-hidden="true" focusable="false">
                        <path d={sorted === "asc" ? "M1.5 6.5 5 3l3.5 3.5" : "M1.5 3.5 5 7l3.5-3.5"} />
                      </svg>
                    )}
                  </button>
                </div>
              );
            })}
          </div>
        </div>
        <div ref={setBody} role="rowgroup" className="grid-body">
          <div className="grid-sizer" style={{ height: sizerHeight }}>
            {items.map((item) => {
              const row = list.rowAt(item.index);
              const top = topOf(item.start);
              if (!row) {
                return (
                  <div
                    key={`loading-${item.index}`}
                    role="row"
                    aria-rowindex={item.index + 2}
                    aria-selected={item.index === selected}
                    aria-busy="true"
                    id={rowId(item.index)}
                    className={`row placeholder${item.index === selected ? " selected" : ""}`}
                    style={{ top }}
                    onClick={() => setSelected(item.index)}
                  >
                    {headers.map((header) => (
                      <div key={header.id} role="gridcell" className={`cell cell-${header.id}`}>
                        {header.id !== "actions" && <span className="skeleton" aria-hidden="true" />}
                      </div>
                    ))}
                  </div>
                );
              }
              // Keyed by contact, so a contact still in the answer keeps its row; a page of the last
              // answer standing in beside one of the new may hold the same contact twice.
              const id = row.contact.id;
              const key = keys.has(id) ? `${id}@${item.index}` : id;
              keys.add(key);
              return (
                <ContactRow
                  key={key}
                  row={row}
                  index={item.index}
                  top={top}
                  id={rowId(item.index)}
                  selected={item.index === selected}
                  menuOpen={menu?.index === item.index}
                  columns={shownColumns}
                  onSelect={setSelected}
                  onEdit={onEdit}
                  onActions={onActionsClick}
                />
              );
            })}
          </div>
        </div>
      </div>

      {empty && params.search === "" && !filtered && firstRun}
      {empty && !(params.search === "" && !filtered && firstRun) && (
        <div className="empty-state">
          {filtered ? (
            <>
              <p className="empty-title">
                No contacts match {params.search === "" ? "these filters" : `“${params.search}” and these filters`}
              </p>
              <button type="button" className="button" onClick={() => onFiltersChange({ status: null, owner: null })}>
                Clear filters
              </button>
            </>
          ) : params.search === "" ? (
            <>
              <p className="empty-title">No contacts yet</p>
              <p className="empty-hint">
                Add your first contact here, or import a CSV or vCard file with <code>cardfile import FILE</code>.
              </p>
              <button type="button" className="button primary" onClick={onAdd}>
                Add contact
              </button>
            </>
          ) : (
            <>
              <p className="empty-title">No contacts match “{params.search}”</p>
              <p className="empty-hint">Try fewer letters, or a different spelling.</p>
            </>
          )}
        </div>
      )}

      {list.error && (
        <div className="load-error" role="alert">
          <span>Could not load contacts: {list.error.message}</span>
          <button type="button" className="button" onClick={list.retry}>
            Try again
          </button>
        </div>
      )}

      {menu && (
        <RowMenu
          anchor={menu.anchor}
          label={`Actions for ${displayName(menu.contact)}`}
          onClose={closeMenu}
          onEdit={() => {
            setMenu(null);
            onEdit(menu.contact);
          }}
          onDelete={() => {
            setMenu(null);
            onDelete(menu.contact);
          }}
        />
      )}
    </div>
  );
});
