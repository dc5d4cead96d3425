// The pane beside the table that adds or edits one contact; an error from Rust shows next to the field it concerns, a clash with another contact opens the merge prompt.
import { useEffect, useId, useRef, useState, type FormEvent, type ReactNode } from "react";
import { flushSync } from "react-dom";
import { useMutation, useQueryClient } from "@tanstack/react-query";
import { ApiError, STATUSES, api, errorMessage, type Contact, type ContactFields, type MergePlan } from "./api";
import { FIELD_LABELS, displayName, longDateTime, shortDateTime } from "./format";
import { ActivityTimeline } from "./ActivityTimeline";
import { HistorySection } from "./HistorySection";
import { IntegrationResults } from "./IntegrationResults";
import { MergeDialog } from "./MergeDialog";
import { refreshAfterChange } from "./changes";

export type PaneMode = { kind: "add" } | { kind: "edit"; contact: Contact };

/** How a save ended: plainly, or by merging into another contact (the one returned). */
export type SaveOutcome = "saved" | "merged";

type TextKey = Exclude<keyof ContactFields, "status" | "has_consent">;
type FormState = Record<TextKey, string> & { status: string; has_consent: boolean };

type TextField = { key: TextKey; label: string; type?: "email" | "tel"; autoComplete?: string };
const F = (key: TextKey, type?: TextField["type"], autoComplete?: string): TextField => ({
  key,
  label: FIELD_LABELS[key],
  type,
  autoComplete,
});
// Rows of the form: two fields on a row share it.
const NAME_ROWS = [[F("first_name", undefined, "given-name"), F("last_name", undefined, "family-name")], [F("salutation", undefined, "honorific-prefix")]];
const CONTACT_ROWS = [[F("email", "email", "email")], [F("mobile_phone", "tel", "mobile tel"), F("phone", "tel", "tel")]];
const WORK_ROWS = [[F("company", undefined, "organization"), F("job_title", undefined, "organization-title")]];
const ADDRESS_ROWS = [
  [F("street_address", undefined, "street-address")],
  [F("city", undefined, "address-level2"), F("state", undefined, "address-level1")],
  [F("post_code", undefined, "postal-code"), F("country", undefined, "country-name")],
  [F("timezone")],
];
const TEXT_KEYS: TextKey[] = [...NAME_ROWS, ...CONTACT_ROWS, ...WORK_ROWS, ...ADDRESS_ROWS].flat().map((f) => f.key).concat("notes");
const ALL_KEYS = new Set<string>([...TEXT_KEYS, "status", "has_consent"]);

// IANA zone names for the Timezone suggestions, where the engine can list them.
const TIME_ZONES: string[] = (() => {
  const intl = Intl as unknown as { supportedValuesOf?: (key: string) => string[] };
  try {
    return intl.supportedValuesOf?.("timeZone") ?? [];
  } catch {
    return [];
  }
})();

function initialState(contact: Contact | null): FormState {
  const state = { status: contact?.status ?? "", has_consent: contact?.has_consent ?? false } as FormState;
  for (const key of TEXT_KEYS) state[key] = contact?.[key] ?? "";
  return state;
}

/**
 * What to send. Add: null for an empty field. Edit: every field as it stands, "" for an emptied one,
 * so clearing works. The consent box sends null while it is untouched on a contact that never had a value.
 */
function toFields(form: FormState, mode: PaneMode, consentTouched: boolean): ContactFields {
  const fields = {} as ContactFields;
  for (const key of TEXT_KEYS) {
    const empty = form[key].trim() === "";
    fields[key] = empty ? (mode.kind === "add" ? null : "") : form[key];
  }
  fields.status = form.status === "" ? (mode.kind === "add" ? null : "") : form.status;
  const hadConsent = mode.kind === "edit" && mode.contact.has_consent !== null;
  fields.has_consent = consentTouched || hadConsent ? form.has_consent : null;
  return fields;
}

type Props = {
  mode: PaneMode;
  /** After a merge `contact` is the survivor. */
  onSaved: (contact: Contact, outcome: SaveOutcome) => void;
  onCancel: () => void;
  /** The merge prompt opened or closed: the rest of the window must be inert while it is open. */
  onModalChange: (open: boolean) => void;
};

/** A save as sent: confirming a merge sends the same fields again with merge=true. */
type SaveRequest = { fields: ContactFields; merge: boolean };
/** The merge prompt: what Rust would do, and the fields that asked for it. */
type PendingMerge = { plan: MergePlan; fields: ContactFields };

