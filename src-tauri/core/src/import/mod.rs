//! Importing a contact file: read it (any export of csv-formats.md), map its columns, then
//! for each row in file order normalise, resolve who it is (email, then mobile phone, among
//! existing contacts and the file's earlier rows) and create, merge or skip it. Everything
//! happens in one transaction and one journal batch, so a failure, a Cancel or a dry run
//! leaves the database exactly as it was, and Undo removes the whole import in one step.

#[doc(hidden)]
pub mod fuzzing;
mod known;
mod last;
pub mod limits;
pub mod mapping;
mod opened;
mod prepare;
mod problems;
pub mod read;
pub mod records;
mod run;

use hashbrown::HashMap;
use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};

use serde::{Deserialize, Serialize};
use sqlx::SqliteConnection;

use crate::error::{Error, Result};
use crate::funnel::{self, Funnel, Source};
use crate::journal::BatchKind;
use crate::store::interrupt::Interrupter;
use crate::store::{now, Store};
use crate::users::{self, User};
use crate::{phone, settings};
use known::Holders;
use last::{finish, Last, Shares};
pub use limits::Limits;
pub use opened::{open, open_within, rows, Opened};
pub use prepare::Normalise;
use prepare::{read_file, Batch, Spent};
pub use problems::{Problem, Spool, EXAMPLES};
use run::Run;

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
    /// Keep this import's new contacts on this computer only: with a cloud account
    /// connected they are not pushed until the user shares them (`outbox::share_local`).
    #[serde(default)]
    pub keep_local: bool,
    /// What the record of who holds each email and mobile phone may take in memory, per
    /// kind, before its keys move to disk (None: `known::MEMORY_BUDGET`, 28 MB; tests set
    /// less to move them often).
    #[serde(skip)]
    #[specta(skip)]
    pub identity_memory: Option<usize>,
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
    /// The journal batch the import committed as (None when it kept nothing).
    #[serde(skip)]
    pub batch: Option<i64>,
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
    /// About how much of the import is done, from 0 to 1: its rows, then its last steps
    /// (so that the time left, from the time so far, holds to the end).
    pub fraction: f64,
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
    import_within(
        store,
        user,
        path,
        options,
        &Limits::default(),
        progress,
        cancel,
    )
    .await
}

/// `import_file` within `limits` (a file past one is refused whole, naming its line).
pub async fn import_within(
    store: &Store,
    user: &User,
    path: &Path,
    options: &ImportOptions,
    limits: &Limits,
    progress: &(dyn Fn(Progress) + Sync),
    cancel: &AtomicBool,
) -> Result<Report> {
    let source = read::Source::File(path.to_path_buf());
    // Opening reads the whole file once (its encoding is checked to the end, its lines
    // counted): off the async threads.
    let opened = {
        let source = source.clone();
        let limits = *limits;
        tokio::task::spawn_blocking(move || open_within(&source, &limits))
            .await
            .map_err(|e| Error::Internal(format!("the import's reader failed: {e}")))??
    };
    let rows_estimate = opened.lines;
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
        // The commit leaves the log for the store to copy into the file in the background
        // (`Store::checkpoint_in_background`): the import is done once it is committed.
        ("wal_autocheckpoint", "0".to_string(), "1000".to_string()),
    ];
    // The import's transaction begins on a connection of its own, not `Store::write`: it
    // waits for the daily check, and starts a day's backup, as `Store::write` does.
    store.ready_to_write().await?;
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
        Ok(()) => match Interrupter::arm(&mut conn).await {
            // Cancel stops a running statement too (the last steps take minutes at ten
            // million rows); the error it leaves is the cancel's.
            Ok(interrupter) => {
                let done = interrupter
                    .watch(
                        cancel,
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
                        ),
                    )
                    .await;
                if interrupter.disarm(&mut conn).await.is_err() {
                    // Still armed: it is not returned to the pool.
                    conn.close_on_drop();
                }
                match done {
                    Err(_) if cancel.load(Ordering::Relaxed) => Err(canceled()),
                    done => done,
                }
            }
            Err(e) => Err(e),
        },
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
    if matches!(&result, Ok(report) if report.batch.is_some()) {
        store.checkpoint_in_background();
    }
    result.map_err(|e| no_room(e, store.path()))
}

