// Settings → Integrations: each CRM and calendar integration's state (connected, needing a reconnect and why, not connected), its account, last result and counts; connecting by pasting a token or hook URL or by signing in through the browser (OAuth), Disconnect, its options, and the Admin's OAuth app (OAuthAppForm).
import { useEffect, useId, useRef, useState, type FormEvent } from "react";
import { flushSync } from "react-dom";
import { useMutation, useQuery, useQueryClient, type QueryClient } from "@tanstack/react-query";
import {
  ApiError,
  api,
  errorMessage,
  type IntegrationOptions,
  type IntegrationStatus,
  type OAuthAppView,
  type SignInStarted,
} from "./api";
import { refreshCloud } from "./changes";
import { ConfirmDialog } from "./ConfirmDialog";
import { OAuthAppForm } from "./OAuthAppForm";
import { AdminOnlyNote, useIsAdmin } from "./SettingsFields";
import { INTEGRATIONS_STATUS_KEY, OAUTH_APPS_KEY } from "./queryKeys";
import { waitingText } from "./SyncIndicator";
import { useTauriEvent } from "./useTauriEvent";

type Props = {
  /** The Disconnect confirmation opened or closed: the rest of the window must be inert while it is open. */
  onModalChange: (open: boolean) => void;
};

/** Integrations that sign in through the browser (HubSpot can also take a pasted token). */
const OAUTH = new Set(["hubspot", "salesforce", "google", "exchange"]);
const CALENDARS = new Set(["google", "exchange"]);

/** What an empty API URL means, per integration. */
const DEFAULT_URLS: Record<string, string> = {
  hubspot: "https://api.hubapi.com",
  salesforce: "Your instance's, from the sign-in",
  google: "https://www.googleapis.com",
  exchange: "https://graph.microsoft.com/v1.0",
};

/** Google Calendar's sendUpdates, as Rust spells them, and what they mean to the user. */
const SEND_UPDATES: [string, string][] = [
  ["none", "None"],
  ["externalOnly", "Guests outside Google Calendar only"],
  ["all", "All guests"],
];

type State = "connected" | "reconnect" | "disconnected";

function stateOf(s: IntegrationStatus): State {
  if (s.needs_reconnect) return "reconnect";
  return s.connected ? "connected" : "disconnected";
}

function stateText(s: IntegrationStatus): string {
  switch (stateOf(s)) {
    case "connected":
      return s.account ? `Connected as ${s.account}` : "Connected";
    case "reconnect":
      return `Needs reconnecting: ${s.needs_reconnect}`;
    default:
      return "Not connected";
  }
}

/** Puts what a command answered for one integration into the list Settings shows. */
function putStatus(qc: QueryClient, next: IntegrationStatus): void {
  qc.setQueryData<IntegrationStatus[]>(INTEGRATIONS_STATUS_KEY, (list) => list?.map((s) => (s.name === next.name ? next : s)));
}

const blankToNull = (text: string): string | null => (text.trim() === "" ? null : text.trim());

