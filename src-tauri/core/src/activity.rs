//! Activities: meetings, chatbot conversations and routing-form submissions. Recording one
//! resolves who it was with (identity: email, then mobile phone) and creates or updates
//! that contact with what the customer gave: the seed's automatic contacts.

use serde::{Deserialize, Serialize};
use sqlx::SqliteConnection;

use crate::booking::{one_of, Booking};
use crate::error::{Error, Result};
use crate::funnel::{Funnel, Source};
use crate::identity::{self, Match};
use crate::journal::{self, BatchKind, Op};
use crate::links::Whom;
use crate::links::{Link, ACTIVITY};
use crate::record::{ContactFields, ContactRow};
use crate::rows;
use crate::store::{now, Store};
use crate::users::{self, User};
use crate::{merge, settings};

#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, specta::Type, utoipa::ToSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum Kind {
    Meeting,
    Chat,
    Form,
}

impl Kind {
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Meeting => "meeting",
            Kind::Chat => "chat",
            Kind::Form => "form",
        }
    }
}

/// An activity to record: what the customer gave, and for meetings the booking. A field it
/// does not know is refused by name.
#[derive(Debug, Clone, Default, Deserialize, specta::Type, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewActivity {
    pub kind: Option<Kind>,
    pub fields: ContactFields,
    /// The host's email (default: the acting user).
    pub host: Option<String>,
    pub status: Option<String>,
    pub starts_at: Option<String>,
    pub ends_at: Option<String>,
    pub calendar: Option<String>,
    /// The calendar's event id: recording a known event again updates that meeting's booking.
    pub event_id: Option<String>,
    /// The calendar the event is in (Google's calendar id; `primary` when not given).
    pub calendar_id: Option<String>,
}

/// What recording did (CLI.md: `activities add` prints this).
#[derive(Debug, Clone, PartialEq, Serialize, specta::Type, utoipa::ToSchema)]
pub struct Recorded {
    pub id: String,
    pub kind: Kind,
    /// None when the activity's contact is one the recording user may not see.
    pub contact_id: Option<String>,
    pub created_contact: bool,
}

/// An activity as lists show it; `contact_id` is None once its contact was deleted.
#[derive(Debug, Clone, PartialEq, Serialize, specta::Type)]
pub struct Activity {
    pub id: String,
    pub kind: String,
    pub contact_id: Option<String>,
    pub contact_deleted: bool,
    pub host: String,
    pub status: Option<String>,
    pub starts_at: Option<String>,
    pub ends_at: Option<String>,
    pub calendar: Option<String>,
    pub event_id: Option<String>,
    pub with_name: Option<String>,
    pub with_email: Option<String>,
    pub with_phone: Option<String>,
    pub created_at: String,
}

/// Records an activity. No match: a new contact owned by the host. One match: attached;
/// blanks filled and the customer's non-empty details replace older ones (no prompt: the
/// customer just gave them). Email and phone pointing at two contacts: attached to the
/// email's, phones left alone, and held for review. Neither identifier: refused.
pub async fn record(store: &Store, user: &User, new: &NewActivity) -> Result<Recorded> {
    record_from(store, user, new, None).await
}

/// Where an activity pulled from the cloud came from: its booking's (or conversation's) id,
/// which finds it again, and the contact the cloud linked it to.
pub(crate) struct FromCloud<'a> {
    pub remote_id: &'a str,
    pub contact_id: Option<i64>,
}