/// A write the disk had no room for (SQLITE_FULL), said as such: the transaction was rolled
/// back, so nothing was imported.
fn no_room(e: Error, db: &Path) -> Error {
    let full = match &e {
        Error::Database(d) => d
            .as_database_error()
            .and_then(|d| d.code())
            .and_then(|c| c.parse::<i32>().ok())
            .is_some_and(|c| c & 0xff == 13),
        // The bulk writer speaks to SQLite directly and passes its message on.
        Error::Internal(m) => m.contains("database or disk is full"),
        _ => false,
    };
    if !full {
        return e;
    }
    Error::Internal(format!(
        "the disk holding {} is full: nothing was imported. Free some space and import the file again",
        db.display()
    ))
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
        let json = crate::error::json(&mapping)?;
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
    let mut funnel = Funnel::begin(
        &mut tx,
        user.id,
        BatchKind::Import,
        &at,
        &format!("Imported {name}"),
        Source::Import,
    )
    .await?;
    if options.keep_local {
        funnel.keep_local();
    }
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
    // A file bigger than the table it goes into: the table's indexes are dropped and built
    // again at the end, which sorts once instead of inserting at random a million times.
    // Identity is then checked against the import's own record of every contact there is
    // (known.rs: in memory, past its budget on disk), and building the UNIQUE email and
    // mobile-phone indexes again checks it once more.
    let bulk = rows_estimate > (first_new as u64).max(50_000);
    let shares = Shares::of(bulk);
    let rebuilt: Vec<(String, String)> = if bulk {
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
        indexes
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
        emails: Holders::new("email", options.identity_memory),
        phones: Holders::new("phone", options.identity_memory),
        rows: HashMap::new(),
        stored: HashMap::new(),
        before: HashMap::new(),
        dirty: Vec::new(),
        spent: Spent::default(),
        summary: Summary::default(),
        problems: problems::Problems::default(),
        batch,
    };
    // Where the keys go past memory's budget (known.rs); dropped before the commit.
    sqlx::query(known::DROP_SPILL_TABLE)
        .execute(&mut *tx)
        .await?;
    sqlx::query(known::SPILL_TABLE).execute(&mut *tx).await?;
    if bulk && first_new > 1 {
        // The indexes are gone: every contact's email and mobile phone goes where the
        // import asks for keys it has not met, on disk.
        run.emails.spill_database(&mut tx).await?;
        run.phones.spill_database(&mut tx).await?;
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
    let rows_started = std::time::Instant::now();
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
        // How far into the file: its rows are not all one size, its lines are counted.
        let reached = chunk.last().map_or(0, |p| p.line as u64);
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
        progress(Progress {
            rows: run.summary.rows,
            fraction: shares.rows * reached as f64 / rows_estimate.max(reached) as f64,
        });
    }
    // Who holds what is not needed any more: its memory goes before the sorting below.
    run.emails = Holders::new("email", None);
    run.phones = Holders::new("phone", None);
    sqlx::query(known::DROP_SPILL_TABLE)
        .execute(&mut *tx)
        .await?;
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
    let step = |done: f64| {
        progress(Progress {
            rows: run.summary.rows,
            fraction: done,
        })
    };
    let last = Last {
        rebuilt: &rebuilt,
        shares: &shares,
        rows_took: rows_started.elapsed(),
    };
    finish(&mut tx, &funnel, &run, &mapping, &last, step).await?;
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
    let mut report = Report {
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
        batch: None,
    };
    if options.dry_run
        || report.summary.created + report.summary.updated + report.summary.conflicts == 0
    {
        // Nothing to keep: not even an empty batch in the journal.
        tx.rollback().await?;
    } else {
        tx.commit().await?;
        report.batch = Some(batch);
    }
    Ok(report)
}

fn canceled() -> Error {
    Error::Canceled("the import was canceled: nothing was imported".into())
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
