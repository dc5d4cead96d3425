// The Settings view: Reminders and follow-up, Email, SMS, Region and appearance (each its own file), then its Cloud account section (connect with an API key, the first pull's progress, Sync now, Disconnect), its Integrations section (IntegrationsSettings.tsx) and its Local API section (a switch that runs the local REST API, its URL and the token, Copy and Rotate token).
import { useEffect, useId, useRef, useState, type FormEvent } from "react";
import { flushSync } from "react-dom";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { api, errorMessage, type CloudStatus, type LocalApiStatus, type SyncProgress } from "./api";
import { refreshAfterChange, refreshCloud } from "./changes";
import { formatCount } from "./format";
import { API_TOKEN_KEY, CLOUD_STATUS_KEY, LOCAL_API_KEY, SYNC_STATE_KEY } from "./queryKeys";
import { useTauriEvent } from "./useTauriEvent";
import { ConfirmDialog } from "./ConfirmDialog";
import { EmailSettings } from "./EmailSettings";
import { IntegrationsSettings } from "./IntegrationsSettings";
import { RegionSettings } from "./RegionSettings";
import { RemindersSettings } from "./RemindersSettings";
import { AdminOnlyNote, useIsAdmin } from "./SettingsFields";
import { SmsSettings } from "./SmsSettings";
import { When } from "./When";
import "./settings.css";

type Props = {
  /** The Disconnect confirmation opened or closed: the rest of the window must be inert while it is open. */
  onModalChange: (open: boolean) => void;
};

const DEFAULT_URL = "https://api.oncehub.com/v2";
/** How long "Syncing in a few seconds." stays after Sync now (the status bar takes over). */
const SYNC_ASKED_MS = 6_000;

const STAGE_LABELS: Record<string, string> = {
  users: "Pulling users",
  contacts: "Pulling contacts",
  bookings: "Pulling bookings",
};

/** "Pulling contacts: 300"; before the first event, the key is being checked. */
function progressText(p: SyncProgress | null): string {
  if (!p) return "Checking the key…";
  const label = STAGE_LABELS[p.stage] ?? `Pulling ${p.stage}`;
  return p.done > 0 ? `${label}: ${formatCount(p.done)}` : `${label}…`;
}

function AccountState({ status }: { status: CloudStatus }) {
  const paused = !status.configured && status.url !== null;
  return (
    <div className="cloud-state">
      <p className="cloud-connection" data-connected={status.configured || undefined}>
        {status.configured
          ? `Connected to ${status.account || "the cloud account"} at ${status.url ?? DEFAULT_URL}`
          : paused
            ? "Paused: the key was forgotten"
            : "Not connected"}
      </p>
      {paused && (
        <p className="muted">
          {status.account ? `${status.account} at ${status.url}` : status.url}: changes wait in the Outbox until you connect
          again with a key.
        </p>
      )}
      {status.url !== null && (
        <p className="muted">
          Last pull:{" "}
          {status.last_pull ? <When at={status.last_pull} /> : "never"}
        </p>
      )}
    </div>
  );
}

function DisconnectDialog({ onCancel, onDone }: { onCancel: () => void; onDone: () => void }) {
  const qc = useQueryClient();
  const disconnect = useMutation({
    mutationFn: api.cloudDisconnect,
    onSuccess: (status) => {
      qc.setQueryData(CLOUD_STATUS_KEY, status);
      refreshCloud(qc);
      onDone();
    },
  });
  return (
    <ConfirmDialog
      title="Disconnect the cloud account?"
      confirm="Disconnect"
      pending={disconnect.isPending}
      error={disconnect.isError ? disconnect.error : null}
      onConfirm={() => disconnect.mutate()}
      onCancel={onCancel}
    >
      <p>Cardfile forgets the API key: nothing more is sent to the cloud or pulled from it.</p>
      <p>Changes waiting to be sent stay in the Outbox, paused, until you connect again.</p>
    </ConfirmDialog>
  );
}

