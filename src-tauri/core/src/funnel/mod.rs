//! The one way a contact changes. Add, edit, merge, delete, activities, imports (in bulk, by
//! the same rules), undo and the Review list's merge all write `contacts` through here and
//! nowhere else. In the caller's transaction, each change writes the row, its search words,
//! its journal entry, the retargeting of pending notifications when the email or mobile
//! phone moves, and its entry in the append-only change feed (which is also the change
//! event: `feed::watch` announces what was committed).

mod bulk;
pub(crate) mod ffi;
pub mod new_words;
mod purge;
mod word_sort;

pub(crate) use bulk::{read_rows, Bulk, BulkConnection};
use purge::purge;

use sqlx::{QueryBuilder, Sqlite, SqliteConnection};

use crate::error::{Error, Result};
use crate::journal::{self, BatchKind, Op, CONTACT};
use crate::links;
use crate::outbox;
use crate::record::{ContactRow, FIELDS, ROW_COLUMNS};
use crate::words::{self, Derived};

/// Who or what made a change, as the feed records it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Source {
    Manual,
    Import,
    Activity,
    Api,
    Cloud,
    Undo,
}

impl Source {
    pub fn as_str(self) -> &'static str {
        match self {
            Source::Manual => "manual",
            Source::Import => "import",
            Source::Activity => "activity",
            Source::Api => "api",
            Source::Cloud => "cloud",
            Source::Undo => "undo",
        }
    }
}

/// What happened to a contact, as the feed records it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Create,
    Update,
    Delete,
    /// Folded into another contact by a merge.
    Merge,
}

impl Kind {
    fn as_str(self) -> &'static str {
        match self {
            Kind::Create => "create",
            Kind::Update => "update",
            Kind::Delete => "delete",
            Kind::Merge => "merge",
        }
    }
}

/// A batch of contact changes in one transaction: one journal batch, its feed entries.
pub(crate) struct Funnel {
    batch: i64,
    user_id: i64,
    source: Source,
    at: String,
    /// A cloud account is connected: each entry also feeds the outbox.
    outbox: bool,
    /// An import kept on this computer only: its new contacts are not pushed.
    keep_local: bool,
    /// The connected integrations (CRMs, calendars, Zapier): each entry may feed them too.
    targets: Vec<outbox::Target>,
}

/// A field's value in the feed: the edited fields, last_interacted_at (which activities set)
/// and owner_id (which a user's removal reassigns).
fn feed_value(row: &ContactRow, field: &str) -> serde_json::Value {
    match field {
        "last_interacted_at" => row.last_interacted_at.clone().into(),
        "owner_id" => row.owner_id.into(),
        _ => row.get(field).into(),
    }
}

/// The fields whose values differ between two images of a contact (a new contact's are those
/// with a value; its owner is not a change).
fn changed_fields(before: Option<&ContactRow>, after: Option<&ContactRow>) -> Vec<&'static str> {
    let get =
        |row: Option<&ContactRow>, f: &str| row.map(|r| feed_value(r, f)).filter(|v| !v.is_null());
    let both = before.is_some() && after.is_some();
    FIELDS
        .iter()
        .copied()
        .chain(["last_interacted_at"])
        .chain(both.then_some("owner_id"))
        .filter(|f| get(before, f) != get(after, f))
        .collect()
}

/// The values of `fields` in `row`, as a JSON object (None without a row).
fn values(row: Option<&ContactRow>, fields: &[&str]) -> Option<String> {
    let row = row?;
    let map: serde_json::Map<String, serde_json::Value> = fields
        .iter()
        .map(|f| (f.to_string(), feed_value(row, f)))
        .collect();
    Some(serde_json::Value::Object(map).to_string())
}

/// The next contact id: one more than any ever handed out, so a deleted contact's id never
/// comes back (the counter only goes up).
async fn next_id(conn: &mut SqliteConnection) -> Result<i64> {
    Ok(sqlx::query_scalar(
        "UPDATE counters SET value = value + 1 WHERE name = 'contact_ids' RETURNING value",
    )
    .fetch_one(&mut *conn)
    .await?)
}

/// The first id a bulk write may hand out (`reserve_ids` claims them once it is done).
pub(crate) async fn first_free_id(conn: &mut SqliteConnection) -> Result<i64> {
    Ok(
        sqlx::query_scalar("SELECT value + 1 FROM counters WHERE name = 'contact_ids'")
            .fetch_one(&mut *conn)
            .await?,
    )
}

/// A contact's stored columns: `ROW_COLUMNS`, then the two search derives. Every write of a
/// contact row binds them in this order (`stored_values`).
static STORED_COLUMNS: std::sync::LazyLock<Vec<&str>> = std::sync::LazyLock::new(|| {
    ROW_COLUMNS
        .split(", ")
        .chain(["sort_name", "search_text"])
        .collect()
});

