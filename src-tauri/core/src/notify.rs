//! Pending notifications: meeting reminders and workflow steps, each with its channel,
//! recipient, send time and status. While pending they follow their contact's email and
//! mobile phone (edits and merges retarget them, journaled so undo puts them back); a
//! deleted contact's reminders stay and are still sent.

use serde::{Deserialize, Serialize};
use sqlx::SqliteConnection;

use crate::contact::ContactRow;
use crate::contacts;
use crate::error::Result;
use crate::journal::{self, Op};
use crate::store::Store;
use crate::users::{self, User};

/// The journal's name for notification rows.
pub const NOTIFICATION: &str = "notification";

/// Reminders for a scheduled meeting: channel, minutes before it starts, purpose.
const REMINDERS: [(&str, i64, &str); 3] = [
    ("email", 24 * 60, "Reminder: 24 hours before"),
    ("email", 60, "Reminder: 1 hour before"),
    ("sms", 60, "Reminder: 1 hour before"),
];
/// The follow-up workflow: an email two days after a completed meeting.
const FOLLOW_UP_MINUTES: i64 = 2 * 24 * 60;

/// Who a pending notification goes to, as the journal keeps it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Target {
    pub contact_id: Option<i64>,
    pub recipient: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, specta::Type)]
pub struct Notification {
    pub id: String,
    pub activity_id: String,
    pub contact_id: Option<String>,
    pub channel: String,
    pub recipient: String,
    pub purpose: String,
    pub send_at: String,
    pub status: String,
    pub attempts: u32,
    pub last_error: Option<String>,
    pub sent_at: Option<String>,
}

fn address<'a>(contact: &'a ContactRow, channel: &str) -> Option<&'a String> {
    match channel {
        "email" => contact.email.as_ref(),
        _ => contact.mobile_phone.as_ref(),
    }
}

fn minutes(t: &str, delta: i64) -> Option<String> {
    let t = chrono::DateTime::parse_from_rfc3339(t).ok()?;
    Some(
        (t + chrono::Duration::minutes(delta))
            .with_timezone(&chrono::Utc)
            .to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
    )
}

/// Schedules what a newly recorded meeting needs: reminders while it is ahead (one whose
/// time has passed goes out at the next dispatch), or the follow-up once it is completed.
pub(crate) async fn schedule(
    conn: &mut SqliteConnection,
    activity_id: i64,
    contact: &ContactRow,
    status: Option<&str>,
    starts_at: Option<&str>,
    ends_at: Option<&str>,
    now: &str,
) -> Result<()> {
    let now_secs = minutes(now, 0).unwrap_or_else(|| now.to_string());
    let mut planned: Vec<(&str, String, &str)> = Vec::new();
    match (status, starts_at) {
        (Some("scheduled" | "rescheduled"), Some(starts)) if starts > now_secs.as_str() => {
            for (channel, before, purpose) in REMINDERS {
                if let Some(at) = minutes(starts, -before) {
                    planned.push((channel, at.max(now_secs.clone()), purpose));
                }
            }
        }
        (Some("completed"), _) => {
            if let Some(at) = minutes(ends_at.or(starts_at).unwrap_or(now), FOLLOW_UP_MINUTES) {
                planned.push(("email", at, "Follow-up: thank you for meeting"));
            }
        }
        _ => {}
    }
    for (channel, send_at, purpose) in planned {
        let Some(recipient) = address(contact, channel) else {
            continue;
        };
        sqlx::query(
            "INSERT INTO notifications (activity_id, contact_id, channel, recipient, purpose, send_at, created_at) \
             VALUES (?, ?, ?, ?, ?, ?, ?)",
        )
        .bind(activity_id)
        .bind(contact.id)
        .bind(channel)
        .bind(recipient)
        .bind(purpose)
        .bind(&send_at)
        .bind(now)
        .execute(&mut *conn)
        .await?;
    }
    Ok(())
}

