// The pieces Settings' Reminders, Email, SMS and Region sections share: a labelled text field with its hint or its error beside it, the password field that only says "Configured", a test send, the read-only note an Admin-only part shows a Member, and the stored settings and keyring state they read.
import { useId, useState, type FormEvent, type Ref } from "react";
import { useMutation, useQuery } from "@tanstack/react-query";
import { ApiError, api, errorMessage } from "./api";
import { APP_INFO_KEY, CREDENTIALS_KEY, SETTINGS_KEY } from "./queryKeys";

/** The stored settings, kept current by what each save answers. */
export function useSettings() {
  return useQuery({ queryKey: SETTINGS_KEY, queryFn: api.settingsShow, staleTime: 0 });
}

/** Whether the keyring holds each credential (never what). */
export function useCredentials() {
  return useQuery({ queryKey: CREDENTIALS_KEY, queryFn: api.credentialsStatus, staleTime: 0 });
}

/**
 * Whether the signed-in user is an Admin; null until known. Admin-only parts are editable only on true and say they are
 * an Admin's only on false, so nothing flickers while the role loads.
 */
export function useIsAdmin(): boolean | null {
  const info = useQuery({ queryKey: APP_INFO_KEY, queryFn: api.appInfo });
  return info.data ? info.data.role === "admin" : null;
}

/** What an error says about one of `fields` (Rust names the field it refuses), else null. */
export function errorAt(error: unknown, ...fields: string[]): string | null {
  if (error instanceof ApiError && error.field !== null && fields.includes(error.field)) return sentence(error.message);
  return null;
}

/** An error that names none of `fields`: shown under the section's Save instead. */
export function errorElsewhere(error: unknown, ...fields: string[]): string | null {
  if (!error) return null;
  if (error instanceof ApiError && error.field !== null && fields.includes(error.field)) return null;
  return sentence(errorMessage(error));
}

/** Rust's messages start in lower case (they are also CLI output); beside a field they read as a sentence. */
export function sentence(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}

type TextFieldProps = {
  label: string;
  value: string;
  onChange: (value: string) => void;
  /** Shown under the field until there is an error. */
  hint?: string;
  error?: string | null;
  readOnly?: boolean;
  placeholder?: string;
  inputMode?: "text" | "url" | "email" | "numeric" | "tel";
  testId?: string;
  className?: string;
  inputRef?: Ref<HTMLInputElement>;
};

/** A labelled text field whose error replaces its hint, both tied to it for screen readers. */
export function TextField({
  label,
  value,
  onChange,
  hint,
  error,
  readOnly,
  placeholder,
  inputMode = "text",
  testId,
  className,
  inputRef,
}: TextFieldProps) {
  const id = useId();
  const note = error ? `${id}error` : hint ? `${id}hint` : undefined;
  return (
    <div className={`field${className ? ` ${className}` : ""}`}>
      <label htmlFor={`${id}input`}>{label}</label>
      <input
        ref={inputRef}
        id={`${id}input`}
        data-testid={testId}
        type="text"
        inputMode={inputMode}
        autoComplete="off"
        spellCheck={false}
        readOnly={readOnly}
        placeholder={placeholder}
        aria-invalid={error ? true : undefined}
        aria-describedby={note}
        value={value}
        onChange={(e) => onChange(e.target.value)}
      />
      {error ? (
        <p id={`${id}error`} role="alert" className="field-error">
          {error}
        </p>
      ) : (
        hint && (
          <p id={`${id}hint`} className="field-hint muted">
            {hint}
          </p>
        )
      )}
    </div>
  );
}

type SecretFieldProps = {
  label: string;
  /** Whether the keyring holds one already: the field then says "configured", never what it is. */
  configured: boolean;
  inputRef: Ref<HTMLInputElement>;
  error?: string | null;
  hint: string;
  readOnly?: boolean;
  testId?: string;
  onInput?: () => void;
};

/**
 * A password or token: typed into a password field, read from it only when saved, and never kept in the page's state or
 * shown back. The keyring's state shows as "Configured" beside the label.
 */
