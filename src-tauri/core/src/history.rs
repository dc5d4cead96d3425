//! History and undo, read from the journal: who changed what and when, and taking back the
//! acting user's most recent change (add, edit, merge, import) exactly, ids included.

use serde::Serialize;
use sqlx::SqliteConnection;

use crate::activity::{self, Link, ACTIVITY};
use crate::contact::{ContactRow, FIELDS};
use crate::contacts::{self, drop_terms, load_row, write_row, ENTITY};
use crate::error::{Error, Result};
use crate::identity::{self, Match};
use crate::journal;
use crate::notify::{self, Target, NOTIFICATION};
use crate::store::Store;
use crate::users::{self, User};

#[derive(Debug, Clone, PartialEq, Serialize, specta::Type)]
pub struct FieldChange {
    pub field: String,
    pub before: Option<String>,
    pub after: Option<String>,
}

/// One change to a contact, as the history view and `cardfile history` show it.
#[derive(Debug, Clone, PartialEq, Serialize, specta::Type)]
pub struct HistoryEntry {
    pub at: String,
    /// The email of the user who made the change.
    pub user: String,
    /// add, edit, merge or import.
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
    purged: bool,
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
    let id = contacts::parse_id(id)?;
    let mut conn = store.pool().acquire().await?;
    let scope = users::scope(&mut conn, user).await?;
    contacts::visible_row(&mut conn, &scope, id).await?;
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
        "SELECT b.at, u.email, b.kind, b.summary, j.op, j.before, j.after, j.purged FROM journal j \
         JOIN batches b ON b.id = j.batch_id JOIN users u ON u.id = b.user_id \
         WHERE j.entity = ? AND j.entity_id = ? ORDER BY j.id",
    )
    .bind(ENTITY)
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
        out.push(HistoryEntry {
            changes: diff(image(&r.before)?.as_ref(), after.as_ref()),
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

/// Takes back `user`'s most recent add, edit, merge or import, restoring every row as it
/// was (ids included); the batch leaves the journal, so undo again goes one further back.
/// Refused, changing nothing, when a later change touched the same contacts.
pub async fn undo(store: &Store, user: &User) -> Result<Undone> {
    let mut tx = store.pool().begin().await?;
    let batch: Option<(i64, String, String)> = sqlx::query_as(
        "SELECT id, kind, summary FROM batches WHERE user_id = ? \
         AND kind IN ('add', 'edit', 'merge', 'import') ORDER BY id DESC LIMIT 1",
    )
    .bind(user.id)
    .fetch_optional(&mut *tx)
    .await?;
    let Some((batch_id, kind, summary)) = batch else {
        return Err(Error::NotFound("nothing to undo".into()));
    };
    if kind == "import" {
        remove_imported(&mut tx, batch_id).await?;
    }
    let entries: Vec<JournalRow> = sqlx::query_as(
        "SELECT id, entity, entity_id, op, before, after, purged FROM journal \
         WHERE batch_id = ? ORDER BY id DESC",
    )
    .bind(batch_id)
    .fetch_all(&mut *tx)
    .await?;
    let refuse = |why: String| Error::Conflict(format!("cannot undo \"{summary}\": {why}"));
    // Contacts the batch changed first let go of their email and mobile phone (checked to be
    // as the batch left them), so restoring them in any order cannot collide: an import may
    // have moved an address from one contact to another.
    let mut released = std::collections::HashSet::new();
    let mut seen = std::collections::HashSet::new();
    for e in entries.iter().filter(|e| e.entity == ENTITY && !e.purged) {
        // Only a contact's latest entry in the batch describes it as it is now.
        if !seen.insert(e.entity_id) || e.op != "update" {
            continue;
        }
        let current = load_row(&mut tx, e.entity_id).await?;
        if current != image::<ContactRow>(&e.after)? {
            return Err(refuse(format!("contact {} has changed since", e.entity_id)));
        }
        if let Some(now) = &current {
            drop_terms(&mut tx, now).await?;
            sqlx::query("UPDATE contacts SET email = NULL, mobile_phone = ? WHERE id = ?")
                .bind(format!("undoing:{}", now.id))
                .bind(now.id)
                .execute(&mut *tx)
                .await?;
            released.insert(e.entity_id);
        }
    }
    for e in &entries {
        if e.purged {
            return Err(refuse(format!(
                "contact {} has since been deleted",
                e.entity_id
            )));
        }
        let unreadable = || Error::Internal(format!("journal entry {} cannot be undone", e.id));
        if e.entity == NOTIFICATION {
            // An edit or merge retargeted this notification: point it back.
            let before: Target = image(&e.before)?.ok_or_else(unreadable)?;
            if notify::target(&mut tx, e.entity_id).await? != image(&e.after)? {
                return Err(refuse(format!(
                    "notification {} has changed since",
                    e.entity_id
                )));
            }
            notify::set_target(&mut tx, e.entity_id, &before).await?;
            continue;
        }
        if e.entity == ACTIVITY {
            // A merge moved this activity: move it back, if nothing moved it since.
            let before: Link = image(&e.before)?.ok_or_else(unreadable)?;
            if activity::link(&mut tx, e.entity_id).await? != image(&e.after)? {
                return Err(refuse(format!(
                    "activity {} has changed since",
                    e.entity_id
                )));
            }
            activity::set_link(&mut tx, e.entity_id, &before).await?;
            continue;
        }
        let before = image(&e.before)?;
        let after = if e.op == "insert" && e.after.is_none() {
            // Imported without an image: as imported while nothing has touched it since.
            if journal::changed_after(&mut tx, ENTITY, e.entity_id, e.id).await? {
                return Err(refuse(format!("contact {} has changed since", e.entity_id)));
            }
            load_row(&mut tx, e.entity_id).await?
        } else {
            image(&e.after)?
        };
        if !released.remove(&e.entity_id) {
            let current = load_row(&mut tx, e.entity_id).await?;
            if current != after {
                return Err(refuse(format!("contact {} has changed since", e.entity_id)));
            }
            if let Some(now) = &current {
                drop_terms(&mut tx, now).await?;
            }
        }
        match (&before, e.op.as_str()) {
            (Some(before), "update") => {
                write_row(&mut tx, before, false).await?;
            }
            (Some(before), "delete") => {
                taken_since(&mut tx, before).await.map_err(&refuse)?;
                write_row(&mut tx, before, true).await?;
            }
            (None, "insert") => {
                sqlx::query("DELETE FROM contacts WHERE id = ?")
                    .bind(e.entity_id)
                    .execute(&mut *tx)
                    .await?;
            }
            _ => {
                return Err(Error::Internal(format!(
                    "journal entry {} cannot be undone",
                    e.id
                )))
            }
        }
    }
    sqlx::query("DELETE FROM journal WHERE batch_id = ?")
        .bind(batch_id)
        .execute(&mut *tx)
        .await?;
    // What an import held for review goes with it.
    sqlx::query("DELETE FROM review_items WHERE batch_id = ?")
        .bind(batch_id)
        .execute(&mut *tx)
        .await?;
    sqlx::query("DELETE FROM batches WHERE id = ?")
        .bind(batch_id)
        .execute(&mut *tx)
        .await?;
    tx.commit().await?;
    Ok(Undone { kind, summary })
}

/// An import's new contacts leave in bulk, when every one of them is still as imported:
/// no journal entry since (an entry without an image), or equal to its image (else the
/// entry-by-entry undo decides, and refuses with the reason). Their journal entries go
/// with them; the batch's other entries are undone one by one.
async fn remove_imported(conn: &mut SqliteConnection, batch_id: i64) -> Result<()> {
    let (inserted, intact): (i64, i64) = sqlx::query_as(&format!(
        "SELECT count(*), coalesce(sum(CASE WHEN j.after IS NULL \
             THEN NOT EXISTS (SELECT 1 FROM journal l WHERE l.entity = j.entity AND l.entity_id = j.entity_id AND l.id > j.id) \
             ELSE j.after = (SELECT {} FROM contacts WHERE contacts.id = j.entity_id) END), 0) \
         FROM journal j WHERE j.batch_id = ? AND j.entity = ? AND j.op = 'insert' AND NOT j.purged",
        journal::CONTACT_IMAGE_SQL
    ))
    .bind(batch_id)
    .bind(ENTITY)
    .fetch_one(&mut *conn)
    .await?;
    if inserted == 0 || inserted != intact {
        return Ok(());
    }
    for sql in [
        "CREATE TEMP TABLE undo_ids (id INTEGER PRIMARY KEY)",
        "INSERT INTO temp.undo_ids SELECT entity_id FROM journal \
         WHERE batch_id = ?1 AND entity = 'contact' AND op = 'insert'",
        "DELETE FROM search_terms WHERE contact_id IN (SELECT id FROM temp.undo_ids)",
        "DELETE FROM contacts WHERE id IN (SELECT id FROM temp.undo_ids)",
        "DELETE FROM journal WHERE batch_id = ?1 AND entity = 'contact' AND op = 'insert'",
        "DROP TABLE temp.undo_ids",
    ] {
        let query = sqlx::query(sql);
        let query = if sql.contains("?1") {
            query.bind(batch_id)
        } else {
            query
        };
        query.execute(&mut *conn).await?;
    }
    Ok(())
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
