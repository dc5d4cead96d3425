// Settings → SMS: the Twilio-style gateway SMS reminders go out through (its URL and account, an Admin's), its token (to the keyring only; shown as "Configured"), the sending number, and "Send test SMS".
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

/** What the user changed in each field; a field not in here shows its stored value. */
type Draft = { gateway?: string; account?: string; from?: string };

export function SmsSettings() {
  const qc = useQueryClient();
  const id = useId();
  const titleId = `${id}title`;
  const settings = useSettings();
  const credentials = useCredentials();
  const admin = useIsAdmin();
  const [draft, setDraft] = useState<Draft>({});
  const [missing, setMissing] = useState<string | null>(null);
  const [saved, setSaved] = useState<string | null>(null);
  // The token lives only in its password field: read when Save is pressed, never kept in state or a cache.
  const tokenRef = useRef<HTMLInputElement>(null);

  const data = settings.data;
  const gateway = draft.gateway ?? data?.sms_gateway ?? "";
  const account = draft.account ?? data?.sms_account ?? "";
  const from = draft.from ?? data?.sms_from ?? "";
  const changed = (value: string | undefined, stored: string | null | undefined) =>
    value !== undefined && value.trim() !== (stored ?? "");

  const keep = (next: Settings) => qc.setQueryData(SETTINGS_KEY, next);
  const forget = (field: keyof Draft) => setDraft(({ [field]: _, ...rest }) => rest);
  // No variables: the mutation cache never holds the token. Each part is saved in turn (the gateway first: a new one
  // forgets the old one's token), and what was saved stays saved should a later part be refused.
  const save = useMutation({
    mutationFn: async () => {
      setSaved(null);
      if (admin && changed(draft.gateway, data?.sms_gateway)) {
        keep(await api.settingsSet("sms-gateway", gateway));
        forget("gateway");
        void qc.invalidateQueries({ queryKey: CREDENTIALS_KEY });
      }
      if (admin && changed(draft.account, data?.sms_account)) {
        keep(await api.settingsSet("sms-account", account));
        forget("account");
      }
      const token = tokenRef.current?.value ?? "";
      if (admin && token !== "") {
        qc.setQueryData(CREDENTIALS_KEY, await api.credentialSet("sms-token", token));
        if (tokenRef.current) tokenRef.current.value = "";
      }
      if (changed(draft.from, data?.sms_from)) {
        keep(await api.settingsSet("sms-from", from));
        forget("from");
      }
    },
    onSuccess: () => setSaved("SMS settings saved."),
  });

  const edit = (change: Draft) => {
    setDraft((d) => ({ ...d, ...change }));
    setMissing(null);
    setSaved(null);
  };

  const onSubmit = (e: FormEvent<HTMLFormElement>) => {
    e.preventDefault();
    if (save.isPending) return;
    if (admin && changed(draft.gateway, data?.sms_gateway) && gateway.trim() === "") {
      setMissing("Enter the gateway's URL, like https://api.twilio.com.");
      return;
    }
    save.mutate();
  };

  const readOnly = admin !== true;
  const fields = ["sms_gateway", "sms_account", "sms_token", "sms_from"];
  return (
    <section className="settings-section" aria-labelledby={titleId} data-testid="settings-sms">
      <h2 id={titleId}>SMS</h2>
      <p className="muted">The SMS gateway (Twilio or one that speaks its API) that text reminders are sent through.</p>
      {settings.isError ? (
        <p role="alert" className="form-error">
          {sentence(settings.error.message)}
        </p>
      ) : !data ? (
        <p className="muted">Loading…</p>
      ) : (
        <>
          <form onSubmit={onSubmit} noValidate aria-label="SMS settings" className={readOnly ? "role-readonly" : undefined}>
            {admin === false && <AdminOnlyNote what="the SMS gateway, its account and its token" testId="sms-admin-only" />}
            <TextField
              label="Gateway URL"
              value={gateway}
              onChange={(v) => edit({ gateway: v })}
              readOnly={readOnly}
              inputMode="url"
              placeholder="https://api.twilio.com"
              testId="sms-gateway"
              error={missing ?? errorAt(save.error, "sms_gateway")}
            />
            <TextField
              label="Account ID"
              value={account}
              onChange={(v) => edit({ account: v })}
              readOnly={readOnly}
              placeholder="AC0123456789abcdef"
              testId="sms-account"
              error={errorAt(save.error, "sms_account")}
            />
            <SecretField
              label="Auth token"
              configured={credentials.data?.sms_token ?? false}
              inputRef={tokenRef}
              readOnly={readOnly}
              testId="sms-token"
              error={errorAt(save.error, "sms_token")}
              hint={
                credentials.data?.keyring_error
                  ? sentence(credentials.data.keyring_error)
                  : "Kept in your system's keyring, never in Cardfile's database. Changing the gateway forgets it."
              }
              onInput={() => setSaved(null)}
            />
            <TextField
              label="Sender number"
              value={from}
              onChange={(v) => edit({ from: v })}
              inputMode="tel"
              placeholder="+1 646 555 0100"
              testId="sms-from"
              error={errorAt(save.error, "sms_from")}
              hint="The number texts come from; without a country code, the default region's."
            />
            <SaveFooter testId="sms-save" pending={save.isPending} saved={saved} error={save.error} fields={fields} />
          </form>
          <TestSend
            label="Send a test SMS to"
            button="Send test SMS"
            testId="test-sms"
            inputMode="tel"
            send={api.sendTestSms}
            sentText={(to) => `Test SMS sent to ${to}.`}
          />
        </>
      )}
    </section>
  );
}