function CloudAccountSection({ onModalChange }: Props) {
  const qc = useQueryClient();
  const id = useId();
  const titleId = `${id}title`;
  const status = useQuery({ queryKey: CLOUD_STATUS_KEY, queryFn: api.cloudStatus, staleTime: 0 });
  // Connecting and disconnecting decide where contacts go: an Admin's (Rust refuses others too).
  const admin = useIsAdmin();
  const sync = useQuery({ queryKey: SYNC_STATE_KEY, queryFn: api.syncState, staleTime: Infinity });
  /** What the user typed in API URL; null until they type, so a paused account's URL shows. */
  const [url, setUrl] = useState<string | null>(null);
  // The key lives only in the password field: read when Connect is pressed, never kept in state or a cache.
  const keyRef = useRef<HTMLInputElement>(null);
  const urlRef = useRef<HTMLInputElement>(null);
  const disconnectRef = useRef<HTMLButtonElement>(null);
  const [keyMissing, setKeyMissing] = useState(false);
  const [progress, setProgress] = useState<SyncProgress | null>(null);
  const [confirming, setConfirming] = useState(false);
  const [syncAsked, setSyncAsked] = useState(false);

  // Should the view go while the confirmation is open, the window must not stay inert.
  const modalChange = useRef(onModalChange);
  modalChange.current = onModalChange;
  useEffect(() => () => modalChange.current(false), []);

  useEffect(() => {
    if (!syncAsked) return;
    const timer = window.setTimeout(() => setSyncAsked(false), SYNC_ASKED_MS);
    return () => window.clearTimeout(timer);
  }, [syncAsked]);

  const shownUrl = url ?? status.data?.url ?? "";

  // No variables: the mutation cache never holds the key.
  const connect = useMutation({
    mutationFn: () => {
      const key = keyRef.current?.value ?? "";
      const trimmed = shownUrl.trim();
      return api.cloudConnect(trimmed === "" ? null : trimmed, key);
    },
    onMutate: () => {
      setProgress(null);
      setSyncAsked(false);
    },
    onSuccess: (next) => {
      if (keyRef.current) keyRef.current.value = "";
      setUrl(null);
      qc.setQueryData(CLOUD_STATUS_KEY, next);
      // The first pull brought contacts and users in.
      refreshAfterChange(qc);
    },
    onSettled: () => setProgress(null),
  });
  const syncNow = useMutation({
    mutationFn: api.syncNow,
    onSuccess: () => setSyncAsked(true),
  });

  useTauriEvent<SyncProgress>("cloud-progress", (p) => {
    if (connect.isPending) setProgress(p);
  });

  const onSubmit = (e: FormEvent<HTMLFormElement>) => {
    e.preventDefault();
    if (connect.isPending) return;
    if ((keyRef.current?.value ?? "").trim() === "") {
      setKeyMissing(true);
      keyRef.current?.focus();
      return;
    }
    setKeyMissing(false);
    connect.mutate();
  };

  const openConfirm = () => {
    setConfirming(true);
    onModalChange(true);
  };
  /** Removes the confirmation and lifts the window's inertness at once, so focus can go back into it. */
  const closeConfirm = (disconnected: boolean) => {
    flushSync(() => {
      setConfirming(false);
      onModalChange(false);
    });
    if (disconnected) {
      connect.reset();
      setSyncAsked(false);
      // The form replaces the buttons once the new status has rendered.
      window.requestAnimationFrame(() => urlRef.current?.focus());
    } else {
      disconnectRef.current?.focus();
    }
  };

  const data = status.data;
  const connecting = connect.isPending;
  const lastError = sync.data?.error ?? null;
  return (
    <section className="settings-section" aria-labelledby={titleId} data-testid="settings-cloud">
      <h2 id={titleId}>Cloud account</h2>
      {status.isError ? (
        <p role="alert" className="form-error">
          {errorMessage(status.error)}
        </p>
      ) : !data ? (
        <p className="muted">Loading…</p>
      ) : (
        <>
          <AccountState status={data} />
          {data.configured && lastError && <p className="muted">The last sync stopped: {lastError}</p>}

          {data.configured ? (
            <div className="settings-actions">
              <button type="button" className="button" disabled={syncNow.isPending} onClick={() => syncNow.mutate()}>
                Sync now
              </button>
              {admin === true && (
                <button ref={disconnectRef} type="button" className="button" onClick={openConfirm}>
                  Disconnect
                </button>
              )}
            </div>
          ) : admin === false ? (
            <AdminOnlyNote what="the cloud account" testId="cloud-admin-only" />
          ) : (
            <form className="cloud-form" onSubmit={onSubmit} noValidate aria-label="Connect the cloud account">
              <div className="field">
                <label htmlFor={`${id}url`}>API URL</label>
                <input
                  ref={urlRef}
                  id={`${id}url`}
                  type="text"
                  inputMode="url"
                  autoComplete="off"
                  spellCheck={false}
                  placeholder={DEFAULT_URL}
                  aria-describedby={`${id}urlhint`}
                  value={shownUrl}
                  readOnly={connecting}
                  onChange={(e) => setUrl(e.target.value)}
                />
                <p id={`${id}urlhint`} className="field-hint muted">
                  Leave empty for the default.
                </p>
              </div>
              <div className="field">
                <label htmlFor={`${id}key`}>API key</label>
                <input
                  ref={keyRef}
                  id={`${id}key`}
                  type="password"
                  autoComplete="off"
                  spellCheck={false}
                  readOnly={connecting}
                  aria-invalid={keyMissing || undefined}
                  aria-describedby={keyMissing ? `${id}keyerror` : undefined}
                  onChange={() => {
                    if (keyMissing) setKeyMissing(false);
                  }}
                />
                {keyMissing && (
                  <p id={`${id}keyerror`} role="alert" className="field-error">
                    Enter the API key.
                  </p>
                )}
              </div>
              {connecting ? (
                <div className="cloud-progress">
                  <progress aria-label="Connecting" />
                  <p className="muted" aria-live="polite">
                    {progressText(progress)}
                  </p>
                  <button type="button" className="button" onClick={() => void api.cloudCancel()}>
                    Cancel
                  </button>
                </div>
              ) : (
                <div className="settings-actions">
                  <button type="submit" className="button primary">
                    Connect
                  </button>
                </div>
              )}
              {connect.isError && (
                <p role="alert" className="form-error">
                  {errorMessage(connect.error)}
                </p>
              )}
            </form>
          )}
          {syncNow.isError && (
            <p role="alert" className="form-error">
              {errorMessage(syncNow.error)}
            </p>
          )}
          {syncAsked && (
            <p role="status" className="muted">
              Syncing in a few seconds.
            </p>
          )}
        </>
      )}
      {confirming && <DisconnectDialog onCancel={() => closeConfirm(false)} onDone={() => closeConfirm(true)} />}
    </section>
  );
}

