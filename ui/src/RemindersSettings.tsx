// Settings → Reminders and follow-up: which reminders a scheduled meeting gets (how long before, by email or SMS) and which follow-up steps a completed one gets (how long after), edited as rows and saved as the text Rust reads ("email 24h, email 1h, sms 1h", or "none").
import { useId, useState, type FormEvent } from "react";
import { useMutation, useQueryClient } from "@tanstack/react-query";
import { api, type SettingKey } from "./api";
import { SETTINGS_KEY } from "./queryKeys";
import { SaveFooter, errorAt, sentence, useSettings } from "./SettingsFields";

type Channel = "email" | "sms";
type Unit = "m" | "h" | "d";
/** One reminder or step as edited: the amount as typed. */
type Step = { channel: Channel; amount: string; unit: Unit };

const UNITS: [Unit, string][] = [
  ["m", "minutes"],
  ["h", "hours"],
  ["d", "days"],
];
/** Rust's limit: up to 365 days. */
const MAX: Record<Unit, number> = { m: 365 * 24 * 60, h: 365 * 24, d: 365 };
const UNIT_WORDS: Record<Unit, [string, string]> = { m: ["minute", "minutes"], h: ["hour", "hours"], d: ["day", "days"] };

/** Reads what Rust stores ("email 24h, sms 30m" or "none"); anything else reads as no steps. */
export function parseSteps(text: string): Step[] {
  if (text.trim() === "" || text.trim().toLowerCase() === "none") return [];
  const steps: Step[] = [];
  for (const part of text.split(",")) {
    const m = /^\s*(email|sms)\s+(\d+)([mhd])\s*$/i.exec(part);
    if (m) steps.push({ channel: m[1].toLowerCase() as Channel, amount: m[2], unit: m[3].toLowerCase() as Unit });
  }
  return steps;
}

/** The text Rust reads: "email 24h, sms 1h", or "none". */
export function describeSteps(steps: Step[]): string {
  return steps.length === 0 ? "none" : steps.map((s) => `${s.channel} ${s.amount.trim()}${s.unit}`).join(", ");
}

/** Why this amount cannot be saved, or null. */
function amountProblem(step: Step): string | null {
  const t = step.amount.trim();
  if (!/^\d+$/.test(t) || Number(t) < 1) return "Enter a whole number from 1.";
  if (Number(t) > MAX[step.unit]) return `At most ${MAX[step.unit]} ${UNIT_WORDS[step.unit][1]} (a year).`;
  return null;
}

/** "Email 1 day before, SMS 1 hour before." */
function summary(steps: Step[], when: string): string {
  if (steps.length === 0) return "None.";
  return `${steps
    .map((s) => {
      const n = Number(s.amount.trim());
      const [one, many] = UNIT_WORDS[s.unit];
      return `${s.channel === "sms" ? "SMS" : "Email"} ${s.amount.trim()} ${n === 1 ? one : many} ${when}`;
    })
    .join(", ")}.`;
}

type EditorProps = {
  legend: string;
  /** "reminder" or "step", for the rows' accessible names. */
  noun: string;
  /** "before" or "after". */
  when: string;
  steps: Step[];
  onChange: (steps: Step[]) => void;
  /** Show each row's problem (after a Save was refused). */
  checked: boolean;
  error: string | null;
  testId: string;
};

