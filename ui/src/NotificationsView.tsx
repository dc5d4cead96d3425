// The Notifications view: each channel's state (ready, or why not), then every meeting reminder and workflow step with its channel, recipient, contact, meeting, status, attempts and last error; filters by status and channel; Retry for a failed one, Cancel for a pending one.
import { useId, useState } from "react";
import { useQuery, useQueryClient } from "@tanstack/react-query";
import { api, errorMessage, type ChannelState, type Notification } from "./api";
import { BLANK, fieldLabel, formatCount, plural } from "./format";
import { When } from "./When";
import { RetryCancelButtons, useRetryCancel } from "./QueueActions";
import { ALL_NOTIFICATIONS_KEY, NOTIFICATIONS_KEY, NOTIFICATION_CHANNELS_KEY } from "./queryKeys";

type Props = {
  /** Shows the Settings view, where the channels are set up. */
  onOpenSettings: () => void;
};

const STATUS_LABELS: Record<string, string> = {
  pending: "Pending",
  sent: "Sent",
  failed: "Failed",
  canceled: "Canceled",
};

const CHANNEL_LABELS: Record<string, string> = {
  email: "Email",
  sms: "SMS",
};

const KIND_LABELS: Record<string, string> = {
  reminder: "Reminder",
  workflow: "Follow-up",
};

const label = (labels: Record<string, string>, key: string) => labels[key] ?? fieldLabel(key);

/** "Email: ready", or what stands in its way and where to fix it. */
function Channels({ states, onOpenSettings }: { states: ChannelState[]; onOpenSettings: () => void }) {
  return (
    <ul className="channel-states" aria-label="Channels">
      {states.map((c) => (
        <li key={c.channel} data-channel={c.channel} data-ready={c.ready}>
          <span className={`channel-dot${c.ready ? " ready" : ""}`} aria-hidden="true" />
          <span className="channel-name">{label(CHANNEL_LABELS, c.channel)}</span>
          <span className={c.ready ? "muted" : "channel-problem"}>{c.ready ? "Ready" : c.state}</span>
          {!c.ready && (
            <button type="button" className="link-button" onClick={onOpenSettings}>
              Open Settings
            </button>
          )}
        </li>
      ))}
    </ul>
  );
}

function StatusCell({ n }: { n: Notification }) {
  return (
    <>
      <span className={`outbox-status status-${n.status}`}>{label(STATUS_LABELS, n.status)}</span>
      {n.status === "sent" && n.sent_at && (
        <p className="outbox-reason muted">
          <When at={n.sent_at} />
        </p>
      )}
    </>
  );
}

export function NotificationsView({ onOpenSettings }: Props) {
  const qc = useQueryClient();
  const id = useId();
  const [status, setStatus] = useState("");
  const [channel, setChannel] = useState("");
  const list = useQuery({ queryKey: ALL_NOTIFICATIONS_KEY, queryFn: () => api.listNotifications(null, true), staleTime: 0 });
  const channels = useQuery({ queryKey: NOTIFICATION_CHANNELS_KEY, queryFn: api.channelStates, staleTime: 0 });
  const actions = useRetryCancel(api.retryNotification, api.cancelNotification, () => {
    void qc.invalidateQueries({ queryKey: NOTIFICATIONS_KEY });
  });
  const error = actions.error;

  const all = list.data;
  const shown = all?.filter((n) => (status === "" || n.status === status) && (channel === "" || n.channel === channel));
  const failed = all?.filter((n) => n.status === "failed").length ?? 0;
  const pending = all?.filter((n) => n.status === "pending").length ?? 0;

  return (
    <div className="outbox notifications">
      {channels.isError ? (
        <p role="alert" className="form-error">
          {errorMessage(channels.error)}
        </p>
      ) : (
        channels.data && <Channels states={channels.data} onOpenSettings={onOpenSettings} />
      )}

      {all && (
        <p className="outbox-summary">
          {formatCount(pending)} pending · {formatCount(failed)} failed · {plural(all.length, "notification", "notifications")} in all
        </p>
      )}

      <div className="table-tools notification-filters" role="toolbar" aria-label="Filters">
        <label htmlFor={`${id}status`}>Status</label>
        <select id={`${id}status`} className="select" value={status} onChange={(e) => setStatus(e.target.value)}>
          <option value="">Any status</option>
          {Object.entries(STATUS_LABELS).map(([value, text]) => (
            <option key={value} value={value}>
              {text}
            </option>
          ))}
        </select>
        <label htmlFor={`${id}channel`}>Channel</label>
        <select id={`${id}channel`} className="select" value={channel} onChange={(e) => setChannel(e.target.value)}>
          <option value="">Any channel</option>
          {Object.entries(CHANNEL_LABELS).map(([value, text]) => (
            <option key={value} value={value}>
              {text}
            </option>
          ))}
        </select>
      </div>

      {error && (
        <p role="alert" className="form-error">
          {error}
        </p>
      )}

      {list.isError ? (
        <p role="alert" className="form-error">
          {errorMessage(list.error)}
        </p>
      ) : shown === undefined ? (
        <p className="muted">Loading notifications…</p>
      ) : shown.length === 0 ? (
        <p className="muted">
          {all?.length === 0
            ? "No reminders or follow-ups yet: scheduling a meeting plans its reminders."
            : "No notifications match these filters."}
        </p>
      ) : (
        <table className="report outbox-table notifications-table">
          <caption className="visually-hidden">Notifications</caption>
          <thead>
            <tr>
              <th scope="col">Status</th>
              <th scope="col">Channel</th>
              <th scope="col">Recipient</th>
              <th scope="col">Contact</th>
              <th scope="col">Meeting</th>
              <th scope="col">Send at</th>
              <th scope="col">Attempts</th>
              <th scope="col">Last error</th>
              <th scope="col">
                <span className="visually-hidden">Actions</span>
              </th>
            </tr>
          </thead>
          <tbody>
            {shown.map((n) => (
              <tr key={n.id} data-notification={n.id} data-status={n.status}>
                <td>
                  <StatusCell n={n} />
                </td>
                <td>{label(CHANNEL_LABELS, n.channel)}</td>
                <td>{n.recipient}</td>
                <td>{n.contact_name?.trim() || BLANK}</td>
                <td>
                  <span className="nowrap">
                    <When at={n.meeting_starts_at} />
                  </span>
                  <p className="outbox-reason muted" title={label(KIND_LABELS, n.kind)}>
                    {n.purpose}
                  </p>
                </td>
                <td className="nowrap">
                  <When at={n.send_at} />
                </td>
                <td>{formatCount(n.attempts)}</td>
                <td>{n.last_error ? <span className={n.status === "failed" ? "" : "muted"}>{n.last_error}</span> : BLANK}</td>
                <td className="outbox-actions">
                  <RetryCancelButtons
                    id={n.id}
                    noun="notification"
                    canRetry={n.status === "failed"}
                    canCancel={n.status === "pending"}
                    actions={actions}
                  />
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </div>
  );
}