/// The values of `STORED_COLUMNS` for `row` with what search derives from it (`d`).
fn stored_values<'r>(row: &'r ContactRow, d: &'r Derived) -> [ffi::Value<'r>; 24] {
    use ffi::Value::{Bool, Int, Text};
    [
        Int(row.id),
        Text(row.first_name.as_deref()),
        Text(row.last_name.as_deref()),
        Text(row.salutation.as_deref()),
        Text(row.email.as_deref()),
        Text(row.mobile_phone.as_deref()),
        Text(row.phone.as_deref()),
        Text(row.company.as_deref()),
        Text(row.job_title.as_deref()),
        Text(row.street_address.as_deref()),
        Text(row.city.as_deref()),
        Text(row.state.as_deref()),
        Text(row.post_code.as_deref()),
        Text(row.country.as_deref()),
        Text(row.timezone.as_deref()),
        Text(row.status.as_deref()),
        Bool(row.has_consent),
        Text(row.notes.as_deref()),
        Int(row.owner_id),
        Text(Some(&row.created_at)),
        Text(Some(&row.updated_at)),
        Text(row.last_interacted_at.as_deref()),
        Text(Some(&d.sort_name)),
        Text(Some(&d.search_text)),
    ]
}

/// A contact row read back by position in `ROW_COLUMNS` order: what `stored_values` binds.
fn stored_row(c: &ffi::Columns<'_>) -> Result<ContactRow> {
    Ok(ContactRow {
        id: c.int(0),
        first_name: c.text(1)?,
        last_name: c.text(2)?,
        salutation: c.text(3)?,
        email: c.text(4)?,
        mobile_phone: c.text(5)?,
        phone: c.text(6)?,
        company: c.text(7)?,
        job_title: c.text(8)?,
        street_address: c.text(9)?,
        city: c.text(10)?,
        state: c.text(11)?,
        post_code: c.text(12)?,
        country: c.text(13)?,
        timezone: c.text(14)?,
        status: c.text(15)?,
        has_consent: c.flag(16),
        notes: c.text(17)?,
        owner_id: c.int(18),
        created_at: c.required_text(19)?,
        updated_at: c.required_text(20)?,
        last_interacted_at: c.text(21)?,
    })
}

fn push_value<'r>(qb: &mut QueryBuilder<'r, Sqlite>, value: ffi::Value<'r>) {
    match value {
        ffi::Value::Int(n) => qb.push_bind(n),
        ffi::Value::Text(t) => qb.push_bind(t),
        ffi::Value::Bool(b) => qb.push_bind(b),
    };
}

/// Inserts `row`, with its own id, and what search derives from it (its words in the index
/// are the caller's).
async fn insert_row(
    conn: &mut SqliteConnection,
    row: &ContactRow,
    derived: &Derived,
) -> Result<()> {
    let mut qb = QueryBuilder::new(format!(
        "INSERT INTO contacts ({}) VALUES (",
        STORED_COLUMNS.join(", ")
    ));
    for (i, value) in stored_values(row, derived).into_iter().enumerate() {
        if i > 0 {
            qb.push(", ");
        }
        push_value(&mut qb, value);
    }
    qb.push(")");
    written(qb.build().execute(&mut *conn).await?, row.id)
}

/// Writes `after` over the stored `before` (same id), each with what search derives from
/// it: only the columns that differ are set, so SQLite updates only the indexes on them (a
/// job title's edit touches two of the table's indexes where setting every column, the id
/// among them, rewrote an entry in each: half the pages an edit writes).
async fn rewrite_row(
    conn: &mut SqliteConnection,
    (before, old): (&ContactRow, &Derived),
    (after, new): (&ContactRow, &Derived),
) -> Result<()> {
    let mut qb = QueryBuilder::new("UPDATE contacts SET ");
    let mut changed = 0;
    let values = stored_values(before, old)
        .into_iter()
        .zip(stored_values(after, new));
    for (column, (was, is)) in STORED_COLUMNS.iter().zip(values) {
        if was != is {
            if changed > 0 {
                qb.push(", ");
            }
            qb.push(format!("{column} = "));
            push_value(&mut qb, is);
            changed += 1;
        }
    }
    if changed == 0 {
        return Ok(());
    }
    qb.push(" WHERE id = ").push_bind(before.id);
    written(qb.build().execute(&mut *conn).await?, before.id)
}

fn written(done: sqlx::sqlite::SqliteQueryResult, id: i64) -> Result<()> {
    match done.rows_affected() {
        1 => Ok(()),
        _ => Err(Error::Internal(format!("contact {id} was not written"))),
    }
}

/// Removes the search words of `row` as stored.
async fn drop_terms(conn: &mut SqliteConnection, row: &ContactRow) -> Result<()> {
    words::remove_terms(conn, row.id, &words::derive(row)).await
}