/** Connecting: a pasted token (HubSpot) or hook URL (Zapier), or Sign in through the browser, and the API URL. */
function ConnectForm({ status }: { status: IntegrationStatus }) {
  const qc = useQueryClient();
  const id = useId();
  const name = status.name;
  const pastes = name === "hubspot" || name === "zapier";
  const oauth = OAUTH.has(name);
  // The pasted credential lives only in its password field: read when Connect is pressed, never kept in state or a cache.
  const tokenRef = useRef<HTMLInputElement>(null);
  /** What the user typed in API URL; null until they type, so the one in use shows. */
  const [url, setUrl] = useState<string | null>(null);
  const [tokenMissing, setTokenMissing] = useState(false);
  /** The link the browser was sent to, while the app waits for it to come back. */
  const [signInUrl, setSignInUrl] = useState<string | null>(null);
  const [copied, setCopied] = useState(false);
  const awaiting = useRef(false);
  const shownUrl = url ?? status.url ?? "";

  const connect = useMutation({
    mutationFn: () => api.integrationConnect(name, name === "zapier" ? null : blankToNull(shownUrl), tokenRef.current?.value ?? ""),
    onSuccess: (next) => {
      if (tokenRef.current) tokenRef.current.value = "";
      setUrl(null);
      putStatus(qc, next);
      refreshCloud(qc);
    },
  });
  const signIn = useMutation({
    mutationFn: () => {
      awaiting.current = true;
      setSignInUrl(null);
      setCopied(false);
      return api.integrationSignIn(name, blankToNull(shownUrl));
    },
    onSuccess: (next) => {
      setUrl(null);
      putStatus(qc, next);
    },
    onSettled: () => {
      awaiting.current = false;
      setSignInUrl(null);
      refreshCloud(qc);
    },
  });

  useTauriEvent<SignInStarted>("integration-sign-in", (started) => {
    if (awaiting.current && started.name === name) setSignInUrl(started.url);
  });

  const onSubmit = (e: FormEvent<HTMLFormElement>) => {
    e.preventDefault();
    if (connect.isPending || signIn.isPending || !pastes) return;
    if ((tokenRef.current?.value ?? "").trim() === "") {
      setTokenMissing(true);
      tokenRef.current?.focus();
      return;
    }
    setTokenMissing(false);
    connect.mutate();
  };

  const copy = async () => {
    if (!signInUrl) return;
    try {
      await navigator.clipboard.writeText(signInUrl);
      setCopied(true);
    } catch {
      // No clipboard for the page: the link stays selectable.
    }
  };

  const busy = connect.isPending || signIn.isPending;
  // A second sign-in ends the first with "canceled": nothing went wrong that the user must hear of.
  const signInError = signIn.isError && !(signIn.error instanceof ApiError && signIn.error.code === "canceled");
  const tokenLabel = name === "zapier" ? "Catch Hook URL" : "Private app token";
  return (
    <form className="integration-connect" onSubmit={onSubmit} noValidate aria-label={`Connect ${status.label}`}>
      {name !== "zapier" && (
        <div className="field">
          <label htmlFor={`${id}url`}>API URL</label>
          <input
            id={`${id}url`}
            data-testid={`integration-url-${name}`}
            type="text"
            inputMode="url"
            autoComplete="off"
            spellCheck={false}
            placeholder={DEFAULT_URLS[name]}
            aria-describedby={`${id}urlhint`}
            value={shownUrl}
            readOnly={busy}
            onChange={(e) => setUrl(e.target.value)}
          />
          <p id={`${id}urlhint`} className="field-hint muted">
            Leave empty for the default.
          </p>
        </div>
      )}
      {pastes && (
        <div className="field">
          <label htmlFor={`${id}token`}>{tokenLabel}</label>
          <input
            ref={tokenRef}
            id={`${id}token`}
            data-testid={`integration-token-${name}`}
            type="password"
            autoComplete="off"
            spellCheck={false}
            readOnly={busy}
            aria-invalid={tokenMissing || undefined}
            aria-describedby={tokenMissing ? `${id}tokenerror` : `${id}tokenhint`}
            onChange={() => {
              if (tokenMissing) setTokenMissing(false);
            }}
          />
          {tokenMissing ? (
            <p id={`${id}tokenerror`} role="alert" className="field-error">
              Enter the {tokenLabel.toLowerCase()}.
            </p>
          ) : (
            <p id={`${id}tokenhint`} className="field-hint muted">
              {name === "zapier"
                ? "From your Zap's Webhooks by Zapier trigger (Catch Hook). It is kept in the keyring."
                : "From HubSpot's Settings → Integrations → Private apps, with the contacts read and write scopes. It is kept in the keyring."}
            </p>
          )}
        </div>
      )}
      {signIn.isPending ? (
        <div className="integration-waiting" role="status" data-testid={`sign-in-waiting-${name}`}>
          <progress aria-label={`Waiting for the browser to sign in to ${status.label}`} />
          <p>Waiting for you to sign in to {status.label} in your browser…</p>
          {signInUrl && (
            <>
              <p className="muted">If your browser did not open, open this link in it:</p>
              <p className="integration-link">
                <code data-testid="sign-in-url">{signInUrl}</code>
              </p>
              <div className="settings-actions">
                <button type="button" className="button" onClick={() => void copy()}>
                  {copied ? "Link copied" : "Copy link"}
                </button>
              </div>
            </>
          )}
        </div>
      ) : (
        <div className="settings-actions">
          {pastes && (
            <button type="submit" className="button primary" data-testid={`integration-connect-${name}`} aria-disabled={busy || undefined}>
              Connect
            </button>
          )}
          {oauth && status.sign_in && (
            <button
              type="button"
              className={pastes ? "button" : "button primary"}
              data-testid={`integration-sign-in-${name}`}
              aria-disabled={busy || undefined}
              onClick={() => {
                if (!busy) signIn.mutate();
              }}
            >
              Sign in with {status.label}
            </button>
          )}
        </div>
      )}
      {oauth && !status.sign_in && (
        <p className="muted">Sign in becomes possible once an Admin sets up the OAuth app below.</p>
      )}
      {(connect.isError || signInError) && (
        <p role="alert" className="form-error">
          {errorMessage(connect.isError ? connect.error : signIn.error)}
        </p>
      )}
    </form>
  );
}

