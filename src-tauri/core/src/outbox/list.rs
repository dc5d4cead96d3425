//! The outbox as `outbox list` and the window's Outbox view show it: a page of its items,
//! each with the contact it is for and the fields it will send (or sent), before and after.

use std::collections::HashMap;

use serde::Serialize;
use sqlx::Connection;

use super::{before_of, diff, names, CLOUD};
use crate::error::Result;
use crate::record::{ContactRow, FieldChange};
use crate::rows;
use crate::store::Store;

/// An outbox item as `outbox list` and the window's Outbox view show it.
#[derive(Debug, Clone, PartialEq, Serialize, specta::Type)]
pub struct OutboxItem {
    pub id: String,
    pub target: String,
    /// The local contact id.
    pub contact: String,
    pub contact_name: String,
    pub operation: String,
    /// The fields it will send (or sent), before and after.
    pub fields: Vec<FieldChange>,
    pub attempts: u32,
    pub last_error: Option<String>,
    /// RFC 3339.
    pub next_at: Option<String>,
    pub status: String,
}

/// A page of the outbox (`list`).
#[derive(Debug, Clone, PartialEq, Serialize, specta::Type)]
pub struct OutboxPage {
    /// Oldest first.
    pub items: Vec<OutboxItem>,
    /// How many items there are in all (of those asked for: open, or all).
    pub total: u32,
}

#[derive(sqlx::FromRow)]
struct Stored {
    id: i64,
    target: String,
    contact_id: i64,
    op: String,
    fields: String,
    status: String,
    attempts: i64,
    last_error: Option<String>,
    next_at: String,
    sent: Option<String>,
    before: Option<String>,
}

/// One page of the outbox, oldest first: pending and failed items (`all`: sent and canceled
/// too), at most `limit` of them after item `after` (from the oldest without it), and how
/// many there are in all. An import while the cloud is connected queues an item for each
/// contact it creates: a page is what is read and shown at once.
pub async fn list(store: &Store, all: bool, after: Option<&str>, limit: u32) -> Result<OutboxPage> {
    let after = match after {
        Some(id) => super::parse_item(id)?,
        None => 0,
    };
    let which = match all {
        true => "1",
        false => "status IN ('pending', 'failed')",
    };
    let mut conn = store.pool().acquire().await?;
    // One read transaction: the count and the page of the same moment (the sync worker
    // sends and retries meanwhile).
    let mut tx = conn.begin().await?;
    let total: u32 = sqlx::query_scalar(&format!("SELECT count(*) FROM outbox WHERE {which}"))
        .fetch_one(&mut *tx)
        .await?;
    let stored: Vec<Stored> = sqlx::query_as(&format!(
        "SELECT id, target, contact_id, op, fields, status, attempts, last_error, next_at, sent, before \
         FROM outbox WHERE {which} AND id > ? ORDER BY id LIMIT ?"
    ))
    .bind(after)
    .bind(limit)
    .fetch_all(&mut *tx)
    .await?;
    // The items' contacts and the cloud's shadows of them, each in one statement.
    let mut ids: Vec<i64> = stored.iter().map(|s| s.contact_id).collect();
    ids.sort_unstable();
    ids.dedup();
    let contacts: HashMap<i64, ContactRow> = rows::load_rows(&mut tx, &ids)
        .await?
        .into_iter()
        .map(|row| (row.id, row))
        .collect();
    let json = crate::error::json(&ids)?;
    let shadows: HashMap<i64, String> = sqlx::query_as(
        "SELECT contact_id, shadow FROM remote_contacts WHERE contact_id IN (SELECT value FROM json_each(?))",
    )
    .bind(json)
    .fetch_all(&mut *tx)
    .await?
    .into_iter()
    .collect();
    let mut items = Vec::with_capacity(stored.len());
    for s in stored {
        let row = contacts.get(&s.contact_id);
        // What the remote holds: the cloud's shadow, or an integration item's before.
        let shadow: serde_json::Value = if s.target != CLOUD {
            before_of(s.before.as_deref(), row)
        } else {
            match shadows.get(&s.contact_id) {
                Some(shadow) => serde_json::from_str(shadow).unwrap_or_default(),
                None => serde_json::Value::Null,
            }
        };
        let fields = match &s.sent {
            Some(sent) => {
                serde_json::from_str::<Vec<(String, Option<String>, Option<String>)>>(sent)
                    .unwrap_or_default()
                    .into_iter()
                    .map(|(field, before, after)| FieldChange {
                        field,
                        before,
                        after,
                    })
                    .collect()
            }
            None => diff(&s.op, &names(&s.fields), row, &shadow),
        };
        items.push(OutboxItem {
            id: s.id.to_string(),
            target: s.target,
            contact: s.contact_id.to_string(),
            contact_name: row
                .map(|r| r.display_name())
                .unwrap_or_else(|| format!("contact {} (deleted)", s.contact_id)),
            operation: s.op,
            fields,
            attempts: s.attempts as u32,
            last_error: s.last_error,
            next_at: (s.status == "pending").then_some(s.next_at),
            status: s.status,
        });
    }
    Ok(OutboxPage { items, total })
}
