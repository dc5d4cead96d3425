// The left-hand navigation: one entry per view, each with its keyboard shortcut (Ctrl+1 to Ctrl+6, Ctrl+, for Settings) and, where it helps, a count of what waits for the user.
import { useQuery } from "@tanstack/react-query";
import type { KeyboardEvent as ReactKeyboardEvent } from "react";
import { api } from "./api";
import { formatCount } from "./format";
import { CLOUD_STATUS_KEY, CONFLICTS_KEY, FAILED_NOTIFICATIONS_KEY } from "./queryKeys";
import "./views.css";

/** Which page fills the space beside the pane. */
export type View = "contacts" | "activities" | "review" | "outbox" | "notifications" | "users" | "settings";

type ViewEntry = {
  view: View;
  label: string;
  /** The key pressed with Ctrl (or Cmd). */
  key: string;
};

export const VIEWS: ViewEntry[] = [
  { view: "contacts", label: "Contacts", key: "1" },
  { view: "activities", label: "Activities", key: "2" },
  { view: "review", label: "Review", key: "3" },
  { view: "outbox", label: "Outbox", key: "4" },
  { view: "notifications", label: "Notifications", key: "5" },
  { view: "users", label: "Users & teams", key: "6" },
  { view: "settings", label: "Settings", key: "," },
];

/** The view a Ctrl (Cmd) shortcut opens, if any: Ctrl+1 … Ctrl+6, Ctrl+, for Settings. */
export function viewForShortcut(e: KeyboardEvent): View | null {
  if (!(e.ctrlKey || e.metaKey) || e.altKey || e.shiftKey) return null;
  return VIEWS.find((v) => v.key === e.key)?.view ?? null;
}

function shortcutText(key: string): string {
  return `Ctrl+${key}`;
}

type Props = {
  view: View;
  /** Shows a view; `focus` moves the keyboard there (a click leaves focus on the entry). */
  onSelect: (view: View, focus: boolean) => void;
  tabId: (view: View) => string;
  panelId: (view: View) => string;
};

/** What waits in each view: items held for review, failed notifications, outbox items that need attention. */
function useCounts(): Partial<Record<View, { n: number; what: string }>> {
  const conflicts = useQuery({ queryKey: CONFLICTS_KEY, queryFn: api.listConflicts });
  const failed = useQuery({ queryKey: FAILED_NOTIFICATIONS_KEY, queryFn: api.failedNotifications });
  const cloud = useQuery({ queryKey: CLOUD_STATUS_KEY, queryFn: api.cloudStatus, staleTime: 0 });
  return {
    review: conflicts.data ? { n: conflicts.data.length, what: "waiting for review" } : undefined,
    notifications: failed.data !== undefined ? { n: failed.data, what: "failed" } : undefined,
    outbox: cloud.data ? { n: cloud.data.failed, what: "need attention" } : undefined,
  };
}

export function Sidebar({ view, onSelect, tabId, panelId }: Props) {
  const counts = useCounts();

  // A vertical tablist: arrows move between the entries and show each view, Home and End go to the ends.
  const onKeyDown = (e: ReactKeyboardEvent<HTMLButtonElement>) => {
    const at = VIEWS.findIndex((v) => v.view === view);
    let next = -1;
    if (e.key === "ArrowDown") next = (at + 1) % VIEWS.length;
    else if (e.key === "ArrowUp") next = (at - 1 + VIEWS.length) % VIEWS.length;
    else if (e.key === "Home") next = 0;
    else if (e.key === "End") next = VIEWS.length - 1;
    if (next < 0) return;
    e.preventDefault();
    const v = VIEWS[next].view;
    onSelect(v, false);
    document.getElementById(tabId(v))?.focus();
  };

  return (
    <nav className="sidebar" aria-label="Cardfile">
      <div className="sidebar-brand" aria-hidden="true">
        Cardfile
      </div>
      <div role="tablist" aria-label="Views" aria-orientation="vertical" className="nav-list">
        {VIEWS.map(({ view: v, label, key }) => {
          const count = counts[v];
          const shown = count && count.n > 0 ? count : undefined;
          const shortcut = shortcutText(key);
          return (
            <button
              key={v}
              id={tabId(v)}
              type="button"
              role="tab"
              className={`nav-item${v === "settings" ? " nav-settings" : ""}`}
              aria-selected={view === v}
              aria-controls={view === v ? panelId(v) : undefined}
              aria-label={shown ? `${label}, ${formatCount(shown.n)} ${shown.what}` : label}
              aria-keyshortcuts={`Control+${key} Meta+${key}`}
              title={`${label} (${shortcut})${shown ? `: ${formatCount(shown.n)} ${shown.what}` : ""}`}
              tabIndex={view === v ? 0 : -1}
              onClick={() => onSelect(v, false)}
              onKeyDown={onKeyDown}
            >
              {/* The entry's text is its label alone; the count and the shortcut are drawn from data attributes (aria-label and title say them). */}
              <span className="nav-label">{label}</span>
              {shown && <span className="nav-count" data-view={v} data-count={formatCount(shown.n)} aria-hidden="true" />}
              <span className="nav-shortcut" data-shortcut={shortcut} aria-hidden="true" />
            </button>
          );
        })}
      </div>
    </nav>
  );
}
