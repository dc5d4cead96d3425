//! Importing a contact file: read it (any export of csv-formats.md), map its columns, then
//! for each row in file order normalise, resolve who it is (email, then mobile phone, among
//! existing contacts and the file's earlier rows) and create, merge or skip it. Everything
//! happens in one transaction and one journal batch, so a failure, a Cancel or a dry run
//! leaves the database exactly as it was, and Undo removes the whole import in one step.

mod known;
pub mod mapping;
mod problems;
pub mod read;

use std::collections::HashMap;
use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};

use serde::{Deserialize, Serialize};
use sqlx::SqliteConnection;

use crate::error::{Error, Result};
use crate::funnel::{self, Funnel, Source};
use crate::journal::BatchKind;
use crate::record::{ContactRow, ROW_COLUMNS};
use crate::search::Scope;
use crate::store::{now, Store};
use crate::users::{self, User};
use crate::{merge, phone, search, settings};
use known::Holders;
pub use problems::{Problem, Spool, EXAMPLES};

/// What to do with a row whose person already existed before the import.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, specta::Type)]
#[serde(rename_all = "snake_case")]
pub enum OnDuplicate {
    /// The seed's merge rules (choosing merge is the confirmation): fill and replace.
    #[default]
    Merge,
    Skip,
}

#[derive(Debug, Clone, Default, Deserialize, specta::Type)]
pub struct ImportOptions {
    pub on_duplicate: OnDuplicate,
    /// The region national phone numbers are read in (default: the setting).
    pub default_region: Option<String>,
    /// Count what would happen and write nothing.
    pub dry_run: bool,
    /// Columns the user mapped differently: (column, field, or None to ignore it), applied to
    /// the mapping saved for this header (else the one guessed from it). An import that
    /// commits with changes saves the result, offered again for files with the same header.
    pub overrides: Vec<(u32, Option<String>)>,
}

/// CLI.md's import summary: every row lands in exactly one of the six counts.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, specta::Type)]
pub struct Summary {
    pub rows: u32,
    pub created: u32,
    pub updated: u32,
    pub unchanged: u32,
    pub skipped: u32,
    pub rejected: u32,
    pub conflicts: u32,
}

/// What an import did (or, dry, would do).
#[derive(Debug, Clone, Serialize, specta::Type)]
pub struct Report {
    pub summary: Summary,
    pub encoding: read::Encoding,
    pub delimiter: String,
    pub header: Vec<String>,
    pub mapping: mapping::Mapping,
    /// What each column fills (None: ignored), and its value in the first row.
    pub columns: Vec<Column>,
    /// The first rejected and conflicting rows, in file order (`EXAMPLES` at most: the
    /// error report has them all).
    pub problems: Vec<Problem>,
    /// How many rows were rejected or held as conflicts.
    pub problem_count: u32,
    /// The error report's rows, on disk.
    #[serde(skip)]
    pub spool: Option<std::sync::Arc<Spool>>,
    pub dry_run: bool,
}

impl Report {
    /// The problems a summary shows: the first few (the error report has them all).
    pub fn examples(&self) -> &[Problem] {
        &self.problems
    }
}

/// One column of the file as the import dialog shows it.
#[derive(Debug, Clone, PartialEq, Serialize, specta::Type)]
pub struct Column {
    pub index: u32,
    pub header: String,
    /// The fields it fills: one, or two for a whole name or a Google phone group.
    pub fields: Vec<String>,
    pub sample: String,
}

/// How far a running import is.
#[derive(Debug, Clone, Copy, Serialize, specta::Type)]
pub struct Progress {
    /// Rows read so far.
    pub rows: u32,
    /// About how much of the file is done, from 0 to 1.
    pub fraction: f64,
}

/// Rows handled between progress reports, cancel checks and writes.
const CHUNK: usize = 2000;

/// A record read and normalised on the import's reading thread: parsing, phone numbers and
/// search words are the work of an import that is not SQLite's, and run beside it.
struct Prepared {
    line: u32,
    cells: Vec<String>,
    /// The normalised contact with what search derives from it, or why the row is rejected.
    outcome: std::result::Result<(ContactRow, search::Derived), String>,
}

/// What the reading thread sends: the next records, that the file is done, or why it
/// cannot go on.
enum Batch {
    Rows(Vec<Prepared>),
    Done,
    Failed(Error),
}