/** "Keep CRM fields in sync" (not for calendars), Google's guest notifications, Exchange's note. */
function Options({ status }: { status: IntegrationStatus }) {
  const qc = useQueryClient();
  const id = useId();
  const name = status.name;
  const set = useMutation({
    mutationFn: (options: IntegrationOptions) => api.integrationSetOptions(name, options),
    onSuccess: (next) => putStatus(qc, next),
  });
  // While a change is on its way, the control shows it.
  const keep = set.isPending ? (set.variables.keep_fields_in_sync ?? status.keep_fields_in_sync) : status.keep_fields_in_sync;
  const sendUpdates = (set.isPending ? set.variables.send_updates : null) ?? status.send_updates ?? "none";
  return (
    <div className="integration-options">
      {/* Kept on the integration's connection: there is none to keep it on before connecting. */}
      {!CALENDARS.has(name) && stateOf(status) !== "disconnected" && (
        <div className="field checkbox-field">
          <input
            id={`${id}keep`}
            data-testid={`integration-keep-fields-${name}`}
            type="checkbox"
            checked={keep}
            aria-describedby={`${id}keephint`}
            onChange={(e) => set.mutate({ keep_fields_in_sync: e.target.checked, send_updates: null })}
          />
          <label htmlFor={`${id}keep`}>Keep CRM fields in sync</label>
          <p id={`${id}keephint`} className="field-hint muted">
            {name === "zapier"
              ? "Each event carries every field that changed, not only email and phones."
              : `Changes to names, company, address and the other fields go to ${status.label} too, not only email and phones.`}
          </p>
        </div>
      )}
      {name === "google" && (
        <div className="field">
          <label htmlFor={`${id}send`}>Guest notifications</label>
          <select
            id={`${id}send`}
            data-testid="integration-send-updates-google"
            value={sendUpdates}
            aria-describedby={`${id}sendhint`}
            onChange={(e) => set.mutate({ keep_fields_in_sync: null, send_updates: e.target.value })}
          >
            {SEND_UPDATES.map(([value, text]) => (
              <option key={value} value={value}>
                {text}
              </option>
            ))}
          </select>
          <p id={`${id}sendhint`} className="field-hint muted">
            Who Google emails when a meeting's guest list changes because a contact's email changed.
          </p>
        </div>
      )}
      {name === "exchange" && <p className="muted">Microsoft notifies guests itself when the list changes.</p>}
      {set.isError && (
        <p role="alert" className="form-error">
          {errorMessage(set.error)}
        </p>
      )}
    </div>
  );
}

function IntegrationCard({
  status,
  app,
  admin,
  onDisconnect,
}: {
  status: IntegrationStatus;
  app: OAuthAppView | undefined;
  /** Connecting, changing and disconnecting are an Admin's: others see the state only. */
  admin: boolean;
  onDisconnect: (s: IntegrationStatus) => void;
}) {
  const id = useId();
  const state = stateOf(status);
  const name = status.name;
  return (
    <section className="integration" data-testid={`integration-${name}`} data-state={state} aria-labelledby={`${id}title`}>
      <h3 id={`${id}title`}>{status.label}</h3>
      <p className="integration-state" data-testid={`integration-state-${name}`} data-state={state}>
        {stateText(status)}
      </p>
      {status.url && state !== "disconnected" && <p className="muted">At {status.url}</p>}
      {status.last_result && (
        <p className="muted" data-testid={`integration-last-${name}`}>
          Last result: {status.last_result}
        </p>
      )}
      {(status.pending > 0 || status.failed > 0) && (
        <p className="muted" data-testid={`integration-counts-${name}`}>
          {waitingText(status.pending, status.failed)}
        </p>
      )}
      {admin && state !== "connected" && <ConnectForm status={status} />}
      {admin && state !== "disconnected" && (
        <div className="settings-actions">
          <button
            type="button"
            className="button"
            data-testid={`integration-disconnect-${name}`}
            aria-label={`Disconnect ${status.label}`}
            onClick={() => onDisconnect(status)}
          >
            Disconnect
          </button>
        </div>
      )}
      {admin ? <Options status={status} /> : (
        <fieldset className="plain-fieldset" disabled>
          <Options status={status} />
        </fieldset>
      )}
      {admin && OAUTH.has(name) && <OAuthAppForm name={name} label={status.label} app={app} />}
    </section>
  );
}

