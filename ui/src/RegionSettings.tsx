// Settings → Region and appearance: the default phone region (national numbers without a country code are read in it; stored in the database, checked by Rust) and the window's theme (System, Light, Dark; this computer's, applied at once).
import { useId, useState, type FormEvent } from "react";
import { useMutation, useQueryClient } from "@tanstack/react-query";
import { api } from "./api";
import { SETTINGS_KEY } from "./queryKeys";
import { SaveFooter, TextField, errorAt, sentence, useSettings } from "./SettingsFields";
import { setTheme, storedTheme, type Theme } from "./theme";

const THEMES: [Theme, string][] = [
  ["system", "System"],
  ["light", "Light"],
  ["dark", "Dark"],
];

/** "United Kingdom" for GB, in the page's language; null for what is not a region code. */
function regionName(code: string): string | null {
  const c = code.trim().toUpperCase();
  if (!/^[A-Z]{2}$/.test(c)) return null;
  try {
    const name = new Intl.DisplayNames(undefined, { type: "region" }).of(c);
    return name && name !== c ? name : null;
  } catch {
    return null;
  }
}

function ThemeChoice() {
  const id = useId();
  const [theme, choose] = useState<Theme>(storedTheme);
  return (
    <fieldset className="theme-choice" data-testid="theme-choice" aria-describedby={`${id}hint`}>
      <legend>Theme</legend>
      {THEMES.map(([value, label]) => (
        <label key={value} className="theme-option">
          <input
            type="radio"
            name={`${id}theme`}
            value={value}
            checked={theme === value}
            onChange={() => {
              choose(value);
              setTheme(value);
            }}
          />
          {label}
        </label>
      ))}
      <p id={`${id}hint`} className="field-hint muted">
        System follows your computer's light or dark setting. Kept on this computer.
      </p>
    </fieldset>
  );
}

export function RegionSettings() {
  const qc = useQueryClient();
  const id = useId();
  const titleId = `${id}title`;
  const settings = useSettings();
  const [region, setRegion] = useState<string | null>(null);
  const [saved, setSaved] = useState<string | null>(null);
  const shown = region ?? settings.data?.default_region ?? "";

  const save = useMutation({
    mutationFn: (code: string) => api.settingsSet("default-region", code),
    onSuccess: (next) => {
      qc.setQueryData(SETTINGS_KEY, next);
      setRegion(null);
      setSaved(`Default region saved: ${regionName(next.default_region) ?? next.default_region}.`);
    },
  });

  const onSubmit = (e: FormEvent<HTMLFormElement>) => {
    e.preventDefault();
    if (!save.isPending) save.mutate(shown);
  };

  const name = regionName(shown);
  return (
    <section className="settings-section" aria-labelledby={titleId} data-testid="settings-region">
      <h2 id={titleId}>Region and appearance</h2>
      {settings.isError ? (
        <p role="alert" className="form-error">
          {sentence(settings.error.message)}
        </p>
      ) : !settings.data ? (
        <p className="muted">Loading…</p>
      ) : (
        <form onSubmit={onSubmit} noValidate aria-label="Default phone region" className="region-form">
          <TextField
            label="Default phone region"
            value={shown}
            onChange={(v) => {
              setRegion(v.toUpperCase());
              setSaved(null);
              save.reset();
            }}
            placeholder="US"
            testId="default-region"
            className="settings-region"
            error={errorAt(save.error, "default_region")}
            hint={`${name ? `${name}. ` : ""}A two-letter code (US, GB, DE): phone numbers without a country code are read as this country's.`}
          />
          <SaveFooter testId="region-save" pending={save.isPending} saved={saved} error={save.error} fields={["default_region"]} />
        </form>
      )}
      <ThemeChoice />
    </section>
  );
}