/// `record`, for a typed activity (`None`) or one pulled from the cloud: seen again, a
/// cloud booking rebooks its activity; its contact changes are the cloud's (never pushed
/// back to it).
pub(crate) async fn record_from(
    store: &Store,
    user: &User,
    new: &NewActivity,
    cloud: Option<&FromCloud<'_>>,
) -> Result<Recorded> {
    let kind = new
        .kind
        .ok_or_else(|| Error::invalid("kind", "an activity needs a kind: meeting, chat or form"))?;
    let mut booking = Booking::read(&new.status, &new.starts_at, &new.ends_at)?;
    let at = now();
    let calendar = one_of("calendar", &new.calendar, &["google", "exchange", "other"])?;
    let event_id = new
        .event_id
        .as_deref()
        .map(str::trim)
        .filter(|v| !v.is_empty())
        .map(str::to_string);
    if event_id.is_some() && (kind != Kind::Meeting || calendar.is_none()) {
        return Err(Error::invalid(
            "event_id",
            "an event id belongs to a meeting in a calendar: give --calendar too",
        ));
    }
    let calendar_id = new
        .calendar_id
        .as_deref()
        .map(str::trim)
        .filter(|v| !v.is_empty())
        .map(str::to_string);
    if calendar_id.is_some() && event_id.is_none() {
        return Err(Error::invalid(
            "calendar_id",
            "a calendar id names the calendar of an event: give --event-id too",
        ));
    }
    if let Some(from) = cloud {
        let known: Option<i64> =
            sqlx::query_scalar("SELECT id FROM activities WHERE remote_id = ?")
                .bind(from.remote_id)
                .fetch_optional(store.pool())
                .await?;
        if let Some(id) = known {
            return rebook(store, user, &id.to_string(), &booking).await;
        }
    }
    if let Some(event) = &event_id {
        let known: Option<i64> =
            sqlx::query_scalar("SELECT id FROM activities WHERE calendar = ? AND event_id = ?")
                .bind(&calendar)
                .bind(event)
                .fetch_optional(store.pool())
                .await?;
        if let Some(id) = known {
            // The same calendar event again (a reschedule, a cancelation): its booking changes.
            return rebook(store, user, &id.to_string(), &booking).await;
        }
    }
    // A new meeting ahead is scheduled unless it is said to be otherwise, whichever way it
    // came in (the window's dialog, `activities add`, the API, a booking from the cloud).
    // A known event's booking keeps its status (above).
    if kind == Kind::Meeting
        && booking.status.is_none()
        && booking
            .starts_at
            .as_deref()
            .is_some_and(|s| s > at.as_str())
    {
        booking.status = Some("scheduled".into());
    }
    let mut tx = store.write().await?;
    let host = match &new.host {
        None => user.clone(),
        Some(email) => users::find_by_email(&mut tx, email).await?.ok_or_else(|| {
            Error::invalid("host", format!("no user with email {}", email.trim()))
        })?,
    };
    let region = settings::default_region(&mut tx).await?;
    let mut entry = ContactRow::blank(host.id, at.clone());
    entry.apply(new.fields.clone(), &region)?;
    // A cloud booking's contact is the one the cloud linked it to, when it is here.
    let linked = match cloud.and_then(|c| c.contact_id) {
        Some(id) => rows::load_row(&mut tx, id).await?,
        None => None,
    };
    let found = match linked {
        Some(row) => Match::One(Box::new(row)),
        None => {
            identity::resolve(
                &mut tx,
                entry.email.as_deref(),
                entry.mobile_phone.as_deref(),
                None,
            )
            .await?
        }
    };
    let funnel = Funnel::begin(
        &mut tx,
        user.id,
        BatchKind::Activity,
        &at,
        &format!("Recorded a {}", kind.as_str()),
        if cloud.is_some() {
            Source::Cloud
        } else {
            Source::Activity
        },
    )
    .await?;
    let (contact, created) = match &found {
        Match::Nobody => (funnel.create(&mut tx, &entry).await?, true),
        Match::One(existing) => (
            update_with(&mut tx, &funnel, existing, &entry).await?,
            false,
        ),
        Match::Split { by_email, .. } => {
            let mut without_phone = entry.clone();
            without_phone.mobile_phone = None;
            (
                update_with(&mut tx, &funnel, by_email, &without_phone).await?,
                false,
            )
        }
    };
    // The customer's details update their contact whoever owns it (the customer gave them),
    // but the reply and the activity's snapshot show the recording user only what they may
    // see: the contact's own details when it is theirs to see, else what the customer gave.
    let scope = users::scope(&mut tx, user).await?;
    let visible = scope.allows(contact.owner_id);
    let shown = if visible { &contact } else { &entry };
    let given = crate::error::json(&new.fields)?;
    let id = insert(
        &mut tx,
        funnel.batch(),
        &Row {
            kind,
            contact_id: contact.id,
            host_id: host.id,
            booking: &booking,
            calendar: calendar.as_deref(),
            event_id: event_id.as_deref(),
            remote_id: cloud.map(|c| c.remote_id),
            calendar_id: calendar_id.as_deref(),
            given: &given,
            with_name: shown.display_name(),
            with_email: entry.email.as_ref().or(shown.email.as_ref()).cloned(),
            with_phone: entry
                .mobile_phone
                .as_ref()
                .or(shown.mobile_phone.as_ref())
                .cloned(),
            at: &at,
        },
    )
    .await?;
    crate::notify::schedule(&mut tx, id, &Whom::of(&contact), &booking, &at, &[]).await?;
    if let Match::Split { by_email, by_phone } = &found {
        sqlx::query(
            "INSERT INTO review_items (source, activity_id, given, email_contact_id, phone_contact_id, reason, created_at) \
             VALUES ('activity', ?, ?, ?, ?, ?, ?)",
        )
        .bind(id)
        .bind(&given)
        .bind(by_email.id)
        .bind(by_phone.id)
        .bind(format!(
            "the email belongs to contact {} and the mobile phone to contact {}",
            by_email.id, by_phone.id
        ))
        .bind(&at)
        .execute(&mut *tx)
        .await?;
    }
    tx.commit().await?;
    Ok(Recorded {
        id: id.to_string(),
        kind,
        contact_id: visible.then(|| contact.id.to_string()),
        created_contact: created,
    })
}

