// Settings → Email: the mail server reminders go out through (host, port, security, user: composed into the `smtp` URL, which never holds the password), its password (to the keyring only; shown as "Configured"), the Admin's CA file for a company's own certificate, the sender address, and "Send test email".
import { useId, useRef, useState, type FormEvent } from "react";
import { useMutation, useQueryClient } from "@tanstack/react-query";
import { api, type Settings } from "./api";
import { CREDENTIALS_KEY, SETTINGS_KEY } from "./queryKeys";
import {
  AdminOnlyNote,
  SaveFooter,
  SecretField,
  TestSend,
  TextField,
  errorAt,
  sentence,
  useCredentials,
  useIsAdmin,
  useSettings,
} from "./SettingsFields";

type Security = "starttls" | "tls" | "none";

/** The `smtp` URL in the parts a person fills in. */
type Server = { host: string; port: string; security: Security; user: string };

const SECURITY: [Security, string][] = [
  ["starttls", "STARTTLS (required)"],
  ["tls", "TLS"],
  ["none", "None"],
];

/** The port each kind of security uses when none is given (as the mail library defaults it). */
const DEFAULT_PORT: Record<Security, string> = { starttls: "587", tls: "465", none: "25" };

const EMPTY: Server = { host: "", port: "", security: "starttls", user: "" };

/** Reads a stored `smtp` URL: smtp://user@host:587?tls=required is STARTTLS, smtps:// is TLS. */
export function parseSmtp(url: string | null): Server {
  if (!url) return EMPTY;
  try {
    const u = new URL(url);
    const security: Security =
      u.protocol === "smtps:" ? "tls" : u.searchParams.get("tls") === "required" ? "starttls" : "none";
    return { host: u.hostname.replace(/^\[|\]$/g, ""), port: u.port, security, user: decodeURIComponent(u.username) };
  } catch {
    return EMPTY;
  }
}

/** The `smtp` URL for these parts: never a password (that is the keyring's). */
export function composeSmtp(s: Server): string {
  const host = s.host.trim();
  const hostPart = host.includes(":") && !host.startsWith("[") ? `[${host}]` : host;
  const user = s.user.trim() === "" ? "" : `${encodeURIComponent(s.user.trim())}@`;
  const port = s.port.trim() === "" ? "" : `:${s.port.trim()}`;
  const scheme = s.security === "tls" ? "smtps" : "smtp";
  return `${scheme}://${user}${hostPart}${port}${s.security === "starttls" ? "?tls=required" : ""}`;
}

type Problems = { host?: string; port?: string; security?: string };

