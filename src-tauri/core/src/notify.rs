//! Pending notifications: meeting reminders and workflow steps, each with its channel,
//! recipient, send time and status. While pending they follow their contact's email and
//! mobile phone (the write funnel retargets them, journaled so undo puts them back; links.rs); a
//! deleted contact's reminders stay and are still sent.

use serde::Serialize;
use sqlx::SqliteConnection;

use crate::booking::Booking;
use crate::error::{Error, Result};
use crate::links::Whom;
use crate::rows;
use crate::settings;
use crate::store::{now, Store};
use crate::users::{self, User};

/// The reminders a new database gives scheduled meetings (`settings set reminders`).
pub const DEFAULT_REMINDERS: &str = "email 24h, email 1h, sms 1h";
/// The follow-up workflow a new database gives completed meetings (`settings set follow-up`).
pub const DEFAULT_FOLLOW_UP: &str = "email 2d";

/// One reminder or workflow step: a channel and how long before (reminder) or after
/// (workflow) the meeting it is sent, in the unit it was written in (m, h or d).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Step {
    pub channel: &'static str,
    pub amount: i64,
    pub unit: char,
}

impl Step {
    pub fn minutes(&self) -> i64 {
        self.amount
            * match self.unit {
                'd' => 24 * 60,
                'h' => 60,
                _ => 1,
            }
    }

    /// "24 hours", "1 hour", "30 minutes", "2 days".
    fn words(&self) -> String {
        let unit = match self.unit {
            'd' => "day",
            'h' => "hour",
            _ => "minute",
        };
        let plural = if self.amount == 1 { "" } else { "s" };
        format!("{} {unit}{plural}", self.amount)
    }
}

/// Reads steps like "email 24h, email 1h, sms 30m" (m, h or d); "none" or "" is no steps.
pub fn parse_steps(field: &'static str, text: &str) -> Result<Vec<Step>> {
    let text = text.trim();
    if text.is_empty() || text.eq_ignore_ascii_case("none") {
        return Ok(Vec::new());
    }
    let bad = |part: &str, why: &str| {
        Error::invalid(
            field,
            format!("\"{part}\" {why}: write steps like \"email 24h, email 1h, sms 1h\" (m, h or d), or none"),
        )
    };
    let mut steps = Vec::new();
    for part in text.split(',').map(str::trim) {
        let mut words = part.split_whitespace();
        let (Some(channel), Some(offset), None) = (words.next(), words.next(), words.next()) else {
            return Err(bad(part, "is not a channel and a time"));
        };
        let channel = match channel.to_ascii_lowercase().as_str() {
            "email" => "email",
            "sms" => "sms",
            _ => return Err(bad(part, "names no channel (email or sms)")),
        };
        let Some(unit) = offset.chars().last().map(|c| c.to_ascii_lowercase()) else {
            return Err(bad(part, "has no time"));
        };
        let scale = match unit {
            'm' => 1,
            'h' => 60,
            'd' => 24 * 60,
            _ => return Err(bad(part, "has no unit")),
        };
        let amount = match offset[..offset.len() - 1].parse::<i64>() {
            Ok(n) if n > 0 && n <= 365 * 24 * 60 / scale => n,
            _ => return Err(bad(part, "has no time from 1m to 365d")),
        };
        let step = Step {
            channel,
            amount,
            unit,
        };
        if !steps.contains(&step) {
            steps.push(step);
        }
    }
    Ok(steps)
}

/// Steps as settings show them (and as `parse_steps` reads them back).
pub fn describe(steps: &[Step]) -> String {
    if steps.is_empty() {
        return "none".into();
    }
    steps
        .iter()
        .map(|s| format!("{} {}{}", s.channel, s.amount, s.unit))
        .collect::<Vec<_>>()
        .join(", ")
}

async fn configured(conn: &mut SqliteConnection, key: &str, default: &str) -> Result<Vec<Step>> {
    let text = settings::get(conn, key).await?;
    parse_steps("settings", text.as_deref().unwrap_or(default))
}

