// The Log activity form: records a meeting, chat or routing form the way a booking would, which finds, creates or updates the customer's contact.
import { modalKeyDown } from "./modal";
import { useEffect, useId, useRef, useState, type FormEvent, type KeyboardEvent, type ReactNode } from "react";
import { useMutation, useQueryClient } from "@tanstack/react-query";
import { ApiError, api, errorMessage, type ActivityKind, type ContactFields, type NewActivity, type Recorded } from "./api";
import { ACTIVITY_KIND_LABELS, MEETING_STATUS_LABELS, displayName } from "./format";
import { refreshAfterChange } from "./changes";

const KINDS = Object.keys(ACTIVITY_KIND_LABELS) as ActivityKind[];
const CALENDARS = [
  ["google", "Google"],
  ["exchange", "Exchange"],
  ["other", "Other"],
] as const;

type TextKey = "first_name" | "last_name" | "email" | "mobile_phone" | "company";
const TEXT_FIELDS: { key: TextKey; label: string; type: "text" | "email" | "tel"; autoComplete: string }[] = [
  { key: "first_name", label: "First name", type: "text", autoComplete: "off" },
  { key: "last_name", label: "Last name", type: "text", autoComplete: "off" },
  { key: "email", label: "Email", type: "email", autoComplete: "off" },
  { key: "mobile_phone", label: "Mobile phone", type: "tel", autoComplete: "off" },
  { key: "company", label: "Company", type: "text", autoComplete: "off" },
];

type FormState = Record<TextKey, string> & {
  kind: ActivityKind;
  status: string;
  starts_at: string;
  ends_at: string;
  calendar: string;
};
type FieldKey = keyof FormState;
const FIELD_KEYS = new Set<string>(["kind", "status", "starts_at", "ends_at", "calendar", ...TEXT_FIELDS.map((f) => f.key)]);
function isFieldKey(field: string): field is FieldKey {
  return FIELD_KEYS.has(field);
}
const isKind = (value: string): value is ActivityKind => (KINDS as string[]).includes(value);

const INITIAL: FormState = {
  kind: "meeting",
  first_name: "",
  last_name: "",
  email: "",
  mobile_phone: "",
  company: "",
  status: "scheduled",
  starts_at: "",
  ends_at: "",
  calendar: "",
};

/** A datetime-local value as RFC 3339 UTC; null when blank; undefined when it does not parse. */
function toRfc3339(value: string): string | null | undefined {
  if (value.trim() === "") return null;
  const d = new Date(value);
  return Number.isNaN(d.getTime()) ? undefined : d.toISOString();
}

function blankToNull(value: string): string | null {
  return value.trim() === "" ? null : value.trim();
}

const KIND_NOUN: Record<ActivityKind, string> = { meeting: "meeting", chat: "chat", form: "routing form" };

/** The status line after logging: "Logged a meeting with Ann Lee (new contact)". */
export function loggedText(recorded: Recorded, fields: ContactFields): string {
  const name = displayName({
    first_name: fields.first_name ?? null,
    last_name: fields.last_name ?? null,
    email: fields.email ?? null,
    mobile_phone: fields.mobile_phone ?? null,
  });
  return `Logged a ${KIND_NOUN[recorded.kind]} with ${name}${recorded.created_contact ? " (new contact)" : ""}`;
}

type Props = {
  onCancel: () => void;
  onLogged: (recorded: Recorded, activity: NewActivity) => void;
};

