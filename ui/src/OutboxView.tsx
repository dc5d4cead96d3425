// The Outbox view: every change waiting for the cloud (or, on request, sent and canceled), what it sends, why a failed one needs attention, and Retry/Cancel; with how long the queue takes at OnceHub's rate limit and the contacts kept on this computer only.
import { useState } from "react";
import { keepPreviousData, useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { api, errorMessage, type CloudStatus, type OutboxItem } from "./api";
import { refreshCloud } from "./changes";
import { BLANK, aboutDuration, fieldLabel, fieldValue, formatCount, plural, targetLabel } from "./format";
import { When } from "./When";
import { RetryCancelButtons, useRetryCancel } from "./QueueActions";
import { CLOUD_STATUS_KEY, outboxKey } from "./queryKeys";
import { waitingText } from "./SyncIndicator";

type Props = {
  /** Shows the Settings view (to connect the account the outbox waits for). */
  onOpenSettings: () => void;
};

const OPERATION_LABELS: Record<string, string> = {
  create: "Create",
  update: "Update",
  delete: "Delete",
};

/** How many items the view lists at first, and how many more each "Show more" adds: an import while the cloud is connected queues an item for every contact it creates. */
const PAGE = 200;

const STATUS_LABELS: Record<string, string> = {
  pending: "Pending",
  failed: "Needs attention",
  sent: "Sent",
  canceled: "Canceled",
};

/** "Email: (none) → ann@example.com"; null before is "(none)", null after "(cleared)". */
function changeText(field: string, before: string | null, after: string | null): string {
  const was = before === null ? "(none)" : fieldValue(field, before);
  const becomes = after === null ? "(cleared)" : fieldValue(field, after);
  return `${fieldLabel(field)}: ${was} → ${becomes}`;
}

function Changes({ item }: { item: OutboxItem }) {
  if (item.fields.length === 0) {
    return <span className="muted">{item.operation === "delete" ? "The whole contact" : BLANK}</span>;
  }
  return (
    <ul className="outbox-changes">
      {item.fields.map((f) => (
        <li key={f.field}>{changeText(f.field, f.before, f.after)}</li>
      ))}
    </ul>
  );
}

function StatusCell({ item }: { item: OutboxItem }) {
  const label = STATUS_LABELS[item.status] ?? fieldLabel(item.status);
  return (
    <>
      <span className={`outbox-status status-${item.status}`}>{label}</span>
      {item.last_error &&
        (item.status === "failed" ? (
          <p className="outbox-reason">{item.last_error}</p>
        ) : item.status === "pending" ? (
          <p className="outbox-reason muted">Last try: {item.last_error}</p>
        ) : null)}
    </>
  );
}

function Summary({ status }: { status: CloudStatus }) {
  if (status.pending === 0 && status.failed === 0) return <p className="outbox-summary">Nothing waiting to be sent.</p>;
  const drain = status.pending > 0 ? ` · ${aboutDuration(status.drain_seconds)} to send at OnceHub's rate limit` : "";
  return (
    <p className="outbox-summary">
      {waitingText(status.pending, status.failed)}
      {drain}
    </p>
  );
}

export function OutboxView({ onOpenSettings }: Props) {
  const qc = useQueryClient();
  const [showAll, setShowAll] = useState(false);
  const [limit, setLimit] = useState(PAGE);
  const status = useQuery({ queryKey: CLOUD_STATUS_KEY, queryFn: api.cloudStatus, staleTime: 0 });
  const items = useQuery({
    queryKey: outboxKey(showAll, limit),
    queryFn: () => api.listOutbox(showAll, limit),
    staleTime: 0,
    // "Show more" keeps the rows shown until the longer page arrives.
    placeholderData: keepPreviousData,
  });
  const [shared, setShared] = useState<number | null>(null);
  const actions = useRetryCancel(api.retryOutbox, api.cancelOutbox, () => refreshCloud(qc));
  const { error, setError } = actions;
  const share = useMutation({
    mutationFn: api.shareLocalContacts,
    onMutate: () => {
      setError(null);
      setShared(null);
    },
    onSuccess: (queued) => {
      setShared(queued);
      refreshCloud(qc);
    },
    onError: (e) => setError(errorMessage(e)),
  });
  const cloud = status.data;
  const page = items.data;
  const list = page?.items;
  return (
    <div className="outbox">
      <div className="activities-header">
        {/* The header's title already names the view. */}
        <h2 className="visually-hidden">Outbox</h2>
        <label className="outbox-show-all">
          <input
            type="checkbox"
            checked={showAll}
            onChange={(e) => {
              setShowAll(e.target.checked);
              setLimit(PAGE);
            }}
          />
          Show sent and canceled
        </label>
      </div>

      {status.isError && (
        <p role="alert" className="form-error">
          {errorMessage(status.error)}
        </p>
      )}
      {cloud && <Summary status={cloud} />}
      {cloud && !cloud.configured && (cloud.pending > 0 || cloud.failed > 0 || cloud.url === null) && (
        <p className="muted outbox-note">
          {cloud.url === null
            ? "No cloud account is connected: changes are sent once one is. "
            : "The cloud account is paused: these changes are sent once you connect again. "}
          <button type="button" className="link-button" onClick={onOpenSettings}>
            Open Settings
          </button>
        </p>
      )}
      {cloud && cloud.local_only > 0 && (
        <p className="outbox-local">
          {plural(cloud.local_only, "contact", "contacts")} kept on this computer only{" "}
          <button type="button" className="button" disabled={share.isPending} onClick={() => share.mutate()}>
            Send them to the cloud
          </button>
        </p>
      )}
      {shared !== null && (
        <p role="status" className="muted">
          Queued {plural(shared, "contact", "contacts")} for the cloud.
        </p>
      )}
      {error && (
        <p role="alert" className="form-error">
          {error}
        </p>
      )}

      {items.isError ? (
        <p role="alert" className="form-error">
          {errorMessage(items.error)}
        </p>
      ) : list === undefined ? (
        <p className="muted">Loading the outbox…</p>
      ) : list.length === 0 ? (
        // Once the counts are in, the summary line says so.
        cloud ? null : <p className="muted">Nothing waiting to be sent.</p>
      ) : (
        <table className="report outbox-table">
          <caption className="visually-hidden">Outbox</caption>
          <thead>
            <tr>
              <th scope="col">Target</th>
              <th scope="col">Contact</th>
              <th scope="col">Operation</th>
              <th scope="col">Changes</th>
              <th scope="col">Status</th>
              <th scope="col">Attempts</th>
              <th scope="col">Next try</th>
              <th scope="col">
                <span className="visually-hidden">Actions</span>
              </th>
            </tr>
          </thead>
          <tbody>
            {list.map((item) => (
              <tr key={item.id} data-outbox={item.id} data-status={item.status}>
                <td>{targetLabel(item.target)}</td>
                <td>
                  {item.contact_name} <span className="muted">#{item.contact}</span>
                </td>
                <td>{OPERATION_LABELS[item.operation] ?? fieldLabel(item.operation)}</td>
                <td>
                  <Changes item={item} />
                </td>
                <td>
                  <StatusCell item={item} />
                </td>
                <td>{formatCount(item.attempts)}</td>
                <td className="nowrap">
                  <When at={item.status === "pending" || item.status === "failed" ? item.next_at : null} />
                </td>
                <td className="outbox-actions">
                  <RetryCancelButtons
                    id={item.id}
                    noun="item"
                    canRetry={item.status === "failed"}
                    canCancel={item.status === "pending" || item.status === "failed"}
                    actions={actions}
                  />
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {page && page.total > page.items.length && (
        <p className="outbox-more muted">
          Showing the oldest {formatCount(page.items.length)} of {formatCount(page.total)}.{" "}
          <button type="button" className="button" disabled={items.isFetching} onClick={() => setLimit(limit + PAGE)}>
            Show {formatCount(Math.min(PAGE, page.total - page.items.length))} more
          </button>
        </p>
      )}
    </div>
  );
}
