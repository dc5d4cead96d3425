// The Contacts page: header (count, search, Add), the grid, the edit pane, the delete dialog and the status line.
import { useCallback, useEffect, useMemo, useRef, useState, type KeyboardEvent as ReactKeyboardEvent } from "react";
import { useQuery } from "@tanstack/react-query";
import { api, type Contact, type SortColumn } from "./api";
import { ContactsTable, type ListState } from "./ContactsTable";
import { DeleteDialog } from "./DeleteDialog";
import { EditPane, type PaneMode } from "./EditPane";
import { displayName, plural } from "./format";
import { APP_INFO_KEY } from "./queryKeys";
import { useDebouncedValue } from "./useDebouncedValue";
import type { ListParams } from "./useContactPages";

const SEARCH_DEBOUNCE_MS = 120;
const STATUS_CLEAR_MS = 10_000;

function countText(state: ListState, search: string): string {
  if (state.total === undefined) return "";
  if (search === "") return state.total === null ? "many contacts" : plural(state.total, "contact", "contacts");
  return state.total === null ? "many matches" : plural(state.total, "match", "matches");
}

/** Typing in these must not trigger the "/" shortcut. */
function isTextEntry(target: EventTarget | null): boolean {
  if (!(target instanceof HTMLElement)) return false;
  if (target.isContentEditable || target instanceof HTMLTextAreaElement || target instanceof HTMLSelectElement) return true;
  return target instanceof HTMLInputElement && !["checkbox", "radio", "button", "submit", "reset"].includes(target.type);
}

export function App() {
  const [searchText, setSearchText] = useState("");
  const search = useDebouncedValue(searchText.trim(), SEARCH_DEBOUNCE_MS);
  const [sort, setSort] = useState<{ column: SortColumn; descending: boolean }>({ column: "name", descending: false });
  const params = useMemo<ListParams>(
    () => ({ search, sort: sort.column, descending: sort.descending }),
    [search, sort],
  );

  const [listState, setListState] = useState<ListState>({ total: undefined, settled: false });
  const [pane, setPane] = useState<PaneMode | null>(null);
  const [toDelete, setToDelete] = useState<Contact | null>(null);
  const [status, setStatus] = useState("");

  const gridRef = useRef<HTMLDivElement>(null);
  const searchRef = useRef<HTMLInputElement>(null);
  const appInfo = useQuery({ queryKey: APP_INFO_KEY, queryFn: api.appInfo });

  useEffect(() => {
    if (!status) return;
    const timer = window.setTimeout(() => setStatus(""), STATUS_CLEAR_MS);
    return () => window.clearTimeout(timer);
  }, [status]);

  const focusGrid = () => gridRef.current?.focus({ preventScroll: true });
  const focusSearch = () => {
    searchRef.current?.focus();
    searchRef.current?.select();
  };

  const openAdd = () => setPane({ kind: "add" });
  const openEdit = useCallback((contact: Contact) => setPane({ kind: "edit", contact }), []);
  const askDelete = useCallback((contact: Contact) => setToDelete(contact), []);
  const closePane = () => {
    focusGrid();
    setPane(null);
  };
  const cancelDelete = () => {
    setToDelete(null);
    // The app is inert until the dialog has gone; focus once it is live again.
    window.requestAnimationFrame(focusGrid);
  };

  // Window-wide keys: Escape closes the innermost thing open (the menu and dialog handle their own
  // first), Ctrl+K or "/" goes to the search box.
  const keys = useRef({ pane, toDelete, closePane, cancelDelete });
  keys.current = { pane, toDelete, closePane, cancelDelete };
  useEffect(() => {
    const onKeyDown = (e: KeyboardEvent) => {
      if (e.defaultPrevented) return;
      const k = keys.current;
      if (e.key === "Escape") {
        if (k.toDelete) k.cancelDelete();
        else if (k.pane) k.closePane();
        else return;
        e.preventDefault();
        return;
      }
      if (k.toDelete) return;
      const ctrlK = (e.ctrlKey || e.metaKey) && !e.altKey && !e.shiftKey && e.key.toLowerCase() === "k";
      const slash = e.key === "/" && !e.ctrlKey && !e.metaKey && !e.altKey && !isTextEntry(e.target);
      if (ctrlK || slash) {
        e.preventDefault();
        focusSearch();
      }
    };
    document.addEventListener("keydown", onKeyDown);
    return () => document.removeEventListener("keydown", onKeyDown);
  }, []);

  const onSearchKeyDown = (e: ReactKeyboardEvent<HTMLInputElement>) => {
    if (e.key === "Escape" && searchText !== "") {
      // First Escape empties the box; the next one closes whatever is open.
      e.preventDefault();
      e.stopPropagation();
      setSearchText("");
    } else if (e.key === "ArrowDown" || e.key === "Enter") {
      e.preventDefault();
      focusGrid();
    }
  };

  const onSortChange = useCallback((column: SortColumn, descending: boolean) => setSort({ column, descending }), []);

  // While a new search is on its way the previous rows stand in; so does their count.
  const shownCount = useRef("");
  if (listState.settled || listState.total === undefined) shownCount.current = countText(listState, params.search);
  const count = shownCount.current;
  const user = appInfo.data;

  return (
    <>
      <div className="app" inert={toDelete !== null}>
        <header className="toolbar">
          <h1>Contacts</h1>
          <span className="count">{count}</span>
          <div className="toolbar-spacer" />
          <div className="search">
            <svg className="search-icon" viewBox="0 0 16 16" width="14" height="14" aria-hidden="true" focusable="false">
              <circle cx="6.5" cy="6.5" r="4.5" fill="none" stroke="currentColor" strokeWidth="1.5" />
              <line x1="10" y1="10" x2="14" y2="14" stroke="currentColor" strokeWidth="1.5" strokeLinecap="round" />
            </svg>
            <input
              ref={searchRef}
              type="search"
              aria-label="Search contacts"
              placeholder="Search contacts"
              aria-keyshortcuts="Control+K /"
              autoComplete="off"
              spellCheck={false}
              value={searchText}
              onChange={(e) => setSearchText(e.target.value)}
              onKeyDown={onSearchKeyDown}
            />
            <kbd className="search-hint" aria-hidden="true">
              Ctrl K
            </kbd>
          </div>
          <button type="button" className="button primary" onClick={openAdd}>
            Add contact
          </button>
        </header>

        <div className="workspace">
          <ContactsTable
            params={params}
            onSortChange={onSortChange}
            onEdit={openEdit}
            onDelete={askDelete}
            onAdd={openAdd}
            onListState={setListState}
            gridRef={gridRef}
          />
          {pane && (
            <EditPane
              key={pane.kind === "add" ? "add" : pane.contact.id}
              mode={pane}
              onCancel={closePane}
              onSaved={(contact) => {
                closePane();
                setStatus(`Saved ${displayName(contact)}`);
              }}
            />
          )}
        </div>

        <footer className="statusbar">
          <div role="status" aria-live="polite" className="status-message">
            {status}
          </div>
          {user && (
            <div className="status-user" title={`Database: ${user.db_path}`}>
              Signed in as {user.user_name || user.user_email}
              {user.user_name && user.user_email ? <span className="muted"> · {user.user_email}</span> : null}
            </div>
          )}
        </footer>
      </div>

      {toDelete && (
        <DeleteDialog
          contact={toDelete}
          onCancel={cancelDelete}
          onDeleted={(contact) => {
            if (pane?.kind === "edit" && pane.contact.id === contact.id) setPane(null);
            setStatus(`Deleted ${displayName(contact)}`);
            cancelDelete();
          }}
        />
      )}
    </>
  );
}
