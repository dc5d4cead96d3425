//! The write funnel's bulk path, for imports: rows written by prepared statements stepped
//! once per row, then what follows a write (words, journal, notifications, feed) for the
//! contacts an import changed, and for its new contacts all at once, by the same rules as
//! the funnel's single writes; and undo of a whole import's new contacts.

use sqlx::SqliteConnection;

use super::{ffi, new_words, Funnel, Kind};
use crate::error::Result;
use crate::journal::CONTACT;
use crate::record::ContactRow;
use crate::words::{self, Derived};

impl Funnel {
    /// An import's changes to contacts that existed before it, once its bulk writer wrote
    /// them (`Bulk`): their words, journal, notifications and feed, by the rules of `update`.
    pub(crate) async fn imported_update(
        &self,
        conn: &mut SqliteConnection,
        before: &ContactRow,
        after: &ContactRow,
    ) -> Result<()> {
        words::change_terms(
            conn,
            after.id,
            &words::derive(before),
            &words::derive(after),
        )
        .await?;
        self.updated(conn, before, after).await
    }

    /// An import's new contacts, ids `first` to `last`, once its bulk writer wrote them:
    /// their words join the index in its order (appending is what B-trees do best), each is
    /// journaled without an image (it would double the database: its row as imported is the
    /// contact's next entry's before, or the contact as it is), and the feed gets one entry
    /// naming them all. Their ids are claimed from the counter.
    /// `from_index`: their words are read from `words::WORDS_INDEX` (built again after a bulk
    /// import's rows), else from the table's rows of the new ids.
    pub(crate) async fn imported_creates(
        &self,
        conn: &mut SqliteConnection,
        first: i64,
        last: i64,
        fields: &[&str],
        from_index: bool,
    ) -> Result<()> {
        if last < first {
            return Ok(());
        }
        new_words::register_on(&mut *conn).await?;
        sqlx::query(&new_words::insert_new_words_sql(first, from_index))
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

/// The import's bulk writer: two prepared statements stepped once per row on the import's
/// connection. New rows are inserted; rows already in the database (written by an earlier
/// chunk, or there before the import and merged into) are updated in place. What follows a
/// write (words, journal, notifications, feed) is `Funnel::imported_update` and
/// `Funnel::imported_creates`.
pub(crate) struct Bulk<'h> {
    insert: ffi::Statement<'h>,
    rewrite: ffi::Statement<'h>,
    release: ffi::Statement<'h>,
}

/// The connection a bulk writer's statements are prepared on.
pub(crate) use ffi::Connection as BulkConnection;

/// The rows of those of contacts `ids` that exist, read on the import's locked connection.
pub(crate) fn read_rows(db: &BulkConnection<'_>, ids: &[i64]) -> Result<Vec<ContactRow>> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let mut select = ffi::Statement::prepare(db, &READ_ROW)?;
    let mut rows = Vec::with_capacity(ids.len());
    for id in ids {
        select.query(&[ffi::Value::Int(*id)], |c| {
            rows.push(super::stored_row(c)?);
            Ok(())
        })?;
    }
    Ok(rows)
}

static READ_ROW: std::sync::LazyLock<String> = std::sync::LazyLock::new(|| {
    format!(
        "SELECT {} FROM contacts WHERE id = ?1",
        crate::record::ROW_COLUMNS
    )
});

/// One contact row in.
static INSERT_ROW: std::sync::LazyLock<String> = std::sync::LazyLock::new(|| {
    format!(
        "INSERT INTO contacts ({}) VALUES ({})",
        super::STORED_COLUMNS.join(", "),
        vec!["?"; super::STORED_COLUMNS.len()].join(", ")
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
            release: ffi::Statement::prepare(db, super::RELEASE)?,
        })
    }

    /// A stored contact lets go of its email and mobile phone (`funnel::release`).
    pub(crate) fn release(&mut self, id: i64) -> Result<()> {
        let marker = super::releasing(id);
        self.release
            .run(&[ffi::Value::Text(Some(&marker)), ffi::Value::Int(id)])
    }

    /// Writes `row` with what search derives from it; `new`: not in the database yet (a
    /// plain insert: an upsert costs SQLite a conflict search first).
    pub(crate) fn write(&mut self, row: &ContactRow, d: &Derived, new: bool) -> Result<()> {
        let values = super::stored_values(row, d);
        if new {
            self.insert.run(&values)
        } else {
            self.rewrite.run(&values)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::{as_released, STORED_COLUMNS};
    use super::*;
    use sqlx::Connection;

    /// A row with every column set, each to a value of its own.
    fn full_row(id: i64) -> ContactRow {
        let text = |name: &str| Some(format!("{name} of {id}"));
        ContactRow {
            id,
            first_name: text("first"),
            last_name: text("last"),
            salutation: text("salutation"),
            email: text("email"),
            mobile_phone: text("mobile"),
            phone: text("phone"),
            company: text("company"),
            job_title: text("job"),
            street_address: text("street"),
            city: text("city"),
            state: text("state"),
            post_code: text("post code"),
            country: text("country"),
            timezone: text("timezone"),
            status: text("status"),
            has_consent: Some(true),
            notes: text("notes é"),
            owner_id: 7,
            created_at: "2026-01-01T00:00:00Z".into(),
            updated_at: "2026-01-02T00:00:00Z".into(),
            last_interacted_at: text("last interacted"),
        }
    }

    #[tokio::test]
    async fn the_import_reads_back_on_its_locked_connection_the_very_row_it_wrote() {
        let mut conn = SqliteConnection::connect("sqlite::memory:").await.unwrap();
        let columns = STORED_COLUMNS[1..].join(", ");
        sqlx::query(&format!(
            "CREATE TABLE contacts (id INTEGER PRIMARY KEY, {columns})"
        ))
        .execute(&mut conn)
        .await
        .unwrap();
        let full = full_row(1);
        let sparse = ContactRow {
            id: 2,
            email: Some("only@example.com".into()),
            ..ContactRow::blank(3, "2026-01-03T00:00:00Z".into())
        };
        {
            let mut handle = conn.lock_handle().await.unwrap();
            let db = BulkConnection::new(&mut handle);
            let mut writer = Bulk::prepare(&db).unwrap();
            for row in [&full, &sparse] {
                writer.write(row, &words::derive(row), true).unwrap();
            }
            // Asked for in any order, a missing id among them: what exists, by position.
            let read = read_rows(&db, &[2, 99, 1]).unwrap();
            assert_eq!(read, vec![sparse.clone(), full.clone()]);
            writer.release(1).unwrap();
            assert_eq!(read_rows(&db, &[1]).unwrap(), vec![as_released(&full)]);
        }
        // sqlx reads by column name what was read by position.
        let by_name = crate::rows::load_rows(&mut conn, &[1, 2]).await.unwrap();
        assert_eq!(by_name, vec![as_released(&full), sparse]);
    }
}
