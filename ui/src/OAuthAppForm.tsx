// Settings → Integrations, the Admin's part: the OAuth app Cardfile signs in through for one integration (client id, client secret, the authorization server's URLs when they are not the provider's own, a fixed callback port where the provider needs one), so that person and everyone after can use "Sign in".
import { useId, useRef, useState, type FormEvent } from "react";
import { useMutation, useQueryClient } from "@tanstack/react-query";
import { api, errorMessage, type OAuthAppView } from "./api";
import { refreshCloud } from "./changes";
import { OAUTH_APPS_KEY } from "./queryKeys";

type Props = {
  name: string;
  label: string;
  /** What is registered now (the URLs in effect, the provider's own unless changed); undefined while loading. */
  app: OAuthAppView | undefined;
};

/** What the user typed, per field; null until they type, so what is registered shows. */
type Typed = { clientId: string | null; authorizeUrl: string | null; tokenUrl: string | null; port: string | null };
const UNTOUCHED: Typed = { clientId: null, authorizeUrl: null, tokenUrl: null, port: null };

const blankToNull = (text: string): string | null => (text.trim() === "" ? null : text.trim());

/** A port as typed: null when empty, NaN when not a whole number from 1 to 65535. */
function parsePort(text: string): number | null {
  const t = text.trim();
  if (t === "") return null;
  const n = /^\d{1,5}$/.test(t) ? Number(t) : NaN;
  return n >= 1 && n <= 65535 ? n : NaN;
}