async fn delete_row(conn: &mut SqliteConnection, row: &ContactRow) -> Result<()> {
    drop_terms(conn, row).await?;
    sqlx::query("DELETE FROM contacts WHERE id = ?")
        .bind(row.id)
        .execute(&mut *conn)
        .await?;
    Ok(())
}

impl Funnel {
    /// Opens a journal batch for `user_id` at `at` (the change's own timestamp).
    pub(crate) async fn begin(
        conn: &mut SqliteConnection,
        user_id: i64,
        kind: BatchKind,
        at: &str,
        summary: &str,
        source: Source,
    ) -> Result<Funnel> {
        let batch = journal::begin(conn, user_id, kind, at, summary).await?;
        // What came from the cloud goes to the integrations, never back to the cloud.
        let outbox = source != Source::Cloud && outbox::active(conn).await?;
        let targets = outbox::targets(conn).await?;
        Ok(Funnel {
            batch,
            user_id,
            source,
            at: at.to_string(),
            outbox,
            keep_local: false,
            targets,
        })
    }

    /// Marks this batch's new contacts as kept on this computer only (an import's choice).
    pub(crate) fn keep_local(&mut self) {
        self.keep_local = true;
    }

    pub(crate) fn batch(&self) -> i64 {
        self.batch
    }

    /// Appends one entry to the change feed, with its values beside it, and queues what it
    /// asks of the cloud and the integrations (in the same transaction: a change and its
    /// outbox items are one).
    #[allow(clippy::too_many_arguments)]
    async fn feed(
        &self,
        conn: &mut SqliteConnection,
        contact_id: i64,
        last_id: Option<i64>,
        kind: Kind,
        merged_into: Option<i64>,
        fields: &[&str],
        before: Option<String>,
        after: Option<String>,
    ) -> Result<()> {
        let names = crate::error::json(fields)?;
        let seq: i64 = sqlx::query_scalar(
            "INSERT INTO changes (batch_id, contact_id, last_id, kind, merged_into, fields, source, user_id, at) \
             VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING seq",
        )
        .bind(self.batch)
        .bind(contact_id)
        .bind(last_id)
        .bind(kind.as_str())
        .bind(merged_into)
        .bind(names)
        .bind(self.source.as_str())
        .bind(self.user_id)
        .bind(&self.at)
        .fetch_one(&mut *conn)
        .await?;
        if before.is_some() || after.is_some() {
            sqlx::query("INSERT INTO change_values (seq, before, after) VALUES (?, ?, ?)")
                .bind(seq)
                .bind(&before)
                .bind(after)
                .execute(&mut *conn)
                .await?;
        }
        // An import kept on this computer marks its new contacts even before any account is
        // connected: the first connect does not queue them.
        let change = outbox::Change {
            contact_id,
            last_id,
            kind: kind.as_str(),
            fields,
            keep_local: self.keep_local,
            before: before.as_deref(),
            at: &self.at,
        };
        if self.outbox || (self.keep_local && kind == Kind::Create) {
            outbox::enqueue(conn, &change).await?;
        }
        if !self.targets.is_empty() {
            outbox::enqueue_integrations(conn, &self.targets, &change).await?;
        }
        Ok(())
    }

    /// Journals a contact's change (an insert, an update or its row going) and appends its
    /// feed entry with the changed fields' values: the record every write leaves.
    async fn recorded(
        &self,
        conn: &mut SqliteConnection,
        before: Option<&ContactRow>,
        after: Option<&ContactRow>,
        kind: Kind,
        merged_into: Option<i64>,
    ) -> Result<()> {
        let (id, op) = match (before, after) {
            (_, Some(row)) if before.is_none() => (row.id, Op::Insert),
            (_, Some(row)) => (row.id, Op::Update),
            (Some(row), None) => (row.id, Op::Delete),
            (None, None) => return Err(Error::Internal("a change to no contact".into())),
        };
        journal::record(conn, self.batch, CONTACT, id, op, before, after).await?;
        let fields = changed_fields(before, after);
        let (b, a) = (values(before, &fields), values(after, &fields));
        self.feed(conn, id, None, kind, merged_into, &fields, b, a)
            .await
    }

    /// A new contact. It gets the next id, unless it brings its own (undo puts a contact
    /// back exactly, id included). Returns the row as stored.
    pub(crate) async fn create(
        &self,
        conn: &mut SqliteConnection,
        row: &ContactRow,
    ) -> Result<ContactRow> {
        let mut row = row.clone();
        if row.id == 0 {
            row.id = next_id(conn).await?;
        }
        let derived = words::derive(&row);
        insert_row(conn, &row, &derived).await?;
        words::add_terms(conn, row.id, &derived).await?;
        self.recorded(conn, None, Some(&row), Kind::Create, None)
            .await?;
        Ok(row)
    }

