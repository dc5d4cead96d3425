//! The import's reading thread: records read from the file as they come, normalised into
//! contacts (parsing, phone numbers, search words: the work of an import that is not
//! SQLite's) and sent a chunk at a time to the writer, beside which it runs.

use crate::error::Error;
use crate::record::ContactRow;
use crate::words;

use super::{mapping, read, rows, Opened};

/// Rows handled between progress reports, cancel checks and writes.
pub(super) const CHUNK: usize = 2000;

/// A record read and normalised on the import's reading thread: parsing, phone numbers and
/// search words are the work of an import that is not SQLite's, and run beside it.
pub(super) struct Prepared {
    pub(super) line: u32,
    pub(super) cells: Vec<String>,
    /// The normalised contact with what search derives from it, or why the row is rejected.
    pub(super) outcome: std::result::Result<(ContactRow, words::Derived), String>,
}

/// What the reading thread sends: the next records, that the file is done, or why it
/// cannot go on.
pub(super) enum Batch {
    Rows(Vec<Prepared>),
    Done,
    Failed(Error),
}

/// What the import is done with, handed back to the reading thread that made it: freeing
/// another thread's memory costs allocators more. Measured on a million rows: glibc's
/// serialises it (6 s more); with mimalloc, the app's allocator, medians of 17.5-19.6 s
/// with this against 19.0 s without (a noisy machine: about a second).
#[derive(Default)]
pub(super) struct Spent {
    pub(super) cells: Vec<Vec<String>>,
    pub(super) rows: Vec<(ContactRow, Option<words::Derived>)>,
}

/// How the reading thread turns records into contacts.
pub struct Normalise {
    pub mapping: mapping::Mapping,
    pub region: String,
    pub owner_id: i64,
    pub at: String,
}

impl Normalise {
    /// A row's cells as a normalised contact with what search derives from it, or why the
    /// row is rejected: the import's work for each row that is not SQLite's (the reading
    /// thread's, and what `make bench`'s `--reader` times alone).
    pub fn contact(
        &self,
        cells: &[String],
    ) -> std::result::Result<(ContactRow, words::Derived), String> {
        let mut entry = ContactRow::blank(self.owner_id, self.at.clone());
        match entry.apply(self.mapping.fields_of(cells), &self.region) {
            Ok(()) => {
                let derived = words::derive(&entry);
                Ok((entry, derived))
            }
            Err(e) => Err(e.to_string()),
        }
    }
}

/// The reading thread: reads the opened file's records as they come and sends them,
/// normalised, a chunk at a time, until the file ends or the import stops listening. Only
/// `Batch::Done` says the file was read to its end.
pub(super) fn read_file(
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
            None => how.contact(&row.cells),
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