export function OAuthAppForm({ name, label, app }: Props) {
  const qc = useQueryClient();
  const id = useId();
  const [typed, setTyped] = useState<Typed>(UNTOUCHED);
  const [clientMissing, setClientMissing] = useState(false);
  const [portInvalid, setPortInvalid] = useState(false);
  const [saved, setSaved] = useState(false);
  // The secret lives only in its password field: read when Save is pressed, never kept in state or a cache.
  const secretRef = useRef<HTMLInputElement>(null);
  const clientRef = useRef<HTMLInputElement>(null);
  const portRef = useRef<HTMLInputElement>(null);

  const shown = {
    clientId: typed.clientId ?? app?.client_id ?? "",
    authorizeUrl: typed.authorizeUrl ?? app?.authorize_url ?? "",
    tokenUrl: typed.tokenUrl ?? app?.token_url ?? "",
    port: typed.port ?? (app?.redirect_port != null ? String(app.redirect_port) : ""),
  };

  // No variables: the mutation cache never holds the secret.
  const save = useMutation({
    mutationFn: () =>
      api.setOauthApp(name, {
        client_id: shown.clientId.trim(),
        client_secret: blankToNull(secretRef.current?.value ?? ""),
        authorize_url: blankToNull(shown.authorizeUrl),
        token_url: blankToNull(shown.tokenUrl),
        redirect_port: parsePort(shown.port),
      }),
    onMutate: () => setSaved(false),
    onSuccess: (next) => {
      if (secretRef.current) secretRef.current.value = "";
      setTyped(UNTOUCHED);
      setSaved(true);
      qc.setQueryData<OAuthAppView[]>(OAUTH_APPS_KEY, (apps) => apps?.map((a) => (a.name === next.name ? next : a)));
      // Sign in is offered once a client id is set.
      refreshCloud(qc);
    },
  });

  const type = (key: keyof Typed, value: string) => {
    setTyped((t) => ({ ...t, [key]: value }));
    setSaved(false);
    if (key === "clientId") setClientMissing(false);
    if (key === "port") setPortInvalid(false);
  };

  const onSubmit = (e: FormEvent<HTMLFormElement>) => {
    e.preventDefault();
    if (save.isPending) return;
    if (shown.clientId.trim() === "") {
      setClientMissing(true);
      clientRef.current?.focus();
      return;
    }
    if (Number.isNaN(parsePort(shown.port))) {
      setPortInvalid(true);
      portRef.current?.focus();
      return;
    }
    save.mutate();
  };

  return (
    <details className="integration-oauth" data-testid={`oauth-app-${name}`}>
      <summary>OAuth app (Admin)</summary>
      <p className="muted">
        For Sign in, register Cardfile as an app with {label} once, as the README's Integrations section describes, and enter
        its client ID here. Everyone on this computer then signs in through it.
      </p>
      <form onSubmit={onSubmit} noValidate aria-label={`${label} OAuth app`}>
        <div className="field">
          <label htmlFor={`${id}client`}>Client ID</label>
          <input
            ref={clientRef}
            id={`${id}client`}
            data-testid={`oauth-client-id-${name}`}
            type="text"
            autoComplete="off"
            spellCheck={false}
            value={shown.clientId}
            aria-invalid={clientMissing || undefined}
            aria-describedby={clientMissing ? `${id}clienterror` : undefined}
            onChange={(e) => type("clientId", e.target.value)}
          />
          {clientMissing && (
            <p id={`${id}clienterror`} role="alert" className="field-error">
              Enter the client ID.
            </p>
          )}
        </div>
        <div className="field">
          <label htmlFor={`${id}secret`}>Client secret</label>
          <input
            ref={secretRef}
            id={`${id}secret`}
            data-testid={`oauth-client-secret-${name}`}
            type="password"
            autoComplete="off"
            spellCheck={false}
            placeholder={app?.has_secret ? "Saved in the keyring" : "Only if the provider gave one"}
            aria-describedby={`${id}secrethint`}
            onChange={() => setSaved(false)}
          />
          <p id={`${id}secrethint`} className="field-hint muted">
            {app?.has_secret ? "Leave empty to keep the saved one." : "Desktop apps usually have none: leave it empty."}
          </p>
        </div>
        <div className="field">
          <label htmlFor={`${id}authorize`}>Authorization URL</label>
          <input
            id={`${id}authorize`}
            data-testid={`oauth-authorize-url-${name}`}
            type="text"
            inputMode="url"
            autoComplete="off"
            spellCheck={false}
            value={shown.authorizeUrl}
            onChange={(e) => type("authorizeUrl", e.target.value)}
          />
        </div>
        <div className="field">
          <label htmlFor={`${id}token`}>Token URL</label>
          <input
            id={`${id}token`}
            data-testid={`oauth-token-url-${name}`}
            type="text"
            inputMode="url"
            autoComplete="off"
            spellCheck={false}
            value={shown.tokenUrl}
            aria-describedby={`${id}urlhint`}
            onChange={(e) => type("tokenUrl", e.target.value)}
          />
          <p id={`${id}urlhint`} className="field-hint muted">
            {label}'s own unless your organisation signs in elsewhere; empty goes back to {label}'s.
          </p>
        </div>
        <div className="field">
          <label htmlFor={`${id}port`}>Callback port</label>
          <input
            ref={portRef}
            id={`${id}port`}
            data-testid={`oauth-port-${name}`}
            type="text"
            inputMode="numeric"
            autoComplete="off"
            spellCheck={false}
            placeholder="Any free port"
            value={shown.port}
            aria-invalid={portInvalid || undefined}
            aria-describedby={portInvalid ? `${id}porterror` : `${id}porthint`}
            onChange={(e) => type("port", e.target.value)}
          />
          {portInvalid ? (
            <p id={`${id}porterror`} role="alert" className="field-error">
              Enter a port from 1 to 65535, or leave it empty.
            </p>
          ) : (
            <p id={`${id}porthint`} className="field-hint muted">
              Only where the app registration names its callback exactly (Salesforce): register
              http://127.0.0.1:PORT/callback with this port.
            </p>
          )}
        </div>
        <div className="settings-actions">
          <button type="submit" className="button" data-testid={`oauth-save-${name}`} aria-disabled={save.isPending || undefined}>
            Save OAuth app
          </button>
        </div>
        {save.isError && (
          <p role="alert" className="form-error">
            {errorMessage(save.error)}
          </p>
        )}
        <p role="status" className="muted integration-saved">
          {saved ? "Saved: Sign in uses this app." : ""}
        </p>
      </form>
    </details>
  );
}
