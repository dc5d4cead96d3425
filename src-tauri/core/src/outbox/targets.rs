//! The outbox's other targets, the integrations (CRMs, calendars, a Zapier hook): which of a
//! contact's changes each is sent, queued in the change's own transaction like the cloud's.
//! One pending item per integration and contact; later changes join it, and the values
//! before its first change are kept, because a CRM record and a meeting's guest are found by
//! the previous email. Creates are not sent (nothing there to update) and deletes send
//! nothing: a deleted contact leaves every integration as it is.

use serde_json::{Map, Value};
use sqlx::SqliteConnection;

use super::{is_synced, union, Change, CLOUD};
use crate::error::Result;

/// The fields CRMs and Zapier are sent by default: email and the phones.
pub const IDENTITY: [&str; 3] = ["email", "mobile_phone", "phone"];

/// The integrations that are calendars: only a new email changes a meeting's guest list.
pub const CALENDARS: [&str; 2] = ["google", "exchange"];

/// An integration changes are queued for, as a batch of changes sees it when it begins.
pub(crate) struct Target {
    pub name: String,
    /// "Keep CRM fields in sync": every field a person edits goes, not only email and phones.
    pub keep_fields: bool,
}

/// The integrations that take changes: connected, or waiting for the user to reconnect
/// (their work waits, queued); not one whose remote end is gone.
pub(crate) async fn targets(conn: &mut SqliteConnection) -> Result<Vec<Target>> {
    let rows: Vec<(String, bool)> =
        sqlx::query_as("SELECT name, keep_fields FROM integrations WHERE state != 'gone'")
            .fetch_all(&mut *conn)
            .await?;
    Ok(rows
        .into_iter()
        .map(|(name, keep_fields)| Target { name, keep_fields })
        .collect())
}

/// The fields of a change that `target` is sent.
pub fn wanted<'a>(target: &str, keep_fields: bool, fields: &[&'a str]) -> Vec<&'a str> {
    fields
        .iter()
        .copied()
        .filter(|f| {
            if CALENDARS.contains(&target) {
                *f == "email"
            } else if keep_fields {
                is_synced(f)
            } else {
                IDENTITY.contains(f)
            }
        })
        .collect()
}

/// The values of `fields` in a feed entry's before (a JSON object), joined to those an item
/// already holds: the first change's value of a field wins (it is what the remote has).
fn joined_before(held: Option<&str>, before: Option<&str>, fields: &[&str]) -> String {
    let mut map: Map<String, Value> = held
        .and_then(|h| serde_json::from_str(h).ok())
        .unwrap_or_default();
    let given: Map<String, Value> = before
        .and_then(|b| serde_json::from_str(b).ok())
        .unwrap_or_default();
    for f in fields {
        if !map.contains_key(*f) {
            map.insert(f.to_string(), given.get(*f).cloned().unwrap_or(Value::Null));
        }
    }
    Value::Object(map).to_string()
}

/// Queues what one feed entry asks of each integration: an update of the fields it takes,
/// joined to the contact's pending item; for a delete or a merge, nothing, and what was
/// waiting for that contact is canceled.
pub(crate) async fn enqueue_integrations(
    conn: &mut SqliteConnection,
    targets: &[Target],
    change: &Change<'_>,
) -> Result<()> {
    // An import's new contacts, or their undo: creates are not sent to integrations.
    if change.last_id.is_some() {
        return Ok(());
    }
    match change.kind {
        "update" => {
            for target in targets {
                let fields = wanted(&target.name, target.keep_fields, change.fields);
                if fields.is_empty() {
                    continue;
                }
                let open: Option<(i64, String, Option<String>)> = sqlx::query_as(
                    "SELECT id, fields, before FROM outbox \
                     WHERE target = ? AND contact_id = ? AND status = 'pending'",
                )
                .bind(&target.name)
                .bind(change.contact_id)
                .fetch_optional(&mut *conn)
                .await?;
                match open {
                    Some((id, held, before)) => {
                        sqlx::query(
                            "UPDATE outbox SET fields = ?, before = ?, updated_at = ?, \
                             version = version + 1 WHERE id = ?",
                        )
                        .bind(union(&held, &fields))
                        .bind(joined_before(before.as_deref(), change.before, &fields))
                        .bind(change.at)
                        .bind(id)
                        .execute(&mut *conn)
                        .await?;
                    }
                    None => {
                        sqlx::query(
                            "INSERT INTO outbox (target, contact_id, op, fields, before, status, \
                             next_at, created_at, updated_at) \
                             VALUES (?1, ?2, 'update', ?3, ?4, 'pending', ?5, ?5, ?5)",
                        )
                        .bind(&target.name)
                        .bind(change.contact_id)
                        .bind(union("[]", &fields))
                        .bind(joined_before(None, change.before, &fields))
                        .bind(change.at)
                        .execute(&mut *conn)
                        .await?;
                    }
                }
            }
            Ok(())
        }
        "delete" | "merge" => {
            sqlx::query(
                "UPDATE outbox SET status = 'canceled', before = NULL, updated_at = ?, \
                 last_error = 'the contact was deleted or merged away: integrations are left as they are' \
                 WHERE target != ? AND contact_id = ? AND status IN ('pending', 'failed')",
            )
            .bind(change.at)
            .bind(CLOUD)
            .bind(change.contact_id)
            .execute(&mut *conn)
            .await?;
            Ok(())
        }
        _ => Ok(()),
    }
}
