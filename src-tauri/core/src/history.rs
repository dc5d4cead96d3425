//! History and undo, read from the journal: who changed what and when, and taking back the
//! acting user's most recent change (add, edit, merge, import) exactly, ids included.

use serde::Serialize;
use sqlx::SqliteConnection;

use std::collections::{HashMap, HashSet};

use crate::error::{Error, Result};
use crate::funnel::{self, Funnel, Source};
use crate::identity::{self, Match};
use crate::journal::{self, BatchKind, Op, CONTACT};
use crate::links::{self, Link, Target, ACTIVITY, NOTIFICATION};
use crate::record::{ContactRow, FIELDS};
use crate::rows::{self, load_row};
use crate::store::{now, Store};
use crate::users::{self, User};

pub use crate::record::FieldChange;

/// One change to a contact, as the history view, `cardfile history` and the local API show it.
#[derive(Debug, Clone, PartialEq, Serialize, specta::Type, utoipa::ToSchema)]
pub struct HistoryEntry {
    pub at: String,
    /// The email of the user who made the change.
    pub user: String,
    /// add, edit, merge, import, delete, activity, users (a removal's reassignment) or undo.
    pub kind: String,
    pub summary: String,
    pub changes: Vec<FieldChange>,
}

#[derive(sqlx::FromRow)]
struct JournalRow {
    id: i64,
    entity: String,
    entity_id: i64,
    op: String,
    before: Option<String>,
    after: Option<String>,
}

/// A journal image (a row, or an activity's or notification's link) read back.
fn image<T: serde::de::DeserializeOwned>(text: &Option<String>) -> Result<Option<T>> {
    text.as_deref()
        .map(|t| {
            serde_json::from_str(t)
                .map_err(|e| Error::Internal(format!("journal entry unreadable: {e}")))
        })
        .transpose()
}

fn diff(before: Option<&ContactRow>, after: Option<&ContactRow>) -> Vec<FieldChange> {
    FIELDS
        .iter()
        .filter_map(|f| {
            let b = before.and_then(|r| r.get(f));
            let a = after.and_then(|r| r.get(f));
            (a != b).then(|| FieldChange {
                field: f.to_string(),
                before: b,
                after: a,
            })
        })
        .collect()
}

/// Every change to contact `id` that `user` may see, oldest first.
pub async fn history(store: &Store, user: &User, id: &str) -> Result<Vec<HistoryEntry>> {
    let id = rows::parse_id(id)?;
    let mut conn = store.pool().acquire().await?;
    let scope = users::scope(&mut conn, user).await?;
    rows::visible_row(&mut conn, &scope, id).await?;
    #[derive(sqlx::FromRow)]
    struct Row {
        at: String,
        email: String,
        kind: String,
        summary: String,
        op: String,
        before: Option<String>,
        after: Option<String>,
        purged: bool,
    }
    let rows: Vec<Row> = sqlx::query_as(
        "SELECT b.at, u.email, CASE WHEN b.undoes IS NULL THEN b.kind ELSE 'undo' END AS kind, b.summary, j.op, j.before, j.after, j.purged FROM journal j \
         JOIN batches b ON b.id = j.batch_id JOIN users u ON u.id = b.user_id \
         WHERE j.entity = ? AND j.entity_id = ? ORDER BY j.id",
    )
    .bind(CONTACT)
    .bind(id)
    .fetch_all(&mut *conn)
    .await?;
    let mut out = Vec::with_capacity(rows.len());
    for (i, r) in rows.iter().enumerate() {
        let after: Option<ContactRow> = if r.op == "insert" && r.after.is_none() && !r.purged {
            // Imported without an image: as the next entry found it, or as it is.
            match rows.get(i + 1) {
                Some(next) => image(&next.before)?,
                None => load_row(&mut conn, id).await?,
            }
        } else {
            image(&r.after)?
        };
        let before: Option<ContactRow> = image(&r.before)?;
        let mut changes = diff(before.as_ref(), after.as_ref());
        // A reassignment (a user's removal) changes the owner, shown by email.
        if let (Some(b), Some(a)) = (&before, &after) {
            if b.owner_id != a.owner_id {
                changes.push(FieldChange {
                    field: "owner".into(),
                    before: Some(users::find_by_id(&mut conn, b.owner_id).await?.email),
                    after: Some(users::find_by_id(&mut conn, a.owner_id).await?.email),
                });
            }
        }
        out.push(HistoryEntry {
            changes,
            at: r.at.clone(),
            user: r.email.clone(),
            kind: r.kind.clone(),
            summary: r.summary.clone(),
        });
    }
    Ok(out)
}

