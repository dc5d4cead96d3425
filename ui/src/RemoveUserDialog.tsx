// Removing a user: a modal that asks first who takes over their contacts and upcoming meetings (it cannot be undone from the window), then removes them in one step.
import { useEffect, useId, useRef, useState, type KeyboardEvent } from "react";
import { createPortal } from "react-dom";
import { useMutation } from "@tanstack/react-query";
import { api, errorMessage, type User } from "./api";
import { plural } from "./format";
import { modalKeyDown } from "./modal";

type Props = {
  user: User;
  /** Who may take over: every other user. */
  others: User[];
  onCancel: () => void;
  /** Done: what happened, for the view to say. */
  onRemoved: (text: string) => void;
};

const nameOf = (u: User) => u.name || u.email;

export function RemoveUserDialog({ user, others, onCancel, onRemoved }: Props) {
  const id = useId();
  const dialogRef = useRef<HTMLDivElement>(null);
  const selectRef = useRef<HTMLSelectElement>(null);
  const [heir, setHeir] = useState("");
  const remove = useMutation({
    mutationFn: () => api.removeUser(user.email, heir),
    onSuccess: (r) => {
      const heirName = nameOf(others.find((o) => o.email === r.reassigned_to) ?? user);
      onRemoved(
        `Removed ${nameOf(user)}: ${plural(r.contacts, "contact", "contacts")} and ${plural(r.activities, "meeting", "meetings")} went to ${heirName}`,
      );
    },
  });

  useEffect(() => {
    selectRef.current?.focus();
  }, []);

  const onKeyDown = (e: KeyboardEvent<HTMLDivElement>) =>
    modalKeyDown(e, dialogRef.current, onCancel, "select, button:not([disabled])");

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
        <h2 id={`${id}title`}>Remove {nameOf(user)}?</h2>
        <p id={`${id}text`}>
          {nameOf(user)} can no longer sign in or own contacts. First choose who takes over their contacts and upcoming
          meetings; the change is in each contact&rsquo;s history.
        </p>
        <div className="field">
          <label htmlFor={`${id}heir`}>Who takes over their contacts</label>
          <select id={`${id}heir`} ref={selectRef} value={heir} onChange={(e) => setHeir(e.target.value)}>
            <option value="">Choose a user…</option>
            {others.map((o) => (
              <option key={o.email} value={o.email}>
                {nameOf(o)} ({o.email})
              </option>
            ))}
          </select>
        </div>
        {remove.error != null && (
          <p role="alert" className="form-error">
            {errorMessage(remove.error)}
          </p>
        )}
        <div className="dialog-actions">
          <button type="button" className="button" onClick={onCancel}>
            Cancel
          </button>
          <button
            type="button"
            className="button danger"
            aria-disabled={remove.isPending || heir === "" || undefined}
            onClick={() => {
              if (!remove.isPending && heir !== "") remove.mutate();
            }}
          >
            Remove {nameOf(user)}
          </button>
        </div>
      </div>
    </div>,
    document.body,
  );
}
