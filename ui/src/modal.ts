// The keyboard rules every Cardfile modal dialog shares: Escape cancels, Tab stays inside.
import type { KeyboardEvent } from "react";

/** Handles a keydown inside `dialog`; `focusable` selects what Tab cycles through. */
export function modalKeyDown(
  e: KeyboardEvent<HTMLElement>,
  dialog: HTMLElement | null,
  onCancel: () => void,
  focusable = "button:not([disabled])",
): void {
  if (e.key === "Escape") {
    e.preventDefault();
    e.stopPropagation();
    onCancel();
    return;
  }
  if (e.key !== "Tab") return;
  const stops = Array.from(dialog?.querySelectorAll<HTMLElement>(focusable) ?? []);
  if (stops.length === 0) return;
  const first = stops[0];
  const last = stops[stops.length - 1];
  if (e.shiftKey && document.activeElement === first) {
    e.preventDefault();
    last.focus();
  } else if (!e.shiftKey && document.activeElement === last) {
    e.preventDefault();
    first.focus();
  }
}