/// The reminders scheduled meetings get.
pub async fn reminders(conn: &mut SqliteConnection) -> Result<Vec<Step>> {
    configured(conn, settings::REMINDERS, DEFAULT_REMINDERS).await
}

/// The follow-up steps completed meetings get.
pub async fn follow_up(conn: &mut SqliteConnection) -> Result<Vec<Step>> {
    configured(conn, settings::FOLLOW_UP, DEFAULT_FOLLOW_UP).await
}

#[derive(Debug, Clone, PartialEq, Serialize, specta::Type)]
pub struct Notification {
    pub id: String,
    pub activity_id: String,
    pub contact_id: Option<String>,
    /// "reminder" (before a meeting) or "workflow" (a step after it).
    pub kind: String,
    pub channel: String,
    pub recipient: String,
    pub purpose: String,
    pub send_at: String,
    pub status: String,
    pub attempts: u32,
    pub last_error: Option<String>,
    pub sent_at: Option<String>,
    /// Who it is for: the contact's name now, else the name the meeting was booked with
    /// (a deleted contact's reminders are still sent).
    pub contact_name: Option<String>,
    /// When the meeting it belongs to starts.
    pub meeting_starts_at: Option<String>,
}

/// `t` moved by `delta` minutes, as stored times are written (UTC, whole seconds).
pub(crate) fn minutes(t: &str, delta: i64) -> Option<String> {
    let t = chrono::DateTime::parse_from_rfc3339(t).ok()?;
    Some(
        (t + chrono::Duration::minutes(delta))
            .with_timezone(&chrono::Utc)
            .to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
    )
}

