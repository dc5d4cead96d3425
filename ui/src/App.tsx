// The main window: the left-hand navigation, the header (the view's title, count, search, Undo, Add), the grid or the Activities, Review, Outbox, Notifications, Users or Settings view, the edit pane, the dialogs and the status line with the sync indicator and who Cardfile acts as.
import { useCallback, useEffect, useId, useMemo, useRef, useState, type KeyboardEvent as ReactKeyboardEvent } from "react";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { ActivitiesView } from "./ActivitiesView";
import { refreshAfterChange, useChangesFromElsewhere } from "./changes";
import { ApiError, api, errorMessage, type Contact, type ImportFile, type SortColumn } from "./api";
import { ContactsTable, type ListState } from "./ContactsTable";
import { DeleteDialog } from "./DeleteDialog";
import { EditPane, type PaneMode } from "./EditPane";
import { FirstRun } from "./FirstRun";
import { displayName, formatCount, plural } from "./format";
import { ImportDialog } from "./ImportDialog";
import { LogActivityDialog, loggedText } from "./LogActivityDialog";
import { NotificationsView } from "./NotificationsView";
import { OutboxView } from "./OutboxView";
import { APP_INFO_KEY, contactKey } from "./queryKeys";
import { ReviewView } from "./ReviewView";
import { SettingsView } from "./SettingsView";
import { Sidebar, VIEWS, viewForShortcut, type View } from "./Sidebar";
import { SyncIndicator } from "./SyncIndicator";
import { UsersView, roleLabel } from "./UsersView";
import { useTauriEvent } from "./useTauriEvent";
import type { ListFilters, ListParams } from "./useContactPages";

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

/** A line in the status bar; a fresh object each time, so the same text again restarts its timer. */
type Status = { text: string; error?: boolean };

/** Rust's messages start in lower case (they are also CLI output); the status line reads as a sentence. */
function sentence(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}