export function SecretField({ label, configured, inputRef, error, hint, readOnly, testId, onInput }: SecretFieldProps) {
  const id = useId();
  return (
    <div className="field">
      <label htmlFor={`${id}input`}>
        {label}{" "}
        <span className={`secret-state${configured ? " configured" : ""}`} data-testid={testId && `${testId}-state`}>
          {configured ? "Configured" : "Not set"}
        </span>
      </label>
      <input
        ref={inputRef}
        id={`${id}input`}
        data-testid={testId}
        type="password"
        autoComplete="new-password"
        spellCheck={false}
        readOnly={readOnly}
        disabled={readOnly}
        placeholder={configured ? "Stored in the keyring: type to replace it" : undefined}
        aria-invalid={error ? true : undefined}
        aria-describedby={error ? `${id}error` : `${id}hint`}
        onChange={onInput}
      />
      {error ? (
        <p id={`${id}error`} role="alert" className="field-error">
          {error}
        </p>
      ) : (
        <p id={`${id}hint`} className="field-hint muted">
          {hint}
        </p>
      )}
    </div>
  );
}

/** What a Member sees above the Admin-only part of a section. */
export function AdminOnlyNote({ what, testId }: { what: string; testId?: string }) {
  return (
    <p className="admin-only-note" data-testid={testId}>
      Only an Admin can change {what}: ask your administrator.
    </p>
  );
}

/** "Saved." after a save, in a live region so a screen reader hears it. */
/** A settings form's Save button, what the last save did, and its error that belongs to no field. */
export function SaveFooter(props: { testId: string; pending: boolean; saved: string | null; error: unknown; fields: string[] }) {
  const elsewhere = errorElsewhere(props.error, ...props.fields);
  return (
    <>
      <div className="settings-actions">
        <button type="submit" className="button primary" data-testid={props.testId} aria-disabled={props.pending || undefined}>
          Save
        </button>
      </div>
      <SavedNote text={props.saved} />
      {elsewhere && (
        <p role="alert" className="form-error">
          {elsewhere}
        </p>
      )}
    </>
  );
}

export function SavedNote({ text }: { text: string | null }) {
  return (
    <p role="status" className="muted settings-saved">
      {text ?? ""}
    </p>
  );
}

type TestSendProps = {
  label: string;
  button: string;
  testId: string;
  inputMode: "email" | "tel";
  send: (to: string) => Promise<void>;
  sentText: (to: string) => string;
};

/** "Send test email" / "Send test SMS": to an address typed here, with the saved settings, as reminders go. */
export function TestSend({ label, button, testId, inputMode, send, sentText }: TestSendProps) {
  const [to, setTo] = useState("");
  const test = useMutation({ mutationFn: (address: string) => send(address) });
  const onSubmit = (e: FormEvent<HTMLFormElement>) => {
    e.preventDefault();
    if (!test.isPending) test.mutate(to.trim());
  };
  // A refused address shows at its field; why the channel failed (login refused, certificate) under the button.
  const other = errorElsewhere(test.error, "to");
  return (
    <form className="settings-test" onSubmit={onSubmit} noValidate aria-label={button}>
      <TextField
        label={label}
        value={to}
        onChange={(v) => {
          setTo(v);
          test.reset();
        }}
        inputMode={inputMode}
        testId={`${testId}-to`}
        error={errorAt(test.error, "to")}
        hint="It goes out with the saved settings, as reminders do."
      />
      <div className="settings-actions">
        <button type="submit" className="button" data-testid={`${testId}-send`} aria-disabled={test.isPending || undefined}>
          {test.isPending ? "Sending…" : button}
        </button>
      </div>
      <p role="status" className="muted settings-saved" data-testid={`${testId}-result`}>
        {test.isSuccess ? sentText(test.variables) : ""}
      </p>
      {other && (
        <p role="alert" className="form-error" data-testid={`${testId}-error`}>
          {other}
        </p>
      )}
    </form>
  );
}