    /// A contact changed from `before` (as stored) to `after` (same id). Its pending
    /// notifications follow a new email or mobile phone.
    pub(crate) async fn update(
        &self,
        conn: &mut SqliteConnection,
        before: &ContactRow,
        after: &ContactRow,
    ) -> Result<()> {
        self.update_over(conn, before, before, after).await
    }

    /// `update` of a contact that was released (`release`): the table holds `before` without
    /// its email and mobile phone.
    pub(crate) async fn update_released(
        &self,
        conn: &mut SqliteConnection,
        before: &ContactRow,
        after: &ContactRow,
    ) -> Result<()> {
        self.update_over(conn, &as_released(before), before, after)
            .await
    }

    /// `update`, the row written over `stored` (what the table holds: `before`, or `before`
    /// released).
    async fn update_over(
        &self,
        conn: &mut SqliteConnection,
        stored: &ContactRow,
        before: &ContactRow,
        after: &ContactRow,
    ) -> Result<()> {
        let (old, new) = (words::derive(before), words::derive(after));
        rewrite_row(conn, (stored, &old), (after, &new)).await?;
        words::change_terms(conn, after.id, &old, &new).await?;
        self.updated(conn, before, after).await
    }

    /// What follows a contact's change once its row is written: journal, feed and, when the
    /// email or mobile phone moved, its pending notifications.
    async fn updated(
        &self,
        conn: &mut SqliteConnection,
        before: &ContactRow,
        after: &ContactRow,
    ) -> Result<()> {
        self.recorded(conn, Some(before), Some(after), Kind::Update, None)
            .await?;
        if (&before.email, &before.mobile_phone) != (&after.email, &after.mobile_phone) {
            links::retarget(conn, self.batch, before.id, after).await?;
        }
        Ok(())
    }

    /// A merge folds `gone` into `into` (the survivor as the merge leaves it): its
    /// activities and pending notifications move to the survivor, and its row goes.
    pub(crate) async fn fold(
        &self,
        conn: &mut SqliteConnection,
        gone: &ContactRow,
        into: &ContactRow,
    ) -> Result<()> {
        links::move_activities(conn, self.batch, gone.id, into.id).await?;
        links::retarget(conn, self.batch, gone.id, into).await?;
        delete_row(conn, gone).await?;
        self.recorded(conn, Some(gone), None, Kind::Merge, Some(into.id))
            .await
    }

    /// A permanent delete (the seed's): the row goes; its activities keep their snapshot and
    /// its reminders are still sent, linked to nobody. The person's data is purged from
    /// every copy (`purge`); the journal keeps a tombstone and the feed a delete.
    pub(crate) async fn delete(&self, conn: &mut SqliteConnection, row: &ContactRow) -> Result<()> {
        links::unlink_deleted(conn, row.id).await?;
        delete_row(conn, row).await?;
        purge(conn, row.id).await?;
        journal::record::<()>(conn, self.batch, CONTACT, row.id, Op::Delete, None, None).await?;
        self.feed(conn, row.id, None, Kind::Delete, None, &[], None, None)
            .await
    }

    /// Undo of a create: the contact goes again (not a person's delete: its history stays).
    pub(crate) async fn take_back(
        &self,
        conn: &mut SqliteConnection,
        row: &ContactRow,
    ) -> Result<()> {
        delete_row(conn, row).await?;
        self.recorded(conn, Some(row), None, Kind::Delete, None)
            .await
    }
}

/// A stored contact lets go of its email and mobile phone in the table (the row is rewritten
/// or taken back later in the same transaction), so that restoring or moving several
/// contacts' identifiers, in any order, cannot collide on the UNIQUE indexes: undo does this
/// first, and an import for a contact whose email or mobile phone it moves.
pub(crate) async fn release(conn: &mut SqliteConnection, id: i64) -> Result<()> {
    sqlx::query(RELEASE)
        .bind(releasing(id))
        .bind(id)
        .execute(&mut *conn)
        .await?;
    Ok(())
}

const RELEASE: &str = "UPDATE contacts SET email = NULL, mobile_phone = ?1 WHERE id = ?2";

/// The mobile phone a released contact holds in the table: one no contact has.
fn releasing(id: i64) -> String {
    format!("releasing:{id}")
}

/// `row` as the table holds it once released.
fn as_released(row: &ContactRow) -> ContactRow {
    ContactRow {
        email: None,
        mobile_phone: Some(releasing(row.id)),
        ..row.clone()
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn every_stored_column_gets_a_value() {
        let row = crate::record::ContactRow::blank(1, "2026-01-01T00:00:00Z".into());
        let derived = crate::words::derive(&row);
        assert_eq!(
            super::STORED_COLUMNS.len(),
            super::stored_values(&row, &derived).len()
        );
    }
}
