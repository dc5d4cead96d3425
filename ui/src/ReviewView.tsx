// The Review view: what is held for review (an activity or an imported row whose email named one contact and whose mobile phone another), each merged through the merge dialog or dismissed.
import { useState } from "react";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { When } from "./When";
import { ApiError, api, errorMessage, type Contact, type ContactFields, type MergePlan, type ReviewItem } from "./api";
import { refreshAfterChange } from "./changes";
import { MergeDialog } from "./MergeDialog";
import { displayName } from "./format";
import { CONFLICTS_KEY, contactKey } from "./queryKeys";

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

/** A contact's name as the list reads it (fetched by id, shared with the merge dialog's cache). */
function ContactName({ id }: { id: string }) {
  const contact = useQuery({ queryKey: contactKey(id), queryFn: () => api.getContact(id) });
  return <strong>{contact.data ? displayName(contact.data) : `contact ${id}`}</strong>;
}

/** `folded` is the phone's holder, edited to take the email holder's values; the plan names the survivor first. */
type ReviewMerge = { folded: Contact; fields: ContactFields; plan: MergePlan };

export function ReviewView() {
  const qc = useQueryClient();
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
      <section className="review" aria-labelledby="review-title">
        <h2 id="review-title" className="visually-hidden">
          Review
        </h2>
        <p className="muted view-intro">
          An activity or an imported row whose email names one contact and whose mobile phone names another waits here:
          merge the two (the email&rsquo;s contact survives) or dismiss it.
        </p>
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
                <span className="review-reason" title={r.reason}>
                  {r.email_contact_id && r.phone_contact_id ? (
                    <>
                      The email names <ContactName id={r.email_contact_id} />, the mobile phone{" "}
                      <ContactName id={r.phone_contact_id} />
                    </>
                  ) : (
                    r.reason
                  )}
                </span>
                <span className="muted">
                  {" · "}
                  {r.source === "import" ? "from an import" : "from an activity"}
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