/// What the import is done with, handed back to the reading thread that made it: freeing
/// another thread's memory costs allocators more. Measured on a million rows: glibc's
/// serialises it (6 s more); with mimalloc, the app's allocator, medians of 17.5-19.6 s
/// with this against 19.0 s without (a noisy machine: about a second).
#[derive(Default)]
struct Spent {
    cells: Vec<Vec<String>>,
    rows: Vec<(ContactRow, Option<search::Derived>)>,
}

/// How the reading thread turns records into contacts.
struct Normalise {
    mapping: mapping::Mapping,
    region: String,
    owner_id: i64,
    at: String,
}

/// The reading thread: reads the opened file's records as they come and sends them,
/// normalised, a chunk at a time, until the file ends or the import stops listening. Only
/// `Batch::Done` says the file was read to its end.
fn read_file(
    source: read::Source,
    opened: Opened,
    how: Normalise,
    out: tokio::sync::mpsc::Sender<Batch>,
    spent: std::sync::mpsc::Receiver<Spent>,
) {
    let records = match rows(&source, &opened) {
        Ok(records) => records,
        Err(e) => {
            let _ = out.blocking_send(Batch::Failed(e));
            return;
        }
    };
    let mut chunk = Vec::with_capacity(CHUNK);
    for row in records {
        let row = match row {
            Ok(row) => row,
            Err(e) => {
                let _ = out.blocking_send(Batch::Failed(e));
                return;
            }
        };
        let outcome = match row.problem {
            Some(problem) => Err(problem),
            None => {
                let mut entry = ContactRow::blank(how.owner_id, how.at.clone());
                match entry.apply(&how.mapping.fields_of(&row.cells), &how.region) {
                    Ok(()) => {
                        let derived = search::derive(&entry);
                        Ok((entry, derived))
                    }
                    Err(e) => Err(e.to_string()),
                }
            }
        };
        chunk.push(Prepared {
            line: row.line as u32,
            cells: row.cells,
            outcome,
        });
        if chunk.len() == CHUNK {
            let full = std::mem::replace(&mut chunk, Vec::with_capacity(CHUNK));
            if out.blocking_send(Batch::Rows(full)).is_err() {
                return;
            }
            while let Ok(done) = spent.try_recv() {
                drop(done);
            }
        }
    }
    if !chunk.is_empty() && out.blocking_send(Batch::Rows(chunk)).is_err() {
        return;
    }
    let _ = out.blocking_send(Batch::Done);
}

/// The import's running state: who holds what, counts, problems, and what to write.
struct Run<'a> {
    scope: Scope,
    options: &'a ImportOptions,
    at: String,
    /// Ids from here on are this import's new contacts.
    first_new: i64,
    next_id: i64,
    /// Whether keys the import has not seen are looked up in the database (else it had no
    /// contacts, or all of theirs were loaded at the start).
    ask_database: bool,
    /// The holder of every email and mobile phone the import has seen: contacts it wrote,
    /// and contacts of the database it looked up. Always as the import has left them.
    emails: Holders,
    phones: Holders,
    /// The current chunk's contacts: read from the database or changed by the chunk, with
    /// their search data (None: derived again when written).
    rows: HashMap<i64, (ContactRow, Option<search::Derived>)>,
    /// The email and mobile phone the database holds for those read from it. A chunk's
    /// contact not in it is new: it is written with a plain insert (an upsert costs SQLite a
    /// conflict search first).
    stored: HashMap<i64, (Option<String>, Option<String>)>,
    /// Contacts that existed before and were changed: their rows as they were.
    before: HashMap<i64, ContactRow>,
    /// Ids changed in the current chunk, to write at its end.
    dirty: Vec<i64>,
    /// What the current chunk is done with, for the reading thread to free.
    spent: Spent,
    summary: Summary,
    problems: problems::Problems,
    batch: i64,
}

