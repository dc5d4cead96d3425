// The Activities view: every meeting, chat and routing form logged (kept for reporting even after its contact is deleted); what is held for review has a view of its own (ReviewView).
import type { Ref } from "react";
import { useQuery } from "@tanstack/react-query";
import { api, errorMessage, type Activity } from "./api";
import { BLANK, activityKindLabel, meetingStatusLabel } from "./format";
import { activitiesKey } from "./queryKeys";
import { When } from "./When";

type Props = {
  onLog: () => void;
  /** Opens the activity's contact in the edit pane (on the Contacts view). */
  onOpenContact: (contactId: string) => void;
  logButtonRef: Ref<HTMLButtonElement>;
};

/** The name an activity's customer goes by: as given, else their email or phone. */
export function activityWith(a: Activity): string {
  return a.with_name?.trim() || a.with_email?.trim() || a.with_phone?.trim() || "contact";
}

function ContactCell({ activity, onOpen }: { activity: Activity; onOpen: (id: string) => void }) {
  // The seed: once the contact is deleted its pane can no longer be opened from the activity.
  if (activity.contact_deleted) return <span className="muted">Deleted contact</span>;
  const id = activity.contact_id;
  if (!id) return <span className="muted">{BLANK}</span>;
  return (
    <button type="button" className="link-button" onClick={() => onOpen(id)}>
      Open {activityWith(activity)}
    </button>
  );
}

export function ActivitiesView({ onLog, onOpenContact, logButtonRef }: Props) {
  const activities = useQuery({ queryKey: activitiesKey(null), queryFn: () => api.listActivities(null), staleTime: 0 });

  return (
    <div className="activities">
      <div className="activities-header">
        {/* The header's title already names the view. */}
        <h2 className="visually-hidden">Activities</h2>
        <button ref={logButtonRef} type="button" className="button primary" onClick={onLog}>
          Log activity
        </button>
      </div>

      {activities.isError ? (
        <p role="alert" className="form-error">
          {errorMessage(activities.error)}
        </p>
      ) : activities.data === undefined ? (
        <p className="muted">Loading activities…</p>
      ) : activities.data.length === 0 ? (
        <p className="muted activities-empty">No activities yet</p>
      ) : (
        <table className="report" aria-label="Activities">
          <thead>
            <tr>
              <th scope="col">Kind</th>
              <th scope="col">Status</th>
              <th scope="col">When</th>
              <th scope="col">With</th>
              <th scope="col">Email/phone</th>
              <th scope="col">Host</th>
              <th scope="col">Contact</th>
            </tr>
          </thead>
          <tbody>
            {activities.data.map((a) => (
              <tr key={a.id} data-activity={a.id} data-deleted={a.contact_deleted || undefined}>
                <td>{activityKindLabel(a.kind)}</td>
                <td>{meetingStatusLabel(a.status)}</td>
                <td className="nowrap">
                  <When at={a.starts_at ?? a.created_at} />
                </td>
                <td>{a.with_name?.trim() || BLANK}</td>
                <td>{[a.with_email, a.with_phone].filter((v): v is string => !!v?.trim()).join(" · ") || BLANK}</td>
                <td>{a.host}</td>
                <td>
                  <ContactCell activity={a} onOpen={onOpenContact} />
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </div>
  );
}
