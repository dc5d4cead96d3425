// The confirmation before a contact is deleted for good: a real modal dialog that starts on Cancel.
import { modalKeyDown } from "./modal";
import { useEffect, useId, useRef, useState, type KeyboardEvent } from "react";
import { useMutation, useQueryClient } from "@tanstack/react-query";
import { api, errorMessage, type Contact } from "./api";
import { displayName } from "./format";
import { refreshAfterChange } from "./changes";

type Props = {
  contact: Contact;
  onCancel: () => void;
  onDeleted: (contact: Contact) => void;
};

export function DeleteDialog({ contact, onCancel, onDeleted }: Props) {
  const qc = useQueryClient();
  const id = useId();
  const dialogRef = useRef<HTMLDivElement>(null);
  const cancelRef = useRef<HTMLButtonElement>(null);
  const [error, setError] = useState<string | null>(null);

  useEffect(() => {
    cancelRef.current?.focus();
  }, []);

  const remove = useMutation({
    mutationFn: () => api.deleteContact(contact.id),
    onSuccess: () => {
      // Its activities stay for reporting, now marked as with a deleted contact.
      refreshAfterChange(qc);
      onDeleted(contact);
    },
    onError: (e) => setError(errorMessage(e)),
  });

  const onKeyDown = (e: KeyboardEvent<HTMLDivElement>) => modalKeyDown(e, dialogRef.current, onCancel);

  const name = displayName(contact);
  return (
    <div className="backdrop">
      <div
        ref={dialogRef}
        role="alertdialog"
        aria-modal="true"
        aria-labelledby={`${id}title`}
        aria-describedby={`${id}text`}
        className="dialog"
        onKeyDown={onKeyDown}
      >
        <h2 id={`${id}title`}>Delete contact</h2>
        <p id={`${id}text`}>
          <strong>{name}</strong> will be deleted permanently. This cannot be undone.
        </p>
        {error && (
          <p role="alert" className="form-error">
            {error}
          </p>
        )}
        <div className="dialog-actions">
          <button ref={cancelRef} type="button" className="button" onClick={onCancel}>
            Cancel
          </button>
          <button
            type="button"
            className="button danger"
            aria-disabled={remove.isPending || undefined}
            onClick={() => {
              if (!remove.isPending) remove.mutate();
            }}
          >
            Delete contact
          </button>
        </div>
      </div>
    </div>
  );
}