/// Points contact `from`'s pending notifications at `to` (the same contact after an edit,
/// or a merge's survivor): its id, and its email or mobile phone for each channel.
pub(crate) async fn retarget(
    conn: &mut SqliteConnection,
    batch: i64,
    from: i64,
    to: &ContactRow,
) -> Result<()> {
    let pending: Vec<(i64, String, String)> = sqlx::query_as(
        "SELECT id, channel, recipient FROM notifications WHERE contact_id = ? AND status = 'pending'",
    )
    .bind(from)
    .fetch_all(&mut *conn)
    .await?;
    for (id, channel, recipient) in pending {
        // A cleared address leaves the notification where it was going.
        let new = address(to, &channel)
            .cloned()
            .unwrap_or_else(|| recipient.clone());
        let before = Target {
            contact_id: Some(from),
            recipient,
        };
        let after = Target {
            contact_id: Some(to.id),
            recipient: new,
        };
        if before == after {
            continue;
        }
        set_target(conn, id, &after).await?;
        journal::record(
            conn,
            batch,
            NOTIFICATION,
            id,
            Op::Update,
            Some(&before),
            Some(&after),
        )
        .await?;
    }
    Ok(())
}

/// A deleted contact's notifications stay (and are still sent), linked to nobody.
pub(crate) async fn unlink_deleted(conn: &mut SqliteConnection, contact_id: i64) -> Result<()> {
    sqlx::query("UPDATE notifications SET contact_id = NULL WHERE contact_id = ?")
        .bind(contact_id)
        .execute(&mut *conn)
        .await?;
    Ok(())
}

pub(crate) async fn target(conn: &mut SqliteConnection, id: i64) -> Result<Option<Target>> {
    let row: Option<(Option<i64>, String)> =
        sqlx::query_as("SELECT contact_id, recipient FROM notifications WHERE id = ?")
            .bind(id)
            .fetch_optional(&mut *conn)
            .await?;
    Ok(row.map(|(contact_id, recipient)| Target {
        contact_id,
        recipient,
    }))
}

pub(crate) async fn set_target(conn: &mut SqliteConnection, id: i64, t: &Target) -> Result<()> {
    sqlx::query("UPDATE notifications SET contact_id = ?, recipient = ? WHERE id = ?")
        .bind(t.contact_id)
        .bind(&t.recipient)
        .bind(id)
        .execute(&mut *conn)
        .await?;
    Ok(())
}

/// Pending notifications (with `all`: also sent, failed and canceled), of one contact or
/// of every activity the user may see, soonest first.
pub async fn list(
    store: &Store,
    user: &User,
    contact: Option<&str>,
    all: bool,
) -> Result<Vec<Notification>> {
    let mut conn = store.pool().acquire().await?;
    let scope = users::scope(&mut conn, user).await?;
    let contact_id = contacts::visible_id(&mut conn, &scope, contact).await?;
    #[derive(sqlx::FromRow)]
    struct Row {
        id: i64,
        activity_id: i64,
        contact_id: Option<i64>,
        channel: String,
        recipient: String,
        purpose: String,
        send_at: String,
        status: String,
        attempts: i64,
        last_error: Option<String>,
        sent_at: Option<String>,
        owner_id: Option<i64>,
        host_id: i64,
    }
    let rows: Vec<Row> = sqlx::query_as(
        "SELECT n.id, n.activity_id, n.contact_id, n.channel, n.recipient, n.purpose, n.send_at, n.status, \
         n.attempts, n.last_error, n.sent_at, c.owner_id, a.host_id FROM notifications n \
         JOIN activities a ON a.id = n.activity_id LEFT JOIN contacts c ON c.id = n.contact_id \
         WHERE (?1 IS NULL OR n.contact_id = ?1) AND (?2 OR n.status = 'pending') ORDER BY n.send_at, n.id",
    )
    .bind(contact_id)
    .bind(all)
    .fetch_all(&mut *conn)
    .await?;
    Ok(rows
        .into_iter()
        .filter(|r| scope.allows_activity(r.owner_id, r.host_id))
        .map(|r| Notification {
            id: r.id.to_string(),
            activity_id: r.activity_id.to_string(),
            contact_id: r.contact_id.map(|c| c.to_string()),
            channel: r.channel,
            recipient: r.recipient,
            purpose: r.purpose,
            send_at: r.send_at,
            status: r.status,
            attempts: r.attempts as u32,
            last_error: r.last_error,
            sent_at: r.sent_at,
        })
        .collect())
}
