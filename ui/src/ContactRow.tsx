// One row of the contacts grid, memoised: a keystroke's new answer redraws only the rows whose contact, place, selection or columns changed (the grid keys rows by contact id).
import { memo, type MouseEvent } from "react";
import type { Column } from "@tanstack/react-table";
import type { Contact, TableRow } from "./api";
import { displayName } from "./format";
import { When } from "./When";

/** A column as the grid shows it: TanStack Table's column (its id and accessor) over table rows. */
export type GridColumn = Column<TableRow, unknown>;

type Props = {
  row: TableRow;
  index: number;
  /** The row's top inside the sizer, in pixels. */
  top: number;
  /** The element id, which aria-activedescendant and the actions button's id follow. */
  id: string;
  selected: boolean;
  menuOpen: boolean;
  /** The columns shown, in order (a stable array while the choice and the users stay the same). */
  columns: GridColumn[];
  onSelect: (index: number) => void;
  onEdit: (contact: Contact) => void;
  onActions: (e: MouseEvent<HTMLButtonElement>, index: number, contact: Contact) => void;
};

const dotsIcon = (
  <svg viewBox="0 0 16 16" width="16" height="16" aria-hidden="true" focusable="false">
    <circle cx="3" cy="8" r="1.5" />
    <circle cx="8" cy="8" r="1.5" />
    <circle cx="13" cy="8" r="1.5" />
  </svg>
);

export const ContactRow = memo(function ContactRow({ row, index, top, id, selected, menuOpen, columns, onSelect, onEdit, onActions }: Props) {
  const contact = row.contact;
  return (
    <div
      role="row"
      aria-rowindex={index + 2}
      aria-selected={selected}
      id={id}
      className={`row${selected ? " selected" : ""}`}
      style={{ top }}
      onClick={() => onSelect(index)}
      onDoubleClick={() => onEdit(contact)}
    >
      {columns.map((column) => {
        if (column.id === "actions") {
          return (
            <div key={column.id} role="gridcell" className="cell cell-actions">
              <button
                type="button"
                id={`${id}-actions`}
                tabIndex={-1}
                className={`icon-button${menuOpen ? " open" : ""}`}
                aria-label={`Actions for ${displayName(contact)}`}
                aria-haspopup="menu"
                aria-expanded={menuOpen}
                onClick={(e) => onActions(e, index, contact)}
                onDoubleClick={(e) => e.stopPropagation()}
              >
                {dotsIcon}
              </button>
            </div>
          );
        }
        const value = String(column.accessorFn?.(row, index) ?? "");
        return (
          <div
            key={column.id}
            role="gridcell"
            className={`cell cell-${column.id}`}
            title={column.id !== "updated_at" ? value : undefined}
          >
            {column.id === "updated_at" ? (
              <When at={value} />
            ) : (
              value
            )}
          </div>
        );
      })}
    </div>
  );
});
