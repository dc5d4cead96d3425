//! The import's running state and its decisions, row by row in file order: who holds each
//! email and mobile phone (the file's earlier rows and the database's contacts), whether a row
//! creates, merges, collapses, is skipped, is held for review or is rejected, and the writes
//! of each chunk through the funnel's bulk writer.

use hashbrown::HashMap;

use sqlx::SqliteConnection;

use crate::error::{Error, Result};
use crate::funnel;
use crate::merge;
use crate::record::ContactRow;
use crate::search::Scope;
use crate::words;

use super::known::Holders;
use super::prepare::{Prepared, Spent};
use super::{problems, ImportOptions, OnDuplicate, Problem, Summary};
use crate::error::json;

/// The import's running state: who holds what, counts, problems, and what to write.
pub(super) struct Run<'a> {
    pub(super) scope: Scope,
    pub(super) options: &'a ImportOptions,
    pub(super) at: String,
    /// Ids from here on are this import's new contacts.
    pub(super) first_new: i64,
    pub(super) next_id: i64,
    /// Whether keys the import has not seen are looked up in the database (else it had no
    /// contacts, or all of theirs were loaded at the start).
    pub(super) ask_database: bool,
    /// The holder of every email and mobile phone the import has seen: contacts it wrote,
    /// and contacts of the database it looked up. Always as the import has left them.
    pub(super) emails: Holders,
    pub(super) phones: Holders,
    /// The current chunk's contacts: read from the database or changed by the chunk, with
    /// their search data (None: derived again when written). These maps are hashbrown's
    /// with its fast hasher: std's SipHash is made for keys an attacker chooses, and these
    /// ids are the import's own.
    pub(super) rows: HashMap<i64, (ContactRow, Option<words::Derived>)>,
    /// The email and mobile phone the database holds for those read from it. A chunk's
    /// contact not in it is new: it is written with a plain insert (an upsert costs SQLite a
    /// conflict search first).
    pub(super) stored: HashMap<i64, (Option<String>, Option<String>)>,
    /// Contacts that existed before and were changed: their rows as they were.
    pub(super) before: HashMap<i64, ContactRow>,
    /// Ids changed in the current chunk, to write at its end.
    pub(super) dirty: Vec<i64>,
    /// What the current chunk is done with, for the reading thread to free.
    pub(super) spent: Spent,
    pub(super) summary: Summary,
    pub(super) problems: problems::Problems,
    pub(super) batch: i64,
}

