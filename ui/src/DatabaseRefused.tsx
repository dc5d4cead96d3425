// What the window shows, in place of the contacts, when Rust refused to open the database: why, that nothing was changed, and for a damaged one the offer to restore its last automatic backup.
import { useState } from "react";
import { api, errorMessage, type Refusal, type Restored } from "./api";
import { longDateTime } from "./format";

const TITLES: Record<string, string> = {
  database: "Your contacts database is damaged",
  database_file: "This file is not a Cardfile database",
  database_version: "This database is from a newer Cardfile",
  database_access: "Cardfile cannot write to this database",
};

export function DatabaseRefused({ refusal }: { refusal: Refusal }) {
  const [pending, setPending] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const [restored, setRestored] = useState<Restored | null>(null);
  const title = TITLES[refusal.error.field ?? ""] ?? "Cardfile cannot open this database";
  const backup = refusal.backup;

  const restore = () => {
    setPending(true);
    setError(null);
    api
      .restoreDatabase()
      .then(setRestored, setError)
      .finally(() => setPending(false));
  };

  // Cardfile starts again when the damage was found after it had opened the file; else the page reloads.
  const reopen = () => {
    void api.reopenDatabase().then(() => window.location.reload(), setError);
  };

  if (restored) {
    return (
      <main className="refused" aria-labelledby="refused-title">
        <h1 id="refused-title">The backup is restored</h1>
        <p data-testid="restored">
          Your contacts are back as they were on {longDateTime(restored.backup.taken_at)}. Changes made after that
          are not in the backup. The damaged file was kept as <code>{restored.damaged}</code>.
        </p>
        <button type="button" className="primary" autoFocus onClick={reopen}>
          Open my contacts
        </button>
      </main>
    );
  }

  return (
    <main className="refused" aria-labelledby="refused-title">
      <h1 id="refused-title">{title}</h1>
      <p data-testid="refusal">{refusal.error.message}</p>
      <p>
        Database: <code>{refusal.database}</code>
      </p>
      {refusal.restorable && backup ? (
        <section aria-label="Restore">
          <p>
            The last automatic backup was taken on {longDateTime(backup.taken_at)}. Restoring it puts it in the
            damaged file&rsquo;s place; the damaged file is kept beside it, renamed, and nothing is deleted.
          </p>
          <button type="button" className="primary" disabled={pending} onClick={restore}>
            {pending ? "Restoring…" : "Restore the backup"}
          </button>
        </section>
      ) : (
        <p>Cardfile has changed nothing. Close it, then open it on the right database file.</p>
      )}
      {error !== null && (
        <p role="alert" className="error">
          {errorMessage(error)}
        </p>
      )}
    </main>
  );
}
