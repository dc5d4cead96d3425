// Above the contacts grid: the Status and Owner filters, and the column chooser whose choice (Status and Owner are hidden at first) is remembered on this computer.
import { useEffect, useId, useRef, useState } from "react";
import { useQuery } from "@tanstack/react-query";
import { STATUSES, api, type User } from "./api";
import { USERS_KEY } from "./queryKeys";
import type { ListFilters } from "./useContactPages";

/** The columns a person may hide or show, in the grid's order; Name and the row menu always show. */
export const OPTIONAL_COLUMNS = [
  { id: "email", label: "Email" },
  { id: "mobile_phone", label: "Mobile phone" },
  { id: "company", label: "Company" },
  { id: "job_title", label: "Job title" },
  { id: "status", label: "Status" },
  { id: "owner", label: "Owner" },
  { id: "updated_at", label: "Last updated" },
] as const;

export type Visibility = Record<string, boolean>;

const STORAGE_KEY = "cardfile.columns";
const HIDDEN_AT_FIRST: Visibility = { status: false, owner: false };

/** The columns as last chosen here (localStorage: a view preference, not data), else Status and Owner hidden. */
export function loadVisibility(): Visibility {
  try {
    const saved = JSON.parse(window.localStorage.getItem(STORAGE_KEY) ?? "null") as unknown;
    if (saved && typeof saved === "object" && !Array.isArray(saved)) {
      const out: Visibility = { ...HIDDEN_AT_FIRST };
      for (const [k, v] of Object.entries(saved)) if (typeof v === "boolean") out[k] = v;
      return out;
    }
  } catch {
    // Unreadable: start as a new install does.
  }
  return { ...HIDDEN_AT_FIRST };
}

export function saveVisibility(v: Visibility): void {
  try {
    window.localStorage.setItem(STORAGE_KEY, JSON.stringify(v));
  } catch {
    // Storage full or refused: the choice lasts until the window closes.
  }
}

/** Users by email, for the Owner column's names and the Owner filter's choices. */
export function useUsers(): User[] | undefined {
  return useQuery({ queryKey: USERS_KEY, queryFn: api.listUsers }).data;
}

type Props = {
  filters: ListFilters;
  onFiltersChange: (filters: ListFilters) => void;
  visibility: Visibility;
  onVisibilityChange: (v: Visibility) => void;
};

export function TableTools({ filters, onFiltersChange, visibility, onVisibilityChange }: Props) {
  const id = useId();
  const users = useUsers();
  return (
    <div className="table-tools" role="toolbar" aria-label="Filters and columns">
      <label htmlFor={`${id}status`}>Status</label>
      <select
        id={`${id}status`}
        className="select"
        value={filters.status ?? ""}
        onChange={(e) => onFiltersChange({ ...filters, status: e.target.value || null })}
      >
        <option value="">Any status</option>
        {STATUSES.map((s) => (
          <option key={s} value={s}>
            {s}
          </option>
        ))}
      </select>
      <label htmlFor={`${id}owner`}>Owner</label>
      <select
        id={`${id}owner`}
        className="select"
        value={filters.owner ?? ""}
        onChange={(e) => onFiltersChange({ ...filters, owner: e.target.value || null })}
      >
        <option value="">Anyone</option>
        {/* The chosen owner stays listed while the users load. */}
        {filters.owner && !users?.some((u) => u.email === filters.owner) && <option value={filters.owner}>{filters.owner}</option>}
        {users?.map((u) => (
          <option key={u.email} value={u.email}>
            {u.name || u.email}
          </option>
        ))}
      </select>
      {(filters.status || filters.owner) && (
        <button type="button" className="link-button" onClick={() => onFiltersChange({ status: null, owner: null })}>
          Clear filters
        </button>
      )}
      <div className="toolbar-spacer" />
      <ColumnChooser visibility={visibility} onChange={onVisibilityChange} />
    </div>
  );
}

/** "Columns": a popover of checkboxes; Escape or a click elsewhere closes it, focus goes back to the button. */
function ColumnChooser({ visibility, onChange }: { visibility: Visibility; onChange: (v: Visibility) => void }) {
  const [open, setOpen] = useState(false);
  const buttonRef = useRef<HTMLButtonElement>(null);
  const boxRef = useRef<HTMLDivElement>(null);
  const id = useId();

  useEffect(() => {
    if (!open) return;
    boxRef.current?.querySelector("input")?.focus();
    const onDown = (e: MouseEvent) => {
      if (!boxRef.current?.contains(e.target as Node) && !buttonRef.current?.contains(e.target as Node)) setOpen(false);
    };
    document.addEventListener("mousedown", onDown);
    return () => document.removeEventListener("mousedown", onDown);
  }, [open]);

  const close = () => {
    setOpen(false);
    buttonRef.current?.focus();
  };

  return (
    <div className="column-chooser">
      <button
        ref={buttonRef}
        type="button"
        className="button"
        aria-haspopup="true"
        aria-expanded={open}
        aria-controls={open ? `${id}box` : undefined}
        onClick={() => setOpen((o) => !o)}
      >
        Columns
      </button>
      {open && (
        <div
          ref={boxRef}
          id={`${id}box`}
          role="group"
          aria-label="Columns shown"
          className="popover column-list"
          onKeyDown={(e) => {
            if (e.key === "Escape") {
              e.preventDefault();
              e.stopPropagation();
              close();
            }
          }}
        >
          {OPTIONAL_COLUMNS.map((c) => (
            <label key={c.id} className="check">
              <input
                type="checkbox"
                checked={visibility[c.id] !== false}
                onChange={(e) => onChange({ ...visibility, [c.id]: e.target.checked })}
              />
              {c.label}
            </label>
          ))}
        </div>
      )}
    </div>
  );
}