/** A port as typed: a whole number from 1 to 65535, else null. */
function parsePort(text: string): number | null {
  const t = text.trim();
  if (!/^\d{1,5}$/.test(t)) return null;
  const n = Number(t);
  return n >= 1 && n <= 65535 ? n : null;
}

function RotateDialog({ onCancel, onDone }: { onCancel: () => void; onDone: () => void }) {
  const qc = useQueryClient();
  const rotate = useMutation({
    mutationFn: () => api.apiToken(true),
    onSuccess: (token) => {
      qc.setQueryData(API_TOKEN_KEY, token);
      onDone();
    },
  });
  return (
    <ConfirmDialog
      title="Rotate the token?"
      confirm="Rotate token"
      pending={rotate.isPending}
      error={rotate.isError ? rotate.error : null}
      onConfirm={() => rotate.mutate()}
      onCancel={onCancel}
    >
      <p>Cardfile makes a new token for you and forgets the old one.</p>
      <p>Programs using the old token stop working until you give them the new one.</p>
    </ConfirmDialog>
  );
}

/** What the running API shows: its URL and the token (shown by design: programs need it), Copy and Rotate token. */
function RunningApi({ status, onModalChange }: { status: LocalApiStatus } & Props) {
  const id = useId();
  // Read from the keyring while shown; dropped from the cache once the section goes.
  const token = useQuery({ queryKey: API_TOKEN_KEY, queryFn: () => api.apiToken(false), staleTime: Infinity, gcTime: 0 });
  const tokenRef = useRef<HTMLInputElement>(null);
  const rotateRef = useRef<HTMLButtonElement>(null);
  const [copied, setCopied] = useState<"copied" | "selected" | null>(null);
  const [rotating, setRotating] = useState(false);
  const [rotated, setRotated] = useState(false);

  const modalChange = useRef(onModalChange);
  modalChange.current = onModalChange;
  useEffect(() => () => modalChange.current(false), []);

  const copy = async () => {
    const value = token.data;
    if (!value) return;
    setRotated(false);
    try {
      if (!navigator.clipboard?.writeText) throw new Error("no clipboard");
      await navigator.clipboard.writeText(value);
      setCopied("copied");
    } catch {
      // No clipboard for the page: the token is selected for the keyboard's copy.
      tokenRef.current?.focus();
      tokenRef.current?.select();
      setCopied("selected");
    }
  };

  const openRotate = () => {
    setRotating(true);
    onModalChange(true);
  };
  const closeRotate = (done: boolean) => {
    flushSync(() => {
      setRotating(false);
      onModalChange(false);
    });
    if (done) {
      setCopied(null);
      setRotated(true);
    }
    rotateRef.current?.focus();
  };

  return (
    <div className="api-running">
      <div className="field">
        <label htmlFor={`${id}url`}>URL</label>
        <input id={`${id}url`} type="text" readOnly spellCheck={false} value={status.url ?? ""} />
      </div>
      <div className="field">
        <label htmlFor={`${id}token`}>Token</label>
        <input
          ref={tokenRef}
          id={`${id}token`}
          type="text"
          readOnly
          autoComplete="off"
          spellCheck={false}
          className="api-token"
          aria-describedby={`${id}tokenhint`}
          value={token.data ?? ""}
          placeholder={token.isPending ? "Reading the keyring…" : undefined}
        />
        <p id={`${id}tokenhint`} className="field-hint muted">
          Programs send it in the header Authorization: Bearer TOKEN. It acts as you, with your role.
        </p>
      </div>
      {token.isError && (
        <p role="alert" className="form-error">
          {errorMessage(token.error)}
        </p>
      )}
      <div className="settings-actions">
        <button type="button" className="button" disabled={!token.data} onClick={() => void copy()}>
          Copy
        </button>
        <button ref={rotateRef} type="button" className="button" disabled={!token.data} onClick={openRotate}>
          Rotate token
        </button>
      </div>
      <p role="status" className="muted api-copied">
        {copied === "copied"
          ? "Token copied."
          : copied === "selected"
            ? "The token is selected: copy it with Ctrl+C (⌘C on a Mac)."
            : rotated
              ? "Token rotated: the old one no longer works."
              : ""}
      </p>
      {rotating && <RotateDialog onCancel={() => closeRotate(false)} onDone={() => closeRotate(true)} />}
    </div>
  );
}

