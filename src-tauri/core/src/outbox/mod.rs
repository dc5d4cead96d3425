//! The outbox: remote calls waiting to be made, fed from the change feed in the transaction
//! of the change itself (the funnel calls `enqueue` for every feed entry). One pending item
//! per contact and target, which later changes coalesce into; what it sends is read from the
//! contact at send time, so several edits go as one call with the net change. sync/ delivers.
//! The integrations (CRMs, calendars, Zapier) are more targets, queued by `targets`.

mod list;
mod targets;

pub use list::{list, OutboxItem, OutboxPage};
pub(crate) use targets::{enqueue_integrations, targets, Target};
pub use targets::{wanted, CALENDARS, IDENTITY};

use sqlx::SqliteConnection;

use crate::error::{Error, Result};
pub use crate::record::FieldChange;
use crate::record::{ContactRow, FIELDS};
use crate::settings;
use crate::store::{now, Store};

/// The OnceHub cloud, as an outbox target.
pub const CLOUD: &str = "oncehub";

/// The contact fields OnceHub's Contact object has: every field a person edits but notes,
/// which stay on this computer.
pub fn synced_fields() -> impl Iterator<Item = &'static str> {
    FIELDS.iter().copied().filter(|f| *f != "notes")
}

pub fn is_synced(field: &str) -> bool {
    field != "notes" && FIELDS.contains(&field)
}

/// Whether changes are queued for the cloud: once an account was connected, until the user
/// removes it (a disconnect only forgets the key: the outbox keeps filling, paused).
pub(crate) async fn active(conn: &mut SqliteConnection) -> Result<bool> {
    Ok(settings::get(conn, settings::CLOUD_URL).await?.is_some())
}

/// One feed entry as the outbox takes it.
pub(crate) struct Change<'a> {
    pub contact_id: i64,
    /// An import's new contacts are one entry: ids contact_id..=last_id.
    pub last_id: Option<i64>,
    /// create, update, delete or merge (folded away), as the feed names it.
    pub kind: &'a str,
    pub fields: &'a [&'a str],
    /// The import was kept on this computer only: its new contacts are not pushed.
    pub keep_local: bool,
    /// The changed fields' values before the change (a JSON object), as the feed has them.
    pub before: Option<&'a str>,
    pub at: &'a str,
}

#[derive(sqlx::FromRow)]
struct Pending {
    id: i64,
    op: String,
    fields: String,
}

#[derive(sqlx::FromRow)]
pub(crate) struct Link {
    pub remote_id: Option<String>,
    pub local_only: bool,
    pub shadow: String,
}

pub(crate) async fn link(conn: &mut SqliteConnection, contact_id: i64) -> Result<Option<Link>> {
    Ok(sqlx::query_as(
        "SELECT remote_id, local_only, shadow FROM remote_contacts WHERE contact_id = ?",
    )
    .bind(contact_id)
    .fetch_optional(&mut *conn)
    .await?)
}

async fn pending(
    conn: &mut SqliteConnection,
    target: &str,
    contact_id: i64,
) -> Result<Option<Pending>> {
    Ok(sqlx::query_as(
        "SELECT id, op, fields FROM outbox WHERE target = ? AND contact_id = ? AND status = 'pending'",
    )
    .bind(target)
    .bind(contact_id)
    .fetch_optional(&mut *conn)
    .await?)
}

pub(crate) fn names(json: &str) -> Vec<String> {
    serde_json::from_str(json).unwrap_or_default()
}

pub(crate) fn union(json: &str, more: &[&str]) -> String {
    let mut all = names(json);
    for f in more {
        if !all.iter().any(|a| a == f) {
            all.push(f.to_string());
        }
    }
    serde_json::Value::from(all).to_string()
}

fn to_json(fields: &[&str]) -> String {
    serde_json::Value::from(fields.to_vec()).to_string()
}