export function EditPane({ mode, onSaved, onCancel, onModalChange }: Props) {
  const qc = useQueryClient();
  const id = useId();
  const titleId = `${id}title`;
  const inputId = (key: string) => `${id}${key}`;
  const errorId = (key: string) => `${id}${key}-error`;

  const original = mode.kind === "edit" ? mode.contact : null;
  const [form, setForm] = useState<FormState>(() => initialState(original));
  const [consentTouched, setConsentTouched] = useState(false);
  const [fieldErrors, setFieldErrors] = useState<Partial<Record<string, string>>>({});
  const [formError, setFormError] = useState<string | null>(null);
  const [cannotSave, setCannotSave] = useState(false);
  const [merge, setMerge] = useState<PendingMerge | null>(null);
  const [mergeError, setMergeError] = useState<string | null>(null);
  const firstInput = useRef<HTMLInputElement>(null);
  const formErrorRef = useRef<HTMLDivElement>(null);
  const saveRef = useRef<HTMLButtonElement>(null);

  useEffect(() => {
    firstInput.current?.focus();
  }, []);

  // Should the pane go while its prompt is open, the window must not stay inert.
  const modalChange = useRef(onModalChange);
  modalChange.current = onModalChange;
  useEffect(() => () => modalChange.current(false), []);

  const openMerge = (next: PendingMerge) => {
    setMergeError(null);
    setMerge(next);
    onModalChange(true);
  };
  /** Removes the prompt and lifts the window's inertness at once, so focus can go back into it. */
  const closeMerge = () => {
    flushSync(() => {
      setMerge(null);
      setMergeError(null);
      onModalChange(false);
    });
  };

  const showFormError = (message: string) => {
    setFormError(message);
    window.requestAnimationFrame(() => formErrorRef.current?.scrollIntoView({ block: "nearest" }));
  };

  const save = useMutation({
    mutationFn: ({ fields, merge }: SaveRequest) =>
      mode.kind === "add" ? api.addContact(fields, merge) : api.editContact(mode.contact.id, fields, merge),
    onSuccess: (contact, { merge }) => {
      // A save changes who activities are with; a merge moves them to the survivor.
      refreshAfterChange(qc);
      if (merge) closeMerge();
      onSaved(contact, merge ? "merged" : "saved");
    },
    onError: (e, { fields, merge }) => {
      const err = e instanceof ApiError ? e : null;
      if (err?.code === "merge_needed" && err.plan) {
        // On a confirm this means the contacts changed meanwhile: show the plan as it now stands.
        openMerge({ plan: err.plan, fields });
        return;
      }
      const field = err?.field && ALL_KEYS.has(err.field) ? err.field : null;
      if (merge) {
        if (err?.code !== "cannot_save" && !field) {
          setMergeError(errorMessage(e));
          return;
        }
        // These belong next to the form: close the prompt, keep what was typed.
        closeMerge();
      }
      if (err?.code === "cannot_save") {
        // Say nothing of the other contact: the user may not see it.
        setCannotSave(true);
        window.requestAnimationFrame(() => formErrorRef.current?.scrollIntoView({ block: "nearest" }));
      } else if (field) {
        setFieldErrors({ [field]: err!.message });
        // Focus the field at fault once its message is in the DOM.
        window.requestAnimationFrame(() => document.getElementById(inputId(field))?.focus());
      } else {
        showFormError(errorMessage(e));
      }
    },
  });

  const onSubmit = (e: FormEvent) => {
    e.preventDefault();
    if (save.isPending || merge) return;
    setFieldErrors({});
    setFormError(null);
    setCannotSave(false);
    save.mutate({ fields: toFields(form, mode, consentTouched), merge: false });
  };

  const confirmMerge = () => {
    if (!merge || save.isPending) return;
    setMergeError(null);
    save.mutate({ fields: merge.fields, merge: true });
  };

  const cancelMerge = () => {
    closeMerge();
    saveRef.current?.focus();
  };

  const set = <K extends keyof FormState>(key: K, value: FormState[K]) => {
    setForm((f) => ({ ...f, [key]: value }));
    if (fieldErrors[key]) setFieldErrors((errs) => ({ ...errs, [key]: undefined }));
  };

  /** The props that tie an input to its label and error message. */
  const describe = (key: string) => {
    const error = fieldErrors[key];
    return {
      id: inputId(key),
      name: key,
      "aria-invalid": error ? true : undefined,
      "aria-describedby": error ? errorId(key) : undefined,
    };
  };
  const errorFor = (key: string): ReactNode =>
    fieldErrors[key] ? (
      <p id={errorId(key)} role="alert" className="field-error">
        {fieldErrors[key]}
      </p>
    ) : null;

  const textField = (f: TextField) => (
    <div className="field" key={f.key}>
      <label htmlFor={inputId(f.key)}>{f.label}</label>
      <input
        {...describe(f.key)}
        ref={f.key === "first_name" ? firstInput : undefined}
        type={f.type ?? "text"}
        autoComplete={f.autoComplete ?? "off"}
        spellCheck={false}
        list={f.key === "timezone" && TIME_ZONES.length ? `${id}zones` : undefined}
        value={form[f.key]}
        onChange={(e) => set(f.key, e.target.value)}
      />
      {errorFor(f.key)}
    </div>
  );

  const section = (title: string, rows: TextField[][]) => (
    <section className="pane-section">
      <h3>{title}</h3>
      {rows.map((row) => (
        <div className={`field-row cols-${row.length}`} key={row[0].key}>
          {row.map(textField)}
        </div>
      ))}
    </section>
  );

  return (
    <aside className="pane" aria-labelledby={titleId}>
      <form className="pane-form" onSubmit={onSubmit} noValidate>
        <header className="pane-header">
          <h2 id={titleId}>{mode.kind === "add" ? "Add contact" : "Edit contact"}</h2>
          {original && (
            <p className="pane-subtitle">
              {displayName(original)}
              <span className="muted" title={longDateTime(original.updated_at)}>
                {" "}
                · updated {shortDateTime(original.updated_at)}
              </span>
            </p>
          )}
        </header>

        <div className="pane-body">
          {cannotSave && (
            <div ref={formErrorRef} role="alert" className="form-error cannot-save">
              <p className="alert-title">Cannot Save Contact</p>
              <p>
                This email or mobile phone belongs to a contact you do not have access to. Ask your administrator to resolve the
                contact record conflict.
              </p>
            </div>
          )}
          {formError && (
            <div ref={cannotSave ? undefined : formErrorRef} role="alert" className="form-error">
              {formError}
            </div>
          )}
          {section("Name", NAME_ROWS)}
          {section("Contact details", CONTACT_ROWS)}
          {section("Work", WORK_ROWS)}
          {section("Address", ADDRESS_ROWS)}
          {TIME_ZONES.length > 0 && (
            <datalist id={`${id}zones`}>
              {TIME_ZONES.map((zone) => (
                <option key={zone} value={zone} />
              ))}
            </datalist>
          )}

          <section className="pane-section">
            <h3>Sales</h3>
            <div className="field-row cols-2">
              <div className="field">
                <label htmlFor={inputId("status")}>Status</label>
                <select
                  {...describe("status")}
                  value={form.status}
                  onChange={(e) => set("status", e.target.value)}
                >
                  <option value="">—</option>
                  {[...STATUSES, ...(original?.status && !(STATUSES as readonly string[]).includes(original.status) ? [original.status] : [])].map((s) => (
                    <option key={s} value={s}>
                      {s}
                    </option>
                  ))}
                </select>
                {errorFor("status")}
              </div>
              <div className="field checkbox-field">
                <input
                  {...describe("has_consent")}
                  type="checkbox"
                  checked={form.has_consent}
                  onChange={(e) => {
                    setConsentTouched(true);
                    set("has_consent", e.target.checked);
                  }}
                />
                <label htmlFor={inputId("has_consent")}>Has consent</label>
                {errorFor("has_consent")}
              </div>
            </div>
            <div className="field">
              <label htmlFor={inputId("notes")}>Notes</label>
              <textarea {...describe("notes")} rows={4} value={form.notes} onChange={(e) => set("notes", e.target.value)} />
              {errorFor("notes")}
            </div>
          </section>
          {original && <ActivityTimeline contactId={original.id} />}
          {original && <IntegrationResults contactId={original.id} />}
          {original && <HistorySection contactId={original.id} />}
        </div>

        <footer className="pane-footer">
          <button ref={saveRef} type="submit" className="button primary" aria-disabled={save.isPending || undefined}>
            Save
          </button>
          <button type="button" className="button" onClick={onCancel}>
            Cancel
          </button>
        </footer>
      </form>
      {merge && (
        <MergeDialog
          plan={merge.plan}
          edited={original}
          pending={save.isPending}
          error={mergeError}
          onConfirm={confirmMerge}
          onCancel={cancelMerge}
        />
      )}
    </aside>
  );
}
