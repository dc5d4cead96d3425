// The import dialog: the dry run's counts and examples, how long its new contacts take to reach the cloud (or keeping them on this computer), the column mapping (changeable), the duplicate policy, then the import with its progress bar, Cancel, and the error report.
import { useEffect, useId, useRef, useState, type KeyboardEvent } from "react";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { api, errorMessage, type ImportFile, type ImportProgress, type ImportView, type OnDuplicate } from "./api";
import { FIELD_LABELS, aboutDuration, fieldLabel, formatCount, plural } from "./format";
import { modalKeyDown } from "./modal";
import { useTauriEvent } from "./useTauriEvent";
import { refreshAfterChange } from "./changes";
import { cloudEstimateKey } from "./queryKeys";

type Props = {
  /** The file chosen or dropped; Rust keeps its path, the page has its name and handle. */
  file: ImportFile;
  onClose: () => void;
  /** The import committed: the status line says what it did. */
  onImported: (view: ImportView) => void;
};

type CountKey = Exclude<keyof ImportView["summary"], "rows">;
const COUNTS: { key: CountKey; label: string }[] = [
  { key: "created", label: "Create" },
  { key: "updated", label: "Update" },
  { key: "unchanged", label: "Unchanged" },
  { key: "skipped", label: "Skip" },
  { key: "conflicts", label: "Conflicts" },
  { key: "rejected", label: "Rejected" },
];

const DONE_LABELS: Record<string, string> = {
  Create: "Created",
  Update: "Updated",
  Skip: "Skipped",
};

type Overrides = Record<number, string | null>;

const ENCODING_LABELS: Record<ImportView["encoding"], string> = {
  utf8: "UTF-8",
  "utf8-bom": "UTF-8 with BOM",
  "utf16-le": "UTF-16 LE",
  "utf16-be": "UTF-16 BE",
  windows1252: "Windows-1252",
};

function seconds(s: number): string {
  if (!Number.isFinite(s)) return "—";
  if (s < 60) return `${Math.max(0, Math.round(s))} s`;
  return `${Math.floor(s / 60)} min ${Math.round(s % 60)} s`;
}

