// The Settings view: for now its Cloud account section (connect with an API key, the first pull's progress, Sync now, Disconnect); later sections join it here.
import { useEffect, useId, useRef, useState, type FormEvent, type KeyboardEvent } from "react";
import { createPortal, flushSync } from "react-dom";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { api, errorMessage, type CloudStatus, type SyncProgress } from "./api";
import { refreshAfterChange, refreshCloud } from "./changes";
import { formatCount, longDateTime, shortDateTime } from "./format";
import { modalKeyDown } from "./modal";
import { CLOUD_STATUS_KEY, SYNC_STATE_KEY } from "./queryKeys";
import { useTauriEvent } from "./useTauriEvent";

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
          {status.last_pull ? (
            <time dateTime={status.last_pull} title={longDateTime(status.last_pull)}>
              {shortDateTime(status.last_pull)}
            </time>
          ) : (
            "never"
          )}
        </p>
      )}
    </div>
  );
}

function DisconnectDialog({ onCancel, onDone }: { onCancel: () => void; onDone: () => void }) {
  const qc = useQueryClient();
  const id = useId();
  const dialogRef = useRef<HTMLDivElement>(null);
  const cancelRef = useRef<HTMLButtonElement>(null);

  useEffect(() => {
    cancelRef.current?.focus();
  }, []);

  const disconnect = useMutation({
    mutationFn: api.cloudDisconnect,
    onSuccess: (status) => {
      qc.setQueryData(CLOUD_STATUS_KEY, status);
      refreshCloud(qc);
      onDone();
    },
  });
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
        <h2 id={`${id}title`}>Disconnect the cloud account?</h2>
        <div id={`${id}text`}>
          <p>Cardfile forgets the API key: nothing more is sent to the cloud or pulled from it.</p>
          <p>Changes waiting to be sent stay in the Outbox, paused, until you connect again.</p>
        </div>
        {disconnect.isError && (
          <p role="alert" className="form-error">
            {errorMessage(disconnect.error)}
          </p>
        )}
        <div className="dialog-actions">
          <button ref={cancelRef} type="button" className="button" onClick={onCancel}>
            Cancel
          </button>
          <button
            type="button"
            className="button danger"
            aria-disabled={disconnect.isPending || undefined}
            onClick={() => {
              if (!disconnect.isPending) disconnect.mutate();
            }}
          >
            Disconnect
          </button>
        </div>
      </div>
    </div>,
    document.body,
  );
}

function CloudAccountSection({ onModalChange }: Props) {
  const qc = useQueryClient();
  const id = useId();
  const titleId = `${id}title`;
  const status = useQuery({ queryKey: CLOUD_STATUS_KEY, queryFn: api.cloudStatus, staleTime: 0 });
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
    <section className="settings-section" aria-labelledby={titleId}>
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
              <button ref={disconnectRef} type="button" className="button" onClick={openConfirm}>
                Disconnect
              </button>
            </div>
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

export function SettingsView({ onModalChange }: Props) {
  return (
    <div className="settings">
      <CloudAccountSection onModalChange={onModalChange} />
    </div>
  );
}