function LocalApiSection({ onModalChange }: Props) {
  const qc = useQueryClient();
  const id = useId();
  const titleId = `${id}title`;
  const status = useQuery({ queryKey: LOCAL_API_KEY, queryFn: api.localApiStatus, staleTime: 0 });
  /** What the user typed in Port; null until they type, so the remembered port shows. */
  const [port, setPort] = useState<string | null>(null);
  const [portInvalid, setPortInvalid] = useState(false);
  const portRef = useRef<HTMLInputElement>(null);

  const toggle = useMutation({
    mutationFn: (on: { port: number } | null) => (on ? api.localApiStart(on.port) : api.localApiStop()),
    onSuccess: (next) => {
      qc.setQueryData(LOCAL_API_KEY, next);
      setPort(null);
    },
  });

  const data = status.data;
  const running = data?.running ?? false;
  const shownPort = port ?? (data ? String(data.port) : "");

  const onSwitch = (on: boolean) => {
    if (toggle.isPending) return;
    if (!on) {
      toggle.mutate(null);
      return;
    }
    const chosen = parsePort(shownPort);
    if (chosen === null) {
      setPortInvalid(true);
      portRef.current?.focus();
      return;
    }
    setPortInvalid(false);
    toggle.mutate({ port: chosen });
  };

  return (
    <section className="settings-section" aria-labelledby={titleId} data-testid="settings-local-api">
      <h2 id={titleId}>Local API</h2>
      <p className="muted">
        Lets other programs on this computer add, read, update and delete contacts over HTTP, on 127.0.0.1 only. It is off
        each time Cardfile starts.
      </p>
      {status.isError ? (
        <p role="alert" className="form-error">
          {errorMessage(status.error)}
        </p>
      ) : !data ? (
        <p className="muted">Loading…</p>
      ) : (
        <>
          <div className="api-switch">
            <input
              id={`${id}switch`}
              type="checkbox"
              role="switch"
              checked={running}
              disabled={toggle.isPending}
              aria-describedby={toggle.isError ? `${id}switcherror` : undefined}
              onChange={(e) => onSwitch(e.target.checked)}
            />
            <label htmlFor={`${id}switch`}>Run the local API</label>
            {toggle.isError && (
              <p id={`${id}switcherror`} role="alert" className="field-error">
                {errorMessage(toggle.error)}
              </p>
            )}
          </div>
          <div className="field api-port">
            <label htmlFor={`${id}port`}>Port</label>
            <input
              ref={portRef}
              id={`${id}port`}
              type="text"
              inputMode="numeric"
              autoComplete="off"
              spellCheck={false}
              readOnly={running || toggle.isPending}
              aria-invalid={portInvalid || undefined}
              aria-describedby={portInvalid ? `${id}porterror` : `${id}porthint`}
              value={shownPort}
              onChange={(e) => {
                setPort(e.target.value);
                if (portInvalid) setPortInvalid(false);
              }}
            />
            {portInvalid ? (
              <p id={`${id}porterror`} role="alert" className="field-error">
                Enter a port from 1 to 65535.
              </p>
            ) : (
              <p id={`${id}porthint`} className="field-hint muted">
                {running ? "Switch the API off to change it." : "Change it if another program uses this port."}
              </p>
            )}
          </div>
          {running && <RunningApi status={data} onModalChange={onModalChange} />}
        </>
      )}
    </section>
  );
}