impl Run<'_> {
    pub(super) fn reject(&mut self, line: u32, values: Vec<String>, reason: String) -> Result<()> {
        self.summary.rejected += 1;
        self.problems.push(Problem {
            line,
            conflict: false,
            reason,
            values,
        })
    }

    /// Moves the holders of a contact's email and mobile phone from `old` to `new`.
    pub(super) fn hold(&mut self, id: i64, old: Option<&ContactRow>, new: &ContactRow) {
        let (old_email, old_phone) = old.map_or((None, None), |o| {
            (o.email.as_deref(), o.mobile_phone.as_deref())
        });
        if old_email != new.email.as_deref() {
            if let Some(k) = old_email {
                self.emails.release(k, id);
            }
            if let Some(k) = &new.email {
                self.emails.set(k, id);
            }
        }
        if old_phone != new.mobile_phone.as_deref() {
            if let Some(k) = old_phone {
                self.phones.release(k, id);
            }
            if let Some(k) = &new.mobile_phone {
                self.phones.set(k, id);
            }
        }
    }

    /// Contacts as the database holds them, into the chunk's rows.
    async fn load(&mut self, conn: &mut SqliteConnection, ids: &[i64]) -> Result<()> {
        let mut handle = conn.lock_handle().await?;
        self.load_locked(&funnel::BulkConnection::new(&mut handle), ids)
    }

    fn load_locked(&mut self, db: &funnel::BulkConnection<'_>, ids: &[i64]) -> Result<()> {
        for row in funnel::read_rows(db, ids)? {
            self.stored
                .insert(row.id, (row.email.clone(), row.mobile_phone.clone()));
            self.rows.insert(row.id, (row, None));
        }
        Ok(())
    }

    /// Before a chunk is decided: the database's holders of the keys the import has not
    /// seen (contacts it has not touched, so the database has them as they are), and the
    /// rows of every holder the chunk may merge into. Read on the locked connection: a
    /// row read through sqlx is handed from its connection's thread to this one, and an
    /// import reads some of its rows back tens of thousands of times.
    pub(super) async fn look_up(
        &mut self,
        conn: &mut SqliteConnection,
        chunk: &[Prepared],
    ) -> Result<()> {
        let mut handle = conn.lock_handle().await?;
        let db = funnel::BulkConnection::new(&mut handle);
        let entries = || {
            chunk
                .iter()
                .filter_map(|p| p.outcome.as_ref().ok())
                .map(|(e, _)| e)
        };
        let emails: Vec<&String> = entries().filter_map(|e| e.email.as_ref()).collect();
        let phones: Vec<&String> = entries().filter_map(|e| e.mobile_phone.as_ref()).collect();
        // Keys memory let go of to disk (a file past its budget).
        self.emails.fetch(&db, &emails)?;
        self.phones.fetch(&db, &phones)?;
        if self.ask_database {
            let emails: Vec<&String> = emails
                .into_iter()
                .filter(|k| self.emails.unknown(k))
                .collect();
            let phones: Vec<&String> = phones
                .into_iter()
                .filter(|k| self.phones.unknown(k))
                .collect();
            if !emails.is_empty() || !phones.is_empty() {
                // The keys travel as JSON: one statement for any number of them.
                let (emails, phones) = (json(&emails)?, json(&phones)?);
                let mut found: Vec<(i64, Option<String>, Option<String>)> = Vec::new();
                funnel::ffi::Statement::prepare(
                    &db,
                    "SELECT id, email, mobile_phone FROM contacts WHERE email IN (SELECT value FROM json_each(?1)) \
                     UNION SELECT id, email, mobile_phone FROM contacts WHERE mobile_phone IN (SELECT value FROM json_each(?2))",
                )?
                .query(
                    &[
                        funnel::ffi::Value::Text(Some(&emails)),
                        funnel::ffi::Value::Text(Some(&phones)),
                    ],
                    |c| {
                        found.push((c.int(0), c.text(1)?, c.text(2)?));
                        Ok(())
                    },
                )?;
                for (id, email, phone) in found {
                    if let Some(k) = email {
                        self.emails.set(&k, id);
                    }
                    if let Some(k) = phone {
                        self.phones.set(&k, id);
                    }
                }
            }
        }
        let mut ids: Vec<i64> = entries()
            .flat_map(|e| {
                [
                    e.email.as_deref().and_then(|k| self.emails.get(k)),
                    e.mobile_phone.as_deref().and_then(|k| self.phones.get(k)),
                ]
            })
            .flatten()
            .collect();
        ids.sort_unstable();
        ids.dedup();
        self.load_locked(&db, &ids)
    }

    /// Decides one normalised row (file order).
    pub(super) async fn decide(
        &mut self,
        conn: &mut SqliteConnection,
        line: u32,
        cells: &mut Vec<String>,
        entry: ContactRow,
        derived: words::Derived,
    ) -> Result<()> {
        let by_email = entry.email.as_deref().and_then(|k| self.emails.get(k));
        let by_phone = entry
            .mobile_phone
            .as_deref()
            .and_then(|k| self.phones.get(k));
        let holder = match (by_email, by_phone) {
            (Some(e), Some(p)) if e != p => {
                self.summary.conflicts += 1;
                let reason =
                    format!("the email belongs to contact {e} and the mobile phone to contact {p}");
                let given = json(&fields_json(&entry))?;
                sqlx::query(
                    "INSERT INTO review_items (source, given, email_contact_id, phone_contact_id, reason, created_at, batch_id) \
                     VALUES ('import', ?, ?, ?, ?, ?, ?)",
                )
                .bind(given)
                .bind(e)
                .bind(p)
                .bind(&reason)
                .bind(&self.at)
                .bind(self.batch)
                .execute(&mut *conn)
                .await?;
                self.problems.push(Problem {
                    line,
                    conflict: true,
                    reason: format!("held for review: {reason}"),
                    values: std::mem::take(cells),
                })?;
                return Ok(());
            }
            (e, p) => e.or(p),
        };
        let Some(id) = holder else {
            let mut row = entry;
            row.id = self.next_id;
            self.next_id += 1;
            self.summary.created += 1;
            self.hold(row.id, None, &row);
            self.dirty.push(row.id);
            self.rows.insert(row.id, (row, Some(derived)));
            return Ok(());
        };
        if !self.rows.contains_key(&id) {
            self.load(conn, &[id]).await?;
        }
        let existing = &self
            .rows
            .get(&id)
            .ok_or_else(|| Error::Internal(format!("contact {id} vanished during the import")))?
            .0;
        let existed_before = id < self.first_new;
        if !self.scope.allows(existing.owner_id) {
            return self.reject(
                line,
                std::mem::take(cells),
                "Cannot Save Contact: its email or mobile phone belongs to a contact you may not access".into(),
            );
        }
        if existed_before && self.options.on_duplicate == OnDuplicate::Skip {
            self.summary.skipped += 1;
            return Ok(());
        }
        let plan = merge::plan(existing, &entry, vec![id.to_string()]);
        let mut result = merge::apply(existing, &plan);
        if result == *existing {
            self.summary.unchanged += 1;
            return Ok(());
        }
        result.updated_at = self.at.clone();
        self.summary.updated += 1;
        let existing = existing.clone();
        self.hold(id, Some(&existing), &result);
        if existed_before {
            self.before.entry(id).or_insert(existing);
        }
        self.dirty.push(id);
        self.rows.insert(id, (result, None));
        Ok(())
    }

    /// Writes the chunk's new and changed contacts (new contacts' words join the index at
    /// the end, in its order).
    pub(super) async fn flush(&mut self, conn: &mut SqliteConnection) -> Result<()> {
        self.dirty.sort_unstable();
        self.dirty.dedup();
        {
            // The raw handle is not Send: its scope ends before the next await.
            let mut handle = conn.lock_handle().await?;
            let db = funnel::BulkConnection::new(&mut handle);
            let mut writer = funnel::Bulk::prepare(&db)?;
            // A stored row whose email or mobile phone moves lets go of them first, so
            // another row taking them in the same chunk cannot collide with it, whatever
            // the order.
            for id in &self.dirty {
                let (row, _) = &self.rows[id];
                if let Some((email, mobile)) = self.stored.get(id) {
                    if (email, mobile) != (&row.email, &row.mobile_phone) {
                        writer.release(*id)?;
                    }
                }
            }
            for id in &self.dirty {
                let (row, derived) = self
                    .rows
                    .get_mut(id)
                    .ok_or_else(|| Error::Internal(format!("contact {id} is not in the chunk")))?;
                let d = derived.take().unwrap_or_else(|| words::derive(row));
                writer.write(row, &d, !self.stored.contains_key(id))?;
            }
        }
        self.dirty.clear();
        self.spent.rows.extend(self.rows.drain().map(|(_, r)| r));
        self.stored.clear();
        // Memory past its budget: the database answers for what the import wrote when its
        // indexes are live; else the keys move to disk.
        for holders in [&mut self.emails, &mut self.phones] {
            if holders.full() {
                match self.ask_database {
                    true => holders.forget(),
                    false => holders.spill(conn).await?,
                }
            }
        }
        Ok(())
    }
}

/// The customer-given fields of a normalised row, as review items keep them.
pub(super) fn fields_json(row: &ContactRow) -> serde_json::Value {
    let mut map = serde_json::Map::new();
    for field in crate::record::FIELDS {
        if let Some(v) = row.get(field) {
            map.insert(field.to_string(), serde_json::Value::String(v));
        }
    }
    serde_json::Value::Object(map)
}
