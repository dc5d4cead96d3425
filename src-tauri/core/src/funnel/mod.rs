//! The one way a contact changes. Add, edit, merge, delete, activities, imports (in bulk, by
//! the same rules), undo and the Review list's merge all write `contacts` through here and
//! nowhere else. In the caller's transaction, each change writes the row, its search words,
//! its journal entry, the retargeting of pending notifications when the email or mobile
//! phone moves, and its entry in the append-only change feed (which is also the change
//! event: `feed::watch` announces what was committed).

mod ffi;

use serde::Serialize;
use sqlx::SqliteConnection;

use crate::contact::{ContactRow, FIELDS, ROW_COLUMNS};
use crate::error::{Error, Result};
use crate::journal::{self, BatchKind, Op, CONTACT};
use crate::links;
use crate::search::{self, Derived};

/// Who or what made a change, as the feed records it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, specta::Type)]
#[serde(rename_all = "snake_case")]
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
}

/// The fields whose values differ between two images of a contact (the edited fields and
/// last_interacted_at, which activities set).
fn changed_fields(before: Option<&ContactRow>, after: Option<&ContactRow>) -> Vec<&'static str> {
    let get = |row: Option<&ContactRow>, f: &str| match f {
        "last_interacted_at" => row.and_then(|r| r.last_interacted_at.clone()),
        _ => row.and_then(|r| r.get(f)),
    };
    FIELDS
        .iter()
        .copied()
        .chain(["last_interacted_at"])
        .filter(|f| get(before, f) != get(after, f))
        .collect()
}

