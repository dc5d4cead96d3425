// A confirmation dialog for one consequential action (Disconnect, Rotate token): a real modal with a title and its consequences, Cancel focused first, Escape cancels, the action's error shown inside.
import { useEffect, useId, useRef, type KeyboardEvent, type ReactNode } from "react";
import { createPortal } from "react-dom";
import { errorMessage } from "./api";
import { modalKeyDown } from "./modal";

type Props = {
  title: string;
  /** What the action does, a paragraph or two. */
  children: ReactNode;
  /** The confirming button's label. */
  confirm: string;
  pending: boolean;
  error: unknown;
  onConfirm: () => void;
  onCancel: () => void;
};

export function ConfirmDialog({ title, children, confirm, pending, error, onConfirm, onCancel }: Props) {
  const id = useId();
  const dialogRef = useRef<HTMLDivElement>(null);
  const cancelRef = useRef<HTMLButtonElement>(null);

  useEffect(() => {
    cancelRef.current?.focus();
  }, []);

  const onKeyDown = (e: KeyboardEvent<HTMLDivElement>) => modalKeyDown(e, dialogRef.current, onCancel);

  return createPortal(
    <div className="backdrop">
      <div
        ref={dialogRef}
        role="dialog"
        aria-modal="true"
        aria-labelledby={`${id}title`}
        aria-describedby={`${id}text`}
        className="dialog"
        onKeyDown={onKeyDown}
      >
        <h2 id={`${id}title`}>{title}</h2>
        <div id={`${id}text`}>{children}</div>
        {error != null && (
          <p role="alert" className="form-error">
            {errorMessage(error)}
          </p>
        )}
        <div className="dialog-actions">
          <button ref={cancelRef} type="button" className="button" onClick={onCancel}>
            Cancel
          </button>
          <button
            type="button"
            className="button danger"
            aria-disabled={pending || undefined}
            onClick={() => {
              if (!pending) onConfirm();
            }}
          >
            {confirm}
          </button>
        </div>
      </div>
    </div>,
    document.body,
  );
}