/// An activity's row as it is stored: who it was with (the contact, and the snapshot that
/// outlives it) and, for a meeting, its booking.
pub(crate) struct Row<'a> {
    pub kind: Kind,
    pub contact_id: i64,
    pub host_id: i64,
    pub booking: &'a Booking,
    pub calendar: Option<&'a str>,
    pub event_id: Option<&'a str>,
    /// The cloud booking's or conversation's id, and the calendar's id of its event.
    pub remote_id: Option<&'a str>,
    pub calendar_id: Option<&'a str>,
    /// What the customer gave, as JSON contact fields.
    pub given: &'a str,
    pub with_name: String,
    pub with_email: Option<String>,
    pub with_phone: Option<String>,
    pub at: &'a str,
}

/// Writes an activity's row, journaled in `batch` (its link to its contact, which merges
/// move and undo reads). The one place an activity is written.
pub(crate) async fn insert(conn: &mut SqliteConnection, batch: i64, row: &Row<'_>) -> Result<i64> {
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO activities (kind, contact_id, host_id, status, starts_at, ends_at, calendar, event_id, \
         remote_id, calendar_id, given, with_name, with_email, with_phone, created_at) \
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id",
    )
    .bind(row.kind.as_str())
    .bind(row.contact_id)
    .bind(row.host_id)
    .bind(&row.booking.status)
    .bind(&row.booking.starts_at)
    .bind(&row.booking.ends_at)
    .bind(row.calendar)
    .bind(row.event_id)
    .bind(row.remote_id)
    .bind(row.calendar_id)
    .bind(row.given)
    .bind(&row.with_name)
    .bind(&row.with_email)
    .bind(&row.with_phone)
    .bind(row.at)
    .fetch_one(&mut *conn)
    .await?;
    let link = Link {
        contact_id: Some(row.contact_id),
    };
    journal::record(conn, batch, ACTIVITY, id, Op::Insert, None, Some(&link)).await?;
    Ok(id)
}

/// Changes a meeting's booking (canceled, rescheduled, completed...; a time not given stays).
/// Its pending notifications follow in the same transaction: all are canceled, then what the
/// new booking needs is scheduled (reminders while ahead, the follow-up once completed).
pub async fn rebook(store: &Store, user: &User, id: &str, change: &Booking) -> Result<Recorded> {
    let change = Booking::read(&change.status, &change.starts_at, &change.ends_at)?;
    let mut tx = store.write().await?;
    let scope = users::scope(&mut tx, user).await?;
    #[derive(sqlx::FromRow)]
    struct Row {
        id: i64,
        kind: String,
        contact_id: Option<i64>,
        host_id: i64,
        owner_id: Option<i64>,
        status: Option<String>,
        starts_at: Option<String>,
        ends_at: Option<String>,
        with_email: Option<String>,
        with_phone: Option<String>,
    }
    let row: Option<Row> = sqlx::query_as(
        "SELECT a.id, a.kind, a.contact_id, a.host_id, c.owner_id, a.status, a.starts_at, a.ends_at, \
         a.with_email, a.with_phone FROM activities a LEFT JOIN contacts c ON c.id = a.contact_id WHERE a.id = ?",
    )
    .bind(id.trim().parse::<i64>().unwrap_or(0))
    .fetch_optional(&mut *tx)
    .await?;
    let row = row
        .filter(|r| scope.allows_activity(r.owner_id, r.host_id))
        .ok_or_else(|| Error::NotFound(format!("no activity with id {}", id.trim())))?;
    if row.kind != Kind::Meeting.as_str() {
        return Err(Error::invalid("status", "only a meeting has a booking"));
    }
    let booking = Booking {
        status: change.status.or(row.status.clone()),
        starts_at: change.starts_at.or(row.starts_at.clone()),
        ends_at: change.ends_at.or(row.ends_at.clone()),
    };
    let recorded = Recorded {
        id: row.id.to_string(),
        kind: Kind::Meeting,
        contact_id: row
            .contact_id
            .filter(|_| row.owner_id.is_some_and(|o| scope.allows(o)))
            .map(|c| c.to_string()),
        created_contact: false,
    };
    if (&booking.status, &booking.starts_at, &booking.ends_at)
        == (&row.status, &row.starts_at, &row.ends_at)
    {
        // The same booking again (a calendar sync): nothing changes, nothing is resent.
        return Ok(recorded);
    }
    // Same times, new status (completed, say): what already went out for them stays sent.
    let same_times = (&booking.starts_at, &booking.ends_at) == (&row.starts_at, &row.ends_at);
    booking.in_order()?;
    sqlx::query("UPDATE activities SET status = ?, starts_at = ?, ends_at = ? WHERE id = ?")
        .bind(&booking.status)
        .bind(&booking.starts_at)
        .bind(&booking.ends_at)
        .bind(row.id)
        .execute(&mut *tx)
        .await?;
    let why = format!(
        "the meeting is now {}",
        booking.status.as_deref().unwrap_or("without a status")
    );
    crate::notify::cancel_pending(&mut tx, row.id, &why).await?;
    // Who they go to: the contact as it is now, else (deleted) the activity's snapshot.
    let contact = match row.contact_id {
        Some(c) => rows::load_row(&mut tx, c).await?,
        None => None,
    };
    let whom = match &contact {
        Some(c) => Whom::of(c),
        None => Whom {
            contact_id: None,
            email: row.with_email.clone(),
            mobile_phone: row.with_phone.clone(),
        },
    };
    let sent = if same_times {
        crate::notify::sent_steps(&mut tx, row.id).await?
    } else {
        Vec::new()
    };
    crate::notify::schedule(&mut tx, row.id, &whom, &booking, &now(), &sent).await?;
    tx.commit().await?;
    Ok(recorded)
}

