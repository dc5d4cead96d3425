// The edit pane's History: who changed the contact, when, and each field's before and after, read from Rust's journal only once opened.
import { useState } from "react";
import { useQuery } from "@tanstack/react-query";
import { api, errorMessage } from "./api";
import { fieldLabel, fieldValue } from "./format";
import { historyKey } from "./queryKeys";
import { When } from "./When";

export function HistorySection({ contactId }: { contactId: string }) {
  const [open, setOpen] = useState(false);
  const history = useQuery({
    queryKey: historyKey(contactId),
    queryFn: () => api.contactHistory(contactId),
    enabled: open,
    staleTime: 0,
  });
  // Rust lists oldest first; the latest change is what people look for.
  const entries = history.data ? [...history.data].reverse() : [];

  return (
    <details className="pane-section history" onToggle={(e) => setOpen(e.currentTarget.open)}>
      <summary>History</summary>
      {history.isError ? (
        <p role="alert" className="form-error">
          {errorMessage(history.error)}
        </p>
      ) : history.data === undefined ? (
        <p className="muted">Loading history…</p>
      ) : entries.length === 0 ? (
        <p className="muted">No changes recorded.</p>
      ) : (
        <ol className="history-list" aria-label="Changes, newest first">
          {entries.map((h, i) => (
            <li key={`${h.at}-${i}`} className="history-entry" data-kind={h.kind}>
              <div className="history-meta muted">
                <When at={h.at} />
                {" · "}
                <span className="history-user">{h.user}</span>
              </div>
              <div className="history-summary">{h.summary}</div>
              {h.changes.length > 0 && (
                <ul className="history-changes">
                  {h.changes.map((c) => (
                    <li key={c.field}>
                      <span className="muted">{fieldLabel(c.field)}:</span> {fieldValue(c.field, c.before)} → {fieldValue(c.field, c.after)}
                    </li>
                  ))}
                </ul>
              )}
            </li>
          ))}
        </ol>
      )}
    </details>
  );
}