export function ImportDialog({ file, onClose, onImported }: Props) {
  const id = useId();
  const titleId = `${id}title`;
  const dialogRef = useRef<HTMLDivElement>(null);
  const firstRef = useRef<HTMLButtonElement>(null);
  const qc = useQueryClient();
  const [onDuplicate, setOnDuplicate] = useState<OnDuplicate>("merge");
  const [overrides, setOverrides] = useState<Overrides>({});
  const [progress, setProgress] = useState<{ at: ImportProgress; started: number } | null>(null);
  const [saved, setSaved] = useState<string | null>(null);
  /** With a cloud account: the new contacts stay on this computer until shared from the Outbox. */
  const [keepLocal, setKeepLocal] = useState(false);

  const overrideList = Object.entries(overrides).map(([col, field]) => [Number(col), field] as [number, string | null]);
  const preview = useQuery({
    queryKey: ["import-preview", file.handle, onDuplicate, overrideList],
    queryFn: () => api.previewImport(file, onDuplicate, overrideList),
    staleTime: Infinity,
    gcTime: 0,
    retry: false,
  });

  const commit = useMutation({
    mutationFn: () => api.runImport(file, onDuplicate, overrideList, keepLocal),
    onMutate: () => setProgress({ at: { rows: 0, fraction: 0 }, started: performance.now() }),
    onSuccess: (view) => {
      refreshAfterChange(qc);
      onImported(view);
    },
  });
  const saveErrors = useMutation({
    mutationFn: api.saveImportErrors,
    onSuccess: (where) => {
      if (where) setSaved(where);
    },
  });

  // Progress arrives as events while the import runs.
  useTauriEvent<ImportProgress>("import-progress", (at) => setProgress((p) => (p ? { ...p, at } : p)));

  useEffect(() => {
    firstRef.current?.focus();
  }, []);

  const running = commit.isPending;
  const done = commit.data ?? null;
  const cancel = () => {
    if (running) void api.cancelImport();
    else onClose();
  };
  const onKeyDown = (e: KeyboardEvent<HTMLDivElement>) =>
    modalKeyDown(e, dialogRef.current, cancel, "button:not([disabled]), input:not([disabled]), select:not([disabled])");

  const view = done ?? preview.data ?? null;
  const summary = view?.summary;
  // How long the dry run's new contacts take to reach the cloud; null (nothing shown) without a cloud account.
  const toCreate = preview.data?.summary.created ?? 0;
  const estimate = useQuery({
    queryKey: cloudEstimateKey(toCreate),
    queryFn: () => api.cloudEstimate(toCreate),
    enabled: toCreate > 0,
    retry: false,
  });
  const cloudSeconds = !done && toCreate > 0 && typeof estimate.data === "number" ? estimate.data : null;
  const elapsed = progress ? (performance.now() - progress.started) / 1000 : 0;
  const rate = progress && elapsed > 0 ? progress.at.rows / elapsed : 0;
  const fraction = progress ? Math.min(1, progress.at.fraction ?? 0) : 0;
  const left = fraction > 0 ? (elapsed / fraction) * (1 - fraction) : Infinity;

  return (
    <div className="backdrop">
      <div
        ref={dialogRef}
        role="dialog"
        aria-modal="true"
        aria-labelledby={titleId}
        className="dialog import-dialog"
        onKeyDown={onKeyDown}
      >
        <h2 id={titleId}>Import contacts</h2>
        <p className="muted import-file">
          {file.name}
          {view &&
            ` · ${ENCODING_LABELS[view.encoding]} · ${
              view.delimiter === "" ? "vCard" : `delimiter ${view.delimiter === "\t" ? "tab" : `“${view.delimiter}”`}`
            }`}
        </p>

        {preview.isError && !done && (
          <div role="alert" className="form-error">
            {errorMessage(preview.error)}
          </div>
        )}
        {commit.isError && (
          <div role="alert" className="form-error">
            {errorMessage(commit.error)}
          </div>
        )}
        {!view && !preview.isError && <p className="muted">Reading the file…</p>}

        {summary && (
          <section aria-label={done ? "Imported" : "What the import will do"}>
            <p>
              {done ? "Imported " : "Dry run: "}
              {plural(summary.rows, "row", "rows")}
            </p>
            <dl className="import-counts">
              {COUNTS.map(({ key, label }) => (
                <div key={key} data-count={key}>
                  <dt>{done ? (DONE_LABELS[label] ?? label) : label}</dt>
                  <dd>{formatCount(summary[key])}</dd>
                </div>
              ))}
            </dl>
          </section>
        )}

        {cloudSeconds !== null && (
          <div className="import-cloud">
            <p>
              Sending {toCreate === 1 ? "this new contact" : `these ${formatCount(toCreate)} new contacts`} to OnceHub takes{" "}
              {aboutDuration(cloudSeconds)} at its rate limit.
            </p>
            <label>
              <input type="checkbox" checked={keepLocal} disabled={running} onChange={(e) => setKeepLocal(e.target.checked)} />
              Keep this import on this computer only
            </label>
          </div>
        )}

        {running && progress && (
          <div className="import-progress">
            <progress aria-label="Import progress" max={1} value={fraction} />
            <p className="muted" aria-live="polite">
              {formatCount(progress.at.rows)} rows · {formatCount(Math.round(rate))} rows/s · {seconds(left)} left
            </p>
          </div>
        )}

        {view && !done && !running && (
          <>
            <fieldset className="import-policy">
              <legend>Rows for people already in Cardfile</legend>
              <label>
                <input type="radio" name={`${id}policy`} checked={onDuplicate === "merge"} onChange={() => setOnDuplicate("merge")} />
                Merge (fill in and update them)
              </label>
              <label>
                <input type="radio" name={`${id}policy`} checked={onDuplicate === "skip"} onChange={() => setOnDuplicate("skip")} />
                Skip them
              </label>
            </fieldset>
            <details className="import-mapping" open>
              <summary>Columns</summary>
              <table className="report" aria-label="Column mapping">
                <thead>
                  <tr>
                    <th scope="col">Column</th>
                    <th scope="col">First row</th>
                    <th scope="col">Imports as</th>
                  </tr>
                </thead>
                <tbody>
                  {view.columns.map((c) => {
                    const current = c.index in overrides ? (overrides[c.index] ?? "") : (c.fields[0] ?? "");
                    return (
                      <tr key={c.index} data-column={c.header}>
                        <th scope="row">{c.header || <span className="muted">(no name)</span>}</th>
                        <td className="sample">{c.sample}</td>
                        <td>
                          <select
                            aria-label={`Import ${c.header || `column ${c.index + 1}`} as`}
                            value={current}
                            onChange={(e) => setOverrides((o) => ({ ...o, [c.index]: e.target.value || null }))}
                          >
                            <option value="">Ignore</option>
                            {Object.entries(FIELD_LABELS).map(([field, label]) => (
                              <option key={field} value={field}>
                                {label}
                              </option>
                            ))}
                          </select>
                          {c.fields.length > 1 && !(c.index in overrides) && (
                            <span className="muted"> and {c.fields.slice(1).map(fieldLabel).join(", ")}</span>
                          )}
                        </td>
                      </tr>
                    );
                  })}
                </tbody>
              </table>
            </details>
          </>
        )}

        {view && view.examples.length > 0 && (
          <details className="import-problems" open={!done}>
            <summary>
              {plural(view.problems, "row", "rows")} not imported
            </summary>
            <ul aria-label="Rows not imported">
              {view.examples.map((p) => (
                <li key={p.line}>
                  Line {p.line}: {p.reason}
                </li>
              ))}
            </ul>
          </details>
        )}
        {saved && (
          <p className="muted" role="status">
            Saved the error report to {saved}
          </p>
        )}
        {saveErrors.isError && (
          <div role="alert" className="form-error">
            {errorMessage(saveErrors.error)}
          </div>
        )}

        <div className="dialog-actions">
          {done ? (
            <>
              {done.problems > 0 && (
                <button type="button" className="button" onClick={() => saveErrors.mutate()} disabled={saveErrors.isPending}>
                  Save error report…
                </button>
              )}
              <button ref={firstRef} type="button" className="button primary" onClick={onClose}>
                Close
              </button>
            </>
          ) : (
            <>
              <button ref={firstRef} type="button" className="button" onClick={cancel}>
                Cancel
              </button>
              <button
                type="button"
                className="button primary"
                disabled={!preview.data || running || preview.isFetching}
                onClick={() => commit.mutate()}
              >
                Import
              </button>
            </>
          )}
        </div>
      </div>
    </div>
  );
}
