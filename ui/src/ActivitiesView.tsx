// The Activities view: every meeting, chat and routing form logged (kept for reporting even after its contact is deleted) and the identities held for review, each of which can be merged through the merge dialog or dismissed.
import { useState, type Ref } from "react";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { ApiError, api, errorMessage, type Activity, type Contact, type ContactFields, type MergePlan, type ReviewItem } from "./api";
import { MergeDialog } from "./MergeDialog";
import { BLANK, activityKindLabel, longDateTime, meetingStatusLabel, shortDateTime } from "./format";
import { CONFLICTS_KEY, activitiesKey } from "./queryKeys";
import { refreshAfterChange } from "./changes";

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

function When({ at }: { at: string }) {
  return (
    <time dateTime={at} title={longDateTime(at)}>
      {shortDateTime(at)}
    </time>
  );
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

/**
 * Merging a review item is an edit of the phone's holder that takes on the email holder's values:
 * identity then finds the email's holder, which survives (as DESIGN.md's table says) with its own
 * values kept, the other contact filling only what it lacked, and folding into it. Fields the
 * email's holder leaves blank are null here: the edit leaves them as the other contact has them.
 */
function valuesOf(c: Contact): ContactFields {
  return {
    first_name: c.first_name,
    last_name: c.last_name,
    salutation: c.salutation,
    email: c.email,
    mobile_phone: c.mobile_phone,
    phone: c.phone,
    company: c.company,
    job_title: c.job_title,
    street_address: c.street_address,
    city: c.city,
    state: c.state,
    post_code: c.post_code,
    country: c.country,
    timezone: c.timezone,
    status: c.status,
    has_consent: c.has_consent,
    notes: c.notes,
  };
}

/** `folded` is the phone's holder, edited to take the email holder's values; the plan names the survivor first. */
type ReviewMerge = { folded: Contact; fields: ContactFields; plan: MergePlan };

export function ActivitiesView({ onLog, onOpenContact, logButtonRef }: Props) {
  const qc = useQueryClient();
  const activities = useQuery({ queryKey: activitiesKey(null), queryFn: () => api.listActivities(null), staleTime: 0 });
  const conflicts = useQuery({ queryKey: CONFLICTS_KEY, queryFn: api.listConflicts, staleTime: 0 });
  const [merging, setMerging] = useState<ReviewMerge | null>(null);
  const [reviewError, setReviewError] = useState<string | null>(null);

  const refresh = () => refreshAfterChange(qc);

  // Asks Rust what merging the two would do: saving without confirmation answers with the plan.
  const plan = useMutation({
    mutationFn: async (item: ReviewItem): Promise<ReviewMerge | null> => {
      if (!item.email_contact_id || !item.phone_contact_id) return null;
      const [holder, folded] = await Promise.all([
        api.getContact(item.email_contact_id),
        api.getContact(item.phone_contact_id),
      ]);
      const fields = valuesOf(holder);
      try {
        await api.editContact(folded.id, fields, false);
        return null;
      } catch (e) {
        if (e instanceof ApiError && e.code === "merge_needed" && e.plan) return { folded, fields, plan: e.plan };
        throw e;
      }
    },
    onMutate: () => setReviewError(null),
    onSuccess: (next) => {
      if (next) setMerging(next);
      else refresh();
    },
    onError: (e) => setReviewError(errorMessage(e)),
  });
  const merge = useMutation({
    mutationFn: (m: ReviewMerge) => api.editContact(m.folded.id, m.fields, true),
    onSuccess: () => {
      setMerging(null);
      refresh();
    },
  });
  const dismiss = useMutation({
    mutationFn: (id: string) => api.dismissConflict(id),
    onMutate: () => setReviewError(null),
    onSuccess: refresh,
    onError: (e) => setReviewError(errorMessage(e)),
  });

  return (
    <div className="activities">
      <div className="activities-header">
        <h2>Activities</h2>
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

      <section className="review" aria-labelledby="review-title">
        <h2 id="review-title">Review</h2>
        {conflicts.isError ? (
          <p role="alert" className="form-error">
            {errorMessage(conflicts.error)}
          </p>
        ) : conflicts.data === undefined ? (
          <p className="muted">Loading…</p>
        ) : conflicts.data.length === 0 ? (
          <p className="muted">Nothing to review</p>
        ) : (
          <ul className="review-list" aria-label="Held for review">
            {conflicts.data.map((r) => (
              <li key={r.id} data-review={r.id}>
                <span className="review-reason">{r.reason}</span>
                <span className="muted">
                  {" · "}
                  <When at={r.created_at} />
                </span>
                <span className="review-actions">
                  {r.email_contact_id && r.phone_contact_id && (
                    <button type="button" className="button" disabled={plan.isPending} onClick={() => plan.mutate(r)}>
                      Merge…
                    </button>
                  )}
                  <button type="button" className="button" disabled={dismiss.isPending} onClick={() => dismiss.mutate(r.id)}>
                    Dismiss
                  </button>
                </span>
              </li>
            ))}
          </ul>
        )}
        {reviewError && (
          <p role="alert" className="form-error">
            {reviewError}
          </p>
        )}
      </section>
      {merging && (
        <MergeDialog
          plan={merging.plan}
          edited={merging.folded}
          inPane={false}
          pending={merge.isPending}
          error={merge.isError ? errorMessage(merge.error) : null}
          onConfirm={() => merge.mutate(merging)}
          onCancel={() => {
            merge.reset();
            setMerging(null);
          }}
        />
      )}
    </div>
  );
}