export function App() {
  useChangesFromElsewhere();
  const [searchText, setSearchText] = useState("");
  // Every keystroke searches at once: the table's pages for older text are cancelled, never drawn.
  const search = searchText.trim();
  const [sort, setSort] = useState<{ column: SortColumn; descending: boolean }>({ column: "name", descending: false });
  const [filters, setFilters] = useState<ListFilters>({ status: null, owner: null });
  const params = useMemo<ListParams>(
    () => ({ search, sort: sort.column, descending: sort.descending, ...filters }),
    [search, sort, filters],
  );

  const [listState, setListState] = useState<ListState>({ total: undefined, settled: false });
  const [pane, setPane] = useState<PaneMode | null>(null);
  const [toDelete, setToDelete] = useState<Contact | null>(null);
  // The pane's merge prompt is open: like the delete dialog, it makes the rest of the window inert.
  const [paneModal, setPaneModal] = useState(false);
  // So does a view's own confirmation (Settings' Disconnect).
  const [viewModal, setViewModal] = useState(false);
  const [status, setStatus] = useState<Status | null>(null);
  const [view, setView] = useState<View>("contacts");
  const [logOpen, setLogOpen] = useState(false);
  /** The file being imported (chosen in the open dialog or dropped on the window). */
  const [importing, setImporting] = useState<ImportFile | null>(null);
  const qc = useQueryClient();
  const tabsId = useId();
  const tabId = (v: View) => `${tabsId}tab-${v}`;
  const panelId = (v: View) => `${tabsId}panel-${v}`;
  const logButtonRef = useRef<HTMLButtonElement>(null);

  const gridRef = useRef<HTMLDivElement>(null);
  const panelRef = useRef<HTMLDivElement>(null);
  const searchRef = useRef<HTMLInputElement>(null);
  const appInfo = useQuery({ queryKey: APP_INFO_KEY, queryFn: api.appInfo });

  useEffect(() => {
    if (!status) return;
    const timer = window.setTimeout(() => setStatus(null), STATUS_CLEAR_MS);
    return () => window.clearTimeout(timer);
  }, [status]);

  const focusGrid = () => gridRef.current?.focus({ preventScroll: true });
  // A view opened from the keyboard takes the keyboard with it: the grid, or the view's panel (Tab goes on into it).
  const focusView = useRef(false);
  const showView = useCallback((v: View, focus: boolean) => {
    focusView.current = focus;
    setView(v);
  }, []);
  useEffect(() => {
    if (!focusView.current) return;
    focusView.current = false;
    if (view === "contacts" && gridRef.current) gridRef.current.focus({ preventScroll: true });
    else panelRef.current?.focus({ preventScroll: true });
  }, [view]);
  const focusSearch = () => {
    searchRef.current?.focus();
    searchRef.current?.select();
  };

  // The grid's callbacks are stable: it is memoised, and redraws only when what it shows changes.
  const openAdd = useCallback(() => {
    setView("contacts");
    setPane({ kind: "add" });
  }, []);
  const startImport = useCallback((file: ImportFile) => {
    setView("contacts");
    setImporting((current) => current ?? file);
  }, []);
  const chooseImport = useCallback(() => {
    api
      .chooseImportFile()
      .then((file) => {
        if (file) startImport(file);
      })
      .catch((e: unknown) => setStatus({ text: errorMessage(e), error: true }));
  }, [startImport]);
  // A file dropped anywhere on the window: Rust keeps its path and sends a handle (never the path or the bytes).
  useTauriEvent<ImportFile>("import-file-dropped", startImport);
  const openEdit = useCallback((contact: Contact) => setPane({ kind: "edit", contact }), []);
  const askDelete = useCallback((contact: Contact) => setToDelete(contact), []);
  const closePane = () => {
    focusGrid();
    setPane(null);
  };
  // From the Activities view: the contact as it is now, in the pane on the Contacts view.
  const openContact = (id: string) => {
    qc.fetchQuery({ queryKey: contactKey(id), queryFn: () => api.getContact(id), staleTime: 0 }).then(
      (contact) => {
        setView("contacts");
        openEdit(contact);
      },
      (e: unknown) => {
        if (e instanceof ApiError && e.code === "not_found") {
          refreshAfterChange(qc);
          setStatus({ text: "This contact no longer exists", error: true });
        } else {
          setStatus({ text: sentence(errorMessage(e)), error: true });
        }
      },
    );
  };
  const closeLog = () => {
    setLogOpen(false);
    // The app is inert until the dialog has gone; focus once it is live again.
    window.requestAnimationFrame(() => logButtonRef.current?.focus());
  };
  const cancelDelete = () => {
    setToDelete(null);
    // The app is inert until the dialog has gone; focus once it is live again.
    window.requestAnimationFrame(focusGrid);
  };

  // Undo takes back the signed-in user's latest add, edit, merge or import, whatever is on screen.
  const undo = useMutation({
    mutationFn: api.undo,
    onSuccess: (undone) => {
      refreshAfterChange(qc);
      setStatus({ text: `Undid: ${undone.summary}` });
      // Undoing an add takes the contact away: a pane still editing it would save into nothing.
      const open = keys.current.pane;
      if (open?.kind === "edit") {
        api.getContact(open.contact.id).catch((e: unknown) => {
          if (e instanceof ApiError && e.code === "not_found") {
            setPane((p) => (p?.kind === "edit" && p.contact.id === open.contact.id ? null : p));
          }
        });
      }
    },
    onError: (e) => {
      const text = e instanceof ApiError && e.code === "not_found" ? "Nothing to undo" : sentence(errorMessage(e));
      setStatus({ text, error: true });
    },
  });
  // The first run's sample: one import (and a few meetings), which Undo takes back in one step.
  const sample = useMutation({
    mutationFn: api.loadSample,
    onSuccess: (loaded) => {
      refreshAfterChange(qc);
      setStatus({
        text: `Loaded ${plural(loaded.summary.created, "sample contact", "sample contacts")}, ${plural(loaded.meetings, "meeting", "meetings")} and ${plural(loaded.summary.conflicts, "possible duplicate", "possible duplicates")} to review: Undo takes them away`,
      });
    },
    onError: (e) => setStatus({ text: sentence(errorMessage(e)), error: true }),
  });

  const runUndo = () => {
    if (!undo.isPending) undo.mutate();
  };

  // Window-wide keys: Escape closes the innermost thing open (the menu and dialogs handle their own
  // first), Ctrl+K or "/" goes to the search box, Ctrl+Z (Cmd+Z) undoes outside text fields.
  const keys = useRef({ pane, toDelete, paneModal, viewModal, logOpen, closePane, cancelDelete, runUndo, showView });
  keys.current = { pane, toDelete, paneModal, viewModal, logOpen, closePane, cancelDelete, runUndo, showView };
  useEffect(() => {
    const onKeyDown = (e: KeyboardEvent) => {
      if (e.defaultPrevented) return;
      const k = keys.current;
      // The merge prompt, the Log activity form and a view's confirmation handle their own keys; nothing behind them may react.
      if (k.paneModal || k.viewModal || k.logOpen) return;
      if (e.key === "Escape") {
        if (k.toDelete) k.cancelDelete();
        else if (k.pane) k.closePane();
        else return;
        e.preventDefault();
        return;
      }
      if (k.toDelete) return;
      // Ctrl+1 … Ctrl+6 and Ctrl+, open the views (the navigation's tooltips say which), even from a text field.
      const shortcut = viewForShortcut(e);
      if (shortcut) {
        e.preventDefault();
        k.showView(shortcut, true);
        return;
      }
      const command = (e.ctrlKey || e.metaKey) && !e.altKey && !e.shiftKey;
      const ctrlK = command && e.key.toLowerCase() === "k";
      const slash = e.key === "/" && !e.ctrlKey && !e.metaKey && !e.altKey && !isTextEntry(e.target);
      if (ctrlK || slash) {
        e.preventDefault();
        focusSearch();
        return;
      }
      // In a text field the browser's own undo applies to what is being typed.
      if (command && e.key.toLowerCase() === "z" && !isTextEntry(e.target)) {
        e.preventDefault();
        if (!e.repeat) k.runUndo();
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
  const emptyDatabase = appInfo.data?.contact_count === 0;
  const loadSample = sample.mutate;
  const firstRun = useMemo(
    () =>
      emptyDatabase ? (
        <FirstRun onImport={chooseImport} onAdd={openAdd} onSample={() => loadSample()} loading={sample.isPending} />
      ) : undefined,
    [emptyDatabase, chooseImport, openAdd, loadSample, sample.isPending],
  );

  // While a new search is on its way the previous rows stand in; so does their count.
  const shownCount = useRef("");
  if (listState.settled || listState.total === undefined) shownCount.current = countText(listState, params.search);
  const count = shownCount.current;
  const user = appInfo.data;

  return (
    <>
      <div className="app" inert={toDelete !== null || paneModal || viewModal || logOpen || importing !== null}>
        <header className="toolbar">
          <h1>{VIEWS.find((v) => v.view === view)?.label}</h1>
          {view === "contacts" && <span className="count">{count}</span>}
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
              onChange={(e) => {
                setSearchText(e.target.value);
                // The search is over contacts: show them.
                setView("contacts");
              }}
              onKeyDown={onSearchKeyDown}
            />
            <kbd className="search-hint" aria-hidden="true">
              Ctrl K
            </kbd>
          </div>
          <button
            type="button"
            className="button"
            title="Undo (Ctrl+Z)"
            aria-keyshortcuts="Control+Z Meta+Z"
            aria-disabled={undo.isPending || undefined}
            onClick={runUndo}
          >
            <svg className="button-icon" viewBox="0 0 16 16" width="14" height="14" aria-hidden="true" focusable="false">
              <path d="M5.5 3.5 2.5 6.5l3 3" fill="none" stroke="currentColor" strokeWidth="1.5" strokeLinecap="round" strokeLinejoin="round" />
              <path d="M3 6.5h6.5a4 4 0 0 1 0 8H7" fill="none" stroke="currentColor" strokeWidth="1.5" strokeLinecap="round" />
            </svg>
            Undo
          </button>
          <button type="button" className="button" onClick={chooseImport}>
            Import CSV
          </button>
          <button type="button" className="button primary" onClick={openAdd}>
            Add contact
          </button>
        </header>

        {/* After the header in the document (first on screen): Tab goes from the navigation straight into the view. */}
        <Sidebar view={view} onSelect={showView} tabId={tabId} panelId={panelId} />
        <div className="workspace">
          <div
            ref={panelRef}
            role="tabpanel"
            id={panelId(view)}
            aria-labelledby={tabId(view)}
            tabIndex={-1}
            className="view-panel"
          >
            {view === "contacts" ? (
              <ContactsTable
                params={params}
                onSortChange={onSortChange}
                onEdit={openEdit}
                onDelete={askDelete}
                onAdd={openAdd}
                onListState={setListState}
                onFiltersChange={setFilters}
                gridRef={gridRef}
                firstRun={firstRun}
              />
            ) : view === "activities" ? (
              <ActivitiesView onLog={() => setLogOpen(true)} onOpenContact={openContact} logButtonRef={logButtonRef} />
            ) : view === "review" ? (
              <ReviewView />
            ) : view === "outbox" ? (
              <OutboxView onOpenSettings={() => setView("settings")} />
            ) : view === "notifications" ? (
              <NotificationsView onOpenSettings={() => setView("settings")} />
            ) : view === "users" ? (
              <UsersView
                onModalChange={setViewModal}
                onSignedIn={(who) => setStatus({ text: `Signed in as ${who}: Cardfile acts as them from now on` })}
              />
            ) : (
              <SettingsView onModalChange={setViewModal} />
            )}
          </div>
          {pane && (
            <EditPane
              key={pane.kind === "add" ? "add" : pane.contact.id}
              mode={pane}
              onCancel={closePane}
              onModalChange={setPaneModal}
              onSaved={(contact, outcome) => {
                closePane();
                setStatus({ text: `${outcome === "merged" ? "Merged into" : "Saved"} ${displayName(contact)}` });
              }}
            />
          )}
        </div>

        <footer className="statusbar">
          <div role="status" aria-live="polite" className={`status-message${status?.error ? " error" : ""}`}>
            {status?.text}
          </div>
          <div className="status-right">
            <SyncIndicator onOpen={() => setView("outbox")} />
            {user && (
              <div className="status-user" title={`Database: ${user.db_path}`}>
                Signed in as {user.user_name || user.user_email}
                {user.user_name && user.user_email ? <span className="muted"> · {user.user_email}</span> : null}
                <span className="muted"> · {roleLabel(user.role)}</span>
              </div>
            )}
          </div>
        </footer>
      </div>

      {importing && (
        <ImportDialog
          file={importing}
          onClose={() => setImporting(null)}
          onImported={(v) =>
            setStatus({
              text: `Imported ${plural(v.summary.rows, "row", "rows")}: ${formatCount(v.summary.created)} created, ${formatCount(v.summary.updated)} updated`,
            })
          }
        />
      )}

      {logOpen && (
        <LogActivityDialog
          onCancel={closeLog}
          onLogged={(recorded, activity) => {
            setStatus({ text: loggedText(recorded, activity.fields) });
            closeLog();
          }}
        />
      )}

      {toDelete && (
        <DeleteDialog
          contact={toDelete}
          onCancel={cancelDelete}
          onDeleted={(contact) => {
            if (pane?.kind === "edit" && pane.contact.id === contact.id) setPane(null);
            setStatus({ text: `Deleted ${displayName(contact)}` });
            cancelDelete();
          }}
        />
      )}
    </>
  );
}