/// What undo took back.
#[derive(Debug, Clone, PartialEq, Serialize, specta::Type)]
pub struct Undone {
    pub kind: String,
    pub summary: String,
}

/// Takes back `user`'s most recent add, edit, merge or import not taken back yet, restoring
/// every row as it was (ids included) by appending compensating changes as an undo batch:
/// the journal and the change feed only grow. Undo again goes one batch further back.
/// Refused, changing nothing, when a later change touched the same contacts.
pub async fn undo(store: &Store, user: &User) -> Result<Undone> {
    let mut tx = store.write().await?;
    let batch: Option<(i64, String, String)> = sqlx::query_as(
        "SELECT id, kind, summary FROM batches WHERE user_id = ? AND undone_at IS NULL \
         AND undoes IS NULL AND kind IN ('add', 'edit', 'merge', 'import') ORDER BY id DESC LIMIT 1",
    )
    .bind(user.id)
    .fetch_optional(&mut *tx)
    .await?;
    let Some((batch_id, kind, summary)) = batch else {
        return Err(Error::NotFound("nothing to undo".into()));
    };
    let refuse = |why: String| Error::Conflict(format!("cannot undo \"{summary}\": {why}"));
    // A contact of the batch deleted since: its entries were purged, and it cannot come back.
    let deleted: Option<i64> = sqlx::query_scalar(
        "SELECT entity_id FROM journal WHERE batch_id = ? AND entity = ? AND purged LIMIT 1",
    )
    .bind(batch_id)
    .bind(CONTACT)
    .fetch_optional(&mut *tx)
    .await?;
    if let Some(id) = deleted {
        return Err(refuse(format!("contact {id} has since been deleted")));
    }
    let at = now();
    let undone_kind = BatchKind::parse(&kind)
        .ok_or_else(|| Error::Internal(format!("a batch of unknown kind {kind}")))?;
    // The undo batch keeps the kind of the batch it takes back, and names it (`undoes`).
    let funnel = Funnel::begin(
        &mut tx,
        user.id,
        undone_kind,
        &at,
        &format!("Undid \"{summary}\""),
        Source::Undo,
    )
    .await?;
    let bulk_removed = kind == "import" && remove_imported(&mut tx, &funnel, batch_id).await?;
    let entries: Vec<JournalRow> = sqlx::query_as(
        "SELECT id, entity, entity_id, op, before, after FROM journal \
         WHERE batch_id = ? ORDER BY id DESC",
    )
    .bind(batch_id)
    .fetch_all(&mut *tx)
    .await?;
    // Contacts the batch changed first let go of their email and mobile phone (checked to be
    // as the batch left them), so restoring them in any order cannot collide: an import may
    // have moved an address from one contact to another.
    let mut released = HashMap::new();
    let mut seen = HashSet::new();
    for e in entries.iter().filter(|e| e.entity == CONTACT) {
        // Only a contact's latest entry in the batch describes it as it is now.
        if !seen.insert(e.entity_id) || e.op != "update" {
            continue;
        }
        let current = load_row(&mut tx, e.entity_id).await?;
        if current != image::<ContactRow>(&e.after)? {
            return Err(refuse(format!("contact {} has changed since", e.entity_id)));
        }
        if let Some(now) = current {
            funnel::release(&mut tx, now.id).await?;
            released.insert(now.id, now);
        }
    }
    for e in &entries {
        let unreadable = || Error::Internal(format!("journal entry {} cannot be undone", e.id));
        if e.entity == NOTIFICATION {
            // An edit or merge retargeted this notification: point it back.
            let before: Target = image(&e.before)?.ok_or_else(unreadable)?;
            let now = links::target(&mut tx, e.entity_id).await?;
            if !link_back(&mut tx, funnel.batch(), e, now, &before).await? {
                return Err(refuse(format!(
                    "notification {} has changed since",
                    e.entity_id
                )));
            }
            links::set_target(&mut tx, e.entity_id, &before).await?;
            continue;
        }
        if e.entity == ACTIVITY {
            // A merge moved this activity: move it back, if nothing moved it since.
            let Some(before) = image::<Link>(&e.before)? else {
                if kind == "import" {
                    // Meetings an import brought (the sample's) go with its contacts.
                    take_back_activity(&mut tx, funnel.batch(), e.entity_id).await?;
                }
                // Else the activity the batch recorded stays: only what it did to contacts goes.
                continue;
            };
            let now = links::link(&mut tx, e.entity_id).await?;
            if !link_back(&mut tx, funnel.batch(), e, now, &before).await? {
                return Err(refuse(format!(
                    "activity {} has changed since",
                    e.entity_id
                )));
            }
            links::set_link(&mut tx, e.entity_id, &before).await?;
            continue;
        }
        let imported = e.op == "insert" && e.after.is_none();
        if imported && bulk_removed {
            continue;
        }
        let after = if imported {
            imported_image(&mut tx, e).await?
        } else {
            image(&e.after)?
        };
        // A released contact is what it was before its release (its email and mobile phone
        // only let go of in the table).
        let (current, was_released) = match released.remove(&e.entity_id) {
            Some(row) => (Some(row), true),
            None => (load_row(&mut tx, e.entity_id).await?, false),
        };
        if current != after {
            return Err(refuse(format!("contact {} has changed since", e.entity_id)));
        }
        match (image::<ContactRow>(&e.before)?, e.op.as_str(), current) {
            (Some(before), "update", Some(now)) if was_released => {
                funnel.update_released(&mut tx, &now, &before).await?
            }
            (Some(before), "update", Some(now)) => funnel.update(&mut tx, &now, &before).await?,
            (Some(before), "delete", None) => {
                taken_since(&mut tx, &before).await.map_err(&refuse)?;
                funnel.create(&mut tx, &before).await?;
            }
            (None, "insert", Some(now)) => funnel.take_back(&mut tx, &now).await?,
            _ => return Err(unreadable()),
        }
    }
    sqlx::query("UPDATE batches SET undone_at = ? WHERE id = ?")
        .bind(&at)
        .bind(batch_id)
        .execute(&mut *tx)
        .await?;
    sqlx::query("UPDATE batches SET undoes = ? WHERE id = ?")
        .bind(batch_id)
        .bind(funnel.batch())
        .execute(&mut *tx)
        .await?;
    // What an import held for review goes with it.
    sqlx::query("DELETE FROM review_items WHERE batch_id = ?")
        .bind(batch_id)
        .execute(&mut *tx)
        .await?;
    tx.commit().await?;
    Ok(Undone { kind, summary })
}