export function LogActivityDialog({ onCancel, onLogged }: Props) {
  const qc = useQueryClient();
  const id = useId();
  const titleId = `${id}title`;
  const inputId = (key: string) => `${id}${key}`;
  const errorId = (key: string) => `${id}${key}-error`;
  const dialogRef = useRef<HTMLDivElement>(null);
  const firstRef = useRef<HTMLSelectElement>(null);
  const [form, setForm] = useState<FormState>(INITIAL);
  const [fieldErrors, setFieldErrors] = useState<Partial<Record<FieldKey, string>>>({});
  const [formError, setFormError] = useState<string | null>(null);

  useEffect(() => {
    firstRef.current?.focus();
  }, []);

  const showFieldError = (field: FieldKey, message: string) => {
    setFieldErrors({ [field]: message });
    window.requestAnimationFrame(() => document.getElementById(inputId(field))?.focus());
  };

  const record = useMutation({
    mutationFn: (activity: NewActivity) => api.recordActivity(activity),
    onSuccess: (recorded, activity) => {
      refreshAfterChange(qc);
      onLogged(recorded, activity);
    },
    onError: (e) => {
      const raw = e instanceof ApiError ? e.field : null;
      // Rust may name a customer field plainly or under "fields.".
      const field = raw ? raw.replace(/^fields\./, "") : null;
      if (field && isFieldKey(field)) showFieldError(field, e.message);
      else setFormError(errorMessage(e));
    },
  });

  const set = <K extends FieldKey>(key: K, value: FormState[K]) => {
    setForm((f) => ({ ...f, [key]: value }));
    if (fieldErrors[key]) setFieldErrors((errs) => ({ ...errs, [key]: undefined }));
  };

  const onSubmit = (e: FormEvent) => {
    e.preventDefault();
    if (record.isPending) return;
    setFieldErrors({});
    setFormError(null);
    const meeting = form.kind === "meeting";
    const startsAt = meeting ? toRfc3339(form.starts_at) : null;
    const endsAt = meeting ? toRfc3339(form.ends_at) : null;
    if (startsAt === undefined) return showFieldError("starts_at", "Enter a date and time.");
    if (endsAt === undefined) return showFieldError("ends_at", "Enter a date and time.");
    const fields: ContactFields = {
      first_name: blankToNull(form.first_name),
      last_name: blankToNull(form.last_name),
      salutation: null,
      email: blankToNull(form.email),
      mobile_phone: blankToNull(form.mobile_phone),
      phone: null,
      company: blankToNull(form.company),
      job_title: null,
      street_address: null,
      city: null,
      state: null,
      post_code: null,
      country: null,
      timezone: null,
      status: null,
      has_consent: null,
      notes: null,
    };
    record.mutate({
      kind: form.kind,
      fields,
      host: null,
      status: meeting ? blankToNull(form.status) : null,
      starts_at: startsAt,
      ends_at: endsAt,
      calendar: meeting ? blankToNull(form.calendar) : null,
      event_id: null,
    });
  };

  const cancel = () => {
    if (!record.isPending) onCancel();
  };

  const onKeyDown = (e: KeyboardEvent<HTMLDivElement>) => modalKeyDown(e, dialogRef.current, cancel, "button:not([disabled]), input:not([disabled]), select:not([disabled])");

  /** The props that tie a control to its label and error message. */
  const describe = (key: FieldKey) => {
    const error = fieldErrors[key];
    return {
      id: inputId(key),
      name: key,
      "aria-invalid": error ? true : undefined,
      "aria-describedby": error ? errorId(key) : undefined,
    };
  };
  const errorFor = (key: FieldKey): ReactNode =>
    fieldErrors[key] ? (
      <p id={errorId(key)} role="alert" className="field-error">
        {fieldErrors[key]}
      </p>
    ) : null;
  const label = (key: FieldKey, text: string) => <label htmlFor={inputId(key)}>{text}</label>;

  const textField = (f: (typeof TEXT_FIELDS)[number]) => (
    <div className="field" key={f.key}>
      {label(f.key, f.label)}
      <input
        {...describe(f.key)}
        type={f.type}
        autoComplete={f.autoComplete}
        spellCheck={false}
        value={form[f.key]}
        onChange={(e) => set(f.key, e.target.value)}
      />
      {errorFor(f.key)}
    </div>
  );

  return (
    <div className="backdrop">
      <div ref={dialogRef} role="dialog" aria-modal="true" aria-labelledby={titleId} className="dialog log-dialog" onKeyDown={onKeyDown}>
        <form onSubmit={onSubmit} noValidate>
          <h2 id={titleId}>Log activity</h2>
          {formError && (
            <div role="alert" className="form-error">
              {formError}
            </div>
          )}
          <div className="field">
            {label("kind", "Kind")}
            <select ref={firstRef} {...describe("kind")} value={form.kind} onChange={(e) => {
                const kind = e.target.value;
                if (isKind(kind)) set("kind", kind);
              }}>
              {KINDS.map((k) => (
                <option key={k} value={k}>
                  {ACTIVITY_KIND_LABELS[k]}
                </option>
              ))}
            </select>
            {errorFor("kind")}
          </div>
          <div className="field-row cols-2">{TEXT_FIELDS.slice(0, 2).map(textField)}</div>
          {textField(TEXT_FIELDS[2])}
          <div className="field-row cols-2">{TEXT_FIELDS.slice(3).map(textField)}</div>
          {form.kind === "meeting" && (
            <>
              <div className="field-row cols-2">
                <div className="field">
                  {label("status", "Status")}
                  <select {...describe("status")} value={form.status} onChange={(e) => set("status", e.target.value)}>
                    {Object.entries(MEETING_STATUS_LABELS).map(([value, text]) => (
                      <option key={value} value={value}>
                        {text}
                      </option>
                    ))}
                  </select>
                  {errorFor("status")}
                </div>
                <div className="field">
                  {label("calendar", "Calendar")}
                  <select {...describe("calendar")} value={form.calendar} onChange={(e) => set("calendar", e.target.value)}>
                    <option value="">—</option>
                    {CALENDARS.map(([value, text]) => (
                      <option key={value} value={value}>
                        {text}
                      </option>
                    ))}
                  </select>
                  {errorFor("calendar")}
                </div>
              </div>
              <div className="field-row cols-2">
                <div className="field">
                  {label("starts_at", "Starts at")}
                  <input {...describe("starts_at")} type="datetime-local" value={form.starts_at} onChange={(e) => set("starts_at", e.target.value)} />
                  {errorFor("starts_at")}
                </div>
                <div className="field">
                  {label("ends_at", "Ends at")}
                  <input {...describe("ends_at")} type="datetime-local" value={form.ends_at} onChange={(e) => set("ends_at", e.target.value)} />
                  {errorFor("ends_at")}
                </div>
              </div>
            </>
          )}
          <div className="dialog-actions">
            <button type="button" className="button" onClick={cancel}>
              Cancel
            </button>
            <button type="submit" className="button primary" aria-disabled={record.isPending || undefined}>
              Save
            </button>
          </div>
        </form>
      </div>
    </div>
  );
}