impl Run<'_> {
    fn reject(&mut self, line: u32, values: Vec<String>, reason: String) -> Result<()> {
        self.summary.rejected += 1;
        self.problems.push(Problem {
            line,
            conflict: false,
            reason,
            values,
        })
    }

    /// Moves the holders of a contact's email and mobile phone from `old` to `new`.
    fn hold(&mut self, id: i64, old: Option<&ContactRow>, new: &ContactRow) {
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
    async fn load(&mut self, conn: &mut SqliteConnection, ids: Vec<i64>) -> Result<()> {
        if ids.is_empty() {
            return Ok(());
        }
        let json = serde_json::to_string(&ids).map_err(|e| Error::Internal(e.to_string()))?;
        let rows: Vec<ContactRow> = sqlx::query_as(&format!(
            "SELECT {ROW_COLUMNS} FROM contacts WHERE id IN (SELECT value FROM json_each(?))"
        ))
        .bind(json)
        .fetch_all(&mut *conn)
        .await?;
        for row in rows {
            self.stored
                .insert(row.id, (row.email.clone(), row.mobile_phone.clone()));
            self.rows.insert(row.id, (row, None));
        }
        Ok(())
    }

    /// Before a chunk is decided: the database's holders of the keys the import has not
    /// seen (contacts it has not touched, so the database has them as they are), and the
    /// rows of every holder the chunk may merge into.
    async fn look_up(&mut self, conn: &mut SqliteConnection, chunk: &[Prepared]) -> Result<()> {
        let entries = || {
            chunk
                .iter()
                .filter_map(|p| p.outcome.as_ref().ok())
                .map(|(e, _)| e)
        };
        if self.ask_database {
            let emails: Vec<&String> = entries()
                .filter_map(|e| e.email.as_ref())
                .filter(|k| self.emails.get(k).is_none())
                .collect();
            let phones: Vec<&String> = entries()
                .filter_map(|e| e.mobile_phone.as_ref())
                .filter(|k| self.phones.get(k).is_none())
                .collect();
            if !emails.is_empty() || !phones.is_empty() {
                // One statement text for every chunk (the keys travel as JSON): sqlx caches
                // a prepared statement per text.
                let json = |v: Vec<&String>| {
                    serde_json::to_string(&v).map_err(|e| Error::Internal(e.to_string()))
                };
                let found: Vec<(i64, Option<String>, Option<String>)> = sqlx::query_as(
                    "SELECT id, email, mobile_phone FROM contacts WHERE email IN (SELECT value FROM json_each(?1)) \
                     UNION SELECT id, email, mobile_phone FROM contacts WHERE mobile_phone IN (SELECT value FROM json_each(?2))",
                )
                .bind(json(emails)?)
                .bind(json(phones)?)
                .fetch_all(&mut *conn)
                .await?;
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
        self.load(conn, ids).await
    }

    /// Decides one normalised row (file order).
    async fn decide(
        &mut self,
        conn: &mut SqliteConnection,
        line: u32,
        cells: &mut Vec<String>,
        entry: ContactRow,
        derived: search::Derived,
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
                let given = serde_json::to_string(&fields_json(&entry))
                    .map_err(|e| Error::Internal(e.to_string()))?;
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
            self.load(conn, vec![id]).await?;
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
    async fn flush(&mut self, conn: &mut SqliteConnection) -> Result<()> {
        self.dirty.sort_unstable();
        self.dirty.dedup();
        // A stored row whose email or mobile phone moves lets go of them first, so another
        // row taking them in the same chunk cannot collide with it, whatever the order.
        for id in &self.dirty {
            let (row, _) = &self.rows[id];
            if let Some((email, mobile)) = self.stored.get(id) {
                if (email, mobile) != (&row.email, &row.mobile_phone) {
                    funnel::release_for_import(conn, *id).await?;
                }
            }
        }
        let mut handle = conn.lock_handle().await?;
        let db = funnel::BulkConnection::new(&mut handle);
        let mut writer = funnel::Bulk::prepare(&db)?;
        for id in &self.dirty {
            let (row, derived) = self
                .rows
                .get_mut(id)
                .ok_or_else(|| Error::Internal(format!("contact {id} is not in the chunk")))?;
            let d = derived.take().unwrap_or_else(|| search::derive(row));
            writer.write(row, &d, !self.stored.contains_key(id))?;
        }
        drop(writer);
        drop(handle);
        self.dirty.clear();
        self.spent.rows.extend(self.rows.drain().map(|(_, r)| r));
        self.stored.clear();
        Ok(())
    }
}

/// The customer-given fields of a normalised row, as review items keep them.
fn fields_json(row: &ContactRow) -> serde_json::Value {
    let mut map = serde_json::Map::new();
    for field in crate::record::FIELDS {
        if let Some(v) = row.get(field) {
            map.insert(field.to_string(), serde_json::Value::String(v));
        }
    }
    serde_json::Value::Object(map)
}

/// Reads the start of `source` far enough to know its encoding, delimiter, header and the
/// mapping the header suggests; refuses a file that is empty, binary, wrongly encoded or has
/// no contact header.
pub fn open(source: &read::Source) -> Result<Opened> {
    let (head, encoding) = read::head(source)?;
    if crate::vcard::is_vcard(&head) {
        // A vCard's cards become rows whose columns are the contact fields themselves.
        let header: Vec<String> = crate::record::FIELDS
            .iter()
            .map(|f| f.to_string())
            .collect();
        let mapping = mapping::guess(&header);
        let layout = read::Layout {
            encoding,
            delimiter: b',',
            header,
            header_line: 0,
        };
        return Ok(Opened {
            layout,
            mapping,
            vcard: true,
        });
    }
    let layout = read::layout(&head, encoding)?;
    let mapping = mapping::guess(&layout.header);
    Ok(Opened {
        layout,
        mapping,
        vcard: false,
    })
}

/// The largest vCard file an import reads (64 MiB): it is read whole.
const MAX_VCARD: u64 = 64 << 20;

/// The records of an opened file, read as they come: CSV rows, or one row per vCard (a
/// vCard file is read whole: its cards are few and short).
pub fn rows(
    source: &read::Source,
    opened: &Opened,
) -> Result<Box<dyn Iterator<Item = Result<read::Row>> + Send>> {
    if opened.vcard {
        // Read whole, up to a bound on the memory it takes.
        let mut text = String::new();
        std::io::Read::read_to_string(
            &mut std::io::Read::take(
                read::Decoded::new(source, opened.layout.encoding)?,
                MAX_VCARD + 1,
            ),
            &mut text,
        )
        .map_err(|e| Error::invalid("file", e.to_string()))?;
        if text.len() as u64 > MAX_VCARD {
            return Err(Error::invalid(
                "file",
                format!(
                    "a vCard file over {} MB cannot be imported: export the contacts as CSV instead",
                    MAX_VCARD >> 20
                ),
            ));
        }
        Ok(Box::new(crate::vcard::cards(&text).into_iter().map(|c| {
            Ok(read::Row {
                line: c.line,
                cells: c.cells,
                problem: None,
            })
        })))
    } else {
        Ok(Box::new(read::rows(source, &opened.layout)?))
    }
}

/// A file read for import: its layout and the mapping guessed from its header.
#[derive(Debug, Clone)]
pub struct Opened {
    pub layout: read::Layout,
    pub mapping: mapping::Mapping,
    /// A vCard file (else CSV).
    pub vcard: bool,
}

/// Imports the file at `path` as `user`. `progress` hears about every chunk; `cancel` set
/// from elsewhere stops the import with nothing written.
pub async fn import_file(
    store: &Store,
    user: &User,
    path: &Path,
    options: &ImportOptions,
    progress: &(dyn Fn(Progress) + Sync),
    cancel: &AtomicBool,
) -> Result<Report> {
    let source = read::Source::File(path.to_path_buf());
    // Opening reads the whole file once (its encoding is checked to the end): off the
    // async threads.
    let (opened, rows_estimate) = {
        let source = source.clone();
        tokio::task::spawn_blocking(move || {
            Ok::<_, Error>((open(&source)?, source.estimate_rows()?))
        })
        .await
        .map_err(|e| Error::Internal(format!("the import's reader failed: {e}")))??
    };
    // The import's own connection, set for writing a lot at once (and set back before it
    // returns to the pool):
    // - no memory map: an import touches every page of a large file once, and mapped pages
    //   would count against its memory;
    // - a 4 MB page cache, which also bounds the runs SQLite's sorter sorts in memory: on a
    //   million rows the search words and the rebuilt indexes sorted fastest with it (of 1,
    //   2, 4 and 16 MB; 64 MB for the words alone took 7.7 s against 5.0 s), and the whole
    //   import took 14.2 s against 16.4 s with 16 MB;
    // - sorting (search words, rebuilt indexes) may use a second thread;
    // - no foreign-key checks, which tripled the cost of each contact row: every reference
    //   the import writes is right by construction (the importing user, who exists; the
    //   contacts it read; its own batch), inside a transaction that holds the database.
    // - no CHECK constraints: the status check's IN list is built again for every row a
    //   statement inserts (about 1.4 s of a million rows), and every row the import writes
    //   passed the same rules in `ContactRow::apply`.
    let connection_settings = [
        (
            "mmap_size",
            "0".to_string(),
            crate::store::MMAP_SIZE.to_string(),
        ),
        (
            "cache_size",
            "-4096".to_string(),
            crate::store::CACHE_SIZE.to_string(),
        ),
        ("threads", "2".to_string(), "0".to_string()),
        ("foreign_keys", "OFF".to_string(), "ON".to_string()),
        (
            "ignore_check_constraints",
            "ON".to_string(),
            "OFF".to_string(),
        ),
        // The pages an import frees hold nothing deleted (dropped indexes of rows that stay):
        // they need not be overwritten.
        ("secure_delete", "FAST".to_string(), "ON".to_string()),
    ];
    let mut conn = store.pool().acquire().await?;
    let mut result = Ok(());
    for (pragma, value, _) in &connection_settings {
        if result.is_ok() {
            result = sqlx::query(&format!("PRAGMA {pragma} = {value}"))
                .execute(&mut *conn)
                .await
                .map(|_| ());
        }
    }
    let result = match result {
        Ok(()) => {
            import_on(
                &mut conn,
                user,
                path,
                options,
                source,
                &opened,
                rows_estimate,
                progress,
                cancel,
            )
            .await
        }
        Err(e) => Err(e.into()),
    };
    for (pragma, _, normal) in &connection_settings {
        let restored = sqlx::query(&format!("PRAGMA {pragma} = {normal}"))
            .execute(&mut *conn)
            .await;
        if restored.is_err() {
            // A connection that cannot be set back is not returned to the pool.
            conn.close().await.ok();
            break;
        }
    }
    result
}

#[allow(clippy::too_many_arguments)]
async fn import_on(
    conn: &mut SqliteConnection,
    user: &User,
    path: &Path,
    options: &ImportOptions,
    source: read::Source,
    opened: &Opened,
    rows_estimate: u64,
    progress: &(dyn Fn(Progress) + Sync),
    cancel: &AtomicBool,
) -> Result<Report> {
    let mut tx = sqlx::Connection::begin_with(&mut *conn, crate::store::IMMEDIATE).await?;
    let region = match &options.default_region {
        Some(r) if phone::is_region(r) => r.trim().to_ascii_uppercase(),
        Some(r) => {
            return Err(Error::invalid(
                "default_region",
                format!("\"{}\" is not a region code like US, GB or DE", r.trim()),
            ))
        }
        None => settings::default_region(&mut tx).await?,
    };
    let key = opened.layout.header.join("\u{1f}");
    let saved: Option<String> =
        sqlx::query_scalar("SELECT mapping FROM import_mappings WHERE header = ?")
            .bind(&key)
            .fetch_optional(&mut *tx)
            .await?;
    let mut mapping = saved
        .and_then(|m| serde_json::from_str::<mapping::Mapping>(&m).ok())
        .unwrap_or_else(|| opened.mapping.clone());
    for (column, field) in &options.overrides {
        if *column as usize >= opened.layout.header.len() {
            return Err(Error::invalid(
                "mapping",
                format!("the file has no column {column}"),
            ));
        }
        if let Some(f) = field
            .as_deref()
            .filter(|f| !crate::record::FIELDS.contains(f))
        {
            return Err(Error::invalid(
                "mapping",
                format!("\"{f}\" is not a contact field"),
            ));
        }
        mapping = mapping.with_column(*column, field.as_deref());
    }
    if !options.overrides.is_empty() {
        let json = serde_json::to_string(&mapping).map_err(|e| Error::Internal(e.to_string()))?;
        sqlx::query(
            "INSERT INTO import_mappings (header, mapping, saved_at) VALUES (?, ?, ?) \
             ON CONFLICT (header) DO UPDATE SET mapping = excluded.mapping, saved_at = excluded.saved_at",
        )
        .bind(&key)
        .bind(json)
        .bind(now())
        .execute(&mut *tx)
        .await?;
    }
    let at = now();
    let name = path.file_name().map_or_else(
        || path.display().to_string(),
        |n| n.to_string_lossy().into_owned(),
    );
    let funnel = Funnel::begin(
        &mut tx,
        user.id,
        BatchKind::Import,
        &at,
        &format!("Imported {name}"),
        Source::Import,
    )
    .await?;
    let batch = funnel.batch();
    let first_new = funnel::first_free_id(&mut tx).await?;
    // The contact counter's trigger costs more than the insert it counts: it is suspended
    // (and put back exactly as the schema has it), and the import counts once below.
    let count_trigger: String = sqlx::query_scalar(
        "SELECT sql FROM sqlite_schema WHERE type = 'trigger' AND name = 'contacts_count_insert'",
    )
    .fetch_one(&mut *tx)
    .await?;
    sqlx::query("DROP TRIGGER contacts_count_insert")
        .execute(&mut *tx)
        .await?;
    // Rows are not all one size: the progress bar goes by an estimate from the first lines.
    // A file bigger than the table it goes into: the table's indexes are dropped and built
    // again at the end, which sorts once instead of inserting at random a million times.
    // Identity is then checked in memory against every contact there is (loaded below,
    // fewer than the file's rows), and building the UNIQUE email and mobile-phone indexes
    // again checks it once more.
    let bulk = rows_estimate > (first_new as u64).max(50_000);
    let rebuilt: Vec<String> = if bulk {
        let indexes: Vec<(String, String)> = sqlx::query_as(
            "SELECT name, sql FROM sqlite_schema WHERE type = 'index' AND tbl_name = 'contacts' AND sql IS NOT NULL",
        )
        .fetch_all(&mut *tx)
        .await?;
        for (name, _) in &indexes {
            sqlx::query(&format!("DROP INDEX \"{name}\""))
                .execute(&mut *tx)
                .await?;
        }
        indexes.into_iter().map(|(_, sql)| sql).collect()
    } else {
        Vec::new()
    };
    let mut run = Run {
        scope: users::scope(&mut tx, user).await?,
        options,
        at: at.clone(),
        first_new,
        next_id: first_new,
        ask_database: first_new > 1 && !bulk,
        emails: Holders::default(),
        phones: Holders::default(),
        rows: HashMap::new(),
        stored: HashMap::new(),
        before: HashMap::new(),
        dirty: Vec::new(),
        spent: Spent::default(),
        summary: Summary::default(),
        problems: problems::Problems::default(),
        batch,
    };
    if bulk && first_new > 1 {
        // The indexes are gone: every contact's email and mobile phone, held in memory.
        let mut keys = sqlx::query_as::<_, (i64, Option<String>, Option<String>)>(
            "SELECT id, email, mobile_phone FROM contacts",
        )
        .fetch(&mut *tx);
        while let Some((id, email, phone)) = futures_util::TryStreamExt::try_next(&mut keys).await?
        {
            if let Some(k) = email {
                run.emails.set(&k, id);
            }
            if let Some(k) = phone {
                run.phones.set(&k, id);
            }
        }
    }
    // The file is read and normalised on a thread of its own while this one writes.
    let (sender, mut receiver) = tokio::sync::mpsc::channel(2);
    let (give_back, spent) = std::sync::mpsc::channel();
    let how = Normalise {
        mapping: mapping.clone(),
        region,
        owner_id: user.id,
        at,
    };
    std::thread::Builder::new()
        .name("cardfile-import-read".into())
        .spawn({
            let opened = opened.clone();
            move || read_file(source, opened, how, sender, spent)
        })
        .map_err(|e| Error::Internal(format!("cannot start the import's reader: {e}")))?;
    let mut sample: Option<Vec<String>> = None;
    loop {
        if cancel.load(Ordering::Relaxed) {
            return Err(canceled());
        }
        let chunk = match receiver.recv().await {
            Some(Batch::Rows(chunk)) => chunk,
            Some(Batch::Done) => break,
            Some(Batch::Failed(e)) => return Err(e),
            None => {
                return Err(Error::Internal(
                    "the import's reader stopped before the end of the file".into(),
                ))
            }
        };
        if sample.is_none() {
            sample = chunk.first().map(|p| p.cells.clone());
        }
        run.look_up(&mut tx, &chunk).await?;
        for p in chunk {
            run.summary.rows += 1;
            match p.outcome {
                Ok((entry, derived)) => {
                    let mut cells = p.cells;
                    run.decide(&mut tx, p.line, &mut cells, entry, derived)
                        .await?;
                    run.spent.cells.push(cells);
                }
                Err(reason) => run.reject(p.line, p.cells, reason)?,
            }
        }
        run.flush(&mut tx).await?;
        // Once the reader has finished, what is left is freed here.
        let _ = give_back.send(std::mem::take(&mut run.spent));
        let rows = run.summary.rows as u64;
        progress(Progress {
            rows: run.summary.rows,
            fraction: rows as f64 / rows_estimate.max(rows) as f64,
        });
    }
    // Who holds what is not needed any more: its memory goes before the sorting below.
    run.emails = Holders::default();
    run.phones = Holders::default();
    let sample = sample.unwrap_or_default();
    let columns = opened
        .layout
        .header
        .iter()
        .enumerate()
        .map(|(i, h)| Column {
            index: i as u32,
            header: h.clone(),
            fields: mapping.fields_at(i as u32),
            sample: sample.get(i).cloned().unwrap_or_default(),
        })
        .collect();
    finish(&mut tx, &funnel, &run, &mapping).await?;
    for sql in &rebuilt {
        sqlx::query(sql).execute(&mut *tx).await?;
    }
    if cancel.load(Ordering::Relaxed) {
        // Canceled during the last steps: still nothing is kept.
        return Err(canceled());
    }
    sqlx::query(&count_trigger).execute(&mut *tx).await?;
    sqlx::query("UPDATE counters SET value = value + ? WHERE name = 'contacts'")
        .bind(run.next_id - run.first_new)
        .execute(&mut *tx)
        .await?;
    let (problems, problem_count, spool) = run.problems.finish()?;
    let report = Report {
        summary: run.summary,
        encoding: opened.layout.encoding,
        delimiter: if opened.vcard {
            String::new()
        } else {
            (opened.layout.delimiter as char).to_string()
        },
        header: opened.layout.header.clone(),
        mapping,
        columns,
        problems,
        problem_count,
        spool,
        dry_run: options.dry_run,
    };
    if options.dry_run
        || report.summary.created + report.summary.updated + report.summary.conflicts == 0
    {
        // Nothing to keep: not even an empty batch in the journal.
        tx.rollback().await?;
    } else {
        tx.commit().await?;
    }
    Ok(report)
}

fn canceled() -> Error {
    Error::Canceled("the import was canceled: nothing was imported".into())
}

/// After the last chunk, through the funnel: each changed contact that existed before (its
/// words, journal, notifications and feed), then the new contacts all at once.
async fn finish(
    conn: &mut SqliteConnection,
    funnel: &Funnel,
    run: &Run<'_>,
    mapping: &mapping::Mapping,
) -> Result<()> {
    let mut changed: Vec<(&i64, &ContactRow)> = run.before.iter().collect();
    changed.sort_unstable_by_key(|(id, _)| **id);
    for (id, before) in changed {
        let after = crate::rows::load_row(conn, *id)
            .await?
            .ok_or_else(|| Error::Internal(format!("contact {id} vanished during the import")))?;
        funnel.imported_update(conn, before, &after).await?;
    }
    let fields: Vec<&str> = crate::record::FIELDS
        .iter()
        .copied()
        .filter(|f| mapping.fields.iter().any(|(m, _)| m == f))
        .collect();
    funnel
        .imported_creates(conn, run.first_new, run.next_id - 1, &fields)
        .await
}

/// Writes the error report (`write_error_report`) to the file at `path`.
pub fn save_error_report(report: &Report, path: &Path) -> Result<()> {
    let mut out = std::fs::File::create(path)
        .map_err(|e| Error::Internal(format!("cannot write {}: {e}", path.display())))?;
    write_error_report(report, &mut out)
}

/// The error report: each rejected or conflicting row's line, reason and original values,
/// under the file's own header, as CSV (formulas guarded like every export, header included).
pub fn write_error_report(report: &Report, out: &mut dyn std::io::Write) -> Result<()> {
    problems::write_report(&report.header, report.spool.as_deref(), out)
}