/// Removes an activity an import recorded (with anything that points at it), journaling it.
async fn take_back_activity(conn: &mut SqliteConnection, batch: i64, id: i64) -> Result<()> {
    let link = links::link(&mut *conn, id).await?;
    for sql in [
        "DELETE FROM review_items WHERE activity_id = ?",
        "DELETE FROM activities WHERE id = ?",
    ] {
        sqlx::query(sql).bind(id).execute(&mut *conn).await?;
    }
    journal::record(conn, batch, ACTIVITY, id, Op::Delete, link.as_ref(), None).await
}

/// Undo of an entry that moved a link (an activity's contact, a notification's target):
/// whether the link is still as the entry left it (`now`), and if so the move back to
/// `before` is journaled in the undo's batch (the caller then makes it).
async fn link_back<T>(
    conn: &mut SqliteConnection,
    batch: i64,
    e: &JournalRow,
    now: Option<T>,
    before: &T,
) -> Result<bool>
where
    T: serde::Serialize + serde::de::DeserializeOwned + PartialEq,
{
    if now != image(&e.after)? {
        return Ok(false);
    }
    journal::record(
        conn,
        batch,
        &e.entity,
        e.entity_id,
        Op::Update,
        now.as_ref(),
        Some(before),
    )
    .await?;
    Ok(true)
}