/// The values of `fields` in `row`, as a JSON object (None without a row).
fn values(row: Option<&ContactRow>, fields: &[&str]) -> Option<String> {
    let row = row?;
    let map: serde_json::Map<String, serde_json::Value> = fields
        .iter()
        .map(|f| {
            let v = match *f {
                "last_interacted_at" => row.last_interacted_at.clone(),
                _ => row.get(f),
            };
            (f.to_string(), v.map_or(serde_json::Value::Null, Into::into))
        })
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

/// Writes `row` (inserted with its own id, or updated in place) with its derived search
/// columns and words.
async fn write_row(conn: &mut SqliteConnection, row: &ContactRow, insert: bool) -> Result<()> {
    let derived = search::derive(row);
    let sql = if insert {
        format!(
            "INSERT INTO contacts ({ROW_COLUMNS}, sort_name, search_text) VALUES \
             (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
        )
    } else {
        "UPDATE contacts SET id = ?, first_name = ?, last_name = ?, salutation = ?, email = ?, \
         mobile_phone = ?, phone = ?, company = ?, job_title = ?, street_address = ?, city = ?, \
         state = ?, post_code = ?, country = ?, timezone = ?, status = ?, has_consent = ?, \
         notes = ?, owner_id = ?, created_at = ?, updated_at = ?, last_interacted_at = ?, \
         sort_name = ?, search_text = ? WHERE id = ?"
            .to_string()
    };
    let query = sqlx::query(&sql)
        .bind(row.id)
        .bind(&row.first_name)
        .bind(&row.last_name)
        .bind(&row.salutation)
        .bind(&row.email)
        .bind(&row.mobile_phone)
        .bind(&row.phone)
        .bind(&row.company)
        .bind(&row.job_title)
        .bind(&row.street_address)
        .bind(&row.city)
        .bind(&row.state)
        .bind(&row.post_code)
        .bind(&row.country)
        .bind(&row.timezone)
        .bind(&row.status)
        .bind(row.has_consent)
        .bind(&row.notes)
        .bind(row.owner_id)
        .bind(&row.created_at)
        .bind(&row.updated_at)
        .bind(&row.last_interacted_at)
        .bind(&derived.sort_name)
        .bind(&derived.search_text);
    let query = if insert { query } else { query.bind(row.id) };
    if query.execute(&mut *conn).await?.rows_affected() != 1 {
        return Err(Error::Internal(format!(
            "contact {} was not written",
            row.id
        )));
    }
    search::add_terms(conn, row.id, &derived).await
}

/// Removes the search words of `row` as stored.
async fn drop_terms(conn: &mut SqliteConnection, row: &ContactRow) -> Result<()> {
    search::remove_terms(conn, row.id, &search::derive(row)).await
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
        Ok(Funnel {
            batch,
            user_id,
            source,
            at: at.to_string(),
        })
    }

    pub(crate) fn batch(&self) -> i64 {
        self.batch
    }

    /// Appends one entry to the change feed, with its values beside it.
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
        let names = serde_json::to_string(fields).map_err(|e| Error::Internal(e.to_string()))?;
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
                .bind(before)
                .bind(after)
                .execute(&mut *conn)
                .await?;
        }
        Ok(())
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
        write_row(conn, &row, true).await?;
        journal::record(
            conn,
            self.batch,
            CONTACT,
            row.id,
            Op::Insert,
            None,
            Some(&row),
        )
        .await?;
        let fields = changed_fields(None, Some(&row));
        let after = values(Some(&row), &fields);
        self.feed(conn, row.id, None, Kind::Create, None, &fields, None, after)
            .await?;
        Ok(row)
    }

    /// A contact changed from `before` to `after` (same id). Its pending notifications follow
    /// a new email or mobile phone.
    pub(crate) async fn update(
        &self,
        conn: &mut SqliteConnection,
        before: &ContactRow,
        after: &ContactRow,
    ) -> Result<()> {
        drop_terms(conn, before).await?;
        write_row(conn, after, false).await?;
        self.updated(conn, before, after).await
    }

    /// What follows a contact's change once its row is written: journal, notifications, feed.
    async fn updated(
        &self,
        conn: &mut SqliteConnection,
        before: &ContactRow,
        after: &ContactRow,
    ) -> Result<()> {
        journal::record(
            conn,
            self.batch,
            CONTACT,
            after.id,
            Op::Update,
            Some(before),
            Some(after),
        )
        .await?;
        links::retarget(conn, self.batch, before.id, after).await?;
        let fields = changed_fields(Some(before), Some(after));
        let (b, a) = (values(Some(before), &fields), values(Some(after), &fields));
        self.feed(conn, after.id, None, Kind::Update, None, &fields, b, a)
            .await
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
        journal::record(
            conn,
            self.batch,
            CONTACT,
            gone.id,
            Op::Delete,
            Some(gone),
            None,
        )
        .await?;
        let fields = changed_fields(Some(gone), None);
        let before = values(Some(gone), &fields);
        self.feed(
            conn,
            gone.id,
            None,
            Kind::Merge,
            Some(into.id),
            &fields,
            before,
            None,
        )
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
        journal::record(
            conn,
            self.batch,
            CONTACT,
            row.id,
            Op::Delete,
            Some(row),
            None,
        )
        .await?;
        let fields = changed_fields(Some(row), None);
        let before = values(Some(row), &fields);
        self.feed(
            conn,
            row.id,
            None,
            Kind::Delete,
            None,
            &fields,
            before,
            None,
        )
        .await
    }

    /// Undo's first step for a contact it will rewrite: its email and mobile phone are let
    /// go of (the row is rewritten in full later in the same transaction), so restoring
    /// several contacts in any order cannot collide.
    pub(crate) async fn release(
        &self,
        conn: &mut SqliteConnection,
        row: &ContactRow,
    ) -> Result<()> {
        drop_terms(conn, row).await?;
        sqlx::query("UPDATE contacts SET email = NULL, mobile_phone = ? WHERE id = ?")
            .bind(format!("releasing:{}", row.id))
            .bind(row.id)
            .execute(&mut *conn)
            .await?;
        Ok(())
    }

    /// Undo's rewrite of a released contact (`release`) from `before` to `after`.
    pub(crate) async fn rewrite_released(
        &self,
        conn: &mut SqliteConnection,
        before: &ContactRow,
        after: &ContactRow,
    ) -> Result<()> {
        write_row(conn, after, false).await?;
        self.updated(conn, before, after).await
    }

    /// Undo of a released contact's create (`release`).
    pub(crate) async fn take_back_released(
        &self,
        conn: &mut SqliteConnection,
        row: &ContactRow,
    ) -> Result<()> {
        sqlx::query("DELETE FROM contacts WHERE id = ?")
            .bind(row.id)
            .execute(&mut *conn)
            .await?;
        journal::record(
            conn,
            self.batch,
            CONTACT,
            row.id,
            Op::Delete,
            Some(row),
            None,
        )
        .await?;
        let fields = changed_fields(Some(row), None);
        let before = values(Some(row), &fields);
        self.feed(
            conn,
            row.id,
            None,
            Kind::Delete,
            None,
            &fields,
            before,
            None,
        )
        .await
    }

    /// An import's changes to contacts that existed before it, once its bulk writer wrote
    /// them (`Bulk`): their words, journal, notifications and feed, by the rules of `update`.
    pub(crate) async fn imported_update(
        &self,
        conn: &mut SqliteConnection,
        before: &ContactRow,
        after: &ContactRow,
    ) -> Result<()> {
        drop_terms(conn, before).await?;
        search::add_terms(conn, after.id, &search::derive(after)).await?;
        self.updated(conn, before, after).await
    }

    /// An import's new contacts, ids `first` to `last`, once its bulk writer wrote them:
    /// their words join the index in its order (appending is what B-trees do best), each is
    /// journaled without an image (it would double the database: its row as imported is the
    /// contact's next entry's before, or the contact as it is), and the feed gets one entry
    /// naming them all. Their ids are claimed from the counter.
    pub(crate) async fn imported_creates(
        &self,
        conn: &mut SqliteConnection,
        first: i64,
        last: i64,
        fields: &[&str],
    ) -> Result<()> {
        if last < first {
            return Ok(());
        }
        sqlx::query(&format!(
            "INSERT INTO search_terms (term, sort_name, contact_id) \
             SELECT w.value, c.sort_name, c.id FROM contacts c, {} WHERE c.id >= ?1 AND w.value <> '' \
             ORDER BY 1, 2, 3",
            search::CONTACT_WORDS_SQL
        ))
        .bind(first)
        .execute(&mut *conn)
        .await?;
        sqlx::query(
            "INSERT INTO journal (batch_id, entity, entity_id, op) \
             SELECT ?1, ?2, id, 'insert' FROM contacts WHERE id >= ?3 ORDER BY id",
        )
        .bind(self.batch)
        .bind(CONTACT)
        .bind(first)
        .execute(&mut *conn)
        .await?;
        sqlx::query("UPDATE counters SET value = max(value, ?) WHERE name = 'contact_ids'")
            .bind(last)
            .execute(&mut *conn)
            .await?;
        self.feed(
            conn,
            first,
            Some(last),
            Kind::Create,
            None,
            fields,
            None,
            None,
        )
        .await
    }

    /// Undo of a whole import's new contacts at once (`ids` is a temporary table of them,
    /// every one still as imported): their words and rows go, each is journaled as taken
    /// back, and the feed gets one entry naming them.
    pub(crate) async fn take_back_imported(
        &self,
        conn: &mut SqliteConnection,
        ids: &str,
    ) -> Result<()> {
        let (first, last): (Option<i64>, Option<i64>) =
            sqlx::query_as(&format!("SELECT min(id), max(id) FROM {ids}"))
                .fetch_one(&mut *conn)
                .await?;
        let (Some(first), Some(last)) = (first, last) else {
            return Ok(());
        };
        for sql in [
            format!("DELETE FROM search_terms WHERE contact_id IN (SELECT id FROM {ids})"),
            format!("DELETE FROM contacts WHERE id IN (SELECT id FROM {ids})"),
            format!(
                "INSERT INTO journal (batch_id, entity, entity_id, op) \
                 SELECT ?1, '{CONTACT}', id, 'delete' FROM {ids} ORDER BY id"
            ),
        ] {
            let query = sqlx::query(&sql);
            let query = if sql.contains("?1") {
                query.bind(self.batch)
            } else {
                query
            };
            query.execute(&mut *conn).await?;
        }
        self.feed(conn, first, Some(last), Kind::Delete, None, &[], None, None)
            .await
    }
}

