// The edit pane's Integrations: what each CRM, Zapier and calendar did with this contact's last change (updated, not found, failed, pending, nothing to send) and when, a link to the record there, Retry for a failure (or a record not found, which may exist there by now), and for calendars which meetings got the new address and why the others did not.
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { api, errorMessage, type ContactResult, type MeetingResult } from "./api";
import { refreshCloud } from "./changes";
import { contactIntegrationsKey } from "./queryKeys";
import { When } from "./When";

/** Results as Rust spells them, and how the pane says them. */
const RESULT_LABELS: Record<string, string> = {
  updated: "Updated",
  "not found": "Not found",
  failed: "Failed",
  pending: "Pending",
  "nothing to send": "Nothing to send",
};

function resultLabel(result: string): string {
  return RESULT_LABELS[result] ?? result.charAt(0).toUpperCase() + result.slice(1);
}

function At({ at }: { at: string | null }) {
  if (!at) return null;
  return (
    <span className="muted">
      {" · "}
      <When at={at} />
    </span>
  );
}

function Meetings({ title, meetings }: { title: string; meetings: MeetingResult[] }) {
  if (meetings.length === 0) return null;
  return (
    <div className="integration-meetings">
      <p className="integration-meetings-title">{title}</p>
      <ul>
        {meetings.map((m) => (
          <li key={m.activity_id} data-activity={m.activity_id} data-updated={m.updated}>
            {m.starts_at ? <When at={m.starts_at} /> : "Meeting"}
            {m.calendar && <span className="muted"> · {m.calendar}</span>}
            {m.why && <span className="muted"> · {m.why}</span>}
          </li>
        ))}
      </ul>
    </div>
  );
}

function ResultItem({ contactId, r }: { contactId: string; r: ContactResult }) {
  const qc = useQueryClient();
  const retry = useMutation({
    mutationFn: () => api.retryIntegration(r.integration, contactId),
    onSettled: () => refreshCloud(qc),
  });
  const open = useMutation({ mutationFn: () => api.openIntegrationRecord(r.integration, contactId) });
  const updated = r.meetings.filter((m) => m.updated);
  const notUpdated = r.meetings.filter((m) => !m.updated);
  const error = retry.isError ? retry.error : open.isError ? open.error : null;
  return (
    <li className="history-entry integration-result" data-testid={`contact-integration-${r.integration}`} data-result={r.result}>
      <div>
        <span className="history-summary">{r.label}</span>
        {" · "}
        <span className={`integration-result-label result-${r.result.replace(/\s+/g, "-")}`}>{resultLabel(r.result)}</span>
        <At at={r.at} />
      </div>
      {r.detail && <p className="integration-detail">{r.detail}</p>}
      {r.remote_url && (
        <p className="integration-detail">
          {/* Opened by Rust in the system browser: the window itself never leaves Cardfile. */}
          <a
            href={r.remote_url}
            data-testid={`contact-integration-link-${r.integration}`}
            onClick={(e) => {
              e.preventDefault();
              open.mutate();
            }}
          >
            Open in {r.label}
          </a>
        </p>
      )}
      <Meetings title="Meetings updated" meetings={updated} />
      <Meetings title="Meetings not updated" meetings={notUpdated} />
      {/* Not found: the record may have been created there since. */}
      {(r.result === "failed" || r.result === "not found") && (
        <button
          type="button"
          className="button"
          data-testid={`contact-integration-retry-${r.integration}`}
          aria-label={`Retry ${r.label}`}
          aria-disabled={retry.isPending || undefined}
          onClick={() => {
            if (!retry.isPending) retry.mutate();
          }}
        >
          Retry
        </button>
      )}
      {error != null && (
        <p role="alert" className="form-error">
          {errorMessage(error)}
        </p>
      )}
    </li>
  );
}

export function IntegrationResults({ contactId }: { contactId: string }) {
  const results = useQuery({
    queryKey: contactIntegrationsKey(contactId),
    queryFn: () => api.contactIntegrations(contactId),
    staleTime: 0,
  });
  // Nothing to say while no integration has anything for this contact.
  if (results.data?.length === 0) return null;
  return (
    <details className="pane-section history integration-results" open data-testid="contact-integrations">
      <summary>Integrations</summary>
      {results.isError ? (
        <p role="alert" className="form-error">
          {errorMessage(results.error)}
        </p>
      ) : results.data === undefined ? (
        <p className="muted">Loading…</p>
      ) : (
        <ul className="history-list" aria-label="Integrations">
          {results.data.map((r) => (
            <ResultItem key={r.integration} contactId={contactId} r={r} />
          ))}
        </ul>
      )}
    </details>
  );
}
