// The Merge contacts prompt: a save met another contact's email or mobile phone, so this shows who is kept and what each field becomes before anything is merged.
import { modalKeyDown } from "./modal";
import { useEffect, useId, useRef, type KeyboardEvent } from "react";
import { createPortal } from "react-dom";
import { useQueries } from "@tanstack/react-query";
import { api, type Contact, type FieldPlan, type MergeAction, type MergePlan } from "./api";
import { displayName, fieldLabel, fieldValue, listText } from "./format";
import { contactKey } from "./queryKeys";

const ACTION_TEXT: Record<MergeAction, string> = {
  fill: "Filled",
  replace: "Replaced",
  keep: "Kept",
};

type Props = {
  plan: MergePlan;
  /** The contact the pane edits (it folds into the survivor); null when adding. */
  edited: Contact | null;
  /** The edited contact is the one open in the pane (named "this contact"); false from the Review list. */
  inPane?: boolean;
  /** The confirming save is on its way. */
  pending: boolean;
  /** Why the confirming save failed, when it failed in a way the dialog can show. */
  error: string | null;
  onConfirm: () => void;
  onCancel: () => void;
};

type Involved = { id: string; contact: Contact | null; failed: boolean };

function PlanRow({ row }: { row: FieldPlan }) {
  // Kept rows change nothing: quiet. Replaced rows overwrite data: they stand out.
  const quiet = row.action === "keep";
  return (
    <tr className={`plan-row plan-${row.action}${quiet ? " quiet" : ""}`} data-field={row.field} data-action={row.action}>
      <th scope="row">{fieldLabel(row.field)}</th>
      <td className="plan-current">{fieldValue(row.field, row.current)}</td>
      <td className="plan-new">{fieldValue(row.field, row.new)}</td>
      <td className="plan-result">{fieldValue(row.field, row.result)}</td>
      <td className="plan-action">
        <span className={`tag tag-${row.action}`}>{ACTION_TEXT[row.action]}</span>
      </td>
    </tr>
  );
}

export function MergeDialog({ plan, edited, inPane = true, pending, error, onConfirm, onCancel }: Props) {
  const id = useId();
  const titleId = `${id}title`;
  const textId = `${id}text`;
  const dialogRef = useRef<HTMLDivElement>(null);
  const cancelRef = useRef<HTMLButtonElement>(null);

  useEffect(() => {
    cancelRef.current?.focus();
  }, []);

  // The other contacts are fetched to be named; the one being edited is already known.
  const others = plan.merge_with.filter((cid) => cid !== edited?.id);
  const fetched = useQueries({
    queries: others.map((cid) => ({
      queryKey: contactKey(cid),
      queryFn: () => api.getContact(cid),
      staleTime: 0,
    })),
  });
  const involved: Involved[] = plan.merge_with.map((cid) => {
    if (edited && cid === edited.id) return { id: cid, contact: edited, failed: false };
    const q = fetched[others.indexOf(cid)];
    return { id: cid, contact: q?.data ?? null, failed: q?.isError ?? false };
  });
  const nameOf = (p: Involved) => (p.contact ? displayName(p.contact) : p.failed ? "another contact" : "…");

  const [survivor, ...folded] = involved;
  const foldedNames = folded.map((p) => (inPane && p.contact && p.id === edited?.id ? `${nameOf(p)} (this contact)` : nameOf(p)));
  if (!edited) foldedNames.push("your new entry");
  const keptText = survivor
    ? `${nameOf(survivor)} will be kept; ${listText(foldedNames)} will be merged into it.`
    : `${listText(foldedNames)} will be merged.`;
  const listed = involved.filter((p) => p.id !== edited?.id);

  const cancel = () => {
    if (!pending) onCancel();
  };

  const onKeyDown = (e: KeyboardEvent<HTMLDivElement>) => modalKeyDown(e, dialogRef.current, cancel);

  return createPortal(
    <div className="backdrop">
      <div
        ref={dialogRef}
        role="dialog"
        aria-modal="true"
        aria-labelledby={titleId}
        aria-describedby={textId}
        className="dialog merge-dialog"
        onKeyDown={onKeyDown}
      >
        <h2 id={titleId}>Merge contacts</h2>
        <div className="merge-body">
          <p>
            {listed.length === 1 ? "This email or mobile phone already belongs to:" : "This email and mobile phone already belong to:"}
          </p>
          <ul className="merge-contacts" aria-label="Contacts to merge">
            {listed.map((p) => (
              <li key={p.id} className={p === survivor ? "survivor" : undefined}>
                <strong>{nameOf(p)}</strong>
                {p.contact?.email && <span className="muted"> · {p.contact.email}</span>}
                {p.contact?.mobile_phone && <span className="muted"> · {p.contact.mobile_phone}</span>}
              </li>
            ))}
          </ul>
          <p id={textId} className="merge-kept">
            {keptText}
          </p>

          <table className="merge-plan">
            <caption>Merge plan</caption>
            <thead>
              <tr>
                <th scope="col">Field</th>
                <th scope="col">Current</th>
                <th scope="col">New</th>
                <th scope="col">Result</th>
                <th scope="col">Change</th>
              </tr>
            </thead>
            <tbody>
              {plan.fields.map((row) => (
                <PlanRow key={row.field} row={row} />
              ))}
            </tbody>
          </table>
          <p className="merge-rule muted">
            Blank fields are filled in and different values are replaced by the new ones. Empty fields in the new entry never clear
            existing data: those values are kept.
          </p>
          {error && (
            <p role="alert" className="form-error">
              {error}
            </p>
          )}
        </div>
        <div className="dialog-actions">
          <button ref={cancelRef} type="button" className="button" onClick={cancel}>
            Cancel
          </button>
          <button
            type="button"
            className="button primary"
            aria-disabled={pending || undefined}
            onClick={() => {
              if (!pending) onConfirm();
            }}
          >
            Merge
          </button>
        </div>
      </div>
    </div>,
    document.body,
  );
}