/// An imported contact's row as the import wrote it (it was journaled without an image):
/// the before of the contact's next entry or, with none, the contact as it is.
async fn imported_image(conn: &mut SqliteConnection, e: &JournalRow) -> Result<Option<ContactRow>> {
    let next: Option<Option<String>> = sqlx::query_scalar(
        "SELECT before FROM journal WHERE entity = ? AND entity_id = ? AND id > ? ORDER BY id LIMIT 1",
    )
    .bind(CONTACT)
    .bind(e.entity_id)
    .bind(e.id)
    .fetch_optional(&mut *conn)
    .await?;
    match next {
        Some(before) => image(&before),
        None => load_row(conn, e.entity_id).await,
    }
}

/// An import's new contacts leave in bulk when every one of them is still as imported
/// (`imported_image`); else (returning false) the entry-by-entry undo decides, and refuses
/// with the reason.
async fn remove_imported(
    conn: &mut SqliteConnection,
    funnel: &Funnel,
    batch_id: i64,
) -> Result<bool> {
    let (inserted, intact): (i64, i64) = sqlx::query_as(&format!(
        "SELECT count(*), coalesce(sum(coalesce(( \
             SELECT l.before FROM journal l WHERE l.entity = j.entity AND l.entity_id = j.entity_id \
             AND l.id > j.id ORDER BY l.id LIMIT 1), now.image) = now.image), 0) \
         FROM journal j JOIN (SELECT id, {} AS image FROM contacts) now ON now.id = j.entity_id \
         WHERE j.batch_id = ? AND j.entity = ? AND j.op = 'insert' AND j.after IS NULL",
        journal::CONTACT_IMAGE_SQL
    ))
    .bind(batch_id)
    .bind(CONTACT)
    .fetch_one(&mut *conn)
    .await?;
    let recorded: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM journal WHERE batch_id = ? AND entity = ? AND op = 'insert' AND after IS NULL",
    )
    .bind(batch_id)
    .bind(CONTACT)
    .fetch_one(&mut *conn)
    .await?;
    if inserted == 0 || inserted != intact || inserted != recorded {
        return Ok(false);
    }
    sqlx::query("CREATE TEMP TABLE undo_ids (id INTEGER PRIMARY KEY)")
        .execute(&mut *conn)
        .await?;
    sqlx::query(
        "INSERT INTO temp.undo_ids SELECT entity_id FROM journal \
         WHERE batch_id = ? AND entity = ? AND op = 'insert' AND after IS NULL",
    )
    .bind(batch_id)
    .bind(CONTACT)
    .execute(&mut *conn)
    .await?;
    funnel.take_back_imported(conn, "temp.undo_ids").await?;
    sqlx::query("DROP TABLE temp.undo_ids")
        .execute(&mut *conn)
        .await?;
    Ok(true)
}

/// Why `row` cannot come back: another contact has taken its email or mobile phone since.
async fn taken_since(
    conn: &mut SqliteConnection,
    row: &ContactRow,
) -> std::result::Result<(), String> {
    match identity::resolve(
        conn,
        row.email.as_deref(),
        row.mobile_phone.as_deref(),
        Some(row.id),
    )
    .await
    {
        Ok(Match::Nobody) => Ok(()),
        Ok(m) => Err(format!(
            "contact {}'s email or mobile phone now belongs to contact {}",
            row.id,
            m.survivor().map(|s| s.id).unwrap_or_default()
        )),
        Err(e) => Err(e.to_string()),
    }
}