/** The sections, in order, for the list of links at the top. */
const SECTIONS = [
  ["settings-reminders", "Reminders"],
  ["settings-email", "Email"],
  ["settings-sms", "SMS"],
  ["settings-region", "Region and theme"],
  ["settings-cloud", "Cloud account"],
  ["settings-integrations", "Integrations"],
  ["settings-local-api", "Local API"],
] as const;

/** Links to each section: they scroll it into view and move focus to its heading. */
function SectionLinks() {
  const go = (testId: string) => {
    const section = document.querySelector<HTMLElement>(`[data-testid="${testId}"]`);
    const heading = section?.querySelector<HTMLElement>("h2");
    section?.scrollIntoView({ block: "start" });
    if (heading) {
      heading.tabIndex = -1;
      heading.focus({ preventScroll: true });
    }
  };
  return (
    <nav className="settings-links" aria-label="Settings sections">
      {SECTIONS.map(([testId, label]) => (
        <button key={testId} type="button" className="link-button" onClick={() => go(testId)}>
          {label}
        </button>
      ))}
    </nav>
  );
}

export function SettingsView({ onModalChange }: Props) {
  return (
    <div className="settings">
      <SectionLinks />
      <RemindersSettings />
      <EmailSettings />
      <SmsSettings />
      <RegionSettings />
      <CloudAccountSection onModalChange={onModalChange} />
      <IntegrationsSettings onModalChange={onModalChange} />
      <LocalApiSection onModalChange={onModalChange} />
    </div>
  );
}
