// The edit pane's Activities: the contact's meetings, chats and routing forms, newest first, and its pending reminders; an upcoming meeting can be canceled here.
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { api, errorMessage, type Activity } from "./api";
import { activityKindLabel, meetingStatusLabel } from "./format";
import { activitiesKey, notificationsKey } from "./queryKeys";
import { refreshAfterChange } from "./changes";
import { When } from "./When";

/** A meeting still booked and ahead: the one kind whose reminders are still to go. */
function isUpcoming(a: Activity): boolean {
  return (
    a.kind === "meeting" &&
    (a.status === "scheduled" || a.status === "rescheduled") &&
    a.starts_at !== null &&
    new Date(a.starts_at).getTime() > Date.now()
  );
}

export function ActivityTimeline({ contactId }: { contactId: string }) {
  const qc = useQueryClient();
  const cancel = useMutation({
    mutationFn: (id: string) => api.rebookMeeting(id, { status: "canceled", starts_at: null, ends_at: null }),
    onSettled: () => refreshAfterChange(qc),
  });
  const activities = useQuery({
    queryKey: activitiesKey(contactId),
    queryFn: () => api.listActivities(contactId),
    staleTime: 0,
  });
  const reminders = useQuery({
    queryKey: notificationsKey(contactId),
    queryFn: () => api.listNotifications(contactId),
    staleTime: 0,
  });

  return (
    <details className="pane-section history timeline" open>
      <summary>Activities</summary>
      {activities.isError ? (
        <p role="alert" className="form-error">
          {errorMessage(activities.error)}
        </p>
      ) : activities.data === undefined ? (
        <p className="muted">Loading activities…</p>
      ) : activities.data.length === 0 ? (
        <p className="muted">No activities yet</p>
      ) : (
        <ol className="history-list" aria-label="Activities, newest first">
          {activities.data.map((a) => {
            const at = a.starts_at ?? a.created_at;
            return (
              <li key={a.id} className="history-entry" data-activity={a.id}>
                <span className="history-summary">{activityKindLabel(a.kind)}</span>
                {a.status && <span> · {meetingStatusLabel(a.status)}</span>}
                <span className="muted">
                  {" · "}
                  <When at={at} />
                </span>
                {isUpcoming(a) && (
                  <button
                    type="button"
                    className="link-button"
                    disabled={cancel.isPending}
                    onClick={() => cancel.mutate(a.id)}
                  >
                    Cancel meeting
                  </button>
                )}
              </li>
            );
          })}
        </ol>
      )}
      {cancel.isError && (
        <p role="alert" className="form-error">
          {errorMessage(cancel.error)}
        </p>
      )}
      {reminders.data !== undefined && reminders.data.length > 0 && (
        <>
          <h3 className="pane-subheading">Pending notifications</h3>
          <ul className="history-list" aria-label="Pending notifications">
            {reminders.data.map((n) => (
              <li key={n.id} className="history-entry" data-notification={n.id}>
                <span className="history-summary">{n.purpose}</span>
                <span className="muted">
                  {" · "}
                  {n.channel === "sms" ? "SMS" : "Email"} to {n.recipient}
                  {" · "}
                  <When at={n.send_at} />
                </span>
              </li>
            ))}
          </ul>
        </>
      )}
    </details>
  );
}
