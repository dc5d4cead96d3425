// The three-dots menu of a table row: Edit and Delete, keyboard operable, closed by Escape or a click elsewhere.
import { useCallback, useEffect, useLayoutEffect, useRef, useState, type KeyboardEvent } from "react";

type Props = {
  /** The button that opened the menu: the menu sits under it and focus returns to it. */
  anchor: HTMLElement;
  label: string;
  onEdit: () => void;
  onDelete: () => void;
  onClose: (returnFocus: boolean) => void;
};

const GAP = 4;

export function RowMenu({ anchor, label, onEdit, onDelete, onClose }: Props) {
  const menuRef = useRef<HTMLDivElement>(null);
  const [position, setPosition] = useState<{ top: number; left: number } | null>(null);

  // Place the menu under the button, right-aligned, or above it when the window is too short.
  const place = useCallback(() => {
    const menu = menuRef.current;
    if (!menu) return;
    const a = anchor.getBoundingClientRect();
    const width = menu.offsetWidth;
    const height = menu.offsetHeight;
    let top = a.bottom + GAP;
    if (top + height > window.innerHeight - GAP) top = Math.max(GAP, a.top - height - GAP);
    const left = Math.min(Math.max(GAP, a.right - width), window.innerWidth - width - GAP);
    setPosition((p) => (p && p.top === top && p.left === left ? p : { top, left }));
  }, [anchor]);

  useLayoutEffect(() => {
    place();
    menuRef.current?.querySelector<HTMLElement>('[role="menuitem"]')?.focus({ preventScroll: true });
  }, [place]);

  // A press anywhere else, or the window losing focus or size, closes the menu. Scrolling
  // carries it along with its row, and closes it once the row has left the list's viewport.
  useEffect(() => {
    const onPointerDown = (e: PointerEvent) => {
      const target = e.target as Node;
      if (menuRef.current?.contains(target) || anchor.contains(target)) return;
      onClose(false);
    };
    const onScroll = () => {
      const viewport = anchor.closest(".grid-body")?.getBoundingClientRect();
      const a = anchor.getBoundingClientRect();
      if (!anchor.isConnected || (viewport && (a.bottom <= viewport.top || a.top >= viewport.bottom))) onClose(false);
      else place();
    };
    const onDismiss = () => onClose(false);
    document.addEventListener("pointerdown", onPointerDown, true);
    document.addEventListener("scroll", onScroll, true);
    window.addEventListener("resize", onDismiss);
    window.addEventListener("blur", onDismiss);
    return () => {
      document.removeEventListener("pointerdown", onPointerDown, true);
      document.removeEventListener("scroll", onScroll, true);
      window.removeEventListener("resize", onDismiss);
      window.removeEventListener("blur", onDismiss);
    };
  }, [anchor, onClose, place]);

  const onKeyDown = (e: KeyboardEvent<HTMLDivElement>) => {
    const items = Array.from(menuRef.current?.querySelectorAll<HTMLElement>('[role="menuitem"]') ?? []);
    const at = items.indexOf(document.activeElement as HTMLElement);
    const focusAt = (i: number) => items[(i + items.length) % items.length]?.focus();
    switch (e.key) {
      case "Escape":
        onClose(true);
        break;
      case "Tab":
        onClose(false);
        return; // let focus move on
      case "ArrowDown":
        focusAt(at + 1);
        break;
      case "ArrowUp":
        focusAt(at - 1);
        break;
      case "Home":
        focusAt(0);
        break;
      case "End":
        focusAt(items.length - 1);
        break;
      default:
        return;
    }
    e.preventDefault();
    e.stopPropagation();
  };

  return (
    <div
      ref={menuRef}
      role="menu"
      aria-label={label}
      className="menu"
      style={position ?? { top: -9999, left: -9999 }}
      onKeyDown={onKeyDown}
    >
      <button type="button" role="menuitem" tabIndex={-1} className="menu-item" onClick={onEdit}>
        Edit
      </button>
      <button type="button" role="menuitem" tabIndex={-1} className="menu-item danger" onClick={onDelete}>
        Delete
      </button>
    </div>
  );
}
