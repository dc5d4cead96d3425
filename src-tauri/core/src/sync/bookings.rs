//! Bookings pulled from the cloud become meetings through the same function as a typed
//! activity (`activity::record_from`): attached to the contact the cloud linked, else matched
//! by the customer's email and mobile phone from the booking form, auto-created or filled.
//! A booking seen again rebooks its meeting; an expanded conversation becomes its chat.

use serde_json::Value;

use super::client::{id_of, Failure};
use super::pull::{changed_since, newer};
use super::{Cloud, SyncSummary};
use crate::activity::{self, FromCloud, Kind, NewActivity};
use crate::error::{Error, ErrorCode, Result};
use crate::record::ContactFields;
use crate::settings;

fn text(item: &Value, key: &str) -> Option<String> {
    item.get(key)
        .and_then(Value::as_str)
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_string)
}

/// OnceHub's booking status as a meeting's: requested is scheduled, no_show is no-show, one
/// in the trash is canceled.
fn status(booking: &Value) -> Option<String> {
    if booking.get("in_trash").and_then(Value::as_bool) == Some(true) {
        return Some("canceled".into());
    }
    text(booking, "status").map(|s| match s.as_str() {
        "requested" => "scheduled".into(),
        "no_show" => "no-show".into(),
        _ => s,
    })
}

/// The meeting's calendar: google, exchange (Exchange and Office 365), other; none without one.
fn calendar(booking: &Value) -> Option<String> {
    let kind = text(booking.get("external_calendar")?, "type")?;
    Some(
        match kind.as_str() {
            "google" => "google",
            "exchange" | "office_365" => "exchange",
            "none" => return None,
            _ => "other",
        }
        .into(),
    )
}

/// What the customer typed into the booking form, as contact fields (the name split at the
/// first space).
fn customer(form: Option<&Value>) -> ContactFields {
    let mut fields = ContactFields::default();
    let Some(form) = form else { return fields };
    if let Some(name) = text(form, "name") {
        match name.split_once(' ') {
            Some((first, last)) => {
                fields.first_name = Some(first.to_string());
                fields.last_name = Some(last.trim().to_string());
            }
            None => fields.first_name = Some(name),
        }
    }
    fields.email = text(form, "email");
    fields.mobile_phone = text(form, "mobile_phone");
    fields.phone = text(form, "phone");
    fields.company = text(form, "company");
    fields
}

fn end_of(booking: &Value) -> Option<String> {
    let start = chrono::DateTime::parse_from_rfc3339(&text(booking, "starting_time")?).ok()?;
    let minutes = booking.get("duration_minutes").and_then(Value::as_i64)?;
    Some(
        (start + chrono::Duration::minutes(minutes))
            .with_timezone(&chrono::Utc)
            .to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
    )
}

/// The id of a reference that may be expanded into its object.
fn reference(item: &Value, key: &str) -> Option<String> {
    match item.get(key)? {
        Value::String(id) => Some(id.clone()),
        o @ Value::Object(_) => id_of(o),
        _ => None,
    }
}

impl Cloud<'_> {
    pub(super) async fn pull_bookings(&self, summary: &mut SyncSummary) -> Result<()> {
        let mut conn = self.store.pool().acquire().await?;
        let watermark = settings::get(&mut conn, settings::CLOUD_BOOKINGS_PULLED).await?;
        drop(conn);
        let mut newest = watermark.clone();
        let mut after: Option<String> = None;
        loop {
            if self.canceled() {
                return Ok(());
            }
            let mut filters = changed_since(watermark.as_deref());
            filters.push(("expand", "data.conversation".to_string()));
            let page = match self
                .client
                .page(self.store, "/bookings", &filters, after.as_deref())
                .await?
            {
                Ok(p) => p,
                Err(Failure::Key(message)) => return Err(Error::Forbidden(message)),
                Err(_) => return Ok(()),
            };
            for booking in &page.data {
                summary.activities += self.take_booking(booking).await?;
                newer(&mut newest, booking);
            }
            self.report("bookings", summary.activities);
            after = page.next();
            if after.is_none() {
                break;
            }
        }
        if let Some(newest) = newest {
            let mut conn = self.store.pool().acquire().await?;
            settings::put(&mut conn, settings::CLOUD_BOOKINGS_PULLED, &newest).await?;
        }
        Ok(())
    }

    /// Records one booking (and its conversation); how many activities it recorded or
    /// updated. One the rules refuse (no email or mobile phone, say) is skipped.
    async fn take_booking(&self, booking: &Value) -> Result<u32> {
        let Some(id) = id_of(booking) else {
            return Ok(0);
        };
        let calendar = calendar(booking);
        let event_id = calendar
            .as_ref()
            .and_then(|_| text(booking.get("external_calendar")?, "event_id"));
        let meeting = NewActivity {
            kind: Some(Kind::Meeting),
            fields: customer(booking.get("form_submission")),
            host: self.host_of(booking).await?,
            status: status(booking),
            starts_at: text(booking, "starting_time"),
            ends_at: end_of(booking),
            calendar_id: event_id
                .as_ref()
                .and_then(|_| text(booking.get("external_calendar")?, "id")),
            event_id,
            calendar,
        };
        let from = FromCloud {
            remote_id: &id,
            contact_id: self.linked(reference(booking, "contact")).await?,
        };
        let mut recorded = self.record(&meeting, &from).await?;
        if let Some(conversation) = booking.get("conversation").filter(|c| c.is_object()) {
            if let Some(cid) = id_of(conversation) {
                let person = conversation.get("contact").filter(|c| c.is_object());
                let mut fields = ContactFields::default();
                if let Some(person) = person {
                    for f in ["first_name", "last_name", "email", "mobile_phone", "phone"] {
                        if let Some(v) = text(person, f) {
                            fields.set_text(f, v);
                        }
                    }
                }
                let chat = NewActivity {
                    kind: Some(Kind::Chat),
                    fields,
                    host: self.host_of(conversation).await?,
                    ..NewActivity::default()
                };
                let from = FromCloud {
                    remote_id: &cid,
                    contact_id: self.linked(reference(conversation, "contact")).await?,
                };
                recorded += self.record(&chat, &from).await?;
            }
        }
        Ok(recorded)
    }

    async fn record(&self, new: &NewActivity, from: &FromCloud<'_>) -> Result<u32> {
        match activity::record_from(self.store, &self.user, new, Some(from)).await {
            Ok(_) => Ok(1),
            Err(e) if matches!(e.code(), ErrorCode::Invalid | ErrorCode::NotFound) => Ok(0),
            Err(e) => Err(e),
        }
    }

    /// The host's email: the user the item's `owner` names, else the signed-in user.
    async fn host_of(&self, item: &Value) -> Result<Option<String>> {
        let mut conn = self.store.pool().acquire().await?;
        let id = self.owner_of(&mut conn, item).await?;
        Ok(sqlx::query_scalar("SELECT email FROM users WHERE id = ?")
            .bind(id)
            .fetch_optional(&mut *conn)
            .await?)
    }

    /// The local contact linked to a cloud contact id.
    async fn linked(&self, remote_id: Option<String>) -> Result<Option<i64>> {
        let Some(remote_id) = remote_id else {
            return Ok(None);
        };
        Ok(
            sqlx::query_scalar("SELECT contact_id FROM remote_contacts WHERE remote_id = ?")
                .bind(remote_id)
                .fetch_optional(self.store.pool())
                .await?,
        )
    }
}