function DisconnectDialog({
  status,
  onCancel,
  onDone,
}: {
  status: IntegrationStatus;
  onCancel: () => void;
  onDone: () => void;
}) {
  const qc = useQueryClient();
  const disconnect = useMutation({
    mutationFn: () => api.integrationDisconnect(status.name),
    onSuccess: (next) => {
      putStatus(qc, next);
      refreshCloud(qc);
      onDone();
    },
  });
  return (
    <ConfirmDialog
      title={`Disconnect ${status.label}?`}
      confirm="Disconnect"
      pending={disconnect.isPending}
      error={disconnect.isError ? disconnect.error : null}
      onConfirm={() => disconnect.mutate()}
      onCancel={onCancel}
    >
      <p>
        Cardfile forgets its {status.name === "zapier" ? "hook URL" : "token"}: nothing more is sent to {status.label} until you
        connect again.
      </p>
      <p>Nothing already in {status.label} is changed or deleted.</p>
    </ConfirmDialog>
  );
}

export function IntegrationsSettings({ onModalChange }: Props) {
  const id = useId();
  const titleId = `${id}title`;
  const list = useQuery({ queryKey: INTEGRATIONS_STATUS_KEY, queryFn: api.integrationsList, staleTime: 0 });
  const apps = useQuery({ queryKey: OAUTH_APPS_KEY, queryFn: api.oauthApps, staleTime: 0 });
  const [confirming, setConfirming] = useState<IntegrationStatus | null>(null);
  const admin = useIsAdmin();

  // Should the view go while the confirmation is open, the window must not stay inert.
  const modalChange = useRef(onModalChange);
  modalChange.current = onModalChange;
  useEffect(() => () => modalChange.current(false), []);

  const openConfirm = (s: IntegrationStatus) => {
    setConfirming(s);
    onModalChange(true);
  };
  /** Removes the confirmation and lifts the window's inertness at once, so focus can go back into it. */
  const closeConfirm = (name: string, disconnected: boolean) => {
    flushSync(() => {
      setConfirming(null);
      onModalChange(false);
    });
    const card = () => document.querySelector<HTMLElement>(`[data-testid="integration-${name}"]`);
    if (disconnected) {
      // The connect form replaces the button once the new status has rendered.
      window.requestAnimationFrame(() => card()?.querySelector<HTMLElement>("input, button")?.focus());
    } else {
      card()?.querySelector<HTMLElement>(`[data-testid="integration-disconnect-${name}"]`)?.focus();
    }
  };

  return (
    <section className="settings-section integrations" aria-labelledby={titleId} data-testid="settings-integrations">
      <h2 id={titleId}>Integrations</h2>
      <p className="muted">
        When a contact's email or mobile phone changes, Cardfile updates the matching record in your CRM, sends the change to
        Zapier, and updates the guest list of future meetings on Google and Exchange calendars.
      </p>
      {admin === false && <AdminOnlyNote what="integrations" testId="integrations-admin-only" />}
      {list.isError ? (
        <p role="alert" className="form-error">
          {errorMessage(list.error)}
        </p>
      ) : !list.data ? (
        <p className="muted">Loading…</p>
      ) : (
        list.data.map((s) => (
          <IntegrationCard
            key={s.name}
            status={s}
            app={apps.data?.find((a) => a.name === s.name)}
            admin={admin === true}
            onDisconnect={openConfirm}
          />
        ))
      )}
      {apps.isError && (
        <p role="alert" className="form-error">
          {errorMessage(apps.error)}
        </p>
      )}
      {confirming && (
        <DisconnectDialog
          status={confirming}
          onCancel={() => closeConfirm(confirming.name, false)}
          onDone={() => closeConfirm(confirming.name, true)}
        />
      )}
    </section>
  );
}