/// `existing` with the customer's details applied (fill and replace, never clear).
async fn update_with(
    conn: &mut SqliteConnection,
    funnel: &Funnel,
    existing: &ContactRow,
    entry: &ContactRow,
) -> Result<ContactRow> {
    let plan = merge::plan(existing, entry, vec![existing.id.to_string()]);
    let mut result = merge::apply(existing, &plan);
    result.last_interacted_at = Some(entry.created_at.clone());
    if result != *existing {
        result.updated_at = entry.created_at.clone();
        funnel.update(conn, existing, &result).await?;
    }
    Ok(result)
}

/// Activities for reporting: all (deleted contacts' included and marked), or one contact's.
pub async fn list(store: &Store, user: &User, contact: Option<&str>) -> Result<Vec<Activity>> {
    let mut conn = store.pool().acquire().await?;
    let scope = users::scope(&mut conn, user).await?;
    let contact_id = rows::visible_id(&mut conn, &scope, contact).await?;
    #[derive(sqlx::FromRow)]
    struct Row {
        id: i64,
        kind: String,
        contact_id: Option<i64>,
        contact_deleted: bool,
        host: String,
        host_id: i64,
        owner_id: Option<i64>,
        status: Option<String>,
        starts_at: Option<String>,
        ends_at: Option<String>,
        calendar: Option<String>,
        event_id: Option<String>,
        with_name: Option<String>,
        with_email: Option<String>,
        with_phone: Option<String>,
        created_at: String,
    }
    let rows: Vec<Row> = sqlx::query_as(
        "SELECT a.id, a.kind, a.contact_id, a.contact_deleted, u.email AS host, a.host_id, c.owner_id, \
         a.status, a.starts_at, a.ends_at, a.calendar, a.event_id, a.with_name, a.with_email, a.with_phone, a.created_at \
         FROM activities a JOIN users u ON u.id = a.host_id LEFT JOIN contacts c ON c.id = a.contact_id \
         WHERE ?1 IS NULL OR a.contact_id = ?1 ORDER BY coalesce(a.starts_at, a.created_at) DESC, a.id DESC",
    )
    .bind(contact_id)
    .fetch_all(&mut *conn)
    .await?;
    Ok(rows
        .into_iter()
        // What a user may see: activities of contacts they may see, and those they hosted.
        .filter(|r| scope.allows_activity(r.owner_id, r.host_id))
        .map(|r| Activity {
            id: r.id.to_string(),
            kind: r.kind,
            // A hosted activity with someone else's contact: the contact stays hidden.
            contact_id: r
                .contact_id
                .filter(|_| r.owner_id.is_some_and(|o| scope.allows(o)))
                .map(|c| c.to_string()),
            contact_deleted: r.contact_deleted,
            host: r.host,
            status: r.status,
            starts_at: r.starts_at,
            ends_at: r.ends_at,
            calendar: r.calendar,
            event_id: r.event_id,
            with_name: r.with_name,
            with_email: r.with_email,
            with_phone: r.with_phone,
            created_at: r.created_at,
        })
        .collect())
}