async fn insert(
    conn: &mut SqliteConnection,
    contact_id: i64,
    op: &str,
    fields: &str,
    at: &str,
) -> Result<()> {
    sqlx::query(
        "INSERT INTO outbox (target, contact_id, op, fields, status, next_at, created_at, updated_at) \
         VALUES (?, ?, ?, ?, 'pending', ?, ?, ?)",
    )
    .bind(CLOUD)
    .bind(contact_id)
    .bind(op)
    .bind(fields)
    .bind(at)
    .bind(at)
    .bind(at)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

async fn set_pending(
    conn: &mut SqliteConnection,
    id: i64,
    op: &str,
    fields: &str,
    at: &str,
) -> Result<()> {
    sqlx::query(
        "UPDATE outbox SET op = ?, fields = ?, updated_at = ?, version = version + 1 WHERE id = ?",
    )
    .bind(op)
    .bind(fields)
    .bind(at)
    .bind(id)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// Queues what one feed entry asks of the cloud (the delivery rules of the sync issue):
/// a create before its first delivery absorbs later edits; a contact deleted or folded away
/// before it reached the cloud sends nothing; a delete of a linked contact replaces what
/// was waiting for it; a create that failed for a missing name is retried by the edit that
/// fixes it. Changes that came from the cloud are never queued back to it (`Source::Cloud`
/// entries do not reach here).
pub(crate) async fn enqueue(conn: &mut SqliteConnection, change: &Change<'_>) -> Result<()> {
    let id = change.contact_id;
    if let Some(last) = change.last_id {
        return enqueue_range(conn, change, last).await;
    }
    let link = link(conn, id).await?;
    let open = pending(conn, CLOUD, id).await?;
    let all = to_json(&synced_fields().collect::<Vec<_>>());
    match change.kind {
        "create" => {
            if change.keep_local {
                sqlx::query(
                    "INSERT OR IGNORE INTO remote_contacts (contact_id, local_only) VALUES (?, 1)",
                )
                .bind(id)
                .execute(&mut *conn)
                .await?;
                return Ok(());
            }
            if link.as_ref().is_some_and(|l| l.local_only) {
                return Ok(());
            }
            // Back again (an undo) while the cloud still has it: its fields go as an update.
            let linked = link.as_ref().is_some_and(|l| l.remote_id.is_some());
            match open {
                Some(p) => set_pending(conn, p.id, "update", &all, change.at).await,
                None if linked => insert(conn, id, "update", &all, change.at).await,
                None => insert(conn, id, "create", "[]", change.at).await,
            }
        }
        "update" => {
            let fields: Vec<&str> = change
                .fields
                .iter()
                .copied()
                .filter(|f| is_synced(f))
                .collect();
            if fields.is_empty() || link.as_ref().is_some_and(|l| l.local_only) {
                return Ok(());
            }
            match (open, link.and_then(|l| l.remote_id)) {
                (Some(p), _) if p.op == "update" => {
                    set_pending(conn, p.id, "update", &union(&p.fields, &fields), change.at).await
                }
                // A create sends the values it finds when it goes; one already on the wire
                // must go again.
                (Some(p), _) => set_pending(conn, p.id, &p.op, &p.fields, change.at).await,
                (None, Some(_)) => insert(conn, id, "update", &to_json(&fields), change.at).await,
                (None, None) => {
                    // Not in the cloud yet: a create that failed (a name missing, say) is
                    // tried again now that the contact changed; else one is queued.
                    let again = sqlx::query(
                        "UPDATE outbox SET status = 'pending', attempts = 0, last_error = NULL, \
                         next_at = ?1, updated_at = ?1 \
                         WHERE id = (SELECT max(id) FROM outbox WHERE target = ?2 AND contact_id = ?3 \
                                     AND op = 'create' AND status = 'failed')",
                    )
                    .bind(change.at)
                    .bind(CLOUD)
                    .bind(id)
                    .execute(&mut *conn)
                    .await?;
                    if again.rows_affected() == 0 {
                        insert(conn, id, "create", "[]", change.at).await?;
                    }
                    Ok(())
                }
            }
        }
        "delete" | "merge" => {
            sqlx::query(
                "DELETE FROM outbox WHERE target = ? AND contact_id = ? AND status = 'pending' AND op = 'create'",
            )
            .bind(CLOUD)
            .bind(id)
            .execute(&mut *conn)
            .await?;
            sqlx::query(
                "UPDATE outbox SET status = 'canceled', updated_at = ?, \
                 last_error = 'the contact was deleted or merged on this computer' \
                 WHERE target = ? AND contact_id = ? AND status = 'failed'",
            )
            .bind(change.at)
            .bind(CLOUD)
            .bind(id)
            .execute(&mut *conn)
            .await?;
            match link.and_then(|l| l.remote_id) {
                Some(_) => match pending(conn, CLOUD, id).await? {
                    Some(p) => set_pending(conn, p.id, "delete", "[]", change.at).await,
                    None => insert(conn, id, "delete", "[]", change.at).await,
                },
                None => {
                    sqlx::query("DELETE FROM remote_contacts WHERE contact_id = ?")
                        .bind(id)
                        .execute(&mut *conn)
                        .await?;
                    Ok(())
                }
            }
        }
        other => Err(Error::Internal(format!("a change of kind {other}"))),
    }
}

/// An import's new contacts (ids `contact_id..=last`), created or taken back by its undo.
async fn enqueue_range(conn: &mut SqliteConnection, change: &Change<'_>, last: i64) -> Result<()> {
    let gone = "contact_id BETWEEN ?1 AND ?2 AND contact_id NOT IN (SELECT id FROM contacts)";
    let statements: Vec<String> = match change.kind {
        "create" if change.keep_local => vec!["INSERT INTO remote_contacts (contact_id, local_only) \
             SELECT id, 1 FROM contacts WHERE id BETWEEN ?1 AND ?2"
            .into()],
        "create" => vec!["INSERT INTO outbox (target, contact_id, op, status, next_at, created_at, updated_at) \
             SELECT ?3, id, 'create', 'pending', ?4, ?4, ?4 FROM contacts WHERE id BETWEEN ?1 AND ?2"
            .into()],
        // Taken back: what never reached the cloud is forgotten, what did is deleted there.
        "delete" => vec![
            format!("DELETE FROM outbox WHERE target = ?3 AND status = 'pending' AND op = 'create' AND {gone}"),
            format!("UPDATE outbox SET status = 'canceled', updated_at = ?4, \
                     last_error = 'the import was undone' WHERE target = ?3 AND status = 'failed' AND {gone}"),
            format!("UPDATE outbox SET op = 'delete', fields = '[]', updated_at = ?4 \
                     WHERE target = ?3 AND status = 'pending' AND {gone}"),
            format!("INSERT INTO outbox (target, contact_id, op, status, next_at, created_at, updated_at) \
                     SELECT ?3, contact_id, 'delete', 'pending', ?4, ?4, ?4 FROM remote_contacts \
                     WHERE remote_id IS NOT NULL AND {gone} AND contact_id NOT IN \
                     (SELECT contact_id FROM outbox WHERE target = ?3 AND status = 'pending')"),
            format!("DELETE FROM remote_contacts WHERE remote_id IS NULL AND {gone}"),
        ],
        other => return Err(Error::Internal(format!("a range change of kind {other}"))),
    };
    for sql in statements {
        // Each statement takes the parameters up to the highest it names.
        let query = sqlx::query(&sql).bind(change.contact_id).bind(last);
        let query = if sql.contains("?3") {
            query.bind(CLOUD)
        } else {
            query
        };
        let query = if sql.contains("?4") {
            query.bind(change.at)
        } else {
            query
        };
        query.execute(&mut *conn).await?;
    }
    Ok(())
}

/// The shadow (what the cloud last held) as field -> text.
pub(crate) fn shadow_value(shadow: &serde_json::Value, field: &str) -> Option<String> {
    match shadow.get(field)? {
        serde_json::Value::Null => None,
        serde_json::Value::String(s) => Some(s.clone()),
        other => Some(other.to_string()),
    }
}

/// The fields an item will send, measured now: a create sends every synced field with a
/// value; an update the named fields whose local value differs from the cloud's.
pub(crate) fn diff(
    op: &str,
    fields: &[String],
    row: Option<&ContactRow>,
    shadow: &serde_json::Value,
) -> Vec<FieldChange> {
    let Some(row) = row else { return Vec::new() };
    match op {
        "create" => synced_fields()
            .filter_map(|f| {
                row.get(f).map(|v| FieldChange {
                    field: f.to_string(),
                    before: None,
                    after: Some(v),
                })
            })
            .collect(),
        "update" => fields
            .iter()
            .filter(|f| is_synced(f))
            .filter_map(|f| {
                let (before, after) = (shadow_value(shadow, f), row.get(f));
                (before != after).then(|| FieldChange {
                    field: f.clone(),
                    before,
                    after,
                })
            })
            .collect(),
        _ => Vec::new(),
    }
}

/// An integration item's before values, each field it does not name taken as the contact
/// holds it now (it has not changed since the item was queued).
pub(crate) fn before_of(before: Option<&str>, row: Option<&ContactRow>) -> serde_json::Value {
    let mut map: serde_json::Map<String, serde_json::Value> = before
        .and_then(|b| serde_json::from_str(b).ok())
        .unwrap_or_default();
    if let Some(row) = row {
        for f in synced_fields() {
            if !map.contains_key(f) {
                map.insert(f.to_string(), row.get(f).into());
            }
        }
    }
    serde_json::Value::Object(map)
}

fn parse_item(id: &str) -> Result<i64> {
    id.trim()
        .parse()
        .map_err(|_| Error::NotFound(format!("no outbox item with id {}", id.trim())))
}

/// Sends a failed item again now (the user fixed the cause, or wants one more try). A
/// contact's pending item already waiting absorbs it.
pub async fn retry(store: &Store, id: &str) -> Result<()> {
    let id = parse_item(id)?;
    let mut tx = store.write().await?;
    let item: Option<(String, i64, String, String, String)> =
        sqlx::query_as("SELECT target, contact_id, op, fields, status FROM outbox WHERE id = ?")
            .bind(id)
            .fetch_optional(&mut *tx)
            .await?;
    let (target, contact_id, op, fields, status) =
        item.ok_or_else(|| Error::NotFound(format!("no outbox item with id {id}")))?;
    if status != "failed" {
        return Err(Error::invalid(
            "id",
            format!("outbox item {id} is {status}: only a failed item can be retried"),
        ));
    }
    let at = now();
    match pending(&mut tx, &target, contact_id).await? {
        Some(p) if p.op == "update" && op == "update" => {
            let more = names(&fields);
            let more: Vec<&str> = more.iter().map(String::as_str).collect();
            set_pending(&mut tx, p.id, "update", &union(&p.fields, &more), &at).await?;
            // An integration's item is found by the oldest values: the failed item's.
            sqlx::query(
                "UPDATE outbox SET before = json_patch(coalesce(before, '{}'), \
                 coalesce((SELECT before FROM outbox WHERE id = ?), '{}')) WHERE id = ? AND target != ?",
            )
            .bind(id)
            .bind(p.id)
            .bind(CLOUD)
            .execute(&mut *tx)
            .await?;
            sqlx::query("UPDATE outbox SET status = 'canceled', updated_at = ?, last_error = 'retried as item ' || ? WHERE id = ?")
                .bind(&at)
                .bind(p.id)
                .bind(id)
                .execute(&mut *tx)
                .await?;
        }
        Some(p) => {
            return Err(Error::invalid(
                "id",
                format!("contact {contact_id} already has item {} waiting", p.id),
            ))
        }
        None => {
            sqlx::query(
                "UPDATE outbox SET status = 'pending', next_at = ?1, updated_at = ?1 WHERE id = ?2",
            )
            .bind(&at)
            .bind(id)
            .execute(&mut *tx)
            .await?;
        }
    }
    tx.commit().await?;
    Ok(())
}

/// Cancels a pending or failed item: it is not sent (the cloud keeps what it has).
pub async fn cancel(store: &Store, id: &str) -> Result<()> {
    let id = parse_item(id)?;
    let mut tx = store.write().await?;
    let done = sqlx::query(
        "UPDATE outbox SET status = 'canceled', updated_at = ?, last_error = 'canceled by the user' \
         WHERE id = ? AND status IN ('pending', 'failed')",
    )
    .bind(now())
    .bind(id)
    .execute(&mut *tx)
    .await?;
    if done.rows_affected() == 0 {
        let known: Option<String> = sqlx::query_scalar("SELECT status FROM outbox WHERE id = ?")
            .bind(id)
            .fetch_optional(&mut *tx)
            .await?;
        return Err(match known {
            Some(status) => Error::invalid(
                "id",
                format!(
                    "outbox item {id} is {status}: only pending or failed items can be canceled"
                ),
            ),
            None => Error::NotFound(format!("no outbox item with id {id}")),
        });
    }
    tx.commit().await?;
    Ok(())
}

/// How many items wait and how many need attention.
pub async fn counts(conn: &mut SqliteConnection) -> Result<(u64, u64)> {
    let (pending, failed): (i64, i64) = sqlx::query_as(
        "SELECT coalesce(sum(status = 'pending'), 0), coalesce(sum(status = 'failed'), 0) FROM outbox",
    )
    .fetch_one(&mut *conn)
    .await?;
    Ok((pending as u64, failed as u64))
}

/// Shares the contacts kept on this computer only with the cloud: each is queued as a create.
pub async fn share_local(store: &Store) -> Result<u64> {
    let mut tx = store.write().await?;
    let at = now();
    let queued = sqlx::query(
        "INSERT INTO outbox (target, contact_id, op, status, next_at, created_at, updated_at) \
         SELECT ?1, r.contact_id, 'create', 'pending', ?2, ?2, ?2 FROM remote_contacts r \
         JOIN contacts c ON c.id = r.contact_id WHERE r.local_only = 1 \
         AND NOT EXISTS (SELECT 1 FROM outbox o WHERE o.target = ?1 AND o.contact_id = r.contact_id \
                         AND o.status = 'pending')",
    )
    .bind(CLOUD)
    .bind(&at)
    .execute(&mut *tx)
    .await?
    .rows_affected();
    sqlx::query("DELETE FROM remote_contacts WHERE local_only = 1")
        .execute(&mut *tx)
        .await?;
    tx.commit().await?;
    Ok(queued)
}