/// A deleted person's data goes from everywhere Cardfile copied it: earlier journal images
/// (theirs and those of contacts merged into them), the summaries of batches that changed
/// them, Review items about them, and the feed's values. Activities keep their snapshot (the
/// seed keeps them for reporting) and notifications their recipient (reminders are still
/// sent). The database runs with `secure_delete`, so the bytes go from the file too.
async fn purge(conn: &mut SqliteConnection, id: i64) -> Result<()> {
    for sql in [
        "CREATE TEMP TABLE IF NOT EXISTS purged_ids (id INTEGER PRIMARY KEY)",
        "DELETE FROM temp.purged_ids",
        // The contact and, through the feed, every contact folded into it.
        "WITH RECURSIVE lineage(id) AS (SELECT ?1 UNION \
         SELECT c.contact_id FROM changes c JOIN lineage l ON c.merged_into = l.id WHERE c.kind = 'merge') \
         INSERT OR IGNORE INTO temp.purged_ids SELECT id FROM lineage",
        "UPDATE batches SET summary = CASE WHEN undoes IS NOT NULL \
             THEN 'Undid a change to a contact since deleted' ELSE CASE kind \
             WHEN 'add' THEN 'Added a contact since deleted' \
             WHEN 'edit' THEN 'Edited a contact since deleted' \
             WHEN 'merge' THEN 'Merged contacts, one since deleted' \
             ELSE summary END END \
         WHERE id IN (SELECT batch_id FROM journal WHERE entity = 'contact' \
             AND entity_id IN (SELECT id FROM temp.purged_ids))",
        "UPDATE journal SET before = NULL, after = NULL, purged = 1 \
         WHERE entity = 'contact' AND entity_id IN (SELECT id FROM temp.purged_ids)",
        "DELETE FROM review_items WHERE email_contact_id IN (SELECT id FROM temp.purged_ids) \
         OR phone_contact_id IN (SELECT id FROM temp.purged_ids)",
        "DELETE FROM change_values WHERE seq IN (SELECT seq FROM changes \
         WHERE contact_id IN (SELECT id FROM temp.purged_ids))",
        "DELETE FROM temp.purged_ids",
    ] {
        let query = sqlx::query(sql);
        let query = if sql.contains("?1") {
            query.bind(id)
        } else {
            query
        };
        query.execute(&mut *conn).await?;
    }
    Ok(())
}

