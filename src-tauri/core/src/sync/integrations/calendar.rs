//! Google Calendar and Microsoft Exchange: when a contact's email changes, each of their
//! future meetings on that calendar has its guest list updated, the old address replaced by
//! the new one. The whole list is sent (both APIs replace the array they are given), read
//! from the event first. Meetings on other calendars, past or canceled ones are left alone,
//! and the contact pane says so, meeting by meeting.

use reqwest::Method;
use serde_json::{json, Value};

use super::deliver::{Outcome, Work};
use super::wire::Remote;
use super::{segment, MeetingResult, GOOGLE_SEND_UPDATES};
use crate::error::Result;
use crate::settings;
use crate::store::now;
use crate::sync::client::Failure;

type Reply = std::result::Result<Outcome, Failure>;

#[derive(sqlx::FromRow)]
struct Meeting {
    id: i64,
    starts_at: Option<String>,
    calendar: Option<String>,
    event_id: Option<String>,
    calendar_id: Option<String>,
    status: Option<String>,
}

/// The activities' name of this integration's calendar.
fn platform(name: &str) -> &'static str {
    if name == "google" {
        "google"
    } else {
        "exchange"
    }
}

fn left(m: &Meeting, why: impl Into<String>) -> MeetingResult {
    MeetingResult {
        activity_id: m.id.to_string(),
        starts_at: m.starts_at.clone(),
        calendar: m.calendar.clone().unwrap_or_else(|| "none".into()),
        updated: false,
        why: why.into(),
    }
}

/// Why a meeting is not this calendar's to update; None when it is.
fn not_ours(m: &Meeting, ours: &str, label: &str, at: &str) -> Option<String> {
    match m.calendar.as_deref() {
        Some(c) if c == ours => {}
        Some("google") | Some("exchange") => return Some("on the other connected calendar".into()),
        _ => {
            return Some(
                "not on Google Calendar or Exchange: other calendars are deliberately not updated"
                    .into(),
            )
        }
    }
    if m.starts_at.as_deref().is_none_or(|s| s <= at) {
        return Some("in the past: past meetings are left as they were".into());
    }
    if m.status.as_deref() == Some("canceled") {
        return Some("canceled".into());
    }
    if m.event_id.is_none() {
        return Some(format!("no {label} event id is known for it"));
    }
    None
}

/// The event's URL: Google's under its calendar (`primary` unless the booking named one),
/// Graph's under the signed-in user.
fn event_url(remote: &Remote<'_>, m: &Meeting) -> String {
    let event = segment(m.event_id.as_deref().unwrap_or_default());
    if remote.spec.name == "google" {
        let calendar = segment(m.calendar_id.as_deref().unwrap_or("primary"));
        format!(
            "{}/calendar/v3/calendars/{calendar}/events/{event}",
            remote.base
        )
    } else {
        format!("{}/me/events/{event}", remote.base)
    }
}

/// An attendee's address, in either API's shape.
fn address(attendee: &Value) -> Option<&str> {
    attendee
        .get("email")
        .or_else(|| attendee.get("emailAddress").and_then(|e| e.get("address")))
        .and_then(Value::as_str)
}

/// The guest list with `old` replaced by `new` (each guest's other details kept; Graph's
/// read-only `status` dropped). None when `old` is not a guest.
fn replaced(attendees: &[Value], old: &str, new: &str, google: bool) -> Option<Vec<Value>> {
    let is = |a: &Value, who: &str| address(a).is_some_and(|x| x.eq_ignore_ascii_case(who));
    if !attendees.iter().any(|a| is(a, old)) {
        return None;
    }
    let already = attendees.iter().any(|a| is(a, new));
    let mut list = Vec::with_capacity(attendees.len());
    for a in attendees {
        let mut a = a.clone();
        if !google {
            if let Some(o) = a.as_object_mut() {
                o.remove("status");
            }
        }
        if is(&a, old) {
            // The new address is a guest already: the old one just goes.
            if already {
                continue;
            }
            if google {
                a["email"] = json!(new);
            } else {
                a["emailAddress"]["address"] = json!(new);
            }
        }
        list.push(a);
    }
    Some(list)
}

/// Updates the guest lists of this contact's future meetings on this calendar.
pub(super) async fn update(remote: &Remote<'_>, work: &Work<'_>) -> Result<Reply> {
    let google = remote.spec.name == "google";
    let label = remote.spec.label;
    let (Some(old), Some(new)) = (work.was("email"), work.row.email.clone()) else {
        let why = if work.row.email.is_none() {
            "the contact has no email now: guest lists were left as they are"
        } else {
            "the contact had no email before: there was no guest to replace"
        };
        return Ok(Ok(Outcome::nothing(why)));
    };
    let mut conn = remote.store.pool().acquire().await?;
    let meetings: Vec<Meeting> = sqlx::query_as(
        "SELECT id, starts_at, calendar, event_id, calendar_id, status FROM activities \
         WHERE contact_id = ? AND kind = 'meeting' ORDER BY starts_at, id",
    )
    .bind(work.contact_id)
    .fetch_all(&mut *conn)
    .await?;
    let send_updates = settings::get(&mut conn, GOOGLE_SEND_UPDATES)
        .await?
        .unwrap_or_else(|| "none".into());
    drop(conn);
    let at = now();
    let mut results = Vec::new();
    for m in &meetings {
        if let Some(why) = not_ours(m, platform(remote.spec.name), label, &at) {
            results.push(left(m, why));
            continue;
        }
        let url = event_url(remote, m);
        let event = match remote.call(Method::GET, &url, &[], None).await? {
            Ok(e) => e,
            Err(Failure::NotFound) => {
                results.push(left(m, format!("the event is no longer in {label}")));
                continue;
            }
            Err(f) => return Ok(Err(f)),
        };
        let attendees = event
            .get("attendees")
            .and_then(Value::as_array)
            .cloned()
            .unwrap_or_default();
        let Some(list) = replaced(&attendees, &old, &new, google) else {
            let why = if attendees
                .iter()
                .any(|a| address(a).is_some_and(|x| x.eq_ignore_ascii_case(&new)))
            {
                format!("{new} is on its guest list already")
            } else {
                format!("{old} is not on its guest list")
            };
            results.push(left(m, why));
            continue;
        };
        let query: Vec<(&str, String)> = if google {
            vec![("sendUpdates", send_updates.clone())]
        } else {
            Vec::new()
        };
        let body = json!({ "attendees": list });
        match remote
            .call(Method::PATCH, &url, &query, Some(&body))
            .await?
        {
            Ok(_) => results.push(MeetingResult {
                updated: true,
                why: if google {
                    format!("{old} replaced by {new} (guest emails: {send_updates})")
                } else {
                    format!("{old} replaced by {new} (Exchange emails the guests itself)")
                },
                ..left(m, "")
            }),
            Err(Failure::NotFound) => {
                results.push(left(m, format!("the event is no longer in {label}")))
            }
            Err(f) => return Ok(Err(f)),
        }
    }
    let done = results.iter().filter(|r| r.updated).count();
    let detail = match results.len() {
        0 => "the contact has no meetings: there was no guest list to update".to_string(),
        n => format!("{done} of {n} meetings updated in {label}"),
    };
    Ok(Ok(Outcome {
        result: if done > 0 {
            "updated"
        } else {
            "nothing to send"
        },
        detail,
        remote: None,
        remote_url: None,
        meetings: results,
    }))
}