function StepsEditor({ legend, noun, when, steps, onChange, checked, error, testId }: EditorProps) {
  const id = useId();
  const set = (i: number, change: Partial<Step>) => onChange(steps.map((s, j) => (j === i ? { ...s, ...change } : s)));
  return (
    <fieldset className="steps" data-testid={testId} aria-describedby={error ? `${id}error` : `${id}summary`}>
      <legend>{legend}</legend>
      <ol className="steps-list">
        {steps.map((step, i) => {
          const n = i + 1;
          const problem = checked ? amountProblem(step) : null;
          return (
            <li key={i} className="step">
              <select
                aria-label={`${sentence(noun)} ${n}: channel`}
                value={step.channel}
                onChange={(e) => set(i, { channel: e.target.value as Channel })}
              >
                <option value="email">Email</option>
                <option value="sms">SMS</option>
              </select>
              <input
                type="text"
                inputMode="numeric"
                className="step-amount"
                aria-label={`${sentence(noun)} ${n}: how long ${when}`}
                aria-invalid={problem ? true : undefined}
                aria-describedby={problem ? `${id}problem${i}` : undefined}
                value={step.amount}
                onChange={(e) => set(i, { amount: e.target.value })}
              />
              <select
                aria-label={`${sentence(noun)} ${n}: unit`}
                value={step.unit}
                onChange={(e) => set(i, { unit: e.target.value as Unit })}
              >
                {UNITS.map(([value, text]) => (
                  <option key={value} value={value}>
                    {text} {when}
                  </option>
                ))}
              </select>
              <button
                type="button"
                className="button"
                aria-label={`Remove ${noun} ${n}`}
                onClick={() => onChange(steps.filter((_, j) => j !== i))}
              >
                Remove
              </button>
              {problem && (
                <p id={`${id}problem${i}`} role="alert" className="field-error step-error">
                  {problem}
                </p>
              )}
            </li>
          );
        })}
      </ol>
      <button
        type="button"
        className="button"
        onClick={() => onChange([...steps, { channel: "email", amount: "1", unit: when === "before" ? "h" : "d" }])}
      >
        Add {noun}
      </button>
      {error ? (
        <p id={`${id}error`} role="alert" className="field-error">
          {error}
        </p>
      ) : (
        <p id={`${id}summary`} className="field-hint muted">
          {summary(steps, when)}
        </p>
      )}
    </fieldset>
  );
}

export function RemindersSettings() {
  const qc = useQueryClient();
  const id = useId();
  const titleId = `${id}title`;
  const settings = useSettings();
  /** The rows as edited; null until changed, so the stored steps show. */
  const [reminders, setReminders] = useState<Step[] | null>(null);
  const [followUp, setFollowUp] = useState<Step[] | null>(null);
  const [checked, setChecked] = useState(false);
  const [saved, setSaved] = useState<string | null>(null);

  const data = settings.data;
  const shownReminders = reminders ?? parseSteps(data?.reminders ?? "");
  const shownFollowUp = followUp ?? parseSteps(data?.follow_up ?? "");

  const save = useMutation({
    mutationFn: async () => {
      const parts: [SettingKey, Step[] | null, (s: null) => void, string | undefined][] = [
        ["reminders", reminders, setReminders, data?.reminders],
        ["follow-up", followUp, setFollowUp, data?.follow_up],
      ];
      for (const [key, steps, reset, stored] of parts) {
        if (steps === null || describeSteps(steps) === stored) continue;
        qc.setQueryData(SETTINGS_KEY, await api.settingsSet(key, describeSteps(steps)));
        reset(null);
      }
    },
    onSuccess: () => {
      setChecked(false);
      setSaved("Reminders and follow-up saved.");
    },
  });

  const onSubmit = (e: FormEvent<HTMLFormElement>) => {
    e.preventDefault();
    if (save.isPending) return;
    setChecked(true);
    if ([...shownReminders, ...shownFollowUp].some((s) => amountProblem(s) !== null)) return;
    save.mutate();
  };

  const changed = (set: (s: Step[]) => void) => (steps: Step[]) => {
    set(steps);
    setSaved(null);
    save.reset();
  };

  return (
    <section className="settings-section" aria-labelledby={titleId} data-testid="settings-reminders">
      <h2 id={titleId}>Reminders and follow-up</h2>
      <p className="muted">
        What a contact is sent before a scheduled meeting, and the follow-up workflow after a completed one. Email goes through
        the Email settings below, SMS through the SMS gateway.
      </p>
      {settings.isError ? (
        <p role="alert" className="form-error">
          {sentence(settings.error.message)}
        </p>
      ) : !data ? (
        <p className="muted">Loading…</p>
      ) : (
        <form onSubmit={onSubmit} noValidate aria-label="Reminders and follow-up">
          <StepsEditor
            legend="Reminders before a scheduled meeting"
            noun="reminder"
            when="before"
            steps={shownReminders}
            onChange={changed(setReminders)}
            checked={checked}
            error={errorAt(save.error, "reminders")}
            testId="reminders-editor"
          />
          <StepsEditor
            legend="Follow-up after a completed meeting"
            noun="follow-up step"
            when="after"
            steps={shownFollowUp}
            onChange={changed(setFollowUp)}
            checked={checked}
            error={errorAt(save.error, "follow_up")}
            testId="follow-up-editor"
          />
          <SaveFooter testId="reminders-save" pending={save.isPending} saved={saved} error={save.error} fields={["reminders", "follow_up"]} />
        </form>
      )}
    </section>
  );
}