/// The import's bulk writer: two prepared statements stepped once per row on the import's
/// connection. New rows are inserted; rows already in the database (written by an earlier
/// chunk, or there before the import and merged into) are updated in place. What follows a
/// write (words, journal, notifications, feed) is `Funnel::imported_update` and
/// `Funnel::imported_creates`.
pub(crate) struct Bulk<'h> {
    insert: ffi::Statement<'h>,
    rewrite: ffi::Statement<'h>,
}

/// The connection a bulk writer's statements are prepared on.
pub(crate) use ffi::Connection as BulkConnection;

/// One contact row in.
static INSERT_ROW: std::sync::LazyLock<String> = std::sync::LazyLock::new(|| {
    format!(
        "INSERT INTO contacts ({ROW_COLUMNS}, sort_name, search_text) VALUES ({})",
        vec!["?"; 24].join(", ")
    )
});

/// A row already in the database is updated in place.
const UPSERT_SET: &str = " ON CONFLICT (id) DO UPDATE SET first_name = excluded.first_name, \
    last_name = excluded.last_name, salutation = excluded.salutation, email = excluded.email, \
    mobile_phone = excluded.mobile_phone, phone = excluded.phone, company = excluded.company, \
    job_title = excluded.job_title, street_address = excluded.street_address, city = excluded.city, \
    state = excluded.state, post_code = excluded.post_code, country = excluded.country, \
    timezone = excluded.timezone, status = excluded.status, has_consent = excluded.has_consent, \
    notes = excluded.notes, updated_at = excluded.updated_at, sort_name = excluded.sort_name, \
    search_text = excluded.search_text";

impl<'h> Bulk<'h> {
    pub(crate) fn prepare(db: &'h BulkConnection<'_>) -> Result<Bulk<'h>> {
        Ok(Bulk {
            insert: ffi::Statement::prepare(db, &INSERT_ROW)?,
            rewrite: ffi::Statement::prepare(db, &format!("{}{UPSERT_SET}", *INSERT_ROW))?,
        })
    }

    /// Writes `row` with what search derives from it; `new`: not in the database yet (a
    /// plain insert: an upsert costs SQLite a conflict search first).
    pub(crate) fn write(&mut self, row: &ContactRow, d: &Derived, new: bool) -> Result<()> {
        use ffi::Value::{Bool, Int, Text};
        let values = [
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
        ];
        if new {
            self.insert.run(&values)
        } else {
            self.rewrite.run(&values)
        }
    }
}

/// A stored contact whose email or mobile phone an import moves lets go of them first, so
/// another row taking them in the same chunk cannot collide with it, whatever the order.
pub(crate) async fn release_for_import(conn: &mut SqliteConnection, id: i64) -> Result<()> {
    sqlx::query("UPDATE contacts SET email = NULL, mobile_phone = ? WHERE id = ?")
        .bind(format!("moving:{id}"))
        .bind(id)
        .execute(&mut *conn)
        .await?;
    Ok(())
}