/// Schedules what a meeting's booking needs: reminders while it is ahead (one whose time
/// has passed goes out at the next dispatch), or the follow-up once it is completed.
pub(crate) async fn schedule(
    conn: &mut SqliteConnection,
    activity_id: i64,
    whom: &Whom,
    booking: &Booking,
    now: &str,
    already_sent: &[(String, String, String)],
) -> Result<()> {
    let now_secs = minutes(now, 0).unwrap_or_else(|| now.to_string());
    let (starts_at, ends_at) = (booking.starts_at.as_deref(), booking.ends_at.as_deref());
    let mut planned: Vec<(&str, &str, String, String)> = Vec::new();
    match (booking.status.as_deref(), starts_at) {
        (Some("scheduled" | "rescheduled"), Some(starts)) if starts > now_secs.as_str() => {
            for step in reminders(conn).await? {
                if let Some(at) = minutes(starts, -step.minutes()) {
                    let purpose = format!("Reminder: {} before", step.words());
                    planned.push(("reminder", step.channel, at.max(now_secs.clone()), purpose));
                }
            }
        }
        (Some("completed"), _) => {
            let after = ends_at.or(starts_at).unwrap_or(now);
            for step in follow_up(conn).await? {
                if let Some(at) = minutes(after, step.minutes()) {
                    let purpose = format!("Follow-up: {} after the meeting", step.words());
                    planned.push(("workflow", step.channel, at, purpose));
                }
            }
        }
        _ => {}
    }
    for (kind, channel, send_at, purpose) in planned {
        if already_sent.iter().any(|(k, c, p)| {
            (k.as_str(), c.as_str(), p.as_str()) == (kind, channel, purpose.as_str())
        }) {
            continue;
        }
        let Some(recipient) = whom.address(channel) else {
            continue;
        };
        sqlx::query(
            "INSERT INTO notifications (activity_id, contact_id, kind, channel, recipient, purpose, send_at, created_at) \
             VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        )
        .bind(activity_id)
        .bind(whom.contact_id)
        .bind(kind)
        .bind(channel)
        .bind(recipient)
        .bind(&purpose)
        .bind(&send_at)
        .bind(now)
        .execute(&mut *conn)
        .await?;
    }
    Ok(())
}

/// The steps (kind, channel, purpose) already sent for an activity.
pub(crate) async fn sent_steps(
    conn: &mut SqliteConnection,
    activity_id: i64,
) -> Result<Vec<(String, String, String)>> {
    Ok(sqlx::query_as(
        "SELECT kind, channel, purpose FROM notifications WHERE activity_id = ? AND status = 'sent'",
    )
    .bind(activity_id)
    .fetch_all(&mut *conn)
    .await?)
}

/// Cancels an activity's pending notifications (its booking changed), saying why.
pub(crate) async fn cancel_pending(
    conn: &mut SqliteConnection,
    activity_id: i64,
    why: &str,
) -> Result<u64> {
    Ok(sqlx::query(
        "UPDATE notifications SET status = 'canceled', last_error = ? WHERE activity_id = ? AND status = 'pending'",
    )
    .bind(why)
    .bind(activity_id)
    .execute(&mut *conn)
    .await?
    .rows_affected())
}

/// A notification as stored, with who may see it: its contact's owner and its activity's host.
#[derive(sqlx::FromRow)]
struct Row {
    id: i64,
    activity_id: i64,
    contact_id: Option<i64>,
    kind: String,
    channel: String,
    recipient: String,
    purpose: String,
    send_at: String,
    status: String,
    attempts: i64,
    last_error: Option<String>,
    sent_at: Option<String>,
    contact_name: Option<String>,
    meeting_starts_at: Option<String>,
    owner_id: Option<i64>,
    host_id: i64,
}

const SELECT: &str = "SELECT n.id, n.activity_id, n.contact_id, n.kind, n.channel, n.recipient, n.purpose, n.send_at, n.status, \
     n.attempts, n.last_error, n.sent_at, \
     coalesce(nullif(trim(coalesce(c.first_name, '') || ' ' || coalesce(c.last_name, '')), ''), a.with_name) AS contact_name, \
     a.starts_at AS meeting_starts_at, c.owner_id, a.host_id FROM notifications n \
     JOIN activities a ON a.id = n.activity_id LEFT JOIN contacts c ON c.id = n.contact_id";

impl From<Row> for Notification {
    fn from(r: Row) -> Self {
        Notification {
            id: r.id.to_string(),
            activity_id: r.activity_id.to_string(),
            contact_id: r.contact_id.map(|c| c.to_string()),
            kind: r.kind,
            channel: r.channel,
            recipient: r.recipient,
            purpose: r.purpose,
            send_at: r.send_at,
            status: r.status,
            attempts: r.attempts as u32,
            last_error: r.last_error,
            sent_at: r.sent_at,
            contact_name: r.contact_name,
            meeting_starts_at: r.meeting_starts_at,
        }
    }
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
    let contact_id = rows::visible_id(&mut conn, &scope, contact).await?;
    let rows: Vec<Row> = sqlx::query_as(&format!(
        "{SELECT} WHERE (?1 IS NULL OR n.contact_id = ?1) AND (?2 OR n.status = 'pending') \
         ORDER BY n.send_at, n.id"
    ))
    .bind(contact_id)
    .bind(all)
    .fetch_all(&mut *conn)
    .await?;
    Ok(rows
        .into_iter()
        .filter(|r| scope.allows_activity(r.owner_id, r.host_id))
        .map(Notification::from)
        .collect())
}

/// How many notifications `user` may see have failed (the window's navigation shows it):
/// read through the status index, so the count costs the failed ones only.
pub async fn failed_count(store: &Store, user: &User) -> Result<u32> {
    let mut conn = store.pool().acquire().await?;
    let scope = users::scope(&mut conn, user).await?;
    let rows: Vec<(Option<i64>, i64)> = sqlx::query_as(
        "SELECT c.owner_id, a.host_id FROM notifications n JOIN activities a ON a.id = n.activity_id \
         LEFT JOIN contacts c ON c.id = n.contact_id WHERE n.status = 'failed'",
    )
    .fetch_all(&mut *conn)
    .await?;
    Ok(rows
        .into_iter()
        .filter(|(owner, host)| scope.allows_activity(*owner, *host))
        .count() as u32)
}

/// Notification `id` when `user` may see it (its activity's rules); one they may not is
/// reported exactly like one that does not exist.
async fn visible(conn: &mut SqliteConnection, user: &User, id: &str) -> Result<Row> {
    let missing = || Error::NotFound(format!("no notification with id {}", id.trim()));
    let n: i64 = id.trim().parse().map_err(|_| missing())?;
    let scope = users::scope(conn, user).await?;
    let row: Option<Row> = sqlx::query_as(&format!("{SELECT} WHERE n.id = ?"))
        .bind(n)
        .fetch_optional(&mut *conn)
        .await?;
    row.filter(|r| scope.allows_activity(r.owner_id, r.host_id))
        .ok_or_else(missing)
}

/// Sends a failed notification again: it is pending and due now, with a fresh round of
/// attempts (the user fixed the cause, or wants one more try). A reminder whose meeting has
/// started or is no longer booked would never go out, so it is refused.
pub async fn retry(store: &Store, user: &User, id: &str) -> Result<Notification> {
    let mut tx = store.write().await?;
    let row = visible(&mut tx, user, id).await?;
    if row.status != "failed" {
        return Err(Error::invalid(
            "id",
            format!(
                "notification {} is {}: only a failed one can be retried",
                row.id, row.status
            ),
        ));
    }
    let now_secs = minutes(&now(), 0).unwrap_or_else(now);
    if row.kind == "reminder" {
        let (status, starts_at): (Option<String>, Option<String>) =
            sqlx::query_as("SELECT status, starts_at FROM activities WHERE id = ?")
                .bind(row.activity_id)
                .fetch_one(&mut *tx)
                .await?;
        let booked = matches!(status.as_deref(), Some("scheduled" | "rescheduled"));
        if !booked || starts_at.is_none_or(|s| s <= now_secs) {
            return Err(Error::invalid(
                "id",
                format!(
                    "notification {} reminds of a meeting that has started or is no longer booked: it would not be sent",
                    row.id
                ),
            ));
        }
    }
    sqlx::query(
        "UPDATE notifications SET status = 'pending', attempts = 0, next_try_at = NULL, \
         leased_until = NULL, send_at = min(send_at, ?) WHERE id = ?",
    )
    .bind(&now_secs)
    .bind(row.id)
    .execute(&mut *tx)
    .await?;
    let row = visible(&mut tx, user, &row.id.to_string()).await?;
    tx.commit().await?;
    Ok(row.into())
}

/// Cancels a pending notification: it is never sent. One a dispatcher is sending right now
/// is refused (it may be out already).
pub async fn cancel(store: &Store, user: &User, id: &str) -> Result<Notification> {
    let mut tx = store.write().await?;
    let row = visible(&mut tx, user, id).await?;
    if row.status != "pending" {
        return Err(Error::invalid(
            "id",
            format!(
                "notification {} is {}: only a pending one can be canceled",
                row.id, row.status
            ),
        ));
    }
    let canceled = sqlx::query(
        "UPDATE notifications SET status = 'canceled', last_error = ?, next_try_at = NULL \
         WHERE id = ? AND status = 'pending' AND (leased_until IS NULL OR leased_until <= ?)",
    )
    .bind(format!("canceled by {}", user.email))
    .bind(row.id)
    .bind(now())
    .execute(&mut *tx)
    .await?;
    if canceled.rows_affected() == 0 {
        return Err(Error::Conflict(format!(
            "notification {} is being sent right now",
            row.id
        )));
    }
    let row = visible(&mut tx, user, &row.id.to_string()).await?;
    tx.commit().await?;
    Ok(row.into())
}
