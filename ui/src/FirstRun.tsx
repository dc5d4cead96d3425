// The empty database's page: what Cardfile is, and the three ways to fill it (import, add, or the sample contacts).
type Props = {
  onImport: () => void;
  onAdd: () => void;
  onSample: () => void;
  /** The sample is loading: its button waits. */
  loading: boolean;
};

export function FirstRun({ onImport, onAdd, onSample, loading }: Props) {
  return (
    <section className="empty-state first-run" aria-label="Getting started">
      <p className="empty-title">No contacts yet</p>
      <p className="empty-hint first-run-what">
        Cardfile keeps your contacts in one file on this computer, works offline, and makes sure each person is
        one contact: every change is journaled and can be undone.
      </p>
      <div className="first-run-actions">
        <button type="button" className="button primary" onClick={onImport}>
          Import CSV
        </button>
        <button type="button" className="button" onClick={onAdd}>
          Add contact
        </button>
      </div>
      <p className="empty-hint">or drop a file here (CSV from Google, Outlook, HubSpot, LinkedIn…, or vCard)</p>
      <button type="button" className="button link" aria-disabled={loading || undefined} onClick={loading ? undefined : onSample}>
        Try it with sample contacts
      </button>
      <p className="empty-hint first-run-sample">
        About fifty made-up people, a few meetings and one possible duplicate to review. Undo takes them all away.
      </p>
    </section>
  );
}