/** What the page can tell at once; Rust checks the composed URL again (and more). */
function check(s: Server): Problems {
  const problems: Problems = {};
  const host = s.host.trim();
  if (host === "") problems.host = "Enter the mail server's name, like mail.example.com.";
  else if (/[\s/@?#]/.test(host)) problems.host = "Enter only the server's name, like mail.example.com.";
  const port = s.port.trim();
  if (port !== "" && !(/^\d{1,5}$/.test(port) && Number(port) >= 1 && Number(port) <= 65535))
    problems.port = "Enter a port from 1 to 65535, or leave it empty.";
  if (s.user.trim() !== "" && s.security === "none")
    problems.security = "A login needs STARTTLS or TLS, so the password never crosses the network readable.";
  return problems;
}

export function EmailSettings() {
  const qc = useQueryClient();
  const id = useId();
  const titleId = `${id}title`;
  const settings = useSettings();
  const credentials = useCredentials();
  const admin = useIsAdmin();
  /** What the user changed; null until they type, so the stored values show. */
  const [server, setServer] = useState<Server | null>(null);
  const [from, setFrom] = useState<string | null>(null);
  const [caFile, setCaFile] = useState<string | null>(null);
  const [problems, setProblems] = useState<Problems>({});
  const [saved, setSaved] = useState<string | null>(null);
  // The password lives only in its password field: read when Save is pressed, never kept in state or a cache.
  const passwordRef = useRef<HTMLInputElement>(null);

  const data = settings.data;
  const stored = parseSmtp(data?.smtp ?? null);
  const shown = server ?? stored;
  const shownFrom = from ?? data?.email_from ?? "";
  const shownCa = caFile ?? data?.smtp_ca_file ?? "";

  const keep = (next: Settings) => qc.setQueryData(SETTINGS_KEY, next);
  // No variables: the mutation cache never holds the password. Each part is saved in turn, and what was saved stays
  // saved should a later part be refused (its error shows at its field).
  const save = useMutation({
    mutationFn: async () => {
      setSaved(null);
      if (admin && server !== null && composeSmtp(server) !== (data?.smtp ?? "")) {
        keep(await api.settingsSet("smtp", composeSmtp(server)));
        setServer(null);
        // A new server forgets the password given for the old one.
        void qc.invalidateQueries({ queryKey: CREDENTIALS_KEY });
      }
      if (admin && caFile !== null && caFile.trim() !== (data?.smtp_ca_file ?? "")) {
        keep(await api.settingsSet("smtp-ca-file", caFile));
        setCaFile(null);
      }
      const password = passwordRef.current?.value ?? "";
      if (admin && password !== "") {
        qc.setQueryData(CREDENTIALS_KEY, await api.credentialSet("smtp-password", password));
        if (passwordRef.current) passwordRef.current.value = "";
      }
      if (from !== null && from.trim() !== (data?.email_from ?? "")) {
        keep(await api.settingsSet("email-from", from));
        setFrom(null);
      }
    },
    onSuccess: () => setSaved("Email settings saved."),
  });

  const choose = useMutation({
    mutationFn: api.chooseCaFile,
    onSuccess: (path) => {
      if (path !== null) setCaFile(path);
    },
  });

  const edit = (change: Partial<Server>) => {
    setServer({ ...shown, ...change });
    setProblems({});
    setSaved(null);
  };

  const onSubmit = (e: FormEvent<HTMLFormElement>) => {
    e.preventDefault();
    if (save.isPending) return;
    const found = admin && server !== null ? check(server) : {};
    setProblems(found);
    if (Object.keys(found).length > 0) return;
    save.mutate();
  };

  const readOnly = admin !== true;
  const fields = ["smtp", "smtp_ca_file", "smtp_password", "email_from"];
  const serverError = errorAt(save.error, "smtp");
  return (
    <section className="settings-section" aria-labelledby={titleId} data-testid="settings-email">
      <h2 id={titleId}>Email</h2>
      <p className="muted">The mail server reminders and follow-ups are sent through, and the address they come from.</p>
      {settings.isError ? (
        <p role="alert" className="form-error">
          {sentence(String(settings.error.message))}
        </p>
      ) : !data ? (
        <p className="muted">Loading…</p>
      ) : (
        <>
          <form onSubmit={onSubmit} noValidate aria-label="Email settings" className={readOnly ? "role-readonly" : undefined}>
            {admin === false && <AdminOnlyNote what="the mail server, its password and its CA file" testId="email-admin-only" />}
            <div className="settings-grid">
              <TextField
                label="Mail server"
                value={shown.host}
                onChange={(host) => edit({ host })}
                readOnly={readOnly}
                placeholder="mail.example.com"
                testId="smtp-host"
                error={problems.host ?? serverError}
              />
              <TextField
                label="SMTP port"
                value={shown.port}
                onChange={(port) => edit({ port })}
                readOnly={readOnly}
                inputMode="numeric"
                placeholder={DEFAULT_PORT[shown.security]}
                testId="smtp-port"
                className="settings-port"
                error={problems.port}
              />
            </div>
            <div className="settings-grid">
              <div className="field">
                <label htmlFor={`${id}security`}>Security</label>
                <select
                  id={`${id}security`}
                  data-testid="smtp-security"
                  value={shown.security}
                  disabled={readOnly}
                  aria-invalid={problems.security ? true : undefined}
                  aria-describedby={problems.security ? `${id}securityerror` : undefined}
                  onChange={(e) => edit({ security: e.target.value as Security })}
                >
                  {SECURITY.map(([value, text]) => (
                    <option key={value} value={value}>
                      {text}
                    </option>
                  ))}
                </select>
                {problems.security && (
                  <p id={`${id}securityerror`} role="alert" className="field-error">
                    {problems.security}
                  </p>
                )}
              </div>
              <TextField
                label="User name"
                value={shown.user}
                onChange={(user) => edit({ user })}
                readOnly={readOnly}
                placeholder="Empty: no login"
                testId="smtp-user"
              />
            </div>
            <SecretField
              label="Password"
              configured={credentials.data?.smtp_password ?? false}
              inputRef={passwordRef}
              readOnly={readOnly}
              testId="smtp-password"
              error={errorAt(save.error, "smtp_password")}
              hint={
                credentials.data?.keyring_error
                  ? sentence(credentials.data.keyring_error)
                  : "Kept in your system's keyring, never in Cardfile's database. Changing the server forgets it."
              }
              onInput={() => setSaved(null)}
            />
            <div className="settings-grid settings-file">
              <TextField
                label="CA certificate file"
                value={shownCa}
                onChange={(v) => {
                  setCaFile(v);
                  setSaved(null);
                }}
                readOnly={readOnly}
                placeholder="Empty: the usual certificate authorities"
                testId="smtp-ca-file"
                error={errorAt(save.error, "smtp_ca_file") ?? (choose.isError ? sentence(choose.error.message) : null)}
                hint="A PEM file, for a mail server whose certificate your company issued itself."
              />
              {admin === true && (
                <button
                  type="button"
                  className="button"
                  data-testid="smtp-ca-choose"
                  aria-label="Choose the CA certificate file"
                  onClick={() => choose.mutate()}
                >
                  Choose…
                </button>
              )}
            </div>
            <TextField
              label="Sender address"
              value={shownFrom}
              onChange={(v) => {
                setFrom(v);
                setSaved(null);
              }}
              inputMode="email"
              placeholder="bookings@example.com"
              testId="email-from"
              error={errorAt(save.error, "email_from")}
              hint="Reminders come from this address, under the meeting host's name."
            />
            <SaveFooter testId="email-save" pending={save.isPending} saved={saved} error={save.error} fields={fields} />
          </form>
          <TestSend
            label="Send a test email to"
            button="Send test email"
            testId="test-email"
            inputMode="email"
            send={api.sendTestEmail}
            sentText={(to) => `Test email sent to ${to}: check that inbox.`}
          />
        </>
      )}
    </section>
  );
}
