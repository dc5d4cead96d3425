//! The change journal: each change is a batch (who, when, what kind) of row changes with
//! their images before and after. History reads it and undo replays it backwards, appending
//! its compensating changes as a batch of their own. Written by the write funnel in the same
//! transaction as the change, so a change and its journal entry land together or not at all.

use serde::{Deserialize, Serialize};
use sqlx::SqliteConnection;

use crate::error::Result;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, specta::Type)]
#[serde(rename_all = "snake_case")]
pub enum BatchKind {
    Add,
    Edit,
    Merge,
    Import,
    Delete,
    Activity,
    /// A user's removal: their contacts reassigned (not undoable, like a delete).
    Users,
}

/// The journal's name for contact rows.
pub const CONTACT: &str = "contact";

impl BatchKind {
    pub fn as_str(self) -> &'static str {
        match self {
            BatchKind::Add => "add",
            BatchKind::Edit => "edit",
            BatchKind::Merge => "merge",
            BatchKind::Import => "import",
            BatchKind::Delete => "delete",
            BatchKind::Activity => "activity",
            BatchKind::Users => "users",
        }
    }

    /// The kind `as_str` names.
    pub fn parse(kind: &str) -> Option<BatchKind> {
        [
            BatchKind::Add,
            BatchKind::Edit,
            BatchKind::Merge,
            BatchKind::Import,
            BatchKind::Delete,
            BatchKind::Activity,
            BatchKind::Users,
        ]
        .into_iter()
        .find(|k| k.as_str() == kind)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Op {
    Insert,
    Update,
    Delete,
}

impl Op {
    fn as_str(self) -> &'static str {
        match self {
            Op::Insert => "insert",
            Op::Update => "update",
            Op::Delete => "delete",
        }
    }
}

/// Opens a batch for `user_id` at `at` (the change's own timestamp); every `record` with
/// its id belongs to it.
pub async fn begin(
    conn: &mut SqliteConnection,
    user_id: i64,
    kind: BatchKind,
    at: &str,
    summary: &str,
) -> Result<i64> {
    Ok(sqlx::query_scalar(
        "INSERT INTO batches (user_id, kind, at, summary) VALUES (?, ?, ?, ?) RETURNING id",
    )
    .bind(user_id)
    .bind(kind.as_str())
    .bind(at)
    .bind(summary)
    .fetch_one(&mut *conn)
    .await?)
}

/// Records one row change of `entity` in batch `batch_id`.
pub async fn record<T: Serialize>(
    conn: &mut SqliteConnection,
    batch_id: i64,
    entity: &str,
    entity_id: i64,
    op: Op,
    before: Option<&T>,
    after: Option<&T>,
) -> Result<()> {
    let image =
        |v: Option<&T>| -> Result<Option<String>> { v.map(|v| crate::error::json(v)).transpose() };
    sqlx::query(
        "INSERT INTO journal (batch_id, entity, entity_id, op, before, after) VALUES (?, ?, ?, ?, ?, ?)",
    )
    .bind(batch_id)
    .bind(entity)
    .bind(entity_id)
    .bind(op.as_str())
    .bind(image(before)?)
    .bind(image(after)?)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// One journal entry as tests and history read it.
#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct Entry {
    pub batch_id: i64,
    pub user_id: i64,
    pub kind: String,
    pub at: String,
    pub entity: String,
    pub entity_id: i64,
    pub op: String,
    pub before: Option<String>,
    pub after: Option<String>,
    pub purged: bool,
}

/// Every entry about one entity, oldest first.
pub async fn entries_for(
    conn: &mut SqliteConnection,
    entity: &str,
    entity_id: i64,
) -> Result<Vec<Entry>> {
    Ok(sqlx::query_as(
        "SELECT j.batch_id, b.user_id, b.kind, b.at, j.entity, j.entity_id, j.op, j.before, j.after, j.purged \
         FROM journal j JOIN batches b ON b.id = j.batch_id \
         WHERE j.entity = ? AND j.entity_id = ? ORDER BY j.id",
    )
    .bind(entity)
    .bind(entity_id)
    .fetch_all(&mut *conn)
    .await?)
}

/// A contact row's journal image computed by SQLite from the `contacts` row in scope: the
/// same JSON as serde writes for `ContactRow`. Undo compares rows with it, in bulk.
pub(crate) const CONTACT_IMAGE_SQL: &str = "json_object('id', id, 'first_name', first_name, \
    'last_name', last_name, 'salutation', salutation, 'email', email, 'mobile_phone', mobile_phone, \
    'phone', phone, 'company', company, 'job_title', job_title, 'street_address', street_address, \
    'city', city, 'state', state, 'post_code', post_code, 'country', country, 'timezone', timezone, \
    'status', status, 'has_consent', CASE has_consent WHEN 1 THEN json('true') WHEN 0 THEN json('false') END, \
    'notes', notes, 'owner_id', owner_id, 'created_at', created_at, 'updated_at', updated_at, \
    'last_interacted_at', last_interacted_at)";
